"""django-q2 entry points of the reputation app (scheduled in warmup_site/schedules.py). Each
is safe to run twice, late, or on several workers at once (see the services they call)."""

from reputation.services import feeds, notifications, retention, snapshots, webhooks


def compute_snapshots() -> str:
    return snapshots.snapshots_run().sentence()


def fetch_feeds() -> str:
    counts = feeds.feeds_fetch_due()
    return (
        f"fetched {counts['fetched']} feeds: {counts['ok']} with data, {counts['no_data']} "
        f"without data yet, {counts['failed']} failed (retried with backoff)"
    )


def notify() -> str:
    found = notifications.notifications_scan()
    sent = notifications.notifications_dispatch()
    return f"{found.sentence()}; {sent.sentence()}"


def send_digests() -> str:
    return f"sent {notifications.notifications_digest()} digest e-mails"


def deliver_webhook(delivery_id: int) -> str:
    return webhooks.webhook_deliver(delivery_id=delivery_id)


def retry_webhooks() -> str:
    return f"enqueued {len(webhooks.webhook_deliveries_due())} webhook deliveries"


def prune() -> str:
    counts = retention.retention_prune()
    return "deleted " + ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in counts.items())
