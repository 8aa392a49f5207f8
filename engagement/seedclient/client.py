"""Opening a seed client: real IMAP, or the sandbox store for sandbox seeds."""

from __future__ import annotations

from engagement.seedclient import pool
from engagement.seedclient.base import (
    ConnectionReport,
    LoginFailed,
    SeedClient,
    SeedClientError,
    SeedEndpoint,
    SpamFolderUnknown,
)
from engagement.seedclient.imap import ImapSeedClient
from engagement.seedclient.store import SandboxStoreClient

PROBLEM_LOGIN_FAILED = "login_failed"
PROBLEM_SPAM_FOLDER_UNKNOWN = "spam_folder_unknown"
PROBLEM_ERROR = "error"


def open_seed_client(endpoint: SeedEndpoint, *, keep: bool = False) -> SeedClient:
    """A logged-in client for ``endpoint`` (also a context manager that closes it).

    IMAP connections wait for one of WARMUP_IMAP_MAX_CONNECTIONS_PER_HOST slots for the host.
    With `keep`, a connection kept from this seed's last sweep is reused (its `reused` is
    True); give it back with `release_seed_client`. Raises LoginFailed when the credentials are
    refused, SeedClientError otherwise.
    """
    if endpoint.sandbox:
        return SandboxStoreClient.open(endpoint)
    if keep:
        kept = pool.checkout(endpoint)
        if kept is not None:
            kept.reuse(endpoint)
            return kept
    return ImapSeedClient.connect(endpoint, evict=pool.evict_idle)


def release_seed_client(client: SeedClient) -> None:
    """A sweep is done with `client`: keep a healthy IMAP connection for the next sweep."""
    if isinstance(client, ImapSeedClient):
        pool.checkin(client)
    else:
        client.close()


def test_connection(endpoint: SeedEndpoint) -> ConnectionReport:
    """Log in and resolve the spam folder: what the admin's "test connection" shows."""
    try:
        with open_seed_client(endpoint) as client:
            spam = client.spam_folder()
    except LoginFailed as exc:
        return ConnectionReport(
            ok=False, message=f"Login refused: {exc}", problem=PROBLEM_LOGIN_FAILED
        )
    except SpamFolderUnknown as exc:
        return ConnectionReport(
            ok=False, message=f"Spam folder unknown: {exc}", problem=PROBLEM_SPAM_FOLDER_UNKNOWN
        )
    except SeedClientError as exc:
        return ConnectionReport(ok=False, message=str(exc), problem=PROBLEM_ERROR)
    return ConnectionReport(ok=True, message=f"Logged in; spam folder is {spam}.", spam_folder=spam)


# pytest would collect the function above as a test when a test module imports it by name.
test_connection.__test__ = False
