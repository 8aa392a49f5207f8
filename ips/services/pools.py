"""Pools, pool pins and adding or retiring dedicated IPs (operators' work)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django_q.tasks import async_task

from accounts.models import Account
from domains.models import Domain
from ips.addresses import normalise_ip
from ips.models import DedicatedIp, DomainPoolPin, IpPool, IpWarmup
from ips.routing_cache import routing_cache_clear
from ips.services.warmup import ip_warmups_sync
from warmup_site.errors import ApplicationError
from warmup_site.hostnames import normalise_domain


def ip_pool_validate(
    *,
    pool: IpPool,
    account: Account | None,
    name: str,
    overflow_pool: IpPool | None,
    is_default: bool | None = None,
    capacity: int | None = None,
) -> str:
    """Check a pool's name, overflow pool, default flag and capacity; returns the normalised
    name."""
    slug = slugify(name.strip())
    if not slug:
        raise ApplicationError("Give the pool a name (letters, digits, hyphens).", field="name")
    clash = IpPool.objects.filter(account=account, name=slug).exclude(pk=pool.pk)
    if clash.exists():
        where = f"account {account}" if account else "the shared pools"
        raise ApplicationError(f"{where} already has a pool named {slug!r}.", field="name")
    if overflow_pool is not None:
        if pool.pk is not None and overflow_pool.pk == pool.pk:
            raise ApplicationError("A pool cannot overflow to itself.", field="overflow_pool")
        if overflow_pool.account_id is not None and overflow_pool.account_id != (
            account.pk if account else None
        ):
            raise ApplicationError(
                "A pool can only overflow to a pool of the same account or to a shared pool.",
                field="overflow_pool",
            )
    if capacity is not None and account is not None:
        raise ApplicationError(
            "Only a shared pool has a capacity: an account's own pool is limited by its IPs' "
            "warm-up caps.",
            field="capacity",
        )
    if capacity is not None and capacity < 1:
        raise ApplicationError(
            "Give the capacity in messages a day (at least 1), or leave it blank.", field="capacity"
        )
    if is_default and account is None and not pool.is_default and not _has_sending_ips(pool):
        # The shared default is every account's last resort: an empty one would refuse them all.
        raise ApplicationError(
            "A shared pool without IPs cannot be the default: every account falls back to the "
            "default shared pool. Add its IPs first, then make it the default.",
            field="is_default",
        )
    return slug


@transaction.atomic
def ip_pool_save(
    *,
    pool: IpPool,
    account: Account | None,
    name: str,
    is_default: bool | None = None,
    overflow_pool: IpPool | None = None,
    description: str = "",
    capacity: int | None = None,
) -> IpPool:
    """Create or change a pool. The first pool of an account (or the first shared pool) is its
    default; making another pool the default takes the flag from the previous one."""
    pool.name = ip_pool_validate(
        pool=pool,
        account=account,
        name=name,
        overflow_pool=overflow_pool,
        is_default=is_default,
        capacity=capacity,
    )
    pool.account = account
    pool.overflow_pool = overflow_pool
    pool.description = description.strip()
    stored = IpPool.objects.filter(pk=pool.pk).values_list("capacity", flat=True).first()
    if capacity != stored:
        pool.capacity_alerted_on = None  # a new limit: alert afresh
    pool.capacity = capacity
    siblings = IpPool.objects.filter(account=account).exclude(pk=pool.pk)
    if is_default is None:
        is_default = pool.is_default or not siblings.filter(is_default=True).exists()
    if is_default:
        siblings.filter(is_default=True).update(is_default=False)
    pool.is_default = is_default
    pool.save()
    routing_cache_clear()  # a shared pool concerns every account
    return pool


def _has_sending_ips(pool: IpPool) -> bool:
    if pool.pk is None:
        return False
    return pool.ips.exclude(state=DedicatedIp.State.RETIRED).exists()


def ip_pool_create(
    *,
    name: str,
    account: Account | None,
    is_default: bool | None = None,
    overflow_pool: IpPool | None = None,
    description: str = "",
    capacity: int | None = None,
) -> IpPool:
    return ip_pool_save(
        pool=IpPool(),
        account=account,
        name=name,
        is_default=is_default,
        overflow_pool=overflow_pool,
        description=description,
        capacity=capacity,
    )


def domain_pool_pin_set(*, domain: Domain, pool: IpPool | None) -> DomainPoolPin | None:
    """Route one sending domain through `pool` (its account's, or a shared one); None unpins."""
    if pool is None:
        DomainPoolPin.objects.filter(domain=domain).delete()
        routing_cache_clear(account_id=domain.account_id)
        return None
    if pool.account_id is not None and pool.account_id != domain.account_id:
        raise ApplicationError(
            "A domain can only be pinned to a pool of its own account or to a shared pool.",
            field="pool",
        )
    pin, _ = DomainPoolPin.objects.update_or_create(domain=domain, defaults={"pool": pool})
    routing_cache_clear(account_id=domain.account_id)
    return pin


def ip_create(
    *, pool: IpPool, address: str, hostname: str = "", warm: bool = False, check: bool = True
) -> DedicatedIp:
    """Add an IP to a pool, with a warm-up row for every provider.

    A new IP is checked at once (in the task queue, after the transaction commits) and starts
    its warm-up when the checks pass. `warm=True` adds an IP that already has a reputation
    (moving an existing warm IP in, or the shared pool's IPs): it routes as warm right away,
    within its post-warm-up growth allowance. `check=False` leaves the IP off the check schedule
    (the demo's documentation addresses).
    """
    try:
        address = normalise_ip(address)
    except ValueError as exc:
        raise ApplicationError(f"{address!r} {exc}.", field="address") from None
    if hostname.strip():
        try:
            hostname = normalise_domain(hostname)
        except ValueError as exc:
            raise ApplicationError(f"{hostname!r} {exc}.", field="hostname") from None
    else:
        hostname = ""
    if DedicatedIp.objects.filter(address=address).exists():
        raise ApplicationError(f"{address} is already in a pool.", field="address")
    now = timezone.now()
    state = DedicatedIp.State.WARM if warm else DedicatedIp.State.NEW
    try:
        with transaction.atomic():
            ip = DedicatedIp.objects.create(
                address=address,
                hostname=hostname,
                pool=pool,
                state=state,
                next_check_at=now if check else None,
            )
            ip_warmups_sync(ips=[ip])
            if check:
                transaction.on_commit(lambda: _enqueue_check(ip.pk))
    except IntegrityError:
        raise ApplicationError(f"{address} is already in a pool.", field="address") from None
    routing_cache_clear()
    return ip


def ip_update(*, ip: DedicatedIp, hostname: str, pool: IpPool) -> DedicatedIp:
    """Change an IP's expected PTR name or move it to another pool (routing follows at once in
    this process, within seconds elsewhere; its warm-up history moves with it)."""
    if hostname.strip():
        try:
            hostname = normalise_domain(hostname)
        except ValueError as exc:
            raise ApplicationError(f"{hostname!r} {exc}.", field="hostname") from None
    else:
        hostname = ""
    ip.hostname = hostname
    ip.pool = pool
    ip.save(update_fields=["hostname", "pool"])
    routing_cache_clear()  # the old pool's account and the new one's
    return ip


def _enqueue_check(ip_id: int) -> None:
    async_task("ips.tasks.check_ip", ip_id, task_name=f"check IP {ip_id}", group="ips")


@transaction.atomic
def ip_retire(*, ip: DedicatedIp) -> DedicatedIp:
    """Stop routing to an IP for good; its history stays."""
    ip.state = DedicatedIp.State.RETIRED
    ip.state_changed_at = timezone.now()
    ip.next_check_at = None
    ip.save(update_fields=["state", "state_changed_at", "next_check_at"])
    IpWarmup.objects.filter(ip=ip).update(state=IpWarmup.State.PAUSED, updated_at=timezone.now())
    routing_cache_clear()
    return ip
