"""django-q2 entry points of the providers app (scheduled in warmup_site/schedules.py)."""

from providers import services


def refresh_classifications() -> str:
    return services.classifications_refresh().sentence()
