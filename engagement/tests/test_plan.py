"""The plan's branches, day by day with time-machine: the ramp (and its fast lane), hold after a
spam spike, graduation kept honest, the stop when nobody engages, maintenance and re-warm-up,
coverage, catch-up after downtime, idempotence. The day counters are the plan's inputs (the
sweep fills them in production; here the test does)."""

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine

from domains.models import DomainWarmup, DomainWarmupDay, DomainWarmupPlan
from domains.services import domain_warmup_keep_warm_set, domain_warmup_set
from engagement.models import WarmupMessage
from engagement.services import plan
from engagement.tests.conftest import make_seed
from providers.models import MailboxProvider

DAY1 = date.today() + timedelta(days=1)


def at(day: date, hour: int = 5) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


@pytest.fixture
def google_plan(db, dovecot, verified_domain):
    make_seed(dovecot, "google", "Junk")
    with time_machine.travel(at(DAY1, 6), tick=False):
        domain_warmup_set(domain=verified_domain, enabled=True)
    return DomainWarmupPlan.objects.get(warmup__domain=verified_domain, provider__slug="google")


def place(plan_row, day: date, *, inbox: int, spam: int = 0, missing: int = 0, engaged=None):
    """The day's placements; by default the seeds engaged with every message they found."""
    engaged = inbox + spam if engaged is None else engaged
    DomainWarmupDay.objects.filter(plan=plan_row, date=day).update(
        inbox=inbox, spam=spam, missing=missing, engaged=engaged
    )


def step(day: date) -> DomainWarmupPlan:
    with time_machine.travel(at(day), tick=False):
        plan.warmups_step()
    return DomainWarmupPlan.objects.get(provider__slug="google")


def run(google_plan, days: int, **placement) -> DomainWarmupPlan:
    """Place the same figures on `days` days in a row, stepping each next morning."""
    day, result = DAY1, google_plan
    for _ in range(days):
        place(google_plan, day, **placement)
        day += timedelta(days=1)
        result = step(day)
    return result


def test_it_ramps_the_volume_day_by_day(google_plan):
    volumes = [google_plan.volume]
    for offset in range(1, 8):
        day = DAY1 + timedelta(days=offset)
        place(google_plan, day - timedelta(days=1), inbox=2, spam=1)  # 67%: the plain ramp
        volumes.append(step(day).volume)

    assert volumes == [5, 8, 12, 18, 25, 35, 50, 50]
    assert WarmupMessage.objects.filter(day__date=DAY1 + timedelta(days=3)).count() == 18


def test_it_grows_faster_when_placement_is_already_good(google_plan):
    volumes = [google_plan.volume]
    for offset in range(1, 6):
        day = DAY1 + timedelta(days=offset)
        place(google_plan, day - timedelta(days=1), inbox=4, spam=1, engaged=5)  # 80% inbox
        volumes.append(step(day).volume)

    # Never more than twice yesterday's volume: 18 → 35 skips 25.
    assert volumes == [5, 8, 12, 18, 35, 50]
    assert (
        "faster: 80% of yesterday's mail reached the inbox"
        in google_plan.days.get(date=DAY1 + timedelta(days=4)).reason
    )


def test_it_spreads_a_days_messages_over_waking_hours(google_plan):
    day = DAY1 + timedelta(days=1)
    place(google_plan, DAY1, inbox=2, spam=3)
    step(day)

    times = sorted(
        WarmupMessage.objects.filter(day__date=day).values_list("scheduled_at", flat=True)
    )
    assert len(times) == 8
    assert times[0] >= at(day, 7) and times[-1] < at(day, 22)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert min(gaps) > 5 * 60  # never a burst
    assert max(gaps) < 4 * 3600


