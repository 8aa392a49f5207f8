"""The seed-client contract: what the engagement sweep may ask of a seed mailbox.

The engagement app builds a :class:`SeedEndpoint` from its SeedMailbox row and talks to the
mailbox only through a :class:`SeedClient` (real IMAP, or the sandbox store reading the
sandbox world's maildirs). Both implementations raise the errors defined here so the caller
can tell "take this seed out of rotation" (:class:`LoginFailed`) from "try again later"
(any other :class:`SeedClientError`).

The agreed contract is in the issue-6 notes; names here must not change.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from django.conf import settings

AUTH_PASSWORD = "password"
AUTH_OAUTH2 = "oauth2"
AUTH_CHOICES = (AUTH_PASSWORD, AUTH_OAUTH2)

TLS_SSL = "ssl"
TLS_STARTTLS = "starttls"
TLS_NONE = "none"
TLS_CHOICES = (TLS_SSL, TLS_STARTTLS, TLS_NONE)

PLACEMENT_INBOX = "inbox"
PLACEMENT_SPAM = "spam"
# Mail the sweep already filed away into the warm-up folder counts as inbox placement: it got
# there from the inbox (or was rescued first).
DEFAULT_WARMUP_FOLDER = "Warmup"

# Spam folders of providers that do not flag theirs \Junk (RFC 6154), in the order we try them:
# Gmail (and its UK/DE name), Outlook/Exchange, the common generic names, Yahoo/AOL.
KNOWN_SPAM_FOLDERS = (
    "[Gmail]/Spam",
    "[Google Mail]/Spam",
    "Junk Email",
    "Junk",
    "Spam",
    "Bulk",
    "Bulk Mail",
)


def tls_context() -> ssl.SSLContext:
    """The TLS context of every seed connection, IMAP and SMTP (WARMUP_IMAP_TLS_VERIFY=false
    accepts self-signed certificates, for a test server)."""
    context = ssl.create_default_context()
    if not settings.WARMUP_IMAP_TLS_VERIFY:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


@dataclass(frozen=True)
class SeedEndpoint:
    """How to reach one seed mailbox (built by the engagement app from its SeedMailbox row)."""

    address: str
    provider: str
    username: str
    auth: str  # "password" | "oauth2"
    secret: str  # decrypted password, or OAuth2 refresh token
    imap_host: str
    imap_port: int
    imap_tls: str  # "ssl" | "starttls" | "none"
    smtp_host: str = ""  # the seed's own SMTP (for replies)
    smtp_port: int = 0
    smtp_tls: str = "none"  # "ssl" | "starttls" | "none"
    oauth_token_url: str = ""  # token endpoint (oauth2 only)
    oauth_client_id: str = ""
    oauth_client_secret: str = ""
    spam_folder: str = ""  # remembered from an earlier resolution; "" = resolve now
    sandbox: bool = False  # True: served by the built-in sandbox store, not IMAP


@dataclass(frozen=True)
class Found:
    """Where one warm-up message sits in a seed mailbox right now."""

    message_id: str  # as recorded, with angle brackets: <abc@warmup.example>
    folder: str  # the folder it is in now
    uid: int
    placement: str  # "inbox" | "spam"
    category: str = ""  # Gmail category (X-GM-LABELS), e.g. "promotions"; "" if none
    seen: bool = False
    flagged: bool = False


@dataclass(frozen=True)
class CampaignCopy:
    """A customer's placement-test message found in a seed mailbox (headers only)."""

    token: str
    folder: str
    uid: int
    placement: str  # "inbox" | "spam"
    message_id: str = ""
    subject: str = ""
    category: str = ""
    authentication_results: str = ""  # the topmost header: the seed's own server's verdict


@dataclass(frozen=True)
class Action:
    """What to do with one message where it is now: add flags, then maybe move it (flags first,
    so rescued mail arrives in INBOX already read or flagged)."""

    found: Found
    flags: tuple[bytes, ...] = ()  # IMAP flags: b"\\Seen", b"\\Flagged"
    important: bool = False  # Gmail's "important" label as well as the star
    destination: str | None = None


