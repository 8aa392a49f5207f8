"""A domain's charts: the seeds' inbox rate at every provider (one line each), and per provider
the daily placements (inbox / spam / missing, stacked) with the warm-up volume, the inbox-rate
line, Google Postmaster Tools' spam rate when connected, the verdict strip, and the plan's
graduation and hold days. Built from the snapshots (reputation.selectors.subject_reputation)
and the plan's days (their volume and decision), in plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from reputation.charts.common import (
    Table,
    count,
    day_label,
    fine_rate,
    rate,
    strip_axis,
    strip_label,
    verdict_strip,
)
from reputation.selectors import ProviderSeries
from warmup_site.charts import MUTED, PLACEMENT_COLOURS, base_layout, figure, provider_colour

HOLD, WARM = "hold", "warm"
DECISION_WORDS = {
    "start": "start",
    "advance": "advance",
    "hold": "hold",
    "warm": "warm",
    "needs_attention": "needs attention",
    "skipped": "no step",
}
STRIP = (0.9, 1.0)
MAIN = (0.0, 0.82)
# With Postmaster Tools connected, its spam rate gets a panel of its own under the main one:
# it lives in tenths of a percent, where the inbox rate's 0–100% axis would flatten it.
MAIN_WITH_PM = (0.34, 0.84)
PM = (0.0, 0.22)


@dataclass(frozen=True)
class PlanDay:
    volume: int
    decision: str


@dataclass
class DomainCharts:
    overview: dict
    overview_table: Table
    details: dict  # {"choices": {slug: figure}, "initial": slug}
    detail_tables: list[tuple[str, str, Table]]  # (slug, name, table)
    providers: list[tuple[str, str]]  # (slug, name) in display order


def _around(day: str, hours: int) -> str:
    """A day's bar is centred on its midnight: its edges are 12 hours either side."""
    moment = datetime.fromisoformat(day) + timedelta(hours=hours)
    return moment.strftime("%Y-%m-%d %H:%M")


def _graduation_days(days: list[str], plan: dict[str, PlanDay]) -> set[str]:
    """The first day of each warm run: the day the plan graduated."""
    found, before = set(), None
    for day in days:
        decision = plan.get(day).decision if day in plan else None
        if decision == WARM and before != WARM:
            found.add(day)
        before = decision
    return found


def _overview_trace(p: ProviderSeries, plan: dict[str, PlanDay]) -> dict:
    s = p.series
    days = s["day"]
    graduated = _graduation_days(days, plan)
    placed = [i + sp + m for i, sp, m in zip(s["inbox"], s["spam"], s["missing"], strict=True)]
    symbols, sizes, text = [], [], []
    for day, inbox, whole, inbox_rate in zip(
        days, s["inbox"], placed, s["inbox_rate"], strict=True
    ):
        decision = plan[day].decision if day in plan else ""
        mark = ""
        if day in graduated:
            symbols.append("star")
            sizes.append(13)
            mark = " · graduated (warm)"
        elif decision == HOLD:
            symbols.append("diamond")
            sizes.append(10)
            mark = " · volume held"
        else:
            symbols.append("circle")
            sizes.append(6)
        text.append(
            f"{rate(inbox_rate)} inbox ({inbox:,} of {whole:,}){mark}"
            if whole
            else f"no placements{mark}"
        )
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "x": days,
        "y": s["inbox_rate"],
        "name": p.name,
        "legendgroup": p.provider,
        "line": {"color": provider_colour(p.provider), "width": 2},
        "marker": {"symbol": symbols, "size": sizes, "color": provider_colour(p.provider)},
        "text": text,
        "hovertemplate": "%{text}",
        "connectgaps": True,
    }


