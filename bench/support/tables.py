"""Emptying the bench database's IP tables, shared by the routing, event and controller benches.

The bench database is scratch: every run starts from the same, unbloated state. Call after
`django.setup()`.
"""

from __future__ import annotations


def empty_ip_tables() -> None:
    """Truncate the IP tables — CASCADE: and every table that points at them, such as the
    controller's decisions and hour counters — and drop the pools and the bench accounts."""
    from django.db import connection

    from accounts.models import Account
    from ips.models import (
        DedicatedIp,
        DeliveryEvent,
        DomainPoolPin,
        IpCheck,
        IpPool,
        IpWarmup,
        IpWarmupDay,
    )

    tables = [
        connection.ops.quote_name(model._meta.db_table)
        for model in (DeliveryEvent, IpWarmupDay, IpWarmup, IpCheck, DomainPoolPin, DedicatedIp)
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    IpPool.objects.all().delete()
    Account.objects.filter(slug__startswith="bench-").delete()
