"""The daily controller: every decision branch, the sending-day clock, idempotency and catch-up,
the floor watch, chunked commits and a fixed number of queries per chunk."""

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
import time_machine
from django.db import IntegrityError, transaction

from ips import tasks
from ips.models import DedicatedIp, IpWarmup, IpWarmupDay, IpWarmupDecision
from ips.services.controller import controller_run
from ips.services.routing import routes_decide
from ips.tests import factories as f
from ips.types import Recipient
from warmup_site.schedules import JOBS

# These tests pin Google's profile to a long table (ips/tests/conftest.py `long_google_table`):
# stages 50, 70, 98, 138, 193, …, 20,000 (19 stages).
pytestmark = pytest.mark.usefixtures("long_google_table")
RUN_AT = datetime(2026, 11, 23, 0, 10, tzinfo=UTC)
TODAY = RUN_AT.date()
YESTERDAY = TODAY - timedelta(days=1)


@pytest.fixture
def pool(account):
    return f.pool(account=account)


def started(pool, *, address="203.0.113.1", stage=1, cap=None, started_on=None, **fields):
    """A warming IP whose google pair is at `stage` (its profile cap unless `cap`), decided
    through the day before yesterday unless told otherwise."""
    with time_machine.travel(datetime(2026, 11, 1, 9, tzinfo=UTC), tick=False):
        ip = f.warming_ip(pool=pool, address=address)
    profile = f.profile("google")
    values = {
        "stage": stage,
        "daily_cap": cap or profile.cap_for_stage(stage),
        "decided_through": YESTERDAY - timedelta(days=1),
        **fields,
    }
    if started_on:
        values["started_on"] = started_on
    IpWarmup.objects.filter(ip=ip).update(decided_through=values["decided_through"])
    IpWarmup.objects.filter(ip=ip, provider__slug="google").update(**values)
    return ip


def day(ip, on=YESTERDAY, provider="google", cap=None, **counters):
    warmup = f.warmup(ip, provider)
    IpWarmupDay.objects.update_or_create(
        warmup=warmup, day=on, defaults={"cap": cap or warmup.daily_cap, **counters}
    )


def run(at=RUN_AT):
    with time_machine.travel(at, tick=False):
        return controller_run()


def decisions(ip, provider="google", **filters):
    return list(
        IpWarmupDecision.objects.filter(
            warmup__ip=ip, warmup__provider__slug=provider, **filters
        ).order_by("day", "pk")
    )


def google(ip):
    return f.warmup(ip, "google")


# --- the branches ---------------------------------------------------------------------------------


def test_a_clean_full_day_doubles_the_cap_skipping_stages(pool):
    ip = started(pool, stage=1, stage_days=0, sending_days=2)
    day(ip, routed=48, delivered=48)

    run()

    w = google(ip)
    # Twice 50 is 100: the highest stage at most that is stage 3 (98), whatever stage 1's days.
    assert (w.state, w.stage, w.daily_cap, w.sending_days, w.stage_days) == (
        "warming",
        3,
        98,
        3,
        0,
    )
    (d,) = decisions(ip)
    assert (d.kind, d.day, d.daily, d.from_stage, d.to_stage, d.from_cap, d.to_cap) == (
        "advance",
        YESTERDAY,
        True,
        1,
        3,
        50,
        98,
    )
    assert "48 of 50 routed (96.0%)" in d.reason
    assert "×2, the fast lane: stage 1 → 3, cap 50 → 98" in d.reason
    assert d.figures["routed"] == 48 and d.actor is None


def test_bounces_near_their_limit_keep_it_in_the_cautious_lane_of_the_stage_table(pool):
    ip = started(pool, stage=1, stage_days=0, cap=1000)
    day(ip, routed=1000, delivered=960, hard_bounced=40)  # 4.2%: under the 5% limit, over half

    run()

    w = google(ip)
    assert (w.stage, w.stage_days, w.sending_days) == (1, 1, 1)
    (d,) = decisions(ip)
    assert d.kind == "hold"
    assert "stage 1 asks for 3 sending days (this was day 1 of them)" in d.reason

    IpWarmup.objects.filter(pk=w.pk).update(stage=4, stage_days=2, daily_cap=138)
    day(ip, on=TODAY, routed=138, delivered=132, hard_bounced=6)  # 4.3%: cautious, one stage
    run(RUN_AT + timedelta(days=1))

    assert (google(ip).stage, decisions(ip)[-1].kind) == (5, "advance")
    assert "one stage: complaints or bounces" in decisions(ip)[-1].reason


