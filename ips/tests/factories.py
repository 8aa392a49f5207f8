"""Rows for ips tests. Pools and IPs go through the services, so that every IP has its
per-provider warm-up rows exactly as in production."""

from __future__ import annotations

import factory

from accounts.tests.factories import AccountFactory
from domains.models import Domain
from ips import services
from ips.models import DedicatedIp, IpPool, IpWarmup, WarmupProfile


class DomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Domain

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"sender{n}.example")
    status = Domain.Status.VERIFIED


def pool(*, account=None, name: str = "main", overflow_pool=None, is_default=None) -> IpPool:
    return services.ip_pool_create(
        name=name, account=account, overflow_pool=overflow_pool, is_default=is_default
    )


def shared_pool(*, name: str = "shared") -> IpPool:
    return pool(account=None, name=name)


def new_ip(*, pool: IpPool, address: str, hostname: str = "") -> DedicatedIp:
    return services.ip_create(pool=pool, address=address, hostname=hostname, check=False)


def warm_ip(*, pool: IpPool, address: str, caps: dict[str, int] | None = None) -> DedicatedIp:
    """A warm IP; `caps` sets the warm-up's final cap per provider slug (the growth base)."""
    ip = services.ip_create(pool=pool, address=address, warm=True, check=False)
    set_caps(ip, caps or {})
    return ip


def warming_ip(
    *, pool: IpPool, address: str, caps: dict[str, int] | None = None, stage: int = 1
) -> DedicatedIp:
    """An IP whose checks passed and whose warm-up started; `caps` per provider slug."""
    ip = services.ip_create(pool=pool, address=address, check=False)
    DedicatedIp.objects.filter(pk=ip.pk).update(readiness=DedicatedIp.Readiness.PASSED)
    ip.refresh_from_db()
    ip = services.ip_warmup_start(ip=ip)
    if stage != 1:
        # The daily controller moves stages; tests put an IP where they need it.
        IpWarmup.objects.filter(ip=ip).update(stage=stage)
    set_caps(ip, caps or {})
    return ip


def set_caps(ip: DedicatedIp, caps: dict[str, int]) -> None:
    for warmup in IpWarmup.objects.filter(ip=ip, provider__slug__in=list(caps)).select_related(
        "provider"
    ):
        services.ip_warmup_cap_set(warmup=warmup, daily_cap=caps[warmup.provider.slug])


def warmup(ip: DedicatedIp, provider: str) -> IpWarmup:
    return IpWarmup.objects.get(ip=ip, provider__slug=provider)


def profile(provider: str) -> WarmupProfile:
    return WarmupProfile.objects.get(provider__slug=provider)
