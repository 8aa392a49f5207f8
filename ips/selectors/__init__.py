"""Reads of the ips app, by topic: pools, IPs and profiles (`pools.py`), the per-provider
warm-up rows (`warmup.py`), the floor report (`floor.py`), delivery events for other apps
(`events.py`). One queryset per output shape."""

from ips.selectors.events import sender_domain_outcomes
from ips.selectors.floor import FLOOR_DAYS, FloorLine, floor_report
from ips.selectors.pools import (
    account_sending_ips,
    auto_warmup_enabled,
    dedicated_ip_list,
    ip_pool_list,
    profiles_by_provider,
)
from ips.selectors.warmup import (
    WarmupRow,
    ip_warmup_decision_list,
    ip_warmup_overall,
    ip_warmup_percentage,
    ip_warmup_rows,
)

__all__ = [
    "FLOOR_DAYS",
    "FloorLine",
    "WarmupRow",
    "account_sending_ips",
    "auto_warmup_enabled",
    "dedicated_ip_list",
    "floor_report",
    "ip_pool_list",
    "ip_warmup_decision_list",
    "ip_warmup_overall",
    "ip_warmup_percentage",
    "ip_warmup_rows",
    "profiles_by_provider",
    "sender_domain_outcomes",
]
