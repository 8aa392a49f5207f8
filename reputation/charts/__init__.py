"""The reputation app's plotly figures (DESIGN.md: "Charts read snapshots only"), by subject:

- `domain.py` — a domain's placements, inbox rate, volume, verdicts, graduation and holds;
- `ip.py` — an IP's caps, outcomes, stages, decisions, verdicts and SNDS filter results;
- `overview.py` — the account overview's chart and the operators' fleet chart;
- `sparkline.py` — small server-drawn SVG lines for long lists;
- `common.py` — the tables beside the charts, the verdict strip, number formats.

Each builder takes plain values read by reputation/dashboards/ and returns figures as dicts
(warmup_site.charts.figure validates them with plotly) plus the same figures as tables.
"""

from reputation.charts.common import Table
from reputation.charts.domain import DomainCharts, PlanDay, domain_charts
from reputation.charts.ip import DecisionMark, IpCharts, ip_charts
from reputation.charts.overview import account_inbox_chart, fleet_chart
from reputation.charts.sparkline import Sparkline, sparkline

__all__ = [
    "DecisionMark",
    "DomainCharts",
    "IpCharts",
    "PlanDay",
    "Sparkline",
    "Table",
    "account_inbox_chart",
    "domain_charts",
    "fleet_chart",
    "ip_charts",
    "sparkline",
]
