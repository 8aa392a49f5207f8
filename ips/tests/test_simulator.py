"""simulate_ip_warmup: routing's pacing, the fast back-off and the nightly controller hour by hour
against a provider model (the default one, or one loaded with --model), or a fixed schedule;
printed as a table or JSON, nothing saved."""

import json
import textwrap
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from ips.management.commands.simulate_ip_warmup import Command
from ips.models import IpWarmup, IpWarmupDay, IpWarmupDecision
from ips.provider_model import default_model
from ips.services.simulator import load_schedule, simulate
from ips.tests import factories as f

SCHEDULES = Path(settings.BASE_DIR) / "bench" / "schedules"


def run(*args) -> str:
    out = StringIO()
    call_command("simulate_ip_warmup", *args, stdout=out)
    return out.getvalue()


def rows(output: str) -> list[list[str]]:
    """The table's day rows, split into columns (the decision text is the last column)."""
    return [line.split(None, 9) for line in output.splitlines() if line[:4].strip().isdigit()]


def as_json(*args) -> dict:
    return json.loads(run(*args, "--json"))


def test_it_prints_the_day_by_day_table_with_a_back_off(db):
    output = run(
        "--days", "30", "--daily-volume", "200000", "--provider", "gmail", "--throttle-on-day", "6"
    )

    table = rows(output)
    assert len(table) == 30
    assert "day  date        state     stage        cap    offered  delivered" in output
    first = table[0]
    start = f.profile("google").start_cap
    assert (first[0], first[2], first[3], first[4]) == ("1", "warming", "1", f"{start:,}")
    assert first[9].startswith("advance → stage")
    assert table[5][9].startswith("backoff")  # a tenth of day 6 was deferred
    assert int(table[5][7].replace(",", "")) > 0
    assert table[6][2] == "backoff"
    assert "→ target 200,000 a day:" in output
    # Nothing saved.
    assert not IpWarmupDecision.objects.exists()
    assert not IpWarmupDay.objects.exists()
    assert not IpWarmup.objects.exists()


def test_it_reaches_the_target_and_explains_with_reasons(db):
    output = run("--days", "40", "--daily-volume", "20000", "--provider", "other", "--reasons")

    assert "→ target 20,000 a day: reached on day" in output
    assert "a clean, full day" in output


def test_json_reports_each_day_and_the_outcome(db):
    body = as_json("--days", "20", "--daily-volume", "50000", "--provider", "yahoo")

    assert len(body["days"]) == 20
    day1 = body["days"][0]
    assert set(day1) >= {"day", "cap", "offered", "delivered", "deferred", "blocked", "state"}
    assert day1["cap"] == f.profile("yahoo").start_cap
    assert all(d["offered"] <= d["cap"] for d in body["days"])  # routing's cap held every day
    assert all(a["cap"] <= b["cap"] for a, b in zip(body["days"], body["days"][1:], strict=False))
    assert isinstance(body["days_to_target"], int)
    assert (body["blocked_days"], body["deferred_days"]) >= (0, 0)


