"""Reads of pools, IPs, profiles and the account's IP settings."""

from __future__ import annotations

from django.db.models import (
    Prefetch,
    QuerySet,
)

from ips import warmup_rule
from ips.models import (
    AccountIpSettings,
    DedicatedIp,
    IpCheck,
    IpPool,
    WarmupProfile,
)
from providers.models import OTHER, MailboxProvider

DEFAULT_PROFILE = warmup_rule.DEFAULT_PROFILE


def profiles_by_provider() -> dict[int, WarmupProfile]:
    """Every provider's warm-up profile, keyed by provider id (one query for profiles, one for
    providers). A provider without its own profile uses the `other` provider's, else defaults."""
    profiles = {p.provider_id: p for p in WarmupProfile.objects.select_related("provider")}
    fallback = next((p for p in profiles.values() if p.provider.slug == OTHER), None)
    result = {}
    for provider in MailboxProvider.objects.all():
        profile = profiles.get(provider.pk)
        if profile is None:
            if fallback is not None:
                values = {field: getattr(fallback, field) for field in DEFAULT_PROFILE}
            else:
                values = DEFAULT_PROFILE
            profile = WarmupProfile(provider=provider, **values)
        result[provider.pk] = profile
    return result


def auto_warmup_enabled(*, account_id: int | None) -> bool:
    """Does this account warm up its new IPs automatically (on unless it switched it off;
    shared pools always do)."""
    if account_id is None:
        return True
    found = AccountIpSettings.objects.filter(account_id=account_id).values_list(
        "auto_warmup_enabled", flat=True
    )
    return next(iter(found), True)


def ip_pool_list() -> QuerySet[IpPool]:
    return IpPool.objects.select_related("account", "overflow_pool").order_by("name", "pk")


def dedicated_ip_list() -> QuerySet[DedicatedIp]:
    """IPs with their pool, account and readiness checks (2 queries for any number of IPs)."""
    return (
        DedicatedIp.objects.select_related("pool__account")
        .prefetch_related(Prefetch("checks", queryset=IpCheck.objects.order_by("kind", "name")))
        .order_by("address")
    )


def account_sending_ips(*, account) -> list[str]:
    """The account's dedicated IPs that send or will send (not retired): for its SPF record."""
    return list(
        DedicatedIp.objects.for_account(account)
        .exclude(state=DedicatedIp.State.RETIRED)
        .order_by("address")
        .values_list("address", flat=True)
    )
