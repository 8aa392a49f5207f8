"""The chart panels of the domain page and the IP page, customer and admin alike (panel slots
`domain_detail`, `admin_domain`, `ip_detail`, `admin_ip`; see warmup_site/panels.py).

Each costs a constant number of queries whatever the days and providers: the snapshots' series
and newest verdicts (two, reputation.selectors.subject_reputation) and one for the plan's days
or the IP's decisions.
"""

from __future__ import annotations

from urllib.parse import urlencode

from reputation import selectors
from reputation.charts import domain_charts, ip_charts
from reputation.dashboards import data
from reputation.models import DomainSnapshot, IpSnapshot
from warmup_site.panels import Panel

RANGES = (7, 30, 90)
DEFAULT_DAYS = 30


def days_asked(request) -> int:
    """The chart window from `?days=` (7, 30 or 90; 30 otherwise)."""
    try:
        days = int(request.GET.get("days", DEFAULT_DAYS))
    except ValueError:
        return DEFAULT_DAYS
    return days if days in RANGES else DEFAULT_DAYS


def _ranges(request, days: int) -> list[dict]:
    other = {k: v for k, v in request.GET.items() if k != "days"}
    return [
        {"days": n, "current": n == days, "url": "?" + urlencode({**other, "days": n}) + "#charts"}
        for n in RANGES
    ]


def _domain_active(p, plans: dict) -> bool:
    """A provider the domain has something to show for: warm-up days, placements or mail."""
    s = p.series
    return p.provider in plans or any(s["sent"]) or any(s["offered"]) or any(s["spam"])


def _ip_active(p, decisions: dict) -> bool:
    """A provider the IP sent to, or that a decision was about, in the window (a warming IP
    has a cap at every provider; most of them may not have seen any mail yet)."""
    s = p.series
    return p.provider in decisions or any(s["used"]) or any(s["offered"])


def domain_panel(*, request, domain) -> Panel:
    days = days_asked(request)
    start, today = data.window(days)
    series = selectors.subject_reputation(
        model=DomainSnapshot, subject_id=domain.pk, days=days, today=today
    )
    plans = data.domain_plan_days(domain_id=domain.pk, start=start, end=today)
    charts = domain_charts(series=[p for p in series if _domain_active(p, plans)], plans=plans)
    return Panel(
        "reputation/_charts.html",
        {
            "title": "Warm-up and reputation by provider",
            "charts": charts,
            "days": days,
            "ranges": _ranges(request, days),
            "ids": {"overview": "chart-domain-overview", "detail": "chart-domain-provider"},
            "overview_caption": "Each line is a mailbox provider: the share of the warm-up "
            "messages that the seed mailboxes found in the inbox. A star marks the day a "
            "provider graduated (warm), a diamond a day the volume was held.",
            "detail_caption": "Bars: where each day's warm-up messages landed. Dotted line: the "
            "volume planned; solid line: the inbox rate (right axis). Under it, when Google "
            "Postmaster Tools is connected, Google's spam rate (the dotted line is its 0.3% "
            "limit). The strip on top is the day's domain reputation at the provider; shaded "
            "days held the volume, a dashed line marks graduation.",
            "empty": f"Nothing was sent for this domain in the last {days} days: nothing to draw."
            if series
            else "No figures yet: the first day's snapshot is made within half an hour of the "
            "first warm-up messages.",
        },
        charts=charts is not None,
    )


def ip_panel(*, request, ip) -> Panel:
    days = days_asked(request)
    start, today = data.window(days)
    series = selectors.subject_reputation(
        model=IpSnapshot, subject_id=ip.pk, days=days, today=today
    )
    decisions = data.ip_decision_marks(ip_id=ip.pk, start=start, end=today)
    charts = ip_charts(series=[p for p in series if _ip_active(p, decisions)], decisions=decisions)
    return Panel(
        "reputation/_charts.html",
        {
            "title": "Caps, outcomes and decisions by provider",
            "charts": charts,
            "days": days,
            "ranges": _ranges(request, days),
            "ids": {"overview": "chart-ip-overview", "detail": "chart-ip-provider"},
            "overview_caption": "Each line is a mailbox provider: the daily cap the warm-up "
            "gave the IP there (log scale). Triangles mark the days the controller grew (▲) or "
            "cut (▼) the cap, a cross a suspension, a star the end of the warm-up.",
            "detail_caption": "Bars: what happened to the day's mail (delivered, deferred, "
            "bounced or blocked). Line: the daily cap; dotted line: the stage (right axis); "
            "markers: each decision, with its reason on hover. The strips on top are the day's "
            "IP reputation and, when connected, Microsoft SNDS's filter result.",
            "empty": f"No mail went through this IP in the last {days} days: nothing to draw."
            if series
            else "No figures yet: the first day's snapshot is made within half an hour of the "
            "IP's first mail.",
        },
        charts=charts is not None,
    )


def admin_domain_panel(*, request, domain) -> Panel:
    return domain_panel(request=request, domain=domain)


def admin_ip_panel(*, request, ip) -> Panel:
    return ip_panel(request=request, ip=ip)