def test_it_holds_below_ninety_percent_but_counts_the_sending_day(pool):
    ip = started(pool, stage=1, stage_days=2)
    day(ip, routed=40)  # 80%

    run()

    w = google(ip)
    assert (w.stage, w.sending_days) == (1, 1)
    assert "growing needs 90% of the cap routed" in decisions(ip)[0].reason


def test_too_little_traffic_is_not_a_sending_day(pool):
    ip = started(pool, stage=1, stage_days=2, sending_days=2)
    day(ip, routed=10)  # 20% of the cap

    run()

    w = google(ip)
    assert (w.stage, w.sending_days, w.stage_days) == (1, 2, 2)
    (d,) = decisions(ip)
    assert d.kind == "hold"
    assert "Only 10 of 50 routed (20.0%" in d.reason
    assert "not a sending day" in d.reason


def test_it_backs_off_on_throttling_and_steps_back_stages(pool):
    ip = started(pool, stage=5, stage_days=1)  # cap 193
    day(ip, routed=190, delivered=170, deferred=20, throttled=12, blocked=3)

    run()

    w = google(ip)
    # Blocks back off hardest: a quarter of 193 is 48.25, under stage 1's 50, so the cap
    # itself is cut; the provider pushed back at 193.
    assert (w.state, w.stage, w.daily_cap, w.stage_days, w.trouble_cap) == (
        "backoff",
        1,
        48,
        0,
        193,
    )
    (d,) = decisions(ip)
    assert d.kind == "backoff"
    assert "3 blocked (3 blocked, 0 blocklist) on 190 routed" in d.reason


def test_throttling_brings_the_cap_to_what_the_provider_took(pool):
    ip = started(pool, stage=5, stage_days=1)  # cap 193
    day(ip, routed=190, delivered=100, deferred=90, throttled=90)

    run()

    w = google(ip)
    # The provider took 100: ×1.25 (it lets more through as reputation grows) is 125, between
    # half the cap and the cap; stage 3 (98) is the highest at most that.
    assert (w.state, w.stage, w.daily_cap, w.stage_days, w.trouble_cap) == (
        "backoff",
        3,
        125,
        0,
        193,
    )
    (d,) = decisions(ip)
    assert d.kind == "backoff"
    assert "90 throttling or blocking replies (90 throttled, 0 blocked" in d.reason
    assert "on 190 routed (47.4%" in d.reason
    assert "to what the provider took (100) ×1.25" in d.reason


def test_a_throttled_day_never_raises_the_cap_and_cuts_at_most_by_half(pool):
    ip = started(pool, stage=5, stage_days=1)  # cap 193
    day(ip, routed=190, delivered=178, deferred=12, throttled=12)
    other = started(pool, address="203.0.113.2", stage=5, stage_days=1)
    day(other, routed=190, delivered=10, deferred=180, throttled=180)

    run()

    assert (google(ip).state, google(ip).daily_cap) == ("backoff", 193)  # 178 × 1.25 > 193
    assert google(other).daily_cap == 96  # 10 × 1.25 is under half of 193


def test_growth_is_cautious_near_where_the_provider_pushed_back(pool):
    ip = started(pool, stage=2, stage_days=1, trouble_cap=150)  # cap 70, trouble at 150
    day(ip, routed=70, delivered=70)

    run()

    w = google(ip)
    # ×2 would be 140, over 3/4 of 150: ×1.25 (87.5), at least one stage: stage 3 (98).
    assert (w.stage, w.daily_cap, w.trouble_cap) == (3, 98, 150)
    assert "×1.25, cautious: the provider pushed back at 150 a day" in decisions(ip)[0].reason


