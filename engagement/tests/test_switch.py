"""The Domain Warmup switch on the page and in the API: access for three people, the rules, and
what switching off does."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine

from domains.models import Domain, DomainWarmupDay, DomainWarmupPlan
from domains.tests.factories import DomainFactory
from engagement.models import WarmupMessage
from engagement.services import sending
from engagement.tests.conftest import make_seed

# Tomorrow morning: after the seeds were made (their sweep is due), before sessions expire.
MORNING = datetime.combine(date.today() + timedelta(days=1), time(8), tzinfo=UTC)


@pytest.fixture
def seeds(db, dovecot):
    return [make_seed(dovecot, slug, "Junk") for slug in ("google", "microsoft")]


def api_url(domain) -> str:
    return f"/api/v1/domains/{domain.pk}/warmup/"


# --- API ------------------------------------------------------------------------------------------


def test_it_lets_the_owner_switch_warmup_on_and_shows_progress(owner_api, verified_domain, seeds):
    with time_machine.travel(MORNING, tick=False):
        response = owner_api.put(api_url(verified_domain), {"enabled": True}, format="json")

    assert response.status_code == 200
    data = response.json()
    assert data["enabled"] is True
    assert data["state"] == "warming"
    covered = [p for p in data["providers"] if p["state"] != "not_covered"]
    assert covered == [
        {
            "provider": slug,
            "day": 1,
            "today_volume": 5,
            "sent_today": 0,
            "inbox_rate": None,
            "placements": 0,
            "state": "warming",
            "reason": "Day 1: 5 messages to start the ramp.",
            "progress": {
                "label": "day 1 of ~7",
                "day": 1,
                "expected_days": 7,
                "days_left": 7,
                "percent": 14,
            },
            "estimated_finish": (MORNING.date() + timedelta(days=7)).isoformat(),
        }
        for slug in ("google", "microsoft")
    ]
    # Every other provider with consumer mailboxes is listed as not covered, with the reason.
    uncovered = {p["provider"]: p for p in data["providers"] if p["state"] == "not_covered"}
    assert set(uncovered) == {
        "yahoo",
        "apple",
        "comcast",
        "united_internet",
        "yandex",
        "mailru",
        "zoho",
        "proton",
    }
    assert uncovered["yahoo"]["reason"].startswith("Not covered: there is no active seed")
    assert uncovered["yahoo"]["today_volume"] == 0
    assert data["progress"]["label"] == "day 1 of ~7"
    assert data["progress"]["providers_warm"] == 0
    assert data["estimated_finish"] == (MORNING.date() + timedelta(days=7)).isoformat()
    domain_json = owner_api.get(f"/api/v1/domains/{verified_domain.pk}/").json()
    assert domain_json["warmup"]["enabled"] is True
    assert len(domain_json["warmup"]["providers"]) == 10


def test_it_lets_a_member_read_but_not_switch(member_api, verified_domain, seeds):
    assert member_api.get(api_url(verified_domain)).status_code == 200

    response = member_api.put(api_url(verified_domain), {"enabled": True}, format="json")

    assert response.status_code == 403
    assert not WarmupMessage.objects.exists()


def test_it_hides_another_accounts_domain(outsider_api, verified_domain):
    assert outsider_api.get(api_url(verified_domain)).status_code == 404
    response = outsider_api.put(api_url(verified_domain), {"enabled": True}, format="json")
    assert response.status_code == 404


def test_it_asks_for_credentials(anon_api, verified_domain):
    assert anon_api.get(api_url(verified_domain)).status_code in (401, 403)


def test_it_refuses_to_warm_up_an_unverified_domain(owner_api, account, seeds):
    domain = DomainFactory(account=account, name="pending.example")

    response = owner_api.put(api_url(domain), {"enabled": True}, format="json")

    assert response.status_code == 400
    assert response.json()["field"] == "enabled"
    assert "not verified" in response.json()["message"]
    assert not WarmupMessage.objects.exists()


def test_it_names_the_field_when_enabled_is_missing(owner_api, verified_domain):
    response = owner_api.put(api_url(verified_domain), {"enable": "yes"}, format="json")

    assert response.status_code == 400
    assert response.json()["field"] == "enabled"


def test_it_stops_sending_at_once_when_switched_off_and_keeps_history(
    owner_api, verified_domain, seeds, smtp_sink, settings
):
    settings.WARMUP_SMTP_URL = f"smtp://{smtp_sink.host}:{smtp_sink.port}?tls=none"
    with time_machine.travel(MORNING, tick=False) as clock:
        owner_api.put(api_url(verified_domain), {"enabled": True}, format="json")
        clock.move_to(MORNING.replace(hour=12))
        sent_before = sending.messages_send_due().sent
        assert 0 < sent_before < 10

        response = owner_api.put(api_url(verified_domain), {"enabled": False}, format="json")
        assert response.status_code == 200
        assert response.json()["enabled"] is False
        assert response.json()["state"] == "off"

        clock.move_to(MORNING.replace(hour=23))
        after = sending.messages_send_due()

    assert after.sent == 0
    assert len(smtp_sink.messages) == sent_before
    statuses = WarmupMessage.objects.values_list("status", flat=True)
    assert sorted(set(statuses)) == ["cancelled", "sent"]
    assert WarmupMessage.objects.filter(status="sent").count() == sent_before
    # History stays: plans, days and the sent messages are all still there.
    plans = DomainWarmupPlan.objects.filter(warmup__domain=verified_domain)
    assert plans.exclude(state="not_covered").count() == 2
    assert DomainWarmupDay.objects.filter(plan__warmup__domain=verified_domain).count() == 2
    assert len([p for p in response.json()["providers"] if p["state"] != "not_covered"]) == 2


def test_it_cancels_mail_of_a_domain_that_stopped_being_verified(
    owner_api, verified_domain, seeds, smtp_sink, settings
):
    settings.WARMUP_SMTP_URL = f"smtp://{smtp_sink.host}:{smtp_sink.port}?tls=none"
    with time_machine.travel(MORNING, tick=False) as clock:
        owner_api.put(api_url(verified_domain), {"enabled": True}, format="json")
        Domain.objects.filter(pk=verified_domain.pk).update(status=Domain.Status.FAILED)
        clock.move_to(MORNING.replace(hour=23))
        summary = sending.messages_send_due()

    assert summary.sent == 0 and summary.cancelled == 10
    assert smtp_sink.messages == []


# --- page -----------------------------------------------------------------------------------------


def page_url(domain) -> str:
    return f"/domains/{domain.pk}/"


def test_it_switches_warmup_on_from_the_page_without_javascript(
    owner_client, verified_domain, seeds
):
    page = owner_client.get(page_url(verified_domain)).content.decode()
    assert f'action="/domains/{verified_domain.pk}/warmup/"' in page
    assert 'name="enabled" value="1"' in page

    with time_machine.travel(MORNING, tick=False):
        response = owner_client.post(
            f"/domains/{verified_domain.pk}/warmup/", {"enabled": "1"}, follow=True
        )

    assert response.redirect_chain == [(f"/domains/{verified_domain.pk}/#warmup", 302)]
    page = response.content.decode()
    assert "Domain Warmup is on" in page
    assert page.count('class="warmup-provider') == 10
    assert page.count('class="muted not-covered"') == 8
    assert "Not covered yet: Yahoo (incl. AOL), Apple iCloud" in page
    assert "Day 1: 5 messages to start the ramp." in page
    assert page.count("0 of 5 sent") == 2


def test_it_switches_warmup_off_from_the_page(owner_client, verified_domain, seeds):
    with time_machine.travel(MORNING, tick=False):
        owner_client.post(f"/domains/{verified_domain.pk}/warmup/", {"enabled": "1"})
        response = owner_client.post(
            f"/domains/{verified_domain.pk}/warmup/", {"enabled": "0"}, follow=True
        )

    assert "Domain Warmup is off" in response.content.decode()
    assert not WarmupMessage.objects.filter(status="scheduled").exists()


def test_it_explains_why_an_unverified_domain_cannot_warm_up(owner_client, account):
    domain = DomainFactory(account=account, name="pending.example")

    page = owner_client.get(page_url(domain)).content.decode()
    assert "Available once pending.example is verified" in page

    response = owner_client.post(f"/domains/{domain.pk}/warmup/", {"enabled": "1"}, follow=True)
    assert "not verified yet" in response.content.decode()


def test_it_shows_a_member_the_state_without_the_switch(member_client, verified_domain, seeds):
    page = member_client.get(page_url(verified_domain)).content.decode()
    assert "Domain Warmup is <strong>disabled</strong>" in page
    assert 'name="enabled"' not in page

    response = member_client.post(f"/domains/{verified_domain.pk}/warmup/", {"enabled": "1"})
    assert response.status_code == 403
    assert not WarmupMessage.objects.exists()


def test_it_hides_another_accounts_domain_page(outsider_client, verified_domain):
    assert outsider_client.get(page_url(verified_domain)).status_code == 404
    response = outsider_client.post(f"/domains/{verified_domain.pk}/warmup/", {"enabled": "1"})
    assert response.status_code == 404


def test_it_keeps_the_detail_page_queries_constant(
    owner_client, owner_api, verified_domain, dovecot, django_assert_num_queries
):
    owner_client.get(page_url(verified_domain))  # warm the session

    def render(expected):
        # 1 session, 2 user, 3 current membership, 4 the domain joined with its warm-up,
        # 5 records, 6 warm-up plans with their provider, 7 the plans' recent days,
        # 8 DKIM keys, the charts' 9 snapshot series (and their newest verdicts once there are
        # snapshots: reputation/tests/test_dashboards.py) and 10 plan days, 11 account choices
        with django_assert_num_queries(expected):
            return owner_client.get(page_url(verified_domain)).content.decode()

    make_seed(dovecot, "google", "Junk")
    with time_machine.travel(MORNING, tick=False):
        owner_api.put(api_url(verified_domain), {"enabled": True}, format="json")
        first = render(11)
        for slug in ("microsoft", "yahoo", "apple"):
            make_seed(dovecot, slug, "Junk")
        owner_api.put(api_url(verified_domain), {"enabled": False}, format="json")
        owner_api.put(api_url(verified_domain), {"enabled": True}, format="json")
        second = render(11)
    assert first.count('class="warmup-provider') == 10
    assert first.count('class="muted not-covered"') == 9
    assert second.count('class="muted not-covered"') == 6


def test_it_keeps_the_warmup_endpoint_queries_constant(
    owner_api, verified_domain, dovecot, django_assert_num_queries
):
    make_seed(dovecot, "google", "Junk")
    with time_machine.travel(MORNING, tick=False):
        owner_api.put(api_url(verified_domain), {"enabled": True}, format="json")
        for slug in ("microsoft", "yahoo"):
            make_seed(dovecot, slug, "Junk")
        owner_api.put(api_url(verified_domain), {"enabled": False}, format="json")
        owner_api.put(api_url(verified_domain), {"enabled": True}, format="json")
        # 1 the token with its membership, account and user; 2 the domain joined with its
        # warm-up; 3 records; 4 plans with their provider; 5 the plans' recent days
        with django_assert_num_queries(5):
            data = owner_api.get(api_url(verified_domain)).json()
    assert len([p for p in data["providers"] if p["state"] == "warming"]) == 3


@pytest.mark.parametrize(("who", "status"), [("member", 403), ("outsider", 404)])
def test_only_owners_and_admins_switch_keep_warm(request, verified_domain, who, status):
    client = request.getfixturevalue(f"{who}_client")
    response = client.post(f"/domains/{verified_domain.pk}/warmup/keep-warm/", {"keep_warm": "0"})
    assert response.status_code == status


def test_the_owner_switches_keep_warm_off_and_on_from_the_page_and_the_api(
    owner_client, owner_api, verified_domain, seeds
):
    with time_machine.travel(MORNING, tick=False):
        owner_api.put(api_url(verified_domain), {"enabled": True}, format="json")
        page = owner_client.get(page_url(verified_domain)).content.decode()
        assert 'name="keep_warm" value="1" checked' in page

        response = owner_client.post(
            f"/domains/{verified_domain.pk}/warmup/keep-warm/", {"keep_warm": "0"}, follow=True
        )
        assert "No maintenance mail" in response.content.decode()
        assert owner_api.get(api_url(verified_domain)).json()["keep_warm"] is False

        data = owner_api.put(
            api_url(verified_domain), {"enabled": True, "keep_warm": True}, format="json"
        ).json()
    assert data["keep_warm"] is True and data["enabled"] is True


# --- what the switch shows -----------------------------------------------------------------------


def test_it_marks_every_provider_paused_while_switched_off(owner_api, verified_domain, seeds):
    with time_machine.travel(MORNING, tick=False):
        owner_api.put(api_url(verified_domain), {"enabled": True}, format="json")
        data = owner_api.put(api_url(verified_domain), {"enabled": False}, format="json").json()

    assert data["state"] == "off"
    states = {p["provider"]: p["state"] for p in data["providers"]}
    assert (states["google"], states["microsoft"]) == ("paused", "paused")
    assert set(states.values()) == {"paused", "not_covered"}  # no seeds: not covered, on or off
    assert data["providers"][0]["reason"].startswith("Domain Warmup is off: nothing is sent.")
    assert data["providers"][0]["progress"]["label"] == "paused at day 1 of ~7"
    assert data["providers"][0]["estimated_finish"] is None


def test_it_says_what_happens_when_switched_on_first_and_again(
    owner_client, verified_domain, seeds
):
    url = f"/domains/{verified_domain.pk}/warmup/"
    with time_machine.travel(MORNING, tick=False):
        on = owner_client.post(url, {"enabled": "1"}, follow=True).content.decode()
        off = owner_client.post(url, {"enabled": "0"}, follow=True).content.decode()
        again = owner_client.post(url, {"enabled": "1"}, follow=True).content.decode()

    assert "10 messages to seed mailboxes at 2 providers go out today" in on
    assert "The 10 messages still planned for today will not go out." in off
    assert "each provider continues from where it stopped (day 1)" in again
    assert "today&#x27;s messages were cancelled when it was switched off" in again
    assert "the first messages go out today" not in again


def test_it_shows_the_switch_above_the_dns_records_with_its_message_beside_it(
    owner_client, verified_domain, seeds
):
    with time_machine.travel(MORNING, tick=False):
        page = owner_client.post(
            f"/domains/{verified_domain.pk}/warmup/", {"enabled": "1"}, follow=True
        ).content.decode()

    assert page.index('id="warmup"') < page.index('id="records"')
    switch = page[page.index('id="warmup"') : page.index('id="records"')]
    assert 'role="switch" aria-checked="true"' in switch
    assert "Domain Warmup is on for" in switch  # the message sits in the card…
    assert page.count("Domain Warmup is on for") == 1  # …and not again at the top


def test_it_switches_in_place_for_the_pages_script(owner_client, verified_domain, seeds):
    with time_machine.travel(MORNING, tick=False):
        response = owner_client.post(
            f"/domains/{verified_domain.pk}/warmup/",
            {"enabled": "1"},
            headers={"accept": "application/json"},
        )

    assert response.status_code == 200
    data = response.json()
    assert data["enabled"] is True and data["state"] == "warming"
    assert data["message"].startswith("Domain Warmup is on for")
    assert data["html"].lstrip().startswith('<section class="card warmup-card" id="warmup"')
    assert 'aria-checked="true"' in data["html"] and data["message"] in data["html"]
    assert data["html"].count('class="warmup-provider') == 10  # every consumer provider
    assert data["html"].count('class="muted not-covered"') == 8


def test_it_answers_a_refused_switch_in_place_with_the_reason(owner_client, account):
    domain = DomainFactory(account=account, name="pending.example")

    response = owner_client.post(
        f"/domains/{domain.pk}/warmup/", {"enabled": "1"}, headers={"accept": "application/json"}
    )

    assert response.status_code == 400
    assert "not verified yet" in response.json()["message"]
