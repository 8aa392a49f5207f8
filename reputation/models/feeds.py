"""The providers' own feeds: connections (with write-only secrets) and what they returned.

* Google Postmaster Tools API v2: per verified domain, daily rates (`PostmasterDomainDay`) and
  the compliance status (`PostmasterDomain`).
* Microsoft SNDS automated data access: per IP, daily data (`SndsIpDay`) and the blocked
  ranges (`SndsBlockedRange`).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accounts.models import Account
from accounts.tenancy import TenantModel
from domains.models import Domain
from warmup_site.crypto import EncryptedTextField


class FeedConnection(TenantModel):
    """An account's access to one provider feed. Operators may add an SNDS connection without
    an account (the shared IPs). Secrets are Fernet ciphertext and never shown back."""

    class Kind(models.TextChoices):
        POSTMASTER = "postmaster", "Google Postmaster Tools"
        SNDS = "snds", "Microsoft SNDS"

    class Auth(models.TextChoices):
        REFRESH_TOKEN = "refresh_token", "OAuth2 refresh token"
        SERVICE_ACCOUNT = "service_account", "Service account (JSON key)"
        KEY = "key", "Automated-access key"

    class Status(models.TextChoices):
        NEW = "new", "Not fetched yet"
        OK = "ok", "OK"
        NO_DATA = "no_data", "No data yet"
        FAILING = "failing", "Failing"

    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="feed_connections",
        help_text="Blank for the operators' own connection (shared IPs).",
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    auth = models.CharField(max_length=16, choices=Auth.choices)
    secret = EncryptedTextField(
        help_text="The refresh token, the service account's JSON key, or the SNDS key."
    )
    client_id = models.CharField(
        max_length=255, blank=True, help_text="OAuth2 client id (refresh tokens)."
    )
    client_secret = EncryptedTextField(blank=True)
    delegated_user = models.EmailField(
        blank=True,
        help_text="Service accounts with domain-wide delegation: the Postmaster Tools user to "
        "act as.",
    )
    identity = models.CharField(
        max_length=255,
        blank=True,
        help_text="What the secret is, in words that reveal nothing (service account e-mail, "
        "the key's last characters).",
    )
    enabled = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    status_detail = models.TextField(blank=True, help_text="What the last fetch found.")
    last_error = models.TextField(blank=True)
    error_since = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveSmallIntegerField(default=0, help_text="Failed fetches in a row.")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    next_fetch_at = models.DateTimeField(null=True, blank=True)
    fetched_through = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Not through the account: it is an outer join (operators' connections), and
        # SELECT … FOR UPDATE (rotate_encryption_keys) refuses to lock one.
        ordering = ["kind", "pk"]
        verbose_name = "feed connection"
        constraints = [
            models.UniqueConstraint(fields=["account", "kind"], name="feedconnection_unique_kind"),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(account__isnull=True),
                name="feedconnection_unique_operator_kind",
            ),
        ]
        indexes = [
            # The fetch job claims connections that are due.
            models.Index(fields=["next_fetch_at"], name="feedconnection_due_idx"),
        ]

    def __str__(self) -> str:
        owner = self.account.name if self.account_id else "operators"
        return f"{self.get_kind_display()} ({owner})"


class PostmasterDomain(TenantModel):
    """What Postmaster Tools said about one of our domains at the last fetch."""

    class Status(models.TextChoices):
        OK = "ok", "OK"
        NO_DATA = "no_data", "No data yet"
        NOT_FOUND = "not_found", "Not registered in Postmaster Tools"
        DENIED = "denied", "No access"
        ERROR = "error", "Error"

    tenant_field = "domain__account"

    domain = models.OneToOneField(Domain, on_delete=models.CASCADE, related_name="postmaster")
    connection = models.ForeignKey(
        FeedConnection, on_delete=models.CASCADE, related_name="postmaster_domains"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NO_DATA)
    detail = models.TextField(blank=True)
    compliance = models.CharField(max_length=12, blank=True, help_text="compliant or needs_work.")
    compliance_failing = models.JSONField(default=list, blank=True)
    compliance_checked_at = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Postmaster domain"

    def __str__(self) -> str:
        return f"{self.domain} ({self.status})"


class PostmasterDomainDay(TenantModel):
    """One day of Postmaster Tools statistics for one domain (rates 0–1; null: not reported)."""

    tenant_field = "domain__account"

    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="postmaster_days")
    day = models.DateField()
    spam_rate = models.FloatField(null=True, blank=True)
    spf_rate = models.FloatField(null=True, blank=True)
    dkim_rate = models.FloatField(null=True, blank=True)
    dmarc_rate = models.FloatField(null=True, blank=True)
    delivery_error_rate = models.FloatField(null=True, blank=True)
    tls_rate = models.FloatField(null=True, blank=True)
    fetched_at = models.DateTimeField()

    class Meta:
        ordering = ["domain", "day"]
        verbose_name = "Postmaster domain day"
        constraints = [
            models.UniqueConstraint(fields=["domain", "day"], name="postmasterday_unique"),
        ]
        indexes = [models.Index(fields=["day"], name="postmasterday_day_idx")]

    def __str__(self) -> str:
        """Reads the Postmaster domain."""
        return f"{self.domain} on {self.day}"


class SndsIpDay(TenantModel):
    """One row of the SNDS data feed: one IP's activity on one day, as Microsoft saw it."""

    tenant_field = "connection__account"

    connection = models.ForeignKey(
        FeedConnection, on_delete=models.CASCADE, related_name="snds_days"
    )
    address = models.GenericIPAddressField()
    day = models.DateField()
    activity_start = models.DateTimeField(null=True, blank=True)
    activity_end = models.DateTimeField(null=True, blank=True)
    rcpt = models.PositiveIntegerField(default=0, help_text="RCPT commands.")
    data = models.PositiveIntegerField(default=0, help_text="DATA commands.")
    recipients = models.PositiveIntegerField(default=0, help_text="Message recipients.")
    filter_result = models.CharField(max_length=8, blank=True, help_text="GREEN, YELLOW or RED.")
    complaint_rate = models.FloatField(
        null=True, blank=True, help_text="0–1; '< 0.1%' is stored as 0."
    )
    complaint_text = models.CharField(max_length=20, blank=True, help_text="As SNDS wrote it.")
    trap_hits = models.PositiveIntegerField(default=0)
    trap_start = models.DateTimeField(null=True, blank=True)
    trap_end = models.DateTimeField(null=True, blank=True)
    sample_helo = models.CharField(max_length=255, blank=True)
    sample_mail_from = models.CharField(max_length=320, blank=True)
    comments = models.TextField(blank=True)
    fetched_at = models.DateTimeField()

    class Meta:
        ordering = ["address", "day"]
        verbose_name = "SNDS IP day"
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "address", "day"], name="sndsipday_unique"
            ),
        ]
        indexes = [models.Index(fields=["day"], name="sndsipday_day_idx")]

    def __str__(self) -> str:
        return f"{self.address} {self.day}: {self.filter_result}"


class SndsBlockedRange(TenantModel):
    """A range of the SNDS IP status feed (blocked IPs), as of the last fetch."""

    tenant_field = "connection__account"

    connection = models.ForeignKey(
        FeedConnection, on_delete=models.CASCADE, related_name="snds_blocked"
    )
    first = models.GenericIPAddressField()
    last = models.GenericIPAddressField()
    blocked = models.BooleanField(default=True)
    detail = models.TextField(blank=True)
    fetched_at = models.DateTimeField()

    class Meta:
        ordering = ["first"]
        verbose_name = "SNDS blocked range"

    def __str__(self) -> str:
        return f"{self.first}–{self.last}"
