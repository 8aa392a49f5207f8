"""The day's IP rows (a part of DayBuilder: delivery events, warm-up, checks, SNDS)."""

from __future__ import annotations

from collections import defaultdict
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
)
from reputation.verdict import Figures


class IpRows:
    """DayBuilder's IPs (it provides the shared state and helpers)."""

    # --- IPs -------------------------------------------------------------------------------------

    def _ips(self, changes: list[EventRow]) -> list[list]:
        day, now = self.day, self.now
        ips = sources.ips()
        if not ips:
            return []
        day_rows = {(r[0], r[1]): r[2:] for r in sources.ip_days(day=day)}
        current = {(r[0], r[1]): r[2:] for r in sources.ip_warmups()}
        during, suspended = self._ip_decisions()
        listings, reverse = self._ip_checks()
        snds, blocked = self._snds(ips)
        fields = COUNTS
        previous = self._previous(IpSnapshot, "ip_id", fields)
        routed_counters = sources.IP_COUNTERS
        is_today = day == utc_day(now)

        rows = []
        for ip_id, address, account_id in ips:
            zones = sorted(listings.get(ip_id, ()))
            checks = reverse.get(ip_id, {})
            for provider in self.providers:
                provider_id, slug, pname = provider
                key = (ip_id, provider_id)
                counters = day_rows.get(key)
                if counters is not None:
                    cap, used, *values = counters
                    counts = dict(zip(routed_counters, values, strict=True))
                else:
                    cap, used, counts = None, 0, {}
                counts["offered"] = (
                    counts.get("delivered", 0)
                    + counts.get("deferred", 0)
                    + counts.get("bounced", 0)
                )
                state_now = current.get(key)
                if key in during:
                    state, stage = during[key]
                elif state_now is not None:
                    state, stage = state_now[0], state_now[1]
                else:
                    state, stage = "", None
                if cap is None and is_today and state_now is not None:
                    cap = state_now[2]
                is_suspended = key in suspended or (
                    is_today
                    and state_now is not None
                    and state_now[3] is not None
                    and state_now[3] > now
                )
                window = dict(counts)
                earlier = previous.get(key, ())
                for row in earlier:
                    if row[0] < self.first:
                        continue
                    for i, counter in enumerate(COUNTS):
                        window[counter] = window.get(counter, 0) + row[2 + i]
                feed = snds.get(address, {}) if slug == MICROSOFT else {}
                own = feed.get(day)
                latest = feed[max(feed)] if feed else None
                is_blocked = slug == MICROSOFT and address in blocked.get(account_id, ())
                figures = Figures(
                    kind=verdict.IP,
                    provider=short_name(pname),
                    period=self.period,
                    offered=window.get("offered", 0),
                    delivered=window.get("delivered", 0),
                    deferred=window.get("deferred", 0),
                    bounced=window.get("bounced", 0),
                    hard_bounced=window.get("hard_bounced", 0),
                    throttled=window.get("throttled", 0),
                    blocked=window.get("blocked", 0),
                    blocklisted=window.get("blocklisted", 0),
                    complaints=window.get("complaints", 0),
                    warmup_state=state,
                    suspended=is_suspended,
                    dnsbl_listings=tuple(zones),
                    ptr=checks.get("ptr", ""),
                    fcrdns=checks.get("fcrdns", ""),
                    snds_filter=latest[0] if latest else "",
                    snds_complaint_rate=latest[1] if latest else None,
                    snds_trap_hits=latest[2] if latest else None,
                    snds_blocked=is_blocked,
                )
                result = self._verdict(figures, provider_id)
                rows.append(
                    [
                        ip_id,
                        *self._row_common(provider_id, counts, state, result),
                        stage,
                        cap,
                        used,
                        is_suspended,
                        zones,
                        checks.get("ptr", ""),
                        checks.get("fcrdns", ""),
                        own[0] if own else "",
                        own[1] if own else None,
                        own[2] if own else None,
                        own[3] if own else None,
                        own[4] if own else None,
                        is_blocked,
                    ]
                )
                change = self._change(
                    previous_rows=earlier,
                    kind="ip",
                    subject_id=ip_id,
                    name=address,
                    account_id=account_id,
                    provider=provider,
                    result=result,
                )
                if change is not None:
                    changes.append(change)
        return rows

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
