from rest_framework import permissions

from accounts.models import MANAGE_ROLES, PipelineCredential
from accounts.selectors import current_membership

PIPELINE_ENDPOINTS_MESSAGE = (
    "A pipeline credential may call only POST /api/v1/routes/ and POST /api/v1/events/; use a "
    "customer API token for the rest of the API."
)


def is_pipeline(request) -> bool:
    return isinstance(getattr(request, "auth", None), PipelineCredential)


class IsAccountMember(permissions.BasePermission):
    """The request acts for an account; changes need a managing role.

    Reads are open to every member, and so is a view that sets `reads_only = True` (a POST
    that only computes an answer, such as classification). A view lists the roles allowed to
    write in `write_roles` (owners and admins by default); a member who tries anyway gets a
    403 — they can see the object, so saying it exists leaks nothing. A pipeline credential
    acts for no account: 403.
    """

    message = "Your role in this account does not allow this change; ask an owner or admin."

    def has_permission(self, request, view):
        membership = current_membership(request)
        if membership is None:
            if is_pipeline(request):
                self.message = PIPELINE_ENDPOINTS_MESSAGE
            elif request.user and request.user.is_authenticated:
                self.message = "You are not a member of any account."
            else:
                self.message = "Authentication credentials were not provided."
            return False
        request.membership = membership
        request.account = membership.account
        if request.method in permissions.SAFE_METHODS or getattr(view, "reads_only", False):
            return True
        return membership.role in getattr(view, "write_roles", MANAGE_ROLES)


class IsPipelineOrAccountMember(IsAccountMember):
    """For the sending pipeline's endpoints (/routes/, /events/): a pipeline credential, or an
    account member as `IsAccountMember` says.

    Sets `request.pipeline`: the `PipelineCredential`, with `request.account` and
    `request.membership` None (the view finds the account from the sender domain) — or None,
    with `request.account` and `request.membership` those of the customer's token or session.
    """

    def has_permission(self, request, view):
        if is_pipeline(request):
            request.pipeline = request.auth
            request.account = None
            request.membership = None
            return True
        request.pipeline = None
        return super().has_permission(request, view)
