"""Seed connections kept open between sweeps, per process.

The sweep runs every few minutes; logging in again each time costs a round trip or two per
seed (LOGIN, and CAPABILITY where the server does not announce it) and, at providers that
throttle logins, goodwill. A connection that ended a sweep healthy is kept here for
WARMUP_IMAP_KEEP_SECONDS (0 switches keeping off) and handed to the next sweep of the same seed
in this process. Servers may drop idle connections earlier (RFC 3501 allows 30 minutes): the
client then reconnects once, transparently, on its first command.

A kept connection holds its host slot (engagement/seedclient/limits.py): when a new connection
finds every slot of a host taken, an idle connection to that host is closed first — the one
returned *last*. A sweep visits seeds in turn, so with more seeds at a host than slots, closing
the oldest would close each connection just before its seed's turn comes round again, and none
would ever be reused; closing the newest keeps the others for their next sweep.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings

from engagement.seedclient.base import SeedEndpoint

_lock = threading.Lock()
_idle: dict[tuple, tuple[object, float]] = {}  # key → (client, when it was returned)


def _key(endpoint: SeedEndpoint) -> tuple:
    return (
        endpoint.address.lower(),
        endpoint.imap_host.lower(),
        endpoint.imap_port,
        endpoint.username,
        endpoint.auth,
    )


def checkout(endpoint: SeedEndpoint):
    """A kept connection of this seed, or None."""
    keep = settings.WARMUP_IMAP_KEEP_SECONDS
    with _lock:
        entry = _idle.pop(_key(endpoint), None)
    if entry is None:
        return None
    client, returned = entry
    if keep <= 0 or time.monotonic() - returned > keep:
        client.close()
        return None
    return client


def checkin(client) -> None:
    """Keep a healthy connection for the next sweep (or close it)."""
    if settings.WARMUP_IMAP_KEEP_SECONDS <= 0 or client.broken:
        client.close()
        return
    with _lock:
        previous = _idle.pop(_key(client.endpoint), None)
        _idle[_key(client.endpoint)] = (client, time.monotonic())
    if previous is not None:
        previous[0].close()


def evict_idle(host: str) -> bool:
    """Close the kept connection to `host` returned last (see above); False when there is
    none."""
    with _lock:
        candidates = [
            (returned, key) for key, (_c, returned) in _idle.items() if key[1] == host.lower()
        ]
        if not candidates:
            return False
        _returned, key = max(candidates)
        client, _ = _idle.pop(key)
    client.close()
    return True


def close_all() -> int:
    """Close every kept connection (tests, shutdown); how many there were."""
    with _lock:
        entries = list(_idle.values())
        _idle.clear()
    for client, _returned in entries:
        client.close()
    return len(entries)
