"""The sandbox world end to end: DKIM-signed mail over SMTP, placement, the store client, scans.

The DKIM key is published in the real DNS test server (conftest `dns_server`), so the world's
verification goes through the same resolver as production.
"""

from __future__ import annotations

import pwd
import smtplib
import uuid
from datetime import date, timedelta
from email.message import EmailMessage

import dkim
import pytest
from imapclient import IMAPClient

from domains.dkim import generate_key_pair
from engagement.sandbox import model_params, seed_endpoint_defaults
from engagement.sandbox.model import Reputation, decide_inbox
from engagement.sandbox.world import SandboxWorld
from engagement.seedclient import SeedEndpoint, open_seed_client, send_reply
from engagement.seedclient.store import SandboxStoreClient

SELECTOR = "warmup-202506-ab12"
KEY = generate_key_pair()
PARAMS = model_params()
START_SCORE = PARAMS["google"].start_score


@pytest.fixture
def world(tmp_path, dns_server):
    dns_server.add(
        f"{SELECTOR}._domainkey.fresh.example", "TXT", f"v=DKIM1; k=rsa; p={KEY.public_b64}"
    )
    world = SandboxWorld(directory=tmp_path / "world", scan_interval=0).start()
    yield world
    world.stop()


def signed_message(
    message_id: str, to: str, *, domain: str = "fresh.example", sign: bool = True
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Ann <ann@{domain}>"
    msg["To"] = to
    msg["Subject"] = "Plans for the week"
    msg["Message-ID"] = message_id
    msg["Date"] = "Mon, 02 Jun 2025 10:00:00 +0000"
    msg.set_content("Shall we meet on Wednesday?\n")
    raw = msg.as_bytes()
    if not sign:
        return raw
    signature = dkim.sign(
        raw,
        SELECTOR.encode(),
        domain.encode(),
        KEY.private_pem.encode(),
        include_headers=[b"from", b"to", b"subject", b"message-id", b"date"],
    )
    return signature + raw


def send(
    world: SandboxWorld, raw: bytes, to: str, mail_from: str = "bounces@fresh.example"
) -> None:
    with smtplib.SMTP(world.host, world.port) as smtp:
        smtp.sendmail(mail_from, [to], raw)


def store_endpoint(world: SandboxWorld, address: str) -> SeedEndpoint:
    fields = seed_endpoint_defaults()
    fields["smtp_port"] = world.port
    return SeedEndpoint(
        address=address, provider="google", username=address, auth="password", secret="x", **fields
    )


def new_id() -> str:
    return f"<{uuid.uuid4().hex}@fresh.example>"


def test_a_fresh_domain_lands_in_spam_and_engagement_raises_its_score(world):
    seed = "seed1@gmail.test"
    mid = "<first-message@fresh.example>"  # fixed: the placement draw is reproducible

    send(world, signed_message(mid, seed), seed)

    assert world.score("fresh.example", "google") == START_SCORE
    with SandboxStoreClient.open(store_endpoint(world, seed), root=world.mail_root) as client:
        found = client.locate([mid])
        assert found[mid].folder == "[Gmail]/Spam" and found[mid].placement == "spam"
        rescued = client.rescue([found[mid]])
        client.mark_read([rescued[mid]])
        client.flag_important([rescued[mid]])
        after = client.locate([mid])[mid]
    assert (after.folder, after.seen, after.flagged) == ("INBOX", True, True)

    assert world.scan() == 3  # rescued, opened, flagged
    # One message's engagement is a full-rate day, weighted by one message of Gmail's volume_ref.
    google = PARAMS["google"]
    moved = google.max_daily_gain * 1 / google.volume_ref
    assert world.score("fresh.example", "google") == pytest.approx(START_SCORE + moved)
    assert world.scan() == 0  # each signal counts once


def test_unsigned_mail_goes_to_spam_and_costs_reputation(world):
    seed = "seed2@outlook.test"
    unsigned = signed_message("<unsigned-message@fresh.example>", seed, sign=False)  # fixed draw
    placed = world.receive("x@fresh.example", [seed], unsigned)
    assert placed == {seed: "Junk Email"}
    assert world.score("fresh.example", "microsoft") == START_SCORE - 5

    tampered = signed_message(new_id(), seed).replace(b"Wednesday", b"Thursday")
    world.receive("x@fresh.example", [seed], tampered)
    assert world.score("fresh.example", "microsoft") == START_SCORE - 10


def test_signed_mail_from_a_good_domain_reaches_the_inbox(world):
    seed = "seed3@yahoo.test"
    world.state["reputation"]["fresh.example|yahoo"] = Reputation(base=90).to_dict()
    mid = (
        "<good-domain-message@fresh.example>"  # fixed: at score 90 a draw is spam 0.7% of the time
    )

    assert world.receive("x@fresh.example", [seed], signed_message(mid, seed)) == {seed: "INBOX"}
    assert world.score("fresh.example", "yahoo") == 90  # signed, no spike: unchanged


def test_a_volume_spike_lowers_the_score():
    params = PARAMS["google"]
    reputation = Reputation(base=60)
    day = date(2025, 6, 2)
    for offset, count in ((3, 8), (2, 9), (1, 10)):
        for _ in range(count):
            reputation.record_arrival(day - timedelta(days=offset), signed=True, params=params)
    steady = reputation.base
    assert steady == 60  # no engagement and no spike: nothing moved

    for _ in range(20):  # up to twice the busiest recent day: no penalty
        reputation.record_arrival(day, signed=True, params=params)
    assert reputation.base == steady
    for _ in range(5):  # five more is a spike
        reputation.record_arrival(day, signed=True, params=params)
    assert reputation.base == steady - 5 * params.spike_penalty
    assert reputation.spikes == {day.isoformat(): 5}


def test_placement_follows_the_score_and_is_reproducible():
    ids = [f"<m{i}@fresh.example>" for i in range(400)]
    google = PARAMS["google"]

    def inbox(score: float) -> int:
        chance = google.inbox_probability(score)
        return sum(decide_inbox(chance, message_id=m, recipient="s@gmail.test") for m in ids)

    low, high = inbox(20), inbox(85)
    assert low < 25 and high > 375
    assert inbox(20) == low


def test_mail_left_in_spam_for_a_day_costs_reputation(tmp_path, dns_server):
    dns_server.add(
        f"{SELECTOR}._domainkey.fresh.example", "TXT", f"v=DKIM1; k=rsa; p={KEY.public_b64}"
    )
    now = [1_750_000_000.0]
    world = SandboxWorld(directory=tmp_path / "w", scan_interval=0, clock=lambda: now[0])
    seed = "seed4@gmail.test"
    world.receive("x@fresh.example", [seed], signed_message("<first-message@fresh.example>", seed))
    assert world.scan() == 0
    now[0] += 25 * 3600
    assert world.scan() == 1
    # Left in spam: the day's rate is -1 (unrescued -2 per message, engagement_ref 2),
    # weighted by one message against volume_ref.
    google = PARAMS["google"]
    lost = google.max_daily_loss / google.volume_ref
    assert world.score("fresh.example", "google") == pytest.approx(START_SCORE - lost)


def test_a_reply_through_the_world_counts_for_the_original(world):
    seed = "seed5@gmail.test"
    mid = "<first-message@fresh.example>"
    send(world, signed_message(mid, seed), seed)
    endpoint = store_endpoint(world, seed)
    reply = EmailMessage()
    reply["From"] = seed
    reply["To"] = "ann@fresh.example"
    reply["Subject"] = "Re: Plans for the week"
    reply["In-Reply-To"] = mid
    reply["References"] = mid
    reply["Message-ID"] = "<reply-1@gmail.test>"
    reply.set_content("Wednesday works.\n")

    send_reply(endpoint, reply.as_bytes(), to="ann@fresh.example")

    google = PARAMS["google"]
    assert world.score("fresh.example", "google") == pytest.approx(
        START_SCORE + google.max_daily_gain / google.volume_ref
    )
    inbox = world.mailbox("ann@fresh.example")
    assert any(b"Wednesday works." in p.read_bytes() for p in (inbox / "new").iterdir())


def test_state_survives_a_restart(world, tmp_path):
    seed = "seed6@gmail.test"
    world.receive("x@fresh.example", [seed], signed_message(new_id(), seed, sign=False))
    again = SandboxWorld(directory=world.directory, scan_interval=0)
    assert again.score("fresh.example", "google") == START_SCORE - 5


def test_open_seed_client_uses_the_store_for_sandbox_seeds(world, settings):
    settings.WARMUP_SANDBOX_DIR = world.directory
    seed = "seed7@yahoo.test"
    mid = new_id()
    world.receive("x@fresh.example", [seed], signed_message(mid, seed, sign=False))

    with open_seed_client(store_endpoint(world, seed)) as client:
        assert client.spam_folder() == "Bulk"
        found = client.locate([mid, new_id()])
        client.file_away([found[mid]])
        assert client.locate([mid])[mid].folder == "Warmup"
        assert client.round_trips == 0
        assert b"Shall we meet" in client.fetch(client.locate([mid])[mid])


def test_the_world_delivers_into_dovecot_and_the_imap_client_finds_it(
    dovecot, dns_server, tmp_path
):
    dns_server.add(
        f"{SELECTOR}._domainkey.fresh.example", "TXT", f"v=DKIM1; k=rsa; p={KEY.public_b64}"
    )
    user = pwd.getpwnam("dovecot")
    # Fixed address and Message-ID: the placement draw depends on both (this pair draws spam).
    seed = "seed-world-dovecot@gmail.test"
    dovecot.add_user(seed, "pw", folders=("[Gmail]/Spam",))
    world = SandboxWorld(
        directory=tmp_path / "w",
        mail_root=dovecot.dir / "mail",
        owner=(user.pw_uid, user.pw_gid),
        scan_interval=0,
    ).start()
    try:
        mid = "<first-message@fresh.example>"
        send(world, signed_message(mid, seed), seed)
        endpoint = SeedEndpoint(
            address=seed,
            provider="google",
            username=seed,
            auth="password",
            secret="pw",
            imap_host=dovecot.host,
            imap_port=dovecot.port,
            imap_tls="none",
        )
        with open_seed_client(endpoint) as client:
            found = client.locate([mid])
            assert found[mid].folder == "[Gmail]/Spam"
            client.mark_read(list(client.rescue([found[mid]]).values()))
        assert world.scan() == 2  # rescued and opened, read back from Dovecot's maildir
    finally:
        world.stop()
    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False) as imap:
        imap.login(seed, "pw")
        imap.select_folder("INBOX", readonly=True)
        assert len(imap.search(["HEADER", "Message-ID", mid])) == 1
