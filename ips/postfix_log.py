"""Postfix's delivery log → delivery events in the shape of POST /api/v1/events/.

A pure parser (no database, no I/O): feed it log lines in order, it returns an event for every
`status=sent|deferred|bounced` line of an smtp delivery agent that sent from one of our IPs.

    parser = PostfixLogParser(transports={"postfix-ip5": "203.0.113.5"})
    for line in open("/var/log/mail.log"):
        event = parser.feed(line)     # dict ready for ips.inputs.events_parse, or None

What it needs from the log (see docs/integrations.md for the master.cf that produces it):

- **the sending IP**: Postfix does not log the bind address, so each per-IP transport logs under
  its own syslog name (`-o syslog_name=postfix-ip5` in master.cf); a line's IP is the one its
  syslog name maps to (`transports`), or an IP written in the name itself (`postfix/203.0.113.5`);
- **the sender**: the qmgr line `QUEUEID: from=<sender>, size=…` comes before the queue file's
  delivery lines; the parser remembers it until `QUEUEID: removed`;
- **the time**: RFC 3339 timestamps (rsyslog's high-precision format, journald exports) or the
  traditional `Nov 23 10:15:00`, which has no year or zone: the year is the one that puts the line
  in the past, the zone is `tz` (Postfix logs local time).

Each event's id is derived from the line itself (`pf-<queue id>-<hash of the line>`): reading a
file twice, or overlapping rotated files, stores each result once.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

TRADITIONAL = re.compile(
    r"^(?P<month>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) (?P<time>\d\d:\d\d:\d\d) (?P<host>\S+) "
    r"(?P<program>\S+?)\[\d+\]: (?P<message>.*)$"
)
RFC3339 = re.compile(
    r"^(?P<stamp>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)) (?P<host>\S+) "
    r"(?P<program>\S+?)\[\d+\]: (?P<message>.*)$"
)
QUEUE_ID = r"(?P<queue_id>[0-9A-Za-z]{5,})"
FROM = re.compile(QUEUE_ID + r": from=<(?P<sender>[^>]*)>, size=")
REMOVED = re.compile(QUEUE_ID + r": removed$")
DELIVERY = re.compile(
    QUEUE_ID + r": to=<(?P<recipient>[^>]*)>, (?:orig_to=<[^>]*>, )?relay=(?P<relay>\S+), "
    r"(?:conn_use=\d+, )?delay=[\d.]+, delays=[\d./]+, dsn=(?P<dsn>\d\.\d{1,3}\.\d{1,3}), "
    r"status=(?P<status>sent|deferred|bounced) \((?P<text>.*)\)$"
)
# "host mx.example.com[192.0.2.1] said: 550 5.1.1 … (in reply to RCPT TO command)"
REMOTE = re.compile(
    r"^host \S+ (?:said|refused to talk to me): (?P<reply>.*?)(?: \(in reply to [^)]*\))?$"
)
CODE = re.compile(r"^(?P<code>[245]\d\d)[ -]")
MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
TYPES = {"sent": "delivered", "deferred": "deferred", "bounced": "bounced"}
# Delivery agents that talk to remote servers; local, virtual, pipe… deliveries are not ours.
AGENTS = frozenset({"smtp", "lmtp"})
MAX_RESPONSE = 10_000


def _ip(text: str) -> str | None:
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        return None


@dataclass
class PostfixLogParser:
    transports: dict[str, str] = field(default_factory=dict)  # syslog name → sending IP
    tz: tzinfo = UTC
    now: datetime | None = None  # the reading's "now" (tests pin it); default: the real one
    senders: dict[str, str] = field(default_factory=dict)  # queue id → envelope sender
    stats: Counter = field(default_factory=Counter)

    def feed(self, line: str) -> dict | None:
        line = line.rstrip("\r\n")
        self.stats["lines"] += 1
        match = RFC3339.match(line) or TRADITIONAL.match(line)
        if not match:
            return None
        syslog_name, _, agent = match["program"].rpartition("/")
        message = match["message"]
        if agent == "qmgr":
            self._qmgr(message)
            return None
        if agent not in AGENTS:
            return None
        delivery = DELIVERY.match(message)
        if not delivery:
            return None
        self.stats["results"] += 1
        ip = self._sending_ip(syslog_name)
        if ip is None:
            self.stats["not ours"] += 1  # a transport that is not one of our IPs
            return None
        queue_id = delivery["queue_id"]
        sender = self.senders.get(queue_id)
        if sender is None:
            self.stats["sender unknown"] += 1  # its qmgr line was in an earlier file
            return None
        recipient_domain = delivery["recipient"].rpartition("@")[2]
        # A DSN (null sender) is the account's mail back to its own sender: its domain is the
        # recipient's, as routing treats it.
        sender_domain = (sender.rpartition("@")[2] or recipient_domain).lower()
        code, response, status = self._reply(delivery["text"], delivery["dsn"])
        digest = hashlib.sha256(line.encode("utf-8", "replace")).hexdigest()[:20]
        self.stats[TYPES[delivery["status"]]] += 1
        return {
            "id": f"pf-{queue_id}-{digest}",
            "type": TYPES[delivery["status"]],
            "ip": ip,
            "sender_domain": sender_domain,
            "recipient": delivery["recipient"],
            "smtp_code": code,
            "enhanced_status": status,
            "response": response[:MAX_RESPONSE],
            "timestamp": self._timestamp(match).isoformat(),
        }

    def _qmgr(self, message: str) -> None:
        sender = FROM.match(message)
        if sender:
            self.senders[sender["queue_id"]] = sender["sender"]
            return
        removed = REMOVED.match(message)
        if removed:
            self.senders.pop(removed["queue_id"], None)

    def _sending_ip(self, syslog_name: str) -> str | None:
        if syslog_name in self.transports:
            return self.transports[syslog_name]
        for part in syslog_name.split("/"):
            ip = _ip(part)
            if ip:
                return ip
        return None

    @staticmethod
    def _reply(text: str, dsn: str) -> tuple[int | None, str, str]:
        """(SMTP code, the remote's reply, enhanced status). Without a remote reply (a timeout, a
        refused connection) the code is None and the text is Postfix's own."""
        remote = REMOTE.match(text)
        reply = remote["reply"] if remote else text
        code = CODE.match(reply)
        if not code:
            return None, text, ""
        return int(code["code"]), reply, dsn

    def _timestamp(self, match: re.Match) -> datetime:
        if "stamp" in match.groupdict() and match["stamp"]:
            return datetime.fromisoformat(match["stamp"].replace("Z", "+00:00"))
        now = self.now or datetime.now(UTC)
        hour, minute, second = (int(x) for x in match["time"].split(":"))
        month, day = MONTHS[match["month"]], int(match["day"])
        local_now = now.astimezone(self.tz)
        moment = datetime(local_now.year, month, day, hour, minute, second, tzinfo=self.tz)
        if moment > now + timedelta(days=1):  # December's lines read in January
            moment = moment.replace(year=moment.year - 1)
        return moment
