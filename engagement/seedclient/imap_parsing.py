"""Pure parsing for the IMAP seed client: search terms, FETCH answers, COPYUID codes, Gmail
labels. No connection here (engagement/seedclient/imap.py talks to the server)."""

from __future__ import annotations

import email.header
import email.parser
import re
from collections.abc import Iterable, Sequence

from engagement.seedclient.base import (
    PLACEMENT_INBOX,
    TEST_HEADER,
    CampaignCopy,
    Found,
    copy_token,
    normalize_message_id,
)

HEADER_KEY = b"BODY[HEADER.FIELDS (MESSAGE-ID)]"
FETCH_HEADER = b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"
_COPY_FIELDS = f"MESSAGE-ID SUBJECT {TEST_HEADER.upper()} AUTHENTICATION-RESULTS"
COPY_KEY = f"BODY[HEADER.FIELDS ({_COPY_FIELDS})]".encode()
FETCH_COPY = f"BODY.PEEK[HEADER.FIELDS ({_COPY_FIELDS})]".encode()

# Gmail shows its inbox categories as labels. The names below are the forms seen in the wild
# (the Gmail API's CATEGORY_* ids and the internal ^smartlabel_* names); we could not check
# them against a live Gmail account here, so the parser accepts all of them.
_CATEGORY_ALIASES = {
    "personal": "primary",
    "primary": "primary",
    "social": "social",
    "promo": "promotions",
    "promotions": "promotions",
    "notification": "updates",
    "updates": "updates",
    "group": "forums",
    "forums": "forums",
}
_CATEGORY_RE = re.compile(r"^(?:\^smartlabel_|category_|category/|\\category)(\w+)$", re.I)
_COPYUID_RE = re.compile(rb"COPYUID\s+(\d+)\s+([\d:,]+)\s+([\d:,]+)", re.I)


def gmail_category(labels: Iterable[bytes | str]) -> str:
    """The inbox category named by a message's X-GM-LABELS, or "" when none is."""
    for label in labels:
        text = label.decode(errors="replace") if isinstance(label, bytes) else label
        match = _CATEGORY_RE.match(text.strip().strip('"'))
        if match:
            category = _CATEGORY_ALIASES.get(match.group(1).lower())
            if category:
                return category
    return ""


def parse_uid_set(text: bytes | str) -> list[int]:
    """``1:3,7`` → [1, 2, 3, 7] (RFC 4315 uid-set, in the order given)."""
    if isinstance(text, bytes):
        text = text.decode()
    uids: list[int] = []
    for part in text.split(","):
        if ":" in part:
            low, high = (int(x) for x in part.split(":"))
            step = 1 if high >= low else -1
            uids.extend(range(low, high + step, step))
        elif part:
            uids.append(int(part))
    return uids


def parse_copyuid(data: Iterable[bytes]) -> dict[int, int]:
    """Source UID → destination UID from COPYUID response codes (UIDPLUS)."""
    mapping: dict[int, int] = {}
    for item in data:
        if not isinstance(item, bytes):
            continue
        match = _COPYUID_RE.search(item)
        if match is None and item[:1].isdigit():
            # imaplib files "[COPYUID v src dst]" under COPYUID with just "v src dst".
            match = _COPYUID_RE.search(b"COPYUID " + item)
        if match:
            sources, targets = parse_uid_set(match.group(2)), parse_uid_set(match.group(3))
            mapping.update(zip(sources, targets, strict=False))
    return mapping


def or_token_terms(tokens: Sequence[str]) -> list[str]:
    """Messages carrying any token in the test header or the subject, as a balanced OR tree."""
    if len(tokens) == 1:
        return ["OR", "HEADER", TEST_HEADER, tokens[0], "SUBJECT", tokens[0]]
    middle = len(tokens) // 2
    return ["OR", *or_token_terms(tokens[:middle]), *or_token_terms(tokens[middle:])]


