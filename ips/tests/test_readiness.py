"""Readiness checks against the real DNS test server: PTR, forward-confirmed rDNS, blocklists."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ips import services, tasks
from ips.addresses import dnsbl_name
from ips.models import DedicatedIp, IpCheck, IpWarmup
from ips.tests import factories as f
from warmup_site import dns

ADDRESS = "203.0.113.7"
HOST = "mta7.acme.example"


@pytest.fixture(autouse=True)
def _two_blocklists(settings):
    settings.WARMUP_DNSBL_ZONES = ["zen.spamhaus.org", "bl.spamcop.net"]


@pytest.fixture
def ip(account):
    return f.new_ip(pool=f.pool(account=account), address=ADDRESS)


def publish(dns_server, address=ADDRESS, host=HOST, forward=None):
    dns_server.add(dns.reverse_name(address), "PTR", host)
    rdtype = "AAAA" if ":" in address else "A"
    dns_server.add(host, rdtype, forward or address)


def checks(ip):
    return {c.name: c for c in IpCheck.objects.filter(ip=ip)}


def test_it_passes_a_clean_ip_and_starts_its_warm_up(dns_server, ip):
    publish(dns_server)

    ip = services.ip_readiness_check(ip=ip)

    assert (ip.readiness, ip.state) == ("passed", "warming")
    found = checks(ip)
    assert {name: c.status for name, c in found.items()} == {
        "ptr": "pass",
        "fcrdns": "pass",
        "dnsbl:zen.spamhaus.org": "pass",
        "dnsbl:bl.spamcop.net": "pass",
    }
    assert found["ptr"].detail == f"PTR: {HOST}"
    assert found["fcrdns"].detail == f"{HOST} resolves back to {ADDRESS}"
    assert found["dnsbl:zen.spamhaus.org"].detail == "not listed on zen.spamhaus.org"
    google = f.warmup(ip, "google")
    assert (google.state, google.stage, google.daily_cap) == ("warming", 1, 1000)
    assert ip.next_check_at > timezone.now() + timedelta(hours=5)


def test_it_fails_an_ip_without_reverse_dns(dns_server, ip):
    ip = services.ip_readiness_check(ip=ip)

    assert (ip.readiness, ip.state) == ("failed", "checking")
    found = checks(ip)
    assert found["ptr"].status == "fail"
    assert "no PTR record" in found["ptr"].detail
    assert "NXDOMAIN" in found["ptr"].detail
    assert found["fcrdns"].detail == "there is no PTR name to confirm"
    assert not IpWarmup.objects.filter(ip=ip).exclude(state="pending").exists()
    assert ip.next_check_at <= timezone.now() + timedelta(minutes=15)


def test_it_fails_a_ptr_that_does_not_resolve_back(dns_server, ip):
    publish(dns_server, forward="198.51.100.99")

    ip = services.ip_readiness_check(ip=ip)

    assert ip.readiness == "failed"
    assert checks(ip)["ptr"].status == "pass"
    assert checks(ip)["fcrdns"].detail == (
        f"no PTR name resolves back to {ADDRESS}: {HOST} resolves to 198.51.100.99"
    )


def test_it_wants_the_ptr_to_name_the_expected_hostname(dns_server, account):
    ip = f.new_ip(pool=f.pool(account=account), address=ADDRESS, hostname="mail.acme.example")
    publish(dns_server)

    ip = services.ip_readiness_check(ip=ip)

    assert checks(ip)["ptr"].detail == (
        f"the PTR record points to {HOST}, not to mail.acme.example"
    )


def test_it_explains_a_spamhaus_listing(dns_server, ip):
    publish(dns_server)
    listed = dnsbl_name(ADDRESS, "zen.spamhaus.org")
    dns_server.add(listed, "A", "127.0.0.2", "127.0.0.4")
    dns_server.add(listed, "TXT", "https://check.spamhaus.org/listed/?searchterm=203.0.113.7")

    ip = services.ip_readiness_check(ip=ip)

    assert listed == "7.113.0.203.zen.spamhaus.org"
    assert (ip.readiness, ip.state) == ("failed", "checking")
    check = checks(ip)["dnsbl:zen.spamhaus.org"]
    assert check.status == "fail"
    assert check.found == ["127.0.0.2", "127.0.0.4"]
    assert "127.0.0.2: SBL (Spamhaus Block List)" in check.detail
    assert "127.0.0.4: XBL (Exploits Block List)" in check.detail
    assert "check.spamhaus.org/listed" in check.detail
    assert checks(ip)["dnsbl:bl.spamcop.net"].status == "pass"


@pytest.mark.parametrize(
    ("code", "meaning"),
    [
        ("127.0.0.3", "SBL CSS"),
        ("127.0.0.9", "SBL DROP"),
        ("127.0.0.10", "PBL (Policy Block List, listed by the ISP)"),
        ("127.0.0.11", "PBL (Policy Block List, listed by Spamhaus)"),
    ],
)
def test_it_explains_every_zen_return_code(dns_server, ip, code, meaning):
    publish(dns_server)
    dns_server.add(dnsbl_name(ADDRESS, "zen.spamhaus.org"), "A", code)

    services.ip_readiness_check(ip=ip)

    assert f"{code}: {meaning}" in checks(ip)["dnsbl:zen.spamhaus.org"].detail


def test_a_refused_blocklist_query_is_not_a_listing(dns_server, ip):
    publish(dns_server)
    dns_server.add(dnsbl_name(ADDRESS, "zen.spamhaus.org"), "A", "127.255.255.254")

    ip = services.ip_readiness_check(ip=ip)

    check = checks(ip)["dnsbl:zen.spamhaus.org"]
    assert check.status == "unknown"
    assert "public or open resolvers" in check.error
    assert (ip.readiness, ip.state) == ("unknown", "checking")


def test_a_dns_timeout_is_neither_a_listing_nor_a_pass(dns_server, ip):
    publish(dns_server)
    services.ip_readiness_check(ip=ip)  # clean: warming
    dns_server.fail(dnsbl_name(ADDRESS, "zen.spamhaus.org"), "TIMEOUT")

    ip = services.ip_readiness_check(ip=ip)

    check = checks(ip)["dnsbl:zen.spamhaus.org"]
    assert check.status == "pass"  # what we knew stays
    assert "no answer within" in check.error
    assert (ip.readiness, ip.state) == ("passed", "warming")


def test_a_first_check_that_times_out_stays_unknown(dns_server, ip):
    publish(dns_server)
    dns_server.fail(dnsbl_name(ADDRESS, "bl.spamcop.net"), "SERVFAIL")

    ip = services.ip_readiness_check(ip=ip)

    check = checks(ip)["dnsbl:bl.spamcop.net"]
    assert (check.status, check.detail) == ("unknown", "not checked yet: DNS did not answer")
    assert "SERVFAIL" in check.error
    assert (ip.readiness, ip.state) == ("unknown", "checking")


def test_it_checks_ipv6_addresses_by_nibbles(dns_server, account):
    ip = f.new_ip(pool=f.pool(account=account), address="2001:db8::7")
    publish(dns_server, address="2001:db8::7")

    ip = services.ip_readiness_check(ip=ip)

    assert ip.readiness == "passed"
    nibbles = "7.0.0.0." + "0.0.0.0." * 5 + "8.b.d.0.1.0.0.2"  # 32 nibbles
    asked = {(name, rdtype) for name, rdtype, _protocol in dns_server.queries}
    assert (f"{nibbles}.ip6.arpa", "PTR") in asked
    assert (f"{nibbles}.zen.spamhaus.org", "A") in asked
    assert (HOST, "AAAA") in asked


def test_an_override_records_who_and_why_and_starts_the_warm_up(dns_server, ip, operator):
    dns_server.add(dnsbl_name(ADDRESS, "zen.spamhaus.org"), "A", "127.0.0.10")
    publish(dns_server)
    services.ip_readiness_check(ip=ip)

    ip = services.ip_readiness_override(
        ip=ip, actor=operator, reason="PBL lists our own range; ISP delisting requested"
    )

    assert (ip.readiness, ip.state) == ("passed", "warming")
    assert ip.readiness_override_by == operator
    assert ip.readiness_override_reason == "PBL lists our own range; ISP delisting requested"
    assert checks(ip)["dnsbl:zen.spamhaus.org"].overridden
    assert not checks(ip)["ptr"].overridden


def test_an_override_does_not_cover_a_new_failure(dns_server, ip, operator, owner):
    publish(dns_server)
    dns_server.fail(dnsbl_name(ADDRESS, "bl.spamcop.net"), "SERVFAIL")
    services.ip_readiness_check(ip=ip)
    services.ip_readiness_override(ip=ip, actor=operator, reason="SpamCop unreachable today")
    dns_server.clear()
    publish(dns_server)
    dns_server.add(dnsbl_name(ADDRESS, "bl.spamcop.net"), "A", "127.0.0.2")

    ip = services.ip_readiness_check(ip=ip)

    assert (ip.readiness, ip.state) == ("failed", "warming")
    check = checks(ip)["dnsbl:bl.spamcop.net"]
    assert (check.status, check.overridden) == ("fail", False)
    assert "SpamCop: reported as a source of spam" in check.detail
    # Routing skips a failing IP at once.
    routes = services.routes_decide(
        account=ip.pool.account,
        sender_domain="acme.example",
        recipients=[services.Recipient("a@gmail.com")],
    )
    assert routes[0].reason == "no_route"


def test_an_override_needs_a_reason(ip, operator):
    with pytest.raises(services.readiness.ApplicationError) as error:
        services.ip_readiness_override(ip=ip, actor=operator, reason=" ok ")

    assert error.value.field == "reason"


def test_warm_up_cannot_start_before_the_checks_pass(dns_server, ip):
    services.ip_readiness_check(ip=ip)  # no PTR

    with pytest.raises(services.readiness.ApplicationError) as error:
        services.ip_warmup_start(ip=ip)

    assert "has not passed its readiness checks" in error.value.message


def test_the_scheduled_job_checks_due_ips_only(dns_server, account):
    pool = f.pool(account=account)
    services.ip_create(pool=pool, address="203.0.113.1")
    later = services.ip_create(pool=pool, address="203.0.113.2")
    DedicatedIp.objects.filter(pk=later.pk).update(
        next_check_at=timezone.now() + timedelta(hours=1)
    )
    off = f.new_ip(pool=pool, address="203.0.113.3")  # not scheduled
    publish(dns_server, address="203.0.113.1", host="mta1.acme.example")

    summary = tasks.check_due_ips()

    assert summary == (
        "checked 1 IPs: 1 passed, 0 failed, 0 unknown (DNS did not answer); 1 started warming"
    )
    states = dict(DedicatedIp.objects.values_list("address", "state"))
    assert states == {"203.0.113.1": "warming", "203.0.113.2": "new", "203.0.113.3": "new"}
    assert off.next_check_at is None
    assert tasks.check_due_ips().startswith("checked 0 IPs")


def test_it_rechecks_sending_ips_and_drops_removed_blocklists(dns_server, ip, settings):
    publish(dns_server)
    services.ip_readiness_check(ip=ip)
    settings.WARMUP_DNSBL_ZONES = ["b.barracudacentral.org"]

    services.ip_readiness_check(ip=ip)

    assert set(checks(ip)) == {"ptr", "fcrdns", "dnsbl:b.barracudacentral.org"}


def test_the_check_task_reports_what_happened(dns_server, ip):
    publish(dns_server)

    assert tasks.check_ip(ip.pk) == f"{ADDRESS}: checks passed, state warming"
    assert tasks.check_ip(99999) == "IP 99999 no longer exists"
