"""Every write and business rule of the ips app, by topic:

- pools.py     — pools, domain pins, adding and retiring IPs
- warmup.py    — per-provider warm-up rows, starting a warm-up, changing a cap
- readiness.py — PTR, forward-confirmed rDNS and DNS-blocklist checks, operator overrides
- routing.py   — the routing decision with exact caps, pacing and overflow
- events.py    — delivery-event ingestion and the day counters
- controller.py — the nightly warm-up controller (the rule itself is ips/warmup_rule.py)
- bulk.py      — bulk writers of warm-up state shared by the controller, controls, suspensions
- suspensions.py — the fast back-off within the day, blocklist suspensions
- controls.py  — operators' overrides (pause, resume, set stage, complete, restart, cancel)
- simulator.py — the controller's rule over simulated days (simulate_ip_warmup)
"""

from ips.services.events import IngestResult, events_ingest
from ips.services.pools import (
    domain_pool_pin_set,
    ip_create,
    ip_pool_create,
    ip_pool_save,
    ip_pool_validate,
    ip_retire,
    ip_update,
)
from ips.services.readiness import (
    ip_readiness_check,
    ip_readiness_override,
    ips_check_due,
    ips_readiness_check,
)
from ips.services.routing import routes_decide, routes_decide_for_pipeline
from ips.services.warmup import (
    account_ip_warmup_set,
    ip_warmup_cap_set,
    ip_warmup_start,
    ip_warmups_sync,
)
from ips.types import Recipient, Route

__all__ = [
    "IngestResult",
    "Recipient",
    "Route",
    "account_ip_warmup_set",
    "domain_pool_pin_set",
    "events_ingest",
    "ip_create",
    "ip_pool_create",
    "ip_pool_save",
    "ip_pool_validate",
    "ip_readiness_check",
    "ip_readiness_override",
    "ip_retire",
    "ip_update",
    "ip_warmup_cap_set",
    "ip_warmup_start",
    "ip_warmups_sync",
    "ips_check_due",
    "ips_readiness_check",
    "routes_decide",
    "routes_decide_for_pipeline",
]
