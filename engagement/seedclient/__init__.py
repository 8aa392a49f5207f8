"""Talking to seed mailboxes: IMAP (password or OAuth2) or the sandbox world's store.

Everything the engagement app needs is re-exported here; see ``base`` for the contract.
"""

from engagement.seedclient.base import (
    AUTH_OAUTH2,
    AUTH_PASSWORD,
    DEFAULT_WARMUP_FOLDER,
    FLAGGED,
    PLACEMENT_INBOX,
    PLACEMENT_SPAM,
    SEEN,
    TEST_HEADER,
    Action,
    CampaignCopy,
    ConnectionReport,
    Found,
    LoginFailed,
    SeedClient,
    SeedClientError,
    SeedEndpoint,
    SpamFolderUnknown,
)
from engagement.seedclient.client import open_seed_client, release_seed_client, test_connection
from engagement.seedclient.smtp import send_reply

__all__ = [
    "AUTH_OAUTH2",
    "AUTH_PASSWORD",
    "DEFAULT_WARMUP_FOLDER",
    "FLAGGED",
    "PLACEMENT_INBOX",
    "PLACEMENT_SPAM",
    "SEEN",
    "TEST_HEADER",
    "Action",
    "CampaignCopy",
    "ConnectionReport",
    "Found",
    "LoginFailed",
    "SeedClient",
    "SeedClientError",
    "SeedEndpoint",
    "SpamFolderUnknown",
    "open_seed_client",
    "release_seed_client",
    "send_reply",
    "test_connection",
]
