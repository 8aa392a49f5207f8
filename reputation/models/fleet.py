"""The operators' fleet view in the admin (reputation/dashboards/fleet.py) needs a model to hang
on: a proxy of the IP warm-ups, no table of its own."""

from ips.models import IpWarmup


class WarmupFleet(IpWarmup):
    class Meta:
        proxy = True
        verbose_name = "warm-up fleet"
        verbose_name_plural = "warm-up fleet"
