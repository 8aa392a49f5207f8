"""Bodies the API must survive: nested thousands deep (400, on every endpoint), the documented
batch of 10,000 events (accepted), and a body over the limit (JSON 413 naming it)."""

import json
import re

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import Role
from accounts.tests.factories import MembershipFactory
from domains.tests.factories import DomainFactory

NESTED = "[" * 5000


@pytest.fixture
def operator_api(operator, account):
    """An operator who is also an owner of account A: allowed on every endpoint."""
    membership = MembershipFactory(user=operator, account=account, role=Role.OWNER)
    client = APIClient()
    key = account_services.api_token_issue(membership=membership)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def objects(operator_api, account):
    """One of each object the API's paths name, made through the API itself."""
    domain = DomainFactory(account=account, name="acme.example")
    pool = operator_api.post(
        "/api/v1/ip-pools/", {"name": "main", "account": "acme-mail"}, format="json"
    )
    assert pool.status_code == 201, pool.json()
    ip = operator_api.post(
        "/api/v1/ips/", {"address": "203.0.113.9", "pool": pool.json()["id"]}, format="json"
    )
    assert ip.status_code == 201, ip.json()
    return {
        "id": domain.pk,
        "address": "203.0.113.9",
        "slug": "google",
        "control": "pause",
    }


def endpoints():
    """(method, path template) of every operation in the OpenAPI schema that takes a body."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method, path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("post", "put", "patch")
    ]


def test_the_schema_lists_the_endpoints_that_take_a_body(db):
    paths = {path for _, path in endpoints()}

    assert {"/api/v1/routes/", "/api/v1/events/", "/api/v1/auth/token/"} <= paths


def test_every_endpoint_answers_deeply_nested_json_with_a_json_400(operator_api, objects):
    for method, template in endpoints():
        path = re.sub(r"\{(\w+)\}", lambda m: str(objects[m[1]]), template)

        response = getattr(operator_api, method)(path, NESTED, content_type="application/json")

        assert response["Content-Type"] == "application/json", (method, path)
        assert response.status_code < 500, (method, path, response.status_code)
        if response.status_code == 400:
            assert response.json()["field"] is None
            assert "nested too deeply" in response.json()["message"], (method, path)


@pytest.mark.parametrize(
    "path", ["/api/v1/routes/", "/api/v1/events/", "/api/v1/providers/classify/"]
)
def test_the_pipeline_endpoints_refuse_deeply_nested_json(owner_api, path):
    response = owner_api.post(path, NESTED, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "message": "The request body is not valid JSON for this API: it is nested too deeply.",
        "field": None,
        "detail": "The request body is not valid JSON for this API: it is nested too deeply.",
    }


def test_the_auth_endpoint_refuses_deeply_nested_json(anon_api, db):
    response = anon_api.post("/api/v1/auth/token/", NESTED, content_type="application/json")

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["message"]


def realistic_events(count: int) -> str:
    events = [
        {
            "id": f"q-{n:08d}-1",
            "type": "deferred" if n % 7 == 0 else "delivered",
            "ip": "198.51.100.250",
            "sender_domain": "acme.example",
            "recipient": f"customer.{n:06d}@gmail.com",
            "smtp_code": 421 if n % 7 == 0 else 250,
            "enhanced_status": "4.7.28" if n % 7 == 0 else "2.0.0",
            "response": (
                "421-4.7.28 [198.51.100.250 15] Our system has detected an unusual rate of "
                "unsolicited mail originating from your IP address."
                if n % 7 == 0
                else f"250 2.0.0 OK 1700000{n:03d} a1si{n:06d}qkb.12 - gsmtp"
            ),
            "timestamp": f"2026-11-23T10:{n // 600 % 60:02d}:{n // 10 % 60:02d}Z",
        }
        for n in range(count)
    ]
    return json.dumps({"events": events})


def test_the_documented_batch_of_10000_events_fits(owner_api, account, settings):
    DomainFactory(account=account, name="acme.example")
    body = realistic_events(10_000)
    assert len(body) > 2.5 * 1024 * 1024  # more than Django's default limit

    response = owner_api.post("/api/v1/events/", body, content_type="application/json")

    assert response.status_code == 200, response.content[:300]
    assert response.json()["received"] == 10_000
    assert len(body) < settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 10 * 1024 * 1024


def test_a_body_over_the_limit_gets_a_json_413_naming_it(owner_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000

    response = owner_api.post(
        "/api/v1/events/", realistic_events(1_000), content_type="application/json"
    )

    assert response.status_code == 413
    assert response.json()["limit_bytes"] == 100_000
    assert response.json()["message"].startswith(
        "The request body is larger than the limit of 100,000 bytes"
    )
