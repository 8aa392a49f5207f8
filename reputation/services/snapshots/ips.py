"""The day's IP rows (a part of DayBuilder: delivery events, warm-up, checks, SNDS)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from ips.models import utc_day
from reputation import sources, verdict
from reputation.feeds.snds import BlockedRange
from reputation.models import (
    IpSnapshot,
    SndsBlockedRange,
    SndsIpDay,
)
from reputation.services.notifications import EventRow, short_name
from reputation.services.snapshots.columns import (
    COUNTS,
    MICROSOFT,
    delivery_figures,
    with_offered,
)
from reputation.verdict import Figures


@dataclass
class _IpSources:
    """What the day's IP rows are built from, keyed by (IP, provider), IP or address."""

    day_rows: dict  # (IP, provider) → (cap, routed, *counters) of the day
    current: dict  # (IP, provider) → (state, stage, daily cap, suspended until) now
    during: dict  # (IP, provider) → (state, stage) the day's decision started from
    suspended: set  # (IP, provider) suspended that day
    listings: dict  # IP → DNSBL zones listing it
    reverse: dict  # IP → {"ptr": status, "fcrdns": status}
    snds: dict  # address → {day: SNDS figures}
    blocked: dict  # account → addresses on SNDS's blocked list
    previous: dict  # (IP, provider) → stored rows of the window's earlier days
    is_today: bool


