"""django-q2 entry points of the providers app (scheduled in warmup_site/schedules.py)."""

from providers import services


def refresh_classifications() -> str:
    counts = services.classifications_refresh()
    return (
        f"re-resolved {counts['refreshed']} expired recipient domains in {counts['batches']} "
        f"batches; {counts['unchanged_on_dns_error']} kept their MX set after a DNS failure"
    )
