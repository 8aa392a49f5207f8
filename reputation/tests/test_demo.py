"""The demo (make run): 30+ days of snapshots from the real job, with the feeds fetched from
the sandbox's feed server, visible through the API as the demo customer; idempotent."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.demo import DEMO_PASSWORD, DEMO_USER
from ips.demo import WARM_IP, WARMING_IP
from reputation.demo import DEMO_ALERTS, DEMO_SNDS_KEY
from reputation.feeds import google_auth
from reputation.feeds.sandbox import SandboxFeedData, start
from reputation.models import FeedConnection, NotificationPreference, SnapshotDay
from reputation.services.snapshots import snapshots_run
from warmup_site.demo import load_all


@pytest.fixture
def sandbox_feeds(settings, tmp_path):
    settings.WARMUP_SANDBOX = True
    settings.WARMUP_SANDBOX_DIR = tmp_path
    # The server's threads cannot see the test's uncommitted rows: the demo key's IPs are given.
    data = SandboxFeedData(
        ips_for_key=lambda key: [WARMING_IP, WARM_IP] if key == DEMO_SNDS_KEY else None
    )
    server = start(data=data, port=0)
    settings.WARMUP_POSTMASTER_API_URL = server.postmaster_url
    settings.WARMUP_GOOGLE_TOKEN_URL = server.token_url
    settings.WARMUP_SNDS_URL = server.snds_url
    google_auth.clear_cache()
    yield server
    server.stop()


def test_the_demo_has_a_month_of_snapshots_from_the_real_paths(db, sandbox_feeds):
    lines = load_all()
    load_all()  # idempotent

    assert any(line.startswith("reputation: ") and "days of snapshots" in line for line in lines)
    feeds = {f.kind: f for f in FeedConnection.objects.all()}
    assert (feeds["postmaster"].status, feeds["snds"].status) == ("ok", "ok")
    assert SnapshotDay.objects.filter(final=True).count() >= 30
    assert NotificationPreference.objects.get().extra_recipients == [DEMO_ALERTS]

    client = APIClient()
    token = client.post(
        "/api/v1/auth/token/", {"username": DEMO_USER, "password": DEMO_PASSWORD}
    ).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    overview = client.get("/api/v1/reputation/").json()
    domain = next(d for d in overview["domains"] if d["name"] == "news.demo-sender.example")
    assert {ip["address"] for ip in overview["ips"]} == {WARM_IP, WARMING_IP}

    body = client.get(f"/api/v1/domains/{domain['id']}/reputation/?days=30").json()
    google = next(p for p in body["providers"] if p["provider"] == "google")
    assert len(google["series"]["day"]) == 30
    # Postmaster Tools data (from the sandbox's server) on the days before today.
    assert all(rate is not None for rate in google["series"]["pm_spam_rate"][:-1])
    assert google["today"]["factors"]

    ip = client.get(f"/api/v1/ips/{WARMING_IP}/reputation/?days=30").json()
    microsoft = next(p for p in ip["providers"] if p["provider"] == "microsoft")
    assert len(microsoft["series"]["day"]) == 30
    assert set(microsoft["series"]["snds_filter"][:-1]) <= {"GREEN", "YELLOW"}
    assert microsoft["series"]["snds_filter"][-2] in ("GREEN", "YELLOW")


def test_without_the_feed_server_the_demo_still_snapshots_and_says_why(db, settings):
    settings.WARMUP_SANDBOX = True
    settings.WARMUP_POSTMASTER_API_URL = "http://127.0.0.1:9/postmaster"
    settings.WARMUP_GOOGLE_TOKEN_URL = "http://127.0.0.1:9/token"
    settings.WARMUP_SNDS_URL = "http://127.0.0.1:9/snds"

    lines = load_all()

    assert "reputation: Microsoft SNDS — cannot reach 127.0.0.1" in "\n".join(lines)
    assert SnapshotDay.objects.filter(final=True).count() >= 30


def test_the_demo_backfills_even_after_the_scheduler_ran(db, settings):
    settings.WARMUP_SANDBOX = False  # no feeds: the figures of the other demos only
    snapshots_run()  # the scheduler got there first: it starts from the backfill days

    load_all()

    assert SnapshotDay.objects.filter(final=True).count() >= 30
