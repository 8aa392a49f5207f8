"""API of the ips app, by topic: pools (`pools.py`), dedicated IPs with their warm-up rows and
controls (`addresses.py`), provider schedules (`schedules.py`), the sending pipeline's routes
and events (`pipeline.py`), the account's IP warm-up settings (`account.py`); what they share
is in `common.py`. warmup_site/urls.py wires the views below."""

from ips.api.account import AccountIpWarmupView
from ips.api.addresses import DedicatedIpViewSet
from ips.api.pipeline import EventsView, RoutesView
from ips.api.pools import IpPoolViewSet
from ips.api.schedules import ProviderScheduleView

__all__ = [
    "AccountIpWarmupView",
    "DedicatedIpViewSet",
    "EventsView",
    "IpPoolViewSet",
    "ProviderScheduleView",
    "RoutesView",
]
