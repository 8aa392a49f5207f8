"""Google Postmaster Tools API v2: daily domain statistics and the compliance status.

Relied on (docs/reputation.md lists the links):

* ``POST {base}/v2/domains/{domain}/domainStats:query`` with ``metricDefinitions`` (a name we
  choose, a ``baseMetric.standardMetric`` and an optional ``filter``), a ``timeQuery`` of
  ``dateRanges`` with ``{year, month, day}`` dates, ``pageSize`` (≤ 200), ``pageToken`` and
  ``aggregationGranularity: DAILY``. The answer lists ``domainStats[]`` — one per metric and
  date: ``{name, metric, date: {year, month, day}, value: {doubleValue | floatValue |
  intValue | …}}`` — and ``nextPageToken``. Only dates with data are returned.
* ``GET {base}/v2/domains/{domain}/complianceStatus``: ``complianceData`` (and, for a
  subdomain, ``subdomainComplianceData``) with ``rowData[]`` of ``{requirement, status:
  {status: COMPLIANT | NEEDS_WORK}}`` plus the unsubscribe verdicts.
* Errors: ``{"error": {"code", "message", "status"}}`` — 401 UNAUTHENTICATED, 403
  PERMISSION_DENIED, 404 NOT_FOUND, 429 RESOURCE_EXHAUSTED, 5xx.

The v1 API (with its HIGH/MEDIUM/LOW/BAD reputation categories) was retired in 2025; v2 has
no reputation score, so the verdict weighs the spam rate, authentication and compliance.
Rates are read as fractions 0–1 (as v1's ``userReportedSpamRatio`` was).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import quote

from reputation.feeds import AuthError, FeedError
from reputation.feeds.http import request

PAGE_SIZE = 200

# Our name for each metric → (standard metric, filter). The names come back in `metric`.
METRICS: dict[str, tuple[str, str]] = {
    "spam_rate": ("SPAM_RATE", ""),
    "spf_rate": ("AUTH_SUCCESS_RATE", 'auth_type = "spf"'),
    "dkim_rate": ("AUTH_SUCCESS_RATE", 'auth_type = "dkim"'),
    "dmarc_rate": ("AUTH_SUCCESS_RATE", 'auth_type = "dmarc"'),
    "delivery_error_rate": ("DELIVERY_ERROR_RATE", ""),
    "tls_rate": ("TLS_ENCRYPTION_RATE", 'traffic_direction = "inbound"'),
}

REQUIREMENT_NAMES = {
    "SPF": "SPF",
    "DKIM": "DKIM",
    "SPF_AND_DKIM": "SPF and DKIM",
    "DMARC_POLICY": "DMARC policy",
    "DMARC_ALIGNMENT": "DMARC alignment",
    "MESSAGE_FORMATTING": "message formatting",
    "DNS_RECORDS": "DNS records (PTR)",
    "ENCRYPTION": "TLS encryption",
    "USER_REPORTED_SPAM_RATE": "user-reported spam rate",
    "ONE_CLICK_UNSUBSCRIBE": "one-click unsubscribe",
    "HONOR_UNSUBSCRIBE": "honouring unsubscribes",
}


class NotRegistered(FeedError):
    """404: the domain is not in this Google account's Postmaster Tools."""


class Denied(FeedError):
    """403: the Google account may not read this domain."""


@dataclass(frozen=True)
class Compliance:
    status: str  # "compliant", "needs_work" or "" (no verdict yet)
    failing: list[str] = field(default_factory=list)


# --- requests and parsers (pure) -----------------------------------------------------------------


def _date(day: date) -> dict:
    return {"year": day.year, "month": day.month, "day": day.day}


def stats_request(start: date, end: date, page_token: str = "") -> dict:
    body: dict = {
        "metricDefinitions": [
            {"name": name, "baseMetric": {"standardMetric": metric}, **({"filter": f} if f else {})}
            for name, (metric, f) in METRICS.items()
        ],
        "timeQuery": {"dateRanges": {"dateRanges": [{"start": _date(start), "end": _date(end)}]}},
        "pageSize": PAGE_SIZE,
        "aggregationGranularity": "DAILY",
    }
    if page_token:
        body["pageToken"] = page_token
    return body


def _number(value: dict) -> float | None:
    if not isinstance(value, dict):
        return None
    for key in ("doubleValue", "floatValue", "intValue"):
        if key in value:
            try:
                return float(value[key])
            except (TypeError, ValueError):
                return None
    return None


