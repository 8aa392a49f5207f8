"""The operators' admin for warm-ups: the IP page (per-provider table, decision history), the
list filtered by warm-up state, and the controls as admin actions."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from ips.models import DedicatedIp, IpWarmup, IpWarmupDay, IpWarmupDecision
from ips.services.controller import controller_run
from ips.services.controls import ip_warmup_pause
from ips.tests import factories as f

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
# The IP page: 1 session; 2 user; 3–4 the user's and groups' permissions; 5 the IP for its
# charts' panel; 6 the IP; 7 its readiness checks (inline); 8 the membership (tenancy); 9 the
# pools for the pool field; 10 the per-provider rows with the ids of the newest decision and of
# the one that caused the state; 11 those decisions; 12 the week's day rows (estimates); 13 the
# decision history; the charts' 14 snapshot series and 15 decisions.
QUERIES = 15


@pytest.fixture(autouse=True)
def _morning():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def ip(account):
    with time_machine.travel(NOW - timedelta(days=2), tick=False):
        ip = f.warming_ip(pool=f.pool(account=account), address="203.0.113.1")
    for days_ago, routed in ((2, 40), (1, 40)):  # sending days, not full ones
        IpWarmupDay.objects.create(
            warmup=f.warmup(ip, "google"),
            day=NOW.date() - timedelta(days=days_ago),
            cap=50,
            routed=routed,
        )
    controller_run()  # decides the two days that ended
    return ip


def page(client, ip):
    return client.get(f"/admin/ips/dedicatedip/{ip.pk}/change/").content.decode()


def test_the_ip_page_shows_the_provider_table_with_the_last_decision(operator_client, ip):
    body = page(operator_client, ip)

    assert "<th>Latest decision</th>" in body
    assert "2026-11-22 Held: 40 of 50 routed (80.0%)" in body
    assert "growing needs 90% of the cap routed" in body


def test_the_ip_page_shows_the_decision_history(operator_client, operator, ip):
    ip_warmup_pause(ip=ip, actor=operator, reason="customer paused their sends", provider="yahoo")

    body = page(operator_client, ip)

    history = body[body.index("Warm-up decisions, newest first") :]
    assert "opal paused the warm-up at Yahoo" in history
    assert history.index("customer paused their sends") < history.index("40 of 50 routed")
    assert "<td>controller</td>" in history
    assert "<td>opal</td>" in history


def test_the_ip_page_takes_a_fixed_number_of_queries(
    operator_client, ip, operator, django_assert_num_queries
):
    page(operator_client, ip)
    with django_assert_num_queries(QUERIES):
        page(operator_client, ip)

    ip_warmup_pause(ip=ip, actor=operator, reason="more decisions, same queries")  # 11 more
    with django_assert_num_queries(QUERIES):
        body = page(operator_client, ip)
    assert "more decisions, same queries" in body


@pytest.mark.parametrize(
    ("state", "expected"),
    [("paused", ["203.0.113.1"]), ("warming", ["203.0.113.2"]), ("cooling", [])],
)
def test_the_ip_list_filters_by_warm_up_state(
    operator_client, operator, ip, account, state, expected
):
    f.warming_ip(pool=ip.pool, address="203.0.113.2")
    ip_warmup_pause(ip=ip, actor=operator, reason="filter test, all providers")

    body = operator_client.get(f"/admin/ips/dedicatedip/?warmup_state={state}").content.decode()

    for address in ("203.0.113.1", "203.0.113.2"):
        assert (f">{address}</a>" in body) == (address in expected)


def test_an_operator_pauses_from_the_admin_with_a_reason(operator_client, operator, ip):
    action = {"action": "warmup_pause", "_selected_action": [ip.pk]}

    confirm = operator_client.post("/admin/ips/dedicatedip/", action)
    done = operator_client.post(
        "/admin/ips/dedicatedip/",
        {**action, "apply": "1", "provider": "google", "reason": "Gmail postmaster warning"},
    )

    assert "Pause the warm-up" in confirm.content.decode()
    assert done.status_code == 302
    w = f.warmup(ip, "google")
    assert w.state == "paused"
    d = IpWarmupDecision.objects.filter(warmup=w).first()
    assert (d.kind, d.actor) == ("pause", operator)
    assert d.reason.endswith("Gmail postmaster warning")


def test_set_stage_from_the_admin(operator_client, ip):
    operator_client.post(
        "/admin/ips/dedicatedip/",
        {
            "action": "warmup_set_stage",
            "_selected_action": [ip.pk],
            "apply": "1",
            "provider": "google",
            "stage": "4",
            "reason": "Moved from another provider with history",
        },
    )

    assert f.warmup(ip, "google").stage == 4


def test_a_control_without_a_reason_is_refused(operator_client, ip):
    response = operator_client.post(
        "/admin/ips/dedicatedip/",
        {"action": "warmup_complete", "_selected_action": [ip.pk], "apply": "1", "reason": ""},
    )

    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert set(IpWarmup.objects.filter(ip=ip).values_list("state", flat=True)) == {"warming"}


def test_a_control_that_does_not_apply_says_why(operator_client, ip):
    response = operator_client.post(
        "/admin/ips/dedicatedip/",
        {
            "action": "warmup_resume",
            "_selected_action": [ip.pk],
            "apply": "1",
            "provider": "google",
            "reason": "resume what is not paused",
        },
        follow=True,
    )

    assert "it is not paused" in response.content.decode()


def test_the_decision_list_opens(operator_client, ip):
    assert operator_client.get("/admin/ips/ipwarmupdecision/").status_code == 200
    assert DedicatedIp.objects.get(pk=ip.pk).state == "warming"


# --- the warm-up rows, the record ---------------------------------------------------------------


def test_an_operator_pauses_one_provider_from_the_warm_up_rows(operator_client, operator, ip):
    yahoo = IpWarmup.objects.get(ip=ip, provider__slug="yahoo")
    action = {"action": "pair_pause", "_selected_action": [yahoo.pk]}

    confirm = operator_client.post("/admin/ips/ipwarmup/", action)
    done = operator_client.post(
        "/admin/ips/ipwarmup/",
        {**action, "apply": "1", "reason": "Yahoo asked us to slow down (ticket 4411)"},
        follow=True,
    )

    assert "203.0.113.1</strong> at Yahoo (incl. AOL)" in confirm.content.decode()
    assert "203.0.113.1 at Yahoo (incl. AOL): done, recorded." in done.content.decode()
    states = dict(IpWarmup.objects.filter(ip=ip).values_list("provider__slug", "state"))
    assert states["yahoo"] == "paused" and states["google"] == "warming"
    decision = IpWarmupDecision.objects.get(warmup__provider__slug="yahoo", kind="pause")
    assert decision.actor == operator
    assert decision.reason.endswith("Yahoo asked us to slow down (ticket 4411)")


def test_the_warm_up_rows_show_the_stage_out_of_the_table(operator_client, ip):
    body = operator_client.get("/admin/ips/ipwarmup/").content.decode()

    stages = len(f.profile("google").stage_caps())
    assert f'<td class="field-stage_of">1 of {stages}</td>' in body


def test_decisions_and_day_counters_cannot_be_deleted(operator_client, ip):
    decision = IpWarmupDecision.objects.filter(warmup__ip=ip).first()
    day = IpWarmupDay.objects.filter(warmup__ip=ip).first()

    for path in (
        f"/admin/ips/ipwarmupdecision/{decision.pk}/delete/",
        f"/admin/ips/ipwarmupday/{day.pk}/delete/",
        f"/admin/ips/ipwarmup/{decision.warmup_id}/delete/",
    ):
        assert operator_client.post(path, {"post": "yes"}).status_code == 403
    listing = operator_client.get("/admin/ips/ipwarmupdecision/").content.decode()
    assert 'value="delete_selected"' not in listing
    assert IpWarmupDecision.objects.filter(pk=decision.pk).exists()


def test_a_decision_shows_its_figures_as_a_table_and_a_readable_title(operator_client, ip):
    decision = IpWarmupDecision.objects.filter(warmup__ip=ip).order_by("day").first()

    body = operator_client.get(
        f"/admin/ips/ipwarmupdecision/{decision.pk}/change/"
    ).content.decode()

    assert '<tr><th scope="row">Routed</th><td>40</td></tr>' in body
    assert f"203.0.113.1 at Google (Gmail, Workspace), {decision.day.day} Nov 2026: Held" in body
    assert '"routed": 40' not in body  # not a JSON blob
