"""Every write to accounts, memberships and API tokens."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from accounts import selectors
from accounts.models import (
    API_TOKEN_PREFIX,
    PIPELINE_KEY_PREFIX,
    SHOWN_PREFIX_LENGTH,
    Account,
    ApiToken,
    Membership,
    PipelineCredential,
    Role,
    key_digest,
)
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
# A used token's (or pipeline credential's) last_used_at is written at most this often, so that
# API traffic does not turn every request into a write.
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


# --- API tokens and pipeline credentials -------------------------------------------------------

TOKEN_NAME_MAX = 100
DEFAULT_TOKEN_NAME = "API token"


def _new_key(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def _clean_name(name: str, *, field: str = "name") -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ApplicationError("Give the token a name (what it is for, e.g. 'mta-1').", field=field)
    if len(name) > TOKEN_NAME_MAX:
        raise ApplicationError(
            f"A token name has at most {TOKEN_NAME_MAX} characters.", field=field
        )
    return name


def api_token_create(*, membership: Membership, name: str) -> tuple[ApiToken, str]:
    """A new token for the membership; returns it and its key. The key is not stored (only its
    SHA-256): show it to the person now, it cannot be recovered later."""
    key = _new_key(API_TOKEN_PREFIX)
    token = ApiToken.objects.create(
        membership=membership,
        name=_clean_name(name),
        key_hash=key_digest(key),
        prefix=key[:SHOWN_PREFIX_LENGTH],
    )
    return token, key


def api_token_issue(*, membership: Membership, name: str = DEFAULT_TOKEN_NAME) -> str:
    """A new token for the membership (create_account, POST /api/v1/auth/token/); its key."""
    return api_token_create(membership=membership, name=name)[1]


def api_token_revoke(*, token: ApiToken) -> None:
    """Delete the token. This process stops accepting it at once; other processes within
    WARMUP_TOKEN_CACHE_SECONDS (their authentication cache)."""
    ApiToken.objects.filter(pk=token.pk).delete()
    selectors.credential_cache_forget(key_hash=token.key_hash)


def _touch(model, credential) -> None:
    """Record that a credential was used, at most once a TOKEN_TOUCH_INTERVAL per credential.

    Every API request authenticates; writing on each one made authentication a third of the
    routing endpoint's cost. The in-memory value (the cached credential) skips the write inside
    the interval; the conditional UPDATE keeps other processes from writing it again.
    """
    now = timezone.now()
    if credential.last_used_at and now - credential.last_used_at < TOKEN_TOUCH_INTERVAL:
        return
    model.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOKEN_TOUCH_INTERVAL),
        pk=credential.pk,
    ).update(last_used_at=now)
    credential.last_used_at = now


def api_token_touch(*, token: ApiToken) -> None:
    _touch(ApiToken, token)


def pipeline_credential_create(*, name: str, created_by=None) -> tuple[PipelineCredential, str]:
    """A new credential for a sending pipeline (operators only); returns it and its key, which
    is not stored and cannot be shown again."""
    name = _clean_name(name)
    if PipelineCredential.objects.filter(name=name, revoked_at__isnull=True).exists():
        raise ApplicationError(
            f"An active pipeline credential named {name!r} exists; revoke it first or pick "
            "another name.",
            field="name",
        )
    key = _new_key(PIPELINE_KEY_PREFIX)
    credential = PipelineCredential.objects.create(
        name=name,
        key_hash=key_digest(key),
        prefix=key[:SHOWN_PREFIX_LENGTH],
        created_by=created_by if created_by is not None and created_by.pk else None,
    )
    return credential, key


def pipeline_credential_revoke(*, credential: PipelineCredential, actor=None) -> None:
    """Stop the credential (kept for the record). This process at once; others within
    WARMUP_TOKEN_CACHE_SECONDS."""
    PipelineCredential.objects.filter(pk=credential.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor
    )
    selectors.credential_cache_forget(key_hash=credential.key_hash)


def pipeline_credential_touch(*, credential: PipelineCredential) -> None:
    _touch(PipelineCredential, credential)
