"""What a sweep costs in IMAP round trips on the real Dovecot, and that the shortcuts stay
correct: a seed with nothing due is not connected to, an unchanged seed costs one round trip on
a kept connection (two on a new one), two messages are located and acted on in two, a kept
connection the server dropped is reconnected without an error, a renumbered folder
(UIDVALIDITY changed) is searched afresh."""

from email.message import EmailMessage

import pytest

from engagement.models import SeedAction, WarmupMessage
from engagement.seedclient import pool
from engagement.services import sweep
from engagement.tests.conftest import make_seed
from engagement.tests.test_sweep import sent_message

pytestmark = pytest.mark.dovecot


@pytest.fixture(autouse=True)
def _engage_at_once(settings, tmp_path):
    settings.WARMUP_ACTION_DELAY_MINUTES = [0, 0]
    settings.WARMUP_RESCUE_PROBABILITY = 1.0
    settings.WARMUP_READ_PROBABILITY = 1.0
    settings.WARMUP_FLAG_PROBABILITY = 1.0
    settings.WARMUP_REPLY_PROBABILITY = 0.0
    settings.WARMUP_IMAP_SLOT_DIR = tmp_path / "slots"


@pytest.fixture
def box(db, dovecot):
    return make_seed(dovecot, "google", "Junk")


def deliver(dovecot, box, message: WarmupMessage, folder: str = "") -> None:
    msg = EmailMessage()
    msg["From"] = message.sender
    msg["To"] = box.seed.address
    msg["Subject"] = "Notes from this morning"
    msg["Message-ID"] = message.message_id
    msg.set_content("The numbers look better than we expected.\n")
    dovecot.deliver(box.seed.address, msg.as_bytes(), folder=folder)


def test_an_unchanged_seed_costs_one_round_trip_on_a_kept_connection(dovecot, verified_domain, box):
    awaited = sent_message(verified_domain, box.seed, hours_ago=0.1)  # not delivered yet

    first = sweep.seeds_sweep()  # logs in, learns the spam folder, purges, records the state
    box.seed.refresh_from_db()
    assert set(box.seed.imap_state) >= {"INBOX", "Junk"}
    again = sweep.seeds_sweep()
    pool.close_all()
    fresh = sweep.seeds_sweep()

    assert (first.seed_errors, again.seed_errors, fresh.seed_errors) == (0, 0, 0)
    assert again.round_trips == 1  # SELECT + UID FETCH of what is new, for every folder
    assert fresh.round_trips == 2  # LOGIN (capabilities come with the greeting), then that
    awaited.refresh_from_db()
    assert awaited.stage == "locate"


def test_a_seed_with_nothing_due_is_not_connected_to(dovecot, verified_domain, box, settings):
    message = sent_message(verified_domain, box.seed)
    deliver(dovecot, box, message)
    settings.WARMUP_FILE_DELAY_MINUTES = [600, 600]
    sweep.seeds_sweep()  # found, engaged; filing is due in ten hours
    message.refresh_from_db()
    assert message.stage == "file"

    later = sweep.seeds_sweep()

    assert (later.seeds, later.round_trips, later.seed_errors) == (1, 0, 0)


def test_two_new_messages_are_located_and_acted_on_in_two_round_trips(
    dovecot, verified_domain, box
):
    sent_message(verified_domain, box.seed, hours_ago=0.1)
    sweep.seeds_sweep()  # the folder state and a kept connection, as every sweep leaves them
    WarmupMessage.objects.all().delete()
    in_inbox = sent_message(verified_domain, box.seed, hours_ago=0.1)
    in_spam = sent_message(verified_domain, box.seed, hours_ago=0.1)
    deliver(dovecot, box, in_inbox)
    deliver(dovecot, box, in_spam, folder="Junk")

    summary = sweep.seeds_sweep()

    assert (summary.found, summary.round_trips, summary.seed_errors) == (2, 2, 0)
    assert summary.round_trips_per_found == 1.0
    kinds = sorted(SeedAction.objects.filter(message=in_spam).values_list("kind", flat=True))
    assert kinds == ["flagged", "found", "read", "rescued"]
    flags = {f for folder_flags in box.flags(dovecot, "INBOX") for f in folder_flags}
    assert {b"\\Seen", b"\\Flagged"} <= flags
    assert box.folder_message_ids(dovecot, "INBOX") == {in_inbox.message_id, in_spam.message_id}
    in_spam.refresh_from_db()
    assert in_spam.folder == "INBOX" and in_spam.uid  # where it is now, from COPYUID


def test_a_kept_connection_the_server_closed_is_reconnected_without_an_error(
    dovecot, verified_domain, box
):
    sent_message(verified_domain, box.seed, hours_ago=0.1)
    sweep.seeds_sweep()
    (kept,) = [client for client, _when in pool._idle.values()]
    kept._imap._imap.shutdown()  # as a server closing an idle connection
    message = sent_message(verified_domain, box.seed, hours_ago=0.1)
    deliver(dovecot, box, message)

    summary = sweep.seeds_sweep()

    assert (summary.seed_errors, summary.found) == (0, 1), summary.errors
    box.seed.refresh_from_db()
    assert box.seed.last_error == ""


def test_a_renumbered_folder_is_searched_afresh(dovecot, verified_domain, box):
    sent_message(verified_domain, box.seed, hours_ago=0.1)
    sweep.seeds_sweep()
    box.seed.refresh_from_db()
    box.seed.imap_state = {folder: [1, 999] for folder in box.seed.imap_state}  # stale UIDs
    box.seed.save(update_fields=["imap_state"])
    message = sent_message(verified_domain, box.seed, hours_ago=0.1)
    deliver(dovecot, box, message, folder="Junk")

    summary = sweep.seeds_sweep()

    assert (summary.found, summary.seed_errors) == (1, 0)
    message.refresh_from_db()
    assert message.placement == "spam"
    box.seed.refresh_from_db()
    assert box.seed.imap_state["Junk"][0] != 1  # the real UIDVALIDITY again


def test_with_more_seeds_than_slots_kept_connections_still_serve_most_seeds(
    dovecot, verified_domain, settings
):
    settings.WARMUP_IMAP_MAX_CONNECTIONS_PER_HOST = 2
    boxes = [make_seed(dovecot, "google", "Junk") for _ in range(3)]
    for box in boxes:
        sent_message(verified_domain, box.seed, hours_ago=0.1)  # awaited, not delivered
    sweep.seeds_sweep()

    again = sweep.seeds_sweep()

    # Two slots for three seeds: the connection returned last makes way for the next seed, so
    # the others stay kept for their turn — 1 + 2 + 1 round trips (closing the oldest instead
    # would close each connection just before its seed's turn: 2 + 2 + 2).
    assert (again.round_trips, again.seed_errors) == (4, 0)
