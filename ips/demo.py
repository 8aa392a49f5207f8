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
from ips import sandbox, services
from ips.models import DedicatedIp, IpPool, IpWarmup, IpWarmupDecision, utc_day

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


HISTORY_DAYS = 10


def _history(ip: DedicatedIp) -> None:
    """The warming IP's past days, made by the real thing: the sandbox's sending pipeline
    (ips/sandbox.py) runs HISTORY_DAYS days of the demo account's mail through routing, the
    provider model and event ingestion, and the nightly controller decides each day — a ramp,
    with whatever deferrals and back-offs the model answers. Only once: skipped when any
    decision about the IP exists."""
    if IpWarmupDecision.objects.filter(warmup__ip=ip).exists():
        return
    today = utc_day(timezone.now())
    first = today - timedelta(days=HISTORY_DAYS)
    # The warm-up began on the history's first day; nothing before it is decided.
    IpWarmup.objects.filter(ip=ip).update(
        started_on=first, decided_through=first - timedelta(days=1)
    )
    sandbox.history(
        account=ip.pool.account, days=HISTORY_DAYS, end=today, daily_volume=sandbox.DAILY_VOLUME
    )
