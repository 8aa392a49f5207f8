"""The application as separate processes, for tests that need real ones: `manage.py` commands,
gunicorn and django-q2's `qcluster`, each with its own environment (database, broker)."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def production_environment(**overrides: str) -> dict[str, str]:
    """The process environment of a production-like server: DEBUG=false, real keys, and none
    of the test run's Django settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "warmup_site.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "WARMUP_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SESSION_COOKIE_SECURE": "false",
            "WARMUP_SPF_INCLUDE": "_spf.warmup.test",
            "WARMUP_RETURN_PATH_TARGET": "bounces.warmup.test",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 300) -> str:
    """Run `python manage.py …` and return its output; raise with the output if it fails."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def run_python(code: str, *, env: dict[str, str], timeout: float = 300) -> str:
    """Run Python with Django set up (settings from `env`); its output."""
    return manage("shell", "--no-imports", "-c", code, env=env, timeout=timeout)


class Process:
    """A child process that is stopped (SIGTERM, then SIGKILL) when the `with` block ends."""

    def __init__(self, command: list[str], *, env: dict[str, str], log: Path):
        self.command = command
        self.env = env
        self.log_path = log
        self.process: subprocess.Popen | None = None

    def __enter__(self):
        self._log = open(self.log_path, "ab")  # closed in __exit__
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT
        )
        return self

    def stop(self, timeout: float = 20) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __exit__(self, *exc) -> None:
        self.stop()
        self._log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


class Gunicorn(Process):
    def __init__(self, *, env: dict[str, str], log: Path, workers: int = 2):
        self.port = _free_port()
        gunicorn = Path(sys.executable).parent / "gunicorn"
        super().__init__(
            [
                str(gunicorn),
                "warmup_site.wsgi",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--graceful-timeout",
                "5",
            ],
            env=env,
            log=log,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        super().__enter__()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start-up:\n{self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not listen within 60 s")


class QCluster(Process):
    def __init__(self, *, env: dict[str, str], log: Path):
        super().__init__([sys.executable, str(ROOT / "manage.py"), "qcluster"], env=env, log=log)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
