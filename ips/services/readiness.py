"""Readiness checks of dedicated IPs: PTR, forward-confirmed reverse DNS, DNS blocklists.

Every lookup goes through warmup_site.dns, many at once (`lookup_many`). Each check ends in a
fact (pass / fail) or, on a temporary DNS failure, in no new fact at all: the previous status
stays and the failure is recorded in `error`, so a resolver outage never lists or clears an IP.

An IP passes when every check passes or is covered by an operator's override. A new IP that
passes starts its warm-up at once; a sending IP that fails (a new listing) is skipped by routing
until it passes again or an operator overrides the new failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ips.models import DedicatedIp, IpCheck
from ips.routing_cache import routing_cache_clear
from ips.services.lookups import Outcome, check_names, lookups_run
from ips.services.suspensions import warmups_blocklist_follow
from ips.services.warmup import ip_warmup_start
from warmup_site.errors import ApplicationError
from warmup_site.jobs import due_batches

# IPs that have not passed yet are retried soon; sending IPs every WARMUP_IP_RECHECK_HOURS.
RETRY_NEW = timedelta(minutes=15)
# While the job checks a batch, other workers leave those IPs alone this long.
CHECK_LEASE = timedelta(minutes=10)


@dataclass
class ReadinessSummary:
    """What a round of readiness checks found (the tasks' and the admin action's sentence)."""

    checked: int = 0
    passed: int = 0
    failed: int = 0
    unknown: int = 0
    started: int = 0

    def add(self, other: ReadinessSummary) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def sentence(self) -> str:
        return (
            f"checked {self.checked} IPs: {self.passed} passed, {self.failed} failed, "
            f"{self.unknown} unknown (DNS did not answer); {self.started} started warming"
        )


def _summarise(checks: list[IpCheck]) -> str:
    if any(c.status == IpCheck.Status.FAIL and not c.overridden for c in checks):
        return DedicatedIp.Readiness.FAILED
    if checks and all(c.passes for c in checks):
        return DedicatedIp.Readiness.PASSED
    return DedicatedIp.Readiness.UNKNOWN


def _next_check(ip: DedicatedIp, now: datetime) -> datetime | None:
    if ip.state == DedicatedIp.State.RETIRED:
        return None
    if ip.state in (DedicatedIp.State.NEW, DedicatedIp.State.CHECKING):
        return now + RETRY_NEW
    return now + timedelta(hours=settings.WARMUP_IP_RECHECK_HOURS)


def ips_readiness_check(*, ips: list[DedicatedIp]) -> ReadinessSummary:
    """Check these IPs now, store the results and move new IPs on.

    The lookups run outside any transaction; the writes for the whole batch run in one.
    """
    ips = [ip for ip in ips if ip.state != DedicatedIp.State.RETIRED]
    summary = ReadinessSummary(checked=len(ips))
    if not ips:
        return summary
    results = lookups_run(ips)
    now = timezone.now()
    with transaction.atomic():
        # The lookups took a while: work on the rows as they are now (an override, a retirement
        # or another worker may have changed them), locked until the batch is written.
        ips = list(
            DedicatedIp.objects.select_for_update()
            .filter(pk__in=[ip.pk for ip in ips])
            .exclude(state=DedicatedIp.State.RETIRED)
            .order_by("pk")
        )
        by_ip = _checks_save(ips, results, now)
        for ip in _ips_follow(ips, by_ip, summary, now):
            ip_warmup_start(ip=ip)
            ip.state = DedicatedIp.State.WARMING
            summary.started += 1
        _blocklists_follow(ips, by_ip, now)
        # An IP that passes again is routed to at once in this process (a failing one already
        # is refused by every claim).
        routing_cache_clear()
    return summary


_CHECK_FIELDS = [
    "kind",
    "status",
    "detail",
    "found",
    "checked_at",
    "attempted_at",
    "error",
    "changed_at",
    "overridden",
]


def _checks_save(ips: list[DedicatedIp], results, now: datetime) -> dict[int, list[IpCheck]]:
    """Write every check's new row (one upsert); returns the rows per IP id."""
    previous = {
        (c.ip_id, c.name): c for c in IpCheck.objects.select_for_update().filter(ip__in=ips)
    }
    rows = [
        _updated_check(previous.get((ip.pk, name)), ip, name, outcome, now)
        for ip in ips
        for name, outcome in results[ip.pk].items()
    ]
    IpCheck.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["ip", "name"], update_fields=_CHECK_FIELDS
    )
    # Checks of blocklists no longer configured no longer count.
    names = [name for name, _kind in check_names()]
    IpCheck.objects.filter(ip__in=ips).exclude(name__in=names).delete()
    by_ip: dict[int, list[IpCheck]] = {}
    for row in rows:
        by_ip.setdefault(row.ip_id, []).append(row)
    return by_ip


def _ips_follow(ips, by_ip, summary: ReadinessSummary, now: datetime) -> list[DedicatedIp]:
    """Each IP's readiness and state from its checks (one bulk update); returns the IPs that
    just became ready, whose warm-up starts now."""
    to_start = []
    for ip in ips:
        ip.readiness = _summarise(by_ip[ip.pk])
        ip.readiness_checked_at = now
        setattr(summary, ip.readiness, getattr(summary, ip.readiness) + 1)
        if ip.state == DedicatedIp.State.NEW and ip.readiness != DedicatedIp.Readiness.PASSED:
            ip.state = DedicatedIp.State.CHECKING
            ip.state_changed_at = now
        elif ip.state in (DedicatedIp.State.NEW, DedicatedIp.State.CHECKING) and (
            ip.readiness == DedicatedIp.Readiness.PASSED
        ):
            ip.state = DedicatedIp.State.READY
            ip.state_changed_at = now
            to_start.append(ip)
        ip.next_check_at = _next_check(ip, now)
    DedicatedIp.objects.bulk_update(
        ips, ["readiness", "readiness_checked_at", "state", "state_changed_at", "next_check_at"]
    )
    return to_start


