"""Reads of snapshots, one queryset per output shape, in a constant number of queries.

`subject_reputation()` answers the per-domain and per-IP endpoints (and is what the charts of
the next issue read): two queries whatever the number of days and providers — the series
(columns only, no verdict JSON) and the factors of the newest day. `account_overview()` is two
queries (today's domain snapshots, today's IP snapshots).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import groupby
from operator import itemgetter

from django.db.models import QuerySet

from accounts.models import Account
from domains.models import Domain
from ips.models import DedicatedIp
from reputation.models import (
    DomainSnapshot,
    FeedConnection,
    IpSnapshot,
    NotificationEvent,
    WebhookDelivery,
    WebhookEndpoint,
)

MAX_DAYS = 400

COMMON_SERIES = (
    "day",
    "score",
    "reputation",
    "deliverability",
    "offered",
    "delivered",
    "deferred",
    "bounced",
    "hard_bounced",
    "throttled",
    "blocked",
    "blocklisted",
    "complaints",
    "warmup_state",
)
DOMAIN_SERIES = (
    *COMMON_SERIES,
    "sent",
    "inbox",
    "spam",
    "missing",
    "rescued",
    "read",
    "flagged",
    "replied",
    "domain_status",
    "pm_spam_rate",
    "pm_spf_rate",
    "pm_dkim_rate",
    "pm_dmarc_rate",
    "pm_delivery_error_rate",
    "pm_tls_rate",
    "pm_compliance",
)
IP_SERIES = (
    *COMMON_SERIES,
    "warmup_stage",
    "cap",
    "used",
    "suspended",
    "dnsbl_listings",
    "ptr",
    "fcrdns",
    "snds_filter",
    "snds_complaint_rate",
    "snds_trap_hits",
    "snds_rcpt",
    "snds_data",
    "snds_blocked",
)
# Rates derived from the counts (null on a day without the denominator).
RATES = {
    "delivered_rate": ("delivered", "offered"),
    "complaint_rate": ("complaints", "delivered"),
    "hard_bounce_rate": ("hard_bounced", "offered"),
    "throttled_rate": ("throttled", "offered"),
    "blocked_rate": ("blocked", "offered"),
}


@dataclass
class ProviderSeries:
    provider: str
    name: str
    series: dict[str, list] = field(default_factory=dict)
    today: dict | None = None


def domain_for(*, account: Account, pk: int) -> Domain | None:
    return Domain.objects.for_account(account).filter(pk=pk).first()


def ip_for(*, account: Account, address: str, operator: bool) -> DedicatedIp | None:
    """Customers find their own IPs; operators any IP, shared ones included."""
    ips = DedicatedIp.objects.all() if operator else DedicatedIp.objects.for_account(account)
    return ips.filter(address=address).first()


def _rate(part, whole):
    return round(part / whole, 6) if whole else None


def subject_reputation(*, model, subject_id: int, days: int, today: date) -> list[ProviderSeries]:
    """Per provider (display order): the daily series of the last `days` days ending today,
    as columns (lists, one value per day — what a chart plots), and the newest day's verdict
    with its factors."""
    is_domain = model is DomainSnapshot
    fields = DOMAIN_SERIES if is_domain else IP_SERIES
    subject = "domain_id" if is_domain else "ip_id"
    start = today - timedelta(days=days - 1)
    rows = (
        model.objects.filter(**{subject: subject_id}, day__gte=start, day__lte=today)
        .order_by("provider__position", "provider__name", "day")
        .values_list("provider__slug", "provider__name", *fields)
    )
    result: dict[str, ProviderSeries] = {}
    newest = None
    # Columns are made by transposing each provider's rows (zip runs in C): 400 days × 11
    # providers × 45 figures would cost tens of milliseconds appended one value at a time.
    for slug, group in groupby(rows, key=itemgetter(0)):
        group = list(group)
        columns = list(zip(*group, strict=True))
        series = {name: list(columns[i + 2]) for i, name in enumerate(fields)}
        newest = max(newest, series["day"][-1]) if newest else series["day"][-1]
        series["day"] = [day.isoformat() for day in series["day"]]
        for rate, (part, whole) in RATES.items():
            series[rate] = [_rate(a, b) for a, b in zip(series[part], series[whole], strict=True)]
        if is_domain:
            placed = [
                i + s + m
                for i, s, m in zip(series["inbox"], series["spam"], series["missing"], strict=True)
            ]
            series["inbox_rate"] = [
                _rate(a, b) for a, b in zip(series["inbox"], placed, strict=True)
            ]
        result[slug] = ProviderSeries(slug, group[0][1], series)
    if newest is not None:
        for (
            slug,
            day,
            reputation,
            deliverability,
            score,
            sentence,
            factors,
            computed,
        ) in model.objects.filter(**{subject: subject_id}, day=newest).values_list(
            "provider__slug",
            "day",
            "reputation",
            "deliverability",
            "score",
            "sentence",
            "factors",
            "computed_at",
        ):
            if slug in result:
                result[slug].today = {
                    "day": day.isoformat(),
                    "reputation": reputation,
                    "deliverability": deliverability,
                    "score": score,
                    "sentence": sentence,
                    "factors": factors,
                    "computed_at": computed.isoformat(),
                }
    return list(result.values())


def provider_deliverability(values) -> str:
    """The account's deliverability at one provider over all its subjects: low if any is low,
    high if none is low and one is high (so some factor is positive, none negative)."""
    values = set(values)
    if "low" in values:
        return "low"
    return "high" if "high" in values else "medium"


def account_overview(*, account: Account, today: date) -> dict:
    """Today's verdicts per domain and per IP and provider (yesterday's where today's is not
    computed yet): two queries."""
    columns = ("provider__slug", "provider__name", "day", "reputation", "deliverability", "score")
    per_provider: dict[str, list[str]] = defaultdict(list)
    names: dict[str, str] = {}
    subjects = {"domains": {}, "ips": {}}
    for key, queryset, subject in (
        (
            "domains",
            DomainSnapshot.objects.for_account(account).values_list(
                "domain_id", "domain__name", *columns, "sentence"
            ),
            "domain",
        ),
        (
            "ips",
            IpSnapshot.objects.for_account(account).values_list(
                "ip_id", "ip__address", *columns, "sentence"
            ),
            "ip",
        ),
    ):
        rows = queryset.filter(day__gte=today - timedelta(days=1), day__lte=today).order_by(
            "provider__position", "provider__name", "day"
        )
        for pk, label, slug, pname, day, reputation, deliverability, score, sentence in rows:
            entry = subjects[key].setdefault(
                pk, {"id": pk, ("name" if subject == "domain" else "address"): label, "p": {}}
            )
            # Ordered by day: today's row replaces yesterday's.
            entry["p"][slug] = {
                "provider": slug,
                "day": day.isoformat(),
                "reputation": reputation,
                "deliverability": deliverability,
                "score": score,
                "sentence": sentence,
            }
            names[slug] = pname
    for key in subjects:
        for entry in subjects[key].values():
            for verdict in entry["p"].values():
                per_provider[verdict["provider"]].append(verdict["deliverability"])
    return {
        "day": today.isoformat(),
        "providers": [
            {"provider": slug, "name": names[slug], "deliverability": provider_deliverability(v)}
            for slug, v in per_provider.items()
        ],
        "domains": sorted(
            (
                {"id": e["id"], "name": e["name"], "providers": list(e["p"].values())}
                for e in subjects["domains"].values()
            ),
            key=lambda e: e["name"],
        ),
        "ips": sorted(
            (
                {"id": e["id"], "address": e["address"], "providers": list(e["p"].values())}
                for e in subjects["ips"].values()
            ),
            key=lambda e: e["address"],
        ),
    }


def feed_connection_list() -> QuerySet[FeedConnection]:
    return FeedConnection.objects.select_related("account").prefetch_related(
        "postmaster_domains__domain"
    )


def webhook_endpoint_list() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.select_related("account").order_by("created_at", "pk")


def webhook_delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-pk")


def notification_event_list() -> QuerySet[NotificationEvent]:
    return NotificationEvent.objects.order_by("-occurred_at", "-pk")


__all__ = ["MAX_DAYS", "account_overview", "domain_for", "ip_for", "subject_reputation"]
