"""The SQL of routing's hot path (ips/services/routing.py), built once per database vendor from
the models' table names. On PostgreSQL they run as prepared statements (warmup_site/db.py), so
their text must not vary: only constant enum values are inlined, never input.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from ips.models import (
    ROUTABLE_IP_STATES,
    DedicatedIp,
    DomainPoolPin,
    IpPool,
    IpWarmup,
    IpWarmupDay,
    WarmupProfile,
)
from ips.types import ROUTING_PHASE

# What may be routed by now: the integer ceiling of ips.warmup_rule.allowance, in SQL.
ALLOWED = "((CAST(cap AS BIGINT) * %(num)s + %(den)s - 1) / %(den)s)"


def _literals(values) -> str:
    # Only constant enum values from this module, never input: safe to inline, and it keeps
    # the statement text fixed so that it can be prepared.
    return ", ".join("'" + str(value).replace("'", "''") + "'" for value in values)


@dataclass(frozen=True)
class _Tables:
    pool: str
    pin: str
    domain: str
    warmup: str
    ip: str
    day: str
    profile: str
    provider: str

    @classmethod
    def quoted(cls) -> _Tables:
        q = connection.ops.quote_name
        return cls(
            pool=q(IpPool._meta.db_table),
            pin=q(DomainPoolPin._meta.db_table),
            domain=q(DomainPoolPin._meta.get_field("domain").related_model._meta.db_table),
            warmup=q(IpWarmup._meta.db_table),
            ip=q(DedicatedIp._meta.db_table),
            day=q(IpWarmupDay._meta.db_table),
            profile=q(WarmupProfile._meta.db_table),
            provider=q(IpWarmup._meta.get_field("provider").related_model._meta.db_table),
        )


def _read(t: _Tables) -> str:
    # Every pool this account may route through (its own and the shared ones) with their
    # routable (IP, provider) rows and today's day rows. A pool without routable IPs still
    # comes back (with NULLs): its overflow pool counts. Indexes: ippool.account_id,
    # dedicatedip.pool_id, ipwarmup (ip, provider), ipwarmupday (warmup, day).
    return f"""
        SELECT p.id, p.name, p.account_id, p.is_default, p.overflow_pool_id,
               w.id, ip.address, pr.slug, w.state, w.stage, w.daily_cap, d.cap, d.routed,
               prof.pacing_hours, prof.floor, prof.engaged_days_start, prof.engaged_days_step
        FROM {t.pool} p
        LEFT JOIN {t.ip} ip ON ip.pool_id = p.id
            AND ip.state IN ({_literals(ROUTABLE_IP_STATES)})
            AND ip.readiness <> '{DedicatedIp.Readiness.FAILED}'
        LEFT JOIN {t.warmup} w ON w.ip_id = ip.id
            AND w.state IN ({_literals(ROUTING_PHASE)})
        LEFT JOIN {t.provider} pr ON pr.id = w.provider_id
        LEFT JOIN {t.profile} prof ON prof.provider_id = w.provider_id
        LEFT JOIN {t.day} d ON d.warmup_id = w.id AND d.day = %(today)s
        WHERE p.account_id = %(account)s OR p.account_id IS NULL
    """


# How many names (the sender domain and its parents) the sender statement looks up: a fixed
# number of slots keeps its text fixed, so it can be prepared.
SENDER_SLOTS = 8


def _sender(t: _Tables) -> str:
    # Which of the sender domain and its parents are this account's domains, and the pool each
    # is pinned to (index domains_domain (account, name) unique; the pin's domain is unique).
    slots = ", ".join(f"%(d{i})s" for i in range(SENDER_SLOTS))
    return f"""
        SELECT dm.name, pn.pool_id FROM {t.domain} dm
        LEFT JOIN {t.pin} pn ON pn.domain_id = dm.id
        WHERE dm.account_id = %(account)s AND dm.name IN ({slots})
    """


def _open(t: _Tables) -> str:
    # Opens today's rows: a row an event created first has no cap yet and gets one; a cap set
    # already (another request, the controller) is left alone. `{values}`: one `open_row` per
    # row to open.
    counters = ", ".join(IpWarmupDay.COUNTERS)
    return f"""
        INSERT INTO {t.day} (warmup_id, day, cap, routed, last_claim, {counters})
        VALUES {{values}}
        ON CONFLICT (warmup_id, day) DO UPDATE SET cap = excluded.cap
        WHERE {t.day}.cap IS NULL
    """


def _routable(t: _Tables) -> str:
    # Everything the cached configuration may have missed, checked as of the statement.
    return f"""
        EXISTS (
            SELECT 1 FROM {t.warmup} w JOIN {t.ip} ip ON ip.id = w.ip_id
            WHERE w.id = %(warmup)s AND w.state IN (%(state1)s, %(state2)s)
              AND (w.suspended_until IS NULL OR w.suspended_until <= %(now)s)
              AND ip.pool_id = %(pool)s
              AND ip.state IN ({_literals(ROUTABLE_IP_STATES)})
              AND ip.readiness <> '{DedicatedIp.Readiness.FAILED}'
        )
    """


def _claim(t: _Tables) -> str:
    # The claim: grant min(want, allowed - routed) in one statement. All SET expressions read
    # the row as it was before this statement (SQL semantics, PostgreSQL and SQLite), so
    # last_claim holds exactly what routed grew by, and RETURNING reports it. Under concurrency
    # PostgreSQL re-evaluates WHERE and SET on the newest row version after waiting for the row
    # lock; SQLite runs one writer at a time. The EXISTS re-checks, now, everything the cached
    # configuration may have missed.
    return f"""
        UPDATE {t.day}
        SET last_claim = CASE WHEN routed + %(want)s <= {ALLOWED}
                              THEN %(want)s ELSE {ALLOWED} - routed END,
            routed = CASE WHEN routed + %(want)s <= {ALLOWED}
                          THEN routed + %(want)s ELSE {ALLOWED} END
        WHERE warmup_id = %(warmup)s AND day = %(today)s AND cap IS NOT NULL
          AND routed < {ALLOWED}
          AND {_routable(t)}
        RETURNING last_claim
    """


def _count(t: _Tables) -> str:
    # A warm IP of a shared pool has no cap (its day row's cap is NULL): the shared pool is the
    # fallback that never refuses. The statement only counts, with the same checks as a claim
    # (a suspended or paused shared IP is not used).
    return f"""
        UPDATE {t.day}
        SET last_claim = %(want)s, routed = routed + %(want)s
        WHERE warmup_id = %(warmup)s AND day = %(today)s AND cap IS NULL
          AND {_routable(t)}
        RETURNING last_claim
    """


_STATEMENTS: dict[str, dict[str, str]] = {}


def statements() -> dict[str, str]:
    """read, sender, open (+ open_row), claim and count, for the current database vendor."""
    vendor = connection.vendor
    if vendor not in _STATEMENTS:
        t = _Tables.quoted()
        zeros = ", ".join("0" for _ in IpWarmupDay.COUNTERS)
        _STATEMENTS[vendor] = {
            "read": _read(t),
            "sender": _sender(t),
            "open": _open(t),
            "open_row": f"(%s, %s, %s, 0, 0, {zeros})",
            "claim": _claim(t),
            "count": _count(t),
        }
    return _STATEMENTS[vendor]
