from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import services
from accounts.models import Account, Membership
from accounts.selectors import SESSION_ACCOUNT_KEY, current_membership


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
    return render(request, "accounts/home.html")


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


@membership_required
def account_settings(request):
    members = (
        Membership.objects.for_account(request.account)
        .select_related("user")
        .order_by("user__username")
    )
    token = getattr(request.membership, "api_token", None)
    return render(
        request,
        "accounts/settings.html",
        {"members": members, "token": token, "new_key": None},
    )


@membership_required
@require_POST
def api_token_regenerate(request):
    key = services.api_token_regenerate(membership=request.membership)
    members = (
        Membership.objects.for_account(request.account)
        .select_related("user")
        .order_by("user__username")
    )
    # The new key is rendered once, in this response, and never again.
    return render(
        request,
        "accounts/settings.html",
        {"members": members, "token": request.membership.api_token, "new_key": key},
    )
