"""The customer's read-only Dedicated IPs page."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.views import manager_required, membership_required
from ips import selectors, services
from ips.models import DedicatedIp, IpCheck

READINESS_BADGE = {
    DedicatedIp.Readiness.PASSED: "badge-ok",
    DedicatedIp.Readiness.FAILED: "badge-bad",
    DedicatedIp.Readiness.UNKNOWN: "badge-warn",
    DedicatedIp.Readiness.PENDING: "badge-info",
}
STATE_BADGE = {
    DedicatedIp.State.WARM: "badge-ok",
    DedicatedIp.State.WARMING: "badge-info",
    DedicatedIp.State.PAUSED: "badge-warn",
    DedicatedIp.State.CHECKING: "badge-warn",
}
CHECK_BADGE = {IpCheck.Status.PASS: "badge-ok", IpCheck.Status.FAIL: "badge-bad"}


@membership_required
def ip_list(request):
    ips = list(selectors.dedicated_ip_list().for_account(request.account))
    rows = selectors.ip_warmup_rows(ip_ids=[ip.pk for ip in ips])
    entries = [
        {
            "ip": ip,
            "state_badge": STATE_BADGE.get(ip.state, ""),
            "readiness_badge": READINESS_BADGE.get(ip.readiness, ""),
            "checks": [
                {
                    "check": c,
                    "badge": "badge-ok" if c.passes else CHECK_BADGE.get(c.status, "badge-warn"),
                }
                for c in ip.checks.all()
            ],
            "providers": rows.get(ip.pk, []),
            "percentage": selectors.ip_warmup_percentage(rows.get(ip.pk, [])),
        }
        for ip in ips
    ]
    context = {
        "entries": entries,
        "auto_warmup": selectors.auto_warmup_enabled(account_id=request.account.pk),
        "floor": selectors.floor_report(account=request.account),
    }
    return render(request, "ips/list.html", context)


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
