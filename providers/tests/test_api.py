"""POST /api/v1/providers/classify/ and the provider list, for the three people."""

import pytest

from providers.api import MAX_CLASSIFY


@pytest.mark.parametrize("who", ["owner", "member", "outsider"])
def test_it_classifies_for_every_account_member(db, request, who, dns_server):
    dns_server.add("corp.example", "MX", (10, "corp-example.mail.protection.outlook.com"))
    client = request.getfixturevalue(f"{who}_api")

    response = client.post(
        "/api/v1/providers/classify/", {"domains": ["gmail.com", "corp.example"]}
    )

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "domain": "gmail.com",
            "unicode": "gmail.com",
            "provider": "google",
            "source": "known_domain",
            "mx_hosts": [],
        },
        {
            "domain": "corp.example",
            "unicode": "corp.example",
            "provider": "microsoft",
            "source": "mx",
            "mx_hosts": ["corp-example.mail.protection.outlook.com"],
        },
    ]


def test_it_requires_authentication(anon_api, db):
    assert anon_api.post("/api/v1/providers/classify/", {"domains": ["a.com"]}).status_code == 401


def test_it_folds_case_duplicates_and_idn(owner_api):
    response = owner_api.post(
        "/api/v1/providers/classify/",
        {"domains": ["GMAIL.com", "gmail.com.", "bücher.example", "xn--bcher-kva.example"]},
    )

    results = response.json()["results"]
    assert [(r["domain"], r["unicode"]) for r in results] == [
        ("gmail.com", "gmail.com"),
        ("xn--bcher-kva.example", "bücher.example"),
    ]


def test_it_names_the_invalid_item(owner_api):
    response = owner_api.post(
        "/api/v1/providers/classify/", {"domains": ["gmail.com", "bad..example"]}
    )

    assert response.status_code == 400
    assert response.json()["field"] == "domains[1]"
    assert "two dots in a row" in response.json()["message"]


def test_it_refuses_more_than_the_limit(owner_api):
    domains = [f"d{n}.example" for n in range(MAX_CLASSIFY + 1)]

    response = owner_api.post("/api/v1/providers/classify/", {"domains": domains})

    assert response.status_code == 400
    assert response.json()["field"] == "domains"
    assert "10000" in response.json()["message"]


def test_it_refuses_an_empty_list(owner_api):
    response = owner_api.post("/api/v1/providers/classify/", {"domains": []})

    assert response.status_code == 400
    assert response.json()["field"] == "domains"


def test_it_lists_the_providers_with_stable_slugs(owner_api, django_assert_num_queries):
    owner_api.get("/api/v1/providers/")  # writes the token's last_used_at (once a minute)
    # 1 the token with its membership, account and user; 2 the providers
    with django_assert_num_queries(2):
        response = owner_api.get("/api/v1/providers/")

    slugs = [p["slug"] for p in response.json()]
    assert slugs == [
        "google",
        "microsoft",
        "yahoo",
        "apple",
        "comcast",
        "united_internet",
        "yandex",
        "mailru",
        "zoho",
        "proton",
        "other",
    ]


def test_it_shows_one_provider(member_api):
    response = member_api.get("/api/v1/providers/google/")

    assert response.status_code == 200
    assert ".google.com" in response.json()["mx_suffixes"]
