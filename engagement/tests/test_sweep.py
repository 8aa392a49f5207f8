"""The sweep's failure handling on the real Dovecot: a refused login takes the seed out of
rotation with the server's message, an unknown spam folder is its own state, and neither stops
the sweep of the other seeds. Placement `missing` after the window."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from engagement.models import SeedAction, SeedMailbox, WarmupMessage
from engagement.services import sweep
from engagement.services.seeds import seed_create
from engagement.tests.conftest import SEED_PASSWORD, make_seed
from providers.models import MailboxProvider


def sent_message(domain, seed, *, hours_ago: float = 1) -> WarmupMessage:
    return WarmupMessage.objects.create(
        domain=domain,
        provider=seed.provider,
        seed=seed,
        message_id=f"<{uuid.uuid4().hex}@{domain.name}>",
        sender=f"hello@{domain.name}",
        scheduled_at=timezone.now() - timedelta(hours=hours_ago),
        sent_at=timezone.now() - timedelta(hours=hours_ago),
        status=WarmupMessage.Status.SENT,
    )


@pytest.fixture
def good_seed(db, dovecot):
    return make_seed(dovecot, "google", "Junk")


def test_it_takes_a_seed_whose_login_fails_out_of_rotation_and_goes_on(
    dovecot, verified_domain, good_seed
):
    address = f"seed-{uuid.uuid4().hex[:8]}@microsoft.test"
    dovecot.add_user(address, "the-real-password")
    bad = seed_create(
        provider=MailboxProvider.objects.get(slug="microsoft"),
        address=address,
        secret="an-old-password",
        imap_host=dovecot.host,
        imap_port=dovecot.port,
        imap_tls="none",
    )
    sent_message(verified_domain, bad)
    sent_message(verified_domain, good_seed.seed)

    summary = sweep.seeds_sweep()

    assert summary.seeds == 2 and summary.seed_errors == 1
    bad.refresh_from_db()
    assert bad.state == SeedMailbox.State.LOGIN_FAILED
    assert "authentication failed" in bad.state_reason.lower()  # Dovecot's own words
    good_seed.seed.refresh_from_db()
    assert good_seed.seed.state == SeedMailbox.State.ACTIVE
    assert good_seed.seed.last_checked_at is not None
    # Out of rotation: the next sweep leaves it alone.
    assert sweep.seeds_sweep().seeds == 1


def test_it_marks_a_seed_whose_spam_folder_cannot_be_found(dovecot, verified_domain):
    address = f"seed-{uuid.uuid4().hex[:8]}@yahoo.test"
    dovecot.add_user(address, SEED_PASSWORD, folders=("Sent", "Archive"))
    seed = seed_create(
        provider=MailboxProvider.objects.get(slug="yahoo"),
        address=address,
        secret=SEED_PASSWORD,
        imap_host=dovecot.host,
        imap_port=dovecot.port,
        imap_tls="none",
    )
    sent_message(verified_domain, seed)

    summary = sweep.seeds_sweep()

    seed.refresh_from_db()
    assert summary.seed_errors == 1
    assert seed.state == SeedMailbox.State.SPAM_FOLDER_UNKNOWN
    assert seed.state_reason


def test_it_records_an_unreachable_seed_and_goes_on(dovecot, verified_domain, good_seed):
    broken = seed_create(
        provider=MailboxProvider.objects.get(slug="apple"),
        address=f"seed-{uuid.uuid4().hex[:8]}@apple.test",
        secret="x",
        imap_host="127.0.0.1",
        imap_port=1,  # nothing listens there
        imap_tls="none",
    )
    sent_message(verified_domain, broken)
    message = sent_message(verified_domain, good_seed.seed, hours_ago=7)

    summary = sweep.seeds_sweep()

    broken.refresh_from_db()
    assert broken.state == SeedMailbox.State.ACTIVE  # may be temporary: stays in rotation
    assert broken.last_error and broken.last_error_at
    assert summary.seed_errors == 1
    message.refresh_from_db()
    assert message.placement == "missing"  # the good seed was swept: 7 h and not there
    assert message.stage == "done"
    assert SeedAction.objects.filter(message=message, kind="missing").exists()
