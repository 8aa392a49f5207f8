"""The path `make run` takes: sandbox mode's default relay is the world, the world checks the
DKIM signature against the app's own key, and the same sending and sweep code runs against the
built-in store instead of IMAP."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.conf import settings as django_settings

from engagement.models import SeedAction, WarmupMessage
from engagement.sandbox import model_params, seed_endpoint_defaults
from engagement.sandbox.world import SandboxWorld
from engagement.services import sending, sweep
from engagement.services.seeds import seed_create
from providers.models import MailboxProvider
from warmup_site.testing import load_reference_data

START = datetime.combine(date.today() + timedelta(days=1), time(8), tzinfo=UTC)


def test_sandbox_mode_sends_to_the_world_without_tls():
    # Settings are read once per process: ask a fresh one, as `make run` starts it.
    env = {k: v for k, v in os.environ.items() if k != "WARMUP_SMTP_URL"}
    env.update(WARMUP_SANDBOX="true", DEBUG="true", WARMUP_SANDBOX_SMTP_PORT="2626")
    code = (
        "import django; django.setup(); from engagement.relay import configured_relay; "
        "relay = configured_relay(); print(relay.host, relay.port, relay.tls)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["127.0.0.1", "2626", "none"]


@pytest.fixture
def world(tmp_path, settings):
    settings.WARMUP_SANDBOX_DIR = tmp_path / "sandbox"
    world = SandboxWorld(directory=settings.WARMUP_SANDBOX_DIR, scan_interval=0).start()
    settings.WARMUP_SANDBOX_SMTP_PORT = world.port
    settings.WARMUP_SMTP_URL = f"smtp://127.0.0.1:{world.port}?tls=none"
    yield world
    world.stop()


# Committed rows: the world reads the DKIM keys from its own thread and connection, as in
# `manage.py serve` (the test database's shared cache would lock the table otherwise).
@pytest.mark.django_db(transaction=True)
def test_a_domain_warms_up_in_the_sandbox_world(
    owner_api, verified_domain, world, settings, monkeypatch
):
    # The world must receive mail off its asyncio loop: Django refuses the ORM (the DKIM key
    # lookup) inside a running loop. The suite switches that guard off for Playwright
    # (DJANGO_ALLOW_ASYNC_UNSAFE), so the test checks where receiving runs instead.
    where: list[str] = []
    receive = world.receive

    def spy(*args, **kwargs):
        try:
            asyncio.get_running_loop()
            where.append("on the event loop")
        except RuntimeError:
            where.append("off the loop")
        return receive(*args, **kwargs)

    monkeypatch.setattr(world, "receive", spy)
    settings.WARMUP_RESCUE_PROBABILITY = 1.0
    settings.WARMUP_READ_PROBABILITY = 1.0
    settings.WARMUP_REPLY_PROBABILITY = 1.0
    load_reference_data()
    for slug, host in (("google", "gmail.test"), ("microsoft", "outlook.test")):
        address = f"seed1@{host}"
        seed_create(
            provider=MailboxProvider.objects.get(slug=slug),
            address=address,
            secret="unused-in-the-sandbox",
            **seed_endpoint_defaults(),
        )
    domain = verified_domain.name

    with time_machine.travel(START, tick=False) as clock:
        response = owner_api.put(f"/api/v1/domains/{verified_domain.pk}/warmup/", {"enabled": True})
        assert response.status_code == 200
        clock.move_to(START.replace(hour=22))
        sent = sending.messages_send_due()
        assert (sent.sent, sent.failed, sent.requeued) == (10, 0, 0)
        assert set(where) == {"off the loop"}
        # Signed with the domain's key (the world looked it up among the app's keys): a fresh
        # domain keeps its starting score instead of losing reputation for unsigned mail.
        start = model_params()["google"].start_score
        assert world.score(domain, "google") == start

        found = sweep.seeds_sweep()
        assert found.found == 10 and found.seed_errors == 0
        placements = list(WarmupMessage.objects.values_list("placement", flat=True))
        assert set(placements) <= {"inbox", "spam"} and "spam" in placements

        clock.move_to(START.replace(hour=22) + timedelta(hours=2))
        engaged = sweep.seeds_sweep()
        assert engaged.seed_errors == 0
        kinds = set(SeedAction.objects.values_list("kind", flat=True))
        assert {"found", "rescued", "read", "replied"} <= kinds
        # What the seeds did is what the world rewards.
        assert world.scan() > 0
        assert world.score(domain, "google") > start
        assert world.score(domain, "microsoft") > start
