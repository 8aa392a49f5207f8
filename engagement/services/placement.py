"""Placement tests: where does the customer's own campaign land at each provider?

`placement_test_create` picks one active seed at every covered provider and a token; the
customer sends the campaign through their own infrastructure to those addresses, with the
token in an `X-Warmup-Test` header or in the subject. The seeds' sweep (services/sweep.py)
looks for the copies with the seed client's `find_copies` — headers only, no action: a test
measures the placement, it must not improve it — and `placement_copies_record` stores what it
found, with the SPF, DKIM and DMARC results from the seed's own `Authentication-Results`.
A test is open for WARMUP_PLACEMENT_TEST_HOURS (24 h); what was not found by then is missing
(`placement_tests_expire`, run by every sweep).
"""

from __future__ import annotations

import random
import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from domains.models import Domain
from engagement import seedclient
from engagement.models import PlacementTest, PlacementTestSeed, SeedMailbox
from warmup_site.errors import ApplicationError

Placement = PlacementTestSeed.Placement
_RESULT = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*([a-z]+)", re.IGNORECASE)


def new_token() -> str:
    # Short enough for a subject line, long enough never to be guessed or to collide.
    return f"wt-{secrets.token_hex(8)}"


def placement_test_create(
    *, domain: Domain, actor: str = "", rng: random.Random | None = None
) -> PlacementTest:
    """A new test of `domain` (verified) with one active seed at every provider that has one."""
    if domain.status != Domain.Status.VERIFIED:
        raise ApplicationError(
            f"{domain.unicode_name} is not verified yet: verify it before testing its placement.",
            field="domain",
        )
    rng = rng or random.Random()
    by_provider: dict[int, list[SeedMailbox]] = {}
    for seed in SeedMailbox.objects.filter(state=SeedMailbox.State.ACTIVE).order_by("pk"):
        by_provider.setdefault(seed.provider_id, []).append(seed)
    if not by_provider:
        raise ApplicationError(
            "No seed mailbox is active at any provider yet, so there is nowhere to send a test "
            "to. The operators have been alerted; try again later.",
            field="domain",
        )
    now = timezone.now()
    with transaction.atomic():
        test = PlacementTest.objects.create(
            domain=domain,
            token=new_token(),
            created_at=now,
            expires_at=now + timedelta(hours=settings.WARMUP_PLACEMENT_TEST_HOURS),
            created_by=actor[:150],
        )
        PlacementTestSeed.objects.bulk_create(
            PlacementTestSeed(
                test=test, seed=seed, provider_id=seed.provider_id, address=seed.address
            )
            for seed in (rng.choice(seeds) for seeds in by_provider.values())
        )
    return test


def placement_tests_expire(*, now: datetime | None = None) -> int:
    """Copies of expired tests that were never found are missing (one UPDATE)."""
    now = now or timezone.now()
    return PlacementTestSeed.objects.filter(
        placement=Placement.PENDING, test__expires_at__lte=now
    ).update(placement=Placement.MISSING)


def pending_copies(*, seed: SeedMailbox, now: datetime) -> list[PlacementTestSeed]:
    """The seed's copies still being looked for (tests still open)."""
    return list(
        PlacementTestSeed.objects.filter(
            seed=seed, placement=Placement.PENDING, test__expires_at__gt=now
        ).select_related("test")
    )


def authentication_verdicts(header: str) -> dict[str, str]:
    """spf/dkim/dmarc results of an Authentication-Results header (RFC 8601), first of each."""
    found: dict[str, str] = {}
    for method, result in _RESULT.findall(header):
        found.setdefault(method.lower(), result.lower())
    return found


def placement_copies_record(
    *,
    copies: Sequence[PlacementTestSeed],
    found: dict[str, seedclient.CampaignCopy],
    now: datetime,
) -> int:
    """Store where each copy was found (by its test's token); returns how many were found."""
    changed = []
    for row in copies:
        copy = found.get(row.test.token)
        if copy is None:
            continue
        verdicts = authentication_verdicts(copy.authentication_results)
        row.placement = copy.placement
        row.folder = copy.folder[:255]
        row.category = copy.category
        row.found_at = now
        row.message_id = copy.message_id[:255]
        row.subject = copy.subject[:255]
        row.authentication_results = copy.authentication_results
        row.spf = verdicts.get("spf", "")[:16]
        row.dkim = verdicts.get("dkim", "")[:16]
        row.dmarc = verdicts.get("dmarc", "")[:16]
        changed.append(row)
    PlacementTestSeed.objects.bulk_update(
        changed,
        [
            "placement",
            "folder",
            "category",
            "found_at",
            "message_id",
            "subject",
            "authentication_results",
            "spf",
            "dkim",
            "dmarc",
        ],
    )
    return len(changed)
