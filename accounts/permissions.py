from rest_framework import permissions

from accounts.models import MANAGE_ROLES
from accounts.selectors import current_membership


class IsAccountMember(permissions.BasePermission):
    """The request acts for an account; changes need a managing role.

    Reads are open to every member, and so is a view that sets `reads_only = True` (a POST
    that only computes an answer, such as classification). A view lists the roles allowed to
    write in `write_roles` (owners and admins by default); a member who tries anyway gets a
    403 — they can see the object, so saying it exists leaks nothing.
    """

    message = "Your role in this account does not allow this change; ask an owner or admin."

    def has_permission(self, request, view):
        membership = current_membership(request)
        if membership is None:
            self.message = (
                "You are not a member of any account."
                if request.user and request.user.is_authenticated
                else "Authentication credentials were not provided."
            )
            return False
        request.membership = membership
        request.account = membership.account
        if request.method in permissions.SAFE_METHODS or getattr(view, "reads_only", False):
            return True
        return membership.role in getattr(view, "write_roles", MANAGE_ROLES)
