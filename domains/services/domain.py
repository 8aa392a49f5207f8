"""Adding and deleting domains, and their DKIM keys (verification is in checking.py)."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from domains import dkim, dmarc, verification
from domains.models import DkimKey, Domain, DomainRecord
from warmup_site import crypto
from warmup_site.errors import ApplicationError
from warmup_site.hostnames import normalise_domain, to_unicode

logger = logging.getLogger(__name__)


# --- creating and deleting ------------------------------------------------------------------------


def domain_name_validate(*, name: str) -> str:
    """The normalised A-label of what a user typed; ApplicationError(field="name") if invalid."""
    shown = (name or "").strip()
    try:
        normalised = normalise_domain(shown)
    except ValueError as exc:
        raise ApplicationError(f"{shown!r} {exc}.", field="name") from None
    longest = verification.longest_publishable_name()
    if len(normalised) > longest:
        raise ApplicationError(
            f"The domain is {len(normalised)} characters long (as an A-label); the longest we "
            f"can publish records for is {longest}: its DKIM, DMARC and ownership records live "
            "under longer names, and a name in DNS has at most 253 characters.",
            field="name",
        )
    if dmarc.public_suffix_list().is_public(normalised):
        unicode = to_unicode(normalised)
        raise ApplicationError(
            f"{unicode} is a public suffix (like co.uk or github.io): the domains under it "
            f"belong to different owners. Add your own domain, such as yourcompany.{unicode}.",
            field="name",
        )
    return normalised


def domain_create(*, account, name: str) -> Domain:
    """Add a domain with its DKIM key and the records to publish."""
    normalised = domain_name_validate(name=name)
    if Domain.objects.for_account(account).filter(name=normalised).exists():
        raise ApplicationError(
            f"{to_unicode(normalised)} is already one of your domains.", field="name"
        )
    key_pair = dkim.generate_key_pair()  # ~0.1 s of CPU: not inside the transaction
    try:
        with transaction.atomic():
            domain = Domain.objects.create(
                account=account, name=normalised, next_check_at=timezone.now()
            )
            key = _dkim_key_create(domain=domain, key_pair=key_pair, state=DkimKey.State.ACTIVE)
            DomainRecord.objects.bulk_create(verification.initial_records(domain, key))
    except IntegrityError:
        # Two requests added the same name at once; the unique constraint kept one.
        raise ApplicationError(
            f"{to_unicode(normalised)} is already one of your domains.", field="name"
        ) from None
    logger.info("domain added: %s (account %s, id %s)", domain.name, account.pk, domain.pk)
    return domain


def _dkim_key_create(*, domain: Domain, key_pair: dkim.KeyPair, state: str) -> DkimKey:
    return DkimKey.objects.create(
        domain=domain,
        selector=dkim.new_selector(),
        public_key=key_pair.public_b64,
        private_key=crypto.encrypt(key_pair.private_pem),
        state=state,
        activated_at=timezone.now() if state == DkimKey.State.ACTIVE else None,
    )


def domain_delete(*, domain: Domain) -> None:
    logger.info("domain deleted: %s (account %s, id %s)", domain.name, domain.account_id, domain.pk)
    domain.delete()


def domain_dkim_rotate(*, domain: Domain) -> DkimKey:
    """Add a new DKIM key under a new selector. Mail stays signed with the active key until the
    new key's record verifies; then the new key takes over and the old one is retired."""
    waiting = DkimKey.objects.filter(domain=domain, state=DkimKey.State.NEXT).first()
    if waiting is not None:
        raise ApplicationError(
            f"A new DKIM key is already waiting: publish its record at "
            f"{dkim.record_host(waiting.selector, domain.name)} and verify the domain. It "
            "replaces the current key as soon as it verifies."
        )
    key_pair = dkim.generate_key_pair()
    try:
        with transaction.atomic():
            key = _dkim_key_create(domain=domain, key_pair=key_pair, state=DkimKey.State.NEXT)
            DomainRecord.objects.create(
                **verification.dkim_record_fields(domain, key, required=False)
            )
    except IntegrityError:
        raise ApplicationError("A new DKIM key was added a moment ago; reload the page.") from None
    logger.info("DKIM rotation started: %s, new selector %s", domain.name, key.selector)
    return key
