"""Classification of recipient domains against the real DNS test server."""

from dataclasses import asdict
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from providers import registry as registry_module
from providers import services
from providers.models import MailboxProvider, RecipientDomain
from providers.tasks import refresh_classifications


def classify(domain: str) -> services.Classification:
    return services.domains_classify(domains=[domain])[domain]


def test_it_knows_consumer_domains_without_dns(dns_server, db):
    result = classify("hotmail.com")

    assert (result.provider, result.source) == ("microsoft", "known_domain")
    assert dns_server.queries == []


@pytest.mark.parametrize(
    ("mx_hosts", "provider"),
    [
        (["aspmx.l.google.com", "alt1.aspmx.l.google.com"], "google"),
        (["acme-com.mail.protection.outlook.com"], "microsoft"),
        (["acme-com.s-v1.mx.microsoft"], "microsoft"),
        (["mta5.am0.yahoodns.net", "mta6.am0.yahoodns.net"], "yahoo"),
        (["mx01.mail.icloud.com"], "apple"),
        (["mx.zoho.eu"], "zoho"),
        (["mail.protonmail.ch", "mailsec.protonmail.ch"], "proton"),
        (["mx.acme-hosting.example"], "other"),
    ],
)
def test_it_classifies_by_mx_when_every_host_matches(dns_server, db, mx_hosts, provider):
    dns_server.add("acme.example", "MX", *[(10 * (i + 1), h) for i, h in enumerate(mx_hosts)])

    result = classify("acme.example")

    assert result.provider == provider
    assert result.source == "mx"
    assert list(result.mx_hosts) == sorted(mx_hosts)


def test_it_calls_a_domain_mixing_providers_other(dns_server, db):
    dns_server.add(
        "mixed.example", "MX", (10, "aspmx.l.google.com"), (20, "mx.backup-provider.example")
    )

    assert classify("mixed.example").provider == "other"


def test_it_does_not_match_a_suffix_inside_a_label(dns_server, db):
    dns_server.add("sneaky.example", "MX", (10, "mx.notgoogle.com"))

    assert classify("sneaky.example").provider == "other"


def test_it_normalises_upper_case_mx_answers(dns_server, db):
    dns_server.add("upper.example", "MX", (10, "ASPMX.L.GOOGLE.COM."))

    assert classify("upper.example").provider == "google"


@pytest.mark.parametrize(
    ("dns_ttl", "cached_for"),
    [
        (60, timedelta(hours=1)),  # clamped up
        (7200, timedelta(hours=2)),
        (30 * 86400, timedelta(days=7)),  # clamped down
    ],
)
@time_machine.travel("2026-11-23 12:00:00+00:00", tick=False)
def test_it_caches_mx_answers_for_the_dns_ttl_clamped(dns_server, db, dns_ttl, cached_for):
    dns_server.add("ttl.example", "MX", (10, "aspmx.l.google.com"), ttl=dns_ttl)

    classify("ttl.example")

    row = RecipientDomain.objects.get(domain="ttl.example")
    assert row.expires_at - timezone.now() == cached_for


def test_it_answers_from_the_cache_without_dns(dns_server, db):
    dns_server.add("cached.example", "MX", (10, "aspmx.l.google.com"))
    classify("cached.example")
    dns_server.clear()  # DNS forgets: the cache must answer

    result = classify("cached.example")

    assert result.provider == "google"
    assert dns_server.queries == []


def test_it_looks_again_once_the_cache_row_expired(dns_server, db):
    dns_server.add("moved.example", "MX", (10, "aspmx.l.google.com"), ttl=3600)
    classify("moved.example")
    dns_server.clear()
    dns_server.add("moved.example", "MX", (10, "moved-example.mail.protection.outlook.com"))

    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert classify("moved.example").provider == "microsoft"


@time_machine.travel("2026-11-23 12:00:00+00:00", tick=False)
def test_it_caches_nxdomain_briefly_as_other(dns_server, db):
    result = classify("gone.example")

    assert (result.provider, result.source) == ("other", "no_mx")
    row = RecipientDomain.objects.get(domain="gone.example")
    assert row.expires_at - timezone.now() == services.NEGATIVE_TTL


def test_it_caches_a_domain_without_mx_as_other(dns_server, db):
    dns_server.add("web-only.example", "A", "192.0.2.80")

    assert classify("web-only.example").source == "no_mx"
    assert RecipientDomain.objects.filter(domain="web-only.example").exists()


def test_it_treats_a_null_mx_as_no_mail(dns_server, db):
    dns_server.add("nomail.example", "MX", (0, "."))

    result = classify("nomail.example")

    assert (result.provider, result.source) == ("other", "no_mx")
    assert "null MX" in result.detail


