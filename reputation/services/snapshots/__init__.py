"""The snapshot job: one snapshot per (domain or IP, provider, UTC day), every day.

`snapshots_run()` (scheduled hourly) makes sure every day since the last run has a
`SnapshotDay`, then computes each day that is not final, oldest first, and today:

1. claim the day: lock its `SnapshotDay` row (`FOR UPDATE SKIP LOCKED` on PostgreSQL). A day
   another worker holds is left to it, and so are the days after it (their window and their
   verdict changes depend on it);
2. read the day's figures from the other apps (reputation/sources.py) and the feeds' tables —
   one query per source, whatever the number of subjects;
3. for every subject × provider, sum the verdict's window (the day plus the stored snapshots of
   the days before it), call the pure rule (reputation/verdict/) and build the row;
4. write each table with one upsert (warmup_site/bulk_sql.py) — idempotent per (subject,
   provider, day);
5. once the day is over (plus WARMUP_REPUTATION_FINALIZE_MINUTES), mark it final and record a
   notification event for every verdict that changed since the day before.

So a day costs the same ~20 statements for ten subjects or ten thousand (bench/reputation.py).
"""

from reputation.services.snapshots.columns import RunSummary, period_words, thresholds_by_provider
from reputation.services.snapshots.job import (
    snapshot_days_ensure,
    snapshot_days_reopen,
    snapshots_compute_day,
    snapshots_run,
)

__all__ = [
    "RunSummary",
    "period_words",
    "snapshot_days_ensure",
    "snapshot_days_reopen",
    "snapshots_compute_day",
    "snapshots_run",
    "thresholds_by_provider",
]
