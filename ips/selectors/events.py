"""Reads of delivery events for other apps (through hooks: they may not import ips)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import (
    Count,
)

from ips import warmup_rule
from ips.models import (
    DeliveryEvent,
)

DEFAULT_PROFILE = warmup_rule.DEFAULT_PROFILE


def sender_domain_outcomes(
    *, account_id: int, sender_domain: str, start: datetime, end: datetime
) -> dict[int, dict[str, int]]:
    """What the sending pipeline reported for one account's mail from `sender_domain` in
    [start, end), per provider id: attempts (delivered, deferred and bounced events), delivered,
    complaints, blocked (blocked or blocklisted replies) and throttled. One query, grouped by
    the database; read through the (account, timestamp) index."""
    totals: dict[int, dict[str, int]] = {}
    rows = (
        DeliveryEvent.objects.filter(
            account_id=account_id,
            sender_domain=sender_domain,
            timestamp__gte=start,
            timestamp__lt=end,
            provider__isnull=False,
        )
        .values_list("provider_id", "type", "category")
        .annotate(n=Count("id"))
        .order_by()
    )
    for provider_id, kind, category, n in rows:
        counts = totals.setdefault(
            provider_id,
            dict.fromkeys(("attempts", "delivered", "complaints", "blocked", "throttled"), 0),
        )
        if kind == DeliveryEvent.Type.COMPLAINT:
            counts["complaints"] += n
            continue
        counts["attempts"] += n
        if kind == DeliveryEvent.Type.DELIVERED:
            counts["delivered"] += n
        if category in ("blocked", "blocklisted"):
            counts["blocked"] += n
        elif category == "throttled":
            counts["throttled"] += n
    return totals
