"""Every write to accounts, memberships and API tokens."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Account, ApiToken, Membership, Role
from warmup_site import crypto
from warmup_site.errors import ApplicationError

OPERATORS_GROUP = "Operators"
# Apps whose every permission operators hold. Apps that do not exist yet are simply skipped.
OPERATED_APPS = (
    "accounts",
    "providers",
    "domains",
    "ips",
    "engagement",
    "reputation",
    "django_q",
    "authtoken",
)
# A used token's last_used_at is written at most this often, so that API traffic does not turn
# every request into a write.
TOKEN_TOUCH_INTERVAL = timezone.timedelta(minutes=1)


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "account"
    slug, n = base, 1
    while Account.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def account_create(
    *, name: str, owner_username: str, password: str, staff: bool = False
) -> tuple[Account, "Membership", str]:
    """Create an account, its owner (when the user does not exist yet) and the owner's API token.

    Returns (account, membership, api_token_key). An existing user keeps their password.
    """
    name = name.strip()
    if not name:
        raise ApplicationError("Give the account a name.", field="name")
    if Account.objects.filter(name__iexact=name).exists():
        raise ApplicationError(f"An account named {name!r} already exists.", field="name")
    if not owner_username.strip():
        raise ApplicationError("Give the owner a username.", field="owner")
    User = get_user_model()
    user = User.objects.filter(username=owner_username).first()
    if user is None:
        if not password:
            raise ApplicationError("A new user needs a password.", field="password")
        user = User.objects.create_user(username=owner_username, password=password)
    if staff:
        user_make_operator(user=user)
    account = Account.objects.create(name=name, slug=_unique_slug(name))
    membership = Membership.objects.create(user=user, account=account, role=Role.OWNER)
    key = api_token_issue(membership=membership)
    return account, membership, key


def membership_add(*, account: Account, user, role: str = Role.MEMBER) -> Membership:
    if role not in Role.values:
        raise ApplicationError(f"Unknown role {role!r}.", field="role")
    membership, created = Membership.objects.get_or_create(
        account=account, user=user, defaults={"role": role}
    )
    if not created and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def user_make_operator(*, user) -> None:
    group = operators_group_sync()
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(group)


def operators_group_sync() -> Group:
    """Give the Operators group every permission of the operated apps (idempotent)."""
    group, _ = Group.objects.get_or_create(name=OPERATORS_GROUP)
    wanted = Permission.objects.filter(
        Q(content_type__app_label__in=OPERATED_APPS)
        | Q(content_type__app_label="auth", content_type__model="user")
    )
    group.permissions.add(*wanted)
    return group


# --- API tokens -------------------------------------------------------------------------------


def _new_key() -> str:
    return secrets.token_urlsafe(30)


def api_token_issue(*, membership: Membership) -> str:
    """The membership's API key, created on first use. Returns the plaintext key."""
    token = ApiToken.objects.filter(membership=membership).first()
    if token is not None:
        return crypto.decrypt(token.key_encrypted)
    return api_token_regenerate(membership=membership)


@transaction.atomic
def api_token_regenerate(*, membership: Membership) -> str:
    """Replace the membership's key; the old one stops working at once."""
    key = _new_key()
    ApiToken.objects.update_or_create(
        membership=membership,
        defaults={
            "key_hash": ApiToken.hash_key(key),
            "key_encrypted": crypto.encrypt(key),
            "prefix": key[:6],
            "created_at": timezone.now(),
            "last_used_at": None,
        },
    )
    return key


def api_token_touch(*, token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at and now - token.last_used_at < TOKEN_TOUCH_INTERVAL:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
