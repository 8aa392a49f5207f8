"""Fixtures of the engagement tests: a verified domain, seed mailboxes on the session's Dovecot
with differently named spam folders, a relay that delivers into their spam folders, and an SMTP
sink standing in for the seeds' own SMTP (replies)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import pytest
from django.utils import timezone
from imapclient import IMAPClient

from domains import dkim
from domains.models import Domain
from domains.tests.factories import DomainFactory, pooled_key_pair
from engagement.models import SeedMailbox
from engagement.services.seeds import seed_create
from providers.models import MailboxProvider
from warmup_site.testing.smtp import SmtpSink

SEED_PASSWORD = "s33d-pa55word!"


@pytest.fixture(autouse=True)
def _pooled_dkim_keys(monkeypatch):
    monkeypatch.setattr(dkim, "generate_key_pair", pooled_key_pair)


@pytest.fixture
def verified_domain(account) -> Domain:
    return DomainFactory(
        account=account,
        name=f"news-{uuid.uuid4().hex[:6]}.example",
        status=Domain.Status.VERIFIED,
        verified_at=timezone.now(),
    )


@dataclass
class SeedBox:
    seed: SeedMailbox
    spam_folder: str
    password: str

    def imap(self, dovecot) -> IMAPClient:
        client = IMAPClient(dovecot.host, port=dovecot.port, ssl=False)
        client.login(self.seed.address, self.password)
        return client

    def folder_message_ids(self, dovecot, folder: str) -> set[str]:
        with self.imap(dovecot) as client:
            if not client.folder_exists(folder):
                return set()
            client.select_folder(folder, readonly=True)
            uids = client.search(["ALL"])
            fetched = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids else {}
        ids = set()
        for data in fetched.values():
            header = data[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode()
            ids.add(header.split(":", 1)[1].strip())
        return ids

    def flags(self, dovecot, folder: str) -> list[tuple]:
        with self.imap(dovecot) as client:
            client.select_folder(folder, readonly=True)
            uids = client.search(["ALL"])
            return [data[b"FLAGS"] for data in client.fetch(uids, ["FLAGS"]).values()]


# Three providers, three ways of naming the spam folder: Gmail's label, Exchange's name without
# the RFC 6154 flag, and a \Junk-flagged folder as Dovecot (and Yahoo's IMAP) announce it.
SEED_LAYOUT = (("google", "[Gmail]/Spam"), ("microsoft", "Junk Email"), ("yahoo", "Junk"))


def make_seed(dovecot, provider_slug: str, spam_folder: str, *, reply_sink=None) -> SeedBox:
    address = f"seed-{uuid.uuid4().hex[:8]}@{provider_slug}.test"
    dovecot.add_user(address, SEED_PASSWORD, folders=(spam_folder, "Sent"))
    seed = seed_create(
        provider=MailboxProvider.objects.get(slug=provider_slug),
        address=address,
        secret=SEED_PASSWORD,
        imap_host=dovecot.host,
        imap_port=dovecot.port,
        imap_tls="none",
        smtp_host=reply_sink.host if reply_sink else "",
        smtp_port=reply_sink.port if reply_sink else 0,
        smtp_tls="none",
    )
    return SeedBox(seed=seed, spam_folder=spam_folder, password=SEED_PASSWORD)


@pytest.fixture
def reply_sink(smtp_sink):
    """The seeds' own SMTP server: replies arrive here."""
    return smtp_sink


@pytest.fixture
def seed_boxes(db, dovecot, reply_sink) -> list[SeedBox]:
    return [make_seed(dovecot, slug, folder, reply_sink=reply_sink) for slug, folder in SEED_LAYOUT]


@pytest.fixture
def junk_relay(dovecot, seed_boxes, settings):
    """The outbound relay: keeps every message and delivers it into the recipient seed's spam
    folder over IMAP (APPEND), as a provider that distrusts a new domain would."""
    boxes = {box.seed.address: box for box in seed_boxes}

    def deliver(envelope) -> str | None:
        for rcpt in envelope.rcpt_tos:
            box = boxes.get(rcpt)
            if box is None:
                return "550 5.1.1 no such seed"
            with box.imap(dovecot) as client:
                client.append(box.spam_folder, envelope.content, msg_time=datetime.now())
        return None

    relay = SmtpSink(on_message=deliver).start()  # keeps what it accepts in relay.messages
    settings.WARMUP_SMTP_URL = f"smtp://{relay.host}:{relay.port}?tls=none"
    yield relay
    relay.stop()
