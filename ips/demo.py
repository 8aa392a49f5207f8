"""Demo data for `make run`: a shared pool, and a dedicated pool for the demo account with one
warming and one warm IP (idempotent).

The addresses are documentation ranges (RFC 5737, RFC 3849): they have no reverse DNS, so they
are left off the check schedule, and the warming one starts through a recorded operator override
— the same path an operator takes in the admin.
"""

from django.contrib.auth import get_user_model

from accounts.demo import DEMO_ACCOUNT, OPERATOR_USER
from accounts.models import Account
from ips import services
from ips.models import DedicatedIp, IpPool

SHARED_POOL = "shared"
DEMO_POOL = "demo-dedicated"
SHARED_IPS = ["192.0.2.10", "2001:db8::10"]
WARM_IP, WARMING_IP = "198.51.100.21", "198.51.100.20"


def _pool(*, name: str, account: Account | None) -> IpPool:
    pool = IpPool.objects.filter(account=account, name=name).first()
    return pool or services.ip_pool_create(name=name, account=account, is_default=True)


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
    return [
        f"dedicated IPs: {WARMING_IP} (warming) and {WARM_IP} (warm) in pool {DEMO_POOL!r}; "
        f"shared pool {SHARED_POOL!r}: {', '.join(SHARED_IPS)}",
    ]
