"""The fast back-off within the day, as a rule: when a pair's push-back replies in one clock
hour (UTC) reach its profile's `suspend_after`, routing stops using it at that provider for a
cooling period that depends on what the replies said — the most frequent kind; ties go to the
more serious:

- throttled → THROTTLED_FOR (2 hours): the provider asked us to slow down;
- blocked → BLOCKED_FOR (24 hours): it refused mail for reputation or policy;
- blocklisted → until the next clean blocklist check (BLOCKLISTED_MAX is only a backstop for an
  IP nobody checks any more).

ips.services.suspensions applies it to event ingestion; the simulator applies it hour by hour.
"""

from __future__ import annotations

from datetime import datetime, timedelta

THROTTLED_FOR = timedelta(hours=2)
BLOCKED_FOR = timedelta(hours=24)
BLOCKLISTED_MAX = timedelta(days=30)
KINDS = ("blocklisted", "blocked", "throttled")  # most serious first


def suspension_kind(counts: dict[str, int]) -> str:
    """The kind of a burst: the most frequent; ties go to the more serious."""
    return max(KINDS, key=lambda k: (counts[k], -KINDS.index(k)))


def suspended_until(kind: str, now: datetime) -> datetime:
    if kind == "throttled":
        return now + THROTTLED_FOR
    if kind == "blocked":
        return now + BLOCKED_FOR
    return now + BLOCKLISTED_MAX


def trips(counts: dict[str, int], *, limit: int) -> bool:
    """Do an hour's counts (throttled, blocked, blocklisted) reach the suspension limit?"""
    return sum(counts.values()) >= limit


def suspension(counts: dict[str, int], *, limit: int, now: datetime) -> tuple[str, datetime] | None:
    """(kind, until) when an hour's counts trip the limit; None otherwise."""
    if not trips(counts, limit=limit):
        return None
    kind = suspension_kind(counts)
    return kind, suspended_until(kind, now)
