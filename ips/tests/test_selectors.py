"""Reads other apps use, and the start-up check of the blocklist setting."""

from django.core.checks import run_checks

from domains import services as domain_services
from domains.models import DomainRecord
from domains.tests.factories import DomainFactory, publish
from ips import services
from ips.selectors import account_sending_ips
from ips.tests import factories as f
from ips.tests.factories import new_ip, pool


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

    errors = [e for e in run_checks() if e.id == "warmup.E007"]

    assert len(errors) == 1
    assert "'bad..zone' has an empty label" in errors[0].msg


def test_it_lets_a_domain_spf_record_authorise_the_accounts_dedicated_ips(dns_server, account):
    new_ip(pool=pool(account=account), address="203.0.113.7")
    domain = DomainFactory(account=account, name="example.com")
    publish(dns_server, domain, spf="v=spf1 ip4:203.0.113.0/24 -all")

    domain_services.domains_check(domain_ids=[domain.pk])

    record = DomainRecord.objects.get(domain=domain, kind="spf")
    assert record.status == "ok"
    assert "203.0.113.7 by ip4:203.0.113.0/24" in record.detail
