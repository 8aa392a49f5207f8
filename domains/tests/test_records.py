"""Each record kind ok / missing / mismatch against the real DNS test server, with what a person
reads in `found` and `detail`."""

import pytest

from domains import services
from domains.models import DomainRecord
from domains.tests.factories import DomainFactory, publish

Kind = DomainRecord.Kind


@pytest.fixture
def domain(account):
    return DomainFactory(account=account, name="example.com")


def check(domain) -> dict[str, DomainRecord]:
    services.domains_check(domain_ids=[domain.pk])
    return {r.kind: r for r in DomainRecord.objects.filter(domain=domain, required=True)} | {
        r.kind: r for r in DomainRecord.objects.filter(domain=domain, required=False)
    }


def test_it_finds_every_record_ok(dns_server, domain):
    publish(dns_server, domain)

    records = check(domain)

    assert {kind: r.status for kind, r in records.items()} == {
        "ownership": "ok",
        "spf": "ok",
        "dkim": "ok",
        "dmarc": "ok",
        "return_path": "ok",
    }
    assert all(r.checked_at is not None for r in records.values())


@pytest.mark.parametrize("kind", list(Kind))
def test_it_reports_each_missing_record(dns_server, domain, kind):
    publish(dns_server, domain, skip={kind})

    records = check(domain)

    assert records[kind].status == "missing"
    assert {k: r.status for k, r in records.items() if k != kind} == {
        k: "ok" for k in Kind if k != kind
    }
    assert records[kind].detail  # a sentence saying what to publish


# --- ownership ------------------------------------------------------------------------------------


def test_it_explains_a_wrong_ownership_token(dns_server, domain):
    publish(dns_server, domain, skip={Kind.OWNERSHIP})
    dns_server.add("_warmup.example.com", "TXT", "warmup-verification=0123456789abcdef")

    record = check(domain)[Kind.OWNERSHIP]

    assert record.status == "mismatch"
    assert record.found == "warmup-verification=0123456789abcdef"
    assert "holds another token" in record.detail


def test_it_finds_the_ownership_token_among_other_txt_records(dns_server, domain):
    publish(dns_server, domain, skip={Kind.OWNERSHIP})
    dns_server.add(
        "_warmup.example.com", "TXT", "something-else=1", domain.records.get(kind="ownership").value
    )

    assert check(domain)[Kind.OWNERSHIP].status == "ok"


# --- DKIM -----------------------------------------------------------------------------------------


def test_it_joins_a_dkim_key_split_into_character_strings(dns_server, domain):
    publish(dns_server, domain, skip={Kind.DKIM})
    record = domain.records.get(kind="dkim")
    value = record.value
    pieces = [value[:100], value[100:255], value[255:]]  # three strings, as DNS hosts split them
    dns_server.add(record.host, "TXT", pieces)

    checked = check(domain)[Kind.DKIM]

    assert len(value) > 255
    assert checked.status == "ok"
    assert checked.found == value


def test_it_accepts_a_dkim_key_with_spaces_and_upper_case_tags(dns_server, domain):
    publish(dns_server, domain, skip={Kind.DKIM})
    record = domain.records.get(kind="dkim")
    key = domain.dkim_keys.get().public_key
    wrapped = " ".join(key[i : i + 64] for i in range(0, len(key), 64))
    dns_server.add(record.host, "TXT", f"V=DKIM1; K=rsa; P={wrapped}")

    assert check(domain)[Kind.DKIM].status == "ok"


def test_it_follows_a_cname_chain_to_a_delegated_dkim_key(dns_server, domain):
    publish(dns_server, domain, skip={Kind.DKIM})
    record = domain.records.get(kind="dkim")
    dns_server.add(record.host, "CNAME", "KEYS.DNS-HOST.EXAMPLE.")
    dns_server.add("keys.dns-host.example", "CNAME", "sel1.keys.dns-host.example")
    dns_server.add("sel1.keys.dns-host.example", "TXT", record.value)

    checked = check(domain)[Kind.DKIM]

    assert checked.status == "ok"
    assert "through CNAME to sel1.keys.dns-host.example" in checked.detail


def test_it_explains_a_different_dkim_key(dns_server, domain):
    publish(dns_server, domain, skip={Kind.DKIM})
    record = domain.records.get(kind="dkim")
    dns_server.add(record.host, "TXT", record.value[:-20] + "AAAAAAAAAAAAAAAAAAAA")

    checked = check(domain)[Kind.DKIM]

    assert checked.status == "mismatch"
    assert "holds a different key" in checked.detail
    assert "cut short" in checked.detail


def test_it_explains_a_revoked_dkim_key(dns_server, domain):
    publish(dns_server, domain, skip={Kind.DKIM})
    dns_server.add(domain.records.get(kind="dkim").host, "TXT", "v=DKIM1; k=rsa; p=")

    checked = check(domain)[Kind.DKIM]

    assert checked.status == "mismatch"
    assert "revoked" in checked.detail


# --- DMARC ----------------------------------------------------------------------------------------


