"""What a customer sees, in headless Chromium: switching Domain Warmup on and off."""

from pathlib import Path

import pytest
from django.utils import timezone

from domains.models import Domain
from domains.tests.factories import DomainFactory
from engagement.models import WarmupMessage
from engagement.sandbox import seed_endpoint_defaults
from engagement.services.seeds import seed_create
from providers.models import MailboxProvider
from warmup_site.testing import load_reference_data

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_owner_switches_domain_warmup_on_and_off(browser, live_server, owner, password):
    load_reference_data()
    for slug, host in (("google", "gmail.test"), ("yahoo", "yahoo.test")):
        seed_create(
            provider=MailboxProvider.objects.get(slug=slug),
            address=f"seed1@{host}",
            secret="x",
            **seed_endpoint_defaults(),
        )
    domain = DomainFactory(
        account=owner.memberships.get().account,
        name="news.browser.example",
        status=Domain.Status.VERIFIED,
        verified_at=timezone.now(),
    )

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login/?next=/domains/{domain.pk}/")
        page.fill("#id_username", owner.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_selector("h2:has-text('Domain Warmup')")

        page.click("button.switch")
        page.wait_for_selector("table.warmup-progress")
        rows = page.locator("table.warmup-progress tr.warmup-provider")
        # Every provider with consumer mailboxes is listed; those without seeds as not covered.
        assert rows.count() == 10
        assert "Warming" in rows.first.inner_text()
        assert "Not covered" in page.locator("tr.provider-comcast").inner_text()
        assert page.locator("button.switch").get_attribute("aria-checked") == "true"
        scheduled = WarmupMessage.objects.filter(domain=domain, status="scheduled").count()
        assert scheduled > 0

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "domain-warmup.png"), full_page=True)

        page.click("button.switch")
        page.wait_for_selector("button.switch[aria-checked=false]")
        assert WarmupMessage.objects.filter(domain=domain, status="scheduled").count() == 0
        # History stays on the page after switching off; each provider says it is paused.
        assert page.locator("table.warmup-progress tr.warmup-provider").count() == 10
        assert page.locator("tr.warmup-provider[data-state=paused]").count() == 2
        assert page.locator("tr.warmup-provider[data-state=not_covered]").count() == 8
    finally:
        context.close()
