"""An in-memory snapshot of the provider registry, for classifying many domains fast.

Loaded from the database at most every REGISTRY_TTL seconds per process (and at once in the
process that edits a provider). A provider edit reaching other processes a minute later only
delays a reclassification; no cap, counter or decision depends on this snapshot being fresh.
"""

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from providers.models import OTHER, MailboxProvider

REGISTRY_TTL = 60.0

_lock = threading.Lock()
_cached: tuple[float, "Registry"] | None = None


@dataclass(frozen=True)
class Registry:
    names: dict[str, str]  # slug → display name, in display order
    consumer: dict[str, str]  # consumer domain → slug
    suffixes: dict[str, str]  # MX suffix without its leading dot → slug

    def provider_for_host(self, host: str) -> str | None:
        """The provider whose MX suffix matches `host` (the longest suffix wins)."""
        labels = host.split(".")
        for start in range(len(labels) - 1):
            slug = self.suffixes.get(".".join(labels[start:]))
            if slug is not None:
                return slug
        return None

    def provider_for_mx(self, hosts) -> str:
        """A provider only when every MX host is that provider's; a mixed set is `other`."""
        found = {self.provider_for_host(host) for host in hosts}
        if len(found) == 1:
            (slug,) = found
            if slug is not None:
                return slug
        return OTHER


def load() -> Registry:
    names, consumer, suffixes = {}, {}, {}
    for slug, name, domains, mx in MailboxProvider.objects.order_by("position", "name").values_list(
        "slug", "name", "consumer_domains", "mx_suffixes"
    ):
        names[slug] = name
        for domain in domains:
            consumer[domain] = slug
        for suffix in mx:
            suffixes[suffix.lstrip(".")] = slug
    names.setdefault(OTHER, "Other")
    return Registry(names=names, consumer=consumer, suffixes=suffixes)


def get_registry() -> Registry:
    global _cached
    now = time.monotonic()
    cached = _cached
    if cached is not None and now - cached[0] < REGISTRY_TTL:
        return cached[1]
    with _lock:
        registry = load()
        _cached = (now, registry)
    return registry


def invalidate() -> None:
    global _cached
    _cached = None
    _mx.clear()


# MX sets of recipient domains read from the cache table (RecipientDomain), kept per process
# for at most REGISTRY_TTL and never past the row's own expiry. The routing API classifies the
# domains of every request: without this, a company domain cost a query on every request — as
# much as the routing claim itself. Like the snapshot above, an operator's edit of a cached
# row reaches other processes within a minute; the provider is still derived on read, so a
# registry edit applies with the snapshot.
_mx: dict[str, tuple[datetime, str, tuple[str, ...]]] = {}
_MX_MAX_ENTRIES = 100_000


def mx_remembered(domain: str, now: datetime) -> tuple[str, tuple[str, ...]] | None:
    """(source, mx_hosts) of a domain read from the cache table recently, or None."""
    entry = _mx.get(domain)
    if entry is None or entry[0] <= now:
        return None
    return entry[1], entry[2]


def mx_remember(domain: str, source: str, hosts, *, expires_at: datetime, now: datetime) -> None:
    if len(_mx) >= _MX_MAX_ENTRIES:
        _mx.clear()
    _mx[domain] = (min(expires_at, now + timedelta(seconds=REGISTRY_TTL)), source, tuple(hosts))
