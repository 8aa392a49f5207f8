"""Classification of recipient domains into mailbox providers, and edits of the registry.

A domain is classified by, in order:

1. the registry's consumer domains (gmail.com → google), no DNS needed;
2. its MX set, cached in `RecipientDomain` for the DNS TTL clamped to 1 hour … 7 days: the
   domain belongs to a provider only when **every** MX host matches that provider's suffixes;
3. a fresh MX lookup through warmup_site.dns when the cache has nothing fresh.

NXDOMAIN, no MX records and a null MX (RFC 7505 "MX 0 .") are facts: cached for NEGATIVE_TTL
as `other`. A temporary DNS failure is not a fact: the domain is `other` for this answer only and
nothing is cached, so the next request looks again.
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from providers import registry as registry_module
from providers.models import OTHER, MailboxProvider, RecipientDomain
from warmup_site import db, dns
from warmup_site.errors import ApplicationError
from warmup_site.hostnames import normalise_domain
from warmup_site.jobs import due_batches

MIN_TTL = timedelta(hours=1)
MAX_TTL = timedelta(days=7)
NEGATIVE_TTL = timedelta(minutes=15)
# While the refresh job re-resolves an expired row, other workers leave it alone this long.
REFRESH_LEASE = timedelta(minutes=10)
# A row the refresh job could not re-resolve (temporary failure) keeps its last known MX set
# and is tried again after this long.
REFRESH_RETRY = timedelta(hours=1)
# Rows read or written per query; far below SQLite's limit on query parameters.
CHUNK = 2000


class Source:
    KNOWN_DOMAIN = "known_domain"
    MX = RecipientDomain.Source.MX.value
    NO_MX = RecipientDomain.Source.NO_MX.value
    DNS_ERROR = "dns_error"
    INVALID = "invalid"


@dataclass(frozen=True)
class Classification:
    domain: str
    provider: str
    source: str
    mx_hosts: tuple[str, ...] = ()
    detail: str = ""


def _ttl(seconds: int | None) -> timedelta:
    return min(max(timedelta(seconds=seconds or 0), MIN_TTL), MAX_TTL)


def _from_lookup(result: dns.Result, now: datetime) -> tuple[str, list, datetime, str]:
    """(source, mx_hosts, expires_at, detail) for a finished MX lookup that is a fact."""
    if result.ok:
        hosts = sorted({host for _pref, host in result.records if host})
        if hosts:
            return Source.MX, hosts, now + _ttl(result.ttl), ""
        return Source.NO_MX, [], now + NEGATIVE_TTL, "null MX: the domain accepts no mail"
    return Source.NO_MX, [], now + NEGATIVE_TTL, result.describe()


def domains_classify(*, domains: Iterable[str]) -> dict[str, Classification]:
    """Classify normalised (A-label, lower-case) domains. Returns {domain: Classification}."""
    registry = registry_module.get_registry()
    now = timezone.now()
    results: dict[str, Classification] = {}
    unknown: list[str] = []
    for domain in dict.fromkeys(domains):
        slug = registry.consumer.get(domain)
        if slug is not None:
            results[domain] = Classification(domain, slug, Source.KNOWN_DOMAIN)
        else:
            unknown.append(domain)

    unread = []
    for domain in unknown:
        remembered = registry_module.mx_remembered(domain, now)
        if remembered is None:
            unread.append(domain)
            continue
        source, hosts = remembered
        provider = registry.provider_for_mx(hosts) if hosts else OTHER
        results[domain] = Classification(domain, provider, source, hosts)
    for start in range(0, len(unread), CHUNK):
        for domain, source, hosts, expires_at in _cached_rows(unread[start : start + CHUNK], now):
            registry_module.mx_remember(domain, source, hosts, expires_at=expires_at, now=now)
            provider = registry.provider_for_mx(hosts) if hosts else OTHER
            results[domain] = Classification(domain, provider, source, tuple(hosts))

    misses = [domain for domain in unknown if domain not in results]
    if not misses:
        return results
    facts = []
    for domain, result in zip(misses, dns.lookup_many((d, "MX") for d in misses), strict=True):
        if result.tempfail:
            results[domain] = Classification(
                domain, OTHER, Source.DNS_ERROR, detail=result.describe()
            )
            continue
        source, hosts, expires_at, detail = _from_lookup(result, now)
        provider = registry.provider_for_mx(hosts) if hosts else OTHER
        results[domain] = Classification(domain, provider, source, tuple(hosts), detail)
        facts.append(
            RecipientDomain(
                domain=domain, source=source, mx_hosts=hosts, checked_at=now, expires_at=expires_at
            )
        )
    _upsert(facts)
    for fact in facts:
        registry_module.mx_remember(
            fact.domain, fact.source, fact.mx_hosts, expires_at=fact.expires_at, now=now
        )
    return results


def _cached_rows(domains: list[str], now: datetime) -> list[tuple[str, str, list, datetime]]:
    """(domain, source, mx_hosts, expires_at) of the fresh cache rows of these domains, in one
    query.

    The routing API classifies a few domains per request, so this runs for most requests: it
    is a prepared statement on PostgreSQL (warmup_site/db.py), where compiling the equivalent
    ORM query cost more than running it.
    """
    quote = connection.ops.quote_name
    table = quote(RecipientDomain._meta.db_table)
    params: dict = {"now": connection.ops.adapt_datetimefield_value(now)}
    select = (
        f"SELECT domain, source, mx_hosts, expires_at FROM {table} "
        "WHERE expires_at > %(now)s AND domain "
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            params["domains"] = domains
            result = db.execute(
                cursor, select + "= ANY(%(domains)s)", params, name="warmup_recipient_domains_2"
            )
        else:
            names = []
            for index, domain in enumerate(domains):
                params[f"d{index}"] = domain
                names.append(f"%(d{index})s")
            cursor.execute(select + f"IN ({', '.join(names)})", params)
            result = cursor
        rows = result.fetchall()
    # mx_hosts is JSON: text from the driver, decoded here as JSONField would; expires_at as
    # the ORM would convert it (SQLite returns text).
    field = RecipientDomain._meta.get_field("expires_at")
    col = field.get_col(RecipientDomain._meta.db_table)
    converters = connection.ops.get_db_converters(col)
    result = []
    for domain, source, hosts, expires_at in rows:
        for converter in converters:
            expires_at = converter(expires_at, col, connection)
        result.append(
            (domain, source, json.loads(hosts) if isinstance(hosts, str) else hosts, expires_at)
        )
    return result


def _upsert(rows: Sequence[RecipientDomain]) -> None:
    # Two requests may classify the same new domain at once: the unique domain makes the second
    # insert an update instead of an IntegrityError.
    for start in range(0, len(rows), CHUNK):
        RecipientDomain.objects.bulk_create(
            rows[start : start + CHUNK],
            update_conflicts=True,
            unique_fields=["domain"],
            update_fields=["source", "mx_hosts", "checked_at", "expires_at"],
        )


def domain_classify_inputs(*, values: Sequence[str]) -> list[Classification]:
    """Classify what a user typed: normalise, fold duplicates (first occurrence wins the order).

    Raises ValueError("<index>: <reason>") for the first invalid value, so a rejected request
    names the item.
    """
    normalised = []
    for index, value in enumerate(values):
        try:
            normalised.append(normalise_domain(value))
        except ValueError as exc:
            raise ValueError(f"{index}: {value!r} {exc}") from None
    unique = list(dict.fromkeys(normalised))
    classified = domains_classify(domains=unique)
    return [classified[domain] for domain in unique]


def addresses_provider(*, addresses: Sequence[str]) -> list[str]:
    """The provider slug of each recipient address, in order: the routing hot path.

    Each distinct domain is normalised and classified once; per address the work is one split
    and one dictionary lookup (both loops run in C: a comprehension and map()). Addresses whose
    domain is invalid are `other`.
    """
    raw_domains = [address.rpartition("@")[2] for address in addresses]
    normal: dict[str, str | None] = {}
    for raw in set(raw_domains):
        try:
            normal[raw] = normalise_domain(raw)
        except ValueError:
            normal[raw] = None
    classified = domains_classify(domains=[d for d in normal.values() if d is not None])
    by_raw = {
        raw: classified[domain].provider if domain is not None else OTHER
        for raw, domain in normal.items()
    }
    return list(map(by_raw.__getitem__, raw_domains))


@dataclass
class RefreshSummary:
    """What one run of the daily re-resolution did (the task's one-line summary)."""

    refreshed: int = 0
    unchanged_on_dns_error: int = 0
    batches: int = 0

    def sentence(self) -> str:
        return (
            f"re-resolved {self.refreshed} expired recipient domains in {self.batches} "
            f"batches; {self.unchanged_on_dns_error} kept their MX set after a DNS failure"
        )


def classifications_refresh(*, batch_size: int = CHUNK, max_batches: int = 50) -> RefreshSummary:
    """Re-resolve expired cache rows in bulk (the daily job). Safe to run on several workers.

    Batches are claimed with warmup_site.jobs.due_batches (a lease of REFRESH_LEASE on the
    expiry); the lookups run outside any transaction.
    """
    summary = RefreshSummary()
    for batch in due_batches(
        RecipientDomain.objects.all(),
        due_field="expires_at",
        lease=REFRESH_LEASE,
        batch_size=batch_size,
        max_batches=max_batches,
        key="domain",
    ):
        now = timezone.now()
        summary.batches += 1
        facts, retry = [], []
        for domain, result in zip(batch, dns.lookup_many((d, "MX") for d in batch), strict=True):
            if result.tempfail:
                retry.append(domain)
                continue
            source, hosts, expires_at, _detail = _from_lookup(result, now)
            facts.append(
                RecipientDomain(
                    domain=domain,
                    source=source,
                    mx_hosts=hosts,
                    checked_at=now,
                    expires_at=expires_at,
                )
            )
        _upsert(facts)
        if retry:
            RecipientDomain.objects.filter(domain__in=retry).update(expires_at=now + REFRESH_RETRY)
        summary.refreshed += len(facts)
        summary.unchanged_on_dns_error += len(retry)
    return summary


# --- registry edits ---------------------------------------------------------------------------


def normalise_suffix(value: str) -> str:
    """`Google.com` / `.google.com.` → `.google.com` (ValueError with a reason if invalid)."""
    return "." + normalise_domain(value.strip().lstrip("."))


def provider_registry_validate(
    *, provider: MailboxProvider, consumer_domains: list[str], mx_suffixes: list[str]
) -> tuple[list[str], list[str]]:
    """Normalise the lists and refuse a domain or suffix that another provider already claims.

    Raises ApplicationError naming the field and the other provider.
    """
    domains, suffixes = [], []
    for value in consumer_domains:
        try:
            domains.append(normalise_domain(value))
        except ValueError as exc:
            raise ApplicationError(f"{value!r} {exc}.", field="consumer_domains") from None
    for value in mx_suffixes:
        try:
            suffixes.append(normalise_suffix(value))
        except ValueError as exc:
            raise ApplicationError(f"{value!r} {exc}.", field="mx_suffixes") from None
    others = MailboxProvider.objects.exclude(pk=provider.pk).values_list(
        "name", "consumer_domains", "mx_suffixes"
    )
    for name, other_domains, other_suffixes in others:
        clash = set(domains) & set(other_domains)
        if clash:
            raise ApplicationError(
                f"{sorted(clash)[0]} is already a consumer domain of {name}.",
                field="consumer_domains",
            )
        clash = set(suffixes) & set(other_suffixes)
        if clash:
            raise ApplicationError(
                f"{sorted(clash)[0]} is already an MX suffix of {name}.", field="mx_suffixes"
            )
    return list(dict.fromkeys(domains)), list(dict.fromkeys(suffixes))


def provider_save(*, provider: MailboxProvider) -> MailboxProvider:
    """Save an operator's edit of a provider (its consumer domains, MX suffixes, name…)."""
    provider.save()
    _registry_changed()
    return provider


def providers_delete(*, providers) -> int:
    """Delete providers (never `other`, the fallback every unmatched domain lands in)."""
    deleted, _ = providers.exclude(slug=OTHER).delete()
    _registry_changed()
    return deleted


def _registry_changed() -> None:
    # This process reclassifies at once, and again after the commit (a concurrent request may
    # have cached the old registry in between); other processes within the registry's minute.
    transaction.on_commit(registry_module.invalidate)
    registry_module.invalidate()
