"""check_host() (RFC 7208 §4 to §7), written as a generator of DNS lookups (domains/resolution.py).

`evaluate()` never raises for anything a record or DNS can do: it returns an `Outcome` whose
`result` is one of the seven SPF results, with the reason (and advice) for the errors.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Generator
from dataclasses import dataclass
from urllib.parse import quote

from domains.resolution import Query
from domains.spf.record import (
    MACRO,
    QUALIFIERS,
    PermError,
    Term,
    is_spf_record,
    parse,
    why_not_spf,
)
from warmup_site import dns

MAX_DNS_TERMS = 10
MAX_MX_HOSTS = 10
MAX_PTR_NAMES = 10
MAX_VOID_LOOKUPS = 2
# §4.3: the local-part when the sender has none; also ours when no real message is evaluated.
DEFAULT_LOCAL_PART = "postmaster"

PASS, FAIL, SOFTFAIL, NEUTRAL, NONE = "pass", "fail", "softfail", "neutral", "none"
PERMERROR, TEMPERROR = "permerror", "temperror"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TempError(Exception):
    """A DNS lookup failed temporarily; the message names it, `advice` says what to do."""

    def __init__(self, message: str, advice: str = ""):
        super().__init__(message)
        self.advice = advice


class _Unexpandable(Exception):
    """A macro needs the client IP, and we evaluate without one."""


@dataclass(frozen=True)
class Outcome:
    result: str  # pass, fail, softfail, neutral, none, permerror, temperror
    matched: tuple[str, ...] = ()  # the chain of terms that produced a match
    reason: str = ""  # for permerror / temperror / none
    advice: str = ""  # for permerror / temperror: what to change, when there is something
    lookups: int = 0
    records: tuple[str, ...] = ()  # the SPF records at the evaluated domain itself
    near_misses: tuple[str, ...] = ()  # its TXT records meant as SPF but not read as SPF


def normalise_host(name: str) -> str:
    return name.strip().rstrip(".").lower()


def name_problem(domain: str) -> str | None:
    """Why `domain` cannot be looked up as a domain at all (§4.3), or None."""
    name = domain.rstrip(".")
    if name.startswith("["):
        return "is an address literal, not a domain name"
    labels = name.split(".")
    if len(labels) < 2:
        return "is not a domain name (it has a single label)"
    if not all(labels):
        return "is not a valid domain name (it has an empty label)"
    if any(len(label.encode()) > 63 for label in labels):
        return "is not a valid domain name (a label is longer than 63 octets)"
    if len(name) > 253:
        return "is not a valid domain name (it is longer than 253 characters)"
    return None


def _temp_error(result: dns.Result) -> TempError:
    return TempError(
        f"the {result.rdtype} lookup of {result.name} failed ({result.error})",
        "Receivers meet the same failure and answer temperror, so they may defer your mail "
        f"until it answers. If this keeps happening, ask the DNS host of {result.name} why "
        f"{result.rdtype} queries fail.",
    )


@dataclass
class _Evaluation:
    domain: str  # the sender's domain: %{o}, and %{s} with the local-part
    ip: IPAddress | None = None
    include: str | None = None
    helo: str | None = None
    local_part: str = DEFAULT_LOCAL_PART
    lookups: int = 0
    voids: int = 0
    top_records: tuple[str, ...] = ()
    near_misses: tuple[str, ...] = ()

    def count_lookup(self, term: Term) -> None:
        self.lookups += 1
        if self.lookups > MAX_DNS_TERMS:
            raise PermError(
                f"it needs more than {MAX_DNS_TERMS} DNS lookups (the limit was passed at "
                f"{term.text!r}); include, a, mx, ptr, exists and redirect each count, also "
                "inside the records they include",
                "Remove includes you no longer use, or replace a and mx terms with ip4/ip6 "
                "ranges, so that the record needs at most 10 lookups with our include.",
            )

    def count_void(self, name: str) -> None:
        self.voids += 1
        if self.voids > MAX_VOID_LOOKUPS:
            raise PermError(
                f"more than {MAX_VOID_LOOKUPS} of its lookups found nothing (the last: {name})",
                "Remove the terms that name domains without addresses or MX records.",
            )

    # The generator functions below yield lists of queries (see domains/resolution.py).

    def check_host(self, domain: str, top: bool = False):
        if self.include is not None and domain == self.include:
            # Our own include authorises our sending by definition: that is what it is for.
            return Outcome(PASS)
        problem = name_problem(domain)
        if problem:
            return Outcome(NONE, reason=f"{domain} {problem}")
        (result,) = yield [(domain, "TXT")]
        if result.tempfail:
            raise _temp_error(result)
        records = tuple(r for r in result.records if is_spf_record(r)) if result.ok else ()
        if top:
            self.top_records = records
            self.near_misses = tuple(r for r in result.records if why_not_spf(r))
        if not records:
            return Outcome(NONE, reason=f"{domain} has no SPF record")
        if len(records) > 1:
            raise PermError(
                f"{domain} has {len(records)} SPF records; it may have only one",
                "Replace all of them with the one record shown.",
            )
        try:
            record = parse(records[0])
        except PermError as exc:
            raise PermError(f"the record of {domain} is not valid: {exc}", exc.advice) from None
        for term in record.mechanisms:
            if term.queries_dns:
                self.count_lookup(term)
            matched = yield from self._match(term, domain)
            if matched is not None:
                return Outcome(QUALIFIERS[term.qualifier], matched=matched)
        if record.redirect is not None:
            self.count_lookup(record.redirect)
            try:
                target = yield from self._expand(record.redirect.argument, domain)
            except _Unexpandable:
                return Outcome(NEUTRAL, reason=f"{record.redirect.text} needs the client's IP")
            inner = yield from self.check_host(target)
            if inner.result == NONE:
                raise _no_policy(record.redirect, target)
            return Outcome(inner.result, matched=(record.redirect.text, *inner.matched))
        return Outcome(NEUTRAL)

    def _match(self, term: Term, domain: str):
        """None when the term does not match; the chain of terms when it does."""
        name = term.name
        if name == "all":
            return (term.text,)
        if name == "include":
            try:
                target = yield from self._expand(term.argument, domain)
            except _Unexpandable:
                return None
            inner = yield from self.check_host(target)
            if inner.result == NONE:
                raise _no_policy(term, target)
            return (term.text, *inner.matched) if inner.result == PASS else None
        if self.ip is None:
            return None  # nothing but include/redirect/all can lead to our include
        if name in ("ip4", "ip6"):
            network = ipaddress.ip_network(term.argument)
            matches = self.ip.version == network.version and self.ip in network
            return (term.text,) if matches else None
        target = (yield from self._expand(term.argument, domain)) if term.argument else domain
        if name == "ptr":
            return (yield from self._match_ptr(term, target))
        if name == "exists":  # an A lookup whatever the client's address family (§5.7)
            (result,) = yield [(target, "A")]
            return (term.text,) if self._found(result) else None
        rtype = "A" if self.ip.version == 4 else "AAAA"
        if name == "a":
            (result,) = yield [(target, rtype)]
            found = self._found(result) and self._in_any(result.records, term)
            return (term.text,) if found else None
        # mx. Only the MX lookup itself can be void: MX hosts without an address of the
        # client's family (no AAAA, say) are normal, and one term counts once (§4.6.4).
        (result,) = yield [(target, "MX")]
        if not self._found(result):
            return None
        hosts = [host for _preference, host in result.records if host]  # "." is a null MX
        if len(hosts) > MAX_MX_HOSTS:
            raise PermError(
                f"{term.text}: {target} has {len(hosts)} MX hosts, more than {MAX_MX_HOSTS}",
                "Replace the mx term with ip4/ip6 ranges of the servers that send your mail.",
            )
        answers = (yield [(host, rtype) for host in hosts]) if hosts else []
        addresses = []
        for answer in answers:
            if answer.tempfail:
                raise _temp_error(answer)
            addresses.extend(answer.records if answer.ok else ())
        return (term.text,) if self._in_any(addresses, term) else None

    def _match_ptr(self, term: Term, target: str):
        """§5.5: some validated name of the client is the target or below it."""
        names = yield from self._ptr_names(count_void=True)
        # Only names that could match need validating: same result, fewer lookups.
        candidates = [n for n in names if n == target or n.endswith("." + target)]
        validated = yield from self._validated(candidates)
        return (term.text,) if validated else None

    def _ptr_names(self, *, count_void: bool):
        """The client's PTR names, the first 10 only (§4.6.4); none on a DNS error (§5.5)."""
        (result,) = yield [(dns.reverse_name(str(self.ip)), "PTR")]
        if result.absent and count_void:
            self.count_void(result.name)
        return list(result.records[:MAX_PTR_NAMES]) if result.ok else []

    def _validated(self, names: list[str]):
        """The names whose addresses include the client's; a name whose lookup fails is
        skipped (§5.5)."""
        if not names:
            return []
        rtype = "A" if self.ip.version == 4 else "AAAA"
        answers = yield [(name, rtype) for name in names]
        return [
            name
            for name, answer in zip(names, answers, strict=True)
            if answer.ok and any(ipaddress.ip_address(a) == self.ip for a in answer.records)
        ]

    def _validated_name(self, domain: str):
        """%{p} (§7.3): the domain itself if validated, else one of its subdomains, else any
        validated name, else "unknown"."""
        names = yield from self._ptr_names(count_void=False)
        validated = yield from self._validated(names)
        if domain in validated:
            return domain
        below = [name for name in validated if name.endswith("." + domain)]
        return (below or validated or ["unknown"])[0]

    def _found(self, result: dns.Result) -> bool:
        if result.tempfail:
            raise _temp_error(result)
        if result.absent:
            self.count_void(result.name)
            return False
        return True

    def _in_any(self, addresses, term: Term) -> bool:
        prefix = term.cidr4 if self.ip.version == 4 else term.cidr6
        for address in addresses:
            network = ipaddress.ip_network(
                f"{address}/{prefix if prefix is not None else self.ip.max_prefixlen}",
                strict=False,
            )
            if self.ip in network:
                return True
        return False

    def _expand(self, spec: str, domain: str):
        """A domain-spec with its macros expanded (§7.3, §7.4), as a name to look up."""
        letters = {m.group(1).lower() for m in MACRO.finditer(spec) if m.group(1)}
        if self.ip is None and letters & set("ipv"):
            raise _Unexpandable
        values = {
            "s": f"{self.local_part}@{self.domain}",
            "l": self.local_part,
            "o": self.domain,
            "d": domain,
            "h": self.helo or self.domain,
        }
        if "p" in letters:
            values["p"] = yield from self._validated_name(domain)
        if self.ip is not None:
            v4 = self.ip.version == 4
            values["i"] = str(self.ip) if v4 else ".".join(self.ip.exploded.replace(":", ""))
            values["v"] = "in-addr" if v4 else "ip6"

        def replace(macro: re.Match) -> str:
            text = macro.group(0)
            if text == "%%":
                return "%"
            if text == "%_":
                return " "
            if text == "%-":
                return "%20"
            letter, digits, reverse, delimiters = macro.groups()
            parts = re.split("[" + re.escape(delimiters or ".") + "]", values[letter.lower()])
            if reverse:
                parts.reverse()
            if digits:
                parts = parts[-int(digits) :]
            expanded = ".".join(parts)
            # An upper-case letter asks for URL escaping of all but the unreserved characters.
            return quote(expanded, safe="") if letter.isupper() else expanded

        name = MACRO.sub(replace, spec).rstrip(".").lower()
        while len(name) > 253:  # §7.3: drop labels from the left until it fits
            name = name.partition(".")[2]
        return name


