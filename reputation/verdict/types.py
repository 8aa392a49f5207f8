"""The verdict's vocabulary: thresholds, figures, factors, the verdict, and the words."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields

POSITIVE, NEUTRAL, NEGATIVE = "positive", "neutral", "negative"
HIGH, MEDIUM, LOW = "high", "medium", "low"
REPUTATION, DELIVERY = "reputation", "delivery"
DOMAIN, IP = "domain", "ip"
EFFECTS = (POSITIVE, NEUTRAL, NEGATIVE)
BASE_SCORE = 50


@dataclass(frozen=True)
class Thresholds:
    """Every threshold of the rule. Defaults come from the providers' sender guidelines (Google
    and Yahoo ask for a spam-complaint rate below 0.3% and recommend below 0.1%) and from the
    warm-up profiles; operators override them with WARMUP_REPUTATION_THRESHOLDS, and the
    snapshot job takes `complaint_rate` and `hard_bounce_rate` from each provider's warm-up
    profile."""

    min_volume: int = 100  # messages offered in the window before delivery rates count
    min_placements: int = 5  # seed placements in the window before seed rates count
    complaint_rate: float = 0.003  # complaints / delivered above this: negative
    hard_bounce_rate: float = 0.05  # hard bounces / offered above this: negative
    blocked_rate: float = 0.02  # blocking and blocklist replies / offered above this: negative
    throttled_rate: float = 0.05  # throttling replies / offered above this: negative
    delivered_rate: float = 0.98  # delivered / offered at least this, nothing pushed back: positive
    seed_inbox_rate: float = 0.9  # seed placements in the inbox at least this: positive
    seed_spam_rate: float = 0.3  # seed placements in spam above this: negative
    seed_missing_rate: float = 0.2  # seed messages never found above this: negative
    postmaster_spam_rate: float = 0.003  # Postmaster spam rate at least this: negative
    postmaster_spam_low: float = 0.001  # below this (with data): positive; between: neutral
    auth_rate: float = 0.95  # Postmaster SPF/DKIM/DMARC success below this: negative

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> Thresholds:
        """Thresholds with `values` over the defaults; a ValueError names a bad key or value."""
        known = {f.name: f.type for f in fields(cls)}
        parsed: dict[str, float | int] = {}
        for key, raw in values.items():
            if key not in known:
                raise ValueError(f"unknown reputation threshold {key!r} (known: {sorted(known)})")
            try:
                number = float(raw)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise ValueError(
                    f"reputation threshold {key} must be a number, not {raw!r}"
                ) from None
            if number < 0:
                raise ValueError(f"reputation threshold {key} cannot be negative ({number})")
            parsed[key] = int(number) if key.startswith("min_") else number
        return cls(**parsed)

    def with_values(self, **values: float) -> Thresholds:
        current = {f.name: getattr(self, f.name) for f in fields(self)}
        current.update({k: v for k, v in values.items() if v is not None})
        return Thresholds(**current)


@dataclass(frozen=True)
class Figures:
    """What is known about one subject at one provider over the verdict's window."""

    kind: str  # DOMAIN or IP
    provider: str  # the provider's name, for sentences ("Gmail")
    period: str  # the window in words, for sentences ("on 11–12 Mar")
    # Delivery events (offered = delivered + deferred + bounced).
    offered: int = 0
    delivered: int = 0
    deferred: int = 0
    bounced: int = 0
    hard_bounced: int = 0
    throttled: int = 0
    blocked: int = 0
    blocklisted: int = 0
    complaints: int = 0
    # Seed placements (domains).
    inbox: int = 0
    spam: int = 0
    missing: int = 0
    # Warm-up: an IP's state at the provider (ips.IpWarmup.State), a domain plan's state.
    warmup_state: str = ""
    suspended: bool = False
    # Readiness checks (IPs): the blocklist zones that list it, PTR and forward confirmation.
    dnsbl_listings: tuple[str, ...] = ()
    ptr: str = ""  # pass, fail or "" (not checked)
    fcrdns: str = ""
    # The domain's own verification status (pending, verified, failed).
    domain_status: str = ""
    # Microsoft SNDS (IPs).
    snds_filter: str = ""  # GREEN, YELLOW, RED or ""
    snds_complaint_rate: float | None = None
    snds_trap_hits: int | None = None
    snds_blocked: bool = False
    # Google Postmaster Tools v2 (domains).
    pm_spam_rate: float | None = None
    pm_spf_rate: float | None = None
    pm_dkim_rate: float | None = None
    pm_dmarc_rate: float | None = None
    pm_compliance: str = ""  # compliant, needs_work or ""
    pm_compliance_failing: tuple[str, ...] = ()

    @property
    def placed(self) -> int:
        return self.inbox + self.spam + self.missing


@dataclass(frozen=True)
class Factor:
    code: str
    effect: str
    scope: str
    weight: int
    value: float | int | str | None
    threshold: float | int | None
    sentence: str

    def as_json(self) -> dict:
        return {
            "code": self.code,
            "effect": self.effect,
            "scope": self.scope,
            "weight": self.weight,
            "value": self.value,
            "threshold": self.threshold,
            "sentence": self.sentence,
        }


@dataclass(frozen=True)
class Verdict:
    reputation: str
    deliverability: str
    score: int
    factors: tuple[Factor, ...] = field(default=())
    sentence: str = ""


# --- words ---------------------------------------------------------------------------------------


def pct(rate: float) -> str:
    """0.004 → "0.4%", 0.93 → "93%", 0.0005 → "0.05%": as few digits as say it."""
    value = rate * 100
    if value >= 10:
        text = f"{value:.0f}"
    elif value >= 1:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def factor_of(code, effect, scope, weight, value, threshold, sentence) -> Factor:
    rounded = round(value, 6) if isinstance(value, float) else value
    return Factor(code, effect, scope, weight, rounded, threshold, f"{effect}: {sentence}")


def rate_of(part: int, whole: int) -> float:
    return part / whole if whole else 0.0
