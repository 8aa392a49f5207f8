"""The built-in sandbox store: the SeedClient protocol directly over the sandbox world's maildirs.

Used when a seed's endpoint has ``sandbox=True`` (demo seeds, `make run` without Dovecot). It
behaves like the IMAP client — the same spam-folder resolution by known names, Found values,
moves and flags — so the engagement code above it cannot tell the difference; flags are
maildir flags (S seen, F flagged) that Dovecot would show as \\Seen and \\Flagged.

UIDs: a maildir file's unique key survives flag changes and moves, so a message's uid is a
stable 53-bit hash of that key (sha256) — like an IMAP UID it identifies the message within
its mailbox, and unlike one it does not change on a move.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from engagement.sandbox import mail_root, maildirs, provider_for
from engagement.seedclient.base import (
    DEFAULT_WARMUP_FOLDER,
    KNOWN_SPAM_FOLDERS,
    PLACEMENT_INBOX,
    PLACEMENT_SPAM,
    TEST_HEADER,
    Action,
    CampaignCopy,
    Found,
    SeedClientError,
    SeedEndpoint,
    SpamFolderUnknown,
    copy_token,
    normalize_message_id,
)

# IMAP flags as maildir flag letters (what Dovecot would store).
_FLAG_LETTERS = {b"\\Seen": "S", b"\\Flagged": "F", b"\\Answered": "R"}


def uid_for(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") >> 11


class SandboxStoreClient:
    round_trips = 0  # no server: nothing to count
    reused = False

    def __init__(self, endpoint: SeedEndpoint, mailbox: Path):
        self.endpoint = endpoint
        self.mailbox = mailbox
        self._spam: str | None = None
        self.folder_state: dict[str, tuple[int, int]] = {}  # a maildir needs none

    @classmethod
    def open(cls, endpoint: SeedEndpoint, *, root: Path | None = None) -> SandboxStoreClient:
        mailbox = Path(root or mail_root()) / endpoint.username.lower()
        # The account exists at the simulated provider from the start, as a real seed's does.
        maildirs.ensure_folder(mailbox, maildirs.INBOX)
        maildirs.ensure_folder(mailbox, provider_for(endpoint.address).spam_folder)
        return cls(endpoint, mailbox)

    def close(self) -> None:
        pass

    def __enter__(self) -> SandboxStoreClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- folders --------------------------------------------------------------------------------

    def spam_folder(self) -> str:
        if self._spam is not None:
            return self._spam
        folders = maildirs.list_folders(self.mailbox)
        if self.endpoint.spam_folder and self.endpoint.spam_folder in folders:
            self._spam = self.endpoint.spam_folder
            return self._spam
        by_lower = {name.lower(): name for name in folders}
        for candidate in KNOWN_SPAM_FOLDERS:
            if candidate.lower() in by_lower:
                self._spam = by_lower[candidate.lower()]
                return self._spam
        raise SpamFolderUnknown(
            f"none of the known spam folder names exists; folders: {', '.join(folders)}"
        )

    def _find(self, found: Found) -> maildirs.StoredMessage:
        for stored in maildirs.messages(self.mailbox, found.folder):
            if uid_for(stored.key) == found.uid:
                return stored
        raise SeedClientError(f"{found.message_id} is no longer in {found.folder}")

    # --- protocol -------------------------------------------------------------------------------

    def locate(
        self,
        message_ids: Sequence[str],
        *,
        known: dict[str, tuple[str, int]] | None = None,  # noqa: ARG002 - the store reads all
        state: dict[str, tuple[int, int]] | None = None,  # noqa: ARG002
    ) -> dict[str, Found]:
        wanted = {normalize_message_id(m) for m in message_ids if m.strip()}
        if not wanted:
            return {}
        spam = self.spam_folder()
        folders = [maildirs.INBOX, spam]
        if DEFAULT_WARMUP_FOLDER in maildirs.list_folders(self.mailbox):
            folders.append(DEFAULT_WARMUP_FOLDER)
        result: dict[str, Found] = {}
        for folder in folders:
            placement = PLACEMENT_SPAM if folder == spam else PLACEMENT_INBOX
            for stored in maildirs.messages(self.mailbox, folder):
                value = maildirs.read_header(stored.path, "Message-ID")
                message_id = normalize_message_id(value) if value else ""
                if message_id in wanted and message_id not in result:
                    result[message_id] = self._found(message_id, stored, placement)
        return result

    @staticmethod
    def _found(message_id: str, stored: maildirs.StoredMessage, placement: str) -> Found:
        return Found(
            message_id=message_id,
            folder=stored.folder,
            uid=uid_for(stored.key),
            placement=placement,
            seen="S" in stored.flags,
            flagged="F" in stored.flags,
        )

    def fetch(self, found: Found) -> bytes:
        return self._find(found).path.read_bytes()

    def find_copies(self, tokens: Sequence[str]) -> dict[str, CampaignCopy]:
        wanted = [t for t in tokens if t.strip()]
        if not wanted:
            return {}
        spam = self.spam_folder()
        result: dict[str, CampaignCopy] = {}
        for folder in (maildirs.INBOX, spam):
            placement = PLACEMENT_SPAM if folder == spam else PLACEMENT_INBOX
            for stored in maildirs.messages(self.mailbox, folder):
                subject = maildirs.read_header(stored.path, "Subject")
                token = copy_token(
                    wanted, header=maildirs.read_header(stored.path, TEST_HEADER), subject=subject
                )
                if token is None or token in result:
                    continue
                result[token] = CampaignCopy(
                    token=token,
                    folder=folder,
                    uid=uid_for(stored.key),
                    placement=placement,
                    message_id=maildirs.read_header(stored.path, "Message-ID"),
                    subject=subject[:255],
                    authentication_results=maildirs.read_header(
                        stored.path, "Authentication-Results"
                    ),
                )
        return result

    def rescue(self, found: Sequence[Found]) -> dict[str, Found]:
        moved = {}
        for item in found:
            if item.placement != PLACEMENT_SPAM or item.folder == maildirs.INBOX:
                continue
            stored = maildirs.move(self._find(item), self.mailbox, maildirs.INBOX)
            moved[item.message_id] = self._found(item.message_id, stored, PLACEMENT_INBOX)
        return moved

    def apply(self, actions: Sequence[Action]) -> dict[str, Found]:
        moved = {}
        for action in actions:
            stored = self._find(action.found)
            letters = "".join(_FLAG_LETTERS[f] for f in action.flags if f in _FLAG_LETTERS)
            if letters:
                stored = maildirs.set_flags(stored, letters)
            if action.destination and action.destination != action.found.folder:
                stored = maildirs.move(stored, self.mailbox, action.destination)
                placement = (
                    PLACEMENT_SPAM if action.destination == self.spam_folder() else PLACEMENT_INBOX
                )
                moved[action.found.message_id] = self._found(
                    action.found.message_id, stored, placement
                )
        return moved

    def mark_read(self, found: Sequence[Found]) -> None:
        for item in found:
            maildirs.set_flags(self._find(item), "S")

    def flag_important(self, found: Sequence[Found]) -> None:
        for item in found:
            maildirs.set_flags(self._find(item), "F")

    def file_away(self, found: Sequence[Found], folder: str = DEFAULT_WARMUP_FOLDER) -> None:
        for item in found:
            if item.folder != folder:
                maildirs.move(self._find(item), self.mailbox, folder)

    def purge(self, folder: str, older_than: datetime) -> int:
        if folder not in maildirs.list_folders(self.mailbox):
            return 0
        cutoff = older_than.timestamp()
        count = 0
        for stored in list(maildirs.messages(self.mailbox, folder)):
            if stored.path.stat().st_mtime < cutoff:
                os.unlink(stored.path)
                count += 1
        return count
