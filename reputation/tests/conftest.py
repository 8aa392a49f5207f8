"""Fixtures of the reputation tests: the feeds' local server (Postmaster Tools v2 and SNDS
formats), a webhook receiver, and subjects with history."""

from __future__ import annotations

from pathlib import Path

import pytest

from reputation.feeds import google_auth
from reputation.feeds.sandbox import FeedServer
from reputation.tests.receiver import WebhookReceiver

FIXTURES = Path(__file__).parent / "fixtures"
CLIENT_ID, CLIENT_SECRET = "warmup-test.apps.example", "client-s3cret"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


@pytest.fixture
def feed_server(settings):
    """The feeds' server on 127.0.0.1, with the app pointed at it and no cached token."""
    server = FeedServer().start()
    server.add_client(CLIENT_ID, CLIENT_SECRET)
    settings.WARMUP_POSTMASTER_API_URL = server.postmaster_url
    settings.WARMUP_GOOGLE_TOKEN_URL = server.token_url
    settings.WARMUP_SNDS_URL = server.snds_url
    google_auth.clear_cache()
    yield server
    server.stop()
    google_auth.clear_cache()


@pytest.fixture
def receiver():
    server = WebhookReceiver().start()
    yield server
    server.stop()