def test_it_holds_the_volume_for_two_days_after_a_spam_spike(google_plan, settings):
    settings.WARMUP_SPAM_HOLD_THRESHOLD = 0.2
    place(google_plan, DAY1, inbox=5)
    assert step(DAY1 + timedelta(days=1)).volume == 8
    place(google_plan, DAY1 + timedelta(days=1), inbox=5, spam=3)  # 38% spam, up from 0%

    held = step(DAY1 + timedelta(days=2))
    assert held.volume == 8
    assert "3 of 8 placements (38%) were in spam, up from 0% the day before" in held.reason
    place(google_plan, DAY1 + timedelta(days=2), inbox=6, spam=2)
    assert step(DAY1 + timedelta(days=3)).volume == 8  # second day of the hold
    place(google_plan, DAY1 + timedelta(days=3), inbox=6, spam=2)
    assert step(DAY1 + timedelta(days=4)).volume == 12  # growing again

    decisions = list(
        DomainWarmupDay.objects.filter(plan=google_plan)
        .order_by("date")
        .values_list("decision", "volume")
    )
    assert decisions == [("start", 5), ("advance", 8), ("hold", 8), ("hold", 8), ("advance", 12)]


def test_a_fresh_domains_spam_is_no_spike(google_plan):
    place(google_plan, DAY1, inbox=0, spam=5)  # a new domain starts in spam
    result = step(DAY1 + timedelta(days=1))
    assert result.volume == 8
    place(google_plan, DAY1 + timedelta(days=1), inbox=1, spam=7)
    assert step(DAY1 + timedelta(days=2)).volume == 12


def test_it_graduates_after_three_good_days(google_plan):
    result = run(google_plan, 3, inbox=19, spam=1)  # 95% on 20 a day

    assert result.state == "warm" and result.day == 4
    assert "Warm since" in result.reason and "95% on 60 placements" in result.reason
    assert DomainWarmup.objects.get().state == "warm"
    # A freshly warm provider gets no mail that day; maintenance starts days later.
    assert not WarmupMessage.objects.filter(day__date=DAY1 + timedelta(days=3)).exists()


def test_it_does_not_graduate_on_too_few_placements(google_plan):
    result = run(google_plan, 4, inbox=5)  # 100%, but only 15 over 3 days
    assert result.state == "warming"
    assert "100% on 15 placements (warm needs ≥ 90% on ≥ 20 over 3 days)" in result.reason


def test_it_does_not_graduate_on_fewer_than_three_days(google_plan):
    place(google_plan, DAY1, inbox=0, missing=0, engaged=0)  # nothing found on day 1
    step(DAY1 + timedelta(days=1))
    place(google_plan, DAY1 + timedelta(days=1), inbox=30)
    step(DAY1 + timedelta(days=2))
    place(google_plan, DAY1 + timedelta(days=2), inbox=30)

    result = step(DAY1 + timedelta(days=3))
    assert result.state == "warming"  # 60 of 60 in the inbox, but on two days only
    place(google_plan, DAY1 + timedelta(days=3), inbox=12)
    assert step(DAY1 + timedelta(days=4)).state == "warm"


def test_it_stops_by_itself_when_the_seeds_do_not_engage(google_plan):
    result = run(google_plan, 4, inbox=1, spam=4, engaged=0)

    assert result.state == "needs_attention" and result.volume == 0
    assert result.reason.startswith(
        "Stopped on day 5: the seeds at Google engaged with none of the 20 messages placed "
        "over the last 4 days"
    )
    assert DomainWarmup.objects.get().state == "needs_attention"
    assert not WarmupMessage.objects.filter(day__date=DAY1 + timedelta(days=4)).exists()
    # It stays stopped …
    assert step(DAY1 + timedelta(days=5)).state == "needs_attention"
    # … until the customer switches Domain Warmup off and on: day 1 again, history kept.
    with time_machine.travel(at(DAY1 + timedelta(days=6), 6), tick=False):
        warmup = DomainWarmup.objects.get()
        domain_warmup_set(domain=warmup.domain, enabled=False)
        domain_warmup_set(domain=warmup.domain, enabled=True)
    restarted = DomainWarmupPlan.objects.get(provider__slug="google")
    assert (restarted.state, restarted.volume, restarted.day) == ("warming", 5, 1)
    assert DomainWarmupDay.objects.filter(plan=google_plan).count() == 7


def test_it_stops_after_21_days_without_graduating(google_plan):
    result = run(google_plan, 21, inbox=10, spam=2, missing=1)  # 77%, engaged

    assert result.state == "needs_attention" and result.volume == 0
    assert result.reason.startswith(
        "Stopped: not warm after 21 days (inbox rate over the last 3 days 77%"
    )
    assert not WarmupMessage.objects.filter(day__date=DAY1 + timedelta(days=21)).exists()


