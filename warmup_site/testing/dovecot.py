"""A throw-away Dovecot IMAP server for tests and benchmarks (Debian package dovecot-imapd).

    server = DovecotServer().start()
    server.add_user("seed1@gmail.test", "secret", folders=["[Gmail]/Spam"])
    ... IMAPClient("127.0.0.1", port=server.port, ssl=False) ...
    server.stop()

It runs as its own instance (own config, base_dir and maildirs under a temporary directory),
touches no system configuration, and follows the recipe in shared/notes/test-infra.md: logins
run as dovenull, mail belongs to the dovecot user, plain-text logins are allowed on 127.0.0.1.

Users can be added while it runs (one passwd-file each). `folders` lists a
user's mailboxes besides INBOX: by default `Junk` (flagged \\Junk, RFC 6154) and `Sent`; pass
e.g. `("[Gmail]/Spam",)` or `("Junk Email",)` for a provider that names its spam folder without
the flag.
"""

from __future__ import annotations

import contextlib
import mailbox
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"

CONFIG = """\
base_dir = {dir}/run
state_dir = {dir}/state
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login{oauth_mechanisms}
log_path = {dir}/dovecot.log
default_login_user = dovenull
default_internal_user = dovecot
default_internal_group = dovecot
mail_location = maildir:{dir}/mail/%u:LAYOUT=fs
first_valid_uid = 1
mail_max_userip_connections = {max_connections}
imap_capability = +SPECIAL-USE
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  chroot =
  process_min_avail = 1
}}
# Tests log in with wrong passwords on purpose: no brute-force slow-down on 127.0.0.1.
auth_failure_delay = 0
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
{oauth_passdb}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/users/%u
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {dir}/users/%u
  default_fields = uid=dovecot gid=dovecot home={dir}/mail/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
{special}}}
"""

# OAuth2 (XOAUTH2 / OAUTHBEARER): Dovecot asks the introspection endpoint about each token
# (RFC 7662 style POST token=…) and takes the user name from its answer.
OAUTH_PASSDB = """\
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {dir}/dovecot-oauth2.conf.ext
}}
"""

OAUTH_CONF = """\
introspection_mode = post
introspection_url = {url}
username_attribute = username
active_attribute = active
active_value = true
"""

SPECIAL_USE = """\
  mailbox {junk} {{
    special_use = \\Junk
    auto = no
  }}
  mailbox Sent {{
    special_use = \\Sent
    auto = no
  }}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DovecotServer:
    def __init__(
        self,
        *,
        special_use: bool = True,
        max_connections: int = 50,
        oauth2_introspection_url: str = "",
        junk_folder: str = "Junk",
    ):
        self.junk_folder = junk_folder
        self.special_use = special_use
        self.oauth2_introspection_url = oauth2_introspection_url
        self.max_connections = max_connections
        self.port = 0
        self.host = "127.0.0.1"
        self.dir: Path | None = None

    def start(self) -> DovecotServer:
        self.dir = Path(tempfile.mkdtemp(prefix="warmup-dovecot-"))
        for sub in ("run", "state", "mail"):
            (self.dir / sub).mkdir()
        self.port = _free_port()
        (self.dir / "users").mkdir()
        (self.dir / "dovecot.conf").write_text(
            CONFIG.format(
                dir=self.dir,
                port=self.port,
                max_connections=self.max_connections,
                special=SPECIAL_USE.format(junk=self.junk_folder) if self.special_use else "",
                oauth_mechanisms=" xoauth2 oauthbearer" if self.oauth2_introspection_url else "",
                oauth_passdb=OAUTH_PASSDB.format(dir=self.dir)
                if self.oauth2_introspection_url
                else "",
            )
        )
        if self.oauth2_introspection_url:
            (self.dir / "dovecot-oauth2.conf.ext").write_text(
                OAUTH_CONF.format(url=self.oauth2_introspection_url)
            )
        # dovenull must traverse base_dir; the mail user must own the maildirs.
        os.chmod(self.dir, 0o755)
        for sub in ("run", "state"):
            os.chmod(self.dir / sub, 0o755)
        shutil.chown(self.dir / "mail", "dovecot", "dovecot")
        subprocess.run([DOVECOT, "-c", str(self.dir / "dovecot.conf")], check=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"Dovecot did not start; see {self.dir / 'dovecot.log'}")

    def add_user(
        self, username: str, password: str, *, folders: tuple[str, ...] = ("Junk", "Sent")
    ) -> None:
        """Create a mailbox with `folders` that can log in with `password` at once.

        A folder named Junk carries the RFC 6154 \\Junk flag and Sent the \\Sent flag (when the
        server was started with special_use); other names are plain folders, as at providers
        that do not announce their spam folder.
        """
        # One passwd-file per user: Dovecot re-reads a changed file at most once a second, but
        # opens a file it has not seen yet at once, so a new user can log in immediately.
        path = self.dir / "users" / username
        path.write_text(f"{username}:{{PLAIN}}{password}::::::\n")
        home = self.dir / "mail" / username
        for folder in ["", *folders]:
            for part in ("cur", "new", "tmp"):
                (home / folder / part).mkdir(parents=True, exist_ok=True)
        subprocess.run(["chown", "-R", "dovecot:dovecot", str(home)], check=True)

    def maildir(self, username: str, folder: str = "") -> Path:
        """The maildir of ``folder`` ("" = INBOX) of a user (LAYOUT=fs: a directory per folder)."""
        return self.dir / "mail" / username / folder

    def deliver(self, username: str, message: bytes, *, folder: str = "", flags: str = "") -> Path:
        """Put ``message`` into a folder as a local delivery agent would (owned by dovecot).

        Much faster than APPEND for filling a mailbox with hundreds of messages; Dovecot picks
        the file up at the next SELECT. ``flags`` are maildir flags ("S" seen, "F" flagged).
        """
        target = mailbox.Maildir(self.maildir(username, folder), factory=None, create=True)
        entry = mailbox.MaildirMessage(message)
        if flags:
            entry.set_subdir("cur")
            entry.set_flags(flags)
        key = target.add(entry)
        path = Path(target._path) / target._lookup(key)
        user = pwd.getpwnam("dovecot")
        folder_dir = self.maildir(username, folder)
        for owned in (folder_dir, *(folder_dir / sub for sub in ("cur", "new", "tmp")), path):
            os.chown(owned, user.pw_uid, user.pw_gid)
        return path

    def stop(self) -> None:
        if self.dir is None:
            return
        pid_file = self.dir / "run" / "master.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().strip())
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def log(self) -> str:
        path = self.dir / "dovecot.log" if self.dir else None
        return path.read_text() if path and path.exists() else ""

    def __enter__(self) -> DovecotServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
