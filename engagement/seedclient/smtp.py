"""Replies from a seed, sent through the seed's own SMTP server with the seed's credentials.

A reply must come from the seed's provider like any reply its owner would write: it is
authenticated as the seed (password, or XOAUTH2 with the same access token the IMAP login
uses) and relayed by the provider, never by our own relay.
"""

from __future__ import annotations

import smtplib

from django.conf import settings

from engagement.seedclient import oauth
from engagement.seedclient.base import (
    AUTH_OAUTH2,
    TLS_SSL,
    TLS_STARTTLS,
    LoginFailed,
    SeedClientError,
    SeedEndpoint,
    tls_context,
)


def _reply_text(exc: smtplib.SMTPResponseException) -> str:
    text = (
        exc.smtp_error.decode(errors="replace")
        if isinstance(exc.smtp_error, bytes)
        else str(exc.smtp_error)
    )
    return f"{exc.smtp_code} {text}"


def send_reply(endpoint: SeedEndpoint, message: bytes, *, to: str) -> None:
    """Send ``message`` (a complete RFC 5322 reply) from the seed to ``to``.

    Raises LoginFailed when the server refuses the seed's credentials, SeedClientError for
    anything else (with the server's reply code and text).
    """
    if not endpoint.smtp_host or not endpoint.smtp_port:
        raise SeedClientError(f"{endpoint.address}: no SMTP server configured for replies")
    where = f"{endpoint.smtp_host}:{endpoint.smtp_port}"
    timeout = settings.WARMUP_IMAP_TIMEOUT
    try:
        if endpoint.smtp_tls == TLS_SSL:
            smtp = smtplib.SMTP_SSL(
                endpoint.smtp_host, endpoint.smtp_port, timeout=timeout, context=tls_context()
            )
        else:
            smtp = smtplib.SMTP(endpoint.smtp_host, endpoint.smtp_port, timeout=timeout)
    except (TimeoutError, OSError, smtplib.SMTPException) as exc:
        raise SeedClientError(f"cannot connect to {where}: {exc}") from None
    try:
        smtp.ehlo()
        if endpoint.smtp_tls == TLS_STARTTLS:
            smtp.starttls(context=tls_context())
            smtp.ehlo()
        # A provider's submission port always offers AUTH; a server that offers none (the
        # sandbox world, a local test sink) takes the mail without it.
        if smtp.has_extn("auth"):
            _authenticate(smtp, endpoint)
        refused = smtp.sendmail(endpoint.address, [to], message)
        if refused:
            raise SeedClientError(f"{where} refused {to}: {refused[to]}")
    except smtplib.SMTPAuthenticationError as exc:
        raise LoginFailed(_reply_text(exc)) from None
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        raise SeedClientError(
            f"{where} refused {to}: {code} {text.decode(errors='replace')}"
        ) from None
    except smtplib.SMTPResponseException as exc:
        raise SeedClientError(f"{where}: {_reply_text(exc)}") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise SeedClientError(f"{where}: {exc}") from None
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def _authenticate(smtp: smtplib.SMTP, endpoint: SeedEndpoint) -> None:
    if endpoint.auth != AUTH_OAUTH2:
        smtp.login(endpoint.username, endpoint.secret)
        return
    token, cached = oauth.access_token(endpoint)
    try:
        _xoauth2(smtp, endpoint.username, token)
    except smtplib.SMTPAuthenticationError:
        if not cached:
            raise
        oauth.forget(endpoint)  # revoked before its expiry: one more try with a fresh token
        token, _ = oauth.access_token(endpoint)
        _xoauth2(smtp, endpoint.username, token)


def _xoauth2(smtp: smtplib.SMTP, username: str, token: str) -> None:
    initial = oauth.xoauth2_string(username, token)

    def answer(challenge: bytes | None = None) -> str:
        # On failure the server sends a 334 with a JSON error; the client answers with an
        # empty line and then gets the 535 (Google's documented XOAUTH2 exchange).
        return initial if challenge is None else ""

    smtp.auth("XOAUTH2", answer, initial_response_ok=True)
