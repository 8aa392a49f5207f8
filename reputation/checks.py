"""System checks of the reputation app's configuration."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, register

from reputation.verdict import Thresholds


@register()
def check_reputation_thresholds(app_configs, **kwargs):
    try:
        Thresholds.from_mapping(settings.WARMUP_REPUTATION_THRESHOLDS)
    except ValueError as exc:
        return [
            Error(
                f"WARMUP_REPUTATION_THRESHOLDS: {exc}.",
                hint="Example: complaint_rate=0.002,min_volume=200 (see docs/reputation.md).",
                id="warmup.E020",
            )
        ]
    return []


@register()
def check_feed_urls(app_configs, **kwargs):
    errors = []
    for name in ("WARMUP_POSTMASTER_API_URL", "WARMUP_GOOGLE_TOKEN_URL", "WARMUP_SNDS_URL"):
        parts = urlsplit(getattr(settings, name))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            errors.append(
                Error(
                    f"{name} must be an http(s) URL, not {getattr(settings, name)!r}.",
                    id="warmup.E021",
                )
            )
    return errors
