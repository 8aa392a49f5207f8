"""The OpenAPI schema's error answers, declared once for every operation.

Every API error has one shape (warmup_site.api.exception_handler, docs/api.md → Errors), and
which errors an operation can answer follows from what it takes, so this postprocessing hook
(SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]) adds them to each operation instead of each
view repeating them:

| status | when | operations |
|---|---|---|
| 400 | a body or query parameter is invalid (`field` names it) | with a body or query parameters |
| 401 | no token, or an unknown or revoked one | every one that needs a credential |
| 403 | the role (or a pipeline credential) may not do this | every one that needs a credential |
| 404 | no such object in your account (another account's is 404 too) | with path parameters |
| 413 | the body is over WARMUP_MAX_REQUEST_BYTES | with a body |
| 414 | the request line is over 4,094 bytes: gunicorn answers, in HTML | with parameters |
| 415 | the body is not JSON, a form or multipart | with a body |
| 503 | the database is unavailable for a moment (Retry-After) | every one |

429 is declared where it can happen (throttled or rate-limited views) by the views themselves,
with `OpenApiResponse(description=…)`: an error a view declares without a body gets the error
body here. A status a view declares with a body is kept as it is.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

ERROR_COMPONENT = "ApiError"
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error answer (docs/api.md → Errors). Some add keys: `errors` (the "
    "validation errors by field), `retry_after` (seconds, with 429 and 503), `limit_bytes` "
    "(with 413), `detail`.",
    "properties": {
        "message": {"type": "string", "description": "One sentence for a person."},
        "field": {
            "type": "string",
            "nullable": True,
            "description": "The input at fault, with list positions (`events[3].type`), or null.",
        },
        "errors": {"type": "object", "additionalProperties": True},
        "retry_after": {"type": "integer"},
        "limit_bytes": {"type": "integer"},
        "detail": {"type": "string"},
    },
    "required": ["message", "field"],
    "additionalProperties": True,
}
JSON_ERROR = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}}
DESCRIPTIONS = {
    "400": "Invalid input: `field` names it and `message` says the rule.",
    "401": "No credential, or an unknown or revoked one.",
    "403": "Your role, or a pipeline credential, may not do this.",
    "404": "No such object in your account (another account's object is 404 too).",
    "413": "The body is larger than WARMUP_MAX_REQUEST_BYTES (`limit_bytes`).",
    "415": "The body is not JSON (nor a form).",
    "503": "The database is unavailable for a moment; nothing was changed. Retry after "
    "`Retry-After` seconds.",
}
URI_TOO_LONG = {
    "description": "The request line is longer than the web server takes (gunicorn: 4,094 "
    "bytes); the web server answers this itself, with a short HTML page.",
    "content": {"text/html": {"schema": {"type": "string"}}},
}
METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}


def error_responses(result, generator, request, public):  # noqa: ARG001 - drf-spectacular's hook signature
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method in METHODS:
                _add_errors(operation)
    return result


def _add_errors(operation: dict) -> None:
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    has_query = any(p.get("in") == "query" for p in parameters)
    has_path = any(p.get("in") == "path" for p in parameters)
    # `security: [{}]` (or none) means the operation takes anonymous requests.
    needs_credential = any(requirement for requirement in operation.get("security", []))

    codes = ["503"]
    if has_body or has_query:
        codes.append("400")
    if needs_credential:
        codes += ["401", "403"]
    if has_path:
        codes.append("404")
    if has_body:
        codes += ["413", "415"]
    responses = operation.setdefault("responses", {})
    for code in sorted(codes):
        responses.setdefault(code, {"description": DESCRIPTIONS[code], "content": JSON_ERROR})
    for code, response in responses.items():
        # A view that declares an error with a description only (429 Retry-After) gets the
        # error body.
        if code[:1] in ("4", "5") and "content" not in response:
            response["content"] = JSON_ERROR
    if parameters:
        responses.setdefault("414", URI_TOO_LONG)


# --- field schemas the serializers cannot derive --------------------------------------------------

DOMAIN_NAME = {
    "type": "string",
    "format": "hostname",
    "maxLength": 253,
    "description": "A domain name with at least two labels (example.com); an internationalised "
    "name (bücher.example) and upper case are accepted and stored as a lower-case A-label. Not "
    "an IP address, no wildcard.",
}
EMAIL = {"type": "string", "format": "email", "maxLength": 320}


@extend_schema_field(DOMAIN_NAME)
class DomainNameField(serializers.CharField):
    """A CharField the schema describes as a domain name (format hostname)."""
