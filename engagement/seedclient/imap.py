"""The seed client over real IMAP (IMAPClient): password or OAuth2 XOAUTH2 login, batch actions.

Round trips are the cost that matters — a sweep touches every seed every few minutes, and
providers throttle chatty clients — so every operation works on a whole batch:

* ``locate``: per folder one SELECT, one ``UID SEARCH`` whose terms are the Message-IDs ORed
  together (a balanced OR tree, so a server's parser recurses log2(n) deep, not n), and one
  ``UID FETCH`` of flags + the Message-ID header (+ ``X-GM-LABELS`` on Gmail) for the hits.
  Batches above ``SEARCH_CHUNK`` ids are split, only to keep a command line well under
  servers' limits (Dovecot refuses lines over 64 KiB).
* actions: one SELECT per source folder (skipped when it is already selected) and one
  ``UID MOVE`` / ``UID STORE`` for every message in it.

``round_trips`` is read from imaplib's own tag counter, so it counts every tagged command the
connection sent — including the ones IMAPClient issues on its own (CAPABILITY after login).
"""

from __future__ import annotations

import contextlib
import email.header
import email.parser
import logging
import re
import ssl
from collections.abc import Iterable, Sequence
from datetime import datetime

import imapclient
from django.conf import settings
from imapclient import exceptions as imap_errors

from engagement.seedclient import oauth
from engagement.seedclient.base import (
    AUTH_OAUTH2,
    DEFAULT_WARMUP_FOLDER,
    KNOWN_SPAM_FOLDERS,
    PLACEMENT_INBOX,
    PLACEMENT_SPAM,
    TEST_HEADER,
    TLS_SSL,
    TLS_STARTTLS,
    CampaignCopy,
    Found,
    LoginFailed,
    SeedClientError,
    SeedEndpoint,
    SpamFolderUnknown,
    copy_token,
    normalize_message_id,
    tls_context,
)
from engagement.seedclient.limits import HostSlot, acquire_host_slot

logger = logging.getLogger(__name__)

INBOX = "INBOX"
SEARCH_CHUNK = 250  # ~60 bytes per id → ~15 KB per SEARCH line

JUNK_FLAG = b"\\Junk"
TRASH_FLAG = b"\\Trash"
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


def _server_message(exc: Exception) -> str:
    """The server's words from an IMAPClient error ("login failed: [AUTH…] …" → "[AUTH…] …")."""
    text = str(exc)
    for prefix in ("login failed: ", "authenticate failed: "):
        if text.lower().startswith(prefix):
            return text[len(prefix) :]
    return text


