"""Every scheduled job of Warmup, in one list.

`python manage.py sync_schedules` (run by `make run` and at every deploy, after `migrate`)
upserts these into django-q2's Schedule table by name and deletes managed schedules that are no
longer listed. Managed schedules are recognised by the "warmup: " prefix of their name, so
schedules an operator adds by hand in the admin are left alone.

Times are UTC. Jobs must be safe to run twice or late: they key their work by date.
"""

from dataclasses import dataclass
from datetime import time

PREFIX = "warmup: "


@dataclass(frozen=True)
class Job:
    name: str  # without PREFIX
    func: str  # dotted path of a function in some app's tasks.py
    every_minutes: int | None = None  # run every N minutes …
    daily_at: time | None = None  # … or once a day at this UTC time
    description: str = ""
    # In sandbox mode (`make run`), run every N minutes instead: someone trying the demo should
    # see a warm-up message land, get swept and show on the page within a minute or two.
    sandbox_every_minutes: int | None = None

    def minutes(self, *, sandbox: bool) -> int | None:
        if sandbox and self.sandbox_every_minutes is not None:
            return self.sandbox_every_minutes
        return self.every_minutes

    @property
    def full_name(self) -> str:
        return PREFIX + self.name


JOBS: list[Job] = [
    Job(
        name="refresh recipient-domain classifications",
        func="providers.tasks.refresh_classifications",
        daily_at=time(3, 20),
        description="Re-resolve the MX records of cached recipient domains whose TTL expired.",
    ),
    Job(
        name="re-verify sending domains",
        func="domains.tasks.reverify_domains",
        # Hourly sweep of the domains that are due: each domain is re-checked once a day (new
        # pending domains hourly in their first week), and temporary DNS failures are retried
        # after an hour instead of waiting a day.
        every_minutes=60,
        description="Re-check the DNS records of every sending domain once a day.",
    ),
    Job(
        name="check dedicated IPs (reverse DNS and blocklists)",
        func="ips.tasks.check_due_ips",
        every_minutes=15,
        description="Check new IPs until they pass (then their warm-up starts) and re-check "
        "every sending IP's PTR and DNS blocklists every WARMUP_IP_RECHECK_HOURS.",
    ),
    Job(
        name="IP warm-up controller (daily decisions)",
        func="ips.tasks.run_warmup_controller",
        # Shortly after midnight UTC, when the day's counters are complete (late events of the
        # last minutes still count: events are counted by their own timestamp). A late or
        # repeated run decides only the days not decided yet.
        daily_at=time(0, 10),
        description="Advance, hold, back off or finish every IP warm-up per provider for the "
        "day that ended, and flag warm IPs under their floor.",
    ),
    Job(
        name="shared pools: capacity watch",
        func="ips.tasks.watch_shared_pools",
        every_minutes=15,
        description="Alert operators (once a day per pool) when a shared pool's routing today "
        "nears, or is on course to pass, the capacity set for it.",
    ),
    Job(
        name="domain warm-up: daily plan step",
        func="engagement.tasks.step_plans",
        # After the night's placements are in (sends end at 22:00 UTC, `missing` after 6 h),
        # before the waking hours (07:00 UTC) in which today's messages are spread.
        daily_at=time(4, 30),
        description="Decide each warming provider's volume for today and schedule the mail.",
    ),
    Job(
        name="domain warm-up: send due messages",
        func="engagement.tasks.send_due_messages",
        every_minutes=5,
        sandbox_every_minutes=1,
        description="Send the warm-up messages whose time has come (each at most once).",
    ),
    Job(
        name="domain warm-up: sweep seed mailboxes",
        func="engagement.tasks.sweep_seeds",
        every_minutes=10,
        sandbox_every_minutes=1,
        description="Find warm-up mail in the seeds, record placement, rescue/read/flag/reply.",
    ),
    Job(
        name="reputation: daily snapshots",
        func="reputation.tasks.compute_snapshots",
        # Today's snapshots are recomputed on every run (so they are never more than half an
        # hour old); a past day is final once computed an hour after it ended, and every day
        # a run missed is caught up.
        every_minutes=30,
        sandbox_every_minutes=2,
        description="Snapshot every domain and IP at every provider for today and every day "
        "not final yet, with the verdict; record verdict changes.",
    ),
    Job(
        name="reputation: fetch provider feeds",
        func="reputation.tasks.fetch_feeds",
        # Each connection is fetched every WARMUP_FEED_INTERVAL_HOURS (failures sooner, with
        # backoff); the job only picks the connections that are due.
        every_minutes=60,
        description="Fetch Google Postmaster Tools and Microsoft SNDS data for every connected "
        "account.",
    ),
    Job(
        name="reputation: notifications",
        func="reputation.tasks.notify",
        every_minutes=5,
        description="Record what changed (warm-ups, listings, domains, seeds, feeds) and send "
        "the mail and webhooks.",
    ),
    Job(
        name="reputation: webhook retries",
        func="reputation.tasks.retry_webhooks",
        every_minutes=2,
        description="Enqueue webhook deliveries whose next attempt is due (backoff).",
    ),
    Job(
        name="reputation: daily digest",
        func="reputation.tasks.send_digests",
        daily_at=time(7, 0),
        description="Mail each account that chose the digest its events of the last day.",
    ),
    Job(
        name="reputation: retention",
        func="reputation.tasks.prune",
        daily_at=time(2, 40),
        description="Delete snapshots past WARMUP_REPUTATION_RETENTION_DAYS, old "
        "notification events and webhook logs.",
    ),
    Job(
        name="delivery-event retention",
        func="ips.tasks.prune_delivery_events",
        daily_at=time(2, 50),
        description="Delete raw delivery events past WARMUP_DELIVERY_EVENT_RETENTION_DAYS (the "
        "day counters and snapshots keep their figures).",
    ),
]