def or_search_terms(message_ids: Sequence[str]) -> list[str]:
    """``HEADER Message-ID`` terms ORed as a balanced prefix tree (depth log2 n)."""
    if len(message_ids) == 1:
        return ["HEADER", "Message-ID", message_ids[0]]
    middle = len(message_ids) // 2
    return ["OR", *or_search_terms(message_ids[:middle]), *or_search_terms(message_ids[middle:])]


def server_message(exc: Exception) -> str:
    """The server's words from an IMAPClient error ("login failed: [AUTH…] …" → "[AUTH…] …")."""
    text = str(exc)
    for prefix in ("login failed: ", "authenticate failed: "):
        if text.lower().startswith(prefix):
            return text[len(prefix) :]
    return text


def found_from_fetch(
    response: dict[int, dict[bytes, object]], wanted: Sequence[str], *, folder: str, placement: str
) -> dict[str, Found]:
    """Turn a FETCH (FLAGS, Message-ID header, X-GM-LABELS) response into Found by Message-ID.

    SEARCH HEADER matches substrings, so the header is compared exactly here.
    """
    exact = {m: m for m in wanted}
    folded = {m.lower(): m for m in wanted}
    parser = email.parser.BytesHeaderParser()
    result: dict[str, Found] = {}
    for uid, data in response.items():
        header = data.get(HEADER_KEY) or b""
        value = parser.parsebytes(bytes(header)).get("Message-ID", "")
        value = normalize_message_id(" ".join(str(value).split())) if value else ""
        message_id = exact.get(value) or folded.get(value.lower())
        if message_id is None or message_id in result:
            continue
        flags = tuple(data.get(b"FLAGS", ()))
        result[message_id] = Found(
            message_id=message_id,
            folder=folder,
            uid=int(uid),
            placement=placement,
            category=gmail_category(data.get(b"X-GM-LABELS", ()) or ()),
            seen=b"\\Seen" in flags,
            flagged=b"\\Flagged" in flags,
        )
    return result


def copy_from(data, tokens, *, folder: str, uid: int, placement: str) -> CampaignCopy | None:
    headers = email.parser.BytesHeaderParser().parsebytes(bytes(data.get(COPY_KEY) or b""))
    subject = header_text(headers.get("Subject", ""))
    token = copy_token(tokens, header=str(headers.get(TEST_HEADER, "")), subject=subject)
    if token is None:
        return None
    results = headers.get_all("Authentication-Results") or [""]
    return CampaignCopy(
        token=token,
        folder=folder,
        uid=int(uid),
        placement=placement,
        message_id=" ".join(str(headers.get("Message-ID", "")).split()),
        subject=subject[:255],
        category=gmail_category(data.get(b"X-GM-LABELS", ()) or ()),
        authentication_results=" ".join(str(results[0]).split()),
    )


def header_text(value) -> str:
    """A header's text with RFC 2047 encoded words decoded ("=?utf-8?q?…?=")."""
    decoded = email.header.decode_header(str(value))
    parts = [
        text.decode(charset or "ascii", errors="replace") if isinstance(text, bytes) else text
        for text, charset in decoded
    ]
    return " ".join("".join(parts).split())


def by_folder(found: Iterable[Found]) -> dict[str, list[Found]]:
    groups: dict[str, list[Found]] = {}
    for item in found:
        groups.setdefault(item.folder, []).append(item)
    return groups


def moved_to(item: Found, folder: str, uid: int) -> Found:
    return Found(
        message_id=item.message_id,
        folder=folder,
        uid=uid,
        placement=PLACEMENT_INBOX,
        category=item.category,
        seen=item.seen,
        flagged=item.flagged,
    )


def strip_inbox_prefix(name: str) -> str:
    # Courier-style servers put every folder under INBOX ("INBOX.Junk", "INBOX/Spam").
    for prefix in ("INBOX.", "INBOX/"):
        if name.upper().startswith(prefix):
            return name[len(prefix) :]
    return name
