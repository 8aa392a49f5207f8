"""The overview (the `home` panel slot): what needs the customer's attention, the account's
reputation at each provider for its domains and its IPs, the warm-ups' progress with their
finish estimates, and the seeds' inbox rate over the last 30 days. An account with nothing yet
gets the steps to start, with links.

About twenty queries whatever the account's size: today's verdicts (two), counts (one), a few
short lists (one each, at most five rows), their warm-up rows, and one aggregate for the chart.
"""

from __future__ import annotations

from django.db.models import prefetch_related_objects
from django.urls import reverse

from domains import selectors as domain_selectors
from ips import selectors as ip_selectors
from reputation import selectors
from reputation.charts import account_inbox_chart
from reputation.dashboards import data
from warmup_site.panels import Panel

CHART_DAYS = 30
VERDICT_ORDER = {"negative": 0, "neutral": 1, "positive": 2}


def _combined(verdicts: list[dict]) -> dict | None:
    """The account's reputation at one provider over several subjects: the worst one, with how
    many subjects it covers (positive only if every one is)."""
    if not verdicts:
        return None
    worst = min(verdicts, key=lambda v: VERDICT_ORDER.get(v["reputation"], 1))
    same = sum(1 for v in verdicts if v["reputation"] == worst["reputation"])
    return {
        "reputation": worst["reputation"],
        "sentence": worst["sentence"],
        "count": same,
        "total": len(verdicts),
    }


def _grid(overview: dict) -> list[dict]:
    domains, ips = {}, {}
    for key, found in (("domains", domains), ("ips", ips)):
        for subject in overview[key]:
            for verdict in subject["providers"]:
                found.setdefault(verdict["provider"], []).append(verdict)
    return [
        {
            "provider": p["provider"],
            "name": p["name"],
            "deliverability": p["deliverability"],
            "domain": _combined(domains.get(p["provider"], [])),
            "ip": _combined(ips.get(p["provider"], [])),
        }
        for p in overview["providers"]
    ]


def _attention(*, account, overview: dict) -> list[dict]:
    """What the customer should look at, most urgent first: each {text, url, level}."""
    items = []
    for domain in data.domains_needing_a_step(account=account):
        url = reverse("domains:detail", args=[domain.pk])
        if domain.status == "failed":
            items.append(
                {
                    "level": "bad",
                    "text": f"{domain.unicode_name} is no longer verified: fix its DNS records.",
                    "url": url + "#records",
                }
            )
        elif domain.status == "pending":
            items.append(
                {
                    "level": "warn",
                    "text": f"Publish the DNS records of {domain.unicode_name} and verify it.",
                    "url": url + "#records",
                }
            )
        else:
            items.append(
                {
                    "level": "info",
                    "text": f"{domain.unicode_name} is verified: switch Domain Warmup on.",
                    "url": url + "#warmup",
                }
            )
    for plan in data.plans_needing_attention(account=account):
        items.append(
            {
                "level": "warn",
                "text": f"{plan.warmup.domain.unicode_name} is not warm at {plan.provider.name} "
                f"after {plan.day} days: {plan.reason}",
                "url": reverse("domains:detail", args=[plan.warmup.domain_id]) + "#warmup",
            }
        )
    for pair in data.ip_pairs_needing_a_look(account=account):
        what = "suspended" if pair.suspended_until else pair.get_state_display().lower()
        items.append(
            {
                "level": "warn",
                "text": f"{pair.ip.address} at {pair.provider.name}: {what}.",
                "url": reverse("ips:detail", args=[pair.ip.address]) + "#warmup",
            }
        )
    for key, subject_key in (("domains", "name"), ("ips", "address")):
        for subject in overview[key]:
            for verdict in subject["providers"]:
                if verdict["reputation"] == "negative":
                    url = (
                        reverse("domains:detail", args=[subject["id"]])
                        if key == "domains"
                        else reverse("ips:detail", args=[subject["address"]])
                    )
                    items.append(
                        {
                            "level": "bad",
                            "text": f"{subject[subject_key]}: {verdict['sentence']}",
                            "url": url + "#charts",
                        }
                    )
    for feed in data.feeds_failing(account=account):
        items.append(
            {
                "level": "warn",
                "text": f"The {feed.get_kind_display()} connection is failing: "
                f"{feed.last_error or feed.status_detail}",
                "url": "",
            }
        )
    order = {"bad": 0, "warn": 1, "info": 2}
    return sorted(items, key=lambda item: order[item["level"]])


def home_panel(*, request, account) -> Panel:
    del request  # the overview reads the account only
    counts = data.domain_counts(account=account)
    ips = data.warming_ips(account=account)
    if not counts["total"] and not ips:
        return Panel("includes/getting_started.html", {})
    start, today = data.window(CHART_DAYS)
    overview = selectors.account_overview(account=account, today=today)
    domains = data.warming_domains(account=account)
    prefetch_related_objects(domains, *domain_selectors.warmup_prefetch())
    rows = ip_selectors.ip_warmup_rows(ip_ids=[ip.pk for ip in ips], with_estimates=True)
    chart = account_inbox_chart(data.account_inbox_rows(account=account, start=start, end=today))
    return Panel(
        "reputation/_overview.html",
        {
            "counts": counts,
            "attention": _attention(account=account, overview=overview),
            "grid": _grid(overview),
            "domains": [
                {"domain": d, "warmup": domain_selectors.warmup_summary(d)} for d in domains
            ],
            "ips": [
                {"ip": ip, "overall": ip_selectors.ip_warmup_overall(rows.get(ip.pk, []))}
                for ip in ips
            ],
            "ip_total": len(ips),
            "chart": chart[0] if chart else None,
            "chart_table": chart[1] if chart else None,
            "chart_days": CHART_DAYS,
        },
        charts=chart is not None,
    )
