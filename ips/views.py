"""The customer's Dedicated IPs pages: the list (25 a page, searched and filtered) and one IP's
page (its checks, its warm-up at each provider with estimates, its decisions, and the charts
the reputation app adds through the `ip_detail` panel slot)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.views import manager_required, membership_required
from ips import selectors, services
from ips.addresses import normalise_ip
from ips.models import DedicatedIp, IpCheck, IpWarmup
from warmup_site import paging, panels

STATE_BADGE = {
    DedicatedIp.State.WARM: "badge-ok",
    DedicatedIp.State.WARMING: "badge-info",
    DedicatedIp.State.PAUSED: "badge-warn",
    DedicatedIp.State.CHECKING: "badge-warn",
}
WARMUP_BADGE = {
    IpWarmup.State.WARM: "badge-ok",
    IpWarmup.State.WARMING: "badge-info",
    IpWarmup.State.BACKOFF: "badge-warn",
    IpWarmup.State.PAUSED: "badge-warn",
    IpWarmup.State.COOLING: "badge-warn",
}
PAGE_SIZE = 25
# The list's state filter: the IP's own state, or a provider that needs a look.
ATTENTION = "attention"
STATES = {*DedicatedIp.State.values, ATTENTION}


@dataclass(frozen=True)
class CheckLine:
    """One readiness check as the page shows it: never green unless it really passed."""

    check: IpCheck
    label: str
    badge: str


@dataclass(frozen=True)
class Checks:
    """The IP's checks summed up truthfully: what passed, what an operator accepted without
    a pass, and what never ran."""

    label: str
    badge: str
    note: str
    lines: list[CheckLine]


def _check_line(check: IpCheck) -> CheckLine:
    if check.status == IpCheck.Status.PASS:
        return CheckLine(check, "Passed", "badge-ok")
    if check.status == IpCheck.Status.FAIL:
        if check.overridden:
            return CheckLine(check, "Failing · accepted by an operator", "badge-warn")
        return CheckLine(check, "Failed", "badge-bad")
    never = check.checked_at is None
    if check.overridden:
        word = "Not checked" if never else "Unknown"
        return CheckLine(check, f"{word} · accepted by an operator", "badge")
    if check.error:
        return CheckLine(check, "Could not check (DNS did not answer)", "badge-warn")
    return CheckLine(check, "Not checked yet" if never else "Unknown", "badge-warn")


def _checks(ip: DedicatedIp) -> Checks:
    lines = [_check_line(c) for c in ip.checks.all()]
    accepted = [line for line in lines if line.check.overridden]
    if not lines:
        return Checks(
            "Checks: not run yet",
            "badge-warn",
            "The reverse-DNS and blocklist checks have not run for this IP yet"
            + (
                ": it was added as already warm, so it is routed meanwhile."
                if ip.state == DedicatedIp.State.WARM
                else "."
            ),
            lines,
        )
    if ip.readiness == DedicatedIp.Readiness.FAILED:
        return Checks("Checks: failed", "badge-bad", "", lines)
    if accepted:
        passed = sum(1 for line in lines if line.check.status == IpCheck.Status.PASS)
        return Checks(
            "Checks: accepted by an operator",
            "badge-warn",
            f"{passed} of {len(lines)} checks passed; an operator accepted the others.",
            lines,
        )
    if ip.readiness == DedicatedIp.Readiness.PASSED:
        return Checks("Checks: passed", "badge-ok", "", lines)
    return Checks(f"Checks: {ip.get_readiness_display().lower()}", "badge-warn", "", lines)


def _attention(rows) -> list[str]:
    """The providers of an IP that need a look: backing off, suspended, paused, cooling."""
    notes = []
    for row in rows:
        if row.suspended:
            notes.append(f"{row.provider_name}: suspended")
        elif row.state in (IpWarmup.State.BACKOFF, IpWarmup.State.PAUSED, IpWarmup.State.COOLING):
            notes.append(f"{row.provider_name}: {row.state_display.lower()}")
    return notes


def _ips(request):
    ips = selectors.dedicated_ip_list().for_account(request.account)
    q, state = paging.search_terms(request, states=STATES)
    if q:
        ips = ips.filter(
            Q(address__icontains=q.lower()) | Q(hostname__icontains=q) | Q(pool__name__icontains=q)
        )
    if state == ATTENTION:
        ips = ips.filter(
            Exists(
                IpWarmup.objects.filter(ip=OuterRef("pk")).filter(
                    Q(state__in=[IpWarmup.State.BACKOFF, IpWarmup.State.COOLING])
                    | Q(suspended_until__gt=timezone.now())
                )
            )
        )
    elif state:
        ips = ips.filter(state=state)
    return ips


@membership_required
def ip_list(request):
    listing = paging.listing(request, _ips(request), per_page=PAGE_SIZE, states=STATES)
    ips = list(listing.page.object_list)
    rows = selectors.ip_warmup_rows(ip_ids=[ip.pk for ip in ips], with_estimates=True)
    entries = [
        {
            "ip": ip,
            "state_badge": STATE_BADGE.get(ip.state, ""),
            "checks": _checks(ip),
            "overall": selectors.ip_warmup_overall(rows.get(ip.pk, [])),
            "attention": _attention(rows.get(ip.pk, [])),
        }
        for ip in ips
    ]
    context = {
        "listing": listing,
        "entries": entries,
        "any_ips": listing.filtered or bool(entries),
        "states": DedicatedIp.State.choices,
        "auto_warmup": selectors.auto_warmup_enabled(account_id=request.account.pk),
        "floor": selectors.floor_report(account=request.account),
    }
    return render(request, "ips/list.html", context)


@membership_required
def ip_detail(request, address: str):
    try:
        address = normalise_ip(address)
    except ValueError:
        raise Http404 from None
    ip = get_object_or_404(
        selectors.dedicated_ip_list().for_account(request.account), address=address
    )
    rows = selectors.ip_warmup_rows(ip_ids=[ip.pk], with_estimates=True)[ip.pk]
    found = panels.panels("ip_detail", request=request, ip=ip)
    context = {
        "ip": ip,
        "state_badge": STATE_BADGE.get(ip.state, ""),
        "checks": _checks(ip),
        "overall": selectors.ip_warmup_overall(rows),
        "rows": [{"row": row, "badge": WARMUP_BADGE.get(row.state, "")} for row in rows],
        "decisions": selectors.ip_warmup_decision_list(ip_id=ip.pk, limit=12),
        "panels": found,
        "charts": panels.with_charts(found),
    }
    return render(request, "ips/detail.html", context)


@require_POST
@manager_required
def ip_warmup_settings(request):
    """The automatic warm-up switch (a plain form POST: enabled=1 or enabled=0)."""
    enabled = request.POST.get("enabled") == "1"
    services.account_ip_warmup_set(
        account=request.account, enabled=enabled, actor=request.user.get_username()
    )
    if enabled:
        messages.success(
            request, "Automatic warm-up is on: new dedicated IPs warm up provider by provider."
        )
    else:
        messages.warning(
            request,
            "Automatic warm-up is off: new dedicated IPs take full traffic as soon as their "
            "checks pass. IPs already warming keep warming.",
        )
    return redirect("ips:list")
