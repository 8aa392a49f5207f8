"""The day's domain rows (a part of DayBuilder: seeds, delivery events by sender domain,
Postmaster Tools)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from reputation import sources, verdict
from reputation.models import (
    DomainSnapshot,
    PostmasterDomain,
    PostmasterDomainDay,
)
from reputation.services.notifications import EventRow, short_name
from reputation.services.snapshots.columns import (
    ACTIONS,
    COUNTS,
    GOOGLE,
    PM_RATES,
    delivery_figures,
    with_offered,
)
from reputation.verdict import Figures


@dataclass
class _DomainSources:
    """What the day's domain rows are built from, keyed by (domain, provider) or domain."""

    events: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    seeds: dict = field(default_factory=dict)
    actions: dict = field(default_factory=lambda: defaultdict(dict))
    pm_days: dict = field(default_factory=lambda: defaultdict(dict))
    compliance: dict = field(default_factory=dict)  # domain → (status, failing requirements)
    previous: dict = field(default_factory=dict)


class DomainRows:
    """DayBuilder's domains (it provides the shared state and helpers)."""

    # --- domains ---------------------------------------------------------------------------------

    def _domains(self, changes: list[EventRow]) -> list[list]:
        domains = sources.domains()
        if not domains:
            return []
        read = self._domain_sources(domains)
        rows = []
        for domain in domains:
            for provider in self.providers:
                rows.append(self._domain_row(domain, provider, read, changes))
        return rows

    def _domain_sources(self, domains: list[tuple]) -> _DomainSources:
        """Every source of the day's domain rows, read once."""
        by_name = {(account_id, name): pk for pk, account_id, name, _status in domains}
        read = _DomainSources()
        for account_id, sender, provider_id, counter, n in sources.domain_events(
            start=self.start, end=self.end
        ):
            domain_id = by_name.get((account_id, sender.lower()))
            if domain_id is not None:
                read.events[(domain_id, provider_id)][counter] += n
        read.seeds = {
            (d, p): (s, i, sp, m, dec) for d, p, s, i, sp, m, dec in sources.seed_days(day=self.day)
        }
        for domain_id, provider_id, kind, n in sources.seed_actions(start=self.start, end=self.end):
            read.actions[(domain_id, provider_id)][kind] = n
        for row in PostmasterDomainDay.objects.filter(
            day__gte=self.first, day__lte=self.day
        ).values_list("domain_id", "day", *PM_RATES):
            read.pm_days[row[0]][row[1]] = row[2:]
        for domain_id, status, requirements in PostmasterDomain.objects.exclude(
            compliance=""
        ).values_list("domain_id", "compliance", "compliance_failing"):
            read.compliance[domain_id] = (status, tuple(requirements or ()))
        read.previous = self._previous(
            DomainSnapshot, "domain_id", (*COUNTS, "inbox", "spam", "missing")
        )
        return read

    def _domain_row(
        self, domain: tuple, provider: tuple, read: _DomainSources, changes: list[EventRow]
    ) -> list:
        """One (domain, provider) snapshot row; its verdict change, if any, goes to `changes`."""
        domain_id, account_id, name, status = domain
        provider_id, slug, pname = provider
        key = (domain_id, provider_id)
        counts = with_offered(dict(read.events.get(key, {})))
        sent, inbox, spam, missing, decision = read.seeds.get(key, (0, 0, 0, 0, ""))
        plan_state = (
            decision if decision in ("warm", "needs_attention") else ("warming" if decision else "")
        )
        pm = read.pm_days.get(domain_id, {}) if slug == GOOGLE else {}
        today_pm = pm.get(self.day, (None,) * len(PM_RATES))
        latest_pm = pm[max(pm)] if pm else (None,) * len(PM_RATES)
        earlier = read.previous.get(key, ())
        window, placed = self._window(counts, earlier, placed=3)
        status_pm, failing = read.compliance.get(domain_id, ("", ()))
        compliance = status_pm if slug == GOOGLE else ""
        result = self._verdict(
            Figures(
                kind=verdict.DOMAIN,
                provider=short_name(pname),
                period=self.period,
                **delivery_figures(window),
                inbox=inbox + placed[0],
                spam=spam + placed[1],
                missing=missing + placed[2],
                warmup_state=plan_state,
                domain_status=status,
                pm_spam_rate=latest_pm[0],
                pm_spf_rate=latest_pm[1],
                pm_dkim_rate=latest_pm[2],
                pm_dmarc_rate=latest_pm[3],
                pm_compliance=compliance,
                pm_compliance_failing=failing,
            ),
            provider_id,
        )
        self._change(
            changes,
            previous_rows=earlier,
            kind="domain",
            subject_id=domain_id,
            name=name,
            account_id=account_id,
            provider=provider,
            result=result,
        )
        act = read.actions.get(key, {})
        return [
            domain_id,
            *self._row_common(provider_id, counts, plan_state, result),
            sent,
            inbox,
            spam,
            missing,
            *(act.get(kind, 0) for kind in ACTIONS),
            status,
            *today_pm,
            compliance,
        ]
