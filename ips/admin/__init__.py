"""Operators' admin of the ips app, by topic: pools and pins (`pools.py`), dedicated IPs with
their readiness checks and warm-up controls (`addresses.py`), the per-provider warm-up rows,
counters, decisions and profiles (`warmup.py`), delivery events (`events.py`), each account's
IP settings and the floor report (`accounts.py`).

Every change goes through the services (ips.services); HTML beyond a field lives in
templates/admin/ips/.
"""

from ips.admin import accounts, addresses, events, pools, warmup

__all__ = ["accounts", "addresses", "events", "pools", "warmup"]
