"""Demo domains for `make run` (idempotent; runs after accounts.demo).

The demo cannot reach real DNS, so besides a pending domain that shows the records to publish,
the loader marks a second domain verified itself — plainly labelled as demo data — so that the
pages built on verified domains (domain warm-up) have something to show.
"""

from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from accounts.demo import DEMO_ACCOUNT
from accounts.models import Account
from domains import services
from domains.models import Domain, DomainRecord

PENDING_DOMAIN = "demo-sender.example"
VERIFIED_DOMAIN = "news.demo-sender.example"
DEMO_DETAIL = (
    "Demo data: marked ok by the demo loader (make run), not checked against DNS. A real "
    "domain gets here by publishing this record and clicking Verify."
)


def _domain(account: Account, name: str) -> Domain:
    domain = Domain.objects.filter(account=account, name=name).first()
    return domain or services.domain_create(account=account, name=name)


def load() -> list[str]:
    account = Account.objects.get(name=DEMO_ACCOUNT)
    _domain(account, PENDING_DOMAIN)
    verified = _domain(account, VERIFIED_DOMAIN)
    now = timezone.now()
    DomainRecord.objects.filter(domain=verified).update(
        status=DomainRecord.Status.OK, found=F("value"), detail=DEMO_DETAIL, checked_at=now
    )
    Domain.objects.filter(pk=verified.pk).update(
        status=Domain.Status.VERIFIED,
        verified_at=verified.verified_at or now,
        failed_at=None,
        consecutive_failures=0,
        last_failure_on=None,
        problem="",
        last_checked_at=now,
        # The scheduler would find no DNS in the sandbox; leave the demo alone for a day.
        next_check_at=now + timedelta(days=1),
    )
    return [
        f"domains: {PENDING_DOMAIN} (records to publish), {VERIFIED_DOMAIN} (verified: demo data)"
    ]
