"""The one mechanism that scopes customer-visible rows to an account.

Every model a customer can see inherits `TenantModel` and says in `tenant_field` how it reaches
its account ("account", or a path such as "domain__account"). Its default manager then offers

* ``Model.objects.for_account(account)`` — pages and API views, for the request's account;
* ``Model.objects.for_user(user)`` — the Django admin for staff users who are not operators:
  rows of every account the user is a member of.

Views never filter by account by hand: they start from one of these two querysets, so an object
of another account is simply not found (404), never forbidden (403).
"""

from django.db import models


class TenantQuerySet(models.QuerySet):
    def _path(self, suffix: str) -> str:
        # Account itself has tenant_field None: its rows are the accounts.
        field = self.model.tenant_field
        return f"{field}__{suffix}" if field else suffix

    def for_account(self, account) -> "TenantQuerySet":
        if account is None:
            return self.none()
        return self.filter(**{self._path("pk"): account.pk})

    def for_user(self, user) -> "TenantQuerySet":
        if not user.is_authenticated:
            return self.none()
        return self.filter(**{self._path("memberships__user"): user})


class TenantModel(models.Model):
    tenant_field = "account"

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


def is_operator(user) -> bool:
    """Operators run the installation: they see every account's rows in the admin."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or (user.is_staff and user.has_perm("accounts.operate")))
    )
