"""What a person sees, in headless Chromium: add a domain, copy a record, verify."""

from pathlib import Path

import pytest

from domains.models import Domain
from domains.tests.factories import publish
from warmup_site.testing import load_reference_data

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_it_adds_a_domain_copies_a_record_and_verifies(
    browser, live_server, owner, password, dns_server
):
    load_reference_data()  # an earlier transactional test may have flushed the database
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        permissions=["clipboard-read", "clipboard-write"],
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login/?next=/domains/")
        page.fill("#id_username", "olivia")
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_selector("h1:has-text('Verified Domains')")

        page.click("text=Add domain")
        page.fill("#id_name", "co.uk")
        page.click("button:has-text('Add domain')")
        assert "co.uk is a public suffix" in page.locator(".field .error").inner_text()

        page.fill("#id_name", "Bücher.example")
        page.click("button:has-text('Add domain')")
        page.wait_for_selector("h1:has-text('bücher.example')")
        domain = Domain.objects.get(name="xn--bcher-kva.example")
        assert page.locator("table.records tbody tr").count() == 5

        ownership = domain.records.get(kind="ownership")
        button = page.locator(f"button[data-copy='#value-{ownership.pk}']")
        button.click()
        page.wait_for_selector(f"button[data-copy='#value-{ownership.pk}']:has-text('Copied')")
        assert page.evaluate("navigator.clipboard.readText()") == ownership.value

        publish(dns_server, domain)
        page.click("button:has-text('Verify')")
        page.wait_for_selector("text=bücher.example is verified.")
        assert page.locator("table.records .badge-ok").count() == 5
        assert "Last checked" in page.locator(".page-header").inner_text()

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "domain-detail.png"), full_page=True)
        page.goto(f"{live_server.url}/domains/")
        page.screenshot(path=str(ARTIFACTS / "domain-list.png"), full_page=True)
    finally:
        context.close()
