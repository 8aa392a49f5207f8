"""Every write to domains, their records and DKIM keys, and the rules of verification.

Status machine of a domain:

* ``pending`` → ``verified`` when one check finds ownership, SPF, DKIM (the active key) and DMARC
  all ok. A name is verified by at most one account (a partial unique index backs the check).
* ``verified`` → ``failed`` when a required record is *definitely* missing or wrong on
  FAILURES_TO_FAIL different days in a row; any check that finds everything ok resets the count
  and turns a failed domain verified again.
* A temporary DNS failure (timeout, SERVFAIL) is no fact: the record shows ``error`` with the
  reason, and neither the domain's status nor its failure count changes. It is retried soon.

Checks run through domains.resolution, so many domains' lookups overlap.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Prefetch, Q
from django.utils import timezone

from domains import spf, verification
from domains.findings import Finding, Status
from domains.models import FAILURES_TO_FAIL, DkimKey, Domain, DomainRecord
from domains.resolution import Resolver, run
from warmup_site.errors import RateLimited
from warmup_site.jobs import due_batches

logger = logging.getLogger(__name__)

Kind = DomainRecord.Kind

# Verified and failed domains are re-checked once a day; new pending domains every hour during
# their first week (their owner is probably publishing records right now).
RECHECK_INTERVAL = timedelta(days=1)
NEW_DOMAIN_RECHECK_INTERVAL = timedelta(hours=1)
NEW_DOMAIN_AGE = timedelta(days=7)
# A check that hit a temporary DNS failure is retried after this long.
TEMPFAIL_RETRY = timedelta(hours=1)
# While a worker checks a claimed batch, other workers leave it alone this long.
CLAIM_LEASE = timedelta(minutes=15)
BATCH_SIZE = 500


# --- checking -------------------------------------------------------------------------------------


@dataclass
class CheckSummary:
    checked: int = 0
    ok: int = 0  # every required record ok
    problems: int = 0  # a required record definitely missing or wrong
    dns_errors: int = 0  # not decided: a lookup failed temporarily
    newly_verified: int = 0
    newly_failed: int = 0
    keys_promoted: int = 0
    conflicts: list[str] = field(default_factory=list)

    def add(self, other: CheckSummary) -> None:
        for name in (
            "checked",
            "ok",
            "problems",
            "dns_errors",
            "newly_verified",
            "newly_failed",
            "keys_promoted",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.conflicts.extend(other.conflicts)

    def sentence(self) -> str:
        return (
            f"checked {self.checked} domains: {self.ok} ok, {self.problems} with problems, "
            f"{self.dns_errors} undecided after DNS errors (retried in "
            f"{int(TEMPFAIL_RETRY.total_seconds() // 60)} min); {self.newly_verified} newly "
            f"verified, {self.newly_failed} newly failed, {self.keys_promoted} DKIM keys rotated"
        )


def _verify_claim(*, domain_id: int, now: datetime) -> bool:
    """Conditional UPDATE of last_verify_requested_at: True when this request may check now."""
    interval = timedelta(seconds=settings.WARMUP_VERIFY_MIN_INTERVAL)
    return bool(
        Domain.objects.filter(pk=domain_id)
        .filter(
            Q(last_verify_requested_at__isnull=True)
            | Q(last_verify_requested_at__lte=now - interval)
        )
        .update(last_verify_requested_at=now)
    )


def domain_verify(*, domain: Domain) -> CheckSummary:
    """ "Verify now" from a page or the API: check DNS at once, at most once per
    WARMUP_VERIFY_MIN_INTERVAL per domain across every web host (the database decides)."""
    now = timezone.now()
    if not _verify_claim(domain_id=domain.pk, now=now):
        interval = timedelta(seconds=settings.WARMUP_VERIFY_MIN_INTERVAL)
        last = (
            Domain.objects.filter(pk=domain.pk)
            .values_list("last_verify_requested_at", flat=True)
            .first()
        )
        wait = (last + interval - now).total_seconds() if last else interval.total_seconds()
        retry_after = max(1, math.ceil(wait))
        raise RateLimited(
            f"{domain.unicode_name} was checked moments ago. Try again in {retry_after} "
            f"second{'s' if retry_after != 1 else ''}: DNS changes need a little time anyway.",
            retry_after=retry_after,
        )
    return domains_check(domain_ids=[domain.pk])


def domains_verify_now(*, domain_ids: Sequence[int]) -> tuple[CheckSummary, int]:
    """ "Verify now" for several domains (the admin action), checked together. Domains checked
    on demand too recently are skipped; returns (summary, how many were skipped)."""
    now = timezone.now()
    claimed = [pk for pk in domain_ids if _verify_claim(domain_id=pk, now=now)]
    summary = domains_check(domain_ids=claimed) if claimed else CheckSummary()
    return summary, len(domain_ids) - len(claimed)


def domains_check(*, domain_ids: Sequence[int], resolve: Resolver | None = None) -> CheckSummary:
    """Check the given domains now (no rate limit): lookups for all of them run concurrently;
    results are written in bulk. `resolve` replaces the concurrent resolver (benchmark)."""
    domains = list(
        Domain.objects.filter(pk__in=list(domain_ids))
        .select_related("account")
        .prefetch_related(
            Prefetch(
                "records",
                queryset=DomainRecord.objects.select_related("dkim_key").order_by("position", "pk"),
            )
        )
    )
    if not domains:
        return CheckSummary()
    ips_by_account = {}
    if spf.sending_ip_sources:
        for domain in domains:
            if domain.account_id not in ips_by_account:
                ips_by_account[domain.account_id] = spf.account_sending_ips(domain.account)
    checks = [
        verification.check_domain(
            domain, domain.records.all(), ips=ips_by_account.get(domain.account_id, ())
        )
        for domain in domains
    ]
    results = run(checks, resolve=resolve)
    return _apply(domains, results, now=timezone.now())


def _problem_sentence(failing: list[tuple[DomainRecord, Finding]]) -> str:
    parts = [
        f"{record.get_kind_display()} {record.get_status_display().lower()}"
        for record, _ in failing
    ]
    return f"Required records are not right: {', '.join(parts)}. " + " ".join(
        finding.detail for _, finding in failing[:1]
    )


def _required(domain: Domain) -> list[DomainRecord]:
    return [r for r in domain.records.all() if r.required]


def _verdict(domain: Domain, findings: dict[int, Finding]) -> str:
    got = [findings[r.pk] for r in _required(domain)]
    if all(f.ok for f in got):
        return "ok"
    if any(f.definite_problem for f in got):
        return "problem"
    return "unknown"


def _apply(domains: list[Domain], results, *, now: datetime) -> CheckSummary:
    summary = CheckSummary(checked=len(domains))
    findings: dict[int, dict[int, Finding]] = {r.domain_id: dict(r.findings) for r in results}
    # A name verified by another account cannot be verified here: that is a definite problem
    # of the ownership record. (The partial unique index catches races below.)
    candidates = [
        d
        for d in domains
        if _verdict(d, findings[d.pk]) == "ok" and d.status != Domain.Status.VERIFIED
    ]
    taken = set(
        Domain.objects.filter(name__in=[d.name for d in candidates], status=Domain.Status.VERIFIED)
        .exclude(pk__in=[d.pk for d in candidates])
        .values_list("name", flat=True)
    )
    with transaction.atomic():
        summary.newly_verified = len(
            _mark_verified([d for d in candidates if d.name not in taken], now=now)
        )
        for domain in candidates:
            if domain.status != Domain.Status.VERIFIED:
                _ownership_taken(domain, findings[domain.pk])
                summary.conflicts.append(domain.name)
        verdicts = {domain.pk: _verdict(domain, findings[domain.pk]) for domain in domains}
        ok_ids = [pk for pk, v in verdicts.items() if v == "ok"]
        problem_ids = [pk for pk, v in verdicts.items() if v == "problem"]
        summary.ok, summary.problems = len(ok_ids), len(problem_ids)
        summary.dns_errors = len(domains) - len(ok_ids) - len(problem_ids)
        _records_save(domains, findings, now=now)
        _domains_schedule(domains, verdicts, findings, now=now)
        for chunk in _chunks(ok_ids):
            Domain.objects.filter(pk__in=chunk).update(
                consecutive_failures=0, last_failure_on=None, problem=""
            )
        if problem_ids:
            summary.newly_failed = _failures_count(problem_ids, domains, now=now)
        summary.keys_promoted = _promote_verified_keys(domains, findings, now=now)
    return summary


def _records_save(domains: list[Domain], findings, *, now: datetime) -> None:
    """The records: what each check found. A temporary failure keeps what was found before.
    Most daily checks find what the previous one found: those rows only get checked_at."""
    changed, unchanged = [], []
    for domain in domains:
        for record in domain.records.all():
            finding = findings[domain.pk][record.pk]
            before = (record.status, record.found, record.detail, record.value)
            record.status, record.detail = finding.status, finding.detail
            if not finding.tempfail:
                record.found = finding.found
                if finding.value is not None:
                    record.value = finding.value
            after = (record.status, record.found, record.detail, record.value)
            (changed if after != before else unchanged).append(record)
    _update_rows(DomainRecord, ["status", "found", "detail", "value", "checked_at"], changed, now)
    for chunk in _chunks([r.pk for r in unchanged]):
        DomainRecord.objects.filter(pk__in=chunk).update(checked_at=now)


def _domains_schedule(domains: list[Domain], verdicts, findings, *, now: datetime) -> None:
    """The domains: when checked and when to look again, and what is wrong if anything."""
    next_checks: dict[datetime, list[int]] = {}
    problems = []
    for domain in domains:
        verdict = verdicts[domain.pk]
        if verdict == "unknown":
            next_check = now + TEMPFAIL_RETRY
        elif domain.status == Domain.Status.PENDING and now - domain.created_at < NEW_DOMAIN_AGE:
            next_check = now + NEW_DOMAIN_RECHECK_INTERVAL
        else:
            next_check = now + RECHECK_INTERVAL
        next_checks.setdefault(next_check, []).append(domain.pk)
        if verdict == "problem":
            failing = [
                (r, findings[domain.pk][r.pk])
                for r in _required(domain)
                if findings[domain.pk][r.pk].definite_problem
            ]
            domain.problem = _problem_sentence(failing)
            problems.append(domain)
    for next_check, ids in next_checks.items():
        for chunk in _chunks(ids):
            Domain.objects.filter(pk__in=chunk).update(
                last_checked_at=now, next_check_at=next_check
            )
    _update_rows(Domain, ["problem"], problems, now)


def _failures_count(problem_ids: list[int], domains: list[Domain], *, now: datetime) -> int:
    """Count a failure day for each domain with a definite problem (one count per day, whoever
    checks and however often); verified domains that reach FAILURES_TO_FAIL fail. Returns how
    many failed now."""
    today = now.date()
    Domain.objects.filter(pk__in=problem_ids).filter(
        Q(last_failure_on__isnull=True) | Q(last_failure_on__lt=today)
    ).update(consecutive_failures=F("consecutive_failures") + 1, last_failure_on=today)
    failed = list(
        Domain.objects.filter(
            pk__in=problem_ids,
            status=Domain.Status.VERIFIED,
            consecutive_failures__gte=FAILURES_TO_FAIL,
        ).values_list("pk", flat=True)
    )
    if not failed:
        return 0
    newly_failed = Domain.objects.filter(pk__in=failed, status=Domain.Status.VERIFIED).update(
        status=Domain.Status.FAILED, failed_at=now
    )
    names = {domain.pk: domain.name for domain in domains}
    for pk in failed:
        logger.warning("domain failed verification: %s (id %s)", names[pk], pk)
    return newly_failed


def _chunks(items: list, size: int = BATCH_SIZE):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _update_rows(model, fields: list[str], rows: list, now: datetime) -> None:
    """UPDATE each row's `fields` in one executemany (psycopg pipelines it; SQLite loops in C).

    Django's bulk_update builds a CASE WHEN per row and field, which costs more CPU than the
    lookups of a whole batch. `checked_at`, if listed, is set to `now`.
    """
    if not rows:
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(meta.db_table),
        ", ".join(f"{quote(field.column)} = %s" for field in columns),
        quote(meta.pk.column),
    )
    params = [
        [
            field.get_db_prep_save(
                now if field.name == "checked_at" else getattr(row, field.attname), connection
            )
            for field in columns
        ]
        + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _mark_verified(domains: list[Domain], *, now: datetime) -> list[Domain]:
    """Turn domains verified with conditional UPDATEs; the ones another account did not beat.

    One UPDATE for all of them; only when the partial unique index refuses it (two accounts
    verifying one name at once) one UPDATE per domain, so that the first one wins.
    """
    if not domains:
        return []

    def update(rows: list[Domain]) -> int:
        return (
            Domain.objects.filter(pk__in=[d.pk for d in rows])
            .exclude(status=Domain.Status.VERIFIED)
            .update(status=Domain.Status.VERIFIED, verified_at=now, failed_at=None)
        )

    try:
        with transaction.atomic():
            update(domains)
        won = domains
    except IntegrityError:
        won = []
        for domain in domains:
            try:
                with transaction.atomic():
                    update([domain])
                won.append(domain)
            except IntegrityError:
                continue
    for domain in won:
        domain.status, domain.verified_at = Domain.Status.VERIFIED, now
        logger.info("domain verified: %s (id %s)", domain.name, domain.pk)
    return won


def _ownership_taken(domain: Domain, findings: dict[int, Finding]) -> None:
    for record in domain.records.all():
        if record.kind == Kind.OWNERSHIP:
            findings[record.pk] = Finding(
                Status.MISMATCH,
                findings[record.pk].found,
                f"{domain.unicode_name} is already verified by another Warmup account. A "
                "domain can be verified by one account only. If it is yours, remove it from "
                "the other account first, or contact support.",
            )


def _promote_verified_keys(domains, findings, *, now: datetime) -> int:
    """A rotated DKIM key whose record now verifies takes over from the active key."""
    promoted = 0
    for domain in domains:
        for record in domain.records.all():
            key = record.dkim_key
            if key is None or key.state != DkimKey.State.NEXT:
                continue
            if not findings[domain.pk][record.pk].ok:
                continue
            retired = DkimKey.objects.filter(domain=domain, state=DkimKey.State.ACTIVE)
            DomainRecord.objects.filter(dkim_key__in=retired).delete()
            retired.update(state=DkimKey.State.RETIRED, retired_at=now)
            DkimKey.objects.filter(pk=key.pk).update(state=DkimKey.State.ACTIVE, activated_at=now)
            DomainRecord.objects.filter(pk=record.pk).update(
                required=True,
                detail=record.detail
                + " It is now the active key: mail is signed with it. You may remove the "
                "previous DKIM record in a few days.",
            )
            logger.info("DKIM key %s is now active for %s", key.selector, domain.name)
            promoted += 1
    return promoted


# --- the background re-verification ---------------------------------------------------------------


def domains_reverify_due(
    *, batch_size: int = BATCH_SIZE, max_batches: int = 100, resolve: Resolver | None = None
) -> CheckSummary:
    """Check every domain whose next check is due (the scheduled job). Safe on several workers.

    Batches are claimed with warmup_site.jobs.due_batches (a lease of CLAIM_LEASE on
    next_check_at, skipping rows another worker holds); the lookups run outside any transaction.
    A worker that dies leaves its batch due again when the lease runs out.
    """
    total = CheckSummary()
    for batch in due_batches(
        Domain.objects.all(),
        due_field="next_check_at",
        lease=CLAIM_LEASE,
        batch_size=batch_size,
        max_batches=max_batches,
    ):
        total.add(domains_check(domain_ids=batch, resolve=resolve))
    return total
