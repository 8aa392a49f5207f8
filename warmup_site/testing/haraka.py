"""Real Haraka processes and recording "mailbox providers" for the integration test and bench.

    require_haraka()                      # node + the npm install of integrations/haraka, or skip
    providers = ProviderSet(["127.0.0.21", "127.0.0.22"]).start()   # one port on every address
    haraka = HarakaServer(tmp_path / "haraka", plugins=["relay_loopback", "warmup"],
                          files={"warmup.ini": "..."}).start()
    haraka.send("a@acme.example", ["ann@gmail.com"])
    providers["127.0.0.21"].outcomes      # who sent what from which IP, and the reply given

Haraka runs as `node …/Haraka/bin/haraka -c DIR` with a throw-away config folder. The Warmup
plugin is linked into it as a folder plugin (DIR/plugins/warmup → integrations/haraka), exactly
as an operator installs it; `relay_loopback` (written here) lets the test submit mail from
127.0.0.1 for any recipient.

A provider is an aiosmtpd server on its own loopback address (Linux routes all of 127.0.0.0/8 to
the loopback interface), recording for every recipient of every attempt the peer address the
connection came from — the IP Haraka bound to — the HELO name and the reply it gave. Rules
decide the replies (e.g. 421 4.7.28 to one IP); `hold()` keeps DATA replies back until
`release()`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import smtplib
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from warmup_site.testing import in_ci, require_binary

ROOT = Path(__file__).resolve().parent.parent.parent
PACKAGE = ROOT / "integrations" / "haraka"
HARAKA_BIN = PACKAGE / "node_modules" / "Haraka" / "bin" / "haraka"

# Lets the test (on 127.0.0.1) relay to any recipient, as an authenticated submission would.
RELAY_LOOPBACK = """\
exports.hook_connect = function (next, connection) {
    if (connection.remote.ip === '127.0.0.1') connection.relaying = true
    next()
}
"""


def require_haraka() -> str:
    """The node binary (>= 20.19), with Haraka installed by npm in integrations/haraka. Missing
    locally: the test is skipped saying how to install it; missing in CI (CI=true): it fails."""
    node = require_binary("node", package="nodejs")
    require_binary("npm", package="npm")
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    major, minor = (int(x) for x in version.lstrip("v").split(".")[:2])
    reason = None
    if (major, minor) < (20, 19):
        reason = (
            f"node {version} is too old: Haraka 3 needs node >= 20.19 (Debian 12's nodejs is 18; "
            "install a current one, e.g. from NodeSource), then run `make haraka`"
        )
    elif not HARAKA_BIN.exists():
        reason = "Haraka is not installed in integrations/haraka: run `make haraka` (npm ci)"
    if reason:
        if in_ci():
            pytest.fail(reason + " (CI=true: tests may not skip for this)", pytrace=False)
        pytest.skip(reason)
    return node


def free_port(hosts: Iterable[str] = ("127.0.0.1",)) -> int:
    """A TCP port free on every one of these addresses (at the time of asking)."""
    hosts = list(hosts)
    for _ in range(50):
        with socket.socket() as first:
            first.bind((hosts[0], 0))
            port = first.getsockname()[1]
            taken = False
            for host in hosts[1:]:
                with socket.socket() as other:
                    try:
                        other.bind((host, port))
                    except OSError:
                        taken = True
                        break
            if not taken:
                return port
    raise RuntimeError(f"no port free on all of {hosts}")


def wait_until(check: Callable[[], object], *, timeout: float, what: str, every: float = 0.05):
    """Poll `check` until it returns something truthy (and return it), or fail after `timeout`
    seconds saying what did not happen."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


# --- Haraka -----------------------------------------------------------------------------------


