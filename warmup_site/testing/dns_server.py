"""A real DNS server on 127.0.0.1 for tests and benchmarks, serving zone data the caller writes.

It answers over UDP and TCP on one ephemeral port, like a recursive resolver would: CNAME chains
are followed in the answer, names that hold nothing (and have nothing below them) are NXDOMAIN,
names that exist without the asked type get an empty NOERROR answer. Any name can instead be made
to misbehave: SERVFAIL, REFUSED, silence (the client times out) or a truncated UDP answer (the
client must retry over TCP, where the full answer is served).

    server = DnsTestServer().start()
    server.add("example.com", "MX", (10, "aspmx.l.google.com"))
    server.add("example.com", "TXT", ["v=spf1 ", "include:_spf.google.com ~all"])  # 2 strings
    server.add("www.example.com", "CNAME", "example.com")
    server.fail("broken.example", "SERVFAIL")   # or "REFUSED", "TIMEOUT", "TRUNCATE"
    server.fail("slow.example", "TIMEOUT", rtype="TXT")  # only TXT queries time out
    server.add("null.example", "TXT", [])      # a TXT record of no character-strings (malformed)
    server.add("ptr.example", "TXT", b"v=spf1 \x80a -all")  # raw bytes, not UTF-8
    settings.WARMUP_DNS_NAMESERVERS = [server.address]

`latency` (seconds) delays every answer, to measure how lookups overlap.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
import time
from collections import defaultdict

from dnslib import (
    AAAA,
    CNAME,
    MX,
    NS,
    PTR,
    QTYPE,
    RCODE,
    RR,
    SOA,
    TXT,
    A,
    DNSRecord,
)

FAILURES = ("SERVFAIL", "REFUSED", "TIMEOUT", "TRUNCATE")
# How long a silent name keeps a TCP connection open before closing it without an answer.
SILENCE_SECONDS = 30.0


def _key(name: str) -> str:
    return name.strip().rstrip(".").lower()


def _query_key(qname) -> str:
    # Built from the raw labels, not from str(qname): dnslib escapes bytes such as spaces
    # (`\\032`), and SPF macros can put those in a name (RFC 7208 §7.3, `%_`).
    return ".".join(label.decode("utf-8", "surrogateescape") for label in qname.label).lower()


def _rdata(rtype: str, value):
    if rtype == "A":
        return A(value)
    if rtype == "AAAA":
        return AAAA(value)
    if rtype == "MX":
        preference, host = value
        return MX(host, preference)
    if rtype == "TXT":
        # A list is served as several character-strings in one record, as DNS hosts split long
        # values (DKIM keys) into 255-byte pieces; a str longer than 255 bytes is split too.
        # bytes are served as they are (not UTF-8: RFC 7208 §3 cases). An empty list is a
        # record of no strings at all, which RFC 1035 forbids but which servers have sent.
        strings = [value] if isinstance(value, str | bytes) else list(value)
        pieces = []
        for text in strings:
            raw = text if isinstance(text, bytes) else text.encode("utf-8")
            pieces.extend(raw[i : i + 255] for i in range(0, max(len(raw), 1), 255))
        return TXT(pieces)
    if rtype == "CNAME":
        return CNAME(value)
    if rtype == "PTR":
        return PTR(value)
    if rtype == "NS":
        return NS(value)
    raise ValueError(f"record type {rtype} is not supported by the test server")


class DnsTestServer:
    def __init__(self, host: str = "127.0.0.1", latency: float = 0.0):
        self.host = host
        self.latency = latency
        self.port = 0
        self._records: dict[tuple[str, str], list[tuple[object, int]]] = defaultdict(list)
        # (name, type or None for every type) -> how the query fails
        self._failures: dict[tuple[str, str | None], str] = {}
        self._lock = threading.Lock()
        self.queries: list[tuple[str, str, str]] = []  # (name, type, "udp" | "tcp")
        # The most queries ever being answered at the same moment: proof that lookups overlap.
        self.max_in_flight = 0
        self._in_flight = 0
        self._servers: list[socketserver.BaseServer] = []

    # --- zone data ----------------------------------------------------------------------------

    def add(self, name: str, rtype: str, *values, ttl: int = 300) -> DnsTestServer:
        rtype = rtype.upper()
        _rdata(rtype, values[0])  # fail early on values the server could not serve
        with self._lock:
            self._records[(_key(name), rtype)].extend((value, ttl) for value in values)
        return self

    def remove(self, name: str, rtype: str | None = None) -> None:
        with self._lock:
            for key in list(self._records):
                if key[0] == _key(name) and (rtype is None or key[1] == rtype.upper()):
                    del self._records[key]

    def fail(self, name: str, how: str, *, rtype: str | None = None) -> DnsTestServer:
        """Make queries for `name` fail: SERVFAIL, REFUSED, TIMEOUT or TRUNCATE.

        Every query for the name, or with `rtype` only queries of that type (a server that
        times out on TXT while it answers A, as some do); a failure for the type wins.
        """
        if how not in FAILURES:
            raise ValueError(f"how must be one of {FAILURES}")
        with self._lock:
            self._failures[(_key(name), rtype.upper() if rtype else None)] = how
        return self

    def _failure(self, name: str, qtype: str) -> str | None:
        return self._failures.get((name, qtype)) or self._failures.get((name, None))

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._failures.clear()
            self.queries.clear()
            self.max_in_flight = 0

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    # --- answering ------------------------------------------------------------------------------

    def _exists(self, name: str) -> bool:
        suffix = "." + name
        return any(n == name or n.endswith(suffix) for n, _t in self._records)

    def answer(self, data: bytes, protocol: str) -> bytes | None:
        """The reply to a query packet, or None to stay silent."""
        request = DNSRecord.parse(data)
        qname = request.q.qname
        qtype = QTYPE[request.q.qtype]
        name = _query_key(qname)
        with self._lock:
            self.queries.append((name, qtype, protocol))
            failure = self._failure(name, qtype)
            reply = request.reply()
            if failure == "TIMEOUT":
                return None
            if failure in ("SERVFAIL", "REFUSED"):
                reply.header.rcode = getattr(RCODE, failure)
                return reply.pack()
            if failure == "TRUNCATE" and protocol == "udp":
                reply.header.tc = 1
                return reply.pack()
            self._fill(reply, qname, name, qtype)
        if self.latency:
            with self._lock:
                self._in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self._in_flight)
            time.sleep(self.latency)
            with self._lock:
                self._in_flight -= 1
        return reply.pack()

    def _fill(self, reply: DNSRecord, qname, name: str, qtype: str) -> None:
        owner = qname
        for _hop in range(16):  # follow CNAME chains the way a recursive resolver does
            records = self._records.get((name, qtype))
            if records:
                for value, ttl in records:
                    reply.add_answer(
                        RR(owner, getattr(QTYPE, qtype), rdata=_rdata(qtype, value), ttl=ttl)
                    )
                return
            cname = self._records.get((name, "CNAME"))
            if cname and qtype != "CNAME":
                target, ttl = cname[0]
                reply.add_answer(RR(owner, QTYPE.CNAME, rdata=CNAME(target), ttl=ttl))
                owner, name = target, _key(target)
                if self._failure(name, qtype) in ("SERVFAIL", "REFUSED"):
                    reply.header.rcode = getattr(RCODE, self._failure(name, qtype))
                    return
                continue
            break
        if not self._exists(name):
            reply.header.rcode = RCODE.NXDOMAIN
        # Negative answers carry the zone's SOA, so resolvers know how long absence lasts.
        reply.add_auth(
            RR(
                ".",
                QTYPE.SOA,
                rdata=SOA("ns.test.", "hostmaster.test.", (1, 3600, 600, 86400, 60)),
                ttl=60,
            )
        )

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> DnsTestServer:
        outer = self

        class UDPHandler(socketserver.BaseRequestHandler):
            def handle(self):
                data, sock = self.request
                reply = outer.answer(data, "udp")
                if reply is not None:
                    sock.sendto(reply, self.client_address)

        class TCPHandler(socketserver.BaseRequestHandler):
            def handle(self):
                header = self._read(2)
                if header is None:
                    return
                (length,) = struct.unpack("!H", header)
                data = self._read(length)
                if data is None:
                    return
                reply = outer.answer(data, "tcp")
                if reply is None:
                    time.sleep(SILENCE_SECONDS)
                    return
                self.request.sendall(struct.pack("!H", len(reply)) + reply)

            def _read(self, size):
                chunks, remaining = [], size
                while remaining:
                    chunk = self.request.recv(remaining)
                    if not chunk:
                        return None
                    chunks.append(chunk)
                    remaining -= len(chunk)
                return b"".join(chunks)

        class UDPServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
            daemon_threads = True

        class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
            daemon_threads = True
            allow_reuse_address = True
            request_queue_size = 128

        # Bind UDP on a free port, then TCP on the same port (retry if TCP's is taken).
        for _attempt in range(20):
            udp = UDPServer((self.host, 0), UDPHandler)
            port = udp.server_address[1]
            try:
                tcp = TCPServer((self.host, port), TCPHandler)
            except OSError:
                udp.server_close()
                continue
            break
        else:
            raise RuntimeError("could not find a port free for both UDP and TCP")
        udp.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self.port = port
        self._servers = [udp, tcp]
        for server in self._servers:
            threading.Thread(target=server.serve_forever, daemon=True, name="dns-test").start()
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers = []

    def __enter__(self) -> DnsTestServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
