"""System checks for dangerous or malformed configuration.

They run before every management command (migrate, runserver, qcluster, …) and when the WSGI
application starts (see wsgi.py), so a production process refuses to start with them failing.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from warmup_site import client_ip, crypto, dns

SECRET_KEY_HINT = (
    "Set SECRET_KEY to a long random value, e.g. the output of "
    "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
)
# Django's own deployment check (security.W009) asks the same of a key; here it is an error,
# because a guessable key lets anyone forge sessions, password-reset links and signed values.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5


@register(Tags.security)
def check_secret_key(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    if settings.SECRET_KEY_MISSING:
        return [
            Error("SECRET_KEY is not set and DEBUG is off.", hint=SECRET_KEY_HINT, id="warmup.E001")
        ]
    key = settings.SECRET_KEY
    problem = None
    if key == settings.DEV_SECRET_KEY:
        problem = "is the published development key"
    elif key.startswith("django-insecure"):
        problem = "is one of Django's generated development keys (django-insecure-…)"
    elif len(key) < SECRET_KEY_MIN_LENGTH:
        problem = f"has {len(key)} characters; it needs at least {SECRET_KEY_MIN_LENGTH}"
    elif len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        problem = (
            f"uses only {len(set(key))} different characters; it needs at least "
            f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS}"
        )
    if problem:
        return [Error(f"SECRET_KEY {problem}.", hint=SECRET_KEY_HINT, id="warmup.E010")]
    return []


@register(Tags.security)
def check_trusted_proxies(app_configs, **kwargs):
    try:
        client_ip.parse_networks(settings.WARMUP_TRUSTED_PROXIES)
    except ValueError as exc:
        return [
            Error(
                f"WARMUP_TRUSTED_PROXIES: {exc}.",
                hint="Comma-separated addresses or networks of your reverse proxies, e.g. "
                "'127.0.0.1, 10.0.0.0/8, ::1'.",
                id="warmup.E011",
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
