"""The outbound relay warm-up mail leaves through: WARMUP_SMTP_URL.

    smtp://user:password@relay.example.com:587?tls=starttls
    smtps://user:password@relay.example.com            (tls=ssl, port 465)
    smtp://127.0.0.1:2525?tls=none                     (a local relay or the sandbox world)

The URL is parsed once per value (the system check warmup.E006 reports the same errors at
start-up); user and password are percent-decoded, so a password may contain any character.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings

TLS_MODES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


class RelayConfigError(ValueError):
    """WARMUP_SMTP_URL is missing or malformed; the message says what to fix."""


@dataclass(frozen=True)
class Relay:
    host: str
    port: int
    tls: str
    username: str = ""
    password: str = field(default="", repr=False)  # never in logs or reprs

    def connect(self, *, timeout: float = 30.0) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.tls == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=timeout, context=context
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=timeout)
            if self.tls == "starttls":
                client.starttls(context=context)
        if self.username:
            client.login(self.username, self.password)
        return client


@lru_cache(maxsize=8)
def parse_smtp_url(url: str) -> Relay:
    if not url:
        raise RelayConfigError(
            "WARMUP_SMTP_URL is not set: warm-up mail has no relay to leave through."
        )
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise RelayConfigError(f"the scheme must be smtp or smtps, not {parts.scheme!r}")
    if not parts.hostname:
        raise RelayConfigError("it names no host")
    try:
        port = parts.port
    except ValueError:
        raise RelayConfigError("the port is not a number from 1 to 65535") from None
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"tls"})
    if unknown:
        raise RelayConfigError(f"unknown parameter {unknown[0]!r} (only tls= is understood)")
    default_tls = "ssl" if parts.scheme == "smtps" else "starttls"
    tls = (query.get("tls") or [default_tls])[-1].lower()
    if tls not in TLS_MODES:
        raise RelayConfigError(f"tls must be one of starttls, ssl, none, not {tls!r}")
    if parts.scheme == "smtps" and tls != "ssl":
        raise RelayConfigError(f"smtps:// always uses TLS from the start; tls={tls} contradicts it")
    username = unquote(parts.username or "")
    password = unquote(parts.password or "")
    if password and not username:
        raise RelayConfigError("it has a password but no user name")
    return Relay(
        host=parts.hostname,
        port=port or DEFAULT_PORTS[tls],
        tls=tls,
        username=username,
        password=password,
    )


def configured_relay() -> Relay:
    return parse_smtp_url(settings.WARMUP_SMTP_URL or "")
