"""Claiming due rows for scheduled jobs that several workers may run at once.

A job that re-checks rows when they fall due (`next_check_at`, `expires_at`, …) claims a batch
by pushing the due time of the rows it takes forward by a *lease*, in a transaction that skips
rows another worker holds (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises
writers, so its transactions cannot interleave anyway). The slow work — DNS lookups — then runs
outside any transaction. A worker that dies leaves its batch due again when the lease runs out;
the work itself sets the real next due time.
"""

from collections.abc import Iterator
from datetime import timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone


def claim_due(
    queryset: QuerySet, *, due_field: str, lease: timedelta, batch_size: int, key: str = "pk"
) -> list:
    """Claim up to `batch_size` rows of `queryset` that are due, oldest first; their keys."""
    now = timezone.now()
    with transaction.atomic():
        keys = list(
            queryset.filter(**{f"{due_field}__lte": now})
            .order_by(due_field)
            .select_for_update(skip_locked=True)
            .values_list(key, flat=True)[:batch_size]
        )
        if keys:
            queryset.model._default_manager.filter(**{f"{key}__in": keys}).update(
                **{due_field: now + lease}
            )
    return keys


def due_batches(
    queryset: QuerySet,
    *,
    due_field: str,
    lease: timedelta,
    batch_size: int,
    max_batches: int,
    key: str = "pk",
) -> Iterator[list]:
    """Claim and yield batches of due keys until none are left (or `max_batches`)."""
    for _ in range(max_batches):
        keys = claim_due(queryset, due_field=due_field, lease=lease, batch_size=batch_size, key=key)
        if not keys:
            return
        yield keys
        if len(keys) < batch_size:
            return
