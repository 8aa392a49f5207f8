"""The dashboards in headless Chromium, as the customer and as the operator: every page draws its
charts (one plotly trace per provider), logs no console error and no CSP violation (conftest's
`page` fixture), has no horizontal overflow at 375 px, passes axe-core's WCAG 2.1 AA rules; the
Domain Warmup switch shows its new state where the user is looking and the provider rows follow.

Each page is saved as a screenshot (desktop and 375 px) in WARMUP_SCREENSHOTS_DIR (default
artifacts/screenshots/, a CI artifact). `make tour` also writes docs/tour/'s images.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts import services as account_services
from domains.tests.factories import DomainFactory
from engagement.sandbox import seed_endpoint_defaults
from engagement.services.seeds import seed_create
from ips.models import IpWarmup, IpWarmupDecision
from ips.tests import factories as f
from providers.models import MailboxProvider
from reputation.tests.history import domain_history, ip_history
from warmup_site.testing import load_reference_data
from warmup_site.testing.axe import axe_violations, describe

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / os.environ.get("WARMUP_SCREENSHOTS_DIR", "artifacts/screenshots")
# `make tour`: the few viewport shots docs/tour.md shows (what the window shows, not the whole
# page, to keep the repository small).
TOUR = Path(os.environ["WARMUP_TOUR_DIR"]) if os.environ.get("WARMUP_TOUR_DIR") else None
DESKTOP, PHONE = (1280, 900), (375, 812)


@pytest.fixture
def world(owner, operator):
    """The owner's account as the demo has it: a warming domain with ten days of history at
    four providers, a pending domain, a warming IP at three providers (one backing off), the
    sandbox's seeds; the operator is also a member, as in the demo."""
    load_reference_data()
    account = owner.memberships.get().account
    account_services.membership_add(account=account, user=operator, role="admin")
    today = timezone.now().date()
    providers = list(MailboxProvider.objects.order_by("position"))
    domain = DomainFactory(account=account, name="news.acme.example", status="verified")
    # Ten days: some providers graduated, others still ramping or holding after a spammy day.
    domain_history(domain, days=10, providers=providers[:4], today=today)
    DomainFactory(account=account, name="acme.example")
    ip = f.warming_ip(pool=f.pool(account=account, name="acme-dedicated"), address="203.0.113.5")
    ip_history(ip, days=20, providers=providers[:3], today=today)
    # Yesterday Yahoo throttled: the controller backed off this morning.
    yahoo = IpWarmup.objects.get(ip=ip, provider__slug="yahoo")
    IpWarmupDecision.objects.create(
        warmup=yahoo,
        day=today - timedelta(days=1),
        daily=False,
        kind="backoff",
        from_state="warming",
        to_state="backoff",
        from_stage=yahoo.stage,
        to_stage=max(yahoo.stage - 2, 1),
        from_cap=yahoo.daily_cap,
        to_cap=yahoo.daily_cap // 2,
        reason=f"{yahoo.daily_cap // 10:,} throttling replies on {yahoo.daily_cap:,} routed "
        "(10.0%; back-off at 2.0%): to what the provider took ×1.75, at least 50% of the cap.",
        created_at=timezone.now(),
    )
    IpWarmup.objects.filter(pk=yahoo.pk).update(
        state="backoff", stage=max(yahoo.stage - 2, 1), daily_cap=yahoo.daily_cap // 2
    )
    for provider, host in ((providers[0], "gmail.test"), (providers[2], "yahoo.test")):
        seed_create(
            provider=provider, address=f"seed1@{host}", secret="x", **seed_endpoint_defaults()
        )
    return {"domain": domain, "ip": ip, "providers": providers}


def log_in(page, live_server, username: str, password: str, *, admin: bool = False) -> None:
    page.goto(f"{live_server.url}{'/admin/login/' if admin else '/login/'}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("[type=submit]")
    page.wait_for_load_state()


def shoot(page, name: str, *, tour: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    if tour and TOUR is not None:
        TOUR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(TOUR / f"{name}.png"))


def open_page(page, url: str, *, charts: bool) -> None:
    page.goto(url)
    if charts:
        page.wait_for_selector("body[data-charts=drawn]", timeout=20_000)


def no_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url}: {width} px wide in a {viewport} px window"


def traces(page, chart_id: str) -> int:
    """plotly's drawn traces in a chart: lines are scatter traces, bars bar traces."""
    return page.locator(f"[data-chart='{chart_id}'] .trace").count()


def check(page, *, name: str, tour: bool = False) -> None:
    """At both sizes: no horizontal overflow, a screenshot; at desktop size: axe-core's AA."""
    page.set_viewport_size(dict(zip(("width", "height"), DESKTOP, strict=True)))
    violations = axe_violations(page)
    assert not violations, f"{page.url}:\n{describe(violations)}"
    no_overflow(page)
    shoot(page, f"{name}-desktop", tour=tour)
    page.set_viewport_size(dict(zip(("width", "height"), PHONE, strict=True)))
    page.wait_for_timeout(300)  # plotly redraws at the new width
    no_overflow(page)
    shoot(page, f"{name}-375", tour=tour and name == "customer-domain")
    page.set_viewport_size(dict(zip(("width", "height"), DESKTOP, strict=True)))


