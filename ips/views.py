"""The customer's read-only Dedicated IPs page."""

from django.shortcuts import render

from accounts.views import membership_required
from ips import selectors
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
        }
        for ip in ips
    ]
    return render(request, "ips/list.html", {"entries": entries})