def test_a_back_off_at_stage_one_cuts_the_cap_and_clean_days_grow_it_back(pool):
    ip = started(pool, stage=1, stage_days=2)
    day(ip, routed=50, throttled=10)

    run()
    w = google(ip)
    assert (w.state, w.stage, w.daily_cap) == ("backoff", 1, 25)

    day(ip, on=TODAY, routed=25, delivered=25, cap=25)
    run(RUN_AT + timedelta(days=1))

    w = google(ip)
    # Near the 50 a day where the provider pushed back, cautiously: ×1.25 of 25.
    assert (w.state, w.stage, w.daily_cap) == ("warming", 1, 32)
    assert [d.kind for d in decisions(ip)] == ["backoff", "advance"]


def test_a_few_throttling_replies_hold_instead_of_backing_off(pool):
    ip = started(pool, stage=1, stage_days=2)
    day(ip, routed=50, delivered=41, throttled=9)  # under the 10 replies a back-off needs

    run()

    w = google(ip)
    assert (w.state, w.stage) == ("warming", 1)
    (d,) = decisions(ip)
    assert d.kind == "hold"
    assert "the provider pushed back a little (18.0%, under the back-off threshold" in d.reason


@pytest.mark.parametrize(
    ("counters", "words"),
    [
        ({"complaints": 3}, "complaints 3 = 0.3% of 1,000 delivered (limit 0.3%)"),
        ({"hard_bounced": 50}, "hard bounces 50 = 5.0% of 1,000 delivered (limit 5.0%)"),
    ],
)
def test_it_holds_and_alerts_on_list_quality(pool, counters, words, caplog):
    ip = started(pool, stage=1, stage_days=2, cap=1000)
    day(ip, routed=1000, delivered=1000, **counters)

    run()

    w = google(ip)
    assert (w.state, w.stage, w.daily_cap) == ("warming", 1, 1000)
    (d,) = decisions(ip)
    assert d.kind == "alert"
    assert words in d.reason
    assert "clean the list" in d.reason
    assert any("List-quality alert" in r.message for r in caplog.records)


def test_complaints_under_the_limit_do_not_hold(pool):
    ip = started(pool, stage=1, stage_days=2, cap=1000)
    day(ip, routed=1000, delivered=1000, complaints=2, hard_bounced=49)

    run()

    (d,) = decisions(ip)
    assert d.kind == "advance"
    assert "one stage: complaints or bounces are not far enough under their limits" in d.reason


def test_it_steps_back_after_idle_days_in_a_row(pool):
    ip = started(pool, stage=4, stage_days=1, decided_through=YESTERDAY - timedelta(days=3))
    # No day rows at all for three days: nothing was sent.

    run()

    w = google(ip)
    assert (w.stage, w.daily_cap, w.idle_days, w.sending_days) == (3, 98, 0, 0)
    kinds = [(d.day, d.kind) for d in decisions(ip)]
    assert kinds == [
        (YESTERDAY - timedelta(days=2), "hold"),
        (YESTERDAY - timedelta(days=1), "hold"),
        (YESTERDAY, "step_back"),
    ]
    assert "Nothing sent for 3 days in a row" in decisions(ip)[-1].reason


def test_a_day_that_sent_resets_the_idle_count(pool):
    ip = started(pool, stage=4, idle_days=2)
    day(ip, routed=30)  # some traffic, under half the cap

    run()

    w = google(ip)
    assert (w.stage, w.idle_days) == (4, 0)


def test_the_sending_day_clock_skips_a_quiet_weekend(pool):
    ip = started(pool, stage=1, stage_days=0, decided_through=YESTERDAY - timedelta(days=5))
    friday, saturday, _sunday, monday, tuesday = (
        YESTERDAY - timedelta(days=n) for n in range(4, -1, -1)
    )
    for on in (friday, monday, tuesday):
        day(ip, on=on, routed=40, cap=50)  # 80%: sending days that do not grow the cap
    day(ip, on=saturday, routed=3)  # a trickle, not a sending day
    # Sunday: nothing at all.

    run()

    w = google(ip)
    # Friday, Monday, Tuesday are sending days; Saturday and Sunday are not.
    assert (w.sending_days, w.stage) == (3, 1)
    assert [d.kind for d in decisions(ip)] == ["hold"] * 5
    assert "not a sending day" in decisions(ip)[1].reason