def _no_policy(term: Term, target: str) -> PermError:
    """§5.2, §6.1: include or redirect of a domain without SPF is a permerror."""
    problem = name_problem(target)
    if problem:
        return PermError(f"{term.text} names {target}, which {problem}")
    return PermError(
        f"{term.text} names a domain without an SPF record",
        "Remove that include or ask its owner to publish SPF."
        if term.name == "include"
        else "Point redirect= at a domain that publishes SPF, or remove it.",
    )


def evaluate(
    domain: str,
    *,
    ip: str | None = None,
    include: str | None = None,
    helo: str | None = None,
    local_part: str | None = None,
) -> Generator[list[Query], list[dns.Result], Outcome]:
    """check_host() for `domain`; never raises for DNS or record trouble; yields lookups.

    With `ip`: for that client IP (an IPv4-mapped IPv6 address is the IPv4 address, §5). With
    `include`: whether evaluation reaches "our include", which passes by definition. `helo` is
    the HELO name (%{h}; the domain when not given) and `local_part` the sender's local-part
    (%{l}, %{s}; "postmaster" when not given, as for a policy checked without a message).
    """
    address = ipaddress.ip_address(ip.strip()) if ip else None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    evaluation = _Evaluation(
        domain=normalise_host(domain),
        ip=address,
        include=normalise_host(include) if include else None,
        helo=helo.strip() if helo else None,
        local_part=local_part or DEFAULT_LOCAL_PART,
    )
    try:
        outcome = yield from evaluation.check_host(evaluation.domain, top=True)
    except (PermError, TempError) as exc:
        outcome = Outcome(
            PERMERROR if isinstance(exc, PermError) else TEMPERROR,
            reason=str(exc),
            advice=exc.advice,
        )
    return Outcome(
        outcome.result,
        matched=outcome.matched,
        reason=outcome.reason,
        advice=outcome.advice,
        lookups=evaluation.lookups,
        records=evaluation.top_records,
        near_misses=evaluation.near_misses,
    )
