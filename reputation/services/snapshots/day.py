"""One day's snapshots of every subject at every provider: the figures read once per source,
the verdict per (subject, provider), the rows and the verdict changes."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.conf import settings

from reputation import sources, verdict
from reputation.models import (
    Kind,
)
from reputation.services.notifications import EventRow, is_stale, short_name
from reputation.services.snapshots.columns import (
    COUNTS,
    day_start,
    period_words,
    thresholds_by_provider,
)
from reputation.services.snapshots.domains import DomainRows
from reputation.services.snapshots.ips import IpRows
from reputation.verdict import Figures
from warmup_site import bulk_sql

# --- one day -------------------------------------------------------------------------------------


class DayBuilder(DomainRows, IpRows):
    """Reads one day's sources and turns them into snapshot rows. Everything is read once,
    into dicts keyed by subject and provider; the loop over subjects issues no query."""

    def __init__(self, *, day: date, now: datetime):
        self.day = day
        self.now = now
        self.start = day_start(day)
        self.end = self.start + timedelta(days=1)
        self.window = settings.WARMUP_REPUTATION_WINDOW_DAYS
        self.first = day - timedelta(days=self.window - 1)
        self.period = period_words(self.first, day)
        self.stamp = bulk_sql.stamp(now)
        self.stale = is_stale(self.end, now=now)

    def build(self) -> tuple[list[list], list[list], list[EventRow]]:
        self.providers = sources.providers()
        self.thresholds = thresholds_by_provider()
        changes: list[EventRow] = []
        domain_rows = self._domains(changes)
        ip_rows = self._ips(changes)
        return domain_rows, ip_rows, changes

    # --- shared ----------------------------------------------------------------------------------

    def _previous(self, model, subject: str, fields: tuple[str, ...]) -> dict[tuple, list]:
        """The stored snapshots of the window's earlier days: (subject, provider) → rows."""
        previous: dict[tuple, list] = defaultdict(list)
        # From the day before at least: verdict changes compare with it.
        since = min(self.first, self.day - timedelta(days=1))
        for row in model.objects.filter(day__gte=since, day__lt=self.day).values_list(
            subject, "provider_id", "day", "reputation", *fields
        ):
            previous[(row[0], row[1])].append(row[2:])
        return previous

    def _verdict(self, figures: Figures, provider_id: int):
        return verdict.decide(figures, self.thresholds[provider_id])

    def _row_common(self, provider_id: int, counts: dict, warmup_state: str, result) -> list:
        return [
            provider_id,
            self.day.isoformat(),
            *(counts.get(name, 0) for name in COUNTS),
            warmup_state,
            result.reputation,
            result.deliverability,
            result.score,
            [f.as_json() for f in result.factors],
            result.sentence,
            self.stamp,
        ]

    def _window(self, counts: dict, earlier: list, placed: int = 0) -> tuple[dict, list[int]]:
        """The verdict's window: this day's counters plus those stored for the window's earlier
        days; and the sums of the `placed` columns stored after the counters (the seeds'
        placements, for domains)."""
        window, sums = dict(counts), [0] * placed
        for row in earlier:
            if row[0] < self.first:
                continue
            values = row[2:]
            for i, counter in enumerate(COUNTS):
                window[counter] = window.get(counter, 0) + values[i]
            for i in range(placed):
                sums[i] += values[len(COUNTS) + i]
        return window, sums

    def _change(
        self,
        changes: list[EventRow],
        *,
        previous_rows,
        kind: str,
        subject_id,
        name,
        account_id,
        provider,
        result,
    ) -> None:
        """Adds the verdict change of this (subject, provider) since yesterday, if any."""
        yesterday = self.day - timedelta(days=1)
        before = next((r[1] for r in previous_rows if r[0] == yesterday), None)
        if before is None or before == result.reputation:
            return
        _provider_id, slug, pname = provider
        what = "domain" if kind == "domain" else "IP"
        provider_name = short_name(pname)
        changes.append(
            EventRow(
                key=f"verdict:{kind}:{subject_id}:{slug}:{self.day.isoformat()}",
                account_id=account_id,
                kind=Kind.VERDICT_CHANGED,
                title=f"{name}: {what} reputation at {provider_name} is now {result.reputation}",
                text=f"{result.sentence} (it was {before} on {yesterday:%d %b}).",
                data={
                    "subject": {"kind": kind, "id": subject_id, "name": name},
                    "provider": slug,
                    "day": self.day.isoformat(),
                    "reputation": result.reputation,
                    "previous": before,
                    "deliverability": result.deliverability,
                    "score": result.score,
                    "sentence": result.sentence,
                    "factors": [f.as_json() for f in result.factors],
                },
                occurred_at=self.now,
                stale=self.stale,
            )
        )
