"""Maildirs in Dovecot's ``LAYOUT=fs`` shape: ``<root>/<address>/[<folder>/]{cur,new,tmp}``.

INBOX is the address directory itself; "[Gmail]/Spam" is ``<address>/[Gmail]/Spam``. File
names are ``<unique key>[:2,<flags>]`` (maildir flags: S seen, F flagged, R replied, T trashed)
and a file's mtime is its received date — Dovecot reads both the same way, so mailboxes the
world writes can be served over IMAP unchanged.
"""

from __future__ import annotations

import email.parser
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

INBOX = "INBOX"
_counter = 0
_counter_lock = threading.Lock()


@dataclass(frozen=True)
class StoredMessage:
    folder: str
    path: Path
    key: str
    flags: str


def folder_path(mailbox: Path, folder: str) -> Path:
    return mailbox if folder.upper() == INBOX else mailbox / folder


def ensure_folder(mailbox: Path, folder: str, *, owner: tuple[int, int] | None = None) -> Path:
    path = folder_path(mailbox, folder)
    for sub in ("cur", "new", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    if owner:
        _chown_tree_up_to(path, mailbox.parent, owner)
    return path


def _chown_tree_up_to(path: Path, stop: Path, owner: tuple[int, int]) -> None:
    for sub in ("cur", "new", "tmp"):
        os.chown(path / sub, *owner)
    current = path
    while current != stop and stop in current.parents:
        os.chown(current, *owner)
        current = current.parent


def list_folders(mailbox: Path) -> list[str]:
    """INBOX and every folder below it (a directory holding cur/), "/"-separated."""
    if not (mailbox / "cur").is_dir():
        return []
    folders = [INBOX]
    for dirpath, dirnames, _files in os.walk(mailbox):
        dirnames[:] = [d for d in dirnames if d not in ("cur", "new", "tmp")]
        here = Path(dirpath)
        if here != mailbox and (here / "cur").is_dir():
            folders.append(here.relative_to(mailbox).as_posix())
    return folders


def split_name(name: str) -> tuple[str, str]:
    """File name → (key, flags)."""
    key, _, info = name.partition(":")
    flags = info[2:] if info.startswith("2,") else ""
    return key, flags


def messages(mailbox: Path, folder: str) -> Iterator[StoredMessage]:
    base = folder_path(mailbox, folder)
    for sub in ("new", "cur"):
        directory = base / sub
        if not directory.is_dir():
            continue
        for entry in os.scandir(directory):
            if entry.is_file() and not entry.name.startswith("."):
                key, flags = split_name(entry.name)
                yield StoredMessage(folder, Path(entry.path), key, flags)


def new_key() -> str:
    global _counter
    with _counter_lock:
        _counter += 1
        count = _counter
    now = time.time()
    return f"{int(now)}.M{int((now % 1) * 1e6)}P{os.getpid()}Q{count}.{socket.gethostname()}"


def deliver(
    mailbox: Path,
    folder: str,
    content: bytes,
    *,
    owner: tuple[int, int] | None = None,
    received_at: float | None = None,
) -> StoredMessage:
    """Write ``content`` into ``folder``'s new/ the maildir way (tmp/ first, then rename)."""
    base = ensure_folder(mailbox, folder, owner=owner)
    key = new_key()
    tmp = base / "tmp" / key
    tmp.write_bytes(content)
    if received_at is not None:
        os.utime(tmp, (received_at, received_at))
    if owner:
        os.chown(tmp, *owner)
    final = base / "new" / key
    os.rename(tmp, final)
    return StoredMessage(folder, final, key, "")


def set_flags(message: StoredMessage, add: str) -> StoredMessage:
    """Add maildir flags (moves the file into cur/, as a mail client does once it has seen it)."""
    flags = "".join(sorted(set(message.flags) | set(add)))
    target = message.path.parent.parent / "cur" / f"{message.key}:2,{flags}"
    if target != message.path:
        os.rename(message.path, target)
    return StoredMessage(message.folder, target, message.key, flags)


def move(message: StoredMessage, mailbox: Path, folder: str) -> StoredMessage:
    base = ensure_folder(mailbox, folder)
    sub = message.path.parent.name
    target = base / sub / message.path.name
    os.rename(message.path, target)
    return StoredMessage(folder, target, message.key, message.flags)


_header_parser = email.parser.BytesHeaderParser()


def read_header(path: Path, name: str) -> str:
    """One header's value, reading only the header block."""
    chunks = []
    with open(path, "rb") as handle:
        for line in handle:
            if line in (b"\n", b"\r\n"):
                break
            chunks.append(line)
    value = _header_parser.parsebytes(b"".join(chunks)).get(name, "")
    return " ".join(str(value).split())
