"""Reads of accounts and memberships, including which account a request acts for."""

from accounts.models import ApiToken, Membership

SESSION_ACCOUNT_KEY = "account_id"


def membership_list_for_user(*, user) -> list[Membership]:
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=user).select_related("account").order_by("account__name")
    )


def api_token_get(*, key: str) -> ApiToken | None:
    return (
        ApiToken.objects.filter(key_hash=ApiToken.hash_key(key))
        .select_related("membership__account", "membership__user")
        .first()
    )


def current_membership(request) -> Membership | None:
    """The membership a request acts as.

    An API token acts for its own membership. A browser session acts for the account the user
    last switched to, or their first account. Computed once per request.
    """
    # Read the instance dict, not getattr: DRF's Request falls back to the wrapped HttpRequest's
    # attributes, which may hold the session's answer while this request uses a token.
    cached = vars(request).get("_warmup_membership", False)
    if cached is not False:
        return cached
    auth = getattr(request, "auth", None)
    membership = auth.membership if isinstance(auth, ApiToken) else _session_membership(request)
    request._warmup_membership = membership
    return membership


def _session_membership(request) -> Membership | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    memberships = Membership.objects.filter(user=user).select_related("account")
    wanted = request.session.get(SESSION_ACCOUNT_KEY)
    if wanted is not None:
        chosen = memberships.filter(account_id=wanted).first()
        if chosen is not None:
            return chosen
    return memberships.order_by("created_at", "pk").first()
