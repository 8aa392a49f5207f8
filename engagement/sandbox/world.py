"""The sandbox world's SMTP server: verifies DKIM, places mail by reputation, delivers it.

    world = SandboxWorld(directory=Path(".sandbox"), port=2525).start()
    ... send mail to seed1@gmail.test through 127.0.0.1:2525 ...
    world.scan()            # read engagement back from the maildirs (also runs periodically)
    world.score("example.com", "google")
    world.stop()

State (reputations, the sending IPs' standing and the messages being watched) is JSON in
<directory>/world.json, written after every change, so a restarted `make run` keeps each demo
domain's standing. Mail *from* a provider address (a seed replying) is not scored: it is
delivered to its recipient's inbox and, when its In-Reply-To names a message the world delivered
to that seed, counted as a reply to it.

Every delivered message gets the headers a provider's MX adds: `Received` and
`Authentication-Results` with the SPF (the connecting IP against the envelope sender's domain,
evaluated by domains.spf through the app's resolver), DKIM and DMARC results, so a placement
test can show what the seeds' servers recorded.
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
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr
from pathlib import Path

import dkim
from aiosmtpd.controller import Controller
from django.db import connection

from domains import dmarc, resolution, spf
from domains.models import DkimKey
from engagement.sandbox import maildirs, model_params
from engagement.sandbox.model import (
    UNRESCUED_AFTER_SECONDS,
    ProviderParams,
    Reputation,
    decide_inbox,
    params_for,
)
from engagement.sandbox.providers import is_provider_address, provider_for
from warmup_site import dns

logger = logging.getLogger(__name__)
STATE_FILE = "world.json"
WATCH_DAYS = 14  # engagement after two weeks no longer moves a reputation
AUTH_SERV_ID = "mx.sandbox.test"
# SPF and DMARC answers are kept this long per (domain, IP): the DNS is asked once per burst.
AUTH_CACHE_SECONDS = 600
NO_POLICY = ""  # the From domain publishes no DMARC record: dmarc=none


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


@dataclass(frozen=True)
class Authentication:
    spf: str
    spf_domain: str
    dkim: str
    dkim_domain: str
    dkim_selector: str
    dmarc: str
    from_domain: str

    def header(self) -> str:
        """An RFC 8601 Authentication-Results header (CRLF-terminated)."""
        dkim_part = f"dkim={self.dkim}"
        if self.dkim_domain:
            dkim_part += f" header.d={self.dkim_domain}"
            if self.dkim_selector:
                dkim_part += f" header.s={self.dkim_selector}"
        return (
            f"Authentication-Results: {AUTH_SERV_ID};\r\n"
            f"\tspf={self.spf} smtp.mailfrom={self.spf_domain or 'unknown'};\r\n"
            f"\t{dkim_part};\r\n"
            f"\tdmarc={self.dmarc} header.from={self.from_domain}\r\n"
        )


def _aligned(domain: str, from_domain: str) -> bool:
    """Relaxed DMARC alignment: the same organisational domain."""
    if not domain:
        return False
    return dmarc.organisational_domain(domain) == dmarc.organisational_domain(from_domain)


class _Handler:
    def __init__(self, world: SandboxWorld):
        self.world = world

    async def handle_DATA(self, _server, session, envelope):
        # Off the event loop: receiving reads the app's DKIM keys through the ORM, which refuses
        # to run inside an asyncio loop, and writes maildirs.
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(
                None,
                lambda: self.world.receive(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    envelope.content,
                    peer_ip=(session.peer or ("",))[0] or None,
                    helo=session.host_name or "",
                ),
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
        params: dict[str, ProviderParams] | None = None,
    ):
        self.directory = Path(directory)
        self.mail_root = Path(mail_root) if mail_root else self.directory / "mail"
        self.host = host
        self.port = port
        self.owner = owner  # (uid, gid) the maildirs must belong to when Dovecot serves them
        self.dnsfunc = dnsfunc
        self.clock = clock
        self.scan_interval = scan_interval
        self.params = params if params is not None else model_params()
        self._auth_cache: dict[tuple[str, str, str], tuple[float, str]] = {}
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
                data.setdefault("ip_reputation", {})
                return data
            except ValueError:
                logger.warning("sandbox world state %s is unreadable; starting afresh", path)
        return {"reputation": {}, "messages": {}, "ip_reputation": {}}

    def _save(self) -> None:
        path = self.directory / STATE_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=1, sort_keys=True))
        os.replace(tmp, path)

    def provider_params(self, provider: str) -> ProviderParams:
        return params_for(self.params, provider)

    def reputation(self, domain: str, provider: str) -> Reputation:
        data = self.state["reputation"].get(f"{domain}|{provider}")
        params = self.provider_params(provider)
        return Reputation.from_dict(data, params) if data else Reputation.fresh(params)

    def _today(self):
        return datetime.fromtimestamp(self.clock(), UTC).date()

    def score(self, domain: str, provider: str) -> float:
        """The pair's score now (idle days decayed, open days' engagement counted)."""
        with self._lock:
            params = self.provider_params(provider)
            reputation = self.reputation(domain, provider)
            reputation.settle(self._today(), params)
            return reputation.score(params)

    def inbox_probability(self, domain: str, provider: str, *, ip: str | None = None) -> float:
        params = self.provider_params(provider)
        return params.inbox_probability(
            self.score(domain, provider), self.ip_reputation(ip, provider)
        )

    # --- the sending IPs -------------------------------------------------------------------------

    def ip_reputation_set(self, ip: str, provider: str, value: float) -> None:
        """The standing (0–1, the provider model's R) of a sending IP at a provider: whatever
        simulates the IP's own traffic (bench/domain_warmup.py drives ips.provider_model) tells
        the world here. An IP the world was not told about counts as `ip_neutral`."""
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"an IP reputation is between 0 and 1, not {value}")
        with self._lock:
            self.state["ip_reputation"][f"{ip}|{provider}"] = value
            self._save()

    def ip_reputation(self, ip: str | None, provider: str) -> float | None:
        if not ip:
            return None
        return self.state["ip_reputation"].get(f"{ip}|{provider}")

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

    def receive(
        self,
        mail_from: str,
        recipients: list[str],
        content: bytes,
        *,
        peer_ip: str | None = None,
        helo: str = "",
    ) -> dict[str, str]:
        """Deliver one message to each recipient; recipient → folder it was placed in.
        `peer_ip` is the connecting client's address (the sending IP), `helo` its HELO name."""
        headers = maildirs._header_parser.parsebytes(content)
        from_address = parseaddr(headers.get("From", "") or mail_from)[1]
        message_id = " ".join(str(headers.get("Message-ID", "")).split())
        now = self.clock()
        placed: dict[str, str] = {}
        if is_provider_address(from_address):
            with self._lock:
                self._receive_reply(from_address, headers, recipients, content, now, placed)
                self._save()
            return placed
        # Authentication first, outside the lock: SPF and DMARC may ask the DNS.
        auth = self.authenticate(
            content, mail_from=mail_from, from_address=from_address, peer_ip=peer_ip, helo=helo
        )
        stamped = self._stamp(content, auth, peer_ip=peer_ip, helo=helo, now=now)
        with self._lock:
            self._receive_scored(
                from_address,
                message_id,
                recipients,
                stamped,
                now,
                placed,
                signed=auth.dkim == "pass",
                peer_ip=peer_ip,
            )
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

    def _receive_scored(
        self, from_address, message_id, recipients, content, now, placed, *, signed, peer_ip
    ) -> None:
        domain = from_address.rsplit("@", 1)[-1].lower()
        today = datetime.fromtimestamp(now, UTC).date()
        for recipient in recipients:
            provider = provider_for(recipient)
            params = self.provider_params(provider.slug)
            reputation = self.reputation(domain, provider.slug)
            reputation.settle(today, params)
            probability = params.inbox_probability(
                reputation.score(params), self.ip_reputation(peer_ip, provider.slug)
            )
            inbox = signed and decide_inbox(
                probability, message_id=message_id, recipient=recipient.lower()
            )
            reputation.record_arrival(today, signed=signed, params=params)
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
                reputation.score(params),
            )

    def _signal(self, watched: dict, event: str) -> bool:
        if event in watched["signals"]:
            return False
        watched["signals"].append(event)
        params = self.provider_params(watched["provider"])
        reputation = self.reputation(watched["domain"], watched["provider"])
        reputation.signal(
            event,
            arrived=datetime.fromtimestamp(watched["at"], UTC).date(),
            today=self._today(),
            params=params,
        )
        self._store_reputation(watched["domain"], watched["provider"], reputation)
        return True

    # --- authentication -------------------------------------------------------------------------

    def authenticate(
        self, content: bytes, *, mail_from: str, from_address: str, peer_ip: str | None, helo: str
    ) -> Authentication:
        """SPF, DKIM and DMARC as a provider's MX would record them."""
        from_domain = from_address.rsplit("@", 1)[-1].lower()
        dkim_result, dkim_domain, selector = self._dkim(content, from_domain)
        envelope_domain = (mail_from.rsplit("@", 1)[-1] if "@" in mail_from else helo).lower()
        spf_result = self._cached(
            ("spf", envelope_domain, peer_ip or ""),
            lambda: self._spf(envelope_domain, peer_ip, helo),
        )
        policy = self._cached(("dmarc", from_domain, ""), lambda: self._dmarc_policy(from_domain))
        aligned = [
            spf_result == "pass" and _aligned(envelope_domain, from_domain),
            dkim_result == "pass" and _aligned(dkim_domain, from_domain),
        ]
        if policy == NO_POLICY:
            dmarc_result = "none"
        elif policy == "temperror":
            dmarc_result = "temperror"
        else:
            dmarc_result = "pass" if any(aligned) else "fail"
        return Authentication(
            spf=spf_result,
            spf_domain=envelope_domain,
            dkim=dkim_result,
            dkim_domain=dkim_domain,
            dkim_selector=selector,
            dmarc=dmarc_result,
            from_domain=from_domain,
        )

    def _cached(self, key: tuple[str, str, str], compute: Callable[[], str]) -> str:
        now = self.clock()
        hit = self._auth_cache.get(key)
        if hit and now - hit[0] < AUTH_CACHE_SECONDS:
            return hit[1]
        value = compute()
        self._auth_cache[key] = (now, value)
        return value

    def _dkim(self, content: bytes, from_domain: str) -> tuple[str, str, str]:
        """(result, d=, s=): pass needs a valid signature whose d= is the From domain or a
        parent of it (the relaxed alignment the model rewards)."""
        try:
            verifier = dkim.DKIM(content)
            ok = verifier.verify(dnsfunc=self.dnsfunc)
            signed = (verifier.domain or b"").decode().lower()
            selector = (verifier.selector or b"").decode()
        except Exception:
            return ("fail" if b"dkim-signature" in content.lower() else "none"), "", ""
        if not signed:
            return "none", "", ""
        if not ok or not (from_domain == signed or from_domain.endswith("." + signed)):
            return "fail", signed, selector
        return "pass", signed, selector

    @staticmethod
    def _spf(domain: str, peer_ip: str | None, helo: str) -> str:
        if not peer_ip or not domain:
            return "none"
        try:
            outcome = resolution.run_one(spf.evaluate(domain, ip=peer_ip, helo=helo or None))
        except Exception:  # the sandbox must deliver even when the check cannot run
            logger.warning("sandbox: SPF check of %s failed", domain, exc_info=True)
            return "temperror"
        return outcome.result

    @staticmethod
    def _dmarc_policy(domain: str) -> str:
        """The DMARC policy (p=) of the From domain or its organisational domain; NO_POLICY when
        there is no (valid) record, "temperror" when the DNS did not answer."""
        for host in dict.fromkeys([domain, dmarc.organisational_domain(domain)]):
            result = dns.lookup(dmarc.record_host(host), "TXT")
            if result.tempfail:
                return "temperror"
            for text in result.records if result.ok else []:
                if dmarc.is_dmarc_record(text):
                    try:
                        return dmarc.parse(text)["p"].lower()
                    except ValueError:
                        return NO_POLICY
        return NO_POLICY

    def _stamp(self, content: bytes, auth: Authentication, *, peer_ip, helo, now) -> bytes:
        when = datetime.fromtimestamp(now, UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        received = (
            f"Received: from {helo or 'unknown'} ([{peer_ip or 'unknown'}])\r\n"
            f"\tby {AUTH_SERV_ID} (sandbox world); {when}\r\n"
        )
        return (auth.header() + received).encode() + content

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
