"""What a snapshot row holds, the run's summary, and the helpers the job and the day share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.conf import settings

from reputation import sources
from reputation.verdict import Thresholds

COUNTS = (
    "offered",
    "delivered",
    "deferred",
    "bounced",
    "hard_bounced",
    "throttled",
    "blocked",
    "blocklisted",
    "complaints",
)
SEEDS = ("sent", "inbox", "spam", "missing")
ACTIONS = ("rescued", "read", "flagged", "replied")
PM_RATES = ("spam_rate", "spf_rate", "dkim_rate", "dmarc_rate", "delivery_error_rate", "tls_rate")
GOOGLE, MICROSOFT = "google", "microsoft"

_COMMON = [
    ("provider_id", "bigint"),
    ("day", "date"),
    *[(name, "integer") for name in COUNTS],
    ("warmup_state", "text"),
    ("reputation", "text"),
    ("deliverability", "text"),
    ("score", "integer"),
    ("factors", "jsonb"),
    ("sentence", "text"),
    ("computed_at", "timestamptz"),
]
DOMAIN_COLUMNS = [
    ("domain_id", "bigint"),
    *_COMMON,
    *[(name, "integer") for name in SEEDS + ACTIONS],
    ("domain_status", "text"),
    *[(f"pm_{name}", "double precision") for name in PM_RATES],
    ("pm_compliance", "text"),
]
IP_COLUMNS = [
    ("ip_id", "bigint"),
    *_COMMON,
    ("warmup_stage", "integer"),
    ("cap", "integer"),
    ("used", "integer"),
    ("suspended", "boolean"),
    ("dnsbl_listings", "jsonb"),
    ("ptr", "text"),
    ("fcrdns", "text"),
    ("snds_filter", "text"),
    ("snds_complaint_rate", "double precision"),
    ("snds_trap_hits", "integer"),
    ("snds_rcpt", "integer"),
    ("snds_data", "integer"),
    ("snds_blocked", "boolean"),
]


@dataclass
class RunSummary:
    days: list[date] = field(default_factory=list)
    final: list[date] = field(default_factory=list)
    domains: int = 0
    ips: int = 0
    events: int = 0
    busy: date | None = None

    def sentence(self) -> str:
        if not self.days:
            text = "no day to compute"
        else:
            text = (
                f"computed {len(self.days)} days ({self.days[0]} to {self.days[-1]}, "
                f"{len(self.final)} final): {self.domains} domain and {self.ips} IP snapshots, "
                f"{self.events} verdict changes"
            )
        if self.busy:
            text += f"; {self.busy} is being computed by another worker"
        return text


def period_words(first: date, last: date) -> str:
    """The verdict's window in words: "on 12 Mar", "on 11–12 Mar", "on 31 Mar–1 Apr"."""
    if first == last:
        return f"on {last.day} {last:%b}"
    if first.month == last.month:
        return f"on {first.day}–{last.day} {last:%b}"
    return f"on {first.day} {first:%b}–{last.day} {last:%b}"


def thresholds_by_provider() -> dict[int, Thresholds]:
    """The rule's thresholds per provider: the settings, with each provider's warm-up profile
    for complaints and hard bounces unless the settings name them explicitly."""
    explicit = settings.WARMUP_REPUTATION_THRESHOLDS
    base = Thresholds.from_mapping(explicit)
    result = {}
    for provider_id, (complaint, hard_bounce) in sources.provider_limits().items():
        result[provider_id] = base.with_values(
            complaint_rate=None if "complaint_rate" in explicit else complaint,
            hard_bounce_rate=None if "hard_bounce_rate" in explicit else hard_bounce,
        )
    return result


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def with_offered(counts: dict) -> dict:
    """The counters with `offered`: what the providers were offered (delivered, deferred or
    bounced)."""
    counts["offered"] = (
        counts.get("delivered", 0) + counts.get("deferred", 0) + counts.get("bounced", 0)
    )
    return counts


def delivery_figures(window: dict) -> dict:
    """The verdict's delivery figures (Figures' counter fields) from a window's counters."""
    return {name: window.get(name, 0) for name in COUNTS}
