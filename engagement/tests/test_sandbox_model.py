"""The sandbox reputation model: per-provider parameters from the data file, gradual movement
(one day's engagement is capped), idle decay, the sending IP's standing, and the
Authentication-Results the world records."""

from __future__ import annotations

import smtplib
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.checks import run_checks

from engagement.sandbox import model_params
from engagement.sandbox.model import SIGNALS, Reputation, load_params
from engagement.sandbox.world import SandboxWorld
from engagement.tests.test_sandbox import KEY, SELECTOR, signed_message

DAY = date(2026, 3, 2)
PARAMS = model_params()


def engage_all(reputation: Reputation, params, day: date, messages: int) -> None:
    """`messages` arrive on `day` and every one is rescued, opened, flagged and replied to."""
    for _ in range(messages):
        reputation.record_arrival(day, signed=True, params=params)
        for event in ("rescued", "opened", "flagged", "replied"):
            reputation.signal(event, arrived=day, today=day, params=params)


def test_it_reads_each_providers_parameters_from_the_data_file():
    google, microsoft, zoho = PARAMS["google"], PARAMS["microsoft"], PARAMS["zoho"]
    # Gmail and Microsoft are stricter (a higher midpoint) and slower (a smaller daily gain).
    assert google.inbox_midpoint > zoho.inbox_midpoint
    assert microsoft.inbox_midpoint > zoho.inbox_midpoint
    assert google.max_daily_gain < zoho.max_daily_gain
    assert microsoft.signals["rescued"] > google.signals["rescued"]
    # A provider without a table of its own, and `other`, get the defaults.
    assert PARAMS["other"].inbox_midpoint == 50.0
    assert set(google.signals) == set(SIGNALS)


def test_it_loads_an_operators_own_file_and_names_a_wrong_key(tmp_path, settings):
    own = tmp_path / "model.toml"
    default = Path(settings.WARMUP_SANDBOX_MODEL_FILE).read_text()
    own.write_text(default + "\n[providers.other_isp]\ninbox_midpoint = 70.0\n")
    params = load_params(own)
    assert params["other_isp"].inbox_midpoint == 70.0
    assert params["other_isp"].max_daily_gain == params["other"].max_daily_gain

    own.write_text(default.replace("idle_decay = 0.12", "idle_decy = 0.12"))
    with pytest.raises(ValueError, match=r"\[providers.google\] has unknown keys: idle_decy"):
        load_params(own)

    settings.WARMUP_SANDBOX = True
    settings.WARMUP_SANDBOX_MODEL_FILE = own
    errors = [e for e in run_checks() if e.id == "warmup.E030"]
    assert errors and "idle_decy" in errors[0].msg


def test_a_day_of_rescues_cannot_make_a_fresh_domain_trusted():
    google = PARAMS["google"]
    reputation = Reputation.fresh(google)

    engage_all(reputation, google, DAY, 10)  # everything a seed can do, to every message

    assert reputation.score(google) == pytest.approx(google.start_score + google.max_daily_gain)
    assert google.inbox_probability(reputation.score(google)) < 0.1
    # The next days keep climbing, one day's worth at a time.
    engage_all(reputation, google, DAY + timedelta(days=1), 10)
    assert reputation.score(google) == pytest.approx(google.start_score + 2 * google.max_daily_gain)


def test_a_stricter_provider_moves_more_slowly_than_a_lenient_one():
    scores = {}
    for slug in ("google", "zoho"):
        params = PARAMS[slug]
        reputation = Reputation.fresh(params)
        for offset in range(3):
            engage_all(reputation, params, DAY + timedelta(days=offset), 10)
        scores[slug] = params.inbox_probability(reputation.score(params))
    # Three days of full engagement: Gmail lets half the mail through, Zoho nearly all of it.
    assert scores["google"] <= 0.5 + 1e-9
    assert scores["zoho"] > 0.9


def test_low_engagement_moves_the_score_less_than_full_engagement():
    google = PARAMS["google"]
    full, weak = Reputation.fresh(google), Reputation.fresh(google)
    engage_all(full, google, DAY, 10)
    for _ in range(10):
        weak.record_arrival(DAY, signed=True, params=google)
    for _ in range(3):
        weak.signal("rescued", arrived=DAY, today=DAY, params=google)
    assert google.start_score < weak.score(google) < full.score(google)