def _overview(series: list[ProviderSeries], plans: dict[str, dict[str, PlanDay]]) -> dict:
    return figure(
        data=[_overview_trace(p, plans.get(p.provider, {})) for p in series],
        layout=base_layout(
            title={"text": "Inbox rate at the seeds, by provider", "x": 0, "font": {"size": 14}},
            yaxis={"title": {"text": "Inbox rate"}, "tickformat": ".0%", "range": [0, 1.05]},
            height=340,
            # The page's own legend above the charts gives each provider's colour.
            showlegend=False,
        ),
    )


def _detail(p: ProviderSeries, plan: dict[str, PlanDay]) -> dict:
    s = p.series
    days = s["day"]
    pm = any(v is not None for v in s["pm_spam_rate"])
    data = _detail_traces(p, plan)
    if pm:
        data.append(_pm_trace(days, s["pm_spam_rate"]))
    data.append(verdict_strip(days, s["reputation"], yaxis="y3", name="Domain reputation"))
    shapes = [_hold_band(d) for d in days if d in plan and plan[d].decision == HOLD]
    annotations = [strip_label(STRIP, "Reputation")]
    extra: dict = {}
    if pm:
        extra = _pm_panel(s["pm_spam_rate"])
        shapes.append(_pm_guideline())
    for d in sorted(_graduation_days(days, plan)):
        shapes.append(_graduation_line(d))
        annotations.append(_graduation_label(d))
    return figure(
        data=data,
        layout=base_layout(
            title={
                "text": f"{p.name}: where the warm-up mail landed",
                "x": 0,
                "font": {"size": 14},
            },
            barmode="stack",
            margin={"l": 76},
            yaxis={
                "title": {"text": "Messages"},
                "domain": list(MAIN_WITH_PM if pm else MAIN),
                "tickformat": ",d",
            },
            yaxis2={
                "title": {"text": "Inbox rate"},
                "overlaying": "y",
                "side": "right",
                "tickformat": ".0%",
                "range": [0, 1.05],
                "tickmode": "linear",
                "tick0": 0,
                "dtick": 0.25,
                "showgrid": False,
            },
            yaxis3=strip_axis(STRIP),
            shapes=shapes,
            annotations=annotations,
            height=460 if pm else 380,
            **extra,
        ),
    )


def _detail_traces(p: ProviderSeries, plan: dict[str, PlanDay]) -> list[dict]:
    """The stacked placements, the planned volume and the inbox-rate line."""
    s = p.series
    days = s["day"]
    data = [
        {
            "type": "bar",
            "x": days,
            "y": s[kind],
            "name": label,
            "marker": {"color": PLACEMENT_COLOURS[kind]},
            "hovertemplate": f"{label}: %{{y:,}}<extra></extra>",
        }
        for kind, label in (("inbox", "Inbox"), ("spam", "Spam"), ("missing", "Missing"))
    ]
    return [
        *data,
        {
            "type": "scatter",
            "mode": "lines",
            "x": days,
            "y": [plan[d].volume if d in plan else None for d in days],
            "name": "Warm-up volume (planned)",
            "line": {"color": MUTED, "dash": "dot", "shape": "hv"},
            "hovertemplate": "Planned: %{y:,}<extra></extra>",
            "connectgaps": False,
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": days,
            "y": s["inbox_rate"],
            "yaxis": "y2",
            "name": "Inbox rate",
            "line": {"color": provider_colour(p.provider), "width": 2},
            "marker": {"size": 5},
            "hovertemplate": "Inbox rate: %{y:.0%}<extra></extra>",
            "connectgaps": True,
        },
    ]


def _pm_trace(days: list, spam_rates: list) -> dict:
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "x": days,
        "y": spam_rates,
        "yaxis": "y4",
        "name": "Postmaster Tools spam rate",
        "line": {"color": "#c92a2a", "width": 2},
        "marker": {"size": 4},
        "hovertemplate": "Postmaster spam rate: %{y:.2%}<extra></extra>",
        "connectgaps": True,
    }


