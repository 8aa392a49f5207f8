"""simulate_ip_warmup: the controller's own rule over simulated days, printed, nothing saved."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ips.management.commands.simulate_ip_warmup import Command
from ips.models import IpWarmupDecision
from ips.services.simulator import simulate
from ips.tests import factories as f


def run(*args) -> str:
    out = StringIO()
    call_command("simulate_ip_warmup", *args, stdout=out)
    return out.getvalue()


def rows(output: str, provider: str) -> list[list[str]]:
    return [
        line.split(None, 7)
        for line in output.splitlines()
        if line[:4].strip().isdigit() and f"  {provider}  " in line
    ]


def test_it_prints_the_day_by_day_table_with_a_back_off(db):
    output = run(
        "--days", "45", "--daily-volume", "200000", "--provider", "gmail", "--throttle-on-day", "12"
    )

    table = rows(output, "google")
    assert len(table) == 45
    assert "day  date        provider    state     stage        cap     routed  decision" in output
    day3 = table[2]
    assert (day3[0], day3[4], day3[5], day3[6]) == ("3", "1", "50", "50")
    assert day3[7] == "advance → stage 2, cap 70"
    day12 = table[11]
    assert day12[7].startswith("backoff → stage 1")
    assert table[12][3] == "backoff"
    assert "→ not warm after 45 days" in output
    assert not IpWarmupDecision.objects.exists()  # nothing saved


def test_it_reaches_warm_and_explains_with_reasons(db):
    output = run("--days", "60", "--daily-volume", "100000", "--provider", "other", "--reasons")

    assert "→ warm at Other after day" in output
    assert "held clean for 3 sending days" in output
    assert "a clean, full day" in output


def test_quiet_weekends_are_not_sending_days(db):
    profile = f.profile("google")
    plain = simulate(profile=profile, days=28, daily_volume=10_000)
    weekends = simulate(profile=profile, days=28, daily_volume=10_000, quiet_weekends=True)

    assert weekends[-1].next_stage < plain[-1].next_stage
    saturday = weekends[5]
    assert (saturday.routed, saturday.kind) == (0, "hold")
    assert "Nothing sent" in saturday.reason


def test_it_defaults_to_the_big_three_and_takes_aliases(db):
    output = run("--days", "3", "--provider", "hotmail", "--provider", "aol")

    assert rows(output, "microsoft") and rows(output, "yahoo")
    assert not rows(output, "google")
    default = run("--days", "2")
    assert all(rows(default, slug) for slug in ("google", "microsoft", "yahoo"))


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--provider", "nope"], "There is no provider 'nope'"),
        (["--throttle-on-day", "x"], "give day numbers"),
        (["--days", "0"], "--days must be between 1 and 365"),
    ],
)
def test_it_explains_bad_arguments(db, args, words):
    with pytest.raises(CommandError, match=words):
        run(*args)


def test_the_help_explains_the_command():
    parser = Command().create_parser("manage.py", "simulate_ip_warmup")
    text = " ".join(parser.format_help().split())  # argparse wraps lines
    assert "Nothing is written to the database" in text
    assert "--throttle-on-day" in text
    assert "gmail, outlook, hotmail, aol" in text
