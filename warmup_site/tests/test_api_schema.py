"""The generated OpenAPI schema: generated without warnings, every operation summarised and
its errors declared, and the behaviours it promises (issue 11 §2). test_api_contract.py checks
it against the running app with schemathesis."""

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

from domains.tests.factories import DomainFactory
from ips.tests import factories as f

METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def test_it_generates_the_schema_without_warnings(tmp_path):
    # --fail-on-warn: a warning (an untyped path parameter, a method field without a type) is a
    # schema that guesses.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))


def test_it_summarises_every_operation(schema):
    missing = [name for name, operation in operations(schema) if not operation.get("summary")]

    assert not missing


def test_it_declares_the_errors_each_operation_can_answer(schema):
    for name, operation in operations(schema):
        codes = set(operation["responses"])
        assert "503" in codes, name
        if name != "POST /api/v1/auth/token/":
            assert {"401", "403"} <= codes, name
        if "{" in name:
            assert {"404", "414"} <= codes, name
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= codes, name

    paths = schema["paths"]
    assert "429" in paths["/api/v1/auth/token/"]["post"]["responses"]
    assert "429" in paths["/api/v1/domains/{id}/verify/"]["post"]["responses"]
    error = paths["/api/v1/events/"]["post"]["responses"]["400"]["content"]["application/json"]
    assert error["schema"] == {"$ref": "#/components/schemas/ApiError"}
    assert schema["components"]["schemas"]["ApiError"]["required"] == ["message", "field"]


def test_it_describes_what_the_app_returns(schema):
    components = schema["components"]["schemas"]
    override = components["DedicatedIp"]["properties"]["readiness_override"]
    assert override["allOf"] == [{"$ref": "#/components/schemas/ReadinessOverride"}]
    assert override["nullable"] is True
    # One row per provider: a plain list, not a page.
    warmup = schema["paths"]["/api/v1/ips/{address}/warmup/"]["get"]["responses"]["200"]
    assert warmup["content"]["application/json"]["schema"]["type"] == "array"
    events = components["EventsRequestRequest"]["properties"]["events"]
    assert (events["minItems"], events["maxItems"]) == (1, 10_000)
    classify = components["ClassifyRequestRequest"]["properties"]["domains"]
    assert classify["items"]["format"] == "hostname"
    bodies = schema["paths"]["/api/v1/routes/"]["post"]["requestBody"]["content"]
    assert list(bodies) == ["application/json"]


# --- the behaviours the schema promises --------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("offset=null", "offset"),
        ("limit=-1", "limit"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
    ],
)
def test_it_refuses_invalid_pagination_naming_the_parameter(owner_api, query, field):
    response = owner_api.get(f"/api/v1/domains/?{query}")

    assert response.status_code == 400
    assert response.json()["field"] == field


def test_it_pages_with_valid_pagination(owner_api, account):
    DomainFactory(account=account, name="a.example")
    DomainFactory(account=account, name="b.example")

    response = owner_api.get("/api/v1/domains/?limit=1&offset=1")

    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert len(response.json()["results"]) == 1


def test_it_answers_an_unknown_api_path_in_json(owner_api):
    response = owner_api.get("/api/v1/domains/not-a-number/")

    assert response.status_code == 404
    assert response.json()["field"] is None
    assert response.json()["message"]


def test_it_describes_the_switch_on_options_of_a_domains_warmup(owner_api, account):
    domain = DomainFactory(account=account)

    response = owner_api.options(f"/api/v1/domains/{domain.pk}/warmup/")

    assert response.status_code == 200
    assert set(response.json()["actions"]["PUT"]) == {"enabled", "keep_warm"}


@pytest.mark.parametrize("enabled", [0, 1, "true", "yes", None])
def test_it_takes_only_a_json_boolean_for_a_switch(owner_api, account, enabled):
    domain = DomainFactory(account=account)

    response = owner_api.put(f"/api/v1/domains/{domain.pk}/warmup/", {"enabled": enabled})

    assert response.status_code == 400
    assert response.json()["field"] == "enabled"


def test_it_takes_only_a_json_string_for_text(owner_api):
    response = owner_api.post("/api/v1/providers/classify/", {"domains": [12]})

    assert response.status_code == 400
    assert response.json()["field"] == "domains[0]"


def test_it_refuses_a_form_body_with_415(owner_api, account):
    domain = DomainFactory(account=account)

    # As a form, a missing boolean used to read as false and switch Domain Warmup off.
    response = owner_api.put(
        f"/api/v1/domains/{domain.pk}/warmup/",
        "enabled=",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 415
    assert response.json()["field"] is None


def test_it_answers_the_warmup_rows_of_an_ip_as_a_list(owner_api, account):
    ip = f.warming_ip(pool=f.pool(account=account), address="203.0.113.1")

    response = owner_api.get(f"/api/v1/ips/{ip.address}/warmup/")

    assert response.status_code == 200
    assert isinstance(response.json(), list)
