"""Reads other apps use, and the start-up check of the blocklist setting."""

from django.core.checks import run_checks

from ips import services
from ips.selectors import account_sending_ips
from ips.tests import factories as f


def test_it_lists_the_accounts_sending_ips_for_spf(account, other_account):
    own = f.pool(account=account)
    f.warm_ip(pool=own, address="203.0.113.1")
    f.new_ip(pool=own, address="2001:db8::1")
    services.ip_retire(ip=f.warm_ip(pool=own, address="203.0.113.9"))
    f.warm_ip(pool=f.pool(account=other_account), address="198.51.100.1")
    f.warm_ip(pool=f.shared_pool(), address="192.0.2.50")

    assert sorted(account_sending_ips(account=account)) == ["2001:db8::1", "203.0.113.1"]


def test_it_refuses_a_malformed_blocklist_zone_at_start_up(settings):
    settings.WARMUP_DNSBL_ZONES = ["zen.spamhaus.org", "bad..zone"]

    errors = [e for e in run_checks() if e.id == "warmup.E005"]

    assert len(errors) == 1
    assert "'bad..zone' has an empty label" in errors[0].msg
