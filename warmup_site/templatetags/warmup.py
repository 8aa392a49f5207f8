"""Template filters every page uses: numbers with thousands separators, percentages, and the
provider colour shared with the charts (warmup_site/charts.py). Load with `{% load warmup %}`."""

from __future__ import annotations

from datetime import date

from django import template

from warmup_site import charts

register = template.Library()


@register.filter
def thousands(value) -> str:
    """12345 → '12,345' (whole numbers; anything else is shown as it is)."""
    if isinstance(value, bool) or value is None or value == "":
        return "" if value is None else str(value)
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def percent(value) -> str:
    """0.835 → '84%'; None → '—'."""
    try:
        return charts.percent(None if value is None else float(value))
    except (TypeError, ValueError):
        return "—"


@register.filter
def provider_colour(slug: str) -> str:
    return charts.provider_colour(str(slug))


@register.filter
def bar_width(value) -> int:
    """A progress value (0–100) clamped for a progress bar's width."""
    try:
        return max(0, min(100, round(float(value))))
    except (TypeError, ValueError):
        return 0


@register.filter
def isodate(value):
    """'2026-11-28' → a date, for the `date` filter (API-shaped dicts carry ISO strings)."""
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return value
