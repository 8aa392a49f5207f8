"""The customer's Dedicated IPs page, the operators' admin and the demo data."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.management import call_command

from accounts.tests.factories import MembershipFactory, UserFactory
from ips import demo, services
from ips.models import (
    DedicatedIp,
    DeliveryEvent,
    IpCheck,
    IpPool,
    IpWarmup,
    IpWarmupDay,
    IpWarmupDecision,
    WarmupProfile,
)
from ips.services.controls import ip_warmup_pause
from ips.tests import factories as f
from warmup_site import dns

NOW = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _late():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def setup(account, other_account):
    mine = f.pool(account=account, name="acme")
    ip = f.warming_ip(pool=mine, address="203.0.113.1", caps={"google": 40})
    IpCheck.objects.create(
        ip=ip, name="ptr", kind="ptr", status="pass", detail="PTR: mta1.acme.example"
    )
    f.warm_ip(pool=mine, address="2001:db8::2")
    f.warm_ip(pool=f.pool(account=other_account, name="other"), address="198.51.100.1")
    return mine


@pytest.mark.parametrize("who", ["owner", "member"])
def test_account_members_see_their_ips_and_caps(db, request, setup, who):
    services.routes_decide(
        account=setup.account,
        sender_domain="acme.example",
        recipients=[services.Recipient(f"u{n}@gmail.com") for n in range(7)],
    )

    client = request.getfixturevalue(f"{who}_client")
    response = client.get("/ips/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "203.0.113.1" in body and "2001:db8::2" in body
    assert "198.51.100.1" not in body
    assert 'href="/ips/203.0.113.1/"' in body and 'href="/ips/2001:db8::2/"' in body
    assert 'href="/ips/"' in body  # the menu links the page
    page = client.get("/ips/203.0.113.1/").content.decode()
    assert "PTR: mta1.acme.example" in page
    # Gmail: cap 40, 7 used today
    assert '<td class="num">40</td>\n            <td class="num">7</td>' in page


def test_an_outsider_sees_only_their_own_ips(outsider_client, setup):
    body = outsider_client.get("/ips/").content.decode()

    assert "198.51.100.1" in body
    assert "203.0.113.1" not in body


def test_an_account_without_ips_sees_what_to_expect(owner_client):
    body = owner_client.get("/ips/").content.decode()

    assert "No dedicated IPs yet" in body
    assert "shared pool" in body


def test_visitors_must_log_in(client, db):
    response = client.get("/ips/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_page_takes_a_fixed_number_of_queries(
    owner_client, operator, setup, django_assert_num_queries
):
    owner_client.get("/ips/")
    f.warm_ip(pool=setup, address="203.0.113.3")
    ip = DedicatedIp.objects.get(address="203.0.113.1")
    ip_warmup_pause(ip=ip, actor=operator, reason="A pause for the test", provider="yahoo")
    # 1 session; 2 user; 3 membership with account; 4 the page's count; 5 its IPs with their
    # pool; 6 their checks; 7 per-provider rows with today's day and both decisions' ids;
    # 8 those decisions; 9 the last week's day rows (the estimates' pace); 10 the automatic
    # warm-up setting; 11–12 the floor report (recent volumes, warm IPs per provider); 13 the
    # account switcher's memberships
    with django_assert_num_queries(13):
        response = owner_client.get("/ips/")
    assert response.content.decode().count('<tr id="ip-') == 3


def test_the_ip_page_takes_a_fixed_number_of_queries(
    owner_client, operator, setup, django_assert_num_queries
):
    ip = DedicatedIp.objects.get(address="203.0.113.1")
    owner_client.get("/ips/203.0.113.1/")
    ip_warmup_pause(ip=ip, actor=operator, reason="A pause for the test", provider="yahoo")
    # 1 session; 2 user; 3 membership with account; 4 the IP with its pool; 5 its checks;
    # 6 per-provider rows; 7 their decisions; 8 the week's day rows; the charts' 9 snapshot
    # series and 10 decisions; 11 the recent decisions; 12 the account switcher's memberships
    with django_assert_num_queries(12):
        response = owner_client.get("/ips/203.0.113.1/")
    assert response.content.decode().count('class="ip-provider') == 11


def test_the_list_pages_searches_and_filters(owner_client, setup):
    for n in range(30):
        f.warm_ip(pool=setup, address=f"198.18.0.{n + 1}")

    first = owner_client.get("/ips/").content.decode()
    second = owner_client.get("/ips/?page=2").content.decode()
    warming = owner_client.get("/ips/?state=warming").content.decode()
    found = owner_client.get("/ips/?q=198.18.0.2").content.decode()

    assert "1–25 of 32" in first and "26–32 of 32" in second
    assert warming.count('<tr id="ip-') == 1 and "203.0.113.1" in warming
    assert "198.18.0.2<" in found and "198.18.0.20<" in found and "198.18.0.3<" not in found


def test_the_ip_page_is_an_accounts_own(outsider_client, owner_client, setup):
    assert outsider_client.get("/ips/203.0.113.1/").status_code == 404
    assert owner_client.get("/ips/198.51.100.1/").status_code == 404
    assert owner_client.get("/ips/not-an-ip/").status_code == 404


# --- admin ------------------------------------------------------------------------------------


def test_an_operator_adds_an_ip_in_the_admin(operator_client, account):
    pool = f.pool(account=account)

    response = operator_client.post(
        "/admin/ips/dedicatedip/add/",
        {"address": "2001:DB8::9", "hostname": "", "pool": pool.pk, "warm": ""},
    )

    assert response.status_code == 302
    ip = DedicatedIp.objects.get()
    assert (ip.address, ip.state) == ("2001:db8::9", "new")
    assert ip.next_check_at is not None
    assert IpWarmup.objects.filter(ip=ip, state="pending").count() == 11


def test_the_admin_refuses_an_address_twice(operator_client, account):
    pool = f.pool(account=account)
    f.warm_ip(pool=pool, address="203.0.113.1")

    response = operator_client.post(
        "/admin/ips/dedicatedip/add/", {"address": "203.0.113.1", "pool": pool.pk}
    )

    assert response.status_code == 200
    assert "already exists" in response.content.decode()


def test_an_operator_overrides_readiness_with_a_reason(operator_client, operator, account):
    ip = f.new_ip(pool=f.pool(account=account), address="203.0.113.1")
    services.ip_readiness_check(ip=ip)  # no PTR in the test DNS: fails
    action = {"action": "override_readiness", "_selected_action": [ip.pk]}

    confirm = operator_client.post("/admin/ips/dedicatedip/", action)
    done = operator_client.post(
        "/admin/ips/dedicatedip/",
        {**action, "apply": "1", "reason": "Reverse DNS is being set up by the ISP"},
    )

    assert "no PTR record" in confirm.content.decode()
    assert done.status_code == 302
    ip.refresh_from_db()
    assert (ip.state, ip.readiness) == ("warming", "passed")
    assert ip.readiness_override_by == operator
    assert ip.readiness_override_reason == "Reverse DNS is being set up by the ISP"


def test_an_override_without_a_reason_is_refused(operator_client, account):
    ip = f.new_ip(pool=f.pool(account=account), address="203.0.113.1")

    response = operator_client.post(
        "/admin/ips/dedicatedip/",
        {"action": "override_readiness", "_selected_action": [ip.pk], "apply": "1", "reason": ""},
    )

    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    ip.refresh_from_db()
    assert ip.state == "new"


def test_an_operator_runs_the_checks_from_the_admin(operator_client, account, dns_server):
    ip = f.new_ip(pool=f.pool(account=account), address="203.0.113.1")
    dns_server.add(dns.reverse_name("203.0.113.1"), "PTR", "mta1.acme.example")
    dns_server.add("mta1.acme.example", "A", "203.0.113.1")

    operator_client.post(
        "/admin/ips/dedicatedip/", {"action": "check_now", "_selected_action": [ip.pk]}
    )

    ip.refresh_from_db()
    assert (ip.readiness, ip.state) == ("passed", "warming")


def test_the_ip_page_shows_readiness_and_the_provider_table(operator_client, setup):
    ip = DedicatedIp.objects.get(address="203.0.113.1")

    body = operator_client.get(f"/admin/ips/dedicatedip/{ip.pk}/change/").content.decode()

    assert "Warm-up by provider" in body
    assert "<td>Google (Gmail, Workspace)</td><td>Warming up</td><td>stage 1 of " in body
    assert "<td>40</td>" in body
    assert "PTR: mta1.acme.example" in body


@pytest.mark.parametrize(
    "path",
    [
        "/admin/ips/ippool/",
        "/admin/ips/dedicatedip/",
        "/admin/ips/ipwarmup/",
        "/admin/ips/ipwarmupday/",
        "/admin/ips/warmupprofile/",
        "/admin/ips/domainpoolpin/",
        "/admin/ips/deliveryevent/",
    ],
)
def test_the_admin_lists_open(operator_client, setup, path):
    assert operator_client.get(path).status_code == 200


def test_the_profile_page_shows_the_stage_table(operator_client):
    google = WarmupProfile.objects.get(provider__slug="google")

    body = operator_client.get(f"/admin/ips/warmupprofile/{google.pk}/change/").content.decode()

    assert "<tr><td>1</td><td>1000</td><td>5</td><td>1–5</td><td>30</td></tr>" in body


def test_an_operator_makes_another_pool_the_default(operator_client, account):
    first = f.pool(account=account, name="first")

    response = operator_client.post(
        "/admin/ips/ippool/add/",
        {"account": account.pk, "name": "Second", "is_default": "on", "description": ""},
    )

    assert response.status_code == 302
    first.refresh_from_db()
    assert not first.is_default
    assert IpPool.objects.get(name="second").is_default


def test_making_a_shared_pool_the_default_asks_for_confirmation(operator_client, db):
    current = f.shared_pool(name="shared")
    f.warm_ip(pool=current, address="192.0.2.50")
    other = f.shared_pool(name="eu")
    form = {"account": "", "name": "eu", "is_default": "on", "description": ""}

    empty = operator_client.post(f"/admin/ips/ippool/{other.pk}/change/", form)
    f.warm_ip(pool=other, address="192.0.2.60")
    unconfirmed = operator_client.post(f"/admin/ips/ippool/{other.pk}/change/", form)
    confirmed = operator_client.post(
        f"/admin/ips/ippool/{other.pk}/change/", {**form, "confirm_default": "on"}
    )

    assert "A shared pool without IPs cannot be the default" in empty.content.decode()
    assert "every account&#x27;s fallback pool" in unconfirmed.content.decode()
    assert confirmed.status_code == 302
    current.refresh_from_db()
    other.refresh_from_db()
    assert (current.is_default, other.is_default) == (False, True)


# --- demo -------------------------------------------------------------------------------------


def test_the_demo_loads_pools_and_ips_twice_without_harm(db):
    call_command("load_demo")
    call_command("load_demo")

    states = dict(DedicatedIp.objects.values_list("address", "state"))
    assert states == {
        demo.WARMING_IP: "warming",
        demo.WARM_IP: "warm",
        "192.0.2.10": "warm",
        "2001:db8::10": "warm",
    }
    warming = DedicatedIp.objects.get(address=demo.WARMING_IP)
    assert warming.readiness_override_by.username == "operator"
    assert DedicatedIp.objects.filter(next_check_at__isnull=False).count() == 0


def test_the_demo_history_comes_from_the_real_pipeline_and_controller_once(db):
    call_command("load_demo")
    decisions = IpWarmupDecision.objects.filter(
        warmup__ip__address=demo.WARMING_IP, warmup__provider__slug="google", daily=True
    )
    count = decisions.count()
    call_command("load_demo")

    # One nightly decision per past day, at every provider the demo mails.
    assert count == demo.HISTORY_DAYS
    assert decisions.filter(kind="advance").exists()
    # Every counter came from stored delivery events (the pipeline reported each outcome).
    days = IpWarmupDay.objects.filter(warmup__ip__address=demo.WARMING_IP)
    stored = DeliveryEvent.objects.filter(ip_address=demo.WARMING_IP)
    assert sum(d.delivered for d in days) == stored.filter(type="delivered").count() > 0
    assert decisions.count() == count  # the second load added nothing


def test_an_operator_pins_a_domain_to_a_pool_in_the_admin(
    operator_client, account, other_account, django_capture_on_commit_callbacks
):
    own = f.pool(account=account, name="acme")
    marketing = f.pool(account=account, name="marketing", is_default=False)
    f.warm_ip(pool=own, address="203.0.113.1")
    f.warm_ip(pool=marketing, address="203.0.113.7")
    domain = f.DomainFactory(account=account, name="news.acme.example")
    services.routes_decide(  # caches the account's configuration in this process
        account=account,
        sender_domain="news.acme.example",
        recipients=[services.Recipient("a@gmail.com")],
    )

    refused = operator_client.post(
        "/admin/ips/domainpoolpin/add/",
        {"domain": domain.pk, "pool": f.pool(account=other_account).pk},
    )
    # The pin drops this process's cached routing configuration when its transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        done = operator_client.post(
            "/admin/ips/domainpoolpin/add/", {"domain": domain.pk, "pool": marketing.pk}
        )

    assert "Pick a pool of the domain&#x27;s own account" in refused.content.decode()
    assert done.status_code == 302
    (route,) = services.routes_decide(
        account=account,
        sender_domain="news.acme.example",
        recipients=[services.Recipient("b@gmail.com")],
    )
    assert (route.ip, route.pool) == ("203.0.113.7", "marketing")


def test_staff_who_are_not_operators_see_only_their_accounts_ips(client, setup, account):
    staff = UserFactory(username="sam", is_staff=True)
    MembershipFactory(user=staff, account=account)

    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_dedicatedip", "view_ipwarmupday"])
    )
    services.routes_decide(
        account=account,
        sender_domain="acme.example",
        recipients=[services.Recipient("a@gmail.com")],
    )
    client.force_login(staff)

    ips = client.get("/admin/ips/dedicatedip/").content.decode()
    days = client.get("/admin/ips/ipwarmupday/").content.decode()

    assert "203.0.113.1" in ips and "198.51.100.1" not in ips
    assert "203.0.113.1" in days


def test_members_see_why_the_last_decision_was_taken(owner_client, operator, setup):
    ip = DedicatedIp.objects.get(address="203.0.113.1")
    ip_warmup_pause(
        ip=ip, actor=operator, reason="Customer asked to stop during a migration", provider="google"
    )

    body = owner_client.get("/ips/203.0.113.1/").content.decode()

    assert "State and latest decision" in body and "Latest: 23 Nov · paused" in body
    assert "Customer asked to stop during a migration" in body


def test_an_owner_switches_automatic_warm_up_on_the_page_and_a_member_cannot(
    owner_client, member_client, setup
):
    page = owner_client.get("/ips/").content.decode()
    assert "Switch automatic warm-up off" in page
    assert "203.0.113.1: warm-up 0%" in page

    refused = member_client.post("/ips/warm-up-settings/", {"enabled": "0"})
    done = owner_client.post("/ips/warm-up-settings/", {"enabled": "0"}, follow=True)

    assert refused.status_code == 403
    body = done.content.decode()
    assert "Automatic warm-up is off" in body
    assert "Switch automatic warm-up on" in body
    assert "Switch automatic warm-up" not in member_client.get("/ips/").content.decode()


# --- telling the truth about checks and decisions ------------------------------------------------


def test_checks_an_operator_accepted_unchecked_are_not_shown_as_passed(owner_client, account):
    ip = f.new_ip(pool=f.pool(account=account), address="203.0.113.9")
    services.ip_readiness_override(ip=ip, actor=None, reason="Documentation address, no rDNS")

    page = owner_client.get("/ips/203.0.113.9/").content.decode()
    listing = owner_client.get("/ips/").content.decode()

    assert "Checks: accepted by an operator" in page and "Checks: passed" not in page
    assert page.count("Not checked · accepted by an operator") == 5  # PTR, FCrDNS, 3 zones
    assert 'badge-ok">Passed' not in page
    assert "0 of 5 checks passed; an operator accepted the others." in page
    assert "Checks: accepted by an operator" in listing


def test_a_warm_ip_never_checked_says_so(owner_client, account):
    f.warm_ip(pool=f.pool(account=account), address="203.0.113.8")

    page = owner_client.get("/ips/203.0.113.8/").content.decode()

    assert "Checks: not run yet" in page
    assert "it was added as already warm, so it is routed meanwhile" in page


def test_shared_ips_are_checked_by_the_scheduled_job_too(db, dns_server):
    shared = services.ip_create(pool=f.shared_pool(), address="192.0.2.77", warm=True)
    dns_server.add(dns.reverse_name("192.0.2.77"), "PTR", "mta.shared.example")
    dns_server.add("mta.shared.example", "A", "192.0.2.77")

    services.ips_check_due()

    shared.refresh_from_db()
    assert (shared.state, shared.readiness) == ("warm", "passed")
    assert set(IpCheck.objects.filter(ip=shared).values_list("status", flat=True)) == {"pass"}


def test_a_holding_decision_does_not_hide_the_back_off_that_caused_the_state(
    owner_client, owner_api, setup, operator
):
    ip = DedicatedIp.objects.get(address="203.0.113.1")
    warmup = IpWarmup.objects.get(ip=ip, provider__slug="yahoo")
    common = dict(warmup=warmup, daily=True, from_stage=2, to_stage=2, from_cap=50, to_cap=25)
    IpWarmupDecision.objects.create(
        **common,
        day=date(2026, 11, 21),
        kind="backoff",
        from_state="warming",
        to_state="backoff",
        reason="250 throttling replies on 1,000 routed: backing off",
        created_at=NOW - timedelta(days=2),
    )
    IpWarmupDecision.objects.create(
        **common,
        day=date(2026, 11, 22),
        kind="hold",
        from_state="backoff",
        to_state="backoff",
        reason="a quiet day: holding",
        created_at=NOW - timedelta(days=1),
    )
    IpWarmup.objects.filter(pk=warmup.pk).update(state="backoff", daily_cap=25)

    page = owner_client.get("/ips/203.0.113.1/").content.decode()
    rows = {r["provider"]: r for r in owner_api.get("/api/v1/ips/203.0.113.1/warmup/").json()}

    assert "Since 21 Nov: backed off" in page and "250 throttling replies" in page
    assert "Latest: 22 Nov · held" in page and "a quiet day: holding" in page
    assert rows["yahoo"]["cause_decision"]["kind"] == "backoff"
    assert rows["yahoo"]["last_decision"]["kind"] == "hold"
    assert rows["google"]["cause_decision"] is None


def test_caps_show_thousands_separators(owner_client, account):
    f.warming_ip(pool=f.pool(account=account), address="203.0.113.5", caps={"google": 14758})

    page = owner_client.get("/ips/203.0.113.5/").content.decode()

    assert '<td class="num">14,758</td>' in page