def test_it_becomes_warm_after_clean_days_at_the_target_and_the_ip_when_all_are(pool):
    ip = started(pool, stage=19, target_days=2, stage_days=2)
    IpWarmup.objects.filter(ip=ip).exclude(provider__slug="google").update(state="warm")
    day(ip, routed=19000, delivered=18900)

    counts = run()

    w = google(ip)
    assert (w.state, w.warm_since) == ("warm", TODAY)
    (d,) = decisions(ip)
    assert d.kind == "warm"
    assert "the target cap of 20,000 held clean for 3 sending days" in d.reason
    ip.refresh_from_db()
    assert ip.state == DedicatedIp.State.WARM
    assert counts.ips_changed == 1


def test_an_ip_stays_warming_while_one_provider_is(pool):
    ip = started(pool, stage=19, target_days=2, stage_days=2)
    day(ip, routed=19000)

    run()

    assert google(ip).state == "warm"
    ip.refresh_from_db()
    assert ip.state == DedicatedIp.State.WARMING  # the other providers are still warming


def test_it_holds_at_the_target_until_it_has_its_clean_days(pool):
    ip = started(pool, stage=19, target_days=0)
    day(ip, routed=19500)

    run()

    w = google(ip)
    assert (w.state, w.target_days) == ("warming", 1)
    assert "clean day 1 of 3 at the target cap" in decisions(ip)[0].reason


# --- after warm-up: the floor watch ---------------------------------------------------------


def test_a_warm_ip_under_the_floor_is_flagged_cooling_and_recovers(pool):
    with time_machine.travel(datetime(2026, 11, 1, tzinfo=UTC)):
        ip = f.warm_ip(pool=pool, address="203.0.113.9")
    IpWarmup.objects.filter(ip=ip).update(decided_through=YESTERDAY - timedelta(days=1))
    for provider in ("google", "microsoft"):
        day(ip, provider=provider, routed=1500)
    day(ip, provider="google", routed=420)

    run()

    assert google(ip).state == "cooling"
    assert f.warmup(ip, "microsoft").state == "warm"
    (d,) = decisions(ip)
    assert d.kind == "cooling"
    assert "Routed 420, under the floor of 1,000" in d.reason
    assert decisions(ip, "microsoft") == []  # a steady warm pair stores nothing

    day(ip, on=TODAY, provider="google", routed=1200)
    run(RUN_AT + timedelta(days=1))

    assert google(ip).state == "warm"
    assert [d.kind for d in decisions(ip)] == ["cooling", "recovered"]


def warm(pool, *, address="203.0.113.9", **fields):
    """A warm IP, decided through the day before yesterday, its google pair changed by
    `fields`."""
    with time_machine.travel(datetime(2026, 11, 1, tzinfo=UTC)):
        ip = f.warm_ip(pool=pool, address=address)
    IpWarmup.objects.filter(ip=ip).update(decided_through=YESTERDAY - timedelta(days=1))
    IpWarmup.objects.filter(ip=ip, provider__slug="google").update(**fields)
    return ip


def test_a_warm_ip_grows_its_allowance_after_a_full_clean_day(pool):
    ip = warm(pool, daily_cap=20_000)
    day(ip, routed=19_500, delivered=19_400, hard_bounced=10)

    run()

    w = google(ip)
    assert (w.state, w.daily_cap) == ("warm", 40_000)
    (d,) = decisions(ip)
    assert d.kind == "grow"
    assert "the allowance grows ×2, the fast lane: 20,000 → 40,000 a day" in d.reason


def test_a_warm_ip_that_is_throttled_at_night_goes_back_to_warm_up(pool):
    ip = warm(pool, daily_cap=40_000)
    day(ip, routed=40_000, delivered=30_000, deferred=10_000, throttled=10_000)

    run()

    w = google(ip)
    # The provider took 30,000; ×1.25 is 37,500, above the table's last stage (20,000): the
    # pair warms up again from the last stage at 37,500; growth near 40,000 will be cautious.
    assert (w.state, w.stage, w.daily_cap, w.trouble_cap) == ("backoff", 19, 37_500, 40_000)
    (d,) = decisions(ip)
    assert d.kind == "backoff"
    assert "at a warm IP: back to warm-up at 37,500 a day" in d.reason
    ip.refresh_from_db()
    assert ip.state == DedicatedIp.State.WARMING


