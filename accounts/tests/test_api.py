"""Token authentication and the current-account endpoint."""

import pytest

from accounts import services
from accounts.models import ApiToken, Role
from accounts.tests.factories import MembershipFactory


def test_it_exchanges_username_and_password_for_a_token(anon_api, owner, password):
    response = anon_api.post("/api/v1/auth/token/", {"username": "olivia", "password": password})

    assert response.status_code == 200
    assert response.json()["account"] == "acme-mail"
    assert response.json()["role"] == "owner"
    key = response.json()["token"]
    assert ApiToken.objects.get().key_hash == ApiToken.hash_key(key)
    # asking again hands back the same token rather than breaking scripts that hold it
    again = anon_api.post("/api/v1/auth/token/", {"username": "olivia", "password": password})
    assert again.json()["token"] == key


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


def test_it_stops_accepting_a_regenerated_token(owner, owner_api):
    services.api_token_regenerate(membership=owner.memberships.get())

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