class ImapSeedClient:
    """A logged-in IMAP connection to one seed; use :func:`connect`."""

    def __init__(self, endpoint: SeedEndpoint, imap: imapclient.IMAPClient, slot: HostSlot | None):
        self.endpoint = endpoint
        self._imap = imap
        self._slot = slot
        self._selected: str | None = None
        self._selected_exists = 0
        self._folders: dict[str, tuple[bytes, ...]] | None = None
        self._spam: str | None = None
        self._capabilities = {c.upper() for c in imap.capabilities()}
        self.gmail = b"X-GM-EXT-1" in self._capabilities
        self.has_move = b"MOVE" in self._capabilities
        self.has_uidplus = b"UIDPLUS" in self._capabilities

    # --- connection -----------------------------------------------------------------------------

    @classmethod
    def connect(cls, endpoint: SeedEndpoint) -> ImapSeedClient:
        slot = acquire_host_slot(
            endpoint.imap_host,
            limit=settings.WARMUP_IMAP_MAX_CONNECTIONS_PER_HOST,
            wait_seconds=settings.WARMUP_IMAP_CONNECTION_WAIT,
            directory=settings.WARMUP_IMAP_SLOT_DIR,
        )
        imap = None
        try:
            imap = cls._open_socket(endpoint)
            cls._login(endpoint, imap)
            return cls(endpoint, imap, slot)
        except BaseException:
            if imap is not None:
                with contextlib.suppress(Exception):  # the socket may already be gone
                    imap.shutdown()
            slot.release()
            raise

    @staticmethod
    def _open_socket(endpoint: SeedEndpoint) -> imapclient.IMAPClient:
        where = f"{endpoint.imap_host}:{endpoint.imap_port}"
        try:
            imap = imapclient.IMAPClient(
                endpoint.imap_host,
                port=endpoint.imap_port,
                ssl=endpoint.imap_tls == TLS_SSL,
                ssl_context=tls_context() if endpoint.imap_tls == TLS_SSL else None,
                timeout=settings.WARMUP_IMAP_TIMEOUT,
            )
            if endpoint.imap_tls == TLS_STARTTLS:
                imap.starttls(tls_context())
        except (TimeoutError, OSError, ssl.SSLError) as exc:
            raise SeedClientError(f"cannot connect to {where}: {exc}") from None
        except imap_errors.IMAPClientError as exc:
            raise SeedClientError(f"{where}: {exc}") from None
        return imap

    @staticmethod
    def _login(endpoint: SeedEndpoint, imap: imapclient.IMAPClient) -> None:
        try:
            if endpoint.auth == AUTH_OAUTH2:
                token, cached = oauth.access_token(endpoint)
                try:
                    imap.oauth2_login(endpoint.username, token)
                except imap_errors.LoginError:
                    if not cached:
                        raise
                    # A cached token can be revoked before its expiry: fetch a new one, once.
                    oauth.forget(endpoint)
                    token, _ = oauth.access_token(endpoint)
                    imap.oauth2_login(endpoint.username, token)
            else:
                imap.login(endpoint.username, endpoint.secret)
        except imap_errors.LoginError as exc:
            raise LoginFailed(_server_message(exc)) from None
        except imap_errors.IMAPClientError as exc:
            raise SeedClientError(_server_message(exc)) from None
        except OSError as exc:
            raise SeedClientError(f"connection lost during login: {exc}") from None

    @property
    def round_trips(self) -> int:
        return self._imap._imap.tagnum

    def close(self) -> None:
        try:
            self._imap.logout()
        except Exception:  # closing a dead connection must not raise
            with contextlib.suppress(Exception):
                self._imap.shutdown()
        finally:
            if self._slot is not None:
                self._slot.release()
                self._slot = None

    def __enter__(self) -> ImapSeedClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- folders --------------------------------------------------------------------------------

    def _run(self, what: str, call, *args, **kwargs):
        """Call IMAPClient, turning its errors into SeedClientError with the server's words."""
        try:
            return call(*args, **kwargs)
        except imap_errors.IMAPClientError as exc:
            self._selected = None
            raise SeedClientError(f"{what}: {_server_message(exc)}") from None
        except OSError as exc:
            self._selected = None
            raise SeedClientError(f"{what}: connection lost: {exc}") from None

    def folders(self) -> dict[str, tuple[bytes, ...]]:
        """Folder name → flags, from one LIST per connection."""
        if self._folders is None:
            listing = self._run("LIST", self._imap.list_folders)
            self._folders = {name: tuple(flags) for flags, _delimiter, name in listing}
        return self._folders

    def spam_folder(self) -> str:
        if self._spam is not None:
            return self._spam
        folders = self.folders()
        remembered = self.endpoint.spam_folder
        if remembered and remembered in folders:
            self._spam = remembered
            return remembered
        for name, flags in folders.items():
            if JUNK_FLAG in flags:
                self._spam = name
                return name
        if b"SPECIAL-USE" in self._capabilities:
            # Some servers only show special-use flags to LIST (SPECIAL-USE) (RFC 6154 §5.1).
            found = self._run("LIST (SPECIAL-USE)", self._imap.find_special_folder, JUNK_FLAG)
            if found:
                self._spam = found
                return found
        by_lower = {_strip_inbox_prefix(name).lower(): name for name in folders}
        for candidate in KNOWN_SPAM_FOLDERS:
            if candidate.lower() in by_lower:
                self._spam = by_lower[candidate.lower()]
                return self._spam
        names = ", ".join(sorted(folders)) or "none"
        raise SpamFolderUnknown(
            f"no folder is flagged \\Junk and none has a known spam folder name "
            f"({', '.join(KNOWN_SPAM_FOLDERS)}); folders: {names}"
        )

    def _select(self, folder: str) -> int:
        """Select ``folder`` read-write unless it already is; the number of messages in it."""
        if self._selected != folder:
            response = self._run(f"SELECT {folder}", self._imap.select_folder, folder)
            self._selected = folder
            self._selected_exists = int(response.get(b"EXISTS", 0))
        return self._selected_exists

    def _ensure_folder(self, folder: str) -> None:
        if folder not in self.folders():
            try:
                self._imap.create_folder(folder)
            except imap_errors.IMAPClientError as exc:
                # Another connection may have created it a moment ago.
                if "ALREADYEXISTS" not in str(exc).upper():
                    raise SeedClientError(f"CREATE {folder}: {_server_message(exc)}") from None
            self.folders()[folder] = ()

    # --- locate ---------------------------------------------------------------------------------

    def locate(self, message_ids: Sequence[str]) -> dict[str, Found]:
        wanted = list(dict.fromkeys(normalize_message_id(m) for m in message_ids if m.strip()))
        if not wanted:
            return {}
        spam = self.spam_folder()
        folders = [INBOX, spam]
        warmup = self._warmup_folder()
        if warmup and warmup not in folders:
            folders.append(warmup)
        found: dict[str, Found] = {}
        for folder in folders:
            remaining = [m for m in wanted if m not in found]
            if not remaining:
                break
            placement = PLACEMENT_SPAM if folder == spam else PLACEMENT_INBOX
            found.update(self._locate_in(folder, remaining, placement))
        return found

    def _warmup_folder(self) -> str | None:
        names = self.folders()
        return DEFAULT_WARMUP_FOLDER if DEFAULT_WARMUP_FOLDER in names else None

    def _locate_in(self, folder: str, message_ids: list[str], placement: str) -> dict[str, Found]:
        if self._select(folder) == 0:
            return {}  # an empty folder needs no SEARCH
        uids: list[int] = []
        for start in range(0, len(message_ids), SEARCH_CHUNK):
            chunk = message_ids[start : start + SEARCH_CHUNK]
            uids.extend(self._run(f"SEARCH {folder}", self._imap.search, or_search_terms(chunk)))
        if not uids:
            return {}
        items = [b"FLAGS", FETCH_HEADER]
        if self.gmail:
            items.append(b"X-GM-LABELS")
        response = self._run(f"FETCH {folder}", self._imap.fetch, sorted(set(uids)), items)
        return found_from_fetch(response, message_ids, folder=folder, placement=placement)

    # --- placement tests ------------------------------------------------------------------------

    def find_copies(self, tokens: Sequence[str]) -> dict[str, CampaignCopy]:
        wanted = list(dict.fromkeys(t for t in tokens if t.strip()))
        if not wanted:
            return {}
        spam = self.spam_folder()
        folders = [spam, INBOX] if self._selected == spam else [INBOX, spam]
        found: dict[str, CampaignCopy] = {}
        for folder in folders:
            remaining = [t for t in wanted if t not in found]
            if not remaining or self._select(folder) == 0:
                continue
            uids: list[int] = []
            for start in range(0, len(remaining), SEARCH_CHUNK):
                terms = or_token_terms(remaining[start : start + SEARCH_CHUNK])
                uids.extend(self._run(f"SEARCH {folder}", self._imap.search, terms))
            if not uids:
                continue
            items = [b"FLAGS", FETCH_COPY]
            if self.gmail:
                items.append(b"X-GM-LABELS")
            response = self._run(f"FETCH {folder}", self._imap.fetch, sorted(set(uids)), items)
            placement = PLACEMENT_SPAM if folder == spam else PLACEMENT_INBOX
            for uid, data in sorted(response.items()):
                copy = _copy_from(data, remaining, folder=folder, uid=uid, placement=placement)
                if copy is not None and copy.token not in found:
                    found[copy.token] = copy
        return found

    # --- actions --------------------------------------------------------------------------------

    def fetch(self, found: Found) -> bytes:
        self._select(found.folder)
        response = self._run("FETCH", self._imap.fetch, [found.uid], [b"BODY.PEEK[]"])
        data = response.get(found.uid, {}).get(b"BODY[]")
        if data is None:
            raise SeedClientError(f"{found.message_id} is no longer in {found.folder}")
        return bytes(data)

    def rescue(self, found: Sequence[Found]) -> dict[str, Found]:
        spam_items = [f for f in found if f.placement == PLACEMENT_SPAM and f.folder != INBOX]
        moved: dict[str, Found] = {}
        for folder, items in _by_folder(spam_items).items():
            mapping = self._move(folder, [f.uid for f in items], INBOX)
            lost = []
            for item in items:
                new_uid = mapping.get(item.uid)
                if new_uid is None:
                    lost.append(item.message_id)
                    continue
                moved[item.message_id] = _moved(item, INBOX, new_uid)
            if lost:
                # No COPYUID from the server (no UIDPLUS): find the new UIDs the slow way.
                moved.update(self._locate_in(INBOX, lost, PLACEMENT_INBOX))
        return moved

    def mark_read(self, found: Sequence[Found]) -> None:
        for folder, items in _by_folder(found).items():
            self._select(folder)
            self._run(
                "STORE \\Seen",
                self._imap.add_flags,
                [f.uid for f in items],
                [b"\\Seen"],
                silent=True,
            )

    def flag_important(self, found: Sequence[Found]) -> None:
        for folder, items in _by_folder(found).items():
            self._select(folder)
            uids = [f.uid for f in items]
            self._run("STORE \\Flagged", self._imap.add_flags, uids, [b"\\Flagged"], silent=True)
            if self.gmail:
                # \Flagged is Gmail's star; "important" is a label of its own.
                self._run(
                    "STORE X-GM-LABELS",
                    self._imap.add_gmail_labels,
                    uids,
                    ["\\Important"],
                    silent=True,
                )

    def file_away(self, found: Sequence[Found], folder: str = DEFAULT_WARMUP_FOLDER) -> None:
        items = [f for f in found if f.folder != folder]
        if not items:
            return
        self._ensure_folder(folder)
        for source, group in _by_folder(items).items():
            self._move(source, [f.uid for f in group], folder)

    def purge(self, folder: str, older_than: datetime) -> int:
        if folder not in self.folders():
            return 0
        if self._select(folder) == 0:
            return 0
        # SEARCH BEFORE compares the internal (received) date by calendar day (RFC 3501).
        uids = self._run("SEARCH BEFORE", self._imap.search, ["BEFORE", older_than.date()])
        if not uids:
            return 0
        trash = self._gmail_trash()
        if trash and trash != folder:
            # On Gmail, \Deleted + EXPUNGE only removes the label; the message lives on in All Mail.
            self._move(folder, uids, trash)
        else:
            self._delete(uids)
        return len(uids)

    def _gmail_trash(self) -> str | None:
        if not self.gmail:
            return None
        for name, flags in self.folders().items():
            if TRASH_FLAG in flags:
                return name
        return None

    def _move(self, folder: str, uids: list[int], destination: str) -> dict[int, int]:
        """Move ``uids`` out of ``folder``; source UID → destination UID where the server said."""
        self._select(folder)
        raw = self._imap._imap  # imaplib keeps COPYUID response codes here (UIDPLUS)
        raw.untagged_responses.pop("COPYUID", None)
        if self.has_move:
            self._run(f"MOVE to {destination}", self._imap.move, uids, destination)
            mapping = parse_copyuid(raw.untagged_responses.pop("COPYUID", []))
        else:
            answer = self._run(f"COPY to {destination}", self._imap.copy, uids, destination)
            mapping = parse_copyuid([answer] if isinstance(answer, bytes) else answer or [])
            self._delete(uids)
        self._selected_exists = max(0, self._selected_exists - len(uids))
        return mapping

    def _delete(self, uids: list[int]) -> None:
        self._run("STORE \\Deleted", self._imap.add_flags, uids, [b"\\Deleted"], silent=True)
        if self.has_uidplus:
            self._run("UID EXPUNGE", self._imap.uid_expunge, uids)
        else:
            self._run("EXPUNGE", self._imap.expunge)


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


