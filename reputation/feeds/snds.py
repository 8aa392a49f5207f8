"""Microsoft SNDS automated data access: the daily data CSV and the IP status (blocked) list.

Relied on (docs/reputation.md lists the links): with automated access switched on, SNDS gives a
key; ``{base}/data.aspx?key=KEY&date=MMDDYY`` answers one CSV line per IP with activity that
day, without a header, in this order:

    IP address, activity start, activity end, RCPT commands, DATA commands, message
    recipients, filter result (GREEN / YELLOW / RED), complaint rate ("< 0.1%" or "0.4%"),
    trap message start, trap message end, trap hits, sample HELO, sample MAIL FROM, comments

(times as ``M/D/YYYY h:mm AM``), and ``{base}/ipStatus.aspx?key=KEY`` one line per blocked
range: ``first IP, last IP, blocked (Yes/No), why``. An empty answer means no data (SNDS only
reports IPs that sent enough mail that day).
"""

from __future__ import annotations

import csv
import io
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import quote

from reputation.feeds import AuthError, FeedError
from reputation.feeds.http import request

DATA_COLUMNS = (
    "address",
    "activity_start",
    "activity_end",
    "rcpt",
    "data",
    "recipients",
    "filter_result",
    "complaint_text",
    "trap_start",
    "trap_end",
    "trap_hits",
    "sample_helo",
    "sample_mail_from",
    "comments",
)
FILTER_RESULTS = ("GREEN", "YELLOW", "RED")


@dataclass(frozen=True)
class SndsRow:
    address: str
    activity_start: datetime | None
    activity_end: datetime | None
    rcpt: int
    data: int
    recipients: int
    filter_result: str
    complaint_rate: float | None
    complaint_text: str
    trap_start: datetime | None
    trap_end: datetime | None
    trap_hits: int
    sample_helo: str
    sample_mail_from: str
    comments: str


@dataclass(frozen=True)
class BlockedRange:
    first: str
    last: str
    blocked: bool
    detail: str

    def covers(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
            return ipaddress.ip_address(self.first) <= ip <= ipaddress.ip_address(self.last)
        except (ValueError, TypeError):
            return False


def date_param(day: date) -> str:
    return day.strftime("%m%d%y")


# --- parsers (pure) ------------------------------------------------------------------------------


def _when(text: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    for pattern in ("%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _count(text: str) -> int:
    text = text.strip().replace(",", "")
    return int(text) if text.isdigit() else 0


def complaint_rate(text: str) -> float | None:
    """ "< 0.1%" → 0.0 (SNDS does not say how far below), "0.4%" → 0.004, "" → None."""
    text = text.strip()
    if not text:
        return None
    if text.startswith("<"):
        return 0.0
    try:
        return float(text.rstrip("%").strip()) / 100
    except ValueError:
        return None


def _looks_like_html(text: str) -> bool:
    start = text.lstrip()[:15].lower()
    return start.startswith("<") or start.startswith("<!doctype")


def parse_data(text: str) -> list[SndsRow]:
    """The data feed's CSV → rows; lines that do not start with an IP address are skipped."""
    if _looks_like_html(text):
        raise FeedError(
            "SNDS answered with a web page instead of CSV: the key is probably wrong, or "
            "automated data access is switched off"
        )
    rows = []
    for cells in csv.reader(io.StringIO(text)):
        if not cells or not cells[0].strip():
            continue
        cells = [c.strip() for c in cells] + [""] * (len(DATA_COLUMNS) - len(cells))
        values = dict(zip(DATA_COLUMNS, cells, strict=False))
        try:
            address = str(ipaddress.ip_address(values["address"]))
        except ValueError:
            continue  # a header line or garbage
        result = values["filter_result"].upper()
        rows.append(
            SndsRow(
                address=address,
                activity_start=_when(values["activity_start"]),
                activity_end=_when(values["activity_end"]),
                rcpt=_count(values["rcpt"]),
                data=_count(values["data"]),
                recipients=_count(values["recipients"]),
                filter_result=result if result in FILTER_RESULTS else "",
                complaint_rate=complaint_rate(values["complaint_text"]),
                complaint_text=values["complaint_text"][:20],
                trap_start=_when(values["trap_start"]),
                trap_end=_when(values["trap_end"]),
                trap_hits=_count(values["trap_hits"]),
                sample_helo=values["sample_helo"][:255],
                sample_mail_from=values["sample_mail_from"][:320],
                comments=values["comments"],
            )
        )
    return rows


def parse_ip_status(text: str) -> list[BlockedRange]:
    if _looks_like_html(text):
        raise FeedError(
            "SNDS answered the IP status with a web page instead of CSV: the key is probably "
            "wrong, or automated data access is switched off"
        )
    ranges = []
    for cells in csv.reader(io.StringIO(text)):
        if len(cells) < 2:
            continue
        try:
            first = str(ipaddress.ip_address(cells[0].strip()))
            last = str(ipaddress.ip_address(cells[1].strip()))
        except ValueError:
            continue
        blocked = (cells[2].strip().lower() if len(cells) > 2 else "yes") in ("yes", "true", "1")
        detail = ",".join(cells[3:]).strip() if len(cells) > 3 else ""
        ranges.append(BlockedRange(first, last, blocked, detail))
    return ranges


def blocked_addresses(ranges: Iterable[BlockedRange], addresses: Iterable[str]) -> set[str]:
    listed = [r for r in ranges if r.blocked]
    return {a for a in addresses if any(r.covers(a) for r in listed)}


# --- the client ----------------------------------------------------------------------------------


class SndsClient:
    def __init__(self, *, base_url: str, key: str, timeout: float):
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.timeout = timeout
        self.requests = 0

    def _get(self, page: str, **params: str) -> str:
        self.requests += 1
        query = "&".join(f"{k}={quote(v)}" for k, v in {"key": self.key, **params}.items())
        response = request(f"{self.base_url}/{page}?{query}", timeout=self.timeout)
        if response.status in (401, 403):
            raise AuthError(
                f"SNDS refused the key (HTTP {response.status}): check it on the SNDS "
                "automated access page",
                status=response.status,
            )
        if response.status != 200:
            raise FeedError(f"SNDS answered HTTP {response.status}", status=response.status)
        return response.text()

    def data(self, day: date) -> list[SndsRow]:
        return parse_data(self._get("data.aspx", date=date_param(day)))

    def ip_status(self) -> list[BlockedRange]:
        return parse_ip_status(self._get("ipStatus.aspx"))
