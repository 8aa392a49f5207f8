"""The overview's chart: the seeds' inbox rate at each provider over all of the account's
domains, one line per provider; and the operators' fleet chart: warm-ups per state at each
provider, one bar trace per provider."""

from __future__ import annotations

from collections import defaultdict

from reputation.charts.common import Table, day_label, rate
from warmup_site.charts import base_layout, figure, provider_colour


def account_inbox_chart(rows: list[tuple[str, str, str, int, int]]) -> tuple[dict, Table] | None:
    """rows: (provider slug, provider name, ISO day, inbox, placed), ordered by provider then
    day. None when the account's domains have no placements yet."""
    if not any(placed for *_rest, placed in rows):
        return None
    names: dict[str, str] = {}
    series: dict[str, list[tuple[str, float | None, int, int]]] = defaultdict(list)
    for slug, name, day, inbox, placed in rows:
        names[slug] = name
        series[slug].append((day, inbox / placed if placed else None, inbox, placed))
    # Providers the seeds never placed anything at have no line to draw.
    series = {slug: points for slug, points in series.items() if any(p for *_, p in points)}
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": [d for d, *_ in points],
            "y": [r for _, r, *_ in points],
            "name": names[slug],
            "line": {"color": provider_colour(slug), "width": 2},
            "marker": {"size": 5, "color": provider_colour(slug)},
            "text": [
                f"{rate(r)} inbox ({i:,} of {p:,})" if p else "no placements"
                for _, r, i, p in points
            ],
            "hovertemplate": "%{text}",
            "connectgaps": True,
        }
        for slug, points in series.items()
    ]
    fig = figure(
        data=data,
        layout=base_layout(
            title={"text": "Inbox rate at the seeds, by provider", "x": 0, "font": {"size": 14}},
            yaxis={"title": {"text": "Inbox rate"}, "tickformat": ".0%", "range": [0, 1.05]},
            height=300,
        ),
    )
    days = sorted({d for points in series.values() for d, *_ in points})
    lookup = {slug: {d: r for d, r, *_ in points} for slug, points in series.items()}
    table = Table(
        caption="Inbox rate at the seeds over all your domains, by day and provider",
        columns=["Day", *(names[s] for s in series)],
        numeric=[False, *(True for _ in series)],
    )
    for day in days:
        table.rows.append([day_label(day), *(rate(lookup[s].get(day)) for s in series)])
    return fig, table


def fleet_chart(
    *,
    counts: dict[tuple[str, str], int],
    providers: list[tuple[str, str]],
    states: list[tuple[str, str]],
) -> tuple[dict, Table]:
    """counts: {(provider slug, state): pairs}. One bar trace per provider across the states."""
    labels = [label for _, label in states]
    top = max([counts.get((slug, state), 0) for slug, _ in providers for state, _ in states] + [1])
    data = [
        {
            "type": "bar",
            "x": labels,
            "y": [counts.get((slug, state), 0) for state, _ in states],
            "name": name,
            "marker": {"color": provider_colour(slug)},
            "hovertemplate": f"{name}: %{{y:,}}<extra></extra>",
        }
        for slug, name in providers
    ]
    fig = figure(
        data=data,
        layout=base_layout(
            title={"text": "IP warm-ups per state, by provider", "x": 0, "font": {"size": 14}},
            barmode="group",
            hovermode="x unified",
            xaxis={"type": "category", "tickformat": ""},
            # Whole numbers only: with small counts plotly would tick at 0.5 ("1, 1").
            yaxis={
                "title": {"text": "IP × provider pairs"},
                "tickformat": ",d",
                "tick0": 0,
                "dtick": max(1, -(-top // 5)),
            },
            height=320,
        ),
    )
    table = Table(
        caption="IP warm-ups per state and provider",
        columns=["Provider", *labels],
        numeric=[False, *(True for _ in states)],
    )
    for slug, name in providers:
        table.rows.append([name, *(f"{counts.get((slug, s), 0):,}" for s, _ in states)])
    return fig, table
