"""The plan's branches, day by day with time-machine: ramp, hold after a spammy day, graduate,
needs attention, catch-up after downtime, idempotence. The day counters are the plan's inputs
(the sweep fills them in production; here the test does)."""

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine

from domains.models import DomainWarmup, DomainWarmupDay, DomainWarmupPlan
from domains.services import domain_warmup_set
from engagement.models import WarmupMessage
from engagement.services import plan
from engagement.tests.conftest import make_seed

DAY1 = date.today() + timedelta(days=1)


def at(day: date, hour: int = 5) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


@pytest.fixture
def google_plan(db, dovecot, verified_domain):
    make_seed(dovecot, "google", "Junk")
    with time_machine.travel(at(DAY1, 6), tick=False):
        domain_warmup_set(domain=verified_domain, enabled=True)
    return DomainWarmupPlan.objects.get(warmup__domain=verified_domain)


def place(plan_row, day: date, *, inbox: int, spam: int = 0, missing: int = 0) -> None:
    DomainWarmupDay.objects.filter(plan=plan_row, date=day).update(
        inbox=inbox, spam=spam, missing=missing
    )


def step(day: date) -> DomainWarmupPlan:
    with time_machine.travel(at(day), tick=False):
        plan.warmups_step()
    return DomainWarmupPlan.objects.get(provider__slug="google")


def test_it_ramps_the_volume_day_by_day(google_plan):
    volumes = [google_plan.volume]
    for offset in range(1, 8):
        day = DAY1 + timedelta(days=offset)
        place(google_plan, day - timedelta(days=1), inbox=3, spam=0)
        volumes.append(step(day).volume)

    assert volumes == [5, 8, 12, 18, 25, 35, 50, 50]
    assert WarmupMessage.objects.filter(day__date=DAY1 + timedelta(days=3)).count() == 18


def test_it_spreads_a_days_messages_over_waking_hours(google_plan):
    day = DAY1 + timedelta(days=1)
    place(google_plan, DAY1, inbox=5)
    step(day)

    times = sorted(
        WarmupMessage.objects.filter(day__date=day).values_list("scheduled_at", flat=True)
    )
    assert len(times) == 8
    assert times[0] >= at(day, 7) and times[-1] < at(day, 22)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert min(gaps) > 5 * 60  # never a burst
    assert max(gaps) < 4 * 3600


def test_it_holds_the_volume_for_two_days_after_a_spammy_day(google_plan, settings):
    settings.WARMUP_SPAM_HOLD_THRESHOLD = 0.2
    place(google_plan, DAY1, inbox=5)
    assert step(DAY1 + timedelta(days=1)).volume == 8
    place(google_plan, DAY1 + timedelta(days=1), inbox=5, spam=3)  # 37.5% spam

    held = step(DAY1 + timedelta(days=2))
    assert held.volume == 8
    assert "3 of 8 placements (38%) were in spam" in held.reason
    place(google_plan, DAY1 + timedelta(days=2), inbox=8)
    assert step(DAY1 + timedelta(days=3)).volume == 8  # second day of the hold
    place(google_plan, DAY1 + timedelta(days=3), inbox=8)
    assert step(DAY1 + timedelta(days=4)).volume == 12  # growing again

    decisions = list(DomainWarmupDay.objects.order_by("date").values_list("decision", "volume"))
    assert decisions == [
        ("start", 5),
        ("advance", 8),
        ("hold", 8),
        ("hold", 8),
        ("advance", 12),
    ]


def test_it_graduates_when_the_ramp_is_done_and_the_inbox_rate_is_high(google_plan):
    day = DAY1
    for _ in range(7):
        place(google_plan, day, inbox=19, spam=1)  # 95%
        day += timedelta(days=1)
        result = step(day)
    assert result.state == "warm"
    assert "Warm since" in result.reason and "95% on 60 placements" in result.reason
    assert DomainWarmup.objects.get().state == "warm"
    # A warm provider gets no more warm-up mail.
    assert not WarmupMessage.objects.filter(day__date=day).exists()


def test_it_does_not_graduate_on_too_few_placements(google_plan):
    day = DAY1
    for _ in range(8):
        place(google_plan, day, inbox=5)  # 100%, but only 15 over 3 days
        day += timedelta(days=1)
        result = step(day)
    assert result.state == "warming"
    assert "100% on 15 placements (warm needs ≥ 90% on ≥ 20)" in result.reason


def test_it_needs_attention_after_21_days_without_graduating(google_plan):
    day = DAY1
    for _ in range(21):
        place(google_plan, day, inbox=10, spam=2, missing=1)  # 77%
        day += timedelta(days=1)
        result = step(day)

    assert result.state == "needs_attention"
    assert result.reason.startswith("Not warm after 21 days: inbox rate over the last 3 days 77%")
    assert DomainWarmup.objects.get().state == "needs_attention"
    # Sending (and the seeds' engagement) goes on: it can still graduate.
    assert WarmupMessage.objects.filter(day__date=day).count() == 50


def test_it_runs_once_a_day_however_often_it_is_called(google_plan):
    day = DAY1 + timedelta(days=1)
    place(google_plan, DAY1, inbox=5)
    step(day)
    step(day)

    assert DomainWarmupDay.objects.filter(date=day).count() == 1
    assert WarmupMessage.objects.filter(day__date=day).count() == 8


def test_it_catches_up_after_downtime_without_ramping_on_the_calendar(google_plan):
    place(google_plan, DAY1, inbox=5)
    result = step(DAY1 + timedelta(days=4))

    assert result.day == 5
    assert result.volume == 8  # one step, not four
    skipped = DomainWarmupDay.objects.filter(decision="skipped").order_by("date")
    assert [d.date for d in skipped] == [DAY1 + timedelta(days=n) for n in (1, 2, 3)]
    assert not WarmupMessage.objects.filter(day__decision="skipped").exists()


def test_it_starts_plans_for_providers_that_get_seeds_later(google_plan, dovecot):
    make_seed(dovecot, "yahoo", "Bulk")
    place(google_plan, DAY1, inbox=5)
    step(DAY1 + timedelta(days=1))

    plans = dict(DomainWarmupPlan.objects.values_list("provider__slug", "volume"))
    assert plans == {"google": 8, "yahoo": 5}
