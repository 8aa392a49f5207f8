"""An IP's charts: the daily cap at every provider (one line each, decisions marked), and per
provider the day's outcome (delivered / deferred / bounced, stacked) against the cap, the stage
over time, each warm-up decision as a marker with its reason on hover, the verdict strip and
SNDS's filter result when connected. Built from the snapshots and the decisions, plain values."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from reputation.charts.common import (
    Table,
    count,
    day_label,
    strip_axis,
    strip_label,
    verdict_strip,
)
from reputation.selectors import ProviderSeries
from warmup_site.charts import INK, SNDS_COLOURS, base_layout, figure, provider_colour

# How a decision is drawn: down for less mail, up for more.
SYMBOLS = {
    "advance": "triangle-up",
    "grow": "triangle-up",
    "recovered": "triangle-up",
    "resume": "triangle-up",
    "unsuspend": "triangle-up",
    "backoff": "triangle-down",
    "step_back": "triangle-down",
    "decay": "triangle-down",
    "cooling": "triangle-down",
    "suspend": "x",
    "pause": "square",
    "warm": "star",
    "complete": "star",
}
OUTCOMES = (
    ("delivered", "Delivered", "#2f9e44"),
    ("deferred", "Deferred", "#f0a500"),
    ("bounced", "Bounced or blocked", "#c92a2a"),
)
MAIN = (0.0, 0.78)
VERDICT = (0.84, 0.91)
SNDS = (0.93, 1.0)


@dataclass(frozen=True)
class DecisionMark:
    day: str  # ISO
    kind: str
    label: str
    reason: str
    to_cap: int
    to_stage: int
    actor: str | None


@dataclass
class IpCharts:
    overview: dict
    overview_table: Table
    details: dict
    detail_tables: list[tuple[str, str, Table]]
    providers: list[tuple[str, str]]


def _wrap(text: str) -> str:
    return "<br>".join(textwrap.wrap(text, 70)) or text


def _by_day(decisions: list[DecisionMark]) -> dict[str, DecisionMark]:
    """The day's most telling decision (the newest; decisions come newest first)."""
    found: dict[str, DecisionMark] = {}
    for mark in decisions:
        found.setdefault(mark.day, mark)
    return found


def _overview_trace(p: ProviderSeries, decisions: list[DecisionMark]) -> dict:
    s = p.series
    marks = _by_day(decisions)
    symbols, sizes, text = [], [], []
    for day, cap, stage, used in zip(s["day"], s["cap"], s["warmup_stage"], s["used"], strict=True):
        mark = marks.get(day)
        symbols.append(SYMBOLS.get(mark.kind, "circle") if mark else "circle")
        sizes.append(10 if mark and mark.kind in SYMBOLS else 5)
        said = f" · {mark.label.lower()}" if mark else ""
        text.append(
            f"cap {count(cap)} · stage {stage or '—'} · {used or 0:,} routed{said}"
            if cap
            else f"no cap that day{said}"
        )
    colour = provider_colour(p.provider)
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "x": s["day"],
        "y": s["cap"],
        "name": p.name,
        "legendgroup": p.provider,
        "line": {"color": colour, "width": 2, "shape": "hv"},
        "marker": {"symbol": symbols, "size": sizes, "color": colour},
        "text": text,
        "hovertemplate": "%{text}",
        "connectgaps": True,
    }


def _log_ticks(values: list[int]) -> list[int]:
    """1-2-5 ticks covering the values (plotly's own log ticks label 2…9 of every decade)."""
    if not values:
        return [1000]
    low, high = min(values), max(values)
    ticks, decade = [], 1
    while decade <= high * 10:
        ticks += [t for t in (decade, 2 * decade, 5 * decade) if low / 2 <= t <= high * 2]
        decade *= 10
    return ticks or [low]


def _overview(series: list[ProviderSeries], decisions: dict[str, list[DecisionMark]]) -> dict:
    caps = [c for p in series for c in p.series["cap"] if c]
    return figure(
        data=[_overview_trace(p, decisions.get(p.provider, [])) for p in series],
        layout=base_layout(
            title={"text": "Daily cap by provider", "x": 0, "font": {"size": 14}},
            yaxis={
                "title": {"text": "Messages a day (log scale)"},
                "type": "log",
                "tickvals": _log_ticks(caps),
                "tickformat": ",d",
            },
            height=340,
            # The page's own legend above the charts gives each provider's colour.
            showlegend=False,
        ),
    )


def _detail(p: ProviderSeries, decisions: list[DecisionMark]) -> dict:
    s = p.series
    days = s["day"]
    data = _detail_traces(p)
    if decisions:
        data.append(_decision_trace(decisions, provider_colour(p.provider)))
    data.append(verdict_strip(days, s["reputation"], yaxis="y3", name="IP reputation"))
    layout_extra = {}
    annotations = [strip_label(VERDICT, "Reputation")]
    if any(s["snds_filter"]):
        data.append(_snds_trace(days, s["snds_filter"]))
        layout_extra["yaxis4"] = strip_axis(SNDS)
        annotations.append(strip_label(SNDS, "SNDS"))
    return figure(
        data=data,
        layout=base_layout(
            title={"text": f"{p.name}: cap, outcome and decisions", "x": 0, "font": {"size": 14}},
            barmode="stack",
            margin={"l": 76},
            yaxis={"title": {"text": "Messages"}, "domain": list(MAIN), "tickformat": ",d"},
            yaxis2={
                "title": {"text": "Stage"},
                "overlaying": "y",
                "side": "right",
                "rangemode": "tozero",
                "showgrid": False,
                "dtick": 1,
            },
            yaxis3=strip_axis(VERDICT),
            annotations=annotations,
            height=400,
            **layout_extra,
        ),
    )