def _copy_from(data, tokens, *, folder: str, uid: int, placement: str) -> CampaignCopy | None:
    headers = email.parser.BytesHeaderParser().parsebytes(bytes(data.get(COPY_KEY) or b""))
    subject = _header_text(headers.get("Subject", ""))
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


def _header_text(value) -> str:
    """A header's text with RFC 2047 encoded words decoded ("=?utf-8?q?…?=")."""
    decoded = email.header.decode_header(str(value))
    parts = [
        text.decode(charset or "ascii", errors="replace") if isinstance(text, bytes) else text
        for text, charset in decoded
    ]
    return " ".join("".join(parts).split())


def _by_folder(found: Iterable[Found]) -> dict[str, list[Found]]:
    groups: dict[str, list[Found]] = {}
    for item in found:
        groups.setdefault(item.folder, []).append(item)
    return groups


def _moved(item: Found, folder: str, uid: int) -> Found:
    return Found(
        message_id=item.message_id,
        folder=folder,
        uid=uid,
        placement=PLACEMENT_INBOX,
        category=item.category,
        seen=item.seen,
        flagged=item.flagged,
    )


def _strip_inbox_prefix(name: str) -> str:
    # Courier-style servers put every folder under INBOX ("INBOX.Junk", "INBOX/Spam").
    for prefix in ("INBOX.", "INBOX/"):
        if name.upper().startswith(prefix):
            return name[len(prefix) :]
    return name
