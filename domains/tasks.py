"""django-q2 entry points of the domains app (scheduled in warmup_site/schedules.py)."""

from domains import services


def reverify_domains() -> str:
    """Check every domain whose daily check is due; safe to run twice or on several workers."""
    return services.domains_reverify_due().sentence()
