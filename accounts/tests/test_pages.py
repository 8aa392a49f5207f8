"""Login, account pages and switching, for the owner, a member and an outsider."""

import pytest
from django.urls import reverse

from accounts.models import ApiToken, Role
from accounts.tests.factories import MembershipFactory, UserFactory


def test_it_sends_anonymous_visitors_to_the_login_page(client, db):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_it_logs_in_and_shows_the_account(client, owner, password):
    response = client.post("/login/", {"username": "olivia", "password": password}, follow=True)

    assert response.status_code == 200
    assert "Acme Mail" in response.content.decode()


def test_it_explains_a_wrong_password(client, owner):
    response = client.post("/login/", {"username": "olivia", "password": "nope"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_it_logs_out_with_a_post(owner_client):
    response = owner_client.post("/logout/")

    assert response.status_code == 302
    assert owner_client.get("/").status_code == 302


@pytest.mark.parametrize(
    ("who", "account_name"),
    [("owner", "Acme Mail"), ("member", "Acme Mail"), ("outsider", "Other Corp")],
)
def test_it_shows_each_person_their_own_account(db, request, who, account_name):
    client = request.getfixturevalue(f"{who}_client")

    body = client.get("/").content.decode()

    assert account_name in body
    other = {"Acme Mail", "Other Corp"} - {account_name}
    assert other.pop() not in body


def test_it_tells_a_user_without_an_account_what_to_do(client, db):
    client.force_login(UserFactory(username="lonely"))

    response = client.get("/")

    assert response.status_code == 403
    assert "not a member of any account" in response.content.decode()


def test_it_switches_between_the_users_accounts(owner_client, owner, other_account):
    MembershipFactory(user=owner, account=other_account, role=Role.MEMBER)

    response = owner_client.post(
        "/account/switch/", {"account": other_account.pk, "next": "/account/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/account/"
    body = owner_client.get("/").content.decode()
    assert "Other Corp" in body
    assert "<select" in body  # the switcher appears for users with several accounts


def test_it_refuses_to_switch_to_someone_elses_account(owner_client, other_account):
    response = owner_client.post("/account/switch/", {"account": other_account.pk})

    assert response.status_code == 404
    assert "Acme Mail" in owner_client.get("/").content.decode()


def test_it_ignores_an_offsite_next_url_when_switching(owner_client, account):
    response = owner_client.post(
        "/account/switch/", {"account": account.pk, "next": "https://evil.example/"}
    )

    assert response["Location"] == "/"


@pytest.mark.parametrize("who", ["owner", "member", "outsider"])
def test_it_lists_only_the_members_of_the_current_account(
    db, request, who, owner, member, outsider
):
    client = request.getfixturevalue(f"{who}_client")

    body = client.get("/account/").content.decode()

    if who == "outsider":
        assert "oscar" in body and "olivia" not in body and "mike" not in body
    else:
        assert "olivia" in body and "mike" in body and "oscar" not in body


def test_it_shows_a_new_api_token_once(owner_client, owner):
    response = owner_client.post("/account/api-tokens/", {"name": "mta-1"})

    body = response.content.decode()
    token = ApiToken.objects.get(membership__user=owner)
    new_key = body.split('id="new-token" class="secret">')[1].split("<")[0]
    assert ApiToken.hash_key(new_key) == token.key_hash
    assert token.name == "mta-1"
    assert "no-store" in response["Cache-Control"]
    listing = owner_client.get("/account/")
    assert new_key not in listing.content.decode()
    assert f"{token.prefix}…" in listing.content.decode()
    assert "mta-1" in listing.content.decode()


def test_it_changes_the_password(owner_client, owner, password):
    response = owner_client.post(
        "/password/change/",
        {
            "old_password": password,
            "new_password1": "a-much-better-passphrase",
            "new_password2": "a-much-better-passphrase",
        },
    )

    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("a-much-better-passphrase")


def test_it_shows_the_menu_and_no_cdn_assets(owner_client):
    body = owner_client.get("/").content.decode()

    assert "Members &amp; API" in body
    assert "cdn" not in body.lower()
    assert "//" not in body.split("<body")[0].replace("http://www.w3.org", "")


def test_it_keeps_the_home_page_queries_constant(owner_client, django_assert_num_queries):
    owner_client.get("/")  # warm the session
    # 1 session, 2 user, 3 current membership (+account), 4 the account's domains counted by
    # state, 5 its dedicated IPs (none: the steps to start show), 6 account choices for the
    # switcher. An account with data: reputation/tests/test_dashboards.py.
    with django_assert_num_queries(6):
        response = owner_client.get(reverse("home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="/domains/add/">Add your domain</a>' in page
    assert "vendor/plotly" not in page  # no chart, no plotly.js
