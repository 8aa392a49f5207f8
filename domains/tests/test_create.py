"""Adding a domain: validation and normalisation, the records to publish, the DKIM key."""

import pytest

from domains import services
from domains.models import DkimKey, DomainRecord
from warmup_site import crypto
from warmup_site.errors import ApplicationError


@pytest.mark.parametrize(
    ("typed", "stored", "shown"),
    [
        ("Example.COM.", "example.com", "example.com"),
        ("  mail.example.org ", "mail.example.org", "mail.example.org"),
        ("Bücher.de", "xn--bcher-kva.de", "bücher.de"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de", "bücher.de"),
        ("例え.jp", "xn--r8jz45g.jp", "例え.jp"),
        ("news.example.co.uk", "news.example.co.uk", "news.example.co.uk"),
    ],
)
def test_it_stores_the_a_label_and_shows_the_u_label(account, typed, stored, shown):
    domain = services.domain_create(account=account, name=typed)

    assert domain.name == stored
    assert domain.unicode_name == shown


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("co.uk", "co.uk is a public suffix"),
        ("github.io", "github.io is a public suffix"),
        ("com", "needs at least two labels"),
        ("xn--p1ai", "needs at least two labels"),
        ("рф.", "needs at least two labels"),
        ("com.ru", "com.ru is a public suffix"),
        ("*.example.com", "is a wildcard"),
        ("192.0.2.1", "is an IP address"),
        ("[2001:db8::1]", "is an IP address"),
        ("a" * 64 + ".com", "label of 64 characters"),
        (".".join(["abcdefghi"] * 26) + ".com", "at most 253"),
        ("bad..example.com", "two dots in a row"),
        ("", "is empty"),
    ],
)
def test_it_refuses_what_is_not_a_sending_domain(account, typed, reason):
    with pytest.raises(ApplicationError) as excinfo:
        services.domain_create(account=account, name=typed)

    assert excinfo.value.field == "name"
    assert reason in excinfo.value.message


def test_it_refuses_a_domain_twice_in_one_account(account):
    services.domain_create(account=account, name="example.com")

    with pytest.raises(ApplicationError, match=r"example\.com is already one of your domains"):
        services.domain_create(account=account, name="EXAMPLE.com.")


def test_it_lets_two_accounts_add_the_same_name(account, other_account):
    ours = services.domain_create(account=account, name="example.com")
    theirs = services.domain_create(account=other_account, name="example.com")

    assert ours.ownership_token != theirs.ownership_token


def test_it_lists_the_records_to_publish(account, settings):
    settings.WARMUP_SPF_INCLUDE = "_spf.warmup.example"
    settings.WARMUP_RETURN_PATH_TARGET = "bounces.warmup.example"
    settings.WARMUP_RETURN_PATH_PREFIX = "rp"
    settings.WARMUP_DKIM_SELECTOR_PREFIX = "wu"

    domain = services.domain_create(account=account, name="example.com")

    key = DkimKey.objects.get(domain=domain)
    rows = list(
        DomainRecord.objects.filter(domain=domain).values_list(
            "kind", "type", "host", "value", "required", "status"
        )
    )
    assert rows == [
        (
            "ownership",
            "TXT",
            "_warmup.example.com",
            f"warmup-verification={domain.ownership_token}",
            True,
            "pending",
        ),
        ("spf", "TXT", "example.com", "v=spf1 include:_spf.warmup.example ~all", True, "pending"),
        (
            "dkim",
            "TXT",
            f"{key.selector}._domainkey.example.com",
            f"v=DKIM1; k=rsa; p={key.public_key}",
            True,
            "pending",
        ),
        ("dmarc", "TXT", "_dmarc.example.com", "v=DMARC1; p=none", True, "pending"),
        ("return_path", "CNAME", "rp.example.com", "bounces.warmup.example", False, "pending"),
    ]
    assert key.selector.startswith("wu-")
    assert key.state == "active"
    assert len(domain.ownership_token) == 32
    assert domain.next_check_at is not None  # the background job picks it up


def test_it_encrypts_the_dkim_private_key(account):
    domain = services.domain_create(account=account, name="example.com")

    key = DkimKey.objects.get(domain=domain)
    assert "PRIVATE KEY" not in key.private_key
    assert crypto.decrypt(key.private_key).startswith("-----BEGIN PRIVATE KEY-----")
