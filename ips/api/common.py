"""What the ips API modules share: operators see every row, and who sent a request."""

from __future__ import annotations

from rest_framework.exceptions import PermissionDenied

from accounts.models import Role
from accounts.tenancy import is_operator
from warmup_site.api import AccountScopedViewSet

ALL_ROLES = frozenset(Role.values)


class OperatorsSeeAllViewSet(AccountScopedViewSet):
    """Customers see their account's rows; operators (who add pools and IPs for every account)
    see every row, shared pools included, as they do in the admin. Only operators create."""

    def get_queryset(self):
        if is_operator(self.request.user):
            return self.get_base_queryset()
        return super().get_queryset()

    def check_create_allowed(self):
        if not is_operator(self.request.user):
            raise PermissionDenied("Only operators add pools and IPs; ask your provider.")


def from_pipeline(request) -> bool:
    """Did the operators' sending pipeline send this (a pipeline credential), rather than a
    customer's own token? See docs/api.md ("Two kinds of credentials")."""
    return getattr(request, "pipeline", None) is not None
