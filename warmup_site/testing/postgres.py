"""A private PostgreSQL cluster for tests that stop and restart the database.

The suite's own database (DATABASE_URL) is shared and must stay up; tests of outages run their
own cluster: `initdb` into a temporary directory, `pg_ctl start` on a free port on 127.0.0.1,
and `pg_ctl restart -m fast` / `stop` when the test wants an outage. PostgreSQL refuses to run
as root, so as root the cluster runs as the `postgres` system user (`runuser`).

Needs the server binaries (Debian package `postgresql`, in /usr/lib/postgresql/<version>/bin):
missing locally the test is skipped with the install command, missing in CI it fails.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

from warmup_site.testing import require_binary


def server_binaries() -> Path:
    """The newest installed PostgreSQL's bin directory (skips or fails the test without one)."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    found = require_binary(
        "pg_ctl", package="postgresql", path=candidates[-1] if candidates else None
    )
    return Path(found).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivatePostgres:
    def __init__(self) -> None:
        self.bin = server_binaries()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="warmup-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.user = "postgres" if os.geteuid() == 0 else None

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True, timeout=timeout)

    def start(self) -> PrivatePostgres:
        if self.user:
            record = pwd.getpwnam(self.user)
            os.chown(self.root, record.pw_uid, record.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        self._pg_ctl("start")
        return self

    @property
    def _options(self) -> str:
        return (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            # A throw-away cluster: durability is not under test, speed is welcome.
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )

    def _pg_ctl(self, action: str, *extra: str) -> None:
        # -l: the server's output goes to a file. Without it the server would inherit our
        # pipes and the call would wait for it to exit.
        self._run(
            "pg_ctl",
            action,
            "-D",
            str(self.data),
            "-o",
            self._options,
            "-l",
            str(self.log),
            "-w",
            *extra,
        )

    def restart(self, mode: str = "fast") -> None:
        """Stop (with `-m fast`: every connection terminated, as in the incident) and start."""
        self._pg_ctl("restart", "-m", mode)

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w")

    def start_again(self) -> None:
        self._pg_ctl("start")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self.stop(mode="immediate")  # fails when already stopped
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> None:
        with psycopg.connect(self.url(database), autocommit=True) as connection:
            connection.execute(statement)

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """A new database (a copy of `template` if given); its URL."""
        suffix = f" TEMPLATE {template}" if template else ""
        self.sql(f'CREATE DATABASE "{name}"{suffix}')
        return self.url(name)
