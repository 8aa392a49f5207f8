from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.models import Account, ApiToken, Membership
from accounts.selectors import SESSION_ACCOUNT_KEY, current_membership
from warmup_site import panels
from warmup_site.errors import ApplicationError


def membership_required(view):
    """Pages that show an account's data: log in first, then act for the current account.

    Sets request.membership and request.account; a user without any account sees a page that
    says so instead of an empty dashboard.
    """

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        membership = current_membership(request)
        if membership is None:
            return render(request, "accounts/no_account.html", status=403)
        request.membership = membership
        request.account = membership.account
        return view(request, *args, **kwargs)

    return wrapper


def manager_required(view):
    """Pages that change configuration: owners and admins only (members see a clear 403)."""

    @membership_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.membership.can_manage:
            return render(request, "accounts/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


@membership_required
def home(request):
    """The overview ("Mail Settings"). Its content comes from the apps that know the domains,
    IPs and reputation, through the `home` panel slot (warmup_site/panels.py); without them it
    shows the steps to start."""
    found = panels.panels("home", request=request, account=request.account)
    if not found:
        found = [panels.Panel("includes/getting_started.html", {})]
    return render(
        request, "accounts/home.html", {"panels": found, "charts": panels.with_charts(found)}
    )


@login_required
@require_POST
def account_switch(request):
    try:
        account_id = int(request.POST.get("account", ""))
    except ValueError:
        raise Http404 from None
    # Only accounts the user belongs to can be chosen; anything else is "not found".
    account = Account.objects.for_user(request.user).filter(pk=account_id).first()
    if account is None:
        raise Http404
    request.session[SESSION_ACCOUNT_KEY] = account.pk
    messages.success(request, f"You are now working in {account.name}.")
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "home"
    return redirect(target)


def _settings_page(request, *, new_token=None, new_key=None, error=None, status=200):
    members = (
        Membership.objects.for_account(request.account)
        .select_related("user")
        .order_by("user__username")
    )
    tokens = selectors.api_token_list(membership=request.membership)
    others = (
        [
            t
            for t in selectors.api_token_list_for_account(account=request.account)
            if t.membership_id != request.membership.pk
        ]
        if request.membership.can_manage
        else []
    )
    response = render(
        request,
        "accounts/settings.html",
        {
            "members": members,
            "tokens": tokens,
            "other_tokens": others,
            "new_token": new_token,
            "new_key": new_key,
            "error": error,
        },
        status=status,
    )
    # A page that shows a new key must not be kept by the browser or any cache on the way.
    add_never_cache_headers(response)
    return response


@membership_required
def account_settings(request):
    return _settings_page(request)


@membership_required
@require_POST
def api_token_create(request):
    """A new token for the person's own membership, acting with their role; shown once."""
    try:
        token, key = services.api_token_create(
            membership=request.membership, name=request.POST.get("name", "")
        )
    except ApplicationError as exc:
        return _settings_page(request, error=exc, status=400)
    return _settings_page(request, new_token=token, new_key=key)


@membership_required
@require_POST
def api_token_revoke(request, token_id: int):
    """Revoke one of your tokens; owners and admins may revoke any token of the account."""
    tokens = ApiToken.objects.for_account(request.account)
    if not request.membership.can_manage:
        tokens = tokens.filter(membership=request.membership)
    token = get_object_or_404(tokens, pk=token_id)
    services.api_token_revoke(token=token)
    messages.success(request, f"Token {token.name!r} ({token.prefix}…) revoked.")
    return redirect("account_settings")
