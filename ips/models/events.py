"""What the sending pipeline reported about each message."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accounts.models import Account
from accounts.tenancy import TenantModel
from ips.models.pools import DedicatedIp
from providers.models import MailboxProvider


class DeliveryEvent(TenantModel):
    """What happened to one message, as the sending pipeline reported it.

    Events arrive in batches of up to 10,000 and are appended, never updated. Their foreign
    keys carry no database constraint (and only the indexes a query uses): checking four
    constraints per row doubled the cost of an insert. Django still applies on_delete (it
    cascades and sets NULL in the ORM), and ingestion only writes ids it has just read.
    """

    class Type(models.TextChoices):
        DELIVERED = "delivered", "Delivered"
        DEFERRED = "deferred", "Deferred"
        BOUNCED = "bounced", "Bounced"
        COMPLAINT = "complaint", "Complaint"

    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="delivery_events",
        db_constraint=False,
        db_index=False,  # the unique (account, event_id) index serves lookups by account
        help_text="The account whose sender domain it was; blank when the sending pipeline "
        "reported mail from a domain no account verified.",
    )
    event_id = models.CharField(max_length=200, help_text="The pipeline's id: unique per account.")
    type = models.CharField(max_length=10, choices=Type.choices)
    ip_address = models.GenericIPAddressField()
    ip = models.ForeignKey(
        DedicatedIp,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        db_constraint=False,
        help_text="Set when the address is one of our IPs this account may send from.",
    )
    provider = models.ForeignKey(
        MailboxProvider,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    sender_domain = models.CharField(max_length=253)
    recipient = models.CharField(max_length=320)
    smtp_code = models.PositiveSmallIntegerField(null=True, blank=True)
    enhanced_status = models.CharField(max_length=16, blank=True)
    response = models.TextField(blank=True)
    category = models.CharField(
        max_length=20, blank=True, help_text="The SMTP-response rule's category, if one matched."
    )
    rule = models.ForeignKey(
        "providers.SmtpResponseRule",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    timestamp = models.DateTimeField()
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-timestamp", "-pk"]
        constraints = [
            # Idempotency: a re-sent event is ignored (INSERT … ON CONFLICT DO NOTHING).
            models.UniqueConstraint(
                fields=["account", "event_id"], name="deliveryevent_unique_account_event"
            ),
            # …and for events without an account, by id alone (NULLs never conflict above).
            models.UniqueConstraint(
                fields=["event_id"],
                condition=Q(account__isnull=True),
                name="deliveryevent_unique_unattributed_event",
            ),
        ]
        indexes = [
            # The admin's newest-first list of one account's events.
            models.Index(fields=["account", "-timestamp"], name="deliveryevent_account_ts_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"
