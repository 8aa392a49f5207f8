"""System checks for dangerous or malformed configuration.

They run before every management command (migrate, runserver, qcluster, …) and when the WSGI
application starts (see wsgi.py), so a production process refuses to start with them failing.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from warmup_site import crypto, dns


@register(Tags.security)
def check_secret_key(app_configs, **kwargs):
    if not settings.DEBUG and settings.SECRET_KEY_MISSING:
        return [
            Error(
                "SECRET_KEY is not set and DEBUG is off.",
                hint="Set SECRET_KEY to a long random value, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`.",
                id="warmup.E001",
            )
        ]
    return []


@register(Tags.security)
def check_encryption_keys(app_configs, **kwargs):
    keys = settings.WARMUP_ENCRYPTION_KEYS
    if not keys:
        return [
            Error(
                "WARMUP_ENCRYPTION_KEYS is not set and DEBUG is off: secrets cannot be stored.",
                hint="Set it to one or more comma-separated Fernet keys, newest first; make one "
                "with `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`.",
                id="warmup.E002",
            )
        ]
    errors = []
    for position, key in enumerate(keys, start=1):
        try:
            crypto.validate_key(key)
        except ValueError as exc:
            errors.append(
                Error(
                    f"WARMUP_ENCRYPTION_KEYS: key {position} {exc}.",
                    hint="Each key must be a Fernet key: 32 random bytes in url-safe base64 "
                    "(44 characters ending in '=').",
                    id="warmup.E002",
                )
            )
    if not settings.DEBUG and settings.DEV_ENCRYPTION_KEY in keys:
        errors.append(
            Error(
                "WARMUP_ENCRYPTION_KEYS contains the published development key.",
                hint="Generate a key of your own for production.",
                id="warmup.E002",
            )
        )
    return errors


@register()
def check_dns_nameservers(app_configs, **kwargs):
    errors = []
    for value in settings.WARMUP_DNS_NAMESERVERS:
        try:
            dns.parse_nameserver(value)
        except ValueError as exc:
            errors.append(
                Error(
                    f"WARMUP_DNS_NAMESERVERS: {exc}.",
                    hint="Use comma-separated IP addresses with an optional port: "
                    "'9.9.9.9, 127.0.0.1:5353, [::1]:53'.",
                    id="warmup.E003",
                )
            )
    return errors


@register()
def check_smtp_url(app_configs, **kwargs):
    url = settings.WARMUP_SMTP_URL
    if not url:
        return []
    parts = urlsplit(url)
    problem = None
    if parts.scheme not in ("smtp", "smtps"):
        problem = f"the scheme must be smtp or smtps, not {parts.scheme!r}"
    else:
        try:
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError:
            problem = "the port is not a number from 1 to 65535"
        if not parts.hostname:
            problem = "it names no host"
    if problem:
        return [
            Error(
                f"WARMUP_SMTP_URL is malformed: {problem}.",
                hint="Example: smtp://user:password@relay.example.com:587?tls=starttls",
                id="warmup.E004",
            )
        ]
    return []


@register(Tags.security)
def check_placeholders(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    warnings = []
    for name in ("WARMUP_SPF_INCLUDE", "WARMUP_RETURN_PATH_TARGET"):
        if getattr(settings, name).endswith(".invalid"):
            warnings.append(
                Warning(
                    f"{name} is still the placeholder {getattr(settings, name)!r}.",
                    hint="Customers are told to publish this value; set it to your own host.",
                    id="warmup.W001",
                )
            )
    return warnings
