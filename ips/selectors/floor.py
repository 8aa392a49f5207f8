"""Can an account's volume keep its warm IPs over each provider's floor?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import (
    Count,
    Sum,
)
from django.utils import timezone

from ips import warmup_rule
from ips.models import (
    IpWarmup,
    IpWarmupDay,
    utc_day,
)
from ips.types import WARM_STATES

DEFAULT_PROFILE = warmup_rule.DEFAULT_PROFILE


# The floor report looks at this many days before today.
FLOOR_DAYS = 7


@dataclass(frozen=True)
class FloorLine:
    """Can an account's volume keep its warm IPs at one provider over the floor?"""

    account_id: int
    account_name: str
    provider: str
    provider_name: str
    floor: int
    warm_ips: int
    daily_volume: int  # routed a day through the account's IPs there, last FLOOR_DAYS days
    supported: int  # how many IPs that volume keeps at the floor

    @property
    def shortfall(self) -> int:
        return max(self.warm_ips - self.supported, 0)

    @property
    def sentence(self) -> str:
        if not self.shortfall:
            return (
                f"{self.daily_volume:,} a day to {self.provider_name} keeps all {self.warm_ips} "
                f"warm IPs over the floor of {self.floor:,}."
            )
        return (
            f"{self.daily_volume:,} a day to {self.provider_name} keeps {self.supported} of "
            f"{self.warm_ips} warm IPs at the floor of {self.floor:,} a day: {self.shortfall} "
            "will cool down there — send more through them, or use fewer IPs."
        )


def floor_report(*, account=None, today: date | None = None) -> list[FloorLine]:
    """Per account (one, or every one) and provider with warm dedicated IPs: the recent daily
    volume through them and how many IPs it keeps at the provider's floor (two queries)."""
    today = today or utc_day(timezone.now())
    pairs = IpWarmup.objects.filter(state__in=WARM_STATES, ip__pool__account__isnull=False)
    days = IpWarmupDay.objects.filter(
        warmup__ip__pool__account__isnull=False,
        day__gte=today - timedelta(days=FLOOR_DAYS),
        day__lt=today,
    )
    if account is not None:
        pairs = pairs.filter(ip__pool__account=account)
        days = days.filter(warmup__ip__pool__account=account)
    volumes = {
        (row["warmup__ip__pool__account_id"], row["warmup__provider_id"]): row["total"] or 0
        for row in days.values("warmup__ip__pool__account_id", "warmup__provider_id").annotate(
            total=Sum("routed")
        )
    }
    lines = []
    for row in (
        pairs.values(
            "ip__pool__account_id",
            "ip__pool__account__name",
            "provider_id",
            "provider__slug",
            "provider__name",
            "provider__warmup_profile__floor",
            "provider__position",
        )
        .annotate(warm_ips=Count("id"))
        .order_by("ip__pool__account__name", "provider__position")
    ):
        floor = row["provider__warmup_profile__floor"] or DEFAULT_PROFILE["floor"]
        total = volumes.get((row["ip__pool__account_id"], row["provider_id"]), 0)
        if not total:
            continue  # no mail to that provider: nothing to keep warm there
        daily = total // FLOOR_DAYS
        lines.append(
            FloorLine(
                account_id=row["ip__pool__account_id"],
                account_name=row["ip__pool__account__name"],
                provider=row["provider__slug"],
                provider_name=row["provider__name"],
                floor=floor,
                warm_ips=row["warm_ips"],
                daily_volume=daily,
                supported=min(daily // max(floor, 1), row["warm_ips"]),
            )
        )
    return lines
