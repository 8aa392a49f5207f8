"""Panels a higher app adds to a lower app's page.

The overview is an `accounts` page, the domain page a `domains` page, the IP page an `ips`
page; their charts and verdicts belong to `reputation`, which nothing may import (see
docs/architecture.md). So a page asks for the panels of a named *slot*, and the app that fills
it registers a callable for that slot in its `AppConfig.ready()`:

    panels.register("domain_detail", domain_panel)      # reputation/apps.py

    def domain_panel(*, request, domain) -> Panel | None: ...

The page renders each panel's template with the panel's context (`includes/panels.html`) and
loads plotly.js and static/js/charts.js when a panel has charts (`includes/chart_scripts.html`).

Slots and their arguments: `home` (request, account), `domain_detail` (request, domain),
`ip_detail` (request, ip), `admin_domain` (request, domain), `admin_ip` (request, ip).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict = field(default_factory=dict)
    charts: bool = False  # the page must load plotly.js and charts.js


Source = Callable[..., Panel | None]

_SLOTS: dict[str, list[Source]] = defaultdict(list)


def register(slot: str, source: Source) -> None:
    """Add a panel source to a slot (once: ready() may run more than once in tests)."""
    if source not in _SLOTS[slot]:
        _SLOTS[slot].append(source)


def panels(slot: str, **kwargs) -> list[Panel]:
    """The slot's panels for this page, in registration order (a source may return None)."""
    found = (source(**kwargs) for source in _SLOTS.get(slot, ()))
    return [panel for panel in found if panel is not None]


def with_charts(found: list[Panel]) -> bool:
    return any(panel.charts for panel in found)
