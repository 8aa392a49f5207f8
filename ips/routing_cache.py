"""Routing's per-process cache of each account's configuration (pools, IPs, warm-up stages).

It only decides which (IP, provider) rows routing *tries*, and in which order: every fact that
must hold at once (caps, pace, suspensions, pauses, readiness, pool membership) is re-checked by
routing's claim statement. Entries live WARMUP_ROUTING_CACHE_SECONDS (ips.services.routing).

Services that change pools, IPs, pins, stages or suspensions call `routing_cache_clear`, the one
way to drop entries. It drops them **after the surrounding transaction commits** (at once outside
a transaction): dropped earlier, a concurrent request of this process could re-read the old rows
before the commit and cache them again. Other processes follow within the cache's seconds.
"""

from __future__ import annotations

import threading
from datetime import datetime

from django.db import transaction

MAX_CACHED_ACCOUNTS = 10_000

_entries: dict[int | None, object] = {}
# sender domain → (the account that verified it, None if nobody; when that was read)
_owners: dict[str, tuple[int | None, datetime]] = {}
_lock = threading.Lock()


def cached(account_id: int | None) -> object | None:
    return _entries.get(account_id)


def keep(account_id: int | None, config: object) -> None:
    with _lock:
        if len(_entries) >= MAX_CACHED_ACCOUNTS:
            _entries.clear()  # crude, and rare: entries live seconds anyway
        _entries[account_id] = config


def sender_owner(sender_domain: str) -> tuple[int | None, datetime] | None:
    return _owners.get(sender_domain)


def keep_sender_owner(sender_domain: str, account_id: int | None, now: datetime) -> None:
    with _lock:
        if len(_owners) >= MAX_CACHED_ACCOUNTS:
            _owners.clear()
        _owners[sender_domain] = (account_id, now)


def routing_cache_clear(*, account_id: int | None = None) -> None:
    """Forget one account's cached configuration, or every account's (a shared pool concerns
    them all), once the current transaction commits."""
    transaction.on_commit(lambda: forget(account_id=account_id))


def forget(*, account_id: int | None = None) -> None:
    """Drop entries now. Services use `routing_cache_clear`; this is for tests and for callers
    that hold no transaction by construction."""
    with _lock:
        if account_id is None:
            _entries.clear()
            _owners.clear()
        else:
            _entries.pop(account_id, None)
