"""Reads of the engagement app, one queryset per output shape: placement tests as the customer
sees them (`placement_test_list` with its seeds prefetched; `placement_test_summary` reads them
without further queries)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch
from django.utils import timezone

from accounts.tenancy import TenantQuerySet
from engagement.models import PlacementTest, PlacementTestSeed

Placement = PlacementTestSeed.Placement
COUNTED = (Placement.INBOX, Placement.SPAM, Placement.MISSING, Placement.PENDING)


def placement_test_list() -> TenantQuerySet:
    """Tests with their domain and their seeds' copies (two queries for any number of tests)."""
    return (
        PlacementTest.objects.select_related("domain")
        .prefetch_related(
            Prefetch(
                "seeds",
                queryset=PlacementTestSeed.objects.select_related("provider").order_by(
                    "provider__position", "provider__name", "address"
                ),
            )
        )
        .order_by("-created_at", "-pk")
    )


@dataclass
class ProviderPlacement:
    provider: str
    provider_name: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED, 0))
    copies: list[PlacementTestSeed] = field(default_factory=list)


@dataclass
class PlacementSummary:
    test: PlacementTest
    status: str  # waiting | complete
    expired: bool
    counts: dict[str, int]
    providers: list[ProviderPlacement]


def copy_placement(copy: PlacementTestSeed, *, expired: bool) -> str:
    """Still pending when the test expired means missing (the sweep marks it so soon after)."""
    if copy.placement == Placement.PENDING and expired:
        return Placement.MISSING
    return copy.placement


def placement_test_summary(test: PlacementTest, *, now: datetime | None = None) -> PlacementSummary:
    """Per provider: inbox / spam / missing / pending, from the prefetched seeds (no query)."""
    now = now or timezone.now()
    expired = not test.is_open(now)
    counts = dict.fromkeys(COUNTED, 0)
    providers: dict[int, ProviderPlacement] = {}
    for copy in test.seeds.all():
        placement = copy_placement(copy, expired=expired)
        copy.shown_placement = placement
        row = providers.setdefault(
            copy.provider_id,
            ProviderPlacement(copy.provider.slug, copy.provider.name.split(" (", 1)[0]),
        )
        row.counts[placement] += 1
        row.copies.append(copy)
        counts[placement] += 1
    status = "waiting" if counts[Placement.PENDING] else "complete"
    return PlacementSummary(test, status, expired, counts, list(providers.values()))
