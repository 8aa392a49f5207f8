"""SPF (RFC 7208): parse a domain's record and *evaluate* it, as a receiving server would.

Two questions are asked of a customer's SPF record:

* does it authorise our sending through ``WARMUP_SPF_INCLUDE``? — evaluated with our include as
  the target: `include:`/`redirect=` chains are followed through DNS, and the include counts as
  passing when evaluation reaches it with a pass qualifier before anything else matched;
* does it authorise the account's sending IPs? — a real `check_host()` per IP: `ip4`/`ip6`
  with CIDR lengths, `a`, `mx`, `exists` (with macros), `include`, `redirect` and `all`, with
  their qualifiers.

Both enforce the limit of 10 DNS-querying terms (`include`, `a`, `mx`, `ptr`, `exists`,
`redirect`, counted across the whole include tree), the limit of 10 MX hosts per `mx` and the
limit of 2 void lookups (RFC 7208 §4.6.4), and report ``permerror`` for two SPF records, a
syntax error or an include of a domain without SPF. ``ptr`` is counted but never matches: RFC
7208 §5.5 says not to use it, and we do not rely on it.

The account's sending IPs come from other apps through `sending_ip_sources` (the dependency
points from them to us): an app appends a callable ``(account) -> list[str]`` in its
``AppConfig.ready()``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

from domains.findings import Finding, Status, tempfail_detail
from domains.resolution import Query
from warmup_site import dns

MAX_DNS_TERMS = 10
MAX_MX_HOSTS = 10
MAX_VOID_LOOKUPS = 2
DNS_TERMS = frozenset({"include", "a", "mx", "ptr", "exists"})
MECHANISMS = frozenset({"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"})
QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}

PASS, FAIL, SOFTFAIL, NEUTRAL, NONE = "pass", "fail", "softfail", "neutral", "none"
PERMERROR, TEMPERROR = "permerror", "temperror"

# --- the hook for sending IPs ---------------------------------------------------------------------

# Callables `(account) -> list[str]` (IP addresses) appended by apps that know an account's
# sending IPs (the `ips` app). `domains` must not import them: dependencies point one way.
sending_ip_sources: list[Callable[[object], Iterable[str]]] = []


def account_sending_ips(account) -> list[str]:
    """Every IP address the registered sources say the account sends from, deduplicated."""
    found: dict[str, None] = {}
    for source in sending_ip_sources:
        for address in source(account) or ():
            found[str(ipaddress.ip_address(str(address).strip()))] = None
    return list(found)


# --- parsing --------------------------------------------------------------------------------------


class PermError(Exception):
    """The record cannot be used (RFC 7208 permerror); the message says why, for people."""


class TempError(Exception):
    """A DNS lookup failed temporarily; the message names it."""


def is_spf_record(text: str) -> bool:
    lowered = text.lower()
    return lowered == "v=spf1" or lowered.startswith("v=spf1 ")


@dataclass(frozen=True)
class Term:
    text: str  # as written, for messages
    name: str  # mechanism or modifier name, lower case
    qualifier: str = "+"
    argument: str | None = None  # domain-spec, network or modifier value
    cidr4: int | None = None
    cidr6: int | None = None
    is_modifier: bool = False

    @property
    def queries_dns(self) -> bool:
        return self.name in DNS_TERMS or (self.is_modifier and self.name == "redirect")


@dataclass(frozen=True)
class Record:
    text: str
    mechanisms: tuple[Term, ...]
    redirect: Term | None


_MODIFIER = re.compile(r"^([a-z][a-z0-9_.\-]*)=(.*)$", re.IGNORECASE)
_DIRECTIVE = re.compile(r"^([+\-~?]?)([a-z][a-z0-9]*)(.*)$", re.IGNORECASE)
_SPEC_AND_CIDR = re.compile(r"^((?:%\{[^}]*\}|[^/])*)(.*)$")
_DUAL_CIDR = re.compile(r"^(?:/(\d{1,2}))?(?://(\d{1,3}))?$")


def parse(text: str) -> Record:
    """Parse one SPF record; raises PermError naming the first term that is not valid."""
    tokens = text.split()
    if not tokens or tokens[0].lower() != "v=spf1":
        raise PermError("it does not start with v=spf1")
    mechanisms: list[Term] = []
    redirect: Term | None = None
    seen_modifiers: set[str] = set()
    for token in tokens[1:]:
        modifier = _MODIFIER.match(token)
        if modifier:
            name, value = modifier.group(1).lower(), modifier.group(2)
            if name in ("redirect", "exp"):
                if name in seen_modifiers:
                    raise PermError(f"it has {name}= twice")
                seen_modifiers.add(name)
                _check_domain_spec(value, token)
            term = Term(token, name, argument=value, is_modifier=True)
            if name == "redirect":
                redirect = term
            continue  # exp= and unknown modifiers do not change the result
        mechanisms.append(_parse_directive(token))
    return Record(text=text, mechanisms=tuple(mechanisms), redirect=redirect)


def _parse_directive(token: str) -> Term:
    match = _DIRECTIVE.match(token)
    if not match or match.group(2).lower() not in MECHANISMS:
        raise PermError(f"{token!r} is not an SPF mechanism")
    qualifier = match.group(1) or "+"
    name, rest = match.group(2).lower(), match.group(3)
    if name == "all":
        if rest:
            raise PermError(f"{token!r}: 'all' takes no argument")
        return Term(token, name, qualifier)
    if name in ("ip4", "ip6"):
        if not rest.startswith(":"):
            raise PermError(f"{token!r} needs an address, like {name}:{_EXAMPLE_NET[name]}")
        try:
            network = ipaddress.ip_network(rest[1:], strict=False)
        except ValueError:
            raise PermError(f"{token!r} is not a valid {name} network") from None
        if network.version != int(name[-1]):
            raise PermError(f"{token!r} holds an IPv{network.version} address")
        return Term(token, name, qualifier, argument=str(network))
    argument = None
    if rest.startswith(":"):
        # The domain-spec ends at the first "/" outside a macro (macros may use "/" too).
        argument, rest = _SPEC_AND_CIDR.match(rest[1:]).groups()
        _check_domain_spec(argument, token)
    elif name in ("include", "exists"):
        raise PermError(f"{token!r} needs a domain, like {name}:example.com")
    cidr4 = cidr6 = None
    if rest:
        if name not in ("a", "mx"):
            raise PermError(f"{token!r}: only a and mx take a prefix length")
        lengths = _DUAL_CIDR.match(rest)
        if not lengths:
            raise PermError(f"{token!r} has an invalid prefix length")
        cidr4 = int(lengths.group(1)) if lengths.group(1) else None
        cidr6 = int(lengths.group(2)) if lengths.group(2) else None
        if (cidr4 is not None and cidr4 > 32) or (cidr6 is not None and cidr6 > 128):
            raise PermError(f"{token!r} has a prefix length out of range")
    return Term(token, name, qualifier, argument=argument, cidr4=cidr4, cidr6=cidr6)


_EXAMPLE_NET = {"ip4": "192.0.2.0/24", "ip6": "2001:db8::/32"}
_MACRO = re.compile(r"%\{([a-z])(\d*)(r?)([.\-+,/_=]*)\}|%%|%_|%-|%", re.IGNORECASE)
_TOPLABEL = re.compile(r"^(?=.*[a-z])[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$", re.IGNORECASE)


def _check_domain_spec(spec: str, token: str) -> None:
    for macro in _MACRO.finditer(spec):
        if macro.group(0) == "%" or (macro.group(1) and macro.group(1).lower() not in "slodiphv"):
            raise PermError(f"{token!r} has an invalid macro")
    if "%" in spec:
        return  # a macro ends the name: checked once expanded
    labels = spec.rstrip(".").split(".")
    if len(labels) < 2 or not all(labels) or not _TOPLABEL.match(labels[-1]):
        raise PermError(f"{token!r} does not name a domain")


# --- evaluation -----------------------------------------------------------------------------------


class _Unexpandable(Exception):
    """A macro needs the client IP, and we evaluate without one."""


@dataclass(frozen=True)
class Outcome:
    result: str  # pass, fail, softfail, neutral, none, permerror, temperror
    matched: tuple[str, ...] = ()  # the chain of terms that produced a match
    reason: str = ""  # for permerror / temperror / none
    lookups: int = 0
    records: tuple[str, ...] = ()  # the SPF records at the evaluated domain itself


@dataclass
class _Evaluation:
    domain: str  # the domain whose policy is checked (macro %{o}, %{h}, sender's domain)
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None
    include: str | None = None
    lookups: int = 0
    voids: int = 0
    top_records: tuple[str, ...] = field(default=())

    def count_lookup(self, term: Term) -> None:
        self.lookups += 1
        if self.lookups > MAX_DNS_TERMS:
            raise PermError(
                f"it needs more than {MAX_DNS_TERMS} DNS lookups (the limit was passed at "
                f"{term.text!r}); include, a, mx, ptr, exists and redirect each count, also "
                "inside the records they include"
            )

    def count_void(self, name: str) -> None:
        self.voids += 1
        if self.voids > MAX_VOID_LOOKUPS:
            raise PermError(
                f"more than {MAX_VOID_LOOKUPS} of its lookups found nothing (the last: {name})"
            )

    # The generator functions below yield lists of queries (see domains/resolution.py).

    def check_host(self, domain: str, top: bool = False):
        if self.include is not None and domain == self.include:
            # Our own include authorises our sending by definition: that is what it is for.
            return Outcome(PASS)
        (result,) = yield [(domain, "TXT")]
        if result.tempfail:
            raise TempError(f"the lookup of {domain} failed ({result.error})")
        records = tuple(r for r in result.records if is_spf_record(r)) if result.ok else ()
        if top:
            self.top_records = records
        if not records:
            return Outcome(NONE, reason=f"{domain} has no SPF record")
        if len(records) > 1:
            raise PermError(f"{domain} has {len(records)} SPF records; it may have only one")
        try:
            record = parse(records[0])
        except PermError as exc:
            raise PermError(f"the record of {domain} is not valid: {exc}") from None
        for term in record.mechanisms:
            if term.queries_dns:
                self.count_lookup(term)
            matched = yield from self._match(term, domain)
            if matched is not None:
                return Outcome(QUALIFIERS[term.qualifier], matched=matched)
        if record.redirect is not None:
            self.count_lookup(record.redirect)
            target = self._expand(record.redirect.argument, domain)
            inner = yield from self.check_host(target)
            if inner.result == NONE:
                raise PermError(f"{record.redirect.text} names a domain without an SPF record")
            return Outcome(inner.result, matched=(record.redirect.text, *inner.matched))
        return Outcome(NEUTRAL)

    def _match(self, term: Term, domain: str):
        """None when the term does not match; the chain of terms when it does."""
        name = term.name
        if name == "all":
            return (term.text,)
        if name == "include":
            try:
                target = self._expand(term.argument, domain)
            except _Unexpandable:
                return None
            inner = yield from self.check_host(target)
            if inner.result == NONE:
                raise PermError(f"{term.text} names a domain without an SPF record")
            return (term.text, *inner.matched) if inner.result == PASS else None
        if self.ip is None or name == "ptr":
            return None  # nothing but include/redirect/all can lead to our include
        if name in ("ip4", "ip6"):
            network = ipaddress.ip_network(term.argument)
            return (
                (term.text,) if self.ip.version == network.version and self.ip in network else None
            )
        target = self._expand(term.argument, domain) if term.argument else domain
        rtype = "A" if self.ip.version == 4 else "AAAA"
        if name == "exists":
            (result,) = yield [(target, "A")]
            return (term.text,) if self._answered(result) else None
        if name == "a":
            (result,) = yield [(target, rtype)]
            addresses = result.records if self._answered(result) else ()
            return (term.text,) if self._in_any(addresses, term) else None
        # mx
        (result,) = yield [(target, "MX")]
        if not self._answered(result):
            return None
        hosts = [host for _preference, host in result.records if host]
        if len(hosts) > MAX_MX_HOSTS:
            raise PermError(f"{term.text}: {target} has {len(hosts)} MX hosts, more than 10")
        if not hosts:
            return None
        answers = yield [(host, rtype) for host in hosts]
        addresses = [a for answer in answers if self._answered(answer) for a in answer.records]
        return (term.text,) if self._in_any(addresses, term) else None

    def _answered(self, result: dns.Result) -> bool:
        if result.tempfail:
            raise TempError(f"the lookup of {result.name} failed ({result.error})")
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

    def _expand(self, spec: str, domain: str) -> str:
        sender_local = "postmaster"

        def value_of(letter: str) -> str:
            letter = letter.lower()
            if letter == "s":
                return f"{sender_local}@{self.domain}"
            if letter == "l":
                return sender_local
            if letter in ("o", "h"):
                return self.domain
            if letter == "d":
                return domain
            if self.ip is None:
                raise _Unexpandable
            if letter == "i":
                if self.ip.version == 4:
                    return str(self.ip)
                return ".".join(self.ip.exploded.replace(":", ""))
            if letter == "v":
                return "in-addr" if self.ip.version == 4 else "ip6"
            return "unknown"  # %{p}: validated PTR names are not looked up (see ptr)

        def replace(macro: re.Match) -> str:
            text = macro.group(0)
            if text == "%%":
                return "%"
            if text == "%_":
                return " "
            if text == "%-":
                return "%20"
            letter, digits, reverse, delimiters = macro.groups()
            parts = re.split("[" + re.escape(delimiters or ".") + "]", value_of(letter))
            if reverse:
                parts.reverse()
            if digits:
                if int(digits) == 0:
                    raise PermError(f"the macro {text} keeps zero labels")
                parts = parts[-int(digits) :]
            expanded = ".".join(parts)
            return quote(expanded, safe="") if letter.isupper() else expanded

        name = _MACRO.sub(replace, spec).rstrip(".").lower()
        while len(name) > 253:  # RFC 7208 §7.3: drop labels from the left
            name = name.partition(".")[2]
        return name


def evaluate(
    domain: str, *, ip: str | None = None, include: str | None = None
) -> Generator[list[Query], list[dns.Result], Outcome]:
    """check_host() for `domain`: with `ip`, for that client IP; with `include`, for "our
    include" (which passes by definition). Never raises; yields lookups."""
    evaluation = _Evaluation(
        domain=domain,
        ip=ipaddress.ip_address(ip) if ip else None,
        include=normalise_host(include) if include else None,
    )
    try:
        outcome = yield from evaluation.check_host(domain, top=True)
    except PermError as exc:
        return Outcome(
            PERMERROR, reason=str(exc), lookups=evaluation.lookups, records=evaluation.top_records
        )
    except TempError as exc:
        return Outcome(
            TEMPERROR, reason=str(exc), lookups=evaluation.lookups, records=evaluation.top_records
        )
    return Outcome(
        outcome.result,
        matched=outcome.matched,
        reason=outcome.reason,
        lookups=evaluation.lookups,
        records=evaluation.top_records,
    )


