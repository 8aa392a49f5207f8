"""Loopback sending IPs: refused, unless WARMUP_ALLOW_LOOPBACK_IPS (MTA integration tests)."""

import pytest
from django.utils import timezone

from ips.models import DeliveryEvent
from ips.tests import factories as f
from warmup_site.errors import ApplicationError


def event(ip):
    return {
        "id": "e-1",
        "type": "delivered",
        "ip": ip,
        "sender_domain": "acme.example",
        "recipient": "ann@gmail.com",
        "timestamp": timezone.now().isoformat(),
    }


def test_it_refuses_a_loopback_ip_by_default(account):
    with pytest.raises(ApplicationError, match="not a unicast address"):
        f.new_ip(pool=f.pool(account=account), address="127.0.0.11")


def test_it_accepts_loopback_ips_when_allowed(owner_api, account, settings):
    settings.WARMUP_ALLOW_LOOPBACK_IPS = True
    ip = f.warming_ip(pool=f.pool(account=account), address="127.0.0.11")

    answer = owner_api.post("/api/v1/events/", {"events": [event("127.0.0.11")]}, format="json")

    assert answer.status_code == 200, answer.json()
    assert DeliveryEvent.objects.get(event_id="e-1").ip_id == ip.pk
