"""The IMAP seed client's actions: flags and moves for a whole sweep in one pipelined round
trip (`apply`), the single-purpose wrappers the tests and the admin use, the daily purge.

A mixin of `ImapSeedClient` (engagement/seedclient/imap.py), kept apart to keep each module
about one thing: the client's connection and locating there, acting on what was found here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from imapclient.imapclient import join_message_ids, seq_to_parenstr

from engagement.seedclient.base import (
    DEFAULT_WARMUP_FOLDER,
    FLAGGED,
    PLACEMENT_INBOX,
    PLACEMENT_SPAM,
    SEEN,
    Action,
    Found,
    SeedClientError,
)
from engagement.seedclient.imap_parsing import (
    FETCH_HEADER,
    found_from_fetch,
    moved_to,
    parse_copyuid,
)
from engagement.seedclient.pipeline import Command

INBOX = "INBOX"
TRASH_FLAG = b"\\Trash"


class ImapActions:
    """Acting on messages the client located (see the module docstring)."""

    def fetch(self, found: Found) -> bytes:
        if self._selected != found.folder:
            self._select(found.folder)
        response = self._run("FETCH", self._imap.fetch, [found.uid], [b"BODY.PEEK[]"])
        data = response.get(found.uid, {}).get(b"BODY[]")
        if data is None:
            raise SeedClientError(f"{found.message_id} is no longer in {found.folder}")
        return bytes(data)

    def apply(self, actions: Sequence[Action]) -> dict[str, Found]:
        """Every action in one round trip; the new locations of moved messages by Message-ID
        (from COPYUID; a message whose new UID the server did not say is left out)."""
        commands: list[Command] = []
        for folder, items in by_folder_of(actions).items():
            commands.append(self._select_command(folder))
            commands += self._store_commands(folder, items)
            commands += self._move_commands(folder, items)
        if not commands:
            return {}
        answers = self._pipeline("actions", commands)
        moved: dict[str, Found] = {}
        retry: list[Action] = []
        for command, answer in zip(commands, answers, strict=True):
            if command.reads != "copyuid":
                if not answer.ok and command.name != "SELECT":
                    raise SeedClientError(f"{command.label} in {command.folder}: {answer.text}")
                continue
            group = [a for a in actions if a.found.folder == command.folder]
            destination = command.target
            if not answer.ok and "TRYCREATE" in answer.text.upper():
                retry += [a for a in group if a.destination == destination]
                continue
            if not answer.ok:
                raise SeedClientError(f"{command.label} in {command.folder}: {answer.text}")
            mapping = parse_copyuid(answer.copyuid)
            for action in group:
                if action.destination == destination and action.found.uid in mapping:
                    moved[action.found.message_id] = moved_to(
                        action.found, destination, mapping[action.found.uid]
                    )
        if retry:
            # The destination did not exist yet (the warm-up folder before the first filing).
            self._ensure_folder(retry[0].destination)
            moved.update(self.apply([Action(a.found, destination=a.destination) for a in retry]))
        return moved

    def _store_commands(self, folder: str, items: list[Action]) -> list[Command]:
        commands = []
        groups: dict[tuple[bytes, ...], list[int]] = {}
        for action in items:
            if action.flags:
                groups.setdefault(tuple(sorted(action.flags)), []).append(action.found.uid)
        for flags, uids in groups.items():
            commands.append(_store(folder, uids, b"+FLAGS.SILENT", seq_to_parenstr(flags)))
        important = [a.found.uid for a in items if a.important]
        if important and self.gmail:
            # \Flagged is Gmail's star; "important" is a label of its own.
            commands.append(_store(folder, important, b"+X-GM-LABELS.SILENT", b"(\\Important)"))
        return commands

    def _move_commands(self, folder: str, items: list[Action]) -> list[Command]:
        commands = []
        groups: dict[str, list[int]] = {}
        for action in items:
            if action.destination and action.destination != folder:
                groups.setdefault(action.destination, []).append(action.found.uid)
        for destination, uids in groups.items():
            target = self._folder_arg(destination)
            verb = b"MOVE" if self.has_move else b"COPY"
            commands.append(
                Command(
                    "UID",
                    (verb, join_message_ids(uids), target),
                    reads="copyuid",
                    folder=folder,
                    target=destination,
                )
            )
            if self.has_move:
                continue
            commands.append(_store(folder, uids, b"+FLAGS.SILENT", b"(\\Deleted)"))
            if self.has_uidplus:
                commands.append(Command("UID", (b"EXPUNGE", join_message_ids(uids)), folder=folder))
            else:
                commands.append(Command("EXPUNGE", (), folder=folder))
        return commands

    def rescue(self, found: Sequence[Found]) -> dict[str, Found]:
        spam_items = [f for f in found if f.placement == PLACEMENT_SPAM and f.folder != INBOX]
        moved = self.apply([Action(f, destination=INBOX) for f in spam_items])
        lost = [f.message_id for f in spam_items if f.message_id not in moved]
        if lost:
            # No COPYUID from the server (no UIDPLUS): find the new UIDs the slow way.
            self._select(INBOX)
            hits = self._search(INBOX, lost)
            if hits:
                response = self._run(
                    "FETCH INBOX", self._imap.fetch, hits, [b"FLAGS", FETCH_HEADER]
                )
                moved.update(
                    found_from_fetch(response, lost, folder=INBOX, placement=PLACEMENT_INBOX)
                )
        return moved

    def mark_read(self, found: Sequence[Found]) -> None:
        self.apply([Action(f, flags=(SEEN,)) for f in found])

    def flag_important(self, found: Sequence[Found]) -> None:
        self.apply([Action(f, flags=(FLAGGED,), important=True) for f in found])

    def file_away(self, found: Sequence[Found], folder: str = DEFAULT_WARMUP_FOLDER) -> None:
        self.apply([Action(f, destination=folder) for f in found if f.folder != folder])

    def purge(self, folder: str, older_than: datetime) -> int:
        # One round trip to find what is old (SEARCH BEFORE compares the internal, received,
        # date by calendar day: RFC 3501); a missing folder simply answers NO.
        selected, looked = self._pipeline(
            "purge",
            [
                self._select_command(folder),
                Command(
                    "UID",
                    (b"SEARCH", b"BEFORE", older_than.strftime("%d-%b-%Y").encode()),
                    reads="search",
                    folder=folder,
                ),
            ],
        )
        uids = looked.search if selected.ok else []
        if not uids:
            return 0
        trash = self._gmail_trash()
        if trash and trash != folder:
            # On Gmail, \Deleted + EXPUNGE only removes the label; the message lives on in All Mail.
            self.apply(
                [Action(Found("", folder, uid, PLACEMENT_INBOX), destination=trash) for uid in uids]
            )
        else:
            self._run("STORE \\Deleted", self._imap.add_flags, uids, [b"\\Deleted"], silent=True)
            if self.has_uidplus:
                self._run("UID EXPUNGE", self._imap.uid_expunge, uids)
            else:
                self._run("EXPUNGE", self._imap.expunge)
        return len(uids)

    def _gmail_trash(self) -> str | None:
        if not self.gmail:
            return None
        for name, flags in self.folders().items():
            if TRASH_FLAG in flags:
                return name
        return None


def _store(folder: str, uids: list[int], what: bytes, flags: bytes) -> Command:
    return Command("UID", (b"STORE", join_message_ids(sorted(uids)), what, flags), folder=folder)


def by_folder_of(actions: Sequence[Action]) -> dict[str, list[Action]]:
    groups: dict[str, list[Action]] = {}
    for action in actions:
        if (
            action.flags
            or action.important
            or (action.destination and action.destination != action.found.folder)
        ):
            groups.setdefault(action.found.folder, []).append(action)
    return groups