def test_it_shows_the_dmarc_policy_found(dns_server, domain):
    publish(dns_server, domain, skip={Kind.DMARC})
    dns_server.add("_dmarc.example.com", "TXT", "v=DMARC1; p=quarantine; rua=mailto:d@example.com")

    checked = check(domain)[Kind.DMARC]

    assert checked.status == "ok"
    assert "p=quarantine" in checked.detail
    assert "into spam" in checked.detail
    assert checked.value == "v=DMARC1; p=quarantine; rua=mailto:d@example.com"


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ("v=DMARC1; rua=mailto:d@example.com", "has no p= tag"),
        ("v=DMARC1; p=block", "p=block is not a policy"),
        ("p=none; v=DMARC1", "must start with v=DMARC1"),
    ],
)
def test_it_explains_an_invalid_dmarc_record(dns_server, domain, record, reason):
    publish(dns_server, domain, skip={Kind.DMARC})
    dns_server.add("_dmarc.example.com", "TXT", record)

    checked = check(domain)[Kind.DMARC]

    assert checked.status == "mismatch"
    assert reason in checked.detail
    assert checked.value == "v=DMARC1; p=none"


def test_it_recommends_a_dmarc_record_when_there_is_none(dns_server, domain):
    publish(dns_server, domain, skip={Kind.DMARC})

    checked = check(domain)[Kind.DMARC]

    assert checked.status == "missing"
    assert checked.value == "v=DMARC1; p=none"
    assert "p=none only asks for reports" in checked.detail


def test_it_falls_back_to_the_organisational_domains_dmarc_record(dns_server, account):
    domain = DomainFactory(account=account, name="news.mail.example.co.uk")
    publish(dns_server, domain, skip={Kind.DMARC})
    dns_server.add("_dmarc.example.co.uk", "TXT", "v=DMARC1; p=reject; sp=quarantine")

    checked = check(domain)[Kind.DMARC]

    assert checked.status == "ok"
    assert "_dmarc.example.co.uk applies to news.mail.example.co.uk" in checked.detail
    assert "sp=quarantine" in checked.detail
    assert checked.found.endswith("(inherited from the organisational domain)")


def test_it_prefers_the_subdomains_own_dmarc_record(dns_server, account):
    domain = DomainFactory(account=account, name="news.example.com")
    publish(dns_server, domain)  # publishes _dmarc.news.example.com
    dns_server.add("_dmarc.example.com", "TXT", "v=DMARC1; p=reject")

    checked = check(domain)[Kind.DMARC]

    assert checked.status == "ok"
    assert checked.detail == (
        "Your DMARC policy is p=none: receivers only report, they take no action on mail that "
        "fails."
    )


def test_it_says_where_it_looked_for_dmarc(dns_server, account):
    domain = DomainFactory(account=account, name="news.example.com")
    publish(dns_server, domain, skip={Kind.DMARC})

    checked = check(domain)[Kind.DMARC]

    assert checked.status == "missing"
    assert checked.found == (
        "no DMARC record at _dmarc.news.example.com nor at _dmarc.example.com "
        "(your organisational domain)"
    )


# --- return path ----------------------------------------------------------------------------------


def test_it_accepts_an_upper_case_return_path_target_with_a_trailing_dot(dns_server, domain):
    publish(dns_server, domain, skip={Kind.RETURN_PATH})
    dns_server.add("BOUNCES.EXAMPLE.COM", "CNAME", "BOUNCES.WARMUP.INVALID.")

    checked = check(domain)[Kind.RETURN_PATH]

    assert checked.status == "ok"
    assert checked.found == "CNAME bounces.warmup.invalid"


def test_it_follows_a_return_path_cname_chain(dns_server, domain):
    publish(dns_server, domain, skip={Kind.RETURN_PATH})
    dns_server.add("bounces.example.com", "CNAME", "rp.example.net")
    dns_server.add("rp.example.net", "CNAME", "bounces.warmup.invalid")

    checked = check(domain)[Kind.RETURN_PATH]

    assert checked.status == "ok"
    assert checked.found == "CNAME rp.example.net → bounces.warmup.invalid"


def test_it_explains_a_return_path_pointing_elsewhere(dns_server, domain):
    publish(dns_server, domain, skip={Kind.RETURN_PATH})
    dns_server.add("bounces.example.com", "CNAME", "bounces.other-esp.example")

    checked = check(domain)[Kind.RETURN_PATH]

    assert checked.status == "mismatch"
    assert "points to bounces.other-esp.example, not to bounces.warmup.invalid" in checked.detail


def test_it_verifies_without_the_return_path(dns_server, domain):
    publish(dns_server, domain, skip={Kind.RETURN_PATH})

    check(domain)

    domain.refresh_from_db()
    assert domain.status == "verified"


def test_it_asks_for_the_configured_return_path_target(dns_server, domain, settings):
    publish(dns_server, domain)
    settings.WARMUP_RETURN_PATH_TARGET = "bounces.new-target.example"

    checked = check(domain)[Kind.RETURN_PATH]

    assert checked.status == "mismatch"
    assert checked.value == "bounces.new-target.example"