def normalise_host(name: str) -> str:
    return name.strip().rstrip(".").lower()


# --- the value to publish -------------------------------------------------------------------------


def _term_name(token: str) -> str:
    bare = token.lstrip("+-~?")
    return re.split("[:/=]", bare, maxsplit=1)[0].lower()


def _is_our_include(token: str, include: str) -> bool:
    bare = token.lstrip("+-~?")
    return _term_name(token) == "include" and normalise_host(bare.partition(":")[2]) == include


def merged_record(existing: Iterable[str], include: str) -> str:
    """The customer's SPF record with our include merged in (two records become one).

    Our include goes before the first `all` (evaluation stops there), or after the last
    mechanism when there is no `all`; every other term is kept as written.
    """
    include = normalise_host(include)
    mechanisms: list[str] = []
    modifiers: list[str] = []
    all_term: str | None = None
    for record in existing:
        for token in record.split()[1:]:
            if _is_our_include(token, include):
                continue
            if _MODIFIER.match(token) and _term_name(token) not in MECHANISMS:
                name = _term_name(token)
                if not any(_term_name(m) == name for m in modifiers):
                    modifiers.append(token)
            elif _term_name(token) == "all":
                all_term = all_term or token
            elif token.lower() not in (m.lower() for m in mechanisms):
                mechanisms.append(token)
    if all_term is None and not any(_term_name(m) == "redirect" for m in modifiers):
        all_term = "~all"
    terms = ["v=spf1", *mechanisms, f"include:{include}"]
    if all_term:
        # redirect= is ignored when the record has an all term, so keep only one of them.
        modifiers = [m for m in modifiers if _term_name(m) != "redirect"]
        terms.append(all_term)
    return " ".join([*terms, *modifiers])


