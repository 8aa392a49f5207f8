"""The day's domain rows (a part of DayBuilder: seeds, delivery events by sender domain,
Postmaster Tools)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

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
)
from reputation.verdict import Figures


class DomainRows:
    """DayBuilder's domains (it provides the shared state and helpers)."""

    # --- domains ---------------------------------------------------------------------------------

    def _domains(self, changes: list[EventRow]) -> list[list]:
        day, start, end = self.day, self.start, self.end
        domains = sources.domains()
        if not domains:
            return []
        by_name = {(account_id, name): pk for pk, account_id, name, _status in domains}
        events: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
        for account_id, sender, provider_id, counter, n in sources.domain_events(
            start=start, end=end
        ):
            domain_id = by_name.get((account_id, sender.lower()))
            if domain_id is not None:
                events[(domain_id, provider_id)][counter] += n
        seeds = {
            (d, p): (s, i, sp, m, dec) for d, p, s, i, sp, m, dec in sources.seed_days(day=day)
        }
        actions: dict[tuple, dict] = defaultdict(dict)
        for domain_id, provider_id, kind, n in sources.seed_actions(start=start, end=end):
            actions[(domain_id, provider_id)][kind] = n
        pm_days: dict[int, dict[date, tuple]] = defaultdict(dict)
        for row in PostmasterDomainDay.objects.filter(
            day__gte=self.first, day__lte=day
        ).values_list("domain_id", "day", *PM_RATES):
            pm_days[row[0]][row[1]] = row[2:]
        compliance, failing = {}, {}
        for domain_id, status, requirements in PostmasterDomain.objects.exclude(
            compliance=""
        ).values_list("domain_id", "compliance", "compliance_failing"):
            compliance[domain_id] = status
            failing[domain_id] = requirements
        fields = (*COUNTS, "inbox", "spam", "missing")
        previous = self._previous(DomainSnapshot, "domain_id", fields)

        rows = []
        for domain_id, account_id, name, status in domains:
            for provider in self.providers:
                provider_id, slug, pname = provider
                key = (domain_id, provider_id)
                counts = dict(events.get(key, {}))
                counts["offered"] = (
                    counts.get("delivered", 0)
                    + counts.get("deferred", 0)
                    + counts.get("bounced", 0)
                )
                sent, inbox, spam, missing, decision = seeds.get(key, (0, 0, 0, 0, ""))
                plan_state = (
                    decision
                    if decision in ("warm", "needs_attention")
                    else ("warming" if decision else "")
                )
                pm = pm_days.get(domain_id, {}) if slug == GOOGLE else {}
                today_pm = pm.get(day, (None,) * len(PM_RATES))
                latest_pm = pm[max(pm)] if pm else (None,) * len(PM_RATES)
                # The window: this day's figures plus the stored ones of the days before.
                window = dict(counts)
                placed = [inbox, spam, missing]
                earlier = previous.get(key, ())
                for row in earlier:
                    if row[0] < self.first:
                        continue
                    values = row[2:]
                    for i, counter in enumerate(COUNTS):
                        window[counter] = window.get(counter, 0) + values[i]
                    for i in range(3):
                        placed[i] += values[len(COUNTS) + i]
                pm_compliance = compliance.get(domain_id, "") if slug == GOOGLE else ""
                figures = Figures(
                    kind=verdict.DOMAIN,
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
                    inbox=placed[0],
                    spam=placed[1],
                    missing=placed[2],
                    warmup_state=plan_state,
                    domain_status=status,
                    pm_spam_rate=latest_pm[0],
                    pm_spf_rate=latest_pm[1],
                    pm_dkim_rate=latest_pm[2],
                    pm_dmarc_rate=latest_pm[3],
                    pm_compliance=pm_compliance,
                    pm_compliance_failing=tuple(failing.get(domain_id) or ()),
                )
                result = self._verdict(figures, provider_id)
                act = actions.get(key, {})
                rows.append(
                    [
                        domain_id,
                        *self._row_common(provider_id, counts, plan_state, result),
                        sent,
                        inbox,
                        spam,
                        missing,
                        *(act.get(kind, 0) for kind in ACTIONS),
                        status,
                        *today_pm,
                        pm_compliance,
                    ]
                )
                change = self._change(
                    previous_rows=earlier,
                    kind="domain",
                    subject_id=domain_id,
                    name=name,
                    account_id=account_id,
                    provider=provider,
                    result=result,
                )
                if change is not None:
                    changes.append(change)
        return rows
