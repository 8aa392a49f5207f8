"""The seed client over real IMAP (IMAPClient): password or OAuth2 XOAUTH2 login, batch actions.

Round trips are the cost that matters — a sweep touches every seed every few minutes, and
providers throttle chatty clients — so the client pipelines (engagement/seedclient/pipeline.py)
and remembers what it saw:

* ``locate`` writes, for INBOX, the spam folder and the warm-up folder, a SELECT followed by the
  search for the awaited Message-IDs, all in one round trip. With the seed's *folder state*
  from the last sweep (each folder's UIDVALIDITY and UIDNEXT, kept by the caller) the search is a
  ``UID FETCH <known UIDs>,<UIDNEXT>:*`` of flags and Message-ID: only mail that arrived since,
  plus the messages already found whose actions are due. A seed where nothing arrived costs
  that one round trip. Without a state (the first sweep, or UIDVALIDITY changed) it is a
  ``UID SEARCH`` with the Message-IDs ORed as a balanced tree, and a second round trip fetches
  the hits.
* ``apply`` carries out a sweep's actions — flags (read, flagged, Gmail's \\Important label)
  and moves (rescue to INBOX, file away) — for every folder in one round trip: per folder a
  SELECT, one ``UID STORE`` per set of flags and one ``UID MOVE`` per destination. Flags are set
  before a move, so rescued mail arrives in INBOX already read or flagged.
* the spam folder's name is remembered by the caller (``SeedEndpoint.spam_folder``): LIST runs
  only when it is unknown, or gone.

``round_trips`` counts network round trips: every command IMAPClient sends on its own (LOGIN,
CAPABILITY when the server did not announce it: imap_connection.py) is one, and a pipeline of
any length is one. Connections are kept between sweeps (pool.py); one the server closed while
idle is reconnected once, transparently, on its first command.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl

import imapclient
from django.conf import settings
from imapclient import exceptions as imap_errors

from engagement.seedclient import oauth, pipeline
from engagement.seedclient.base import (
    AUTH_OAUTH2,
    KNOWN_SPAM_FOLDERS,
    TLS_SSL,
    TLS_STARTTLS,
    Action,
    LoginFailed,
    SeedClientError,
    SeedEndpoint,
    SpamFolderUnknown,
    tls_context,
)
from engagement.seedclient.imap_actions import ImapActions
from engagement.seedclient.imap_connection import SeedImapClient, remember_capabilities
from engagement.seedclient.imap_locate import SEARCH_CHUNK, ImapLocate
from engagement.seedclient.imap_parsing import (
    FETCH_HEADER,
    HEADER_KEY,
    found_from_fetch,
    gmail_category,
    or_search_terms,
    parse_copyuid,
    parse_uid_set,
    server_message,
    strip_inbox_prefix,
)
from engagement.seedclient.limits import HostSlot, acquire_host_slot
from engagement.seedclient.pipeline import Command

logger = logging.getLogger(__name__)

INBOX = "INBOX"

JUNK_FLAG = b"\\Junk"

__all__ = [
    "FETCH_HEADER",
    "HEADER_KEY",
    "SEARCH_CHUNK",
    "Action",
    "ImapSeedClient",
    "found_from_fetch",
    "gmail_category",
    "or_search_terms",
    "parse_copyuid",
    "parse_uid_set",
]


class ImapSeedClient(ImapLocate, ImapActions):
    """A logged-in IMAP connection to one seed; use :func:`connect`. Locating is in
    imap_locate.py, acting (apply, the wrappers, purge) in imap_actions.py."""

    def __init__(self, endpoint: SeedEndpoint, imap: imapclient.IMAPClient, slot: HostSlot | None):
        self.endpoint = endpoint
        self._imap = imap
        self._slot = slot
        self._selected: str | None = None
        self._folders: dict[str, tuple[bytes, ...]] | None = None
        self._spam: str | None = None
        self._capabilities = {c.upper() for c in imap.capabilities()}
        self.gmail = b"X-GM-EXT-1" in self._capabilities
        self.has_move = b"MOVE" in self._capabilities
        self.has_uidplus = b"UIDPLUS" in self._capabilities
        # Folder → (UIDVALIDITY, UIDNEXT) as this connection's SELECTs saw them.
        self.folder_state: dict[str, tuple[int, int]] = {}
        self._pipelined = 0  # commands sent beyond the first of each pipeline
        self._retired = 0  # round trips of a connection a reconnect replaced
        self.broken = False
        self.reused = False  # kept from an earlier sweep (engagement/seedclient/pool.py)
        self._used = True  # a command has worked since it was handed out

    # --- connection -----------------------------------------------------------------------------

    @classmethod
    def connect(cls, endpoint: SeedEndpoint, *, evict=None) -> ImapSeedClient:
        """Log in. `evict(host)` may close an idle kept connection to free a host slot."""
        limit = settings.WARMUP_IMAP_MAX_CONNECTIONS_PER_HOST
        directory = settings.WARMUP_IMAP_SLOT_DIR
        try:
            slot = acquire_host_slot(
                endpoint.imap_host, limit=limit, wait_seconds=0, directory=directory
            )
        except SeedClientError:
            # Connections this process keeps open between sweeps hold slots too: give one back
            # rather than wait for it.
            if evict is not None:
                evict(endpoint.imap_host)
            slot = acquire_host_slot(
                endpoint.imap_host,
                limit=limit,
                wait_seconds=settings.WARMUP_IMAP_CONNECTION_WAIT,
                directory=directory,
            )
        imap = None
        try:
            imap = cls._open_socket(endpoint)
            answer = cls._login(endpoint, imap)
            remember_capabilities(imap, answer)
            return cls(endpoint, imap, slot)
        except BaseException:
            if imap is not None:
                with contextlib.suppress(Exception):  # the socket may already be gone
                    imap.shutdown()
            slot.release()
            raise

    @staticmethod
    def _open_socket(endpoint: SeedEndpoint) -> imapclient.IMAPClient:
        where = f"{endpoint.imap_host}:{endpoint.imap_port}"
        try:
            imap = SeedImapClient(
                endpoint.imap_host,
                port=endpoint.imap_port,
                ssl=endpoint.imap_tls == TLS_SSL,
                ssl_context=tls_context() if endpoint.imap_tls == TLS_SSL else None,
                timeout=settings.WARMUP_IMAP_TIMEOUT,
            )
            if endpoint.imap_tls == TLS_STARTTLS:
                imap.starttls(tls_context())
        except (TimeoutError, OSError, ssl.SSLError) as exc:
            raise SeedClientError(f"cannot connect to {where}: {exc}") from None
        except imap_errors.IMAPClientError as exc:
            raise SeedClientError(f"{where}: {exc}") from None
        return imap

    @staticmethod
    def _login(endpoint: SeedEndpoint, imap: imapclient.IMAPClient):
        try:
            if endpoint.auth == AUTH_OAUTH2:
                token, cached = oauth.access_token(endpoint)
                try:
                    return imap.oauth2_login(endpoint.username, token)
                except imap_errors.LoginError:
                    if not cached:
                        raise
                    # A cached token can be revoked before its expiry: fetch a new one, once.
                    oauth.forget(endpoint)
                    token, _ = oauth.access_token(endpoint)
                    return imap.oauth2_login(endpoint.username, token)
            return imap.login(endpoint.username, endpoint.secret)
        except imap_errors.LoginError as exc:
            raise LoginFailed(server_message(exc)) from None
        except imap_errors.IMAPClientError as exc:
            raise SeedClientError(server_message(exc)) from None
        except OSError as exc:
            raise SeedClientError(f"connection lost during login: {exc}") from None

    @property
    def round_trips(self) -> int:
        return self._retired + self._imap._imap.tagnum - self._pipelined

    def reuse(self, endpoint: SeedEndpoint) -> None:
        """Handed to a new sweep by the pool: the seed's current endpoint (secrets, remembered
        spam folder), and nothing carried over but the login and the folder list."""
        self.endpoint = endpoint
        self.reused, self._used = True, False
        self._spam = None
        self.folder_state = {}

    def _reconnect(self) -> None:
        """A kept connection the server dropped while idle: log in again (same host slot)."""
        self._retired = self.round_trips
        self._pipelined = 0
        with contextlib.suppress(Exception):
            self._imap.shutdown()
        imap = self._open_socket(self.endpoint)
        remember_capabilities(imap, self._login(self.endpoint, imap))
        self._imap, self._selected, self.broken = imap, None, False

    def _attempt(self, call):
        """Run `call`; a kept connection that fails on its first command is reconnected and
        the command tried once more (an idle connection the server closed is not an error)."""
        try:
            result = call()
        except SeedClientError:
            if not (self.reused and not self._used and self.broken):
                raise
            logger.info(
                "kept IMAP connection to %s was closed; logging in again", self.endpoint.address
            )
            self._reconnect()
            result = call()
        self._used = True
        return result

    def close(self) -> None:
        try:
            self._imap.logout()
        except Exception:  # closing a dead connection must not raise
            with contextlib.suppress(Exception):
                self._imap.shutdown()
        finally:
            if self._slot is not None:
                self._slot.release()
                self._slot = None

    def __enter__(self) -> ImapSeedClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- commands -------------------------------------------------------------------------------

    def _run(self, what: str, call, *args, **kwargs):
        """Call IMAPClient, turning its errors into SeedClientError with the server's words."""
        return self._attempt(lambda: self._call(what, call, *args, **kwargs))

    def _call(self, what: str, call, *args, **kwargs):
        try:
            # IMAPClient methods are bound to the connection: look them up on the current one
            # (a reconnect replaces it).
            return getattr(self._imap, call.__name__)(*args, **kwargs)
        except imap_errors.IMAPClientError as exc:
            self._selected = None
            raise SeedClientError(f"{what}: {server_message(exc)}") from None
        except (OSError, imaplib.IMAP4.abort) as exc:
            self._selected = None
            self.broken = True
            raise SeedClientError(f"{what}: connection lost: {exc}") from None

    def _pipeline(self, what: str, commands: list[Command]) -> list[pipeline.Answer]:
        """Several commands in one round trip (see pipeline.py)."""
        return self._attempt(lambda: self._send_pipeline(what, commands))

    def _send_pipeline(self, what: str, commands: list[Command]) -> list[pipeline.Answer]:
        raw = self._imap._imap
        try:
            answers = pipeline.run(raw, commands)
        except (OSError, imaplib.IMAP4.abort) as exc:
            self._selected = None
            self.broken = True
            raise SeedClientError(f"{what}: connection lost: {exc}") from None
        self._pipelined += len(commands) - 1
        for command, answer in zip(commands, answers, strict=True):
            if command.reads == "select":
                self._selected = command.folder if answer.ok else None
                if answer.ok and "UIDVALIDITY" in answer.select:
                    self.folder_state[command.folder] = (
                        answer.select["UIDVALIDITY"],
                        answer.select.get("UIDNEXT", 1),
                    )
        return answers

    def _folder_arg(self, folder: str) -> bytes:
        return self._imap._normalise_folder(folder)

    def _select_command(self, folder: str) -> Command:
        return Command("SELECT", (self._folder_arg(folder),), reads="select", folder=folder)

    # --- folders --------------------------------------------------------------------------------

    def folders(self) -> dict[str, tuple[bytes, ...]]:
        """Folder name → flags, from one LIST per connection."""
        if self._folders is None:
            listing = self._run("LIST", self._imap.list_folders)
            self._folders = {name: tuple(flags) for flags, _delimiter, name in listing}
        return self._folders

    def spam_folder(self) -> str:
        if self._spam is not None:
            return self._spam
        remembered = self.endpoint.spam_folder
        if remembered and (self._folders is None or remembered in self._folders):
            # Trusted without a LIST: a SELECT that fails says it is gone (see _forget_spam).
            self._spam = remembered
            return remembered
        return self._resolve_spam()

    def _resolve_spam(self) -> str:
        folders = self.folders()
        for name, flags in folders.items():
            if JUNK_FLAG in flags:
                self._spam = name
                return name
        if b"SPECIAL-USE" in self._capabilities:
            # Some servers only show special-use flags to LIST (SPECIAL-USE) (RFC 6154 §5.1).
            found = self._run("LIST (SPECIAL-USE)", self._imap.find_special_folder, JUNK_FLAG)
            if found:
                self._spam = found
                return found
        by_lower = {strip_inbox_prefix(name).lower(): name for name in folders}
        for candidate in KNOWN_SPAM_FOLDERS:
            if candidate.lower() in by_lower:
                self._spam = by_lower[candidate.lower()]
                return self._spam
        names = ", ".join(sorted(folders)) or "none"
        raise SpamFolderUnknown(
            f"no folder is flagged \\Junk and none has a known spam folder name "
            f"({', '.join(KNOWN_SPAM_FOLDERS)}); folders: {names}"
        )

    def _forget_spam(self) -> str:
        """The remembered spam folder could not be selected: resolve it again from LIST."""
        self._spam, self._folders = None, None
        return self._resolve_spam()

    def _select(self, folder: str) -> int:
        """Select ``folder`` read-write unless it already is; the number of messages in it."""
        response = self._run(f"SELECT {folder}", self._imap.select_folder, folder)
        self._selected = folder
        if b"UIDVALIDITY" in response:
            self.folder_state[folder] = (
                int(response[b"UIDVALIDITY"]),
                int(response.get(b"UIDNEXT", 1)),
            )
        return int(response.get(b"EXISTS", 0))

    def _ensure_folder(self, folder: str) -> None:
        try:
            self._imap.create_folder(folder)
        except imap_errors.IMAPClientError as exc:
            # Another connection may have created it a moment ago.
            if "ALREADYEXISTS" not in str(exc).upper():
                raise SeedClientError(f"CREATE {folder}: {server_message(exc)}") from None
        except (OSError, imaplib.IMAP4.abort) as exc:
            self.broken = True
            raise SeedClientError(f"CREATE {folder}: connection lost: {exc}") from None
        if self._folders is not None:
            self._folders[folder] = ()