# --- the check of a domain's SPF record -----------------------------------------------------------


def check(domain: str, *, include: str, ips: Iterable[str] = ()):
    """Finding for the domain's SPF record (a generator: yields lookups)."""
    include = normalise_host(include)
    via_include = yield from evaluate(domain, include=include)
    records = via_include.records
    found = "\n".join(records)
    suggestion = merged_record(records, include)
    usage = f"It uses {via_include.lookups} of the {MAX_DNS_TERMS} DNS lookups SPF allows."

    if via_include.result == TEMPERROR:
        return Finding(Status.ERROR, found, tempfail_detail("your SPF record", via_include.reason))
    if via_include.result == PASS:
        chain = " → ".join(via_include.matched)
        return Finding(
            Status.OK,
            found,
            f"Your SPF record authorises Warmup through {chain}. {usage}",
            value=records[0],
        )
    if via_include.result == NONE:
        return Finding(
            Status.MISSING,
            f"no SPF record (a TXT record starting with v=spf1) at {domain}",
            f"{domain} has no SPF record, so receivers cannot tell that we may send for you. "
            f"Publish this TXT record at {domain}.",
            value=suggestion,
        )
    if via_include.result == PERMERROR:
        return Finding(
            Status.MISMATCH,
            found,
            f"Receivers reject your SPF record as broken (permerror): {via_include.reason}. "
            + _permerror_advice(via_include.reason, records)
            + " The record shown merges your terms with ours.",
            value=suggestion,
        )

    ips = list(ips)
    ip_results = []
    if ips:
        ip_results = yield from _gather_ips(domain, ips)
        if all(outcome.result == PASS for outcome in ip_results):
            detail = "; ".join(
                f"{ip} by {' → '.join(outcome.matched)}"
                for ip, outcome in zip(ips, ip_results, strict=True)
            )
            return Finding(
                Status.OK,
                found,
                f"Your SPF record authorises your sending IPs: {detail}. {usage}",
                value=records[0],
            )
        if any(outcome.result == TEMPERROR for outcome in ip_results):
            reason = next(o.reason for o in ip_results if o.result == TEMPERROR)
            return Finding(Status.ERROR, found, tempfail_detail("your SPF record", reason))
    detail = _why_not_authorised(records[0], include, via_include)
    if ip_results:
        unauthorised = [
            f"{ip} ({outcome.result}{', ' + outcome.reason if outcome.reason else ''})"
            for ip, outcome in zip(ips, ip_results, strict=True)
            if outcome.result != PASS
        ]
        detail += f" Your sending IPs are not all authorised either: {', '.join(unauthorised)}."
    return Finding(Status.MISMATCH, found, detail, value=suggestion)


