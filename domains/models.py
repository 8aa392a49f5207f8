from django.db import models

from accounts.models import Account
from accounts.tenancy import TenantModel
from warmup_site.hostnames import to_unicode


class Domain(TenantModel):
    """A customer's sending domain (Mail Settings → Verified Domains)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        VERIFIED = "verified", "Verified"
        FAILED = "failed", "Failed"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="domains")
    name = models.CharField(max_length=253, help_text="A-label, lower case, no trailing dot.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="domain_unique_account_name"),
        ]

    def __str__(self) -> str:
        return self.unicode_name

    @property
    def unicode_name(self) -> str:
        return to_unicode(self.name)
