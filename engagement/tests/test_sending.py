"""Sending when the relay misbehaves: a message is never sent twice, and mail the relay never
saw goes back in the queue instead of being lost."""

import socket
import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine

from engagement.models import WarmupMessage
from engagement.services import sending
from engagement.tests.conftest import make_seed

MORNING = datetime.combine(date.today() + timedelta(days=1), time(8), tzinfo=UTC)


class BreakingRelay:
    """A minimal SMTP server that accepts `accept` messages, then answers the next DATA with
    `last_words` (or nothing) and hangs up, as a relay that restarts mid-batch would."""

    def __init__(self, *, accept: int, last_words: bytes = b""):
        self.accept = accept
        self.last_words = last_words
        self.received = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        reader = conn.makefile("rb")
        conn.sendall(b"220 relay ready\r\n")
        for line in reader:
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                conn.sendall(b"250 relay\r\n")
            elif verb == b"DATA":
                if self.received == self.accept:
                    if self.last_words:
                        conn.sendall(self.last_words)
                    conn.close()
                    return
                conn.sendall(b"354 go ahead\r\n")
                for body_line in reader:
                    if body_line == b".\r\n":
                        break
                self.received += 1
                conn.sendall(b"250 queued\r\n")
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                conn.close()
                return
            else:  # MAIL, RCPT, RSET, NOOP
                conn.sendall(b"250 ok\r\n")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def seeds(db, dovecot):
    return [make_seed(dovecot, "google", "Junk")]


@pytest.mark.parametrize(
    "last_words", [b"", b"421 4.3.2 Service shutting down, closing channel\r\n"]
)
def test_it_requeues_what_the_relay_never_saw_when_the_connection_breaks(
    owner_api, verified_domain, seeds, settings, last_words
):
    relay = BreakingRelay(accept=2, last_words=last_words)
    settings.WARMUP_SMTP_URL = f"smtp://127.0.0.1:{relay.port}?tls=none"
    with time_machine.travel(MORNING, tick=False) as clock:
        owner_api.put(f"/api/v1/domains/{verified_domain.pk}/warmup/", {"enabled": True})
        clock.move_to(MORNING.replace(hour=23))  # the whole day's mail is due
        due = WarmupMessage.objects.filter(status="scheduled").count()
        summary = sending.messages_send_due()
    relay.close()

    assert due >= 4
    assert summary.sent == 2 == relay.received
    # The message in flight when the connection broke has an unknown fate: failed, not retried.
    assert summary.failed == 1
    failed = WarmupMessage.objects.get(status="failed")
    assert "421" in failed.error or "Sending failed" in failed.error
    # The rest never reached the relay: back in the queue, sent by the next run.
    assert summary.requeued == due - 3
    requeued = WarmupMessage.objects.filter(status="scheduled")
    assert requeued.count() == due - 3
    assert all("Relay connection lost" in m.error for m in requeued)
    assert all(m.claimed_at is None for m in requeued)
