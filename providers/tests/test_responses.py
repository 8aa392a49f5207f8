"""SMTP-response rules on the providers' real reply texts, and their admin."""

import pytest

from providers import responses
from providers.models import SmtpResponseRule


def classify(text, provider, code=None, status=""):
    rule = responses.response_classify(
        rules=responses.rules_load(),
        provider=provider,
        smtp_code=code,
        enhanced_status=status,
        response=text,
    )
    return rule.category if rule else None


@pytest.mark.parametrize(
    ("provider", "text", "category"),
    [
        (
            "google",
            "421-4.7.28 [203.0.113.9      15] Our system has detected an unusual rate of "
            "unsolicited mail originating from your IP address. To protect our users from spam, "
            "mail sent from your IP address has been temporarily rate limited.",
            "throttled",
        ),
        (
            "google",
            "550-5.7.1 [203.0.113.9      12] Our system has detected that this message is likely "
            "unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been "
            "blocked.",
            "blocked",
        ),
        (
            "google",
            "421-4.7.26 This mail has been rate limited because it is unauthenticated. Gmail "
            "requires all senders to authenticate with either SPF or DKIM.",
            "throttled",
        ),
        (
            "google",
            "550-5.7.26 Unauthenticated email from acme.example is not accepted due to domain's "
            "DMARC policy.",
            "blocked",
        ),
        (
            "microsoft",
            "451 4.7.500 Server busy. Please try again later from [203.0.113.9]. (S3140) "
            "[VI1EUR04FT063.eop-eur04.prod.protection.outlook.com]",
            "throttled",
        ),
        (
            "microsoft",
            "451 4.7.500 Server busy. Please try again later from [203.0.113.9]. (S3150) "
            "[AM2EUR03FT012.eop-EUR03.prod.protection.outlook.com]",
            "throttled",
        ),
        (
            "microsoft",
            "550 5.7.606 Access denied, banned sending IP [203.0.113.9]. To request removal from "
            "this list please visit https://sender.office.com/",
            "blocked",
        ),
        (
            "microsoft",
            "550 5.7.649 Access denied, banned sending IP [203.0.113.9].",
            "blocked",
        ),
        (
            "microsoft",
            "451 4.7.650 The mail server [203.0.113.9] has been temporarily rate limited due to "
            "IP reputation. For e-mail delivery information, see https://postmaster.live.com",
            "throttled",
        ),
        (
            "yahoo",
            "421 4.7.0 [TSS04] Messages from 203.0.113.9 temporarily deferred due to unexpected "
            "volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
            "throttled",
        ),
        (
            "yahoo",
            "421 4.7.0 [TS02] Messages from 203.0.113.9 temporarily deferred due to user "
            "complaints - 4.16.55.1",
            "throttled",
        ),
        (
            "yahoo",
            "553 5.7.1 [TS03] All messages from 203.0.113.9 will be permanently deferred; "
            "Retrying will NOT succeed.",
            "blocked",
        ),
        (
            "microsoft",
            "550 5.7.1 Service unavailable, Client host [203.0.113.9] blocked using Spamhaus. "
            "To request removal from this list see https://www.spamhaus.org/query/ip/203.0.113.9",
            "blocklisted",
        ),
        (
            "other",
            "554 5.7.1 Service unavailable; Client host [203.0.113.9] blocked using "
            "bl.spamcop.net; Blocked - see https://www.spamcop.net/bl.shtml?203.0.113.9",
            "blocklisted",
        ),
        (
            "other",
            "554 Service unavailable; Client host [203.0.113.9] blocked using Barracuda "
            "Reputation; http://www.barracudanetworks.com/reputation/?r=1&ip=203.0.113.9",
            "blocklisted",
        ),
        (
            "google",
            "550-5.1.1 The email account that you tried to reach does not exist. Please try "
            "double-checking the recipient's email address for typos or unnecessary spaces.",
            "hard_bounce",
        ),
        (
            "microsoft",
            "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
            "hard_bounce",
        ),
        (
            "google",
            "452-4.2.2 The recipient's inbox is out of storage space.",
            "soft_bounce",
        ),
    ],
)
def test_it_classifies_the_providers_real_replies(db, provider, text, category):
    assert classify(text, provider) == category


def test_every_default_rule_matches_its_own_example(db):
    for rule in SmtpResponseRule.objects.select_related("provider"):
        slug = rule.provider.slug if rule.provider else "other"
        compiled = responses.response_classify(
            rules=responses.rules_load(),
            provider=slug,
            smtp_code=None,
            enhanced_status="",
            response=rule.example,
        )
        assert compiled is not None and compiled.id == rule.pk, rule.name


def test_a_5_1_1_bounce_is_list_quality_not_reputation(db):
    assert classify("550 5.1.1 <nobody@acme.example>: Recipient address rejected", "other") == (
        "hard_bounce"
    )


def test_it_keeps_provider_rules_to_their_provider(db):
    # Microsoft's S3140 text at another provider means nothing.
    assert classify("451 4.7.500 Server busy. (S3140)", "yahoo") is None


def test_it_does_not_read_an_ip_address_as_a_status_code(db):
    assert responses.reply_parts("250 OK queued as 203.0.113.9 5.1.1") == (250, "")
    assert classify("550 rejected: 192.5.1.1 is not welcome", "other") is None


def test_codes_given_by_the_pipeline_win_over_the_text(db):
    assert classify("Server busy", "google", code=421, status="4.7.28") == "throttled"
    assert classify("421-4.7.28 unusual rate", "google", code=550, status="5.1.1") == (
        "hard_bounce"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("4.7.28", ((4, 7, 28), (4, 7, 28))), ("5.7.606-5.7.649", ((5, 7, 606), (5, 7, 649)))],
)
def test_it_parses_status_ranges(text, expected):
    assert responses.parse_status_range(text) == expected


@pytest.mark.parametrize("text", ["4.7", "5.7.649-5.7.606", "x.7.1", "4.7.1-"])
def test_it_refuses_malformed_status_ranges(text):
    with pytest.raises(ValueError):
        responses.parse_status_range(text)


def form_data(**changes):
    data = {
        "name": "Fastmail: rate limited",
        "position": 55,
        "enabled": "on",
        "provider": "",
        "smtp_codes": "451",
        "enhanced_status": "4.7.1",
        "pattern": "rate limit",
        "category": "throttled",
        "example": "451 4.7.1 You are being rate limited, try again later",
        "notes": "",
    }
    data.update(changes)
    return data


def test_an_operator_adds_a_rule_that_matches_its_example(operator_client):
    response = operator_client.post("/admin/providers/smtpresponserule/add/", form_data())

    assert response.status_code == 302
    rule = SmtpResponseRule.objects.get(name="Fastmail: rate limited")
    assert rule.category == "throttled"
    assert classify("451 4.7.1 You are being rate limited", "other") == "throttled"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"pattern": "rate ("}, "is not a valid regular expression"),
        ({"enhanced_status": "4.7"}, "is not an enhanced status code"),
        ({"smtp_codes": "45"}, "is not an SMTP reply code"),
        ({"example": "250 2.0.0 OK"}, "does not match this rule"),
    ],
)
def test_the_admin_refuses_a_broken_rule(operator_client, change, message):
    response = operator_client.post("/admin/providers/smtpresponserule/add/", form_data(**change))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SmtpResponseRule.objects.filter(name="Fastmail: rate limited").exists()


def test_it_lists_the_rules_in_the_admin(operator_client):
    response = operator_client.get("/admin/providers/smtpresponserule/")

    assert response.status_code == 200
    assert "Microsoft: banned sending IP" in response.content.decode()
