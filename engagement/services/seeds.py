"""The seed network: endpoints for the seed client, connection tests, taking seeds in and out
of rotation."""

from __future__ import annotations

from django.utils import timezone

from engagement import seedclient
from engagement.models import SeedMailbox
from warmup_site import crypto


def seed_endpoint(seed: SeedMailbox) -> seedclient.SeedEndpoint:
    """What the seed client needs to reach `seed`, secrets decrypted (never log this)."""
    return seedclient.SeedEndpoint(
        address=seed.address,
        provider=seed.provider.slug,
        username=seed.username or seed.address,
        auth=seed.auth,
        secret=crypto.decrypt(seed.secret) if seed.secret else "",
        imap_host=seed.imap_host,
        imap_port=seed.imap_port,
        imap_tls=seed.imap_tls,
        smtp_host=seed.smtp_host,
        smtp_port=seed.smtp_port,
        smtp_tls=seed.smtp_tls,
        oauth_token_url=seed.oauth_token_url,
        oauth_client_id=seed.oauth_client_id,
        oauth_client_secret=(
            crypto.decrypt(seed.oauth_client_secret) if seed.oauth_client_secret else ""
        ),
        spam_folder=seed.spam_folder,
        sandbox=seed.sandbox,
    )


def seed_create(*, provider, address: str, secret: str = "", **fields) -> SeedMailbox:
    """Add a seed; `secret` (password or refresh token) is stored encrypted."""
    seed = SeedMailbox(provider=provider, address=address.strip().lower(), **fields)
    seed.username = seed.username or seed.address
    seed_set_secrets(seed=seed, secret=secret, save=False)
    seed.save()
    return seed


def seed_save(
    *, seed: SeedMailbox, secret: str | None = None, oauth_client_secret: str | None = None
) -> SeedMailbox:
    """Save an operator's edit of a seed; a new secret replaces the stored one (see
    seed_set_secrets), None keeps it."""
    seed.save()
    seed_set_secrets(seed=seed, secret=secret, oauth_client_secret=oauth_client_secret)
    return seed


def seed_set_secrets(
    *,
    seed: SeedMailbox,
    secret: str | None = None,
    oauth_client_secret: str | None = None,
    save: bool = True,
) -> None:
    """Replace the seed's secrets; None (or "") leaves one unchanged. A new secret puts a seed
    that failed to log in back into rotation: the next sweep tries it."""
    fields = []
    if secret:
        seed.secret = crypto.encrypt(secret)
        fields.append("secret")
    if oauth_client_secret:
        seed.oauth_client_secret = crypto.encrypt(oauth_client_secret)
        fields.append("oauth_client_secret")
    if fields and seed.state == SeedMailbox.State.LOGIN_FAILED:
        seed.state = SeedMailbox.State.ACTIVE
        seed.state_reason = ""
        fields += ["state", "state_reason"]
    if save and fields:
        seed.save(update_fields=fields)


def seed_test_connection(*, seed: SeedMailbox) -> seedclient.ConnectionReport:
    """Log in now and resolve the spam folder; the result is stored on the seed. Success puts a
    seed that was out of rotation (login failed, spam folder unknown) back in."""
    report = seedclient.test_connection(seed_endpoint(seed))
    now = timezone.now()
    seed.last_checked_at = now
    fields = ["last_checked_at"]
    if report.ok:
        if report.spam_folder:
            seed.spam_folder = report.spam_folder
            fields.append("spam_folder")
        if seed.state in (SeedMailbox.State.LOGIN_FAILED, SeedMailbox.State.SPAM_FOLDER_UNKNOWN):
            seed.state = SeedMailbox.State.ACTIVE
            seed.state_reason = ""
            fields += ["state", "state_reason"]
    else:
        seed.last_error = report.message
        seed.last_error_at = now
        fields += ["last_error", "last_error_at"]
    seed.save(update_fields=fields)
    return report


def seed_take_out(*, seed: SeedMailbox, state: str, reason: str) -> None:
    """Take a seed out of rotation because it failed (login refused, no spam folder): the
    server's words are its state reason and its last error."""
    now = timezone.now()
    seed.state = state
    seed.state_reason = reason
    seed.last_error = reason
    seed.last_error_at = now
    seed.last_checked_at = now
    seed.save(
        update_fields=["state", "state_reason", "last_error", "last_error_at", "last_checked_at"]
    )


def seed_rotation_set(*, seed: SeedMailbox, active: bool, actor: str = "an operator") -> None:
    """An operator takes a seed out of rotation, or puts it back (its last error stays as a
    record; the next sweep or connection test writes a new one)."""
    seed.state = SeedMailbox.State.ACTIVE if active else SeedMailbox.State.DISABLED
    seed.state_reason = "" if active else f"Taken out of rotation by {actor}."
    seed.save(update_fields=["state", "state_reason"])
