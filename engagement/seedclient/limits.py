"""A limit on simultaneous IMAP connections per host, shared by every process on this machine.

Providers cap simultaneous IMAP connections (Gmail allows about 15 per account and drops the
rest with "Too many simultaneous connections"), and a sweep runs in several django-q2 worker
processes at once. A ``threading.BoundedSemaphore`` would only count one process's connections,
so N workers could open N × the limit. Instead each host gets ``limit`` slot files under
``WARMUP_IMAP_SLOT_DIR``; a connection holds an exclusive ``flock`` on one of them while open.

Why flock: the kernel releases the lock when the file descriptor closes — also when a worker is
killed — so a crashed process never leaks a slot, and there is no server or table to clean up.
Locks are per open file description, so threads of one process exclude each other as well.
The limit is per machine: deployments that sweep from several machines divide the provider's
cap between them (document it in the setting).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import time
from pathlib import Path

from engagement.seedclient.base import SeedClientError

# How often a waiting connection looks for a free slot again. Connections last seconds, so a
# tenth of a second adds little latency and costs nothing measurable.
POLL_SECONDS = 0.05


def default_slot_dir() -> Path:
    return Path(tempfile.gettempdir()) / "warmup-imap-slots"


class HostSlot:
    """One held slot; release() (or the context manager) gives it back."""

    def __init__(self, fd: int, path: Path):
        self._fd: int | None = fd
        self.path = path

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> HostSlot:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def _slot_paths(directory: Path, host: str, limit: int) -> list[Path]:
    # Host names become file names: hash them so odd characters (IPv6, ports) are harmless.
    digest = hashlib.sha256(host.lower().encode()).hexdigest()[:16]
    return [directory / f"{digest}.{index}.slot" for index in range(limit)]


def acquire_host_slot(
    host: str, *, limit: int, wait_seconds: float, directory: Path | None = None
) -> HostSlot:
    """Hold one of ``limit`` connection slots for ``host``, waiting up to ``wait_seconds``.

    Raises SeedClientError when no slot frees up in time (the sweep records it and moves on).
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    directory = directory or default_slot_dir()
    directory.mkdir(parents=True, exist_ok=True)
    paths = _slot_paths(directory, host, limit)
    deadline = time.monotonic() + wait_seconds
    while True:
        for path in paths:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return HostSlot(fd, path)
        if time.monotonic() >= deadline:
            raise SeedClientError(
                f"{limit} connections to {host} are already open; "
                f"no slot became free within {wait_seconds:g} s"
            )
        time.sleep(POLL_SECONDS)
