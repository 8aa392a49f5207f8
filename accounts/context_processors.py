from accounts.selectors import current_membership, membership_list_for_user
from warmup_site.navigation import navigation


def current_account(request):
    """What base.html needs: the current membership, the account switcher and the menu."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    membership = current_membership(request)
    return {
        "current_membership": membership,
        "current_account": membership.account if membership else None,
        # Callables: evaluated only if a template uses them.
        "account_choices": lambda: membership_list_for_user(user=request.user),
        "nav_sections": lambda: navigation(request),
    }
