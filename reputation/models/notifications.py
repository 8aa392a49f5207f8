"""Notifications: what happened (events, once each), who wants to hear of it, and how.

Events are derived by reading what the other apps store (reputation/services/notifications.py)
and keyed, so that a scan running twice records each event once. Account-less events (seed
mailboxes, shared IPs, the operators' feeds) are for the operators.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accounts.models import Account
from accounts.tenancy import TenantModel
from warmup_site.crypto import EncryptedTextField


class Kind(models.TextChoices):
    VERDICT_CHANGED = "reputation.verdict_changed", "Reputation changed at a provider"
    DOMAIN_GRADUATED = "domain.warmup_graduated", "Domain warm-up graduated"
    DOMAIN_ATTENTION = "domain.warmup_needs_attention", "Domain warm-up needs attention"
    DOMAIN_REWARM = "domain.warmup_rewarm", "Domain warm-up resumed at a provider"
    DOMAIN_UNVERIFY_WARNING = "domain.unverify_warning", "Domain about to be unverified"
    DOMAIN_UNVERIFIED = "domain.unverified", "Domain unverified"
    IP_BACKED_OFF = "ip.warmup_backed_off", "IP warm-up backed off"
    IP_SUSPENDED = "ip.warmup_suspended", "IP warm-up suspended"
    IP_RESUMED = "ip.warmup_resumed", "IP warm-up resumed"
    IP_WARM = "ip.warmup_warm", "IP warm"
    IP_BLOCKLISTED = "ip.blocklisted", "IP listed on a blocklist"
    SEED_FAILING = "seed.failing", "Seed mailbox failing"
    SEED_COVERAGE = "seed.coverage", "Provider without seed mailboxes"
    FEED_FAILING = "feed.failing", "Provider feed failing"
    POOL_NEAR_CAPACITY = "pool.near_capacity", "Shared pool near its capacity"
    TEST = "test", "Test event"


# What an account receives unless it chose otherwise (every kind but the test).
DEFAULT_KINDS = [k for k in Kind.values if k != Kind.TEST]


class NotificationEvent(TenantModel):
    """Something worth telling people, recorded once (unique `key`)."""

    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_events",
        help_text="Blank: an event for the operators.",
    )
    key = models.CharField(max_length=200, unique=True, help_text="What makes it one event.")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    title = models.CharField(max_length=300)
    text = models.TextField(help_text="What happened, with the figures; never a secret.")
    data = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When mail and webhooks were queued for it."
    )
    emailed_at = models.DateTimeField(null=True, blank=True)
    stale = models.BooleanField(
        default=False, help_text="Found too late to be news (catch-up): kept, not sent."
    )

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = "notification event"
        indexes = [
            # The dispatcher's queue: events not dispatched yet.
            models.Index(
                fields=["created_at"],
                condition=Q(dispatched_at__isnull=True),
                name="notifevent_undispatched_idx",
            ),
            # The digest: an account's events of a day.
            models.Index(fields=["account", "occurred_at"], name="notifevent_account_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(TenantModel):
    """Which events an account hears about, and how (mail now or a daily digest). An account
    without a row gets every kind, one mail per event. Operators get every operator event by
    mail (WARMUP_OPERATOR_EMAILS) and on their own webhook endpoints."""

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="notification_preference"
    )
    kinds = models.JSONField(default=list, blank=True, help_text="Event kinds received.")
    email = models.BooleanField(default=True, help_text="Send e-mail.")
    digest = models.BooleanField(
        default=False, help_text="One e-mail a day with every event instead of one per event."
    )
    extra_recipients = models.JSONField(
        default=list, blank=True, help_text="Addresses besides the owners and admins."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "notification preference"

    def __str__(self) -> str:
        return f"notifications of {self.account}"


class WebhookEndpoint(TenantModel):
    """A URL an account registered for events. Each POST is signed with HMAC-SHA256 over
    "<timestamp>.<body>" with the endpoint's secret (header Warmup-Signature), like Stripe."""

    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        help_text="Blank: an operators' endpoint (operator events).",
    )
    url = models.URLField(max_length=500)
    secret = EncryptedTextField(help_text="The signing secret, shown once when made.")
    secret_prefix = models.CharField(max_length=16, help_text="To recognise the secret.")
    kinds = models.JSONField(
        default=list, blank=True, help_text="Event kinds sent here; empty: every kind."
    )
    description = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]  # not through the nullable account (see FeedConnection)
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.url

    def wants(self, kind: str) -> bool:
        return self.active and (not self.kinds or kind in self.kinds)


class WebhookDelivery(TenantModel):
    """One event sent to one endpoint: the exact body, every attempt's outcome, the retries."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RETRYING = "retrying", "Retrying"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Failed"

    tenant_field = "endpoint__account"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(
        NotificationEvent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webhook_deliveries",
    )
    kind = models.CharField(max_length=40)
    body = models.TextField(help_text="The JSON sent (signed as is).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        constraints = [
            # One delivery per (endpoint, event): dispatching twice sends once.
            models.UniqueConstraint(
                fields=["endpoint", "event"],
                condition=Q(event__isnull=False),
                name="webhookdelivery_unique_event",
            ),
        ]
        indexes = [
            # The retry job: deliveries whose next attempt is due.
            models.Index(fields=["next_attempt_at"], name="webhookdelivery_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.endpoint} ({self.status})"


class NotificationCursor(models.Model):
    """How far the notification scan has read one source (a high-water mark)."""

    source = models.CharField(max_length=40, unique=True)
    position = models.BigIntegerField(default=0)
    moment = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.source} at {self.position or self.moment}"
