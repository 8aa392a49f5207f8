#!/usr/bin/env python
"""The published fixed warm-up schedules against provider models: a minimal loop, no controller.

    .venv/bin/python bench/fixed_schedules.py            # the default models, seeds 1-3
    .venv/bin/python bench/fixed_schedules.py --family   # every model of bench/efficacy_models.py

For each schedule in bench/schedules/ and each model it runs one IP at one provider for `--days`
days: the sender has `target` messages a day for that provider (200,000 at google and
microsoft, 100,000 at yahoo), the schedule lets through min(target, the day's limit) spread
evenly over the 24 hours (the remainder in the first hours), and deferred mail is retried the
next hour together with that hour's new mail, as an MTA's queue does; blocked and hard-bounced
mail is dropped. After a schedule's last line its last limit holds.

It prints, per schedule and model, the first day on which the provider accepted the target
(delivered + hard bounced, "-" if never) and how many days had blocks; `--markdown` prints the
table in docs/provider-model.md (all seeds of a model in one cell). The `oracle` row is a
sender that reads the model's hidden capacity and offers just under it: the best any
controller could do, for reference only (it needs ProviderModel's internals).

This is not bench/efficacy.py (the lead's, with the real simulator and controller); it tells
what the family of models looks like to the fixed schedules.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ips.provider_model import check_outcome, default_model

SCHEDULES_DIR = Path(__file__).resolve().parent / "schedules"
SCHEDULES = ("sendgrid", "sparkpost-table", "sparkpost-auto")
TARGETS = {"google": 200_000, "microsoft": 200_000, "yahoo": 100_000}


def load_schedule(path: Path) -> dict[int, int]:
    """`day,daily_limit` lines (and `#` comments) → {day: limit}; ValueError naming the line."""
    limits: dict[int, int] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            day_text, limit_text = line.split(",")
            day, limit = int(day_text), int(limit_text)
        except ValueError:
            raise ValueError(f"{path.name} line {number}: expected day,daily_limit") from None
        if day < 1 or limit < 0 or day in limits:
            raise ValueError(f"{path.name} line {number}: day {day} repeated or out of range")
        limits[day] = limit
    return limits


@dataclass
class Run:
    days_to_target: int | None = None
    blocked_days: int = 0
    deferred_days: int = 0
    accepted: list[int] = field(default_factory=list)


def even_hours(volume: int) -> list[int]:
    base, extra = divmod(volume, 24)
    return [base + (1 if hour < extra else 0) for hour in range(24)]


def run(
    model,
    *,
    daily_volume: Callable[[int, object], int],
    target: int,
    days: int,
    name: str = "model",
) -> Run:
    """One IP's days at one provider; daily_volume(day, model) is the day's new mail."""
    result = Run()
    backlog = 0
    for day in range(1, days + 1):
        totals = dict.fromkeys(("accepted", "deferred", "blocked"), 0)
        model.offer(day=day, hour=0, messages=0)  # opens the day (the oracle reads it)
        for hour, fresh in enumerate(even_hours(daily_volume(day, model))):
            offered = fresh + backlog
            answer = check_outcome(
                offered, model.offer(day=day, hour=hour, messages=offered), model=name, day=day
            )
            backlog = answer["deferred"]
            totals["accepted"] += answer["delivered"] + answer["hard_bounced"]
            totals["deferred"] += answer["deferred"]
            totals["blocked"] += answer["blocked"]
        result.accepted.append(totals["accepted"])
        result.blocked_days += totals["blocked"] > 0
        result.deferred_days += totals["deferred"] > 0
        if result.days_to_target is None and totals["accepted"] >= target:
            result.days_to_target = day
    return result


def schedule_volume(schedule: dict[int, int], target: int) -> Callable[[int, object], int]:
    last = max(schedule)

    def volume(day: int, model) -> int:  # noqa: ARG001 (the oracle's volume reads the model)
        return min(target, schedule.get(day, schedule[last]))

    return volume


def oracle_volume(target: int) -> Callable[[int, object], int]:
    def volume(day: int, model) -> int:
        if model.is_blocked(day=day, hour=0):
            return 0
        return min(target, int(model.capacity() * 0.97))

    return volume


def run_schedules(factory, provider: str, seed: int, *, days: int) -> dict[str, Run]:
    target = TARGETS[provider]
    runs = {}
    for name in SCHEDULES:
        schedule = load_schedule(SCHEDULES_DIR / f"{name}.csv")
        runs[name] = run(
            factory(provider, seed),
            daily_volume=schedule_volume(schedule, target),
            target=target,
            days=days,
            name=f"{getattr(factory, '__name__', factory)}({provider}, {seed})",
        )
    oracle_model = factory(provider, seed)
    if hasattr(oracle_model, "capacity"):
        runs["oracle"] = run(
            oracle_model, daily_volume=oracle_volume(target), target=target, days=days
        )
    return runs


def cell(result: Run) -> str:
    reached = "-" if result.days_to_target is None else str(result.days_to_target)
    return f"{reached:>3} {result.blocked_days:>2}b"


def markdown_cell(results: list[Run]) -> str:
    """Days to target per seed ("-": never) and, when any, how many seeds had a blocked day."""
    days = "/".join("-" if r.days_to_target is None else str(r.days_to_target) for r in results)
    blocked = sum(r.blocked_days > 0 for r in results)
    return f"{days} **{blocked}✗**" if blocked else days


def markdown(models, days: int) -> None:
    """One row per model and provider, one column per schedule, for docs/provider-model.md."""
    columns = (*SCHEDULES, "oracle")
    print("| model | provider | " + " | ".join(columns) + " |")
    print("|---|---|" + "---|" * len(columns))
    clean = dict.fromkeys(SCHEDULES, 0)
    none_clean = rows = 0
    for name, factory, seeds in models:
        for provider in TARGETS:
            per_seed = [run_schedules(factory, provider, seed, days=days) for seed in seeds]
            cells = [markdown_cell([runs[c] for runs in per_seed]) for c in columns]
            print(f"| {name} | {provider} | " + " | ".join(cells) + " |")
            rows += 1
            block_free = [
                c for c in SCHEDULES if all(runs[c].blocked_days == 0 for runs in per_seed)
            ]
            for c in block_free:
                clean[c] += 1
            none_clean += not block_free
    print(
        f"\n{rows} models (member × provider). Block-free on every seed: "
        + ", ".join(f"{c} {n}" for c, n in clean.items())
        + f"; no schedule block-free: {none_clean}."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", action="store_true", help="every model of the family")
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seeds", default="1,2,3", help="for the default models")
    parser.add_argument("--markdown", action="store_true", help="a table per model, all seeds")
    args = parser.parse_args()
    if args.family:
        from bench.efficacy_models import FAMILY

        models = [(member.name, member.factory, member.seeds) for member in FAMILY]
    else:
        seeds = tuple(int(seed) for seed in args.seeds.split(","))
        models = [("default", default_model, seeds)]
    if args.markdown:
        markdown(models, args.days)
        return
    columns = (*SCHEDULES, "oracle")
    print("days to target / blocked days; target 200,000 at google and microsoft, 100,000 at yahoo")
    print(f"{'model':<24} {'provider':<10} {'seed':>4}  " + "  ".join(f"{c:>15}" for c in columns))
    for name, factory, seeds in models:
        for provider in TARGETS:
            for seed in seeds:
                runs = run_schedules(factory, provider, seed, days=args.days)
                cells = "  ".join(f"{cell(runs[c]) if c in runs else '':>15}" for c in columns)
                print(f"{name:<24} {provider:<10} {seed:>4}  {cells}")


if __name__ == "__main__":
    main()
