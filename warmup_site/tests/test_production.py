"""Production settings: Django's deployment checks pass with the documented settings, error
reports hide credentials, every response carries the Content-Security-Policy."""

import os
import re
import subprocess
import sys
from pathlib import Path

from django.test import RequestFactory
from django.views.debug import technical_500_response

ROOT = Path(__file__).resolve().parents[2]

# The production settings docs/configuration.md documents for a deployment behind TLS.
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "q3Vb8-Zt0fLk2NwX9mYp4RsJd6HgA1cE7uTo5iKlQe_BvWnMxCzF",
    "WARMUP_ENCRYPTION_KEYS": "n4h6XKJ1AqA0hS0JmHnyGh7eSp1IxvF2wLq1u5Yzq7k=",
    "ALLOWED_HOSTS": "warmup.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://warmup.example.com",
    "SECURE_PROXY_SSL": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "WARMUP_SPF_INCLUDE": "_spf.warmup.example.com",
    "WARMUP_RETURN_PATH_TARGET": "bounces.warmup.example.com",
}


def manage(*args, env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_documented_production_settings_pass_the_deployment_checks():
    result = manage("check", "--deploy", env=PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    issues = set(re.findall(r"\(([\w.]+\.[EW]\d+)\)", result.stdout + result.stderr))
    # drf-spectacular's schema warnings (W001: a type it cannot infer) are not about the
    # deployment; every security and configuration check must be silent.
    assert issues <= {"drf_spectacular.W001"}, result.stdout + result.stderr


def test_production_refuses_the_published_development_secret_key():
    env = {**PRODUCTION, "SECRET_KEY": "dev-only-insecure-secret-key-do-not-use-in-production"}

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "warmup.E010" in result.stderr


# Built from parts so that the traceback's source lines (shown on the page) do not contain it.
SECRET = "hunter" + "2"


def test_the_error_page_hides_credentials_in_url_settings(settings):
    settings.DEBUG = True
    settings.WARMUP_SMTP_URL = f"smtp://relay-user:{SECRET}@relay.example.com:587?tls=starttls"
    settings.REDIS_URL = f"redis://:{SECRET}@cache.example.com:6379/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"redis://:{SECRET}@cache.example.com:6379/0",
        }
    }
    settings.Q_CLUSTER = {"name": "warmup", "redis": f"rediss://u:{SECRET}@q.example.com/1"}
    settings.SOME_SERVICE_URL = f"https://api.example.com/hook?token={SECRET}&x=1"
    request = RequestFactory().post("/api/v1/routes/", HTTP_AUTHORIZATION=f"Token wua_{SECRET}")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        response = technical_500_response(request, *sys.exc_info())

    page = response.content.decode()
    assert SECRET not in page
    # Still readable: which relay, which user, which host.
    assert "smtp://relay-user:********************@relay.example.com:587?tls=starttls" in page
    assert "x=1" in page


def test_pages_and_the_browsable_api_send_the_content_security_policy(client, owner_api):
    pages = [client.get("/login/"), owner_api.get("/api/v1/account/", HTTP_ACCEPT="text/html")]
    for response in pages:
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in policy


def test_json_answers_carry_no_policy(owner_api):
    response = owner_api.get("/api/v1/account/")

    assert response["Content-Type"] == "application/json"
    assert "Content-Security-Policy" not in response
    assert response["X-Content-Type-Options"] == "nosniff"
