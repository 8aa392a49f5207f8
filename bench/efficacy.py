#!/usr/bin/env python
"""Does our warm-up controller beat the published fixed schedules? Measured on a family of
provider models, with the real simulator (ips/services/simulator.py: routing's pacing, the fast
back-off and the nightly controller, hour by hour).

    .venv/bin/python bench/efficacy.py [--family bench.efficacy_models] [--days 60] [--markdown]

For every member of the family (bench/efficacy_models.py, 30 parameterizations), every seed of
it (11, 29, 47) and every provider with its target — 200,000 a day at google and microsoft,
100,000 at yahoo — one IP warms up four ways: with our controller, and with each fixed schedule
of bench/schedules/ (SendGrid's hourly table ×24, SparkPost's recommended table, SparkPost's
auto-warmup stages at one a day), which get the same pacing over the day and no feedback. A
"model" below is one (member, seed, provider). days to target: the first day that delivered
95% of the target. Goals (issue 12):

- our controller has 0 blocked days on at least 95% of the models;
- it reaches the target no later than the fastest fixed schedule that had 0 blocked days on the
  same model, on at least 80% of the models (where every schedule was blocked, ours meets the
  goal by having no blocked day itself).

It prints, per schedule, the median days to target (models that never reached it count as
never) and the share of models with blocks, and the two goals. Profiles are the ones the
migrations ship (an in-memory database is migrated first). `--family` takes another module with
the same shape (FAMILY, SEEDS, PROVIDERS and a factory per member name) — that is how a model
nobody here wrote is measured.
"""

import argparse
import importlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DEBUG", "true")
os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/efficacy.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warmup_site.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from ips.selectors import profiles_by_provider  # noqa: E402
from ips.services.simulator import load_schedule, simulate  # noqa: E402

SCHEDULES_DIR = Path(__file__).resolve().parent / "schedules"
SCHEDULES = ("sendgrid", "sparkpost-table", "sparkpost-auto")
TARGETS = {"google": 200_000, "microsoft": 200_000, "yahoo": 100_000}
OURS = "ours"


def run_case(profile, factory, provider: str, seed: int, days: int, schedules) -> dict:
    """Days to target and blocked days of ours and every schedule on one model."""
    target = TARGETS[provider]
    found = {}
    for name, schedule in ((OURS, None), *schedules.items()):
        result = simulate(
            profile=profile,
            model=factory(provider, seed),
            days=days,
            daily_volume=target,
            target=target,
            schedule=schedule,
        )
        found[name] = (result.days_to_target, result.blocked_days)
    return found


def met(case: dict) -> bool:
    """Ours reached the target no later than the fastest schedule with no blocked day."""
    ours, _blocked = case[OURS]
    clean = [reached for name, (reached, blocked) in case.items() if name != OURS and not blocked]
    if not clean:
        return not case[OURS][1]
    fastest = min((r for r in clean if r is not None), default=None)
    if fastest is None:
        return True  # no clean schedule reached it either
    return ours is not None and ours <= fastest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--family", default="bench.efficacy_models")
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--markdown", action="store_true", help="Also print the per-model table.")
    args = parser.parse_args()
    family = importlib.import_module(args.family)
    call_command("migrate", verbosity=0)
    profiles = {p.provider.slug: p for p in profiles_by_provider().values()}
    schedules = {name: load_schedule(str(SCHEDULES_DIR / f"{name}.csv")) for name in SCHEDULES}
    started = time.perf_counter()
    cases: dict[tuple[str, int, str], dict] = {}
    for member in family.FAMILY:
        factory = getattr(family, member.name)
        for seed in family.SEEDS:
            for provider in family.PROVIDERS:
                cases[(member.name, seed, provider)] = run_case(
                    profiles[provider], factory, provider, seed, args.days, schedules
                )
    report(cases, args, time.perf_counter() - started)


def _median(values: list[int | None], days: int) -> str:
    ordered = sorted(v if v is not None else days + 1 for v in values)
    middle = statistics.median_low(ordered)
    return f"{middle}" if middle <= days else f"> {days}"


def report(cases: dict, args, seconds: float) -> None:
    total = len(cases)
    print(f"{total} models ({total // 3} per provider), {args.days} days each, {seconds:.0f} s")
    print(f"{'':<16}{'median days to target':>24}{'models with blocks':>22}")
    for name in (OURS, *SCHEDULES):
        reached = [case[name][0] for case in cases.values()]
        blocked = sum(1 for case in cases.values() if case[name][1])
        print(f"{name:<16}{_median(reached, args.days):>24}{blocked / total:>21.0%}")
    clean = sum(1 for case in cases.values() if not case[OURS][1])
    fast = sum(1 for case in cases.values() if met(case))
    print(f"ours with 0 blocked days: {clean}/{total} = {clean / total:.0%} (goal: at least 95%)")
    print(
        f"ours no later than the fastest schedule with 0 blocked days: {fast}/{total} = "
        f"{fast / total:.0%} (goal: at least 80%)"
    )
    if args.markdown:
        print()
        print("| model | seed | provider | ours | " + " | ".join(SCHEDULES) + " | met |")
        print("|---" * (5 + len(SCHEDULES)) + "|")
        for (member, seed, provider), case in cases.items():
            cells = [
                f"{r if r is not None else '—'}{' ⛔' * bool(b)}"
                for r, b in (case[n] for n in (OURS, *SCHEDULES))
            ]
            print(
                f"| {member} | {seed} | {provider} | " + " | ".join(cells) + " | "
                f"{'yes' if met(case) else 'no'} |"
            )


if __name__ == "__main__":
    main()