def test_the_score_decays_over_idle_days():
    google = PARAMS["google"]
    reputation = Reputation(base=80.0)
    reputation.record_arrival(DAY, signed=True, params=google)
    reputation.settle(DAY + timedelta(days=1), google)
    assert reputation.score(google) == 80.0  # a day with mail is not idle

    reputation.settle(DAY + timedelta(days=3), google)  # the two days after DAY were idle
    expected = google.decay_floor + (80.0 - google.decay_floor) * (1 - google.idle_decay) ** 2
    assert reputation.score(google) == pytest.approx(expected)
    assert reputation.events["idle_day"] == 2
    # Settling again the same day decays nothing more.
    reputation.settle(DAY + timedelta(days=3), google)
    assert reputation.score(google) == pytest.approx(expected)


def test_mail_left_in_spam_lowers_the_score_but_by_a_bounded_amount():
    google = PARAMS["google"]
    reputation = Reputation(base=50.0)
    for _ in range(10):
        reputation.record_arrival(DAY, signed=True, params=google)
    for _ in range(10):
        reputation.signal("unrescued", arrived=DAY, today=DAY + timedelta(days=1), params=google)
    assert reputation.score(google) == pytest.approx(50.0 - google.max_daily_loss)


def test_the_sending_ips_reputation_counts():
    microsoft = PARAMS["microsoft"]
    poor = microsoft.inbox_probability(60, ip_reputation=0.1)
    unknown = microsoft.inbox_probability(60, ip_reputation=None)
    good = microsoft.inbox_probability(60, ip_reputation=0.9)
    assert poor < unknown < good
    assert unknown == microsoft.inbox_probability(60, ip_reputation=microsoft.ip_neutral)


@pytest.fixture
def world(tmp_path, dns_server):
    dns_server.add(
        f"{SELECTOR}._domainkey.fresh.example", "TXT", f"v=DKIM1; k=rsa; p={KEY.public_b64}"
    )
    world = SandboxWorld(directory=tmp_path / "world", scan_interval=0).start()
    yield world
    world.stop()


def test_the_world_uses_the_connecting_ip_for_placement(world):
    world.state["reputation"]["fresh.example|microsoft"] = Reputation(base=55).to_dict()
    before = world.inbox_probability("fresh.example", "microsoft", ip="127.0.0.1")
    world.ip_reputation_set("127.0.0.1", "microsoft", 0.05)
    after = world.inbox_probability("fresh.example", "microsoft", ip="127.0.0.1")
    assert after < before
    with pytest.raises(ValueError, match="between 0 and 1"):
        world.ip_reputation_set("127.0.0.1", "microsoft", 1.5)


def test_the_world_records_spf_dkim_and_dmarc_as_a_provider_would(world, dns_server):
    dns_server.add("fresh.example", "TXT", "v=spf1 ip4:127.0.0.1 -all")
    dns_server.add("_dmarc.fresh.example", "TXT", "v=DMARC1; p=quarantine")
    seed = "seed8@gmail.test"
    with smtplib.SMTP(world.host, world.port, local_hostname="mta.fresh.example") as smtp:
        smtp.sendmail(
            "bounces@fresh.example", [seed], signed_message("<auth-1@fresh.example>", seed)
        )
        smtp.sendmail(
            "bounces@other.example", [seed], signed_message("<auth-2@fresh.example>", seed)
        )

    stored = {}
    for path in world.mailbox(seed).rglob("*"):
        if path.is_file() and path.parent.name in ("new", "cur"):
            stored[path.read_bytes().split(b"Message-ID: ")[1].split(b"\n")[0].strip()] = path
    first = stored[b"<auth-1@fresh.example>"].read_text()
    header = first.split("Received:")[0]
    assert header.startswith("Authentication-Results: mx.sandbox.test;")
    assert "spf=pass smtp.mailfrom=fresh.example" in header
    assert f"dkim=pass header.d=fresh.example header.s={SELECTOR}" in header
    assert "dmarc=pass header.from=fresh.example" in header
    # The envelope sender's domain publishes no SPF; DKIM still aligns, so DMARC passes.
    second = stored[b"<auth-2@fresh.example>"].read_text().split("Received:")[0]
    assert "spf=none smtp.mailfrom=other.example" in second
    assert "dmarc=pass" in second