def test_it_keeps_a_warm_provider_warm_with_a_few_messages_every_other_day(google_plan):
    run(google_plan, 3, inbox=20)  # warm on day 4
    volumes = []
    for offset in range(4, 10):
        volumes.append(step(DAY1 + timedelta(days=offset)).volume)
        place(google_plan, DAY1 + timedelta(days=offset), inbox=4)

    # Gmail (domains/warmup_plan.toml): 4 messages every 2 days after graduation.
    assert volumes == [0, 4, 0, 4, 0, 4]
    kept = google_plan.days.filter(decision="maintain")
    assert kept.count() == 3
    assert "keeping warm with 4 messages every 2 days" in kept.last().reason
    assert WarmupMessage.objects.filter(day__decision="maintain").count() == 12


def test_it_goes_back_to_warmup_when_maintenance_mail_lands_in_spam(google_plan):
    run(google_plan, 3, inbox=20)  # warm on day 4
    for offset in (4, 5, 6, 7):
        step(DAY1 + timedelta(days=offset))
        place(google_plan, DAY1 + timedelta(days=offset), inbox=1, spam=3)  # 25% inbox

    result = step(DAY1 + timedelta(days=8))
    assert (result.state, result.volume) == ("warming", 8)
    assert result.reason.startswith(
        "Back in warm-up at Google: only 25% of the 8 maintenance messages of the last 7 days "
        "reached the inbox (below 75%)"
    )
    assert google_plan.days.get(date=DAY1 + timedelta(days=8)).decision == "rewarm"
    assert DomainWarmup.objects.get().state == "warming"


def test_keep_warm_off_sends_nothing_after_graduation(google_plan, verified_domain):
    domain_warmup_keep_warm_set(domain=verified_domain, keep_warm=False)
    run(google_plan, 3, inbox=20)
    volumes = [step(DAY1 + timedelta(days=offset)).volume for offset in range(4, 9)]

    assert volumes == [0] * 5
    result = DomainWarmupPlan.objects.get(provider__slug="google")
    assert result.state == "warm" and "Keep-warm is off" in result.reason
    assert google_plan.days.count() == 9  # the history stays


def test_it_runs_once_a_day_however_often_it_is_called(google_plan):
    day = DAY1 + timedelta(days=1)
    place(google_plan, DAY1, inbox=2, spam=3)
    step(day)
    step(day)

    assert DomainWarmupDay.objects.filter(plan=google_plan, date=day).count() == 1
    assert WarmupMessage.objects.filter(day__date=day).count() == 8


def test_it_catches_up_after_downtime_without_ramping_on_the_calendar(google_plan):
    place(google_plan, DAY1, inbox=2, spam=3)
    result = step(DAY1 + timedelta(days=4))

    assert result.day == 5
    assert result.volume == 8  # one step, not four
    skipped = DomainWarmupDay.objects.filter(decision="skipped").order_by("date")
    assert [d.date for d in skipped] == [DAY1 + timedelta(days=n) for n in (1, 2, 3)]
    assert not WarmupMessage.objects.filter(day__decision="skipped").exists()


def test_it_lists_every_consumer_provider_and_starts_those_that_get_seeds(google_plan, dovecot):
    consumer = {p.slug for p in MailboxProvider.objects.all() if p.consumer_domains}
    plans = dict(DomainWarmupPlan.objects.values_list("provider__slug", "state"))
    assert set(plans) == consumer and "other" not in plans
    assert plans["google"] == "warming"
    assert {s for s, state in plans.items() if state == "not_covered"} == consumer - {"google"}
    yahoo = DomainWarmupPlan.objects.get(provider__slug="yahoo")
    assert yahoo.reason.startswith("Not covered: there is no active seed mailbox at Yahoo")
    assert "asked to add 3" in yahoo.reason

    make_seed(dovecot, "yahoo", "Bulk")
    place(google_plan, DAY1, inbox=2, spam=3)
    step(DAY1 + timedelta(days=1))

    plans = dict(DomainWarmupPlan.objects.values_list("provider__slug", "volume"))
    assert (plans["google"], plans["yahoo"]) == (8, 5)
    yahoo.refresh_from_db()
    assert (yahoo.state, yahoo.day, yahoo.started_on) == ("warming", 1, DAY1 + timedelta(days=1))
    assert not WarmupMessage.objects.filter(provider__slug="comcast").exists()