@pytest.mark.parametrize("failure", ["TIMEOUT", "SERVFAIL"])
def test_it_answers_other_on_a_dns_failure_and_caches_nothing(dns_server, db, settings, failure):
    settings.WARMUP_DNS_TIMEOUT = 0.3
    dns_server.add("flaky.example", "MX", (10, "aspmx.l.google.com"))
    dns_server.fail("flaky.example", failure)

    result = classify("flaky.example")

    assert (result.provider, result.source) == ("other", "dns_error")
    assert not RecipientDomain.objects.exists()
    dns_server.clear()
    dns_server.add("flaky.example", "MX", (10, "aspmx.l.google.com"))
    assert classify("flaky.example").provider == "google"  # next time it looks again


def test_it_classifies_idn_domains(dns_server, db):
    dns_server.add("xn--bcher-kva.example", "MX", (10, "aspmx.l.google.com"))

    (result,) = services.domain_classify_inputs(values=["Bücher.example"])

    assert result.domain == "xn--bcher-kva.example"
    assert result.provider == "google"


def test_it_maps_addresses_to_providers_in_order(dns_server, db):
    dns_server.add("corp.example", "MX", (10, "corp-example.mail.protection.outlook.com"))

    providers = services.addresses_provider(
        addresses=["a@gmail.com", "b@corp.example", "c@CORP.example", "broken@", "d@yahoo.com"]
    )

    assert providers == ["google", "microsoft", "microsoft", "other", "yahoo"]


def test_it_applies_an_operator_edit_to_cached_domains_at_once(dns_server, db):
    dns_server.add("hosted.example", "MX", (10, "mx1.newmail.example"))
    assert classify("hosted.example").provider == "other"
    zoho = MailboxProvider.objects.get(slug="zoho")
    zoho.mx_suffixes = [*zoho.mx_suffixes, ".newmail.example"]
    services.provider_save(provider=zoho)
    dns_server.clear()

    assert classify("hosted.example").provider == "zoho"


def test_it_refreshes_expired_rows_in_bulk(dns_server, db):
    for n in range(5):
        dns_server.add(f"r{n}.example", "MX", (10, "aspmx.l.google.com"), ttl=3600)
    services.domains_classify(domains=[f"r{n}.example" for n in range(5)])
    dns_server.clear()
    for n in range(4):
        dns_server.add(f"r{n}.example", "MX", (10, "mx01.mail.icloud.com"), ttl=7200)
    dns_server.fail("r4.example", "SERVFAIL")

    later = timezone.now() + timedelta(hours=2)
    with time_machine.travel(later, tick=False):
        counts = services.classifications_refresh(batch_size=2)
        results = services.domains_classify(domains=[f"r{n}.example" for n in range(5)])

    assert asdict(counts) == {"refreshed": 4, "unchanged_on_dns_error": 1, "batches": 3}
    assert [results[f"r{n}.example"].provider for n in range(4)] == ["apple"] * 4
    # a DNS failure keeps the last known facts instead of turning the domain into "other"
    assert results["r4.example"].provider == "google"
    row = RecipientDomain.objects.get(domain="r4.example")
    assert row.expires_at == later + services.REFRESH_RETRY


def test_it_refresh_task_summarises_its_work(dns_server, db):
    assert refresh_classifications() == (
        "re-resolved 0 expired recipient domains in 0 batches; 0 kept their MX set after a "
        "DNS failure"
    )


def test_it_reads_a_cached_domain_from_the_table_at_most_once_a_minute(
    dns_server, db, django_assert_num_queries
):
    dns_server.add("corp.example", "MX", (10, "corp-example.mail.protection.outlook.com"))
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        classify("corp.example")  # resolved and stored
    registry_module.invalidate()  # as another process: nothing remembered yet

    with time_machine.travel(start + timedelta(seconds=1), tick=False):
        with django_assert_num_queries(2):  # the registry snapshot, the cache row
            assert classify("corp.example").provider == "microsoft"
        with django_assert_num_queries(0):  # routing's every request: no query
            assert classify("corp.example").provider == "microsoft"
    # A minute on: the row again.
    with (
        time_machine.travel(start + timedelta(seconds=62), tick=False),
        django_assert_num_queries(1),
    ):
        assert classify("corp.example").provider == "microsoft"


def test_it_never_remembers_a_cache_row_past_its_expiry(dns_server, db):
    dns_server.add("short.example", "MX", (10, "aspmx.l.google.com"))
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        classify("short.example")
        RecipientDomain.objects.filter(domain="short.example").update(
            expires_at=start + timedelta(seconds=20)
        )
        registry_module.invalidate()
        classify("short.example")  # remembered until the row expires, in 20 s
    dns_server.clear()
    dns_server.add("short.example", "MX", (10, "short-example.mail.protection.outlook.com"))

    with time_machine.travel(start + timedelta(seconds=21), tick=False):
        assert classify("short.example").provider == "microsoft"
