"""The routing decision: which IP each recipient's message leaves from, exactly within caps.

For each recipient: its provider (providers.services.addresses_provider), then the first IP
that may still send to that provider, in this order:

1. a *warming* IP of the account's pool (the sender domain's pinned pool, else the account's
   default pool), under today's cap and under the pace for this hour; warming IPs take the most
   engaged recipients first and never those engaged longer ago than their stage allows;
2. a *warm* IP of that pool, within its post-warm-up growth allowance;
3. the pool's overflow pool;
4. the shared pool.

`reason` says which: warming, warm, overflow (an account pool reached by overflow), shared (a
shared pool's IP), or no_route with a sentence in `detail`. Nothing ever waits.

Exactness. A cap lives in the day row of its (IP, provider) — `IpWarmupDay.cap` — and routing
changes `routed` only with one conditional UPDATE per (IP, provider) group that grants
min(wanted, allowance - routed) and reports the grant through RETURNING. The same statement
checks, as of that moment, that the IP may send at all: the warm-up is in a routable state and
not suspended, the IP is routable, has not failed its readiness checks and is still in the
pool routing picked it from. Each statement commits on its own (no transaction spans a
request), so a row lock is held for one statement and requests never wait on each other in a
cycle. The database refuses routed > cap with a check constraint as well.

The configuration — which pools an account routes through, their IPs and warm-up stages — is
read in one statement and kept per process for WARMUP_ROUTING_CACHE_SECONDS (default 5): it
only decides which rows to *try*, in which order; every fact that must hold at once (caps, the
pace, suspensions, pauses, readiness, pool membership) is checked by the claim itself. A new
IP, pool or pin is therefore used within seconds; a suspension or a cut cap applies to the
next claim. Database work per request: one claim per (IP, provider) group used, plus, when the
cache is cold, one statement for the configuration, one for the domain's pin and, on the first
request of a day, one to open that day's rows — never one per recipient.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from domains.selectors import verified_domain_owners
from ips import routing_cache, warmup_rule
from ips.models import (
    IpWarmup,
    utc_day,
)
from ips.services.routing_sql import SENDER_SLOTS, statements
from ips.types import ROUTING_PHASE, WARM, WARMING, Recipient, Route, RouteReason
from providers import registry
from providers.services import addresses_provider
from warmup_site import db
from warmup_site.errors import ApplicationError
from warmup_site.hostnames import domain_and_parents

OVERFLOW, SHARED, NO_ROUTE = RouteReason.OVERFLOW, RouteReason.SHARED, RouteReason.NO_ROUTE
PHASE_STATES = {
    phase: tuple(state for state, p in ROUTING_PHASE.items() if p == phase)
    for phase in (WARMING, WARM)
}


@dataclass(slots=True)
class Candidate:
    """One (IP, provider) routing may claim from, as last read."""

    warmup_id: int
    address: str
    pool_id: int
    provider: str
    phase: str  # "warming" or "warm"
    cooling: bool
    stage: int
    daily_cap: int
    cap: int | None  # today's cap; None until the day is opened, and always when uncapped
    routed: int  # as read, plus what this process claimed since
    opened: bool  # today's day row exists
    pacing_hours: int
    floor: int
    engaged_days_start: int
    engaged_days_step: int
    uncapped: bool = False  # a warm IP of a shared pool: counted, never refused
    # The (day, hour) in which a claim found nothing: not tried again until then or a re-read.
    exhausted: tuple[date, int] | None = None

    def engaged_limit(self) -> int:
        return warmup_rule.engaged_days_for_stage(
            start=self.engaged_days_start, step=self.engaged_days_step, stage=self.stage
        )

    def pace(self, hour: int) -> tuple[int, int]:
        """(numerator, denominator) of the share of today's cap open at this UTC hour."""
        return warmup_rule.pace(phase=self.phase, pacing_hours=self.pacing_hours, hour=hour)

    def allowance(self, hour: int) -> int | None:
        if self.cap is None:  # not opened yet, or uncapped
            return None
        return warmup_rule.allowance(self.cap, *self.pace(hour))


@dataclass(frozen=True, slots=True)
class PoolRef:
    id: int
    name: str
    account_id: int | None
    is_default: bool
    overflow_pool_id: int | None


