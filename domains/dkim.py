"""DKIM keys (RSA-2048) and the check of a published DKIM key record (RFC 6376 §3.6.1)."""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.utils import timezone

from domains.findings import Finding, Status, tempfail_detail

KEY_BITS = 2048


@dataclass(frozen=True)
class KeyPair:
    private_pem: str  # PKCS#8 PEM: encrypt before storing, never log
    public_b64: str  # base64 DER SubjectPublicKeyInfo, what p= holds

    def __repr__(self) -> str:  # keep the private key out of tracebacks and logs
        return f"KeyPair(public_b64={self.public_b64[:16]}…)"


def generate_key_pair() -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    public_der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return KeyPair(private_pem, base64.b64encode(public_der).decode("ascii"))


def new_selector() -> str:
    """`<prefix>-<yyyymm>-<4 hex>`: dated for people, random so that selectors never repeat
    (not across rotations, nor between two accounts that add the same domain)."""
    prefix = settings.WARMUP_DKIM_SELECTOR_PREFIX
    return f"{prefix}-{timezone.now():%Y%m}-{secrets.token_hex(2)}"


def record_host(selector: str, domain: str) -> str:
    return f"{selector}._domainkey.{domain}"


def parse_tags(text: str) -> dict[str, str]:
    """`v=DKIM1; k=rsa; p=MIIB…` → {"v": "DKIM1", "k": "rsa", "p": "MIIB…"}.

    Whitespace inside values is dropped (DNS hosts wrap long keys), tag names are folded to
    lower case (some hosts upper-case what they are given), and a repeated tag is an error.
    """
    tags: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"{part.strip()!r} is not a tag=value pair")
        name = name.strip().lower()
        if name in tags:
            raise ValueError(f"the tag {name}= appears twice")
        tags[name] = "".join(value.split())
    return tags


def _decoded(b64: str) -> bytes | None:
    try:
        return base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        return None


def _describe_key(b64: str) -> str:
    return f"{b64[:12]}…{b64[-8:]}" if len(b64) > 24 else b64


def check(host: str, public_b64: str):
    """Finding for the DKIM key record at `host` (a generator: yields lookups).

    CNAME delegation is followed by the lookup itself; `found` names the chain.
    """
    (result,) = yield [(host, "TXT")]
    if result.tempfail:
        return Finding(
            Status.ERROR, "", tempfail_detail(f"the DKIM record at {host}", result.error)
        )
    if result.absent:
        return Finding(
            Status.MISSING,
            result.describe(),
            f"There is no DKIM record at {host}. Publish the TXT record shown there: receivers "
            "use it to check the signature on your mail. Many DNS hosts want only the part "
            f"before ._domainkey… as the name, or split the long value for you: both are fine.",
        )
    via = f" (through CNAME to {result.canonical_name})" if result.cname_chain else ""
    candidates = [r for r in result.records if "p=" in r.replace(" ", "").lower()]
    found = "\n".join(result.records) + via
    if not candidates:
        return Finding(
            Status.MISMATCH,
            found,
            f"The TXT record at {host}{via} is not a DKIM key (it has no p= tag). Replace it "
            "with the record shown.",
        )
    if len(candidates) > 1:
        return Finding(
            Status.MISMATCH,
            found,
            f"There are {len(candidates)} DKIM records at {host}{via}; receivers may pick any "
            "of them. Keep only the record shown.",
        )
    try:
        tags = parse_tags(candidates[0])
    except ValueError as exc:
        return Finding(
            Status.MISMATCH,
            found,
            f"The DKIM record at {host} cannot be read: {exc}. Replace it with the record shown.",
        )
    version = tags.get("v")
    if version is not None and version != "DKIM1":
        return Finding(
            Status.MISMATCH,
            found,
            f"The DKIM record at {host} says v={version}; it must be v=DKIM1 (or leave v= out).",
        )
    if tags.get("k", "rsa").lower() != "rsa":
        return Finding(
            Status.MISMATCH,
            found,
            f"The DKIM record at {host} is for a k={tags['k']} key; ours is k=rsa. Replace it "
            "with the record shown.",
        )
    published = tags.get("p", "")
    if not published:
        return Finding(
            Status.MISMATCH,
            found,
            f"The DKIM record at {host} has an empty p=, which means the key was revoked. "
            "Publish the record shown.",
        )
    if _decoded(published) != _decoded(public_b64) or _decoded(published) is None:
        return Finding(
            Status.MISMATCH,
            found,
            f"The DKIM record at {host} holds a different key ({_describe_key(published)}) "
            f"than ours ({_describe_key(public_b64)}). Often the value was cut short or a "
            "character was lost while copying. Replace it with the record shown, in full.",
        )
    return Finding(Status.OK, found, f"The DKIM key at {host}{via} matches ours.")