SEEN = b"\\Seen"
FLAGGED = b"\\Flagged"
TEST_HEADER = "X-Warmup-Test"


def copy_token(tokens: Sequence[str], *, header: str, subject: str) -> str | None:
    """Which of `tokens` a message carries, in its X-Warmup-Test header or its subject (IMAP's
    SEARCH matches substrings case-insensitively; this check is exact on the token)."""
    header, subject = header.strip().lower(), subject.lower()
    for token in tokens:
        if header == token.lower() or token.lower() in subject:
            return token
    return None


@dataclass(frozen=True)
class ConnectionReport:
    """What a "test connection" button shows: did login work, and which folder is spam."""

    ok: bool
    message: str
    spam_folder: str = ""
    # Why it failed, for the caller to set the seed's state: "login_failed",
    # "spam_folder_unknown", "error" (anything else: network, server); "" when ok.
    problem: str = ""


class SeedClientError(Exception):
    """A seed mailbox could not be used.

    ``str(e)`` is the server's own message where there is one.
    """


class LoginFailed(SeedClientError):
    """The credentials were refused: take the seed out of rotation until they are fixed."""


class SpamFolderUnknown(SeedClientError):
    """No folder flagged \\Junk and none of the known spam-folder names exists."""


@runtime_checkable
class SeedClient(Protocol):
    """An open, logged-in connection to one seed mailbox."""

    round_trips: int  # IMAP round trips so far (0 for the sandbox store)
    reused: bool  # an open connection kept from an earlier sweep (its login is not this sweep's)
    folder_state: dict[str, tuple[int, int]]  # folder → (UIDVALIDITY, UIDNEXT) seen by locate

    def spam_folder(self) -> str:
        """The spam folder's name: \\Junk special-use first, then known names."""
        ...

    def locate(
        self,
        message_ids: Sequence[str],
        *,
        known: dict[str, tuple[str, int]] | None = None,
        state: dict[str, tuple[int, int]] | None = None,
    ) -> dict[str, Found]:
        """Find messages by Message-ID in INBOX, the spam folder and the warm-up folder.

        A constant number of round trips, however many ids; ids not found are absent from the
        result. `known` (Message-ID → folder, UID found before) and `state` (the folders'
        UIDVALIDITY and UIDNEXT at the last sweep) let it look only at what is new.
        """
        ...

    def apply(self, actions: Sequence[Action]) -> dict[str, Found]:
        """Carry out flags and moves; the new locations of moved messages by Message-ID."""
        ...

    def fetch(self, found: Found) -> bytes:
        """The raw RFC 5322 message (to reply to it)."""
        ...

    def find_copies(self, tokens: Sequence[str]) -> dict[str, CampaignCopy]:
        """Find placement-test messages by token (X-Warmup-Test header or subject) in INBOX and
        the spam folder, reading headers only: nothing is marked read, flagged or moved."""
        ...

    def rescue(self, found: Sequence[Found]) -> dict[str, Found]:
        """Move messages from spam to INBOX; their new locations by Message-ID."""
        ...

    def mark_read(self, found: Sequence[Found]) -> None: ...

    def flag_important(self, found: Sequence[Found]) -> None: ...

    def file_away(self, found: Sequence[Found], folder: str = DEFAULT_WARMUP_FOLDER) -> None:
        """Move messages into ``folder`` (created if missing)."""
        ...

    def purge(self, folder: str, older_than: datetime) -> int:
        """Delete messages in ``folder`` received before ``older_than``; how many."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> SeedClient: ...

    def __exit__(self, *exc_info: object) -> None: ...


def normalize_message_id(value: str) -> str:
    """A Message-ID as recorded: stripped, with angle brackets."""
    value = value.strip()
    if not value.startswith("<"):
        value = "<" + value
    if not value.endswith(">"):
        value = value + ">"
    return value
