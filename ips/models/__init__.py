"""Dedicated IPs: pools, the IPs, their readiness checks, per-provider warm-up and day counters.

The shape, in one picture::

    IpPool (an account's, or a shared pool with no account) ──< DedicatedIp ──< IpCheck
                                                                   │
                                                  IpWarmup (one per provider) ──< IpWarmupDay
    WarmupProfile (one per provider)                 ├──< IpWarmupHour, IpWarmupDecision
    DomainPoolPin (a domain's pool)
    DeliveryEvent (what happened to each message, per account)

By topic: `pools.py` (pools, IPs, checks, pins), `warmup.py` (profiles, warm-ups, their counters
and decisions), `events.py` (delivery events). Everything is re-exported here, so code and
migrations import `ips.models` as one module.

`IpWarmup.daily_cap` is the cap the warm-up schedule gives today; `IpWarmupDay.cap` is the cap
that routing enforces for one day, copied from it when routing first opens the day. Routing only
ever changes `IpWarmupDay.routed` with a conditional UPDATE (see ips/services/routing.py) and the
database refuses `routed > cap` (constraint `ipwarmupday_routed_within_cap`).
"""

from ips.models.events import DeliveryEvent
from ips.models.pools import AccountIpSettings, DedicatedIp, DomainPoolPin, IpCheck, IpPool
from ips.models.warmup import (
    ROUTABLE_IP_STATES,
    IpWarmup,
    IpWarmupDay,
    IpWarmupDecision,
    IpWarmupHour,
    WarmupProfile,
)
from ips.types import ROUTING_PHASE, utc_day
from ips.warmup_rule import MAX_STAGES, Stage

__all__ = [
    "MAX_STAGES",
    "ROUTABLE_IP_STATES",
    "ROUTING_PHASE",
    "AccountIpSettings",
    "DedicatedIp",
    "DeliveryEvent",
    "DomainPoolPin",
    "IpCheck",
    "IpPool",
    "IpWarmup",
    "IpWarmupDay",
    "IpWarmupDecision",
    "IpWarmupHour",
    "Stage",
    "WarmupProfile",
    "utc_day",
]