def test_a_blocked_warm_ip_backs_off_to_a_quarter(pool):
    ip = warm(pool, daily_cap=40_000)
    day(ip, routed=40_000, delivered=39_000, blocked=1_000, bounced=1_000)

    run()

    w = google(ip)
    # A quarter of 40,000 is 10,000, in stage 16 (7,779 to 10,890) of the table.
    assert (w.state, w.stage, w.daily_cap) == ("backoff", 16, 10_000)
    assert "at a warm IP: back to warm-up at 25% of the cap" in decisions(ip)[0].reason


def test_an_idle_warm_ip_loses_its_allowance_gradually_and_never_jumps(pool):
    ip = warm(pool, daily_cap=20_000, decided_through=YESTERDAY - timedelta(days=61))

    run()  # 60 days without a message

    w = google(ip)
    kinds = [d.kind for d in decisions(ip)]
    assert kinds[:3] == ["cooling", "cooling", "decay"]
    assert "rewarm" in kinds
    # Back in warm-up at a stage that fits what is left, never at 20,000 a day.
    assert w.state == "warming"
    assert w.daily_cap <= 1_000
    allowances = [d.to_cap for d in decisions(ip)]
    assert all(b <= a for a, b in pairwise(allowances))
    today = routes_decide(
        account=pool.account,
        sender_domain="acme.example",
        recipients=[Recipient(f"u{n}@gmail.com") for n in range(5_000)],
        now=RUN_AT + timedelta(hours=23),
    )
    assert sum(r.ip == "203.0.113.9" for r in today) == w.daily_cap


# --- idempotency, catch-up --------------------------------------------------------------------


def test_running_twice_decides_once(pool):
    ip = started(pool, stage=1, stage_days=2)
    day(ip, routed=50)

    run()
    second = run(RUN_AT + timedelta(hours=3))

    assert second.pairs == 0
    assert google(ip).stage == 3
    assert len(decisions(ip)) == 1


