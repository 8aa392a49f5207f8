"""The one DNS resolver every lookup in Warmup goes through.

It talks to the nameservers in WARMUP_DNS_NAMESERVERS (`host[:port]`, IPv6 as `[addr]:port`), or
to the system's resolver when that is empty, with a lifetime of WARMUP_DNS_TIMEOUT seconds per
lookup; dnspython retries over TCP by itself when a UDP answer comes back truncated.

Every lookup ends in exactly one of three outcomes, because callers must treat them differently:

* ``ANSWER``   — records were found;
* ``ABSENT``   — the name definitely has no such records (NXDOMAIN, or the name exists with no
                 data of that type): a fact that may turn a domain unverified;
* ``TEMPFAIL`` — we do not know (timeout, SERVFAIL, no reachable nameserver): never a fact,
                 record it and retry later.

A name that cannot be put in a query at all (an empty label, a label longer than 63 octets, more
than 253 characters — SPF macros can build such names) is ``ABSENT`` with an error starting with
"invalid name": no record can exist there, which is a fact, not a failure to find out.

Record values come back normalised: host names lower case without the trailing dot, TXT records
with their character-strings joined (a DKIM key is longer than one 255-byte string), MX as
``(preference, host)``. A record that is malformed on the wire (a TXT record of no strings at
all) is skipped and the rest of the answer kept: dnspython would otherwise drop the whole UDP
answer and wait until the lifetime runs out, turning one bad record into a timeout.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

import dns.exception
import dns.inet
import dns.message
import dns.name
import dns.nameserver
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.reversename
from django.conf import settings


class Outcome(StrEnum):
    ANSWER = "answer"
    ABSENT = "absent"
    TEMPFAIL = "tempfail"


@dataclass(frozen=True)
class Result:
    name: str
    rdtype: str
    outcome: Outcome
    records: tuple = ()
    ttl: int | None = None
    # For ABSENT: "NXDOMAIN" or "no <type> record"; for TEMPFAIL: what went wrong, in words.
    error: str = ""
    # The name the records were found at, after following CNAMEs.
    canonical_name: str = ""
    cname_chain: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.ANSWER

    @property
    def absent(self) -> bool:
        return self.outcome == Outcome.ABSENT

    @property
    def tempfail(self) -> bool:
        return self.outcome == Outcome.TEMPFAIL

    @property
    def nxdomain(self) -> bool:
        return self.outcome == Outcome.ABSENT and self.error == "NXDOMAIN"

    def describe(self) -> str:
        """A short human description of what DNS said, for `found`/`detail` texts."""
        if self.ok:
            return ", ".join(_format_record(self.rdtype, r) for r in self.records)
        if self.nxdomain:
            return f"{self.name} does not exist (NXDOMAIN)"
        if self.absent and self.error.startswith(INVALID_NAME):
            return f"{self.name} cannot exist in DNS ({self.error})"
        if self.absent:
            return f"no {self.rdtype} record at {self.name}"
        return f"DNS lookup of {self.name} failed: {self.error}"


def _format_record(rdtype: str, record) -> str:
    if rdtype == "MX":
        return f"{record[0]} {record[1]}"
    return str(record)


INVALID_NAME = "invalid name"


# --- configuration --------------------------------------------------------------------------------


def parse_nameserver(value: str) -> tuple[str, int]:
    """`1.2.3.4`, `1.2.3.4:5353`, `::1`, `[::1]:5353` → (address, port). ValueError if malformed."""
    text = value.strip()
    port = 53
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep:
            raise ValueError(f"{value!r}: missing ']' after the IPv6 address")
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"{value!r}: expected ':port' after ']'")
            port = _parse_port(value, rest[1:])
    elif text.count(":") == 1:
        host, port_text = text.split(":")
        port = _parse_port(value, port_text)
    else:
        host = text
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{value!r}: {host!r} is not an IP address") from None
    return host, port


def _parse_port(value: str, text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"{value!r}: the port must be a number from 1 to 65535")
    return int(text)


def parse_nameservers(values: Iterable[str]) -> list[tuple[str, int]]:
    return [parse_nameserver(v) for v in values]


class _Nameserver(dns.nameserver.Do53Nameserver):
    """A nameserver whose UDP answers are parsed leniently (see the module doc).

    dnspython's own UDP path ignores an answer it cannot parse and waits for another until the
    lifetime ends. Here the answer is parsed with `continue_on_error`: a malformed record is
    left out and the rest used. Answers that are not ours (wrong id or question) and packets
    that cannot be read at all are still ignored, as dnspython does. TCP is dnspython's.
    """

    def query(
        self,
        request: dns.message.QueryMessage,
        timeout: float,
        source: str | None,
        source_port: int,
        max_size: bool,
        one_rr_per_rrset: bool = False,
        ignore_trailing: bool = False,
    ) -> dns.message.Message:
        if max_size or source:
            return super().query(
                request, timeout, source, source_port, max_size, one_rr_per_rrset, ignore_trailing
            )
        expiration = time.monotonic() + timeout
        family = dns.inet.af_for_address(self.address)
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((self.address, self.port))
            sock.send(request.to_wire())
            while True:
                remaining = expiration - time.monotonic()
                if remaining <= 0:
                    raise dns.exception.Timeout(timeout=timeout)
                sock.settimeout(remaining)
                try:
                    wire = sock.recv(65535)
                except TimeoutError:
                    raise dns.exception.Timeout(timeout=timeout) from None
                try:
                    response = dns.message.from_wire(
                        wire,
                        request_mac=request.mac,
                        one_rr_per_rrset=one_rr_per_rrset,
                        ignore_trailing=ignore_trailing,
                        raise_on_truncation=True,
                        continue_on_error=True,
                    )
                except dns.message.Truncated:
                    raise  # the resolver asks again over TCP
                except dns.exception.DNSException:
                    continue
                if request.is_response(response):
                    return response


@lru_cache(maxsize=8)
def _build_resolver(nameservers: tuple[str, ...], timeout: float) -> dns.resolver.Resolver | None:
    if nameservers:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [
            _Nameserver(host, port) for host, port in parse_nameservers(nameservers)
        ]
    else:
        try:
            resolver = dns.resolver.Resolver(configure=True)
        except dns.resolver.NoResolverConfiguration:
            return None
        resolver.nameservers = [
            _Nameserver(ns, resolver.port) if isinstance(ns, str) and _is_address(ns) else ns
            for ns in resolver.nameservers
        ]
    resolver.lifetime = timeout
    # One try per nameserver may take the whole lifetime; dnspython moves on when it expires.
    resolver.timeout = timeout
    resolver.cache = None  # answers are cached in the database where they matter, with their TTL
    return resolver


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def get_resolver() -> dns.resolver.Resolver | None:
    return _build_resolver(
        tuple(settings.WARMUP_DNS_NAMESERVERS), float(settings.WARMUP_DNS_TIMEOUT)
    )


# --- lookups --------------------------------------------------------------------------------------


def _normalise_name(name: str) -> str:
    return name.strip().rstrip(".").lower()


def _values(rdtype: str, rrset) -> tuple:
    if rdtype == "TXT":
        return tuple(b"".join(r.strings).decode("utf-8", "replace") for r in rrset)
    if rdtype == "MX":
        return tuple(sorted((r.preference, _normalise_name(r.exchange.to_text())) for r in rrset))
    if rdtype in ("CNAME", "PTR", "NS"):
        return tuple(_normalise_name(r.target.to_text()) for r in rrset)
    if rdtype in ("A", "AAAA"):
        return tuple(r.address for r in rrset)
    return tuple(r.to_text() for r in rrset)


def lookup(name: str, rdtype: str) -> Result:
    """Resolve one name; never raises for DNS trouble (see the module doc for the outcomes)."""
    rdtype = rdtype.upper()
    qname = _normalise_name(name)
    try:
        name_in_query = dns.name.from_text(qname)
    except dns.exception.DNSException as exc:  # EmptyLabel, LabelTooLong, NameTooLong, IDNA
        return Result(qname, rdtype, Outcome.ABSENT, error=f"{INVALID_NAME}: {_name_problem(exc)}")
    resolver = get_resolver()
    if resolver is None:
        return Result(qname, rdtype, Outcome.TEMPFAIL, error="no nameserver is configured")
    try:
        answer = resolver.resolve(name_in_query, rdtype, search=False)
    except dns.resolver.NXDOMAIN:
        return Result(qname, rdtype, Outcome.ABSENT, error="NXDOMAIN")
    except dns.resolver.NoAnswer:
        return Result(qname, rdtype, Outcome.ABSENT, error=f"no {rdtype} record")
    except dns.resolver.LifetimeTimeout:
        return Result(
            qname, rdtype, Outcome.TEMPFAIL, error=f"no answer within {resolver.lifetime:g} s"
        )
    except dns.resolver.NoNameservers as exc:
        return Result(qname, rdtype, Outcome.TEMPFAIL, error=_no_nameservers_reason(exc))
    except (dns.exception.DNSException, OSError) as exc:
        return Result(qname, rdtype, Outcome.TEMPFAIL, error=str(exc) or type(exc).__name__)
    chain = tuple(_normalise_name(rrset.name.to_text()) for rrset in answer.chaining_result.cnames)
    return Result(
        qname,
        rdtype,
        Outcome.ANSWER,
        records=_values(rdtype, answer.rrset),
        ttl=int(answer.chaining_result.minimum_ttl),
        canonical_name=_normalise_name(answer.canonical_name.to_text()),
        cname_chain=chain,
    )


def _name_problem(exc: dns.exception.DNSException) -> str:
    if isinstance(exc, dns.name.EmptyLabel):
        return "it has an empty label (two dots in a row)"
    if isinstance(exc, dns.name.LabelTooLong):
        return "a label is longer than 63 octets"
    if isinstance(exc, dns.name.NameTooLong):
        return "it is longer than 255 octets"
    return str(exc) or type(exc).__name__


def _no_nameservers_reason(exc: dns.resolver.NoNameservers) -> str:
    errors = exc.kwargs.get("errors") or []
    for _server, _tcp, _port, _err, response in errors:
        if response is not None:
            return f"the nameserver answered {dns.rcode.to_text(response.rcode())}"
    return "no nameserver could answer"


def lookup_many(queries: Iterable[tuple[str, str]]) -> list[Result]:
    """Resolve many (name, type) pairs concurrently; results in the order of `queries`.

    Lookups wait on the network, not the CPU, so a thread pool of WARMUP_DNS_CONCURRENCY
    workers turns N × latency into roughly N / concurrency × latency.
    """
    queries = list(queries)
    if len(queries) <= 1:
        return [lookup(name, rdtype) for name, rdtype in queries]
    workers = min(len(queries), settings.WARMUP_DNS_CONCURRENCY)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dns") as pool:
        return list(pool.map(lambda q: lookup(*q), queries))


def reverse_name(address: str) -> str:
    """`192.0.2.1` → `1.2.0.192.in-addr.arpa`; IPv6 → the nibble form under ip6.arpa."""
    return _normalise_name(dns.reversename.from_address(address).to_text())
