"""OAuth2 access tokens for seeds at Google and Microsoft 365, where basic auth is disabled.

A seed stores a long-lived refresh token; before each IMAP or SMTP login we need a short-lived
access token. It comes from the provider's token endpoint (RFC 6749 §6,
``grant_type=refresh_token``) and is cached in the process until shortly before it expires —
a sweep opens the same seed's IMAP and SMTP within seconds, and token endpoints rate-limit.

urllib is enough for one form POST, so no HTTP library is added. Errors say what the endpoint
answered: a refused refresh token (``invalid_grant``, ``invalid_client``, HTTP 400/401) raises
LoginFailed — the seed must be re-authorised by a person — anything else (timeouts, 5xx,
garbage) raises SeedClientError and the next sweep tries again.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from engagement.seedclient.base import LoginFailed, SeedClientError, SeedEndpoint

# Renew this long before the endpoint's expiry: a token must survive the login it is used for.
EXPIRY_MARGIN_SECONDS = 60
# Google and Microsoft answer with expires_in=3599/3600; assume an hour when it is missing.
DEFAULT_LIFETIME_SECONDS = 3600
TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class _Cached:
    token: str
    expires_at: float  # time.monotonic()


_cache: dict[str, _Cached] = {}
_lock = threading.Lock()


def _cache_key(endpoint: SeedEndpoint) -> str:
    # Never keep the refresh token itself as a dict key that might end up in a repr or a dump.
    raw = "\0".join([endpoint.oauth_token_url, endpoint.oauth_client_id, endpoint.secret])
    return hashlib.sha256(raw.encode()).hexdigest()


def forget(endpoint: SeedEndpoint) -> None:
    """Drop a cached access token (the server refused it: revoked before its expiry)."""
    with _lock:
        _cache.pop(_cache_key(endpoint), None)


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def access_token(endpoint: SeedEndpoint) -> tuple[str, bool]:
    """An access token for ``endpoint`` and whether it came from the cache."""
    key = _cache_key(endpoint)
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached.expires_at > time.monotonic():
            return cached.token, True
    token, lifetime = refresh(endpoint)
    expires_at = time.monotonic() + max(0, lifetime - EXPIRY_MARGIN_SECONDS)
    with _lock:
        _cache[key] = _Cached(token, expires_at)
    return token, False


def refresh(endpoint: SeedEndpoint) -> tuple[str, int]:
    """Exchange the seed's refresh token for (access token, lifetime in seconds)."""
    if not endpoint.oauth_token_url:
        raise LoginFailed(f"{endpoint.address}: OAuth2 seed has no token endpoint configured")
    fields = {"grant_type": "refresh_token", "refresh_token": endpoint.secret}
    if endpoint.oauth_client_id:
        fields["client_id"] = endpoint.oauth_client_id
    if endpoint.oauth_client_secret:
        fields["client_secret"] = endpoint.oauth_client_secret
    request = urllib.request.Request(
        endpoint.oauth_token_url,
        data=urllib.parse.urlencode(fields).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        },
        method="POST",
    )
    where = endpoint.oauth_token_url
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        detail = _describe_error(exc.read())
        message = f"token endpoint {where} answered HTTP {exc.code}: {detail}"
        # RFC 6749 §5.2: 400 invalid_grant / 401 invalid_client mean the credentials are bad.
        if exc.code in (400, 401):
            raise LoginFailed(message) from None
        raise SeedClientError(message) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SeedClientError(f"token endpoint {where} unreachable: {reason}") from None
    try:
        data = json.loads(body)
        token = data["access_token"]
    except (ValueError, KeyError, TypeError):
        raise SeedClientError(
            f"token endpoint {where} answered without an access_token: {body[:200]!r}"
        ) from None
    try:
        lifetime = int(data.get("expires_in", DEFAULT_LIFETIME_SECONDS))
    except (TypeError, ValueError):
        lifetime = DEFAULT_LIFETIME_SECONDS
    return str(token), lifetime


def _describe_error(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return body[:200].decode(errors="replace") or "(empty body)"
    if not isinstance(data, dict):
        return str(data)[:200]
    error = data.get("error", "error")
    description = data.get("error_description")
    return f"{error}: {description}" if description else str(error)


def xoauth2_string(username: str, token: str) -> str:
    """The SASL XOAUTH2 initial response (Google's and Microsoft's format), not base64'd."""
    return f"user={username}\x01auth=Bearer {token}\x01\x01"
