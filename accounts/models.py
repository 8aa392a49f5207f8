import hashlib

from django.conf import settings
from django.db import models

from accounts.tenancy import TenantModel, TenantQuerySet


class Account(models.Model):
    """A customer: the tenant that owns domains, IPs and everything built on them."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_field = None
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        permissions = [("operate", "Can operate the installation and see every account")]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


# Roles that may change an account's configuration (add domains, switch warm-up, …).
MANAGE_ROLES = frozenset({Role.OWNER, Role.ADMIN})


class Membership(TenantModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "account"], name="membership_unique_user_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.account} ({self.get_role_display()})"

    @property
    def can_manage(self) -> bool:
        return self.role in MANAGE_ROLES


# Keys start with a prefix that says which kind of credential they are, so that authentication
# looks in one table with one indexed query, and so that a key pasted into a ticket or found by
# a secret scanner is recognisable. Keys made before the prefixes existed have none; they are
# customer tokens (see accounts.selectors.credential_get).
API_TOKEN_PREFIX = "wua_"
PIPELINE_KEY_PREFIX = "wup_"
# How many leading characters of a key are kept in clear, to recognise it in lists.
SHOWN_PREFIX_LENGTH = 12


def key_digest(key: str) -> str:
    """The SHA-256 of a key, hex. Keys are 256-bit random strings, so a fast hash is enough:
    there is nothing to brute-force that a slow password hash would protect."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ApiToken(TenantModel):
    """A customer's API token: it acts as one membership's user, in that account, with that role.

    Only the SHA-256 of the key is stored (unique index, the lookup); the key itself is shown
    once, when the token is created, and cannot be recovered. A membership may hold several
    tokens (one per script or server), each with a name.
    """

    tenant_field = "membership__account"

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'mta-1'.")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(
        max_length=SHOWN_PREFIX_LENGTH, help_text="First characters, to recognise the key."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…, {self.membership})"

    @staticmethod
    def hash_key(key: str) -> str:
        return key_digest(key)


class PipelineCredential(models.Model):
    """The sending pipeline's credential (an MTA serving every account), managed by operators.

    It may ask for routes and report delivery events for any account: the account is found from
    each request's sender domain. It acts for no user and no account otherwise. Only the
    SHA-256 of the key is stored; revoking keeps the row (who made it, when it was last used).
    """

    name = models.CharField(max_length=100, help_text="Which pipeline holds it, e.g. 'mta-eu-1'.")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(
        max_length=SHOWN_PREFIX_LENGTH, help_text="First characters, to recognise the key."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A name says which pipeline holds the credential; a revoked one frees its name.
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(revoked_at__isnull=True),
                name="pipelinecredential_unique_active_name",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
