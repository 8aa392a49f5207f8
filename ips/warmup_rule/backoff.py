"""The fast back-off within the day, as a rule: when a pair's push-back replies in one clock
hour (UTC) reach its profile's `suspend_after`, routing stops using it at that provider for a
cooling period that depends on what the replies said — the most frequent kind; ties go to the
more serious:

- throttled → THROTTLED_FOR (1 hour): the provider asked us to slow down, and its limit is
  per hour;
- blocked → BLOCKED_FOR (24 hours): it refused mail for reputation or policy;
- blocklisted → until the next clean blocklist check (BLOCKLISTED_MAX is only a backstop for an
  IP nobody checks any more).

A burst is at least `suspend_after` replies *and* at least SUSPEND_SHARE of what the provider
answered that hour: at 5,000 messages an hour, twenty deferrals are the provider's noise, and a
provider that defers a part of each hour is rate-limiting (the nightly controller adjusts the
day's cap to what it accepts) — only when it refuses most of the hour is it time to stop.

ips.services.suspensions applies it to event ingestion; the simulator applies it hour by hour.
"""

from __future__ import annotations

from datetime import datetime, timedelta

THROTTLED_FOR = timedelta(hours=1)
BLOCKED_FOR = timedelta(hours=24)
BLOCKLISTED_MAX = timedelta(days=30)
KINDS = ("blocklisted", "blocked", "throttled")  # most serious first
SUSPEND_SHARE = 0.5


def suspension_kind(counts: dict[str, int]) -> str:
    """The kind of a burst: the most frequent; ties go to the more serious."""
    return max(KINDS, key=lambda k: (counts[k], -KINDS.index(k)))


def suspended_until(kind: str, now: datetime) -> datetime:
    if kind == "throttled":
        return now + THROTTLED_FOR
    if kind == "blocked":
        return now + BLOCKED_FOR
    return now + BLOCKLISTED_MAX


def trips(counts: dict[str, int], *, limit: int, delivered: int = 0) -> bool:
    """Do an hour's push-back counts (throttled, blocked, blocklisted) make a burst, given what
    was delivered in the same hour?"""
    pushback = sum(counts.values())
    return pushback >= limit and pushback >= SUSPEND_SHARE * (pushback + delivered)


def suspension(
    counts: dict[str, int], *, limit: int, now: datetime, delivered: int = 0
) -> tuple[str, datetime] | None:
    """(kind, until) when an hour's counts make a burst; None otherwise."""
    if not trips(counts, limit=limit, delivered=delivered):
        return None
    kind = suspension_kind(counts)
    return kind, suspended_until(kind, now)
