"""Run Django against the bench database and gunicorn on 127.0.0.1, the way production does
(DEBUG=false, a real SECRET_KEY and encryption key, persistent database connections)."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
# Not DATABASE_URL: the benchmarks empty the IP and event tables of their database, and must
# never do that to a database someone set for another purpose.
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/wt_ips_bench"


def configure_environment() -> dict[str, str]:
    """Production-mode environment for this process and the server; returns it."""
    from cryptography.fernet import Fernet

    env = {
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "WARMUP_ENCRYPTION_KEYS": os.environ.get("WARMUP_ENCRYPTION_KEYS")
        or Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE),
        "DATABASE_CONN_MAX_AGE": "600",
        "DJANGO_SETTINGS_MODULE": "bench.support.settings",
        "LOG_LEVEL": "WARNING",
        "SESSION_COOKIE_SECURE": "false",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    return env


def require_database() -> None:
    """Connect to the bench database; a missing scratch database of the scripts' own
    (`wt_…_bench`, the defaults) is created, anything else stops with the command to run."""
    from django.db import OperationalError, connection

    try:
        connection.ensure_connection()
    except OperationalError as exc:
        name = connection.settings_dict["NAME"]
        if not (_is_scratch(name) and "does not exist" in str(exc) and _create(name)):
            sys.exit(
                f"cannot use the bench database ({exc}).\nCreate it with "
                f"`createdb -h {connection.settings_dict['HOST'] or '127.0.0.1'} -U "
                f"{connection.settings_dict['USER'] or 'postgres'} {name}`, or point "
                "BENCH_DATABASE_URL at a scratch PostgreSQL database."
            )
        connection.ensure_connection()
    if connection.vendor != "postgresql":
        sys.exit("BENCH_DATABASE_URL must name a PostgreSQL database.")


def _is_scratch(name: str) -> bool:
    return name.startswith("wt_") and name.endswith("_bench")


def _create(name: str) -> bool:
    """CREATE DATABASE through the server's maintenance database; False if that fails."""
    import psycopg
    import psycopg.sql
    from django.db import connection

    params = connection.get_connection_params()
    params["dbname"] = "postgres"
    try:
        with psycopg.connect(**params, autocommit=True) as maintenance:
            maintenance.execute(
                psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name))
            )
    except psycopg.Error as exc:
        print(f"could not create the bench database {name}: {exc}", file=sys.stderr)
        return False
    print(f"created the scratch database {name}", file=sys.stderr)
    return True


def free_port(start: int = 18000, end: int = 18099) -> int:
    for port in range(start, end + 1):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {start}-{end}")


class Gunicorn:
    def __init__(self, *, workers: int, port: int | None = None):
        self.workers = workers
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Gunicorn:
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.process = subprocess.Popen(
            [
                str(gunicorn),
                "warmup_site.wsgi",
                "--workers",
                str(self.workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "--backlog",
                "512",
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited at start-up")
            try:
                request = urllib.request.Request(f"{self.url}/bench/bare/", data=b"{}")
                request.add_header("Content-Type", "application/json")
                urllib.request.urlopen(request, timeout=1).read()
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer within 30 s")

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
