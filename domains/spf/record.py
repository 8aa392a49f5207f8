"""Reading one SPF record (RFC 7208 §4.5, §4.6.1, §5, §6, §7.1): text → `Record`, or `PermError`.

The whole record is checked before anything is evaluated (§4.6: a syntax error anywhere is a
permerror, even after a term that would match). Each `PermError` says what is wrong in words a
customer can act on, and carries advice on what to change.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass

DNS_TERMS = frozenset({"include", "a", "mx", "ptr", "exists"})
MECHANISMS = frozenset({"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"})
QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
# Macro letters allowed in domain-specs; c, r and t only in explanation texts (§7.1).
DOMAIN_MACRO_LETTERS = "slodiphv"
ALL_MACRO_LETTERS = "slodiphvcrt"


class PermError(Exception):
    """The record cannot be used (RFC 7208 permerror). The message says why, for people;
    `advice` what to change, when there is something more specific than "correct that term"."""

    def __init__(self, message: str, advice: str = ""):
        super().__init__(message)
        self.advice = advice


def is_spf_record(text: str) -> bool:
    """§4.5: "v=spf1" (any case) alone or followed by a space; anything else is not SPF."""
    lowered = text.lower()
    return lowered == "v=spf1" or lowered.startswith("v=spf1 ")


def why_not_spf(text: str) -> str | None:
    """For a TXT record meant as SPF that receivers do not read as SPF: why, in words."""
    if is_spf_record(text):
        return None
    bare = text.strip().strip("\"'").strip()
    lowered = bare.lower()
    if not lowered.startswith("v=spf") or lowered.startswith("v=spf2"):
        return None  # not SPF at all, or Sender ID (v=spf2.0, RFC 4406), which is not SPF
    if bare != text and is_spf_record(bare):
        return (
            "it starts with a quote or a space, which DNS keeps as part of the value "
            "(enter the record without quotes)"
        )
    if lowered.startswith("v=spf1"):
        return "v=spf1 must be followed by a space"
    return "an SPF record starts with exactly v=spf1"


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
    redirect: Term | None = None
    exp: Term | None = None  # checked, never looked up: explanations are optional (§6.2)


# --- the record as a whole ------------------------------------------------------------------------

_CHARACTER_NAMES = {
    "\r": "a carriage return (CR)",
    "\n": "a line feed (LF)",
    "\t": "a tab",
    "\0": "a NUL byte",
    "\ufffd": "bytes that are not text",  # what undecodable bytes became (warmup_site.dns)
}

CONTROL_ADVICE = (
    "Publish the record again on one line, with single spaces between the terms: some DNS "
    "hosts keep the line break of a pasted record."
)
NON_ASCII_ADVICE = (
    "Retype that term by hand: SPF records are plain ASCII, and a character pasted from a "
    "document (an invisible byte-order mark, a curly quote, a long dash, a non-breaking space) "
    "makes receivers reject the whole record."
)


_PRINTABLE_ASCII = re.compile(r"[ -~]*")


def _check_characters(text: str) -> None:
    """§3 and §4.6.1: terms are separated by spaces only, and records are 7-bit ASCII."""
    if _PRINTABLE_ASCII.fullmatch(text):
        return  # the usual case, decided in C
    for index, char in enumerate(text):
        if " " <= char <= "~":
            continue
        start = text.rfind(" ", 0, index) + 1
        end = text.find(" ", index)
        term = text[start : end if end >= 0 else len(text)]
        if char in _CHARACTER_NAMES:
            what = _CHARACTER_NAMES[char]
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            what = f"the control character U+{ord(char):04X}"
        else:
            name = unicodedata.name(char, "").lower()
            what = f"the non-ASCII character U+{ord(char):04X}" + (f" ({name})" if name else "")
        ascii_only = ord(char) < 0x80
        raise PermError(
            f"it contains {what} in {term!r}; "
            + (
                "SPF records hold printable characters, with terms separated by spaces only"
                if ascii_only
                else "SPF records may hold ASCII characters only"
            ),
            CONTROL_ADVICE if ascii_only else NON_ASCII_ADVICE,
        )


def parse(text: str) -> Record:
    """Parse one SPF record; raises PermError naming the first thing that is not valid."""
    _check_characters(text)
    tokens = [token for token in text.split(" ") if token]
    if not tokens or tokens[0].lower() != "v=spf1":
        raise PermError("it does not start with v=spf1")
    mechanisms: list[Term] = []
    modifiers: dict[str, Term] = {}
    for token in tokens[1:]:
        term = parse_term(token)
        if not term.is_modifier:
            mechanisms.append(term)
        elif term.name in ("redirect", "exp"):
            if term.name in modifiers:
                raise PermError(f"it has {term.name}= twice", "Keep only one of them.")
            modifiers[term.name] = term
    return Record(
        text=text,
        mechanisms=tuple(mechanisms),
        redirect=modifiers.get("redirect"),
        exp=modifiers.get("exp"),
    )


# --- one term -------------------------------------------------------------------------------------

_MODIFIER = re.compile(r"^([a-z][a-z0-9_.\-]*)=(.*)$", re.IGNORECASE)
_MECHANISM = re.compile(r"^([+\-~?]?)([a-z][a-z0-9]*)(.*)$", re.IGNORECASE)
# a and mx: [":" domain-spec] [ip4-cidr-length] ["/" ip6-cidr-length]. A prefix length is only
# recognised at the very end, because a domain-spec may itself hold "/" and ":" (§7.1).
_A_MX_REST = re.compile(r"^(?::(.*?))?(?:/([0-9]+))?(?://([0-9]+))?$", re.DOTALL)
_IP_REST = re.compile(r"^:([^/]*)(?:/([0-9]+))?$")
_EXAMPLE_NET = {"ip4": "192.0.2.0/24", "ip6": "2001:db8::/32"}
MODIFIER_NAME_RULE = (
    "a modifier's name starts with a letter and holds only letters, digits, '-', '_' and '.', "
    "then '='"
)


def parse_term(token: str) -> Term:
    """One space-separated term (a mechanism with its qualifier, or a modifier)."""
    _check_characters(token)
    modifier = _MODIFIER.match(token)
    if modifier:
        name, value = modifier.group(1).lower(), modifier.group(2)
        if name in ("redirect", "exp"):
            check_domain_spec(value, token)
        else:  # unknown modifiers are ignored, but must still be valid (§6, Appendix A)
            check_macro_string(value, token, letters=ALL_MACRO_LETTERS)
        return Term(token, name, argument=value, is_modifier=True)
    match = _MECHANISM.match(token)
    if not match or match.group(2).lower() not in MECHANISMS:
        if "=" in token:
            raise PermError(f"{token!r} is not a valid modifier: {MODIFIER_NAME_RULE}")
        raise PermError(f"{token!r} is not an SPF mechanism")
    qualifier = match.group(1) or "+"
    name, rest = match.group(2).lower(), match.group(3)
    if rest and rest[0] not in ":/":
        # "mx.example.com" or "include.example.com": a domain joined to the mechanism's name
        meant = rest[1:] if name in DNS_TERMS and rest.startswith(".") else ""
        raise PermError(
            f"{token!r} is not an SPF mechanism",
            f"To name the domain {meant}, write {name}:{meant}." if meant else "",
        )
    if name == "all":
        if rest:
            raise PermError(f"{token!r}: 'all' takes nothing after it")
        return Term(token, name, qualifier)
    if name in ("ip4", "ip6"):
        return _ip_term(token, qualifier, name, rest)
    argument = cidr4 = cidr6 = None
    if name in ("a", "mx"):
        parts = _A_MX_REST.match(rest)
        if not parts:
            raise PermError(f"{token!r} has an invalid prefix length")
        argument, length4, length6 = parts.groups()
        cidr4 = _prefix_length(token, length4, 32)
        cidr6 = _prefix_length(token, length6, 128)
    elif rest.startswith(":"):
        argument = rest[1:]
    elif rest:
        raise PermError(f"{token!r}: only a, mx, ip4 and ip6 take a prefix length")
    elif name in ("include", "exists"):
        raise PermError(f"{token!r} needs a domain, like {name}:example.com")
    if argument is not None:
        check_domain_spec(argument, token)
    return Term(token, name, qualifier, argument=argument, cidr4=cidr4, cidr6=cidr6)


def _ip_term(token: str, qualifier: str, name: str, rest: str) -> Term:
    parts = _IP_REST.match(rest)
    if not rest.startswith(":") or rest == ":":
        raise PermError(f"{token!r} needs an address, like {name}:{_EXAMPLE_NET[name]}")
    if not parts:
        raise PermError(f"{token!r} is not a valid {name} network")
    address_text, length_text = parts.groups()
    maximum = 32 if name == "ip4" else 128
    length = _prefix_length(token, length_text, maximum)
    try:
        if "%" in address_text:  # an IPv6 scope (fe80::1%eth0) means nothing in DNS
            raise ValueError(address_text)
        address = ipaddress.ip_address(address_text)
    except ValueError:
        raise PermError(f"{token!r} is not a valid {name} network") from None
    if address.version != int(name[-1]):
        raise PermError(
            f"{token!r} holds an IPv{address.version} address",
            f"Write it as ip{address.version}:{address_text}.",
        )
    network = ipaddress.ip_network(f"{address}/{maximum if length is None else length}", False)
    return Term(token, name, qualifier, argument=str(network))


def _prefix_length(token: str, text: str | None, maximum: int) -> int | None:
    if text is None:
        return None
    if len(text) > 1 and text.startswith("0"):
        # §5.6: ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT): no leading zeros.
        raise PermError(
            f"{token!r} writes the prefix length /{text} with a leading zero",
            f"Write /{int(text)} instead of /{text}.",
        )
    if int(text) > maximum:
        raise PermError(f"{token!r} has a prefix length out of range (at most /{maximum})")
    return int(text)


# --- domain-specs and macro-strings (§7.1) --------------------------------------------------------

# macro-expand = "%{" letter *DIGIT ["r"] *delimiter "}" / "%%" / "%_" / "%-"
MACRO = re.compile(r"%\{([a-z])([0-9]*)(r?)([.\-+,/_=]*)\}|%%|%_|%-", re.IGNORECASE)
# domain-end = "." toplabel ["."] / macro-expand; a toplabel is not all digits, and a dash may
# not start or end it.
_DOMAIN_END = re.compile(
    r"\.(?:[a-z0-9]*[a-z][a-z0-9]*|[a-z0-9]+-[a-z0-9\-]*[a-z0-9])\.?$", re.IGNORECASE
)


def check_macro_string(text: str, token: str, *, letters: str) -> int:
    """Every "%" starts a valid macro; returns where the last macro ends (0 if none)."""
    index = end_of_last_macro = 0
    while index < len(text):
        if text[index] != "%":
            index += 1
            continue
        macro = MACRO.match(text, index)
        if not macro:
            raise PermError(
                f"{token!r} has a '%' that does not start a macro",
                "Write %% for a percent sign, or a macro such as %{i} or %{d}.",
            )
        letter, digits = macro.group(1), macro.group(2)
        if letter and letter.lower() not in letters:
            raise PermError(
                f"{token!r} uses the macro %{{{letter}}}, which "
                + (
                    "only explanation texts may use"
                    if letter.lower() in ALL_MACRO_LETTERS
                    else "is not an SPF macro"
                )
            )
        if digits and int(digits) == 0:
            raise PermError(f"{token!r}: the macro {macro.group(0)} keeps zero labels")
        index = end_of_last_macro = macro.end()
    return end_of_last_macro


def check_domain_spec(spec: str, token: str) -> None:
    """domain-spec = macro-string domain-end (§7.1); checked before expansion, never after."""
    if not spec:
        raise PermError(f"{token!r} has nothing after {token[-1]!r}: it needs a domain")
    end_of_last_macro = check_macro_string(spec, token, letters=DOMAIN_MACRO_LETTERS)
    tail = spec[end_of_last_macro:]
    if not tail or _DOMAIN_END.search(tail):
        return
    advice = ""
    try:
        address = ipaddress.ip_address(spec)
    except ValueError:
        pass
    else:
        advice = f"To authorise an address, write ip{address.version}:{spec}."
    raise PermError(
        f"{token!r} does not name a domain: a domain ends in a dot and a top-level label, "
        "as in example.com",
        advice,
    )