def parse_stats(payload: object) -> tuple[dict[date, dict[str, float]], str]:
    """`domainStats:query`'s answer → ({day: {our metric name: value}}, next page token).
    Metrics we did not ask for and values that are not numbers are skipped."""
    if not isinstance(payload, dict):
        raise FeedError("Postmaster Tools answered something that is not a JSON object")
    days: dict[date, dict[str, float]] = {}
    for stat in payload.get("domainStats") or []:
        if not isinstance(stat, dict) or stat.get("metric") not in METRICS:
            continue
        raw = stat.get("date") or {}
        try:
            day = date(int(raw["year"]), int(raw["month"]), int(raw["day"]))
        except (KeyError, TypeError, ValueError):
            continue
        number = _number(stat.get("value"))
        if number is not None:
            days.setdefault(day, {})[stat["metric"]] = number
    return days, str(payload.get("nextPageToken") or "")


def parse_compliance(payload: object) -> Compliance:
    """`getComplianceStatus`'s answer → needs_work when any requirement needs work (the
    subdomain's own data when Google computed it, else the registrable domain's)."""
    if not isinstance(payload, dict):
        raise FeedError("Postmaster Tools answered something that is not a JSON object")
    data = payload.get("subdomainComplianceData") or payload.get("complianceData") or {}
    rows = list(data.get("rowData") or [])
    for verdict, requirement in (
        ("oneClickUnsubscribeVerdict", "ONE_CLICK_UNSUBSCRIBE"),
        ("honorUnsubscribeVerdict", "HONOR_UNSUBSCRIBE"),
    ):
        if isinstance(data.get(verdict), dict):
            rows.append({"requirement": requirement, "status": data[verdict].get("status")})
    statuses: list[tuple[str, str]] = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        status = row.get("status")
        if isinstance(status, dict):
            status = status.get("status")
        statuses.append((str(row.get("requirement") or ""), str(status or "")))
    failing = [
        REQUIREMENT_NAMES.get(req, req.replace("_", " ").lower())
        for req, status in statuses
        if status == "NEEDS_WORK"
    ]
    if failing:
        return Compliance("needs_work", sorted(set(failing)))
    if any(status == "COMPLIANT" for _req, status in statuses):
        return Compliance("compliant")
    return Compliance("")


def parse_error(status: int, payload: object, *, domain: str) -> FeedError:
    """A Google API error answer → the FeedError an operator can act on."""
    message, code = "", ""
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        message = str(payload["error"].get("message") or "")
        code = str(payload["error"].get("status") or "")
    said = f"{code}: {message}" if code and message else (message or code or f"HTTP {status}")
    if status == 401:
        return AuthError(
            f"Postmaster Tools refused the access token ({said}): connect again", status=status
        )
    if status == 403:
        return Denied(
            f"{domain}: the Google account has no access to this domain in Postmaster Tools "
            f"({said})",
            status=status,
        )
    if status == 404:
        return NotRegistered(
            f"{domain} is not registered in this Google account's Postmaster Tools: add and "
            f"verify it there ({said})",
            status=status,
        )
    if status == 429:
        return FeedError(f"Postmaster Tools quota exceeded ({said}); retrying later", status=status)
    return FeedError(
        f"Postmaster Tools answered HTTP {status} for {domain} ({said})", status=status
    )


# --- the client ----------------------------------------------------------------------------------


class PostmasterClient:
    def __init__(self, *, base_url: str, token: Callable[[], str], timeout: float):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.requests = 0

    def _call(self, method: str, path: str, *, domain: str, body: dict | None = None):
        self.requests += 1
        response = request(
            f"{self.base_url}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={
                "Authorization": f"Bearer {self.token()}",
                "Accept": "application/json",
                **({"Content-Type": "application/json"} if body is not None else {}),
            },
            timeout=self.timeout,
        )
        payload = response.json()
        if response.status != 200:
            raise parse_error(response.status, payload, domain=domain)
        if payload is None:
            raise FeedError(f"Postmaster Tools answered {domain} with something that is not JSON")
        return payload

    def domain_stats(self, domain: str, start: date, end: date) -> dict[date, dict[str, float]]:
        """Every day with data in [start, end], following the pages."""
        days: dict[date, dict[str, float]] = {}
        token = ""
        for _page in range(100):  # 100 pages of 200 stats: far beyond a 400-day window
            payload = self._call(
                "POST",
                f"/v2/domains/{quote(domain)}/domainStats:query",
                domain=domain,
                body=stats_request(start, end, token),
            )
            page, token = parse_stats(payload)
            for day, values in page.items():
                days.setdefault(day, {}).update(values)
            if not token:
                break
        return days

    def compliance(self, domain: str) -> Compliance:
        payload = self._call("GET", f"/v2/domains/{quote(domain)}/complianceStatus", domain=domain)
        return parse_compliance(payload)