def test_after_five_missed_days_it_catches_up_in_order_one_decision_a_day(pool):
    ip = started(pool, stage=5, stage_days=0, decided_through=YESTERDAY - timedelta(days=5))
    missed = [YESTERDAY - timedelta(days=n) for n in range(4, -1, -1)]
    caps = {stage: f.profile("google").cap_for_stage(stage) for stage in (5, 7)}
    # Full, clean days at stage 5 (193), then at stage 7 (377, after ×2 to 386): the cap moves
    # once a day at most, in the order of the days, whatever the run's catching up.
    for n, on in enumerate(missed):
        cap = caps[5] if n < 1 else caps[7]
        day(ip, on=on, routed=cap if n in (0, 1) else cap // 3, delivered=cap, cap=cap)

    run()
    run()  # a second run changes nothing

    found = decisions(ip)
    assert [d.day for d in found] == missed
    assert [d.kind for d in found] == ["advance", "advance", "hold", "hold", "hold"]
    assert [(d.from_stage, d.to_stage) for d in found][:2] == [(5, 7), (7, 9)]
    w = google(ip)
    assert (w.stage, w.decided_through) == (9, YESTERDAY)


def test_the_database_refuses_a_second_daily_decision_for_a_day(pool):
    ip = started(pool, stage=1)
    day(ip, routed=50)
    run()
    (d,) = decisions(ip)

    d.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        d.save()


def test_a_new_cap_applies_to_the_day_routing_already_opened(pool):
    ip = started(pool, stage=1, stage_days=2)
    day(ip, routed=50)
    day(ip, on=TODAY, routed=12, cap=50)  # routing opened today before the job ran

    run()

    assert IpWarmupDay.objects.get(warmup=google(ip), day=TODAY).cap == 98


def test_it_takes_a_fixed_number_of_queries_per_chunk_of_pairs(pool, django_assert_num_queries):
    first = started(pool, stage=1, stage_days=2)
    day(first, routed=50)
    # 1–2 profiles and providers. Per chunk: savepoint (in production the chunk's BEGIN), the
    # claim, the day counters, update the pairs, insert the decisions, today's open caps,
    # release (COMMIT): 7. The empty claim that ends the loop: 3. Then savepoint, IP states
    # (warm, warming again), prune the hour counters, release: 5.
    with django_assert_num_queries(2 + 7 + 3 + 5):
        run()

    for n in range(2, 12):
        ip = started(pool, address=f"203.0.113.{n}", stage=1, stage_days=2)
        day(ip, routed=50, on=TODAY)
    with django_assert_num_queries(2 + 7 + 3 + 5):
        counts = run(RUN_AT + timedelta(days=1))
    assert counts.pairs == 11 * 11  # every provider of every IP, in one chunk


def test_it_commits_chunk_by_chunk_and_decides_each_pair_once(pool, django_assert_num_queries):
    for n in range(1, 4):
        ip = started(pool, address=f"203.0.113.{n}", stage=1, stage_days=2)
        day(ip, routed=50)

    with time_machine.travel(RUN_AT, tick=False):
        with django_assert_num_queries(2 + 7 * 3 + 3 + 5):
            summary = controller_run(chunk=11)  # 33 pairs: three chunks
        again = controller_run(chunk=11)

    assert (summary.pairs, summary.days, summary.kinds["advance"]) == (33, 33, 3)
    assert again.pairs == 0
    # One daily decision per pair (holds for the providers that had no mail).
    assert IpWarmupDecision.objects.filter(daily=True).count() == 33
    assert set(IpWarmup.objects.values_list("decided_through", flat=True)) == {YESTERDAY}


def test_the_task_reports_what_it_decided(pool):
    ip = started(pool, stage=1, stage_days=2)
    day(ip, routed=50)

    with time_machine.travel(RUN_AT, tick=False):
        summary = tasks.run_warmup_controller()
        again = tasks.run_warmup_controller()

    assert "1 advanced" in summary
    assert "(IP, provider) pairs" in summary
    assert again.startswith("nothing to decide")


def test_the_schedule_runs_shortly_after_midnight():
    (job,) = [j for j in JOBS if j.func == "ips.tasks.run_warmup_controller"]
    assert job.daily_at is not None and job.daily_at.hour == 0


def test_pending_and_paused_pairs_are_not_decided(pool):
    ip = started(pool, stage=1, stage_days=2)
    IpWarmup.objects.filter(ip=ip, provider__slug="google").update(state="paused")
    day(ip, routed=50)

    run()

    assert decisions(ip) == []
    assert google(ip).stage == 1


def test_first_day_of_a_new_warm_up_is_decided_from_its_start(pool):
    ip = started(pool, stage=1, decided_through=None, started_on=YESTERDAY)
    IpWarmup.objects.filter(ip=ip).update(decided_through=None, started_on=YESTERDAY)
    day(ip, routed=50)

    run()

    assert [d.day for d in decisions(ip)] == [YESTERDAY]
    assert google(ip).decided_through == YESTERDAY


def test_routing_prefers_an_ip_the_floor_watch_flagged_cooling(pool, account):
    with time_machine.travel(datetime(2026, 11, 1, tzinfo=UTC)):
        busy = f.warm_ip(pool=pool, address="203.0.113.2")
        quiet = f.warm_ip(pool=pool, address="203.0.113.9")
    IpWarmup.objects.update(decided_through=YESTERDAY - timedelta(days=1))
    day(busy, routed=5000)
    day(quiet, routed=300)
    run()
    assert google(quiet).state == "cooling"

    with time_machine.travel(RUN_AT + timedelta(hours=10), tick=False):
        routes = routes_decide(
            account=account,
            sender_domain="acme.example",
            recipients=[Recipient(f"r{n}@gmail.com") for n in range(10)],
        )

    # Without the flag the lower address would come first (both are unused today).
    assert {r.ip for r in routes} == {"203.0.113.9"}


def test_a_run_for_an_earlier_day_never_decides_days_before_a_pair_started(pool):
    ip = started(pool, stage=1, decided_through=None, started_on=TODAY)
    IpWarmup.objects.filter(ip=ip).update(decided_through=None, started_on=TODAY)

    run(RUN_AT - timedelta(days=3))  # a run as of three days ago (a late catch-up, the demo)
    day(ip, on=TODAY, routed=50)
    run(RUN_AT + timedelta(days=1))

    assert [d.day for d in decisions(ip)] == [TODAY]
