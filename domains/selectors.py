"""Reads of domains, one queryset per output shape. Callers scope them to an account
(AccountScopedViewSet, or `.for_account()` in pages)."""

from django.db.models import Count, Prefetch, Q

from accounts.tenancy import TenantQuerySet
from domains.models import DkimKey, Domain, DomainRecord


def _records() -> Prefetch:
    return Prefetch("records", queryset=DomainRecord.objects.order_by("position", "pk"))


def domain_list() -> TenantQuerySet:
    """Domains with their records (API list and detail): two queries for any number of rows."""
    return Domain.objects.prefetch_related(_records()).order_by("name", "pk")


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
    """One domain with its records and DKIM keys (never their private halves)."""
    return Domain.objects.prefetch_related(
        _records(),
        Prefetch(
            "dkim_keys",
            queryset=DkimKey.objects.defer("private_key").order_by("created_at", "pk"),
        ),
    )
