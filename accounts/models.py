import hashlib

from django.conf import settings
from django.db import models

from accounts.tenancy import TenantModel, TenantQuerySet
from warmup_site.crypto import EncryptedTextField


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


class ApiToken(TenantModel):
    """The API credential of one membership: it acts as that user, in that account.

    The key is looked up by its SHA-256 (unique index) and kept Fernet-encrypted so that
    POST /api/v1/auth/token/ can hand the same key back to a user who proves their password.
    """

    tenant_field = "membership__account"

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="api_token"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    key_encrypted = EncryptedTextField()
    prefix = models.CharField(max_length=8, help_text="First characters, to recognise the key.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.membership})"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8")).hexdigest()