def _pm_panel(spam_rates: list) -> dict:
    """The layout of Postmaster Tools' own panel, under the main one."""
    top = max([v for v in spam_rates if v is not None] + [0.004])
    return {
        "yaxis4": {
            "domain": list(PM),
            "title": {"text": "Spam rate", "font": {"size": 11}},
            "tickformat": ".1%",
            "range": [0, top * 1.15],
            "gridcolor": "#e3e6ee",
        },
        "xaxis": {"anchor": "y4"},
    }


def _pm_guideline() -> dict:
    """Google's guideline, on the spam-rate panel: stay under 0.3%, ideally under 0.1%."""
    return {
        "type": "line",
        "xref": "paper",
        "yref": "y4",
        "x0": 0,
        "x1": 1,
        "y0": 0.003,
        "y1": 0.003,
        "line": {"color": "#c92a2a", "dash": "dot", "width": 1},
    }


def _hold_band(d: str) -> dict:
    """A held day, shaded."""
    return {
        "type": "rect",
        "xref": "x",
        "yref": "y domain",
        "x0": _around(d, -12),
        "x1": _around(d, 12),
        "y0": 0,
        "y1": 1,
        "fillcolor": "rgba(232, 89, 12, 0.10)",
        "line": {"width": 0},
        "layer": "below",
    }


def _graduation_line(d: str) -> dict:
    return {
        "type": "line",
        "xref": "x",
        "yref": "y domain",
        "x0": d,
        "x1": d,
        "y0": 0,
        "y1": 1,
        "line": {"color": "#237032", "dash": "dash", "width": 2},
    }


def _graduation_label(d: str) -> dict:
    return {
        "x": d,
        "xref": "x",
        "yref": "y domain",
        "y": 1,
        "text": "warm",
        "showarrow": False,
        "yanchor": "bottom",
        "font": {"color": "#237032", "size": 11},
    }


def _detail_table(p: ProviderSeries, plan: dict[str, PlanDay]) -> Table:
    s = p.series
    table = Table(
        caption=f"{p.name}: the domain's warm-up day by day",
        columns=[
            "Day",
            "Planned",
            "Inbox",
            "Spam",
            "Missing",
            "Inbox rate",
            "Postmaster spam rate",
            "Reputation",
            "Plan",
        ],
        numeric=[False, True, True, True, True, True, True, False, False],
    )
    for i, day in enumerate(s["day"]):
        step = plan.get(day)
        table.rows.append(
            [
                day_label(day),
                count(step.volume) if step else "—",
                count(s["inbox"][i]),
                count(s["spam"][i]),
                count(s["missing"][i]),
                rate(s["inbox_rate"][i]),
                fine_rate(s["pm_spam_rate"][i]),
                (s["reputation"][i] or "—").capitalize(),
                DECISION_WORDS.get(step.decision, step.decision) if step else "—",
            ]
        )
    return table


def _overview_table(series: list[ProviderSeries]) -> Table:
    days = sorted({d for p in series for d in p.series["day"]})
    by_provider = {
        p.provider: dict(zip(p.series["day"], p.series["inbox_rate"], strict=True)) for p in series
    }
    table = Table(
        caption="Inbox rate at the seeds, by day and provider",
        columns=["Day", *(p.name for p in series)],
        numeric=[False, *(True for _ in series)],
    )
    for day in days:
        table.rows.append(
            [day_label(day), *(rate(by_provider[p.provider].get(day)) for p in series)]
        )
    return table


def domain_charts(
    *, series: list[ProviderSeries], plans: dict[str, dict[str, PlanDay]]
) -> DomainCharts | None:
    """The charts of one domain, or None before its first snapshot."""
    if not series:
        return None
    return DomainCharts(
        overview=_overview(series, plans),
        overview_table=_overview_table(series),
        details={
            "choices": {p.provider: _detail(p, plans.get(p.provider, {})) for p in series},
            "initial": series[0].provider,
        },
        detail_tables=[
            (p.provider, p.name, _detail_table(p, plans.get(p.provider, {}))) for p in series
        ],
        providers=[(p.provider, p.name) for p in series],
    )
