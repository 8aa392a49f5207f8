"""Replies leave through the seed's own SMTP server, logged in as the seed: with its password,
or with XOAUTH2 and an access token from the provider's token endpoint."""

from __future__ import annotations

import time
from email.message import EmailMessage

import pytest

from engagement.seedclient import LoginFailed, SeedClientError, SeedEndpoint, send_reply
from engagement.seedclient import oauth as oauth_tokens
from warmup_site.testing.oauth import OAuthServer
from warmup_site.testing.smtp import SmtpSink

ADDRESS = "seed1@gmail.test"


@pytest.fixture(autouse=True)
def _fresh_tokens():
    oauth_tokens.clear_cache()
    yield
    oauth_tokens.clear_cache()


def reply() -> bytes:
    message = EmailMessage()
    message["From"] = ADDRESS
    message["To"] = "hello@news.example"
    message["Subject"] = "Re: Lunch on Thursday?"
    message["In-Reply-To"] = "<abc@news.example>"
    message.set_content("Thursday works for me.")
    return message.as_bytes()


def seed(sink: SmtpSink, **fields) -> SeedEndpoint:
    values = {
        "address": ADDRESS,
        "provider": "google",
        "username": ADDRESS,
        "auth": "password",
        "secret": "app-password",
        "imap_host": "127.0.0.1",
        "imap_port": 143,
        "imap_tls": "none",
        "smtp_host": sink.host,
        "smtp_port": sink.port,
        "smtp_tls": "none",
    }
    return SeedEndpoint(**{**values, **fields})


def test_it_logs_in_with_the_seeds_password():
    with SmtpSink(users={ADDRESS: "app-password"}) as sink:
        send_reply(seed(sink), reply(), to="hello@news.example")

    assert len(sink.messages) == 1
    assert sink.messages[0].rcpt_tos == ("hello@news.example",)
    assert sink.logins and sink.logins[0][1] == ADDRESS


def test_it_reports_a_refused_password_as_a_login_failure_in_the_servers_words():
    with SmtpSink(users={ADDRESS: "app-password"}) as sink, pytest.raises(LoginFailed) as exc:
        send_reply(seed(sink, secret="wrong"), reply(), to="hello@news.example")

    assert str(exc.value).startswith("535")
    assert sink.messages == []


def test_it_does_not_send_without_a_login_where_one_is_required():
    # A sink that only knows XOAUTH2 tokens: a password seed gets no mail through.
    with SmtpSink(bearer=lambda login, token: False) as sink, pytest.raises(SeedClientError):
        send_reply(seed(sink), reply(), to="hello@news.example")
    assert sink.messages == []


def test_it_logs_in_with_xoauth2_and_a_fresh_access_token():
    with OAuthServer() as oauth:
        refresh = oauth.add_account(ADDRESS)

        def bearer(login: str, token: str) -> bool:
            entry = oauth.access_tokens.get(token)
            return entry is not None and entry[0] == login and entry[1] > time.time()

        with SmtpSink(bearer=bearer) as sink:
            endpoint = seed(
                sink,
                auth="oauth2",
                secret=refresh,
                oauth_token_url=oauth.token_url,
                oauth_client_id=oauth.client_id,
                oauth_client_secret=oauth.client_secret,
            )
            send_reply(endpoint, reply(), to="hello@news.example")
            # A token revoked before its expiry: one more try with a new one, no failure.
            oauth.revoke_access_tokens()
            send_reply(endpoint, reply(), to="hello@news.example")

    assert len(sink.messages) == 2
    assert sink.logins == [("XOAUTH2", ADDRESS), ("XOAUTH2", ADDRESS)]
    assert oauth.requests["/token"] == 2
