"""What every chart shares: the per-provider colours (also used by badges and legends), the
verdict and placement colours, the base layout and the step from a plotly figure to the JSON a
page embeds. The figures themselves are built where their data is read (reputation/charts/).

Python's plotly builds and validates each figure; the page embeds its JSON with `json_script`
and static/js/charts.js draws it with the vendored plotly.js (static/vendor/plotly/), which
only pages with charts load. docs/dashboards.md explains the choices.
"""

from __future__ import annotations

import hashlib

import plotly.graph_objects as go

# One colour per built-in provider, used by every chart line, legend and provider badge. Each
# has at least 3:1 contrast on white (WCAG 1.4.11, graphics), and neighbours in the usual order
# differ in hue and lightness so that they stay apart for the common colour-vision deficiencies.
PROVIDER_COLOURS = {
    "google": "#1f77b4",
    "microsoft": "#238023",
    "yahoo": "#7b3fc4",
    "apple": "#5f6368",
    "comcast": "#d62728",
    "united_internet": "#8c564b",
    "yandex": "#c2458f",
    "mailru": "#d35f00",
    "zoho": "#0e8a96",
    "proton": "#a67c00",
    "other": "#707070",
}
# Providers an operator adds get one of these, always the same one for the same slug.
EXTRA_COLOURS = ("#3b5b92", "#9c2f6a", "#4f7a28", "#b04a1c", "#2f6f6f", "#6a4c93")

VERDICT_COLOURS = {"positive": "#237032", "neutral": "#8a93a6", "negative": "#c92a2a"}
PLACEMENT_COLOURS = {"inbox": "#2f9e44", "spam": "#e8590c", "missing": "#adb5bd"}
SNDS_COLOURS = {"GREEN": "#2f9e44", "YELLOW": "#f0a500", "RED": "#c92a2a"}
INK, MUTED, GRID = "#1f2a44", "#5c6478", "#e3e6ee"

# What plotly.js gets besides the figure. No toolbar: the plots are hidden from assistive
# technology (the table beside each one carries its figures), so nothing inside them may take
# the keyboard focus; dragging still zooms and a double click resets.
CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False}


def provider_colour(slug: str) -> str:
    """The provider's colour: the built-in one, or a stable pick for a provider added later."""
    colour = PROVIDER_COLOURS.get(slug)
    if colour is not None:
        return colour
    digest = hashlib.sha256(slug.encode()).digest()
    return EXTRA_COLOURS[digest[0] % len(EXTRA_COLOURS)]


def base_layout(**overrides) -> dict:
    """The layout every chart starts from: our font and colours, no plotly template (it would
    add ~10 KB to each figure), the legend under the plot, unified hover along the x axis."""
    layout = {
        "template": "none",
        "font": {
            "family": 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif',
            "size": 12,
            "color": INK,
        },
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 56, "r": 56, "t": 36, "b": 40},
        "hovermode": "x unified",
        "legend": {"orientation": "h", "y": -0.18, "x": 0, "font": {"size": 12}},
        "xaxis": {"type": "date", "gridcolor": GRID, "linecolor": GRID, "tickformat": "%-d %b"},
        "yaxis": {"gridcolor": GRID, "zerolinecolor": GRID, "rangemode": "tozero"},
        "height": 320,
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(layout.get(key), dict):
            layout[key] = {**layout[key], **value}
        else:
            layout[key] = value
    return layout


def figure(*, data: list[dict], layout: dict) -> dict:
    """A validated plotly figure as the JSON-ready dict a page embeds. plotly checks every
    trace and layout property here, so a typo fails in the tests, not in the browser.

    The figure's own validated dicts are embedded as they are: `to_plotly_json()` would deep
    copy them, a third of the cost of a page's charts, for a figure used once."""
    built = go.Figure(data=data, layout=layout)
    return {"data": built._data, "layout": built._layout, "config": CONFIG}


def percent(value: float | None) -> str:
    """0.835 → '84%' (what hover text and tables show); '—' when there is no value."""
    return "—" if value is None else f"{value * 100:.0f}%"