def _gather_ips(domain: str, ips: list[str]):
    from domains.resolution import gather

    return (yield from gather(*(evaluate(domain, ip=ip) for ip in ips)))


def _permerror_advice(reason: str, records: tuple[str, ...]) -> str:
    if len(records) > 1:
        return "Replace all of them with the one record shown."
    if "DNS lookups" in reason:
        return (
            "Remove includes you no longer use, or replace a and mx terms with ip4/ip6 ranges, "
            "so that the record needs at most 10 lookups with our include."
        )
    if "without an SPF record" in reason:
        return "Remove that include or ask its owner to publish SPF."
    return "Correct that term."


def _why_not_authorised(record: str, include: str, outcome: Outcome) -> str:
    tokens = record.split()[1:]
    position = next((i for i, t in enumerate(tokens) if _is_our_include(t, include)), None)
    first_all = next((i for i, t in enumerate(tokens) if _term_name(t) == "all"), None)
    replace = "Replace your record with the one shown, which keeps your other terms."
    if position is not None:
        token = tokens[position]
        if token[0] in "-~?":
            return (
                f"Your SPF record has {token}: the {token[0]!r} in front tells receivers to "
                f"{QUALIFIERS[token[0]]} our mail instead of accepting it. {replace}"
            )
        if first_all is not None and first_all < position:
            return (
                f"Your SPF record has include:{include}, but after {tokens[first_all]}: "
                f"evaluation stops at 'all', so receivers never reach our include. {replace}"
            )
        if outcome.matched:
            return (
                f"Your SPF record has include:{include}, but {outcome.matched[0]} comes first "
                f"and matches every sender ({outcome.result}). {replace}"
            )
    return (
        f"Your SPF record does not authorise Warmup: it has no include:{include}, so our "
        f"mail would get '{outcome.result}'. Add include:{include} before the 'all' at the end, "
        f"as in the record shown; keep your other terms, they authorise your other senders."
    )
