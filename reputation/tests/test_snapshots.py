"""The snapshot job: what goes into a snapshot (events through real ingestion, seeds, warm-up,
readiness, the feeds), idempotence, catch-up, finalisation, verdict changes, a constant number
of statements, and skip-locked days on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from domains.models import DomainWarmup, DomainWarmupDay, DomainWarmupPlan
from ips.inputs import EventInput
from ips.models import IpCheck, IpWarmup, IpWarmupDay, IpWarmupDecision
from ips.services import events_ingest
from ips.tests import factories as f
from providers.models import MailboxProvider
from reputation.models import (
    DomainSnapshot,
    FeedConnection,
    IpSnapshot,
    Kind,
    NotificationEvent,
    PostmasterDomain,
    PostmasterDomainDay,
    SnapshotDay,
    SndsIpDay,
)
from reputation.services.snapshots import snapshots_compute_day, snapshots_run
from warmup_site.testing import load_reference_data

DAY = date(2026, 11, 22)
NIGHT = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)  # after DAY ended (+1 h): final
IP = "203.0.113.10"


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NIGHT, tick=False):
        yield


@pytest.fixture
def subjects(account):
    domain = f.DomainFactory(account=account, name="news.acme.example")
    ip = f.warm_ip(pool=f.pool(account=account), address=IP)
    return domain, ip


def ingest(account, *events, prefix: str = "e"):
    batch = [
        EventInput(
            event_id=f"{prefix}{n}",
            type=kind,
            ip=IP,
            sender_domain="news.acme.example",
            recipient=f"user{n}@gmail.com",
            smtp_code=code,
            enhanced_status=status,
            response=response,
            timestamp=when,
        )
        for n, (kind, when, code, status, response) in enumerate(events)
    ]
    return events_ingest(account=account, events=batch, now=NIGHT)


def day_events(day: date, *, delivered=0, complaints=0, hard=0):
    at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    rows = [("delivered", at, 250, "2.0.0", "OK")] * delivered
    rows += [("complaint", at, None, "", "")] * complaints
    rows += [
        (
            "bounced",
            at,
            550,
            "5.1.1",
            "550-5.1.1 The email account that you tried to reach does not exist.",
        )
    ] * hard
    return rows


def google() -> MailboxProvider:
    return MailboxProvider.objects.get(slug="google")


def test_it_writes_one_snapshot_per_subject_and_provider(subjects):
    result = snapshots_compute_day(day=DAY, now=NIGHT)

    providers = MailboxProvider.objects.count()
    assert result == {"final": True, "domains": providers, "ips": providers, "events": 0}
    assert DomainSnapshot.objects.filter(day=DAY).count() == providers
    assert IpSnapshot.objects.filter(day=DAY).count() == providers
    ip_google = IpSnapshot.objects.get(day=DAY, provider__slug="google")
    assert (ip_google.warmup_state, ip_google.reputation, ip_google.score) == (
        "warm",
        "positive",
        60,
    )
    assert ip_google.sentence == "positive: the IP is warm at Google on 21–22 Nov"


def test_it_counts_events_through_ingestion_by_ip_and_by_sender_domain(account, subjects):
    ingest(account, *day_events(DAY, delivered=300, complaints=2, hard=20))

    snapshots_compute_day(day=DAY, now=NIGHT)

    domain = DomainSnapshot.objects.get(day=DAY, provider=google())
    ip = IpSnapshot.objects.get(day=DAY, provider=google())
    for snapshot in (domain, ip):
        assert (snapshot.offered, snapshot.delivered, snapshot.bounced) == (320, 300, 20)
        assert (snapshot.hard_bounced, snapshot.complaints) == (20, 2)
    assert domain.reputation == "negative"  # 2 / 300 = 0.67% complaints, over Gmail's 0.3%
    assert domain.sentence == "negative: 0.67% complaints at Google on 21–22 Nov, over 0.3%"
    assert ip.used == 0 and ip.cap is None  # routing never opened the day; events made it
    assert DomainSnapshot.objects.get(day=DAY, provider__slug="microsoft").offered == 0


def test_the_verdict_sums_the_window_and_the_snapshot_keeps_its_own_day(account, subjects):
    ingest(account, *day_events(DAY - timedelta(days=1), delivered=80))
    snapshots_compute_day(day=DAY - timedelta(days=1), now=NIGHT)
    ingest(account, *day_events(DAY, delivered=40), prefix="today")

    snapshots_compute_day(day=DAY, now=NIGHT)

    snapshot = DomainSnapshot.objects.get(day=DAY, provider=google())
    assert snapshot.delivered == 40
    assert snapshot.factors[0]["code"] == "delivered"  # 120 over two days, above 100
    assert "accepted 100% of 120 messages on 21–22 Nov" in snapshot.sentence


def test_it_reads_seed_placements_warm_up_decisions_and_readiness(account, subjects):
    domain, ip = subjects
    warmup = DomainWarmup.objects.create(domain=domain, enabled=True, state="warming")
    plan = DomainWarmupPlan.objects.create(warmup=warmup, provider=google(), started_on=DAY)
    DomainWarmupDay.objects.create(
        plan=plan, date=DAY, day=1, volume=20, decision="start", sent=20, inbox=4, spam=16
    )
    pair = IpWarmup.objects.get(ip=ip, provider=google())
    IpWarmupDecision.objects.create(
        warmup=pair,
        day=DAY,
        kind="suspend",
        from_state="warm",
        to_state="warm",
        from_stage=5,
        to_stage=5,
        from_cap=100,
        to_cap=100,
        reason="25 throttling replies in an hour",
        created_at=NIGHT - timedelta(hours=20),
    )
    IpCheck.objects.create(
        ip=ip, name="dnsbl:zen.spamhaus.org", kind="dnsbl", status="fail", changed_at=NIGHT
    )

    snapshots_compute_day(day=DAY, now=NIGHT + timedelta(days=1))

    seeds = DomainSnapshot.objects.get(day=DAY, provider=google())
    assert (seeds.sent, seeds.inbox, seeds.spam, seeds.warmup_state) == (20, 4, 16, "warming")
    assert seeds.sentence.startswith("negative: 80% of 20 seed messages at Google went to spam")
    at_google = IpSnapshot.objects.get(day=DAY, provider=google())
    assert at_google.suspended is True
    # The listing was seen after DAY ended: it is not dated back into DAY.
    assert at_google.dnsbl_listings == []
    snapshots_compute_day(day=DAY + timedelta(days=1), now=NIGHT + timedelta(days=1))
    next_day = IpSnapshot.objects.get(day=DAY + timedelta(days=1), provider=google())
    assert next_day.dnsbl_listings == ["zen.spamhaus.org"]
    assert "listed on zen.spamhaus.org" in next_day.sentence


def test_it_joins_the_feeds_of_the_subjects_own_account(account, other_account, subjects):
    domain, _ip = subjects
    mine = FeedConnection.objects.create(account=account, kind="snds", auth="key", secret="x")
    theirs = FeedConnection.objects.create(
        account=other_account, kind="snds", auth="key", secret="y"
    )
    SndsIpDay.objects.create(
        connection=theirs, address=IP, day=DAY, filter_result="RED", fetched_at=NIGHT
    )
    SndsIpDay.objects.create(
        connection=mine,
        address=IP,
        day=DAY,
        filter_result="GREEN",
        complaint_rate=0.0,
        rcpt=900,
        data=880,
        fetched_at=NIGHT,
    )
    pm = FeedConnection.objects.create(account=account, kind="postmaster", auth="key", secret="x")
    PostmasterDomainDay.objects.create(
        domain=domain,
        day=DAY - timedelta(days=1),
        spam_rate=0.0042,
        dkim_rate=1.0,
        fetched_at=NIGHT,
    )
    PostmasterDomain.objects.create(
        domain=domain, connection=pm, compliance="needs_work", compliance_failing=["DMARC policy"]
    )

    snapshots_compute_day(day=DAY, now=NIGHT)

    at_microsoft = IpSnapshot.objects.get(day=DAY, provider__slug="microsoft")
    assert (at_microsoft.snds_filter, at_microsoft.snds_rcpt) == ("GREEN", 900)
    assert at_microsoft.reputation == "positive"
    at_google = DomainSnapshot.objects.get(day=DAY, provider=google())
    # The feed's rate is kept on its own day; the verdict reads the newest in the window.
    assert at_google.pm_spam_rate is None and at_google.pm_compliance == "needs_work"
    assert {x["code"] for x in at_google.factors} == {"postmaster_spam", "postmaster_compliance"}
    assert at_google.sentence.startswith("negative: Google Postmaster spam rate 0.42%")


def test_running_twice_writes_the_same_rows_once(account, subjects):
    ingest(account, *day_events(DAY, delivered=150))

    snapshots_run(now=NIGHT)
    first = list(DomainSnapshot.objects.order_by("pk").values_list("pk", "day", "delivered"))
    summary = snapshots_run(now=NIGHT)

    assert (
        list(DomainSnapshot.objects.order_by("pk").values_list("pk", "day", "delivered")) == first
    )
    # Only today (still open) was computed again.
    assert summary.days == [NIGHT.date()]


def test_it_catches_up_every_day_it_missed(subjects, settings):
    settings.WARMUP_REPUTATION_BACKFILL_DAYS = 2
    snapshots_run(now=NIGHT - timedelta(days=6))

    summary = snapshots_run(now=NIGHT)

    days = sorted(SnapshotDay.objects.values_list("day", "final"))
    first = NIGHT.date() - timedelta(days=8)
    assert days == [(first + timedelta(days=n), n < 8) for n in range(9)]
    assert summary.days == [NIGHT.date() - timedelta(days=n) for n in range(6, -1, -1)]
    per_day = DomainSnapshot.objects.values_list("day", flat=True)
    assert sorted(set(per_day)) == [d for d, _final in days]


def test_a_day_is_final_an_hour_after_it_ended(subjects):
    early = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)

    assert snapshots_compute_day(day=DAY, now=early)["final"] is False
    assert snapshots_compute_day(day=DAY, now=NIGHT)["final"] is True


def test_a_changed_verdict_is_recorded_once_when_the_day_is_final(account, subjects):
    yesterday = DAY - timedelta(days=1)
    ingest(account, *day_events(yesterday, delivered=200))
    snapshots_compute_day(day=yesterday, now=NIGHT)
    assert DomainSnapshot.objects.get(day=yesterday, provider=google()).reputation == "neutral"
    ingest(account, *day_events(DAY, delivered=100, complaints=3), prefix="today")

    snapshots_compute_day(day=DAY, now=NIGHT)
    snapshots_compute_day(day=DAY, now=NIGHT)

    event = NotificationEvent.objects.get(kind=Kind.VERDICT_CHANGED, data__subject__kind="domain")
    assert event.key == f"verdict:domain:{subjects[0].pk}:google:2026-11-22"
    assert event.title == "news.acme.example: domain reputation at Google is now negative"
    assert event.text == (
        "negative: 1% complaints at Google on 21–22 Nov, over 0.3% (it was neutral on 21 Nov)."
    )
    assert (event.account, event.stale) == (account, False)


def test_the_number_of_statements_does_not_grow_with_subjects(account):
    def statements(day: date) -> int:
        with CaptureQueriesContext(connection) as queries:
            snapshots_compute_day(day=day, now=NIGHT)
        return len(queries)

    pool = f.pool(account=account)
    f.DomainFactory(account=account, name="one.example")
    f.warm_ip(pool=pool, address="203.0.113.1")
    few = statements(DAY)
    for n in range(2, 12):
        f.DomainFactory(account=account, name=f"d{n}.example")
        f.warm_ip(pool=pool, address=f"203.0.113.{n}")
    IpWarmupDay.objects.bulk_create(
        IpWarmupDay(warmup=w, day=DAY - timedelta(days=1), delivered=5)
        for w in IpWarmup.objects.all()
    )

    assert statements(DAY - timedelta(days=1)) == few
    assert DomainSnapshot.objects.filter(day=DAY - timedelta(days=1)).count() == 11 * 11


# --- several workers (PostgreSQL) ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_day_another_worker_holds_is_left_to_it(account):
    if connection.vendor != "postgresql":
        pytest.skip("row locks with SKIP LOCKED: PostgreSQL (SQLite runs one writer at a time)")
    load_reference_data()
    f.DomainFactory(account=account, name="news.acme.example")
    SnapshotDay.objects.create(day=DAY)
    SnapshotDay.objects.create(day=DAY + timedelta(days=1))
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                SnapshotDay.objects.select_for_update().get(day=DAY)
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    locked.wait(10)
    try:
        summary = snapshots_run(now=timezone.now().replace(year=2026, month=11, day=23, hour=1))
    finally:
        release.set()
        thread.join()

    assert summary.busy == DAY
    assert summary.days == []  # the days after it wait too: their window needs it
    assert not DomainSnapshot.objects.exists()