@dataclass
class Config:
    """One account's routing configuration, as read at `read_at` for the UTC day `today`."""

    read_at: datetime
    today: date
    pools: list[PoolRef]
    # (pool id, provider slug, phase) → candidates, least used first
    candidates: dict[tuple[int, str, str], list[Candidate]]
    # sender domain → (is it the account's domain or under one, the pool it is pinned to)
    senders: dict[str, tuple[bool, int | None]] = field(default_factory=dict)


# --- the configuration, cached per process (ips/routing_cache.py) ------------------------------


def _read(cursor, *, account_id: int | None, today: date, now: datetime) -> Config:
    rows = db.execute(
        cursor,
        statements()["read"],
        {"account": account_id, "today": today},
        name="warmup_route_read",
    ).fetchall()
    pools: dict[int, PoolRef] = {}
    candidates: dict[tuple[int, str, str], list[Candidate]] = {}
    default = warmup_rule.DEFAULT_PROFILE
    for r in rows:
        if r[0] not in pools:
            pools[r[0]] = PoolRef(
                id=r[0], name=r[1], account_id=r[2], is_default=bool(r[3]), overflow_pool_id=r[4]
            )
        if r[5] is None:
            continue  # a pool, or an IP, without routable warm-ups
        phase = ROUTING_PHASE[r[8]]
        candidate = Candidate(
            warmup_id=r[5],
            address=r[6],
            pool_id=r[0],
            provider=r[7],
            phase=phase,
            cooling=r[8] == IpWarmup.State.COOLING,
            stage=r[9],
            daily_cap=r[10],
            cap=r[11],
            routed=r[12] or 0,
            opened=r[12] is not None,
            pacing_hours=r[13] if r[13] is not None else default["pacing_hours"],
            floor=r[14] if r[14] is not None else default["floor"],
            engaged_days_start=r[15] if r[15] is not None else default["engaged_days_start"],
            engaged_days_step=r[16] if r[16] is not None else default["engaged_days_step"],
            uncapped=r[2] is None and phase == WARM,
        )
        candidates.setdefault((r[0], candidate.provider, phase), []).append(candidate)
    _open_days(cursor, [c for group in candidates.values() for c in group], today)
    return Config(read_at=now, today=today, pools=list(pools.values()), candidates=candidates)


def _config(
    cursor, *, account_id: int | None, sender_domain: str, today: date, now: datetime
) -> tuple[Config, tuple[bool, int | None]]:
    """The account's configuration (no account: the shared pools only), and whether the sender
    domain is the account's with the pool it is pinned to."""
    ttl = settings.WARMUP_ROUTING_CACHE_SECONDS
    config = routing_cache.cached(account_id) if ttl > 0 else None
    if (
        config is None
        or config.today != today
        or not timedelta(0) <= now - config.read_at < timedelta(seconds=ttl)
    ):
        config = _read(cursor, account_id=account_id, today=today, now=now)
        if ttl > 0:
            routing_cache.keep(account_id, config)
    if sender_domain not in config.senders:
        config.senders[sender_domain] = _sender(cursor, account_id, sender_domain)
    return config, config.senders[sender_domain]


def _sender(cursor, account_id: int | None, sender_domain: str) -> tuple[bool, int | None]:
    """Whether the sender domain (or a domain it lies under) is the account's, and the pool
    the longest such domain is pinned to."""
    if account_id is None:
        return False, None
    names = domain_and_parents(sender_domain)[-SENDER_SLOTS:]
    params: dict = {"account": account_id}
    for index in range(SENDER_SLOTS):
        params[f"d{index}"] = names[min(index, len(names) - 1)]  # padded with a repeat
    pools = dict(
        db.execute(cursor, statements()["sender"], params, name="warmup_route_pin").fetchall()
    )
    if not pools:
        return False, None
    return True, next(pools[name] for name in names if name in pools)


def routing_steps(
    pools: list[PoolRef], account_id: int | None, pinned: int | None = None
) -> list[tuple[PoolRef, str | None]]:
    """The pools to try in order, each with its reason (None: warming/warm by the IP's phase)."""
    by_id = {p.id: p for p in pools}
    own = by_id.get(pinned) if pinned else None
    if own is None:
        own = next((p for p in pools if p.account_id == account_id and p.is_default), None)
    shared = next((p for p in pools if p.account_id is None and p.is_default), None)
    steps: list[tuple[PoolRef, str | None]] = []
    if own is not None:
        steps.append((own, None if own.account_id is not None else SHARED))
        overflow = by_id.get(own.overflow_pool_id) if own.overflow_pool_id else None
        if overflow is not None:
            steps.append((overflow, OVERFLOW if overflow.account_id is not None else SHARED))
    if shared is not None:
        steps.append((shared, SHARED))
    seen, unique = set(), []
    for pool, reason in steps:
        if pool.id not in seen:
            seen.add(pool.id)
            unique.append((pool, reason))
    return unique