class IpRows:
    """DayBuilder's IPs (it provides the shared state and helpers)."""

    # --- IPs -------------------------------------------------------------------------------------

    def _ips(self, changes: list[EventRow]) -> list[list]:
        ips = sources.ips()
        if not ips:
            return []
        read = self._ip_sources(ips)
        rows = []
        for ip in ips:
            for provider in self.providers:
                rows.append(self._ip_row(ip, provider, read, changes))
        return rows

    def _ip_sources(self, ips: list[tuple]) -> _IpSources:
        """Every source of the day's IP rows, read once."""
        during, suspended = self._ip_decisions()
        listings, reverse = self._ip_checks()
        snds, blocked = self._snds(ips)
        return _IpSources(
            day_rows={(r[0], r[1]): r[2:] for r in sources.ip_days(day=self.day)},
            current={(r[0], r[1]): r[2:] for r in sources.ip_warmups()},
            during=during,
            suspended=suspended,
            listings=listings,
            reverse=reverse,
            snds=snds,
            blocked=blocked,
            previous=self._previous(IpSnapshot, "ip_id", COUNTS),
            is_today=self.day == utc_day(self.now),
        )

    def _ip_row(
        self, ip: tuple, provider: tuple, read: _IpSources, changes: list[EventRow]
    ) -> list:
        """One (IP, provider) snapshot row; its verdict change, if any, goes to `changes`."""
        ip_id, address, account_id = ip
        provider_id, slug, pname = provider
        key = (ip_id, provider_id)
        zones = sorted(read.listings.get(ip_id, ()))
        checks = read.reverse.get(ip_id, {})
        counters = read.day_rows.get(key)
        if counters is not None:
            cap, used, *values = counters
            counts = dict(zip(sources.IP_COUNTERS, values, strict=True))
        else:
            cap, used, counts = None, 0, {}
        counts = with_offered(counts)
        state, stage, cap, is_suspended = self._ip_state(key, cap, read)
        earlier = read.previous.get(key, ())
        window, _ = self._window(counts, earlier)
        feed = read.snds.get(address, {}) if slug == MICROSOFT else {}
        own = feed.get(self.day)
        latest = feed[max(feed)] if feed else None
        is_blocked = slug == MICROSOFT and address in read.blocked.get(account_id, ())
        result = self._verdict(
            Figures(
                kind=verdict.IP,
                provider=short_name(pname),
                period=self.period,
                **delivery_figures(window),
                warmup_state=state,
                suspended=is_suspended,
                dnsbl_listings=tuple(zones),
                ptr=checks.get("ptr", ""),
                fcrdns=checks.get("fcrdns", ""),
                snds_filter=latest[0] if latest else "",
                snds_complaint_rate=latest[1] if latest else None,
                snds_trap_hits=latest[2] if latest else None,
                snds_blocked=is_blocked,
            ),
            provider_id,
        )
        self._change(
            changes,
            previous_rows=earlier,
            kind="ip",
            subject_id=ip_id,
            name=address,
            account_id=account_id,
            provider=provider,
            result=result,
        )
        return [
            ip_id,
            *self._row_common(provider_id, counts, state, result),
            stage,
            cap,
            used,
            is_suspended,
            zones,
            checks.get("ptr", ""),
            checks.get("fcrdns", ""),
            *(own[:5] if own else ("", None, None, None, None)),
            is_blocked,
        ]

    def _ip_state(self, key: tuple, cap, read: _IpSources) -> tuple:
        """(warm-up state, stage, cap, suspended) of an (IP, provider) on the day: the state the
        day's decision started from, else the pair's state now; today's cap from the pair when
        no day row holds one yet."""
        state_now = read.current.get(key)
        if key in read.during:
            state, stage = read.during[key]
        elif state_now is not None:
            state, stage = state_now[0], state_now[1]
        else:
            state, stage = "", None
        if cap is None and read.is_today and state_now is not None:
            cap = state_now[2]
        is_suspended = key in read.suspended or (
            read.is_today
            and state_now is not None
            and state_now[3] is not None
            and state_now[3] > self.now
        )
        return state, stage, cap, is_suspended

    def _ip_decisions(self) -> tuple[dict[tuple, tuple], set[tuple]]:
        """The day's decisions by (IP, provider): the state and stage the daily decision started
        from, and the pairs suspended that day."""
        during: dict[tuple, tuple] = {}
        suspended: set[tuple] = set()
        for ip_id, provider_id, kind, daily, from_state, from_stage in sources.ip_decisions_of_day(
            day=self.day
        ):
            if daily:
                during[(ip_id, provider_id)] = (from_state, from_stage)
            if kind == "suspend":
                suspended.add((ip_id, provider_id))
        return during, suspended

    def _ip_checks(self) -> tuple[dict[int, list[str]], dict[int, dict[str, str]]]:
        """Blocklist zones listing each IP, and its reverse-DNS checks' pass/fail by kind."""
        listings: dict[int, list[str]] = defaultdict(list)
        reverse: dict[int, dict[str, str]] = defaultdict(dict)
        for ip_id, kind, name, status, changed_at in sources.ip_checks():
            if kind == "dnsbl":
                # A listing counts from the day it was seen (a catch-up does not date it back).
                if status == "fail" and (changed_at is None or changed_at < self.end):
                    listings[ip_id].append(name.split(":", 1)[-1])
            elif status in ("pass", "fail"):
                reverse[ip_id][kind] = status
        return listings, reverse

    def _snds(self, ips) -> tuple[dict[str, dict[date, tuple]], dict[int | None, set[str]]]:
        """SNDS rows of the window by address, and blocked addresses by account — only what
        a connection of the IP's own account (or the operators', for shared IPs) reported."""
        owner = {address: account_id for _pk, address, account_id in ips}
        rows: dict[str, dict[date, tuple]] = defaultdict(dict)
        for account_id, address, day, *values in SndsIpDay.objects.filter(
            day__gte=self.first, day__lte=self.day
        ).values_list(
            "connection__account_id",
            "address",
            "day",
            "filter_result",
            "complaint_rate",
            "trap_hits",
            "rcpt",
            "data",
        ):
            if address in owner and owner[address] == account_id:
                rows[address][day] = tuple(values)
        blocked: dict[int | None, set[str]] = defaultdict(set)
        ranges = list(
            SndsBlockedRange.objects.filter(blocked=True, connection__enabled=True).values_list(
                "connection__account_id", "first", "last"
            )
        )
        if ranges:
            by_account: dict[int | None, list] = defaultdict(list)
            for account_id, first, last in ranges:
                by_account[account_id].append(BlockedRange(first, last, True, ""))
            for address, account_id in owner.items():
                if any(r.covers(address) for r in by_account.get(account_id, ())):
                    blocked[account_id].add(address)
        return rows, blocked