def _blocklists_follow(ips, by_ip, now: datetime) -> None:
    """Blocklists and the fast back-off: a listed sending IP is suspended at every provider,
    and a check with every blocklist clean lifts such a suspension."""
    listed, clean = {}, []
    for ip in ips:
        lists = [c for c in by_ip[ip.pk] if c.kind == IpCheck.Kind.DNSBL]
        failing = [
            c.name.split(":", 1)[1]
            for c in lists
            if c.status == IpCheck.Status.FAIL and not c.overridden
        ]
        if failing:
            listed[ip.pk] = failing
        elif all(c.passes for c in lists):
            clean.append(ip.pk)
    warmups_blocklist_follow(listed=listed, clean=clean, now=now)


def _updated_check(
    old: IpCheck | None, ip: DedicatedIp, name: str, outcome: Outcome, now: datetime
) -> IpCheck:
    row = IpCheck(
        ip=ip,
        name=name,
        kind=outcome.kind,
        status=old.status if old else IpCheck.Status.UNKNOWN,
        detail=old.detail if old else "",
        found=old.found if old else [],
        checked_at=old.checked_at if old else None,
        attempted_at=now,
        error="",
        changed_at=old.changed_at if old else None,
        overridden=old.overridden if old else False,
    )
    if outcome.result == "tempfail":
        # Not a fact: keep what we knew, say what went wrong.
        row.error = outcome.detail[:300]
        if not old:
            row.detail = "not checked yet: DNS did not answer"
        return row
    status = IpCheck.Status.PASS if outcome.result == "pass" else IpCheck.Status.FAIL
    if status != row.status:
        row.changed_at = now
        # An override covers the failure the operator saw, not a new one.
        row.overridden = False
    row.status = status
    row.detail = outcome.detail
    row.found = outcome.found
    row.checked_at = now
    return row


def ip_readiness_check(*, ip: DedicatedIp) -> DedicatedIp:
    ips_readiness_check(ips=[ip])
    ip.refresh_from_db()
    return ip


@transaction.atomic
def ip_readiness_override(*, ip: DedicatedIp, actor, reason: str) -> DedicatedIp:
    """An operator accepts the checks that do not pass right now, with a reason (recorded).

    It covers the failures and unknowns seen now (checks that never ran count as unknown); a
    check that later changes to a new failure is not covered. A new IP then starts warming.
    """
    reason = reason.strip()
    if len(reason) < 5:
        raise ApplicationError(
            "Say why the checks may be overridden (at least a few words).", field="reason"
        )
    ip = DedicatedIp.objects.select_for_update().get(pk=ip.pk)
    if ip.state == DedicatedIp.State.RETIRED:
        raise ApplicationError(f"{ip.address} is retired.")
    now = timezone.now()
    existing = {c.name: c for c in IpCheck.objects.filter(ip=ip)}
    for name, kind in check_names():
        if name not in existing:
            existing[name] = IpCheck(
                ip=ip,
                name=name,
                kind=kind,
                status=IpCheck.Status.UNKNOWN,
                detail="not checked yet",
                attempted_at=None,
            )
    checks = [existing[name] for name, _kind in check_names()]
    for check in checks:
        if check.status != IpCheck.Status.PASS:
            check.overridden = True
    IpCheck.objects.bulk_create([c for c in checks if c.pk is None], ignore_conflicts=True)
    IpCheck.objects.filter(ip=ip, name__in=[c.name for c in checks if c.overridden]).update(
        overridden=True
    )
    ip.readiness_override_by = actor
    ip.readiness_override_reason = reason
    ip.readiness_override_at = now
    ip.readiness = _summarise(checks)
    fields = ["readiness_override_by", "readiness_override_reason", "readiness_override_at"]
    if ip.state in (DedicatedIp.State.NEW, DedicatedIp.State.CHECKING):
        ip.state = DedicatedIp.State.READY
        ip.state_changed_at = now
        fields += ["state", "state_changed_at"]
    ip.save(update_fields=[*fields, "readiness"])
    if ip.state == DedicatedIp.State.READY:
        ip = ip_warmup_start(ip=ip)
    routing_cache_clear()
    return ip


def ips_check_due(*, batch_size: int = 100, max_batches: int = 20) -> ReadinessSummary:
    """The scheduled job: check every IP whose next check is due. Safe on several workers.

    Batches are claimed with warmup_site.jobs.due_batches (a lease of CHECK_LEASE on
    next_check_at, skipping rows another worker holds); the lookups run outside it.
    """
    totals = ReadinessSummary()
    for batch in due_batches(
        DedicatedIp.objects.exclude(state=DedicatedIp.State.RETIRED),
        due_field="next_check_at",
        lease=CHECK_LEASE,
        batch_size=batch_size,
        max_batches=max_batches,
    ):
        ips = list(DedicatedIp.objects.filter(pk__in=batch).order_by("pk"))
        totals.add(ips_readiness_check(ips=ips))
    return totals
