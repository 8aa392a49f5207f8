"""IMAP command pipelining (RFC 3501 §5.5) over imaplib, for the seed client.

A pipeline writes several tagged commands in one go and then reads the answers in order: one
network round trip instead of one per command. The seed client uses it where no command needs
an earlier one's answer to be written — `SELECT f` then `UID FETCH <known UIDs>,<UIDNEXT>:*`
(the next UID comes from the seed's state stored at the last sweep), or every STORE and MOVE
of a sweep's actions, folder after folder.

imaplib already separates writing a command (`_command`, which returns its tag) from reading
its completion (`_command_complete`); IMAPClient does the same internally. Answers are read
strictly in tag order, so each command's untagged data (FETCH lines, SEARCH results, COPYUID
codes, a SELECT's UIDNEXT) is collected right after its completion, before the next command's
data is read. A failed command (NO, BAD) does not stop the others: each gets its own answer.
"""

from __future__ import annotations

import contextlib
import imaplib
from dataclasses import dataclass, field

from imapclient.response_parser import parse_fetch_response, parse_message_list

# What a SELECT leaves among imaplib's untagged responses (collected and dropped per SELECT).
SELECT_KEYS = (
    "EXISTS",
    "RECENT",
    "UIDVALIDITY",
    "UIDNEXT",
    "HIGHESTMODSEQ",
    "FLAGS",
    "PERMANENTFLAGS",
    "READ-WRITE",
    "READ-ONLY",
    "UNSEEN",
    "OK",
)


@dataclass(frozen=True)
class Command:
    """One command to pipeline: imaplib's name ("SELECT", "UID", "CREATE" …), its arguments
    as bytes, and what the answer holds (select, fetch, search, copyuid, none)."""

    name: str
    args: tuple[bytes, ...]
    reads: str = "none"
    folder: str = ""  # the folder it acts in (a SELECT: the folder selected)
    target: str = ""  # a MOVE or COPY: the destination

    @property
    def label(self) -> str:
        first = self.args[0].decode(errors="replace") if self.args else ""
        return f"{self.name} {first}".strip()


@dataclass
class Answer:
    ok: bool
    text: str = ""
    select: dict[str, int] = field(default_factory=dict)  # EXISTS, UIDVALIDITY, UIDNEXT
    fetch: dict[int, dict] = field(default_factory=dict)
    search: list[int] = field(default_factory=list)
    copyuid: list[bytes] = field(default_factory=list)


def run(raw: imaplib.IMAP4, commands: list[Command]) -> list[Answer]:
    """Send `commands` back to back in one write, then read every answer. Raises imaplib's
    `abort` (the connection is lost) — the caller turns it into its own error."""
    if not commands:
        return []
    buffered: list[bytes] = []
    # Commands that need a selected mailbox may follow a SELECT of the same pipeline: imaplib
    # checks its own idea of the state when writing, which only changes once SELECT answers.
    state = raw.state
    if any(c.name == "SELECT" for c in commands) and raw.state == "AUTH":
        raw.state = "SELECTED"
    raw.send = buffered.append  # type: ignore[method-assign]  # collect, write once below
    try:
        tags = [raw._command(c.name, *c.args) for c in commands]
    finally:
        del raw.send
        raw.state = state
    try:
        raw.send(b"".join(buffered))
    except OSError as exc:
        raise raw.abort(f"socket error: {exc}") from None
    answers = []
    for command, tag in zip(commands, tags, strict=True):
        answers.append(_complete(raw, command, tag))
    return answers


def _complete(raw: imaplib.IMAP4, command: Command, tag: bytes) -> Answer:
    name = "FETCH" if command.reads == "fetch" else command.name
    try:
        typ, data = raw._command_complete(name, tag)
    except raw.abort:
        raise
    except raw.error as exc:  # BAD: the command was refused; the others go on
        _drop(raw, command)
        return Answer(ok=False, text=str(exc))
    text = b" ".join(d for d in data if isinstance(d, bytes)).decode(errors="replace")
    answer = Answer(ok=typ == "OK", text=text)
    if command.reads == "select":
        answer.select = _select_values(raw)
        if answer.ok:
            raw.state = "SELECTED"
        else:
            raw.state = "AUTH"  # a failed SELECT leaves no mailbox selected (RFC 3501 §6.3.1)
    elif command.reads == "fetch":
        _, lines = raw._untagged_response(typ, data, "FETCH")
        lines = [line for line in lines if line is not None]
        answer.fetch = parse_fetch_response(lines, True, True) if lines else {}
    elif command.reads == "search":
        _, lines = raw._untagged_response(typ, data, "SEARCH")
        answer.search = parse_message_list([line for line in lines if line is not None])
    elif command.reads == "copyuid":
        answer.copyuid = list(raw.untagged_responses.pop("COPYUID", []))
        # A COPY answers COPYUID in its tagged response instead (imaplib keeps it in data).
        answer.copyuid += [d for d in data if isinstance(d, bytes) and b"COPYUID" in d.upper()]
    _drop(raw, command)
    return answer


def _select_values(raw: imaplib.IMAP4) -> dict[str, int]:
    values = {}
    for key in ("EXISTS", "UIDVALIDITY", "UIDNEXT", "HIGHESTMODSEQ"):
        items = raw.untagged_responses.get(key) or []
        if items and items[-1] is not None:
            with contextlib.suppress(TypeError, ValueError):
                values[key] = int(items[-1])
    return values


def _drop(raw: imaplib.IMAP4, command: Command) -> None:
    """Forget the untagged data a command left, so the next one starts clean."""
    keys = SELECT_KEYS if command.reads == "select" else ("EXPUNGE", "EXISTS", "RECENT", "OK")
    for key in keys:
        raw.untagged_responses.pop(key, None)
