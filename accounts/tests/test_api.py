"""Token authentication and the current-account endpoint."""

import pytest
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken, Role
from accounts.tests.factories import MembershipFactory


def test_it_exchanges_username_and_password_for_a_new_named_token(anon_api, owner, password):
    response = anon_api.post(
        "/api/v1/auth/token/", {"username": "olivia", "password": password, "name": "mta-1"}
    )

    assert response.status_code == 200
    assert response.json()["account"] == "acme-mail"
    assert response.json()["role"] == "owner"
    assert response.json()["name"] == "mta-1"
    key = response.json()["token"]
    token = ApiToken.objects.get()
    assert token.key_hash == ApiToken.hash_key(key)
    assert response.json()["prefix"] == token.prefix == key[:12]
    assert "no-store" in response["Cache-Control"]


def test_it_mints_another_token_each_time_and_both_work(anon_api, owner, password):
    first = anon_api.post("/api/v1/auth/token/", {"username": "olivia", "password": password})
    second = anon_api.post("/api/v1/auth/token/", {"username": "olivia", "password": password})

    keys = [first.json()["token"], second.json()["token"]]
    assert keys[0] != keys[1]  # the first key cannot be handed back: it is not stored
    assert ApiToken.objects.filter(membership__user=owner).count() == 2
    assert set(ApiToken.objects.values_list("name", flat=True)) == {"API token"}
    for key in keys:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert client.get("/api/v1/account/").json()["username"] == "olivia"


def test_it_refuses_a_wrong_password_without_saying_which_part_was_wrong(anon_api, owner):
    response = anon_api.post("/api/v1/auth/token/", {"username": "olivia", "password": "x"})

    assert response.status_code == 400
    assert response.json() == {
        "message": "Unable to log in with the username and password given.",
        "field": None,
    }


def test_it_names_the_missing_field(anon_api, db):
    response = anon_api.post("/api/v1/auth/token/", {"username": "olivia"})

    assert response.status_code == 400
    assert response.json()["field"] == "password"
    assert response.json()["message"] == "password: This field is required."


def test_it_issues_a_token_for_a_chosen_account(anon_api, owner, other_account, password):
    MembershipFactory(user=owner, account=other_account, role=Role.MEMBER)

    response = anon_api.post(
        "/api/v1/auth/token/",
        {"username": "olivia", "password": password, "account": "other-corp"},
    )

    assert response.json()["account"] == "other-corp"
    assert response.json()["role"] == "member"


def test_it_refuses_an_account_the_user_is_not_in(anon_api, owner, other_account, password):
    response = anon_api.post(
        "/api/v1/auth/token/",
        {"username": "olivia", "password": password, "account": "other-corp"},
    )

    assert response.status_code == 400
    assert response.json()["field"] == "account"


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("owner", {"slug": "acme-mail", "role": "owner", "username": "olivia"}),
        ("member", {"slug": "acme-mail", "role": "member", "username": "mike"}),
        ("outsider", {"slug": "other-corp", "role": "owner", "username": "oscar"}),
    ],
)
def test_it_answers_which_account_a_token_acts_for(db, request, who, expected):
    client = request.getfixturevalue(f"{who}_api")

    data = client.get("/api/v1/account/").json()

    assert {k: data[k] for k in expected} == expected


def test_it_requires_credentials(anon_api, db):
    response = anon_api.get("/api/v1/account/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["message"] == "Authentication credentials were not provided."


def test_it_rejects_an_unknown_token(anon_api, db):
    anon_api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert anon_api.get("/api/v1/account/").status_code == 401


def test_it_stops_accepting_a_revoked_token(owner, owner_api, settings):
    settings.WARMUP_TOKEN_CACHE_SECONDS = 5
    assert owner_api.get("/api/v1/account/").status_code == 200  # now cached in this process
    services.api_token_revoke(token=ApiToken.objects.get(membership__user=owner))

    assert owner_api.get("/api/v1/account/").status_code == 401


def test_it_accepts_a_logged_in_browser_session(owner_client):
    response = owner_client.get("/api/v1/account/")

    assert response.status_code == 200
    assert response.json()["slug"] == "acme-mail"


def test_it_serves_the_openapi_schema_and_docs_without_a_cdn(client, db):
    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/v1/providers/classify/" in schema.content
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()