def test_the_customer_sees_charts_progress_and_attention(page, live_server, world, password):
    log_in(page, live_server, "olivia", password)
    base, domain = live_server.url, world["domain"]

    open_page(page, f"{base}/", charts=True)
    assert traces(page, "chart-account-inbox") == 4  # one line per provider with seeds
    assert page.locator("#attention").inner_text().count("acme.example") >= 1
    assert page.locator(".overview-grid tbody tr").count() >= 4
    check(page, name="customer-overview", tour=True)

    open_page(page, f"{base}/domains/", charts=False)
    assert "day 30" in page.locator("#domains").inner_text() or "warm" in page.inner_text(
        "#domains"
    )
    check(page, name="customer-domains")

    open_page(page, f"{base}/domains/{domain.pk}/", charts=True)
    assert traces(page, "chart-domain-overview") == 4
    # The per-provider chart: bars and lines for the first provider, then another one.
    first = traces(page, "chart-domain-provider")
    page.select_option("select[data-chart-choose]", "microsoft")
    page.wait_for_selector("[data-chart='chart-domain-provider'][data-plotted=yes]")
    assert traces(page, "chart-domain-provider") == first - 1  # no Postmaster line
    check(page, name="customer-domain", tour=True)

    open_page(page, f"{base}/ips/", charts=False)
    check(page, name="customer-ips")

    open_page(page, f"{base}/ips/203.0.113.5/", charts=True)
    assert traces(page, "chart-ip-overview") == 3
    assert page.locator("tr.provider-yahoo[data-state=backoff]").count() == 1
    check(page, name="customer-ip", tour=True)


def test_the_switch_confirms_in_view_and_the_rows_follow(page, live_server, world, password):
    log_in(page, live_server, "olivia", password)
    page.goto(f"{live_server.url}/domains/{world['domain'].pk}/")
    switch = page.locator("button.switch")
    assert switch.get_attribute("aria-checked") == "true"
    assert switch.bounding_box()["y"] < 600  # near the top of the page

    switch.click()
    page.wait_for_selector("button.switch[aria-checked=false]")
    status = page.locator("#warmup-status .alert")
    assert "Domain Warmup is off for news.acme.example" in status.inner_text()
    assert status.is_visible() and in_viewport(page, status)
    states = page.locator("tr.warmup-provider").evaluate_all(
        "rows => rows.map(r => r.dataset.state)"
    )
    assert states == ["paused"] * 4
    assert page.evaluate("document.activeElement.classList.contains('switch')")
    shoot(page, "customer-switch-off", tour=True)

    page.locator("button.switch").click()
    page.wait_for_selector("button.switch[aria-checked=true]")
    assert "on again" in page.locator("#warmup-status .alert").inner_text()
    states = page.locator("tr.warmup-provider").evaluate_all(
        "rows => rows.map(r => r.dataset.state)"
    )
    assert "paused" not in states


def in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.evaluate("window.innerHeight")
    topbar = page.locator(".topbar").bounding_box()["height"]
    return box is not None and box["y"] >= topbar and box["y"] + box["height"] <= height


def test_the_switch_works_without_javascript(browser, live_server, world, password):
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        log_in(page, live_server, "olivia", password)
        page.goto(f"{live_server.url}/domains/{world['domain'].pk}/")
        page.click("button.switch")
        page.wait_for_load_state()

        assert page.url.endswith("#warmup")
        status = page.locator("#warmup-status .alert")
        assert "Domain Warmup is off" in status.inner_text()
        assert in_viewport(page, status)
        assert page.locator("button.switch").get_attribute("aria-checked") == "false"
    finally:
        context.close()


def test_the_operator_sees_the_charts_in_the_admin_and_the_fleet(
    page, live_server, world, password
):
    log_in(page, live_server, "opal", password, admin=True)
    base = live_server.url

    open_page(page, f"{base}/admin/reputation/warmupfleet/", charts=True)
    fleet_providers = page.locator("#counts figure tbody tr").count()
    assert traces(page, "chart-fleet") == fleet_providers  # one bar trace per provider
    assert page.locator(".fleet-ips tbody tr").count() >= 3
    assert page.locator("svg.sparkline").count() >= 3
    check(page, name="operator-fleet", tour=True)

    open_page(page, f"{base}/admin/ips/dedicatedip/{world['ip'].pk}/change/", charts=True)
    assert traces(page, "chart-ip-overview") == 3
    shoot(page, "operator-ip-desktop")

    open_page(page, f"{base}/admin/domains/domain/{world['domain'].pk}/change/", charts=True)
    assert traces(page, "chart-domain-overview") == 4
    shoot(page, "operator-domain-desktop")

    # The operator is a member of the account too: the customer pages as they see them.
    open_page(page, f"{base}/", charts=True)
    assert traces(page, "chart-account-inbox") == 4
    shoot(page, "operator-overview-desktop")


def test_an_empty_account_is_told_what_to_do_next(page, live_server, db, password):
    load_reference_data()
    account_services.account_create(name="New Sender", owner_username="nina", password=password)

    log_in(page, live_server, "nina", password)
    open_page(page, f"{live_server.url}/", charts=False)

    assert page.locator("text=Add your domain").count() == 1
    assert page.locator("script[src*=plotly]").count() == 0
    check(page, name="customer-empty-overview")
    open_page(page, f"{live_server.url}/domains/", charts=False)
    assert page.locator("text=No domains yet").count() == 1
    open_page(page, f"{live_server.url}/ips/", charts=False)
    check(page, name="customer-empty-ips")
