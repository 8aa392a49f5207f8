"""The sandbox world's SMTP server: verifies DKIM, places mail by reputation, delivers it.

    world = SandboxWorld(directory=Path(".sandbox"), port=2525).start()
    ... send mail to seed1@gmail.test through 127.0.0.1:2525 ...
    world.scan()            # read engagement back from the maildirs (also runs periodically)
    world.score("example.com", "google")
    world.stop()

State (reputations and the messages being watched) is JSON in <directory>/world.json, written
after every change, so a restarted `make run` keeps each demo domain's standing.
Mail *from* a provider address (a seed replying) is not scored: it is delivered to its
recipient's inbox and, when its In-Reply-To names a message the world delivered to that seed,
counted as a reply to it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parseaddr
from pathlib import Path

import dkim
from aiosmtpd.controller import Controller
from django.db import connection

from domains.models import DkimKey
from engagement.sandbox import maildirs
from engagement.sandbox.model import UNRESCUED_AFTER_SECONDS, Reputation, decide_inbox
from engagement.sandbox.providers import is_provider_address, provider_for
from warmup_site import dns

logger = logging.getLogger(__name__)
STATE_FILE = "world.json"
WATCH_DAYS = 14  # engagement after two weeks no longer moves a reputation


def dns_txt_via_app(name: bytes, timeout: int = 5) -> bytes | None:  # noqa: ARG001 - dkimpy passes it
    """DKIM key lookup for dkimpy: the app's own DKIM keys first, then DNS.

    Sandbox domains are not in any public DNS; the world stands in for the internet and knows
    the keys the app publishes (DkimKey rows). Anything else goes through warmup_site.dns.
    """
    host = name.decode().rstrip(".").lower()
    selector, _, domain = host.partition("._domainkey.")
    if domain:
        try:
            key = (
                DkimKey.objects.filter(domain__name=domain, selector=selector)
                .values_list("public_key", flat=True)
                .first()
            )
        except Exception:  # the database is unavailable: fall back to DNS, but say why
            logger.warning("sandbox world: cannot read DKIM keys from the database", exc_info=True)
            key = None
        finally:
            # The world's SMTP thread lives as long as the process: it must not sit on an open
            # connection (nor one the database dropped) between messages.
            if not connection.in_atomic_block:
                connection.close()
        if key:
            return f"v=DKIM1; k=rsa; p={key}".encode()
    result = dns.lookup(host, "TXT")
    return result.records[0].encode() if result.ok and result.records else None


class _Handler:
    def __init__(self, world: SandboxWorld):
        self.world = world

    async def handle_DATA(self, _server, _session, envelope):
        # Off the event loop: receiving reads the app's DKIM keys through the ORM, which refuses
        # to run inside an asyncio loop, and writes maildirs.
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(
                None,
                self.world.receive,
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.content,
            )
        except Exception:
            logger.exception("sandbox world could not deliver a message")
            return "451 4.3.0 sandbox world error, try again"
        return "250 OK delivered by the sandbox world"


class SandboxWorld:
    def __init__(
        self,
        *,
        directory: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        mail_root: Path | None = None,
        owner: tuple[int, int] | None = None,
        dnsfunc: Callable[..., bytes | None] = dns_txt_via_app,
        clock: Callable[[], float] = time.time,
        scan_interval: float = 30.0,
    ):
        self.directory = Path(directory)
        self.mail_root = Path(mail_root) if mail_root else self.directory / "mail"
        self.host = host
        self.port = port
        self.owner = owner  # (uid, gid) the maildirs must belong to when Dovecot serves them
        self.dnsfunc = dnsfunc
        self.clock = clock
        self.scan_interval = scan_interval
        self._lock = threading.RLock()
        self._controller: Controller | None = None
        self._stop = threading.Event()
        self._scanner: threading.Thread | None = None
        self.directory.mkdir(parents=True, exist_ok=True)
        self.mail_root.mkdir(parents=True, exist_ok=True)
        self.state = self._load()

    # --- state ----------------------------------------------------------------------------------

    def _load(self) -> dict:
        path = self.directory / STATE_FILE
        if path.exists():
            try:
                data = json.loads(path.read_text())
                data.setdefault("reputation", {})
                data.setdefault("messages", {})
                return data
            except ValueError:
                logger.warning("sandbox world state %s is unreadable; starting afresh", path)
        return {"reputation": {}, "messages": {}}

    def _save(self) -> None:
        path = self.directory / STATE_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=1, sort_keys=True))
        os.replace(tmp, path)

    def reputation(self, domain: str, provider: str) -> Reputation:
        data = self.state["reputation"].get(f"{domain}|{provider}")
        return Reputation.from_dict(data) if data else Reputation()

    def score(self, domain: str, provider: str) -> float:
        with self._lock:
            return self.reputation(domain, provider).score

    def _store_reputation(self, domain: str, provider: str, reputation: Reputation) -> None:
        self.state["reputation"][f"{domain}|{provider}"] = reputation.to_dict()

    # --- arrival --------------------------------------------------------------------------------

    def mailbox(self, address: str) -> Path:
        return self.mail_root / address.lower()

    def ensure_mailbox(self, address: str) -> Path:
        """A provider account: INBOX plus the provider's spam folder."""
        mailbox = self.mailbox(address)
        maildirs.ensure_folder(mailbox, maildirs.INBOX, owner=self.owner)
        maildirs.ensure_folder(mailbox, provider_for(address).spam_folder, owner=self.owner)
        return mailbox

    def dkim_passes(self, content: bytes, from_domain: str) -> bool:
        """A valid DKIM signature whose d= is the From domain (or a parent of it)."""
        try:
            verifier = dkim.DKIM(content)
            if not verifier.verify(dnsfunc=self.dnsfunc):
                return False
            signed = (verifier.domain or b"").decode().lower()
        except Exception:
            return False
        return from_domain == signed or from_domain.endswith("." + signed)

    def receive(self, mail_from: str, recipients: list[str], content: bytes) -> dict[str, str]:
        """Deliver one message to each recipient; recipient → folder it was placed in."""
        headers = maildirs._header_parser.parsebytes(content)
        from_address = parseaddr(headers.get("From", "") or mail_from)[1]
        message_id = " ".join(str(headers.get("Message-ID", "")).split())
        now = self.clock()
        placed: dict[str, str] = {}
        with self._lock:
            if is_provider_address(from_address):
                self._receive_reply(from_address, headers, recipients, content, now, placed)
            else:
                self._receive_scored(from_address, message_id, recipients, content, now, placed)
            self._save()
        return placed

    def _receive_reply(self, sender, headers, recipients, content, now, placed) -> None:
        for recipient in recipients:
            mailbox = self.ensure_mailbox(recipient)
            maildirs.deliver(mailbox, maildirs.INBOX, content, owner=self.owner, received_at=now)
            placed[recipient] = maildirs.INBOX
        # In-Reply-To names the message answered; References the thread (we count the direct one).
        for original in re.findall(r"<[^<>\s]+>", str(headers.get("In-Reply-To", ""))):
            watched = self.state["messages"].get(f"{original}|{sender.lower()}")
            if watched is not None:
                self._signal(watched, "replied")

    def _receive_scored(self, from_address, message_id, recipients, content, now, placed) -> None:
        domain = from_address.rsplit("@", 1)[-1].lower()
        signed = self.dkim_passes(content, domain)
        today = datetime.fromtimestamp(now, UTC).date()
        for recipient in recipients:
            provider = provider_for(recipient)
            reputation = self.reputation(domain, provider.slug)
            inbox = signed and decide_inbox(
                reputation.score, message_id=message_id, recipient=recipient.lower()
            )
            reputation.record_arrival(today, signed=signed)
            self._store_reputation(domain, provider.slug, reputation)
            folder = maildirs.INBOX if inbox else provider.spam_folder
            mailbox = self.ensure_mailbox(recipient)
            stored = maildirs.deliver(mailbox, folder, content, owner=self.owner, received_at=now)
            placed[recipient] = folder
            if message_id:
                self.state["messages"][f"{message_id}|{recipient.lower()}"] = {
                    "domain": domain,
                    "provider": provider.slug,
                    "recipient": recipient.lower(),
                    "spam_folder": provider.spam_folder,
                    "delivered_to": folder,
                    "key": stored.key,
                    "at": now,
                    "signals": [],
                }
            logger.info(
                "sandbox: %s → %s (%s): %s, score %.1f",
                domain,
                recipient,
                provider.slug,
                "inbox" if inbox else "spam",
                reputation.score,
            )

    def _signal(self, watched: dict, event: str) -> bool:
        if event in watched["signals"]:
            return False
        watched["signals"].append(event)
        reputation = self.reputation(watched["domain"], watched["provider"])
        reputation.apply(event)
        self._store_reputation(watched["domain"], watched["provider"], reputation)
        return True

    # --- engagement -----------------------------------------------------------------------------

    def scan(self) -> int:
        """Read the seeds' actions back from the maildirs; the number of new signals."""
        with self._lock:
            now = self.clock()
            by_recipient: dict[str, list[tuple[str, dict]]] = {}
            for key, watched in list(self.state["messages"].items()):
                if now - watched["at"] > WATCH_DAYS * 86400:
                    del self.state["messages"][key]
                    continue
                by_recipient.setdefault(watched["recipient"], []).append((key, watched))
            count = 0
            for recipient, entries in by_recipient.items():
                index = self._index(self.mailbox(recipient))
                for _key, watched in entries:
                    count += self._observe(watched, index.get(watched["key"]), now)
            if count:
                self._save()
            return count

    @staticmethod
    def _index(mailbox: Path) -> dict[str, maildirs.StoredMessage]:
        index = {}
        for folder in maildirs.list_folders(mailbox):
            for stored in maildirs.messages(mailbox, folder):
                index[stored.key] = stored
        return index

    def _observe(self, watched: dict, stored: maildirs.StoredMessage | None, now: float) -> int:
        if stored is None:
            return 0  # deleted (purged after filing away): nothing more to learn
        events = []
        in_spam = stored.folder == watched["spam_folder"]
        if watched["delivered_to"] == watched["spam_folder"]:
            if not in_spam and stored.folder != "Trash":
                events.append("rescued")
            elif in_spam and now - watched["at"] >= UNRESCUED_AFTER_SECONDS:
                events.append("unrescued")
        for flag, event in (("S", "opened"), ("F", "flagged"), ("R", "replied")):
            if flag in stored.flags:
                events.append(event)
        return sum(self._signal(watched, event) for event in events)

    # --- server ---------------------------------------------------------------------------------

    def start(self) -> SandboxWorld:
        if self.port == 0:
            with socket.socket() as sock:
                sock.bind((self.host, 0))
                self.port = sock.getsockname()[1]
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)
        self._controller.start()
        if self.scan_interval > 0:
            self._stop.clear()
            self._scanner = threading.Thread(target=self._scan_forever, daemon=True)
            self._scanner.start()
        return self

    def _scan_forever(self) -> None:
        while not self._stop.wait(self.scan_interval):
            try:
                self.scan()
            except Exception:
                logger.exception("sandbox world scan failed")

    def stop(self) -> None:
        self._stop.set()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._scanner is not None:
            self._scanner.join(5)
            self._scanner = None

    def __enter__(self) -> SandboxWorld:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
