"""Operators' controls over the API (and the service): each one stored with the user and the
reason; customers read their own IPs only; another account's IP is a 404."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.models import Role
from accounts.tests.factories import AccountFactory, MembershipFactory
from conftest import _api_client
from ips.models import DedicatedIp, IpWarmup, IpWarmupDay, IpWarmupDecision
from ips.services.controller import controller_run
from ips.services.controls import ip_warmup_pause, provider_slug
from ips.services.routing import routes_decide
from ips.tests import factories as f
from ips.types import Recipient
from warmup_site.errors import ApplicationError

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
WARMING = "203.0.113.1"
URL = f"/api/v1/ips/{WARMING}/warmup/"
# Google's profile as the long stage table 50, 70, 98, … (ips/tests/conftest.py).
pytestmark = pytest.mark.usefixtures("long_google_table")


@pytest.fixture(autouse=True)
def _afternoon():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def operator_api(operator):
    MembershipFactory(user=operator, account=AccountFactory(name="Ops"), role=Role.OWNER)
    return _api_client(operator)


@pytest.fixture
def ip(account):
    ip = f.warming_ip(pool=f.pool(account=account), address=WARMING)
    IpWarmup.objects.filter(ip=ip, provider__slug="google").update(stage=3, daily_cap=98)
    return ip


def google(ip):
    return f.warmup(ip, "google")


def post(client, action, **body):
    return client.post(f"{URL}{action}/", {"reason": "Customer asked for it by mail", **body})


# --- reading --------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "member"])
def test_account_members_read_the_warm_up_with_the_last_decision(db, request, ip, who):
    with time_machine.travel(NOW + timedelta(days=1, minutes=-890), tick=False):
        IpWarmupDay.objects.create(warmup=google(ip), day=NOW.date(), cap=98, routed=10)
        controller_run()

    response = request.getfixturevalue(f"{who}_api").get(URL)

    assert response.status_code == 200
    row = {r["provider"]: r for r in response.json()}["google"]
    assert (row["state"], row["stage"], row["daily_cap"], row["sending_days"]) == (
        "warming",
        3,
        98,
        0,
    )
    decision = row["last_decision"]
    assert (decision["kind"], decision["date"], decision["actor"]) == ("hold", "2026-11-23", None)
    assert "Only 10 of 98 routed" in decision["reason"]


def test_another_accounts_ip_is_not_found(outsider_api, ip):
    assert outsider_api.get(URL).status_code == 404
    assert post(outsider_api, "pause").status_code == 404
    assert google(ip).state == "warming"


@pytest.mark.parametrize("who", ["owner", "member"])
def test_customers_cannot_change_a_warm_up(db, request, ip, who):
    response = post(request.getfixturevalue(f"{who}_api"), "pause")

    assert response.status_code == 403
    assert google(ip).state == "warming"
    assert not IpWarmupDecision.objects.exists()


def test_the_warm_up_view_takes_a_fixed_number_of_queries(
    owner_api, ip, operator, django_assert_num_queries
):
    ip_warmup_pause(ip=ip, actor=operator, reason="checking the query count", provider="google")
    owner_api.get(URL)
    # 1 token; 2 the IP; 3 its checks; 4 per-provider rows with today's day and the ids of the
    # newest decision and of the one that caused the state; 5 those decisions with their
    # actors; 6 the last week's day rows (the estimates' pace)
    with django_assert_num_queries(6):
        owner_api.get(URL)


# --- the controls --------------------------------------------------------------------------------


def test_an_operator_pauses_and_resumes_at_the_same_stage(operator_api, operator, ip):
    response = post(operator_api, "pause", provider="gmail")

    assert response.status_code == 200
    rows = {r["provider"]: r for r in response.json()}
    assert rows["google"]["state"] == "paused"
    assert rows["microsoft"]["state"] == "warming"
    assert rows["google"]["last_decision"]["kind"] == "pause"
    assert rows["google"]["last_decision"]["actor"] == "opal"

    response = post(operator_api, "resume", provider="google")

    w = google(ip)
    assert (w.state, w.stage, w.daily_cap) == ("warming", 3, 98)
    kinds = list(
        IpWarmupDecision.objects.filter(warmup=w).order_by("pk").values_list("kind", "actor")
    )
    assert kinds == [("pause", operator.pk), ("resume", operator.pk)]
    assert (
        "opal resumed the warm-up at Google (Gmail, Workspace): Customer asked for it by mail"
        in IpWarmupDecision.objects.filter(warmup=w).first().reason
    )


def test_a_paused_pair_is_not_routed_and_its_days_are_not_idle_days(operator_api, account, ip):
    post(operator_api, "pause")
    routes = routes_decide(
        account=account, sender_domain="acme.example", recipients=[Recipient("a@gmail.com")]
    )
    assert routes[0].ip is None

    with time_machine.travel(NOW + timedelta(days=5), tick=False):
        controller_run()
        post(operator_api, "resume")
        controller_run()
    w = google(ip)
    assert (w.stage, w.idle_days) == (3, 0)
    assert not IpWarmupDecision.objects.filter(warmup=w, daily=True).exists()


def test_pausing_the_whole_ip_pauses_every_provider(operator_api, ip):
    post(operator_api, "pause")

    assert set(IpWarmup.objects.filter(ip=ip).values_list("state", flat=True)) == {"paused"}
    assert IpWarmupDecision.objects.filter(kind="pause").count() == 11


def test_resuming_what_is_not_paused_explains_itself(operator_api, ip):
    response = post(operator_api, "resume", provider="google")

    assert response.status_code == 400
    assert "it is not paused" in response.json()["message"]


def test_an_operator_sets_the_stage(operator_api, operator, ip):
    response = post(operator_api, "set-stage", provider="google", stage=5)

    assert response.status_code == 200
    w = google(ip)
    assert (w.state, w.stage, w.daily_cap) == ("warming", 5, 193)
    d = IpWarmupDecision.objects.get(warmup=w)
    assert (d.kind, d.from_stage, d.to_stage, d.from_cap, d.to_cap, d.actor) == (
        "set_stage",
        3,
        5,
        98,
        193,
        operator,
    )
    assert "opal set the stage to 5 at Google (Gmail, Workspace) (stage 3 → 5, cap 98 → 193)" in (
        d.reason
    )


def test_a_new_stage_applies_to_todays_open_day(operator_api, ip):
    IpWarmupDay.objects.create(warmup=google(ip), day=NOW.date(), cap=98, routed=20)

    post(operator_api, "set-stage", provider="google", stage=1)

    assert IpWarmupDay.objects.get(warmup=google(ip), day=NOW.date()).cap == 50


@pytest.mark.parametrize(
    ("action", "body", "field", "words"),
    [
        ("set-stage", {"provider": "google"}, "stage", "Give the stage"),
        ("set-stage", {"provider": "google", "stage": 0}, "stage", "greater than or equal to 1"),
        ("set-stage", {"provider": "google", "stage": 40}, "stage", "has 19 stages"),
        ("pause", {"provider": "nope"}, "provider", "There is no provider 'nope'"),
        ("pause", {"reason": ""}, "reason", "may not be blank"),
        ("pause", {"reason": "no"}, "reason", "Say why"),
    ],
)
def test_it_names_the_field_of_a_bad_control(operator_api, ip, action, body, field, words):
    response = post(operator_api, action, **body)

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert words in response.json()["message"]
    assert not IpWarmupDecision.objects.exists()


def test_an_operator_completes_a_warm_up_and_the_ip_turns_warm(operator_api, ip):
    post(operator_api, "complete")

    assert set(IpWarmup.objects.filter(ip=ip).values_list("state", flat=True)) == {"warm"}
    w = google(ip)
    assert (w.stage, w.daily_cap, w.warm_since) == (19, 20000, NOW.date())
    ip.refresh_from_db()
    assert ip.state == DedicatedIp.State.WARM


def test_an_operator_restarts_a_warm_up(operator_api, ip):
    post(operator_api, "complete")
    IpWarmup.objects.filter(pk=google(ip).pk).update(sending_days=30)

    response = post(operator_api, "restart", provider="google")

    assert response.status_code == 200
    w = google(ip)
    assert (w.state, w.stage, w.daily_cap, w.sending_days, w.started_on) == (
        "warming",
        1,
        50,
        0,
        NOW.date(),
    )
    ip.refresh_from_db()
    assert ip.state == DedicatedIp.State.WARMING  # one provider warms up again
    assert IpWarmupDecision.objects.filter(warmup=w).first().kind == "restart"


def test_cancelling_a_suspension_that_does_not_exist_explains_itself(operator_api, ip):
    response = post(operator_api, "cancel-suspension", provider="google")

    assert response.status_code == 400
    assert "it is not suspended" in response.json()["message"]


def test_controls_refuse_an_ip_that_is_not_sending(operator, account):
    ip = f.new_ip(pool=f.pool(account=account, name="other"), address="203.0.113.77")

    with pytest.raises(ApplicationError, match="warming and warm IPs"):
        ip_warmup_pause(ip=ip, actor=operator, reason="not started yet")


@pytest.mark.parametrize(
    ("alias", "slug"),
    [
        ("gmail", "google"),
        ("Hotmail", "microsoft"),
        ("outlook", "microsoft"),
        ("aol", "yahoo"),
        ("yahoo", "yahoo"),
    ],
)
def test_provider_aliases(db, alias, slug):
    assert provider_slug(alias) == slug