def test_a_fixed_schedule_replaces_the_controller(db, tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("day,daily_limit\n# a comment\n1,100\n2,300\n3,900\n")

    body = as_json(
        "--days", "4", "--daily-volume", "1000", "--provider", "google", "--schedule", path
    )

    # The schedule's limits, then its last limit; whatever the provider says.
    assert [d["cap"] for d in body["days"]] == [100, 300, 900, 900]
    assert [d["state"] for d in body["days"]] == ["schedule"] * 4


@pytest.mark.parametrize("name", ["sendgrid.csv", "sparkpost-auto.csv", "sparkpost-table.csv"])
def test_the_published_schedules_load_and_run(db, name):
    schedule = load_schedule(str(SCHEDULES / name))
    assert min(schedule) == 1 and len(schedule) >= 20
    assert list(schedule.values()) == sorted(schedule.values())  # they only grow

    body = as_json("--days", "45", "--provider", "microsoft", "--schedule", SCHEDULES / name)

    assert body["days"][0]["cap"] == schedule[1]
    assert body["days"][-1]["cap"] == schedule[max(d for d in schedule if d <= 45)]


EXTERNAL_MODEL = '''
"""A provider that takes 400 messages an hour and defers the rest, whatever the day."""


class Steady:
    def __init__(self, provider, seed):
        self.provider, self.seed = provider, seed

    def offer(self, *, day, hour, messages):
        taken = min(messages, 400)
        return {"delivered": taken, "deferred": messages - taken, "blocked": 0,
                "hard_bounced": 0, "complaints": 0}


def factory(provider, seed):
    return Steady(provider, seed)


def broken(provider, seed):
    class Liar:
        def offer(self, *, day, hour, messages):
            return {"delivered": messages + 1, "deferred": 0, "blocked": 0,
                    "hard_bounced": 0, "complaints": 0}
    return Liar()
'''


@pytest.fixture
def external_model(tmp_path, monkeypatch):
    (tmp_path / "steady_provider.py").write_text(textwrap.dedent(EXTERNAL_MODEL))
    monkeypatch.syspath_prepend(str(tmp_path))
    return "steady_provider"


def test_it_runs_a_model_from_outside_the_project(db, external_model):
    body = as_json(
        "--days", "25", "--daily-volume", "30000", "--provider", "google",
        "--model", f"{external_model}:factory",
    )  # fmt: skip

    days = body["days"]
    # 400 an hour is 9,600 a day: whatever the controller tries, no day delivers more, and the
    # deferrals it meets above that bring its cap back near what the provider takes.
    assert max(d["delivered"] for d in days) <= 9_600
    assert body["deferred_days"] > 0
    assert body["days_to_target"] is None
    assert days[-1]["cap"] <= 2 * 9_600


def test_a_model_that_breaks_the_protocol_is_named(db, external_model):
    with pytest.raises(CommandError, match=r"broke the protocol.*delivered"):
        run("--days", "2", "--provider", "google", "--model", f"{external_model}:broken")


def test_quiet_weekends_are_not_sending_days(db):
    profile = f.profile("google")

    def volume(weekends):
        return lambda _n, on: 0 if weekends and on.weekday() >= 5 else 20_000

    plain = simulate(
        profile=profile, model=default_model("google", 1), days=10, daily_volume=volume(False)
    )
    quiet = simulate(
        profile=profile, model=default_model("google", 1), days=10, daily_volume=volume(True)
    )

    def warm_on(simulation):
        return next((d.day for d in simulation.days if d.state == "warm"), None)

    # The weekend does not count: the quiet sender turns warm later (or not in these ten days).
    assert warm_on(plain) is not None
    assert warm_on(quiet) is None or warm_on(quiet) > warm_on(plain)
    saturday = quiet.days[5]
    assert (saturday.offered, saturday.kind) == (0, "hold")
    assert "Nothing sent" in saturday.reason


def test_it_defaults_to_the_big_three_and_takes_aliases(db):
    output = run("--days", "2", "--provider", "hotmail", "--provider", "aol")

    assert "Microsoft (Outlook.com, Microsoft 365): our controller" in output
    assert "Yahoo" in output and "Google" not in output
    default = run("--days", "2")
    assert all(name in default for name in ("Google", "Microsoft", "Yahoo"))


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--provider", "nope"], "There is no provider 'nope'"),
        (["--throttle-on-day", "x"], "give day numbers"),
        (["--days", "0"], "--days must be between 1 and 365"),
        (["--json"], "give exactly one --provider"),
        (["--model", "nowhere"], "--model: 'nowhere' is not a model factory name"),
        (["--model", "no_such_module_here:f"], "--model:"),
        (["--schedule", "/nonexistent.csv"], "--schedule:"),
    ],
)
def test_it_explains_bad_arguments(db, args, words):
    with pytest.raises(CommandError, match=words):
        run(*args)


def test_a_bad_schedule_line_is_named(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("1,100\n2,lots\n")

    with pytest.raises(ValueError, match="line 2: expected 'day,daily_limit'"):
        load_schedule(str(path))


def test_the_help_explains_the_command():
    parser = Command().create_parser("manage.py", "simulate_ip_warmup")
    text = " ".join(parser.format_help().split())  # argparse wraps lines
    assert "Nothing is written to the database" in text
    assert "--throttle-on-day" in text
    assert "gmail, outlook, hotmail, aol" in text
    assert "factory(provider, seed)" in text
