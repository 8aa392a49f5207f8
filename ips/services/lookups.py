"""The readiness lookups of dedicated IPs (PTR, forward-confirmed reverse DNS, DNS
blocklists), many at once, and what each answer means: a fact (pass or fail) or, on a
temporary DNS failure, none."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from django.conf import settings

from ips.addresses import dnsbl_name
from ips.models import DedicatedIp, IpCheck
from warmup_site import dns

# A PTR record may list several names; confirming more than a few is pointless.
MAX_PTR_NAMES = 5

PTR, FCRDNS = "ptr", "fcrdns"

# What the return codes of the common blocklists mean. Sources: spamhaus.org/faqs/dnsbl-usage
# ("Return codes"), spamcop.net/fom-serve/cache/291.html, barracudacentral.org/rbl.
DNSBL_CODES: dict[str, dict[str, str]] = {
    "spamhaus": {
        "127.0.0.2": "SBL (Spamhaus Block List): a known spam source or spam operation",
        "127.0.0.3": "SBL CSS (Combined Spam Sources): low-reputation mail, e.g. snowshoe spam",
        "127.0.0.4": "XBL (Exploits Block List): a hijacked or infected host sending spam",
        "127.0.0.5": "XBL (Exploits Block List): a hijacked or infected host",
        "127.0.0.6": "XBL (Exploits Block List): a hijacked or infected host",
        "127.0.0.7": "XBL (Exploits Block List): a hijacked or infected host",
        "127.0.0.9": "SBL DROP: a netblock hijacked by or leased to spammers (Don't Route Or Peer)",
        "127.0.0.10": "PBL (Policy Block List, listed by the ISP): this range should not send "
        "mail directly to the internet",
        "127.0.0.11": "PBL (Policy Block List, listed by Spamhaus): a dynamic or end-user range "
        "that should not send mail directly to the internet",
    },
    "spamcop": {"127.0.0.2": "SpamCop: reported as a source of spam by SpamCop users"},
    "barracuda": {"127.0.0.2": "Barracuda Reputation Block List: poor sending reputation"},
}
# Answers in 127.255.255.0/24 are Spamhaus's way of refusing a query: not a listing.
DNSBL_ERRORS = {
    "127.255.255.252": "the blocklist says the query was malformed (a typo in the zone name?)",
    "127.255.255.254": "the blocklist refuses queries that come through public or open "
    "resolvers: use your own recursive resolver, or Spamhaus's Data Query Service zone",
    "127.255.255.255": "the blocklist refuses this resolver: it sent too many queries",
}
_ERROR_NET = ipaddress.ip_network("127.255.255.0/24")
_LISTING_NET = ipaddress.ip_network("127.0.0.0/8")


def dnsbl_family(zone: str) -> str | None:
    for family in DNSBL_CODES:
        if family in zone:
            return family
    return None


def explain_dnsbl_code(zone: str, code: str) -> str:
    family = dnsbl_family(zone)
    meaning = DNSBL_CODES.get(family, {}).get(code) if family else None
    return f"{code}: {meaning}" if meaning else f"{code}: listed (see the blocklist's site)"


def check_names() -> list[tuple[str, str]]:
    """(name, kind) of every check an IP gets with the current settings."""
    return [(PTR, IpCheck.Kind.PTR), (FCRDNS, IpCheck.Kind.FCRDNS)] + [
        (f"dnsbl:{zone.strip().rstrip('.').lower()}", IpCheck.Kind.DNSBL)
        for zone in settings.WARMUP_DNSBL_ZONES
    ]


@dataclass
class Outcome:
    """One check's result this time: a fact (pass/fail) or a temporary failure."""

    kind: str
    result: str  # "pass", "fail" or "tempfail"
    detail: str = ""
    found: list = field(default_factory=list)


def _ptr_outcome(ip: DedicatedIp, ptr: dns.Result) -> Outcome:
    if ptr.tempfail:
        return Outcome(IpCheck.Kind.PTR, "tempfail", ptr.describe())
    if ptr.absent:
        return Outcome(
            IpCheck.Kind.PTR,
            "fail",
            f"no PTR record: {ptr.describe()}. Ask the network's owner to set reverse DNS.",
        )
    names = list(ptr.records)
    if ip.hostname and ip.hostname not in names:
        return Outcome(
            IpCheck.Kind.PTR,
            "fail",
            f"the PTR record points to {', '.join(names)}, not to {ip.hostname}",
            names,
        )
    return Outcome(IpCheck.Kind.PTR, "pass", f"PTR: {', '.join(names)}", names)


