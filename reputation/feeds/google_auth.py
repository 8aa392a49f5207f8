"""OAuth2 access tokens for the Postmaster Tools API.

Two ways in, as Google documents them:

* a **refresh token** an account holder granted to our OAuth client (RFC 6749 §6:
  `grant_type=refresh_token` with client id and secret);
* a **service account**: a JWT signed RS256 with the account's private key
  (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`, RFC 7523), optionally acting as a
  Postmaster Tools user through domain-wide delegation (`sub`).

The token endpoint is always WARMUP_GOOGLE_TOKEN_URL, never the `token_uri` inside a key file
someone uploaded: a customer's file must not make us POST to an address of its choosing.
Access tokens are cached per process until a minute before they expire.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from reputation.feeds import AuthError, FeedError
from reputation.feeds.http import request

SCOPE = "https://www.googleapis.com/auth/postmaster.traffic.readonly"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
EXPIRY_MARGIN_SECONDS = 60
JWT_LIFETIME_SECONDS = 3600


@dataclass(frozen=True)
class GoogleCredentials:
    kind: str  # "refresh_token" or "service_account"
    secret: str  # the refresh token, or the service account's JSON key
    token_url: str
    client_id: str = ""
    client_secret: str = ""
    delegated_user: str = ""

    def cache_key(self) -> str:
        # Never keep a secret itself as a key that could end up in a repr or a dump.
        raw = "\0".join([self.kind, self.secret, self.token_url, self.client_id])
        return hashlib.sha256(raw.encode()).hexdigest()


def service_account_email(key_json: str) -> str:
    """The client_email of a service account key, checking the key's shape on the way; a
    ValueError says what is wrong (written for the person who pasted it)."""
    try:
        data = json.loads(key_json)
    except ValueError:
        raise ValueError("is not JSON: paste the whole key file Google gave you") from None
    if not isinstance(data, dict) or data.get("type") != "service_account":
        raise ValueError('is not a service account key (its "type" must be "service_account")')
    for field in ("client_email", "private_key"):
        if not data.get(field):
            raise ValueError(f'has no "{field}"')
    try:
        key = serialization.load_pem_private_key(data["private_key"].encode(), password=None)
    except (ValueError, TypeError):
        raise ValueError("has a private_key that is not a PEM RSA key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("has a private_key that is not an RSA key")
    return str(data["client_email"])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def signed_jwt(credentials: GoogleCredentials, *, now: float | None = None) -> str:
    """The assertion of the JWT-bearer grant, signed with the service account's key."""
    data = json.loads(credentials.secret)
    issued = int(now if now is not None else time.time())
    claims = {
        "iss": data["client_email"],
        "scope": SCOPE,
        "aud": credentials.token_url,
        "iat": issued,
        "exp": issued + JWT_LIFETIME_SECONDS,
    }
    if credentials.delegated_user:
        claims["sub"] = credentials.delegated_user
    header = {"alg": "RS256", "typ": "JWT"}
    if data.get("private_key_id"):
        header["kid"] = data["private_key_id"]
    signing_input = (
        _b64(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64(json.dumps(claims, separators=(",", ":")).encode())
    )
    key = serialization.load_pem_private_key(data["private_key"].encode(), password=None)
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


_cache: dict[str, tuple[str, float]] = {}
_lock = threading.Lock()


def forget(credentials: GoogleCredentials) -> None:
    with _lock:
        _cache.pop(credentials.cache_key(), None)


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def access_token(credentials: GoogleCredentials, *, timeout: float) -> str:
    key = credentials.cache_key()
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
    token, lifetime = _fetch(credentials, timeout=timeout)
    with _lock:
        _cache[key] = (token, time.monotonic() + max(0, lifetime - EXPIRY_MARGIN_SECONDS))
    return token


def _fetch(credentials: GoogleCredentials, *, timeout: float) -> tuple[str, int]:
    if credentials.kind == "service_account":
        try:
            fields = {"grant_type": JWT_BEARER, "assertion": signed_jwt(credentials)}
        except (ValueError, KeyError, TypeError):
            raise AuthError(
                "the service account key cannot sign a token: upload the key file again"
            ) from None
        what = "the service account"
    else:
        fields = {
            "grant_type": "refresh_token",
            "refresh_token": credentials.secret,
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
        }
        what = "the refresh token"
    response = request(
        credentials.token_url,
        method="POST",
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        timeout=timeout,
    )
    data = response.json() if response.body else None
    if response.status != 200:
        detail = _describe(data, response)
        # RFC 6749 §5.2: invalid_grant / invalid_client / unauthorized_client mean the
        # credentials themselves are bad (revoked, expired, deleted client).
        if response.status in (400, 401, 403):
            if isinstance(data, dict) and data.get("error") == "invalid_grant":
                raise AuthError(
                    f"Google refused {what} ({detail}): token revoked or expired — connect "
                    "Postmaster Tools again",
                    status=response.status,
                )
            raise AuthError(
                f"Google refused {what} (HTTP {response.status}: {detail})",
                status=response.status,
            )
        raise FeedError(
            f"Google's token endpoint answered HTTP {response.status}: {detail}",
            status=response.status,
        )
    if not isinstance(data, dict) or not data.get("access_token"):
        raise FeedError("Google's token endpoint answered without an access_token")
    try:
        lifetime = int(data.get("expires_in", 3600))
    except (TypeError, ValueError):
        lifetime = 3600
    return str(data["access_token"]), lifetime


def _describe(data, response) -> str:
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict):  # Google APIs' error shape
            return str(error.get("message") or error.get("status") or error)
        description = data.get("error_description")
        if error:
            return f"{error}: {description}" if description else str(error)
    return response.text()[:200] or "(empty answer)"