def _open_days(cursor, candidates: list[Candidate], today: date) -> None:
    closed = [c for c in candidates if not c.opened or (c.cap is None and not c.uncapped)]
    if not closed:
        return
    values, params = [], []
    for c in sorted(closed, key=lambda c: c.warmup_id):  # one lock order for every request
        if not c.uncapped:
            c.cap = warmup_rule.day_cap(phase=c.phase, daily_cap=c.daily_cap, floor=c.floor)
        c.opened = True
        values.append(statements()["open_row"])
        params.extend((c.warmup_id, today, c.cap))
    # A positional statement: %s placeholders, one row of values per closed day.
    cursor.execute(statements()["open"].format(values=", ".join(values)), params)


def _claim(cursor, c: Candidate, want: int, *, today: date, hour: int, now: datetime) -> int:
    states = PHASE_STATES[c.phase]
    params = {
        "want": want,
        "warmup": c.warmup_id,
        "today": today,
        "state1": states[0],
        "state2": states[-1],
        "now": connection.ops.adapt_datetimefield_value(now),
        "pool": c.pool_id,
    }
    if c.uncapped:
        result = db.execute(cursor, statements()["count"], params, name="warmup_route_count")
    else:
        params["num"], params["den"] = c.pace(hour)
        result = db.execute(cursor, statements()["claim"], params, name="warmup_route_claim")
    row = result.fetchone()
    granted = row[0] if row else 0
    c.routed += granted
    if granted < want:
        # Full for this hour (or no longer routable): skip it until the hour turns or the
        # configuration is read again.
        c.exhausted = (today, hour)
    return granted


# --- the decision ------------------------------------------------------------------------------


def routes_decide(
    *,
    account,
    sender_domain: str,
    recipients: Sequence[Recipient],
    now: datetime | None = None,
    own_domains_only: bool = False,
) -> list[Route]:
    """Route every recipient (see the module docstring) for `account`. `sender_domain` is
    normalised. `own_domains_only` (a customer's own token) refuses a sender domain that is not
    one of the account's, before anything is counted."""
    return _route(
        account_id=account.pk,
        sender_domain=sender_domain,
        recipients=recipients,
        now=now or timezone.now(),
        own_domains_only=own_domains_only,
    )


def routes_decide_for_pipeline(
    *, sender_domain: str, recipients: Sequence[Recipient], now: datetime | None = None
) -> list[Route]:
    """Route for the operators' sending pipeline: the account is the one that verified the
    sender domain (`sender_account_id`); a domain nobody verified goes through the shared pools
    only, never through an account's dedicated IPs."""
    now = now or timezone.now()
    return _route(
        account_id=sender_account_id(sender_domain=sender_domain, now=now),
        sender_domain=sender_domain,
        recipients=recipients,
        now=now,
        own_domains_only=False,
    )


def _route(
    *,
    account_id: int | None,
    sender_domain: str,
    recipients: Sequence[Recipient],
    now: datetime,
    own_domains_only: bool,
) -> list[Route]:
    today = utc_day(now)
    addresses = [r.address for r in recipients]
    slugs = addresses_provider(addresses=addresses)
    groups: dict[str, list[int]] = {}
    for index, slug in enumerate(slugs):
        groups.setdefault(slug, []).append(index)
    with connection.cursor() as cursor:
        config, (owned, pinned) = _config(
            cursor, account_id=account_id, sender_domain=sender_domain, today=today, now=now
        )
        if own_domains_only and not owned:
            raise ApplicationError(
                f"sender_domain: {sender_domain} is not one of this account's domains; add it "
                "under Verified Domains (a subdomain of one of them is fine).",
                field="sender_domain",
            )
        steps = routing_steps(config.pools, account_id, pinned)
        request = _Request(cursor, recipients, addresses, now)
        for slug, indices in groups.items():
            request.route_group(slug, indices, steps, config.candidates)
    return request.routes  # type: ignore[return-value]


