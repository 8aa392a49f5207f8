from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def test_it_prints_each_domain_with_its_provider_and_reason(dns_server, db):
    dns_server.add("corp.example", "MX", (10, "corp-example.mail.protection.outlook.com"))
    out = StringIO()

    call_command("classify", "gmail.com", "corp.example", "GMAIL.COM", stdout=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].split()[:2] == ["gmail.com", "google"]
    assert "known consumer domain" in lines[0]
    assert lines[1].split()[:2] == ["corp.example", "microsoft"]
    assert "MX corp-example.mail.protection.outlook.com" in lines[1]


def test_it_names_an_invalid_domain(db):
    with pytest.raises(
        CommandError, match=r"domain 1: 'not a domain\.example' has the label 'not a domain'"
    ):
        call_command("classify", "gmail.com", "not a domain.example")
