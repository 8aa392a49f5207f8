"""The domain status machine: verified, failed after three days of definite problems, and never
changed by a temporary DNS failure; one account per verified name; verify-now rate limit; DKIM
key rotation."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from domains import services
from domains.models import DkimKey, Domain, DomainRecord
from domains.tests.factories import DomainFactory, publish
from warmup_site.errors import ApplicationError, RateLimited

DAY1 = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)
# Records at the same names for every account that adds example.com: publish them once.
SHARED = {DomainRecord.Kind.SPF, DomainRecord.Kind.DMARC, DomainRecord.Kind.RETURN_PATH}


@pytest.fixture
def domain(account):
    return DomainFactory(account=account, name="example.com")


def check(domain) -> Domain:
    services.domains_check(domain_ids=[domain.pk])
    domain.refresh_from_db()
    return domain


def statuses(domain) -> dict[str, str]:
    return dict(DomainRecord.objects.filter(domain=domain).values_list("kind", "status"))


@pytest.fixture
def verified(dns_server, domain):
    with time_machine.travel(DAY1 - timedelta(days=1), tick=False):
        publish(dns_server, domain)
        check(domain)
    assert domain.status == "verified"
    return domain


def test_it_verifies_a_domain_when_the_required_records_are_ok(dns_server, domain):
    publish(dns_server, domain, skip={DomainRecord.Kind.RETURN_PATH})

    with time_machine.travel(DAY1, tick=False):
        check(domain)

    assert domain.status == "verified"
    assert domain.verified_at == DAY1
    assert domain.last_checked_at == DAY1
    assert domain.next_check_at == DAY1 + timedelta(days=1)
    assert domain.problem == ""


def test_it_keeps_a_domain_pending_and_says_what_is_missing(dns_server, domain):
    publish(dns_server, domain, skip={DomainRecord.Kind.SPF})

    with time_machine.travel(DAY1, tick=False):
        check(domain)

    assert domain.status == "pending"
    assert domain.problem.startswith("Required records are not right: SPF missing.")
    # new domains are looked at hourly while their owner publishes records
    assert domain.next_check_at == DAY1 + timedelta(hours=1)


@pytest.mark.parametrize("failure", ["TIMEOUT", "SERVFAIL"])
def test_it_never_changes_status_on_a_temporary_dns_failure(
    dns_server, verified, settings, failure
):
    settings.WARMUP_DNS_TIMEOUT = 0.3
    found_before = DomainRecord.objects.get(domain=verified, kind="ownership").found
    for record in verified.records.all():
        dns_server.fail(record.host, failure)

    # The clock must tick: dnspython measures its timeout with time.time().
    with time_machine.travel(DAY1, tick=True):
        summary = services.domains_check(domain_ids=[verified.pk])
    verified.refresh_from_db()

    assert summary.dns_errors == 1
    assert verified.status == "verified"
    assert verified.consecutive_failures == 0
    assert verified.problem == ""
    retry_in = verified.next_check_at - verified.last_checked_at
    assert retry_in == timedelta(hours=1)  # retried soon, not in a day
    assert set(statuses(verified).values()) == {"error"}
    ownership = DomainRecord.objects.get(domain=verified, kind="ownership")
    assert ownership.found == found_before  # what we last knew stays visible
    assert "This is usually temporary" in ownership.detail
    assert (failure if failure == "SERVFAIL" else "no answer within 0.3 s") in ownership.detail


def test_it_counts_nxdomain_as_a_definite_problem(dns_server, verified):
    dns_server.clear()  # every name is NXDOMAIN now

    with time_machine.travel(DAY1, tick=False):
        check(verified)

    assert verified.status == "verified"
    assert verified.consecutive_failures == 1
    assert verified.last_failure_on == DAY1.date()
    assert statuses(verified)["ownership"] == "missing"
    assert (
        "does not exist (NXDOMAIN)"
        in DomainRecord.objects.get(domain=verified, kind="ownership").found
    )


def test_it_fails_a_verified_domain_after_three_days_of_definite_problems(dns_server, verified):
    dns_server.remove("_warmup.example.com")

    for day in range(3):
        with time_machine.travel(DAY1 + timedelta(days=day), tick=False):
            check(verified)
        assert verified.status == ("failed" if day == 2 else "verified")

    assert verified.consecutive_failures == 3
    assert verified.failed_at == DAY1 + timedelta(days=2)
    assert "Ownership missing" in verified.problem


def test_it_counts_one_problem_per_day_however_often_it_checks(dns_server, verified):
    dns_server.remove("_warmup.example.com")

    for hour in range(4):
        with time_machine.travel(DAY1 + timedelta(hours=hour), tick=False):
            check(verified)

    assert verified.consecutive_failures == 1


def test_it_does_not_count_a_day_of_dns_trouble(dns_server, verified, settings):
    settings.WARMUP_DNS_TIMEOUT = 0.3
    dns_server.remove("_warmup.example.com")
    with time_machine.travel(DAY1, tick=False):
        check(verified)
    dns_server.fail("_warmup.example.com", "TIMEOUT")
    with time_machine.travel(DAY1 + timedelta(days=1), tick=True):  # dnspython needs a clock
        check(verified)

    assert verified.status == "verified"
    assert verified.consecutive_failures == 1


def test_it_resets_the_count_when_the_records_come_back(dns_server, verified):
    ownership = verified.records.get(kind="ownership")
    dns_server.remove(ownership.host)
    with time_machine.travel(DAY1, tick=False):
        check(verified)
    dns_server.add(ownership.host, "TXT", ownership.value)
    with time_machine.travel(DAY1 + timedelta(days=1), tick=False):
        check(verified)

    assert verified.consecutive_failures == 0
    assert verified.problem == ""


def test_it_verifies_a_failed_domain_again(dns_server, verified):
    Domain.objects.filter(pk=verified.pk).update(status="failed", consecutive_failures=3)

    with time_machine.travel(DAY1, tick=False):
        check(verified)

    assert verified.status == "verified"
    assert verified.verified_at == DAY1
    assert verified.failed_at is None
    assert verified.consecutive_failures == 0


def test_it_lets_only_one_account_verify_a_name(dns_server, verified, other_account):
    theirs = DomainFactory(account=other_account, name="example.com")
    publish(dns_server, theirs, skip=SHARED)  # their token and their DKIM key too

    summary = services.domains_check(domain_ids=[theirs.pk])
    theirs.refresh_from_db()

    assert summary.conflicts == ["example.com"]
    assert theirs.status == "pending"
    ownership = theirs.records.get(kind="ownership")
    assert ownership.status == "mismatch"
    assert "already verified by another Warmup account" in ownership.detail


def test_it_lets_one_of_two_accounts_win_when_they_verify_together(
    dns_server, account, other_account
):
    ours = DomainFactory(account=account, name="example.com")
    theirs = DomainFactory(account=other_account, name="example.com")
    publish(dns_server, ours)
    publish(dns_server, theirs, skip=SHARED)

    summary = services.domains_check(domain_ids=[ours.pk, theirs.pk])

    assert summary.newly_verified == 1
    assert summary.conflicts == ["example.com"]
    assert Domain.objects.filter(name="example.com", status="verified").count() == 1


# --- verify now -----------------------------------------------------------------------------------


def test_it_rate_limits_verify_now_per_domain(dns_server, domain, settings):
    settings.WARMUP_VERIFY_MIN_INTERVAL = 60
    with time_machine.travel(DAY1, tick=False):
        services.domain_verify(domain=domain)
    with (
        time_machine.travel(DAY1 + timedelta(seconds=45), tick=False),
        pytest.raises(RateLimited) as excinfo,
    ):
        services.domain_verify(domain=domain)
    with time_machine.travel(DAY1 + timedelta(seconds=60), tick=False):
        services.domain_verify(domain=domain)

    assert excinfo.value.retry_after == 15
    assert "Try again in 15 seconds" in excinfo.value.message
    domain.refresh_from_db()
    assert domain.last_verify_requested_at == DAY1 + timedelta(seconds=60)


def test_it_keeps_the_rate_limit_in_the_database(domain, account):
    # Another web host (another process, another Domain instance) sees the same limit.
    services.domain_verify(domain=domain)
    elsewhere = Domain.objects.get(pk=domain.pk)

    with pytest.raises(RateLimited):
        services.domain_verify(domain=elsewhere)


def test_it_does_not_rate_limit_the_background_check(domain):
    services.domain_verify(domain=domain)

    assert services.domains_check(domain_ids=[domain.pk]).checked == 1


# --- DKIM key rotation ----------------------------------------------------------------------------


def test_it_rotates_the_dkim_key_once_the_new_one_verifies(dns_server, verified):
    old = verified.dkim_keys.get()

    new = services.domain_dkim_rotate(domain=verified)

    assert new.state == "next" and new.selector != old.selector
    new_record = DomainRecord.objects.get(dkim_key=new)
    assert not new_record.required
    assert new_record.value == f"v=DKIM1; k=rsa; p={new.public_key}"

    # not yet published: the old key keeps signing and the domain stays verified
    summary = services.domains_check(domain_ids=[verified.pk])
    verified.refresh_from_db()
    assert summary.keys_promoted == 0
    assert verified.status == "verified"
    assert DkimKey.objects.get(pk=old.pk).state == "active"
    assert DomainRecord.objects.get(dkim_key=new).status == "missing"

    dns_server.add(new_record.host, "TXT", new_record.value)
    summary = services.domains_check(domain_ids=[verified.pk])

    assert summary.keys_promoted == 1
    assert DkimKey.objects.get(pk=new.pk).state == "active"
    retired = DkimKey.objects.get(pk=old.pk)
    assert retired.state == "retired" and retired.retired_at is not None
    dkim_records = DomainRecord.objects.filter(domain=verified, kind="dkim")
    assert [(r.dkim_key_id, r.required) for r in dkim_records] == [(new.pk, True)]
    assert "It is now the active key" in dkim_records[0].detail


def test_it_refuses_a_second_rotation_while_one_is_waiting(verified):
    services.domain_dkim_rotate(domain=verified)

    with pytest.raises(ApplicationError, match="already waiting"):
        services.domain_dkim_rotate(domain=verified)