class HarakaServer:
    """One Haraka process with its own config folder, listening on 127.0.0.1:`port`."""

    def __init__(
        self,
        directory: Path,
        *,
        plugins: Sequence[str],
        files: dict[str, str] | None = None,
        local_plugins: dict[str, str] | None = None,
        port: int | None = None,
        log_level: str = "info",
    ):
        self.directory = Path(directory)
        self.port = port or free_port()
        self.plugins = list(plugins)
        self.files = dict(files or {})
        self.local_plugins = {"relay_loopback": RELAY_LOOPBACK, **(local_plugins or {})}
        self.log_level = log_level
        self.process: subprocess.Popen | None = None
        self.log_path = self.directory / "haraka.log"

    def write_config(self, node: str) -> None:
        config = self.directory / "config"
        plugins = self.directory / "plugins"
        if not config.exists():
            # Haraka's own installer writes the config folder an operator starts from.
            subprocess.run(
                [node, str(HARAKA_BIN), "-i", str(self.directory)],
                check=True,
                capture_output=True,
            )
        link = plugins / "warmup"
        if not link.exists():
            link.symlink_to(PACKAGE, target_is_directory=True)
        for name, code in self.local_plugins.items():
            (plugins / f"{name}.js").write_text(code)
        defaults = {
            "smtp.ini": f"[main]\nlisten=127.0.0.1:{self.port}\nnodes=0\n",
            "plugins": "\n".join(self.plugins) + "\n",
            "me": "haraka.test\n",
            "log.ini": f"[main]\nlevel={self.log_level}\ntimestamps=true\n",
            "outbound.ini": "local_mx_ok=true\nenable_tls=false\n",
        }
        for name, text in {**defaults, **self.files}.items():
            (config / name).write_text(text)

    def start(self, timeout: float = 30) -> HarakaServer:
        node = require_haraka()
        self.write_config(node)
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self._log = log
        self.process = subprocess.Popen(
            [node, str(HARAKA_BIN), "-c", str(self.directory)],
            cwd=self.directory,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NODE_ENV": "production"},
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"Haraka exited at start-up:\n{self.log_tail()}")
            try:
                with smtplib.SMTP("127.0.0.1", self.port, timeout=2) as smtp:
                    smtp.noop()
                return self
            except OSError as exc:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"Haraka did not answer within {timeout} s:\n{self.log_tail()}"
                    ) from exc
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop the process (SIGTERM, as a service manager does) and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if getattr(self, "_log", None):
            self._log.close()
            self._log = None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def send(self, mail_from: str, rcpts: Sequence[str], *, subject: str = "Hello") -> None:
        message = EmailMessage()
        message["From"] = mail_from
        message["To"] = ", ".join(rcpts)
        message["Subject"] = subject
        message.set_content("A message for the Haraka integration.\n")
        with smtplib.SMTP("127.0.0.1", self.port, timeout=10) as smtp:
            smtp.send_message(message, from_addr=mail_from, to_addrs=list(rcpts))

    def __enter__(self) -> HarakaServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --- providers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a provider answered one recipient in one attempt."""

    peer: str  # the address the connection came from: the IP Haraka bound to
    helo: str
    mail_from: str
    recipient: str
    code: int
    status: str  # the enhanced status code given, e.g. "4.7.28"; "" for none
    stage: str  # "rcpt" or "data"
    at: float  # time.time()

    @property
    def type(self) -> str:
        return {2: "delivered", 4: "deferred", 5: "bounced"}[self.code // 100]


# A rule answers (peer, recipient) — or (peer, recipients) at DATA — with a full SMTP reply such
# as "421 4.7.28 …", or None for the default 250.
Rule = Callable[[str, str], str | None]


class _Handler:
    def __init__(self, provider: Provider):
        self.provider = provider

    # aiosmtpd passes (server, session, envelope, …) positionally.
    async def handle_RCPT(self, _server, session, envelope, address, _rcpt_options):
        reply = self.provider.reply("rcpt", session, envelope, address)
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, _server, session, envelope):
        if self.provider.holding.is_set():
            with self.provider._lock:
                self.provider.waiting += len(envelope.rcpt_tos)
            while self.provider.holding.is_set():
                await asyncio.sleep(0.02)
            with self.provider._lock:
                self.provider.waiting -= len(envelope.rcpt_tos)
        replies = {r: self.provider.reply("data", session, envelope, r) for r in envelope.rcpt_tos}
        # One reply ends DATA for every recipient: the first non-250 one if a rule gave one.
        final = next((r for r in replies.values() if not r.startswith("250")), "250 2.0.0 OK")
        for recipient in envelope.rcpt_tos:
            self.provider.record(session, envelope, recipient, final, "data")
        return final


class Provider:
    """An SMTP server on `host`:`port` standing in for a mailbox provider's MX."""

    def __init__(self, host: str, port: int, *, name: str = ""):
        self.host = host
        self.port = port
        self.name = name or host
        self.rcpt_rules: list[Rule] = []
        self.data_rules: list[Rule] = []
        self.outcomes: list[Outcome] = []
        self.holding = threading.Event()
        self.waiting = 0  # recipients whose DATA reply is being held back
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def reply(self, stage: str, session, envelope, recipient: str) -> str:
        peer = session.peer[0]
        for rule in self.rcpt_rules if stage == "rcpt" else self.data_rules:
            answer = rule(peer, recipient)
            if answer:
                if stage == "rcpt":
                    self.record(session, envelope, recipient, answer, stage)
                return answer
        return "250 OK" if stage == "rcpt" else "250 2.0.0 OK"

    def record(self, session, envelope, recipient: str, reply: str, stage: str) -> None:
        code, _, rest = reply.partition(" ")
        status = rest.split(" ", 1)[0] if rest[:1].isdigit() and rest.count(".") >= 2 else ""
        with self._lock:
            self.outcomes.append(
                Outcome(
                    peer=session.peer[0],
                    helo=session.host_name or "",
                    mail_from=envelope.mail_from or "",
                    recipient=recipient,
                    code=int(code[:3]),
                    status=status,
                    stage=stage,
                    at=time.time(),
                )
            )

    def hold(self) -> None:
        self.holding.set()

    def release(self) -> None:
        self.holding.clear()

    def start(self) -> Provider:
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        self.release()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


class ProviderSet:
    """Providers on several loopback addresses sharing one port (the MX port Haraka dials)."""

    def __init__(self, hosts: Sequence[str]):
        self.port = free_port(hosts)
        self.providers = {host: Provider(host, self.port) for host in hosts}

    def __getitem__(self, host: str) -> Provider:
        return self.providers[host]

    def start(self) -> ProviderSet:
        for provider in self.providers.values():
            provider.start()
        return self

    def stop(self) -> None:
        for provider in self.providers.values():
            provider.stop()

    @property
    def outcomes(self) -> list[Outcome]:
        return [o for p in self.providers.values() for o in p.outcomes]

    def hold(self) -> None:
        for provider in self.providers.values():
            provider.hold()

    def release(self) -> None:
        for provider in self.providers.values():
            provider.release()

    @property
    def waiting(self) -> int:
        return sum(p.waiting for p in self.providers.values())
