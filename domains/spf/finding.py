"""The Verified Domains check of a domain's SPF record: a `Finding` in plain words, and the record
to publish (the customer's own terms with our include merged in)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from domains.findings import Finding, Status, tempfail_detail
from domains.resolution import gather
from domains.spf.evaluation import (
    MAX_DNS_TERMS,
    NONE,
    PASS,
    PERMERROR,
    TEMPERROR,
    Outcome,
    evaluate,
    normalise_host,
)
from domains.spf.record import (
    MECHANISMS,
    QUALIFIERS,
    PermError,
    parse_term,
    why_not_spf,
)

# --- the value to publish -------------------------------------------------------------------------

_MODIFIER_TOKEN = re.compile(r"^[a-z][a-z0-9_.\-]*=", re.IGNORECASE)
# Characters that word processors and web forms put into pasted records, and what they stood for.
_LOOKALIKES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212", "-"))


def _term_name(token: str) -> str:
    bare = token.lstrip("+-~?")
    return re.split("[:/=]", bare, maxsplit=1)[0].lower()


def _is_our_include(token: str, include: str) -> bool:
    bare = token.lstrip("+-~?")
    return _term_name(token) == "include" and normalise_host(bare.partition(":")[2]) == include


def _readable(token: str) -> str | None:
    """The term as receivers can read it: as written, repaired, or None if beyond repair.

    Repairs are the mechanical ones: invisible format characters (a byte-order mark, a zero-width
    space) removed, typographic dashes made hyphens, leading zeros dropped from prefix lengths.
    """
    try:
        parse_term(token)
    except PermError:
        pass
    else:
        return token
    repaired = "".join(c for c in token if unicodedata.category(c) != "Cf").translate(_LOOKALIKES)
    repaired = re.sub(r"(?<=/)0+(?=[0-9])", "", repaired)
    try:
        parse_term(repaired)
    except PermError:
        return None
    return repaired


def _terms(records: Iterable[str]) -> list[tuple[str, str | None]]:
    """(term as written, as receivers can read it) for every term after v=spf1.

    split() breaks at any whitespace, so a line break or a non-breaking space that joined two
    terms separates them again.
    """
    return [(token, _readable(token)) for record in records for token in record.split()[1:]]


def merged_record(existing: Iterable[str], include: str) -> str:
    """The customer's SPF record with our include merged in (two records become one).

    Our include goes before the first `all` (evaluation stops there), or after the last
    mechanism when there is no `all`; every other term is kept as written, repaired when
    receivers could not read it as written, and left out when it cannot be repaired.
    """
    return _merge(_terms(existing), normalise_host(include))


def _merge(terms: list[tuple[str, str | None]], include: str) -> str:
    mechanisms: list[str] = []
    modifiers: list[str] = []
    all_term: str | None = None
    for _written, token in terms:
        if token is None or _is_our_include(token, include):
            continue
        if _MODIFIER_TOKEN.match(token) and _term_name(token) not in MECHANISMS:
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
    terms = _terms(records)
    suggestion = _merge(terms, include)
    usage = f"It uses {via_include.lookups} of the {MAX_DNS_TERMS} DNS lookups SPF allows."
    ptr = _ptr_note(terms)

    if via_include.result == TEMPERROR:
        return _tempfail(found, via_include, ptr)
    if via_include.result == PASS:
        chain = " → ".join(via_include.matched)
        return Finding(
            Status.OK,
            found,
            f"Your SPF record authorises Warmup through {chain}. {usage}{ptr}",
            value=records[0],
        )
    if via_include.result == NONE:
        near = via_include.near_misses
        if near:
            return Finding(
                Status.MISSING,
                "\n".join(near),
                f"Receivers find no SPF record at {domain} (result none): your TXT record "
                f"{near[0]!r} looks meant as one, but {why_not_spf(near[0])}. Replace it with "
                "the record shown.",
                value=merged_record([_as_spf(near[0])], include),
            )
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
            f"{via_include.advice or 'Correct that term.'}{_repairs_note(terms)}"
            f" The record shown merges your terms with ours.{ptr}",
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
                f"Your SPF record authorises your sending IPs: {detail}. {usage}{ptr}",
                value=records[0],
            )
        failed = next((o for o in ip_results if o.result == TEMPERROR), None)
        if failed:
            return _tempfail(found, failed, ptr)
    detail = _why_not_authorised(records[0], include, via_include)
    if ip_results:
        unauthorised = [
            f"{ip} ({outcome.result}{', ' + outcome.reason if outcome.reason else ''})"
            for ip, outcome in zip(ips, ip_results, strict=True)
            if outcome.result != PASS
        ]
        detail += f" Your sending IPs are not all authorised either: {', '.join(unauthorised)}."
    return Finding(Status.MISMATCH, found, detail + ptr, value=suggestion)


def _as_spf(near_miss: str) -> str:
    """A near-miss record read as SPF, to merge its terms: "v=spf1mx" gives nothing to keep."""
    text = near_miss.strip().strip("\"'").strip()
    return text if text.lower().startswith("v=spf1 ") else "v=spf1"


def _gather_ips(domain: str, ips: list[str]):
    return (yield from gather(*(evaluate(domain, ip=ip) for ip in ips)))


def _tempfail(found: str, outcome: Outcome, ptr: str) -> Finding:
    detail = tempfail_detail("your SPF record", outcome.reason)
    return Finding(Status.ERROR, found, f"{detail} {outcome.advice}".rstrip() + ptr)


def _ptr_note(terms: list[tuple[str, str | None]]) -> str:
    """Advice against ptr in the customer's own record (what they include is not theirs)."""
    ptr_terms = list(dict.fromkeys(t for _w, t in terms if t and _term_name(t) == "ptr"))
    if not ptr_terms:
        return ""
    return (
        f" Your record uses {', '.join(ptr_terms)}, which RFC 7208 asks senders not to use: "
        "it is slow, costs receivers many lookups, and some receivers ignore it, so mail "
        "that only ptr authorises may fail there. Replace it with ip4:/ip6: ranges of those "
        "servers, or with a or mx terms."
    )


def _repairs_note(terms: list[tuple[str, str | None]]) -> str:
    notes = []
    for written, readable in terms:
        if readable is None:
            notes.append(f"leaves out {written!r}, which receivers cannot read")
        elif readable != written:
            notes.append(f"writes {written!r} as {readable}")
    return f" The record shown {'; '.join(notes)}." if notes else ""


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
