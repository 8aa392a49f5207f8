"""Domain-name validation and normalisation, shared by every app that takes a domain as input.

Domains are stored as lower-case A-labels (`xn--bcher-kva.de`) and shown as U-labels
(`bücher.de`). Errors are ValueError with a reason that completes the sentence
"<the value> …", so callers can prefix the field name.
"""

import ipaddress
import re

import idna

MAX_LENGTH = 253
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalise_domain(value: str) -> str:
    text = value.strip()
    if text.endswith("."):
        text = text[:-1]
    if not text:
        raise ValueError("is empty")
    if "@" in text:
        raise ValueError("looks like an email address; give only the part after the @")
    if "*" in text:
        raise ValueError("is a wildcard; give one domain name, such as example.com")
    if _is_ip_literal(text):
        raise ValueError("is an IP address, not a domain name")
    if not text.isascii():
        try:
            text = idna.encode(text, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise ValueError(f"is not a valid internationalised domain name ({exc})") from None
    text = text.lower()
    if len(text) > MAX_LENGTH:
        raise ValueError(f"is {len(text)} characters long; a domain name has at most {MAX_LENGTH}")
    labels = text.split(".")
    if len(labels) < 2:
        raise ValueError("needs at least two labels, like example.com")
    for label in labels:
        _check_label(label)
    return text


def domain_and_parents(name: str) -> list[str]:
    """`a.b.example.com` → [`a.b.example.com`, `b.example.com`, `example.com`]: the name and
    its parents with at least two labels, longest first."""
    labels = name.split(".")
    return [".".join(labels[i:]) for i in range(max(len(labels) - 1, 1))]


def _check_label(label: str) -> None:
    if not label:
        raise ValueError("has an empty label (two dots in a row)")
    if len(label) > 63:
        raise ValueError(f"has a label of {len(label)} characters; the limit is 63")
    if not _LABEL.match(label):
        raise ValueError(
            f"has the label {label!r}: labels may only hold letters, digits and hyphens, "
            "and may not start or end with a hyphen"
        )
    if label.startswith("xn--"):
        try:
            idna.decode(label)
        except idna.IDNAError:
            raise ValueError(f"has the label {label!r}, which is not valid punycode") from None


def to_unicode(domain: str) -> str:
    """The U-label form for display; the input unchanged if it cannot be decoded."""
    if "xn--" not in domain:
        return domain
    try:
        return idna.decode(domain)
    except idna.IDNAError:
        return domain


_IP_CHARS = re.compile(r"[0-9a-fA-F:.\[\]]+")


def _is_ip_literal(text: str) -> bool:
    if not _IP_CHARS.fullmatch(text):
        return False  # the common case, decided without raising and catching
    candidate = text.strip("[]")
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return bool(re.fullmatch(r"[0-9.]*[0-9][0-9.]*", text))  # 10.1.2 and friends: no domains
    return True
