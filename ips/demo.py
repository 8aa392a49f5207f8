"""Demo data for `make run`: a shared pool, and a dedicated pool for the demo account with one
warming and one warm IP (idempotent).

The addresses are documentation ranges (RFC 5737, RFC 3849): they have no reverse DNS, so they
are left off the check schedule, and the warming one starts through a recorded operator override
— the same path an operator takes in the admin.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.demo import DEMO_ACCOUNT, OPERATOR_USER
from accounts.models import Account
from ips import services
from ips.models import DedicatedIp, IpPool, IpWarmup, IpWarmupDay, IpWarmupDecision, utc_day
from ips.services.controller import controller_run

SHARED_POOL = "shared"
DEMO_POOL = "demo-dedicated"
SHARED_IPS = ["192.0.2.10", "2001:db8::10"]
WARM_IP, WARMING_IP = "198.51.100.21", "198.51.100.20"


def _pool(*, name: str, account: Account | None) -> IpPool:
    pool = IpPool.objects.filter(account=account, name=name).first()
    # The first pool of the account (or the first shared pool) becomes its default by itself.
    return pool or services.ip_pool_create(name=name, account=account)


def _ip(*, pool: IpPool, address: str, warm: bool) -> DedicatedIp:
    ip = DedicatedIp.objects.filter(address=address).first()
    return ip or services.ip_create(pool=pool, address=address, warm=warm, check=False)


def load() -> list[str]:
    account = Account.objects.filter(name=DEMO_ACCOUNT).first()
    if account is None:
        return []
    shared = _pool(name=SHARED_POOL, account=None)
    for address in SHARED_IPS:
        _ip(pool=shared, address=address, warm=True)
    pool = _pool(name=DEMO_POOL, account=account)
    _ip(pool=pool, address=WARM_IP, warm=True)
    warming = _ip(pool=pool, address=WARMING_IP, warm=False)
    if warming.state == DedicatedIp.State.NEW:
        operator = get_user_model().objects.filter(username=OPERATOR_USER).first()
        services.ip_readiness_override(
            ip=warming,
            actor=operator,
            reason="Demo data: documentation addresses (RFC 5737) have no reverse DNS.",
        )
    _history(warming)
    return [
        f"dedicated IPs: {WARMING_IP} (warming) and {WARM_IP} (warm) in pool {DEMO_POOL!r}; "
        f"shared pool {SHARED_POOL!r}: {', '.join(SHARED_IPS)}",
    ]


# Four past days of the warming IP at the big three providers, as (routed share of the cap,
# throttling replies): Gmail ramps cleanly, Microsoft had a quiet day, Yahoo throttled once.
HISTORY = {
    "google": [(1.0, 0), (0.98, 0), (1.0, 0), (0.97, 0)],
    "microsoft": [(1.0, 0), (0.2, 0), (1.0, 0), (1.0, 0)],
    "yahoo": [(1.0, 0), (1.0, 0), (1.0, 250), (1.0, 0)],
}


def _history(ip: DedicatedIp) -> None:
    """Give the demo's warming IP a few days of counters and let the real controller decide
    them, so that the admin and the API show decisions. Only once: skipped when any decision
    about the IP exists."""
    if IpWarmupDecision.objects.filter(warmup__ip=ip).exists():
        return
    today = utc_day(timezone.now())
    days = len(next(iter(HISTORY.values())))
    first = today - timedelta(days=days)
    warmups = IpWarmup.objects.filter(ip=ip, provider__slug__in=list(HISTORY))
    warmups.update(started_on=first, decided_through=first - timedelta(days=1))
    for offset in range(days):
        on = first + timedelta(days=offset)
        # Each day's counters follow the cap the previous night's decision gave, as routing
        # would have; then the real controller decides that day (as of 00:10 the next day).
        for warmup in warmups.select_related("provider"):
            share, throttled = HISTORY[warmup.provider.slug][offset]
            routed = int(warmup.daily_cap * share)
            IpWarmupDay.objects.update_or_create(
                warmup=warmup,
                day=on,
                defaults={
                    "cap": warmup.daily_cap,
                    "routed": routed,
                    "delivered": routed - throttled,
                    "deferred": throttled,
                    "throttled": throttled,
                },
            )
        controller_run(
            now=timezone.now().replace(hour=0, minute=10) - timedelta(days=days - 1 - offset)
        )
