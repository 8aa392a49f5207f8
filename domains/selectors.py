"""Reads of domains, one queryset per output shape. Callers scope them to an account
(AccountScopedViewSet, or `.for_account()` in pages)."""

from django.db.models import Count, Prefetch, Q

from accounts.tenancy import TenantQuerySet
from domains.models import DkimKey, Domain, DomainRecord
from domains.warmup import warmup_prefetch


def _records() -> Prefetch:
    return Prefetch("records", queryset=DomainRecord.objects.order_by("position", "pk"))


def domain_list() -> TenantQuerySet:
    """Domains with their records and warm-up (API list and detail): four queries for any
    number of rows — domains joined with their warm-up, records, warm-up plans with their
    provider, the plans' recent days."""
    return (
        Domain.objects.select_related("warmup")
        .prefetch_related(_records(), *warmup_prefetch())
        .order_by("name", "pk")
    )


def domain_list_for_page(*, account) -> TenantQuerySet:
    """The Verified Domains list: one query, with how many required records are ok."""
    return (
        Domain.objects.for_account(account)
        .annotate(
            required_total=Count("records", filter=Q(records__required=True)),
            required_ok=Count(
                "records",
                filter=Q(records__required=True, records__status=DomainRecord.Status.OK),
            ),
        )
        .order_by("name", "pk")
    )


def domain_detail() -> TenantQuerySet:
    """One domain with its records, DKIM keys (never their private halves) and warm-up."""
    return Domain.objects.select_related("warmup").prefetch_related(
        _records(),
        *warmup_prefetch(),
        Prefetch(
            "dkim_keys",
            queryset=DkimKey.objects.defer("private_key").order_by("created_at", "pk"),
        ),
    )
