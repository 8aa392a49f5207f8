"""The sandbox world: simulated mailbox providers for `make run`, demos and tests.

On with WARMUP_SANDBOX=1. One aiosmtpd server (``world.SandboxWorld``) stands in for every
provider: it verifies DKIM, decides inbox or spam from a per-(sender domain, provider)
reputation (``model``), and delivers into maildirs under WARMUP_SANDBOX_DIR/mail — the layout
Dovecot serves (``maildir:…:LAYOUT=fs``), so the same mailboxes can be read over real IMAP, or
by the built-in store client (``engagement.seedclient.store``) when Dovecot is not installed.
See docs/sandbox.md.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.conf import settings

from engagement.sandbox.model import ProviderParams, load_params
from engagement.sandbox.providers import PROVIDERS, SandboxProvider, provider_for

SANDBOX_IMAP_HOST = "sandbox"  # not a host: sandbox seeds are read by the built-in store
SANDBOX_IMAP_PORT = 143


def seed_endpoint_defaults() -> dict:
    """Connection fields for a demo seed living in the sandbox world (SeedEndpoint kwargs)."""
    return {
        "imap_host": SANDBOX_IMAP_HOST,
        "imap_port": SANDBOX_IMAP_PORT,
        "imap_tls": "none",
        # The world is also every seed's SMTP server: replies go through it and count as
        # engagement for the message they answer.
        "smtp_host": "127.0.0.1",
        "smtp_port": settings.WARMUP_SANDBOX_SMTP_PORT,
        "smtp_tls": "none",
        "sandbox": True,
    }


def mail_root():
    """Where the world's maildirs live: <WARMUP_SANDBOX_DIR>/mail/<address>/<folder>/."""
    return settings.WARMUP_SANDBOX_DIR / "mail"


def model_params() -> dict[str, ProviderParams]:
    """The reputation model's parameters per provider, from WARMUP_SANDBOX_MODEL_FILE (read
    again when the file changes)."""
    path = Path(settings.WARMUP_SANDBOX_MODEL_FILE)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = 0  # load_params says what is wrong with the path
    return _load(str(path), stamp)


@lru_cache(maxsize=4)
def _load(path: str, _stamp: int) -> dict[str, ProviderParams]:
    return load_params(Path(path))


__all__ = [
    "PROVIDERS",
    "SandboxProvider",
    "mail_root",
    "model_params",
    "provider_for",
    "seed_endpoint_defaults",
]