class _Request:
    """One request's routing: the recipients, the routes found so far, the UTC day and hour."""

    def __init__(self, cursor, recipients: Sequence[Recipient], addresses: list[str], now):
        self.cursor, self.recipients, self.addresses, self.now = cursor, recipients, addresses, now
        self.today, self.hour = utc_day(now), now.astimezone(UTC).hour
        self.routes: list[Route | None] = [None] * len(recipients)

    def route_group(self, slug: str, indices: list[int], steps, candidates) -> None:
        """Route one provider's recipients through the pools in order, warming IPs first."""
        pending = _engagement_order(indices, self.recipients)
        tried = False
        for pool, reason in steps:
            for phase in (WARMING, WARM):
                group = candidates.get((pool.id, slug, phase), ())
                if len(group) > 1:
                    # Spread load: least used first; warm IPs below the floor ("cooling") first
                    # of all. A new list: the cached one is shared between threads.
                    group = sorted(group, key=_load_order)
                for c in group:
                    if not pending:
                        break
                    tried = True
                    pending = self._claim_from(c, pending, slug, pool.name, reason or phase)
        if pending:
            detail = _no_route_detail(slug, steps, tried, self.hour)
            for i in pending:
                self.routes[i] = Route(self.addresses[i], slug, None, None, NO_ROUTE, detail)

    def _claim_from(self, c: Candidate, pending: list[int], slug, pool: str, label) -> list[int]:
        """Claim what this candidate may take of `pending`; returns what is still pending."""
        slot = (self.today, self.hour)
        if c.exhausted == slot:
            return pending
        if c.phase == WARMING:
            limit = c.engaged_limit()
            eligible = [
                i
                for i in pending
                if (days := self.recipients[i].engaged_days) is None or days <= limit
            ]
        else:
            eligible = pending
        if not eligible:
            return pending
        allowance = c.allowance(self.hour)
        if allowance is not None and c.routed >= allowance:
            c.exhausted = slot  # known to be full: spare the statement
            return pending
        granted = _claim(
            self.cursor, c, len(eligible), today=self.today, hour=self.hour, now=self.now
        )
        if not granted:
            return pending
        taken = eligible[:granted]
        for i in taken:
            self.routes[i] = Route(self.addresses[i], slug, c.address, pool, label)
        if eligible is pending:
            return pending[granted:]
        gone = set(taken)
        return [i for i in pending if i not in gone]


def sender_account_id(*, sender_domain: str, now: datetime | None = None) -> int | None:
    """The account whose verified domain the sender domain is (or lies under), for the sending
    pipeline; None when no account verified it. Kept per process for the routing cache's
    seconds, like the configuration."""
    now = now or timezone.now()
    ttl = timedelta(seconds=settings.WARMUP_ROUTING_CACHE_SECONDS)
    cached = routing_cache.sender_owner(sender_domain)
    if cached is not None and timedelta(0) <= now - cached[1] < ttl:
        return cached[0]
    owner = verified_domain_owners(names=[sender_domain])[sender_domain]
    if ttl:
        routing_cache.keep_sender_owner(sender_domain, owner, now)
    return owner


def _load_order(c: Candidate) -> tuple:
    return (not c.cooling, c.routed / max(c.cap or 1, 1), c.address)


def _engagement_order(indices: list[int], recipients: Sequence[Recipient]) -> list[int]:
    """Most recently engaged first, then recipients whose engagement is unknown (in order)."""
    if all(recipients[i].engaged_days is None for i in indices):
        return indices
    known = [i for i in indices if recipients[i].engaged_days is not None]
    known.sort(key=lambda i: recipients[i].engaged_days)
    return known + [i for i in indices if recipients[i].engaged_days is None]


def _no_route_detail(slug: str, steps, tried: bool, hour: int) -> str:
    name = registry.get_registry().names.get(slug, slug)
    if not steps:
        return (
            "This account has no IP pool and there is no shared pool; send from your own "
            "default IPs."
        )
    pools = ", ".join(pool.name for pool, _ in steps)
    if not tried:
        return (
            f"No IP in {pools} may send to {name} (none is warming or warm there, or all are "
            "suspended or failing their readiness checks)."
        )
    return (
        f"Every IP in {pools} that may send to {name} has reached its cap for today or its "
        f"allowance until {(hour + 1) % 24:02d}:00 UTC, or is suspended."
    )
