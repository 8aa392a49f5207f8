"""The seed-mailbox network, the warm-up messages sent to it and what the seeds did with them.

Seeds belong to the installation, not to an account (the network is shared by every customer):
operators manage them in the admin. Messages and actions are a customer's history and are scoped
by the tenancy mechanism through their domain.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.tenancy import TenantModel
from domains.models import Domain, DomainWarmupDay
from providers.models import MailboxProvider
from warmup_site.crypto import EncryptedTextField


class Tls(models.TextChoices):
    SSL = "ssl", "TLS from the start (IMAPS 993 / SMTPS 465)"
    STARTTLS = "starttls", "STARTTLS"
    NONE = "none", "None (local test servers only)"


class SeedMailbox(models.Model):
    """A mailbox at a provider that receives warm-up mail and engages with it."""

    class Auth(models.TextChoices):
        PASSWORD = "password", "Password (app password)"
        OAUTH2 = "oauth2", "OAuth2 (XOAUTH2, refresh token)"

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        LOGIN_FAILED = "login_failed", "Login failed"
        SPAM_FOLDER_UNKNOWN = "spam_folder_unknown", "Spam folder unknown"
        DISABLED = "disabled", "Disabled"

    provider = models.ForeignKey(MailboxProvider, on_delete=models.PROTECT, related_name="seeds")
    address = models.EmailField(unique=True)
    username = models.CharField(max_length=254, help_text="IMAP login; usually the address.")
    auth = models.CharField(max_length=10, choices=Auth.choices, default=Auth.PASSWORD)
    secret = EncryptedTextField(
        blank=True, help_text="The password, or the OAuth2 refresh token. Never shown back."
    )
    imap_host = models.CharField(max_length=253)
    imap_port = models.PositiveIntegerField(default=993)
    imap_tls = models.CharField(max_length=10, choices=Tls.choices, default=Tls.SSL)
    smtp_host = models.CharField(max_length=253, blank=True, help_text="For replies.")
    smtp_port = models.PositiveIntegerField(default=465)
    smtp_tls = models.CharField(max_length=10, choices=Tls.choices, default=Tls.SSL)
    oauth_token_url = models.URLField(blank=True, help_text="OAuth2 token endpoint.")
    oauth_client_id = models.CharField(max_length=255, blank=True)
    oauth_client_secret = EncryptedTextField(blank=True)
    sandbox = models.BooleanField(
        default=False, help_text="Served by the sandbox world's built-in store, not IMAP."
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.ACTIVE)
    state_reason = models.TextField(
        blank=True, help_text="Why the seed is out of rotation: the server's own message."
    )
    spam_folder = models.CharField(
        max_length=255, blank=True, help_text="Remembered after the first resolution."
    )
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_purged_at = models.DateTimeField(null=True, blank=True)
    next_sweep_at = models.DateTimeField(
        default=timezone.now,
        help_text="The sweep job claims seeds by this (a lease while it runs).",
    )
    imap_state = models.JSONField(
        default=dict,
        blank=True,
        help_text="Per folder [UIDVALIDITY, UIDNEXT] at the last sweep: the next one fetches "
        "only what arrived since.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["provider__position", "address"]
        verbose_name = "seed mailbox"
        verbose_name_plural = "seed mailboxes"
        indexes = [
            # Sending picks active seeds per provider.
            models.Index(fields=["provider", "state"], name="seed_provider_state_idx"),
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def in_rotation(self) -> bool:
        return self.state == self.State.ACTIVE


class WarmupMessage(TenantModel):
    """One warm-up message from a customer's domain to one seed, and where it landed."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Placement(models.TextChoices):
        PENDING = "pending", "Pending"
        INBOX = "inbox", "Inbox"
        SPAM = "spam", "Spam"
        MISSING = "missing", "Missing"

    class Stage(models.TextChoices):
        # What the seed does next with the message, once `act_after` has passed.
        LOCATE = "locate", "Find it"
        ENGAGE = "engage", "Rescue, read, flag, reply"
        FILE = "file", "File away"
        DONE = "done", "Done"

    tenant_field = "domain__account"

    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="warmup_messages")
    day = models.ForeignKey(
        DomainWarmupDay, on_delete=models.CASCADE, related_name="messages", null=True, blank=True
    )
    provider = models.ForeignKey(MailboxProvider, on_delete=models.PROTECT, related_name="+")
    seed = models.ForeignKey(SeedMailbox, on_delete=models.PROTECT, related_name="messages")
    message_id = models.CharField(max_length=255, unique=True, help_text="With angle brackets.")
    subject = models.CharField(max_length=255, blank=True, help_text="Chosen when sent.")
    sender = models.EmailField()
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        help_text="The message this one continues (the seed had replied to it).",
    )
    scheduled_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    dkim_selector = models.CharField(max_length=63, blank=True)
    error = models.TextField(blank=True)
    placement = models.CharField(
        max_length=10, choices=Placement.choices, default=Placement.PENDING
    )
    placed_at = models.DateTimeField(null=True, blank=True)
    category = models.CharField(max_length=40, blank=True, help_text="Gmail category, if any.")
    folder = models.CharField(
        max_length=255, blank=True, help_text="Where the seed holds it now (the sweep acts there)."
    )
    uid = models.PositiveBigIntegerField(null=True, blank=True, help_text="Its IMAP UID there.")
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.LOCATE)
    act_after = models.DateTimeField(null=True, blank=True)
    reply_message_id = models.CharField(
        max_length=255, blank=True, help_text="Message-ID of the seed's reply, if it replied."
    )

    class Meta:
        ordering = ["-scheduled_at", "-pk"]
        verbose_name = "warm-up message"
        indexes = [
            # The send job: WHERE status = 'scheduled' AND scheduled_at <= now.
            models.Index(fields=["status", "scheduled_at"], name="warmupmsg_due_idx"),
            # The sweep: a seed's sent messages still being located or acted on.
            models.Index(
                fields=["seed", "stage"],
                condition=Q(status="sent") & ~Q(stage="done"),
                name="warmupmsg_seed_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.message_id


class SeedAction(TenantModel):
    """Something a seed did with a warm-up message (or tried to, and the error)."""

    class Kind(models.TextChoices):
        FOUND = "found", "Found"
        MISSING = "missing", "Missing"
        RESCUED = "rescued", "Rescued from spam"
        READ = "read", "Marked read"
        FLAGGED = "flagged", "Flagged important"
        REPLIED = "replied", "Replied"
        FILED = "filed", "Filed away"
        ERROR = "error", "Error"

    tenant_field = "message__domain__account"

    message = models.ForeignKey(WarmupMessage, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    at = models.DateTimeField()
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"


# --- placement tests ------------------------------------------------------------------------------


class PlacementTest(TenantModel):
    """A customer's own campaign sent to a list of seeds: where did each copy land?

    The customer sends through their own infrastructure to the seed addresses given, with the
    test's token in an `X-Warmup-Test` header or in the subject. The seeds' sweep finds each
    copy (taking no action on it: a test measures, it does not influence) until `expires_at`;
    a copy not found by then is missing.
    """

    HEADER = "X-Warmup-Test"

    tenant_field = "domain__account"

    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="placement_tests")
    token = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    created_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.token

    def is_open(self, now=None) -> bool:
        return (now or timezone.now()) < self.expires_at


class PlacementTestSeed(TenantModel):
    """One seed of a placement test, and where the customer's copy landed there."""

    class Placement(models.TextChoices):
        PENDING = "pending", "Not found yet"
        INBOX = "inbox", "Inbox"
        SPAM = "spam", "Spam"
        MISSING = "missing", "Missing"

    tenant_field = "test__domain__account"

    test = models.ForeignKey(PlacementTest, on_delete=models.CASCADE, related_name="seeds")
    seed = models.ForeignKey(SeedMailbox, on_delete=models.PROTECT, related_name="test_copies")
    provider = models.ForeignKey(MailboxProvider, on_delete=models.PROTECT, related_name="+")
    address = models.EmailField(help_text="The seed's address as given to the customer.")
    placement = models.CharField(
        max_length=10, choices=Placement.choices, default=Placement.PENDING
    )
    folder = models.CharField(max_length=255, blank=True)
    category = models.CharField(max_length=40, blank=True, help_text="Gmail category, if any.")
    found_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    spf = models.CharField(max_length=16, blank=True)
    dkim = models.CharField(max_length=16, blank=True)
    dmarc = models.CharField(max_length=16, blank=True)
    authentication_results = models.TextField(
        blank=True, help_text="The Authentication-Results header the seed's server added."
    )

    class Meta:
        ordering = ["provider__position", "address"]
        constraints = [
            models.UniqueConstraint(fields=["test", "seed"], name="placementtestseed_unique_seed"),
        ]
        indexes = [
            # The sweep: a seed's copies still being looked for.
            models.Index(
                fields=["seed"],
                condition=Q(placement="pending"),
                name="placementtestseed_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.address}: {self.placement}"