def _fcrdns_names(ip: DedicatedIp, ptr: dns.Result) -> list[str]:
    if not ptr.ok:
        return []
    if ip.hostname and ip.hostname in ptr.records:
        return [ip.hostname]
    return list(ptr.records)[:MAX_PTR_NAMES]


def _fcrdns_outcome(ip: DedicatedIp, ptr: dns.Result, forward: list[dns.Result]) -> Outcome:
    kind = IpCheck.Kind.FCRDNS
    if ptr.tempfail:
        return Outcome(kind, "tempfail", "the PTR lookup failed, so there is no name to confirm")
    if not ptr.ok:
        return Outcome(kind, "fail", "there is no PTR name to confirm")
    wanted = ipaddress.ip_address(ip.address)
    seen = []
    for result in forward:
        addresses = [ipaddress.ip_address(a) for a in result.records] if result.ok else []
        if wanted in addresses:
            return Outcome(
                kind, "pass", f"{result.name} resolves back to {ip.address}", [result.name]
            )
        seen.append(result)
    if any(result.tempfail for result in seen):
        failed = next(result for result in seen if result.tempfail)
        return Outcome(kind, "tempfail", failed.describe())
    parts = [f"{r.name} resolves to {', '.join(r.records)}" if r.ok else r.describe() for r in seen]
    return Outcome(kind, "fail", f"no PTR name resolves back to {ip.address}: {'; '.join(parts)}")


def _dnsbl_outcome(zone: str, query: dns.Result, txt: dns.Result | None) -> Outcome:
    kind = IpCheck.Kind.DNSBL
    if query.tempfail:
        return Outcome(kind, "tempfail", query.describe())
    if query.absent:
        return Outcome(kind, "pass", f"not listed on {zone}")
    codes = sorted(set(query.records), key=ipaddress.ip_address)
    errors = [c for c in codes if ipaddress.ip_address(c) in _ERROR_NET]
    listings = [c for c in codes if ipaddress.ip_address(c) in _LISTING_NET and c not in errors]
    if not listings:
        if errors:
            reason = DNSBL_ERRORS.get(errors[0], "the blocklist refused the query")
            return Outcome(kind, "tempfail", f"{zone} answered {errors[0]}: {reason}", codes)
        return Outcome(
            kind,
            "tempfail",
            f"{zone} answered {', '.join(codes)}, which is not a blocklist return code "
            "(is a resolver rewriting NXDOMAIN answers?)",
            codes,
        )
    detail = f"listed on {zone}: " + "; ".join(explain_dnsbl_code(zone, c) for c in listings)
    if txt is not None and txt.ok and txt.records:
        detail += f" — {txt.records[0]}"
    return Outcome(kind, "fail", detail, listings)


def lookups_run(ips: list[DedicatedIp]) -> dict[int, dict[str, Outcome]]:
    """Every check of every IP, with two rounds of concurrent lookups."""
    zones = [name.split(":", 1)[1] for name, kind in check_names() if kind == IpCheck.Kind.DNSBL]
    first = []
    for ip in ips:
        first.append((dns.reverse_name(ip.address), "PTR"))
        first.extend((dnsbl_name(ip.address, zone), "A") for zone in zones)
    answers = iter(dns.lookup_many(first))
    ptrs, lists = {}, {}
    for ip in ips:
        ptrs[ip.pk] = next(answers)
        lists[ip.pk] = [next(answers) for _zone in zones]

    second = []
    for ip in ips:
        rdtype = "AAAA" if ipaddress.ip_address(ip.address).version == 6 else "A"
        second.extend((name, rdtype) for name in _fcrdns_names(ip, ptrs[ip.pk]))
        # The TXT record of a listing usually names the reason and the delisting page.
        second.extend((r.name, "TXT") for r in lists[ip.pk] if r.ok)
    more = iter(dns.lookup_many(second))
    results: dict[int, dict[str, Outcome]] = {}
    for ip in ips:
        ptr = ptrs[ip.pk]
        forward = [next(more) for _name in _fcrdns_names(ip, ptr)]
        outcomes = {PTR: _ptr_outcome(ip, ptr), FCRDNS: _fcrdns_outcome(ip, ptr, forward)}
        for zone, query in zip(zones, lists[ip.pk], strict=True):
            txt = next(more) if query.ok else None
            outcomes[f"dnsbl:{zone}"] = _dnsbl_outcome(zone, query, txt)
        results[ip.pk] = outcomes
    return results
