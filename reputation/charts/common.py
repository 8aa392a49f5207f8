"""What the reputation charts share: a table beside each chart, the verdict strip, hover text.

Each chart comes with the same figures as a table (`Table`), which the page puts in a
<details> under the chart: screen readers and people without JavaScript read that.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from warmup_site.charts import VERDICT_COLOURS

VERDICT_LABELS = {"positive": "Positive", "neutral": "Neutral", "negative": "Negative"}


@dataclass
class Table:
    caption: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    numeric: list[bool] = field(default_factory=list)  # right-aligned columns

    def __post_init__(self):
        if not self.numeric:
            self.numeric = [False] * len(self.columns)

    @property
    def heads(self) -> list[dict]:
        return [{"label": c, "num": n} for c, n in zip(self.columns, self.numeric, strict=True)]

    @property
    def body_html(self) -> SafeString:
        """The rows as <tr> elements, every value escaped. Written here rather than in the
        template: a 90-day table at 11 providers has ten thousand cells, which Django's
        template engine renders ten times slower than this join."""
        cells = []
        for row in self.rows:
            parts = [f'<tr><th scope="row">{escape(row[0])}</th>']
            for value, num in zip(row[1:], self.numeric[1:], strict=True):
                parts.append(
                    f'<td class="num">{escape(value)}</td>' if num else f"<td>{escape(value)}</td>"
                )
            parts.append("</tr>")
            cells.append("".join(parts))
        return mark_safe("".join(cells))  # every value was escaped above


def count(value) -> str:
    return "—" if value is None else f"{int(value):,}"


def rate(value) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def fine_rate(value) -> str:
    """Rates that matter in tenths of a percent (spam rates, complaint rates)."""
    return "—" if value is None else f"{value * 100:.2f}%"


def day_label(iso: str) -> str:
    """'2026-11-28' → '28 Nov 2026' for tables (plotly formats its own axis)."""
    year, month, day = iso.split("-")
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return f"{int(day)} {months[int(month) - 1]} {year}"


def verdict_strip(days: list[str], verdicts: list[str], *, yaxis: str, name: str) -> dict:
    """A row of coloured cells, one per day: the day's verdict (positive/neutral/negative)."""
    return {
        "type": "bar",
        "x": days,
        "y": [1] * len(days),
        "yaxis": yaxis,
        "name": name,
        "marker": {"color": [VERDICT_COLOURS.get(v, VERDICT_COLOURS["neutral"]) for v in verdicts]},
        "text": [VERDICT_LABELS.get(v, v or "no verdict") for v in verdicts],
        "hovertemplate": f"{name}: %{{text}}<extra></extra>",
        "textposition": "none",
        "showlegend": False,
        "width": 86_400_000 * 0.9,  # a day, in milliseconds (a date axis)
    }


def strip_axis(domain: tuple[float, float]) -> dict:
    return {
        "domain": list(domain),
        "range": [0, 1],
        "showticklabels": False,
        "showgrid": False,
        "zeroline": False,
        "fixedrange": True,
    }


def strip_label(domain: tuple[float, float], text: str) -> dict:
    """The strip's name, written left of it (an axis title would not fit its height)."""
    return {
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "xanchor": "right",
        "xshift": -4,
        "y": (domain[0] + domain[1]) / 2,
        "yanchor": "middle",
        "showarrow": False,
        "font": {"size": 11},
    }
