"""The dashboards without a browser: the charts' figures on the domain page, the IP page, the
overview and the admin, the fleet view, who sees what, and their query counts (constant in
the days and providers shown). tests/test_browser.py draws them in Chromium."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import MembershipFactory, UserFactory
from domains.models import DomainWarmup, DomainWarmupDay, DomainWarmupPlan
from domains.tests.factories import DomainFactory
from ips.services.controls import ip_warmup_pause
from ips.tests import factories as f
from providers.models import MailboxProvider
from reputation.tests.history import domain_history, ip_history
from warmup_site.charts import PROVIDER_COLOURS

NOW = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def providers(count: int) -> list[MailboxProvider]:
    return list(MailboxProvider.objects.order_by("position")[:count])


@pytest.fixture
def domain(account):
    domain = DomainFactory(account=account, name="news.acme.example", status="verified")
    domain_history(domain, days=30, providers=providers(4), today=TODAY)
    return domain


@pytest.fixture
def ip(account):
    ip = f.warming_ip(pool=f.pool(account=account), address="203.0.113.5")
    ip_history(ip, days=20, providers=providers(3), today=TODAY)
    return ip


def figure(page: str, element_id: str) -> dict:
    """The JSON a chart is drawn from, as the page embeds it (json_script)."""
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', page)
    assert match, f"no {element_id} in the page"
    return json.loads(match.group(1))


def queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(path).status_code == 200
    return len(context)


# --- the domain page -----------------------------------------------------------------------------


def test_the_domain_page_draws_each_provider_in_its_colour(owner_client, domain):
    page = owner_client.get(f"/domains/{domain.pk}/").content.decode()

    overview = figure(page, "chart-domain-overview")
    names = [trace["name"] for trace in overview["data"]]
    assert names == [p.name for p in providers(4)]  # one line per provider
    assert [t["line"]["color"] for t in overview["data"]] == [
        PROVIDER_COLOURS[p.slug] for p in providers(4)
    ]
    assert len(overview["data"][0]["x"]) == 30
    details = figure(page, "chart-domain-provider")
    assert details["initial"] == "google" and len(details["choices"]) == 4
    google = {t["name"] for t in details["choices"]["google"]["data"]}
    assert {"Inbox", "Spam", "Missing", "Inbox rate", "Postmaster Tools spam rate"} <= google
    assert "Postmaster Tools spam rate" not in {
        t["name"] for t in details["choices"]["microsoft"]["data"]
    }
    # The same figures as tables, and plotly.js from our static files only on this page.
    assert "Google (Gmail, Workspace): the figures as a table" in page
    assert '<script src="/static/vendor/plotly/plotly-basic.min.js" defer></script>' in page
    assert "cdn" not in page.lower()


def test_the_domain_page_marks_holds_and_graduation(owner_client, domain):
    page = owner_client.get(f"/domains/{domain.pk}/").content.decode()

    overview = figure(page, "chart-domain-overview")
    symbols = {s for trace in overview["data"] for s in trace["marker"]["symbol"]}
    assert {"diamond", "star"} <= symbols  # a held day, a graduation
    details = figure(page, "chart-domain-provider")["choices"]
    assert any(
        a["text"] == "warm" for fig in details.values() for a in fig["layout"]["annotations"]
    )


def test_the_range_links_choose_the_days_shown(owner_client, domain):
    page = owner_client.get(f"/domains/{domain.pk}/?days=7").content.decode()

    assert len(figure(page, "chart-domain-overview")["data"][0]["x"]) == 7
    assert '<span aria-current="true">7 days</span>' in page
    assert 'href="?days=90#charts"' in page


def test_the_domain_page_costs_the_same_queries_for_90_days_at_11_providers(owner_client, account):
    small = DomainFactory(account=account, name="small.example", status="verified")
    domain_history(small, days=3, providers=providers(2), today=TODAY)
    big = DomainFactory(account=account, name="big.example", status="verified")
    domain_history(big, days=90, providers=providers(11), today=TODAY)
    owner_client.get(f"/domains/{small.pk}/")  # warm the session

    # 1 session, 2 user, 3 membership, 4 the domain with its warm-up, 5 records, 6 plans,
    # 7 their recent days, 8 DKIM keys, 9 the snapshot series, 10 the newest verdicts, 11 the
    # plan days of the window, 12 the account switcher
    assert queries(owner_client, f"/domains/{small.pk}/?days=90") == 12
    assert queries(owner_client, f"/domains/{big.pk}/?days=90") == 12


def test_another_accounts_domain_charts_are_not_found(outsider_client, domain):
    assert outsider_client.get(f"/domains/{domain.pk}/").status_code == 404


# --- the IP page ---------------------------------------------------------------------------------


def test_the_ip_page_draws_caps_stages_decisions_and_snds(owner_client, ip):
    page = owner_client.get("/ips/203.0.113.5/").content.decode()

    overview = figure(page, "chart-ip-overview")
    assert [t["name"] for t in overview["data"]] == [p.name for p in providers(3)]
    assert overview["layout"]["yaxis"]["type"] == "log"
    details = figure(page, "chart-ip-provider")["choices"]
    google = {t["name"]: t for t in details["google"]["data"]}
    assert {"Delivered", "Deferred", "Daily cap", "Stage", "Decisions"} <= set(google)
    assert any("backing off" in text for text in google["Decisions"]["text"])
    microsoft = [t for t in details["microsoft"]["data"] if t.get("name") == "SNDS filter"]
    assert microsoft and "GREEN" in microsoft[0]["text"]


def test_the_ip_page_costs_the_same_queries_for_90_days_at_11_providers(owner_client, account):
    pool = f.pool(account=account)
    small = f.warming_ip(pool=pool, address="203.0.113.6")
    ip_history(small, days=3, providers=providers(1), today=TODAY)
    big = f.warming_ip(pool=pool, address="203.0.113.7")
    ip_history(big, days=90, providers=providers(11), today=TODAY)
    owner_client.get("/ips/203.0.113.6/")

    # 1 session, 2 user, 3 membership, 4 the IP, 5 its checks, 6 its rows, 7 their decisions,
    # 8 the week's day rows, 9 the snapshot series, 10 the newest verdicts, 11 the window's
    # decisions, 12 the recent decisions, 13 the account switcher
    assert queries(owner_client, "/ips/203.0.113.6/?days=90") == 13
    assert queries(owner_client, "/ips/203.0.113.7/?days=90") == 13


# --- the overview --------------------------------------------------------------------------------


def test_the_overview_shows_verdicts_progress_and_what_needs_attention(
    owner_client, account, domain, ip, operator
):
    DomainFactory(account=account, name="pending.example")
    ip_warmup_pause(ip=ip, actor=operator, reason="Customer migration", provider="apple")

    page = owner_client.get("/").content.decode()

    assert "Publish the DNS records of pending.example and verify it." in page
    assert "203.0.113.5 at Apple iCloud: paused." in page
    grid = page[page.index('id="reputation"') : page.index('id="domain-progress"')]
    assert grid.count('<th scope="row">') == 4  # the providers with verdicts
    assert 'class="badge badge-positive"' in grid
    progress = page[page.index('id="domain-progress"') :]
    assert "news.acme.example" in progress and "provider" in progress
    assert "203.0.113.5" in progress and "warm everywhere around" in progress
    chart = figure(page, "chart-account-inbox")
    assert [t["name"] for t in chart["data"]] == [p.name for p in providers(4)]


def test_the_overview_costs_a_constant_number_of_queries(owner_client, account, domain, ip):
    owner_client.get("/")
    before = queries(owner_client, "/")
    for n in range(3):
        extra = DomainFactory(account=account, name=f"more{n}.example", status="verified")
        domain_history(extra, days=10, providers=providers(6), today=TODAY)
    assert queries(owner_client, "/") == before


def test_a_member_sees_the_overview_without_the_owners_buttons(member_client, domain):
    page = member_client.get("/").content.decode()

    assert "Reputation by provider" in page
    assert "news.acme.example" in page


# --- the admin -----------------------------------------------------------------------------------


def test_the_admin_change_pages_carry_the_same_charts(operator_client, domain, ip):
    domain_page = operator_client.get(f"/admin/domains/domain/{domain.pk}/change/")
    ip_page = operator_client.get(f"/admin/ips/dedicatedip/{ip.pk}/change/")

    assert len(figure(domain_page.content.decode(), "chart-domain-overview")["data"]) == 4
    assert len(figure(ip_page.content.decode(), "chart-ip-overview")["data"]) == 3
    assert "vendor/plotly/plotly-basic.min.js" in ip_page.content.decode()


def test_the_fleet_view_lists_warm_ups_by_state_with_counts_per_provider(
    operator_client, domain, ip
):
    page = operator_client.get("/admin/reputation/warmupfleet/").content.decode()
    backoff = operator_client.get("/admin/reputation/warmupfleet/?state=backoff").content.decode()
    plans = operator_client.get(
        "/admin/reputation/warmupfleet/?kind=domains&state=warm"
    ).content.decode()

    chart = figure(page, "chart-fleet")
    assert {t["name"] for t in chart["data"]} >= {p.name for p in providers(3)}
    assert page.count('<svg class="sparkline"') >= 3
    assert "Seed network" in page and "Task queue: last failures" in page
    assert backoff.count("Backing off</span>") == len(
        [p for p in ip.warmups.all() if p.state == "backoff"]
    )
    assert "news.acme.example" in plans and "warm since" in plans


def test_the_fleet_view_is_for_operators_only(client, account, password):
    staff = UserFactory(username="sam", is_staff=True)
    MembershipFactory(user=staff, account=account)
    staff.user_permissions.add(*Permission.objects.filter(codename="view_ipwarmup"))
    client.force_login(staff)

    assert client.get("/admin/reputation/warmupfleet/").status_code == 403


def test_the_fleet_view_costs_a_constant_number_of_queries(operator_client, account):
    pool = f.pool(account=account)
    f.warming_ip(pool=pool, address="203.0.113.20")
    operator_client.get("/admin/reputation/warmupfleet/")
    before = queries(operator_client, "/admin/reputation/warmupfleet/")
    for n in range(8):
        f.warming_ip(pool=pool, address=f"203.0.113.{30 + n}")
    assert queries(operator_client, "/admin/reputation/warmupfleet/") == before
    assert queries(operator_client, "/admin/reputation/warmupfleet/?page=2") == before


def test_the_charts_window_defaults_to_30_days(owner_client, domain):
    page = owner_client.get(f"/domains/{domain.pk}/?days=12").content.decode()

    overview = figure(page, "chart-domain-overview")
    assert overview["data"][0]["x"][0] == (TODAY - timedelta(days=29)).isoformat()
    assert len(overview["data"][0]["x"]) == 30


def test_the_fleet_and_the_domain_page_agree_on_a_plan_held_back_only_by_its_inbox_rate(
    operator_client, owner_client, account
):
    domain = DomainFactory(account=account, name="held.acme.example", status="verified")
    warmup = DomainWarmup.objects.create(domain=domain, enabled=True, state="warming")
    plan = DomainWarmupPlan.objects.create(
        warmup=warmup,
        provider=providers(1)[0],
        started_on=TODAY - timedelta(days=8),
        day=9,
        step=6,
        volume=50,
        last_step_on=TODAY,
    )
    # The ramp's last volume went out yesterday, before today's step: only the inbox rate
    # holds the plan back.
    for back in (2, 1):
        DomainWarmupDay.objects.create(
            plan=plan, date=TODAY - timedelta(days=back), day=9 - back, volume=50, sent=50
        )

    fleet = operator_client.get("/admin/reputation/warmupfleet/?kind=domains").content.decode()
    detail = owner_client.get(f"/api/v1/domains/{domain.pk}/warmup/").json()

    sentence = "day 9 · warm once the inbox rate reaches 90%"
    assert sentence in fleet
    assert [p["progress"]["label"] for p in detail["providers"]] == [sentence]
