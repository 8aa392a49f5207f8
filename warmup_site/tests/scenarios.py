"""Data for the tests that run the application as separate processes against a private
database (test_outage.py, test_scale_out.py). Each function runs inside such a process
(`warmup_site.testing.processes.run_python`) and prints its result as JSON."""

from __future__ import annotations

import json
from datetime import timedelta

from django.db.models import Count, F, Sum
from django.utils import timezone
from django_q.models import Task

from accounts import services as account_services
from accounts.models import Account
from accounts.tests.factories import AccountFactory
from domains.models import Domain
from domains.tests.factories import DomainFactory
from ips.models import DeliveryEvent, IpWarmup, IpWarmupDay, IpWarmupDecision, WarmupProfile
from ips.tests import factories as f

OUTAGE_CAP = 400
WARMING_IP, SHARED_IP = "203.0.113.50", "192.0.2.50"
SENDER_DOMAIN = "outage.example"


def outage_setup() -> None:
    """An account whose warming IP takes OUTAGE_CAP Gmail recipients today (unpaced), then
    overflows to a shared IP; prints the owner's API token."""
    # The whole day's cap may go at once, so that the test's total is exact whatever the hour.
    WarmupProfile.objects.filter(provider__slug="google").update(pacing_hours=1)
    account, _membership, token = account_services.account_create(
        name="Outage Sender", owner_username="outage", password="outage-password-1"
    )
    f.DomainFactory(account=account, name=SENDER_DOMAIN)
    pool = f.pool(account=account, name="dedicated")
    f.warming_ip(pool=pool, address=WARMING_IP, caps={"google": OUTAGE_CAP})
    f.warm_ip(pool=f.shared_pool(), address=SHARED_IP, caps={"google": 100_000})
    print(json.dumps({"token": token}))


def outage_figures() -> None:
    """Today's Gmail day rows of both IPs and the account's stored events."""
    today = timezone.now().date()
    days = {
        row["warmup__ip__address"]: row
        for row in IpWarmupDay.objects.filter(day=today, warmup__provider__slug="google").values(
            "warmup__ip__address", "cap", "routed", "delivered", "bounced", "complaints"
        )
    }
    account = Account.objects.get(slug="outage-sender")
    events = DeliveryEvent.objects.filter(account=account)
    counted = IpWarmupDay.objects.filter(warmup__ip__address=WARMING_IP).aggregate(
        delivered=Sum("delivered"), bounced=Sum("bounced"), complaints=Sum("complaints")
    )
    print(
        json.dumps(
            {
                "days": days,
                "events": events.count(),
                "distinct_ids": events.values("event_id").distinct().count(),
                "events_of_warming_ip": events.filter(ip_address=WARMING_IP).count(),
                "counted": counted,
            },
            default=str,
        )
    )


# --- scale-out: the nightly controller and the re-verification on several qclusters -------------


def controller_setup(ips: int = 30, missed: int = 3) -> None:
    """`ips` warming IPs at every provider, each with `missed` full days not decided yet (the
    newest yesterday), so that a controller run has ips × providers × missed decisions to take."""
    yesterday = timezone.now().date() - timedelta(days=1)
    pool = f.pool(account=AccountFactory(name="Controller Sender", slug="controller-sender"))
    for n in range(ips):
        f.warming_ip(pool=pool, address=f"198.51.100.{n + 1}")
    first = yesterday - timedelta(days=missed - 1)
    IpWarmup.objects.update(decided_through=first - timedelta(days=1), stage_days=5)
    IpWarmupDay.objects.bulk_create(
        IpWarmupDay(warmup=w, day=first + timedelta(days=d), cap=w.daily_cap, routed=w.daily_cap)
        for w in IpWarmup.objects.all()
        for d in range(missed)
    )
    print(json.dumps({"pairs": IpWarmup.objects.count(), "first": str(first)}))


def domains_setup(count: int = 40) -> None:
    """`count` domains of one account, all due for their daily re-check now."""
    account = Account.objects.get(slug="controller-sender")
    now = timezone.now()
    for n in range(count):
        DomainFactory(account=account, name=f"sender{n}.reverify.example", next_check_at=now)
    print(json.dumps({"domains": count}))


def scale_out_figures() -> None:
    """Daily decisions per (pair, day), pairs' progress (each pair's stage is where its
    advances took it), domains checked, and the task results."""
    per_day = (
        IpWarmupDecision.objects.filter(daily=True)
        .values("warmup", "day")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    # What the advances moved (the fast lane moves more than one stage at a time).
    advances = dict(
        IpWarmupDecision.objects.filter(kind="advance")
        .values("warmup")
        .annotate(n=Sum(F("to_stage") - F("from_stage")))
        .values_list("warmup", "n")
    )
    stages = dict(IpWarmup.objects.values_list("id", "stage"))
    print(
        json.dumps(
            {
                "decisions_per_pair_day": sorted(set(per_day)),
                "pair_days": len(per_day),
                "stage_moves_match_advances": all(
                    stage - 1 == advances.get(pk, 0) for pk, stage in stages.items()
                ),
                "decided_through": sorted(
                    {str(d) for d in IpWarmup.objects.values_list("decided_through", flat=True)}
                ),
                "domains_checked": Domain.objects.filter(last_checked_at__isnull=False).count(),
                "tasks": [
                    {
                        "func": t.func,
                        "cluster": t.cluster,
                        "success": t.success,
                        "result": str(t.result),
                        "started": t.started.isoformat(),
                        "stopped": t.stopped.isoformat(),
                    }
                    for t in Task.objects.order_by("started")
                ],
            }
        )
    )
