"""The shared pools' capacity watch: the shared pool never refuses an account that has no other
capacity (routing gives it what the account's dedicated IPs cannot take), so when a whole shared
pool nears the daily capacity an operator set for it, operators are told instead.

Every run (ips.tasks.watch_shared_pools, every 15 minutes) adds up what each shared pool with a
capacity routed today (UTC) over all its IPs and providers. At CAPACITY_ALERT_SHARE of the
capacity it records the day on the pool (`capacity_alerted_on`, once a day) and logs a warning;
the reputation app's notification scan turns that into an operators' notification (mail,
webhooks). It also projects the day: a pool that has routed half its capacity by 06:00 UTC will
not last the day, and is reported as soon as the projection crosses the capacity.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, time

from django.db.models import Sum
from django.utils import timezone

from ips.models import IpPool, IpWarmupDay, utc_day

logger = logging.getLogger(__name__)

# The share of the capacity a day's routing may reach before operators are told.
CAPACITY_ALERT_SHARE = 0.9
# Projections start after this many hours of the day (earlier ones are noise: one early batch).
PROJECT_AFTER_HOURS = 3


@dataclass(frozen=True)
class PoolLoad:
    pool: IpPool
    routed: int
    projected: int

    @property
    def share(self) -> float:
        return self.routed / self.pool.capacity

    @property
    def near(self) -> bool:
        return (
            self.routed >= CAPACITY_ALERT_SHARE * self.pool.capacity
            or self.projected >= self.pool.capacity
        )

    def sentence(self) -> str:
        return (
            f"shared pool {self.pool.name!r} routed {self.routed:,} of its {self.pool.capacity:,} "
            f"a day ({self.share:.0%}) by now, on course for {self.projected:,} today: add IPs "
            "to it or raise its capacity"
        )


@dataclass
class WatchSummary:
    pools: int = 0
    alerted: list[str] = field(default_factory=list)

    def sentence(self) -> str:
        if not self.alerted:
            return f"{self.pools} shared pools with a capacity, none near it"
        return f"{len(self.alerted)} of {self.pools} shared pools near capacity: " + "; ".join(
            self.alerted
        )


def shared_pool_loads(*, now: datetime | None = None) -> list[PoolLoad]:
    """Today's load of every shared pool that has a capacity (one query for the sums)."""
    now = now or timezone.now()
    today = utc_day(now)
    pools = list(IpPool.objects.filter(account__isnull=True, capacity__isnull=False))
    if not pools:
        return []
    routed = dict(
        IpWarmupDay.objects.filter(day=today, warmup__ip__pool__in=pools)
        .values("warmup__ip__pool")
        .annotate(n=Sum("routed"))
        .values_list("warmup__ip__pool", "n")
    )
    hours = (now - datetime.combine(today, time.min, tzinfo=UTC)).total_seconds() / 3600
    loads = []
    for pool in pools:
        used = routed.get(pool.pk) or 0
        projected = round(used * 24 / hours) if hours >= PROJECT_AFTER_HOURS else used
        loads.append(PoolLoad(pool=pool, routed=used, projected=projected))
    return loads


def shared_pools_watch(*, now: datetime | None = None) -> WatchSummary:
    """Record and log, once a day per pool, the shared pools near their capacity."""
    now = now or timezone.now()
    today = utc_day(now)
    summary = WatchSummary()
    for load in shared_pool_loads(now=now):
        summary.pools += 1
        if not load.near:
            continue
        summary.alerted.append(load.sentence())
        # Once a day: the conditional UPDATE makes two workers alert once between them.
        if (
            IpPool.objects.filter(pk=load.pool.pk)
            .exclude(capacity_alerted_on=today)
            .update(capacity_alerted_on=today)
        ):
            logger.warning("Shared pool near capacity: %s.", load.sentence())
    return summary