def _detail_traces(p: ProviderSeries) -> list[dict]:
    """The day's outcomes (stacked), the daily cap and the stage."""
    s = p.series
    days = s["day"]
    # A day without a cap had no warm-up (not started, or before the snapshots knew it).
    stages = [
        stage if cap else None for stage, cap in zip(s["warmup_stage"], s["cap"], strict=True)
    ]
    outcomes = [
        {
            "type": "bar",
            "x": days,
            "y": s[key],
            "name": label,
            "marker": {"color": shade},
            "hovertemplate": f"{label}: %{{y:,}}<extra></extra>",
        }
        for key, label, shade in OUTCOMES
    ]
    return [
        *outcomes,
        {
            "type": "scatter",
            "mode": "lines",
            "x": days,
            "y": s["cap"],
            "name": "Daily cap",
            "line": {"color": INK, "width": 2, "shape": "hv"},
            "hovertemplate": "Cap: %{y:,}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "x": days,
            "y": stages,
            "yaxis": "y2",
            "name": "Stage",
            "line": {"color": provider_colour(p.provider), "dash": "dot", "shape": "hv"},
            "hovertemplate": "Stage %{y}<extra></extra>",
        },
    ]


def _decision_trace(decisions: list[DecisionMark], colour: str) -> dict:
    """The controller's and operators' decisions, one marker each at the cap they set."""
    return {
        "type": "scatter",
        "mode": "markers",
        "x": [m.day for m in decisions],
        "y": [m.to_cap for m in decisions],
        "name": "Decisions",
        "marker": {
            "symbol": [SYMBOLS.get(m.kind, "circle") for m in decisions],
            "size": 11,
            "color": colour,
            "line": {"color": "#ffffff", "width": 1},
        },
        "text": [
            _wrap(f"{m.label}{f' by {m.actor}' if m.actor else ''}: {m.reason}") for m in decisions
        ],
        "hovertemplate": "%{text}<extra></extra>",
    }


def _snds_trace(days: list, filters: list) -> dict:
    """Microsoft SNDS's daily filter result as a strip of coloured days."""
    return {
        "type": "bar",
        "x": days,
        "y": [1] * len(days),
        "yaxis": "y4",
        "name": "SNDS filter",
        "marker": {"color": [SNDS_COLOURS.get(f, "#e3e6ee") for f in filters]},
        "text": [f or "no data" for f in filters],
        "hovertemplate": "SNDS filter result: %{text}<extra></extra>",
        "textposition": "none",
        "showlegend": False,
        "width": 86_400_000 * 0.9,
    }


def _detail_table(p: ProviderSeries, decisions: list[DecisionMark]) -> Table:
    s = p.series
    marks = _by_day(decisions)
    snds = any(s["snds_filter"])
    table = Table(
        caption=f"{p.name}: the IP's warm-up day by day",
        columns=[
            "Day",
            "Cap",
            "Stage",
            "Routed",
            "Delivered",
            "Deferred",
            "Bounced",
            "Reputation",
            *(["SNDS"] if snds else []),
            "Decision",
        ],
        numeric=[
            False,
            True,
            True,
            True,
            True,
            True,
            True,
            False,
            *([False] if snds else []),
            False,
        ],
    )
    for i, day in enumerate(s["day"]):
        mark = marks.get(day)
        table.rows.append(
            [
                day_label(day),
                count(s["cap"][i]),
                str(s["warmup_stage"][i] or "—"),
                count(s["used"][i]),
                count(s["delivered"][i]),
                count(s["deferred"][i]),
                count(s["bounced"][i]),
                (s["reputation"][i] or "—").capitalize(),
                *([s["snds_filter"][i] or "—"] if snds else []),
                f"{mark.label}: {mark.reason}" if mark else "—",
            ]
        )
    return table


def _overview_table(series: list[ProviderSeries]) -> Table:
    days = sorted({d for p in series for d in p.series["day"]})
    caps = {p.provider: dict(zip(p.series["day"], p.series["cap"], strict=True)) for p in series}
    table = Table(
        caption="Daily cap by day and provider",
        columns=["Day", *(p.name for p in series)],
        numeric=[False, *(True for _ in series)],
    )
    for day in days:
        table.rows.append([day_label(day), *(count(caps[p.provider].get(day)) for p in series)])
    return table


def ip_charts(
    *, series: list[ProviderSeries], decisions: dict[str, list[DecisionMark]]
) -> IpCharts | None:
    """The charts of one IP, or None before its first snapshot."""
    if not series:
        return None
    return IpCharts(
        overview=_overview(series, decisions),
        overview_table=_overview_table(series),
        details={
            "choices": {p.provider: _detail(p, decisions.get(p.provider, [])) for p in series},
            "initial": series[0].provider,
        },
        detail_tables=[
            (p.provider, p.name, _detail_table(p, decisions.get(p.provider, []))) for p in series
        ],
        providers=[(p.provider, p.name) for p in series],
    )
