import secrets

from django.db import models
from django.db.models import Q

from accounts.models import Account
from accounts.tenancy import TenantModel
from warmup_site.crypto import EncryptedTextField
from warmup_site.hostnames import to_unicode

# How many definite failures (on distinct days) turn a verified domain into a failed one.
FAILURES_TO_FAIL = 3


def new_ownership_token() -> str:
    # 128 bits, lower-case hex: survives DNS hosts that fold the case of TXT values.
    return secrets.token_hex(16)


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
    ownership_token = models.CharField(
        max_length=64,
        default=new_ownership_token,
        help_text="Published as warmup-verification=<token> at _warmup.<domain>.",
    )
    last_checked_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(
        null=True, blank=True, help_text="When the background re-verification looks next."
    )
    last_verify_requested_at = models.DateTimeField(
        null=True, blank=True, help_text="Last 'verify now' (rate limit, shared by every host)."
    )
    consecutive_failures = models.PositiveSmallIntegerField(
        default=0, help_text="Days in a row on which a required record was definitely wrong."
    )
    last_failure_on = models.DateField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    problem = models.TextField(
        blank=True, help_text="What was wrong at the last check that found a definite problem."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="domain_unique_account_name"),
            # The ownership record proves control of a domain to one account at a time; the
            # database enforces it, so two accounts verifying at once cannot both win.
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(status="verified"),
                name="domain_unique_verified_name",
            ),
        ]
        indexes = [
            # The re-verification job claims rows WHERE next_check_at <= now ORDER BY next_check_at.
            models.Index(fields=["next_check_at"], name="domain_next_check_idx"),
        ]

    def __str__(self) -> str:
        return self.unicode_name

    @property
    def unicode_name(self) -> str:
        return to_unicode(self.name)

    @property
    def failures_left(self) -> int:
        """Definite failures on further days before a verified domain becomes failed."""
        return max(FAILURES_TO_FAIL - self.consecutive_failures, 0)


class DkimKey(TenantModel):
    """An RSA-2048 key pair a domain's mail is signed with, published under its selector.

    The private key is Fernet ciphertext (warmup_site.crypto) and is never rendered anywhere.
    """

    class State(models.TextChoices):
        ACTIVE = "active", "Active (mail is signed with it)"
        NEXT = "next", "Next (published, waiting to verify)"
        RETIRED = "retired", "Retired"

    tenant_field = "domain__account"

    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="dkim_keys")
    selector = models.CharField(max_length=63)
    public_key = models.TextField(help_text="Base64 DER SubjectPublicKeyInfo, as in p= of DKIM.")
    private_key = EncryptedTextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = "DKIM key"
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "selector"], name="dkimkey_unique_domain_selector"
            ),
            models.UniqueConstraint(
                fields=["domain"], condition=Q(state="active"), name="dkimkey_one_active"
            ),
            models.UniqueConstraint(
                fields=["domain"], condition=Q(state="next"), name="dkimkey_one_next"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.selector} ({self.get_state_display()})"

    @property
    def record_value(self) -> str:
        return f"v=DKIM1; k=rsa; p={self.public_key}"


class DomainRecord(TenantModel):
    """One DNS record a customer publishes for a domain, and what the last check found."""

    class Kind(models.TextChoices):
        OWNERSHIP = "ownership", "Ownership"
        SPF = "spf", "SPF"
        DKIM = "dkim", "DKIM"
        DMARC = "dmarc", "DMARC"
        RETURN_PATH = "return_path", "Return path"

    class Status(models.TextChoices):
        PENDING = "pending", "Not checked yet"
        OK = "ok", "OK"
        MISSING = "missing", "Missing"
        MISMATCH = "mismatch", "Needs a change"
        ERROR = "error", "Could not check"

    tenant_field = "domain__account"

    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="records")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    type = models.CharField(max_length=8, help_text="DNS record type: TXT or CNAME.")
    host = models.CharField(max_length=253, help_text="Fully qualified name, A-labels.")
    value = models.TextField(help_text="What to publish.")
    required = models.BooleanField(
        default=True, help_text="Must be ok for the domain to be verified."
    )
    position = models.PositiveSmallIntegerField(default=0)
    dkim_key = models.OneToOneField(
        DkimKey, null=True, blank=True, on_delete=models.CASCADE, related_name="record"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    found = models.TextField(blank=True, help_text="What DNS returned at the last check.")
    detail = models.TextField(blank=True, help_text="What is wrong and how to fix it.")
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "kind", "host"], name="domainrecord_unique_kind_host"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.type} {self.host}"

    def relative_host(self, domain_name: str) -> str:
        """The name as most DNS hosts want it typed: `_dmarc`, or `@` for the domain itself."""
        if self.host == domain_name:
            return "@"
        return self.host.removesuffix("." + domain_name)


# --- domain warm-up -------------------------------------------------------------------------------
# The warm-up's state lives here (DESIGN.md: "domains/ … domain warm-up state per provider") so
# that the domain page and /api/v1/domains/{id}/warmup/ read it without importing `engagement`,
# which sends the mail, drives the seeds and steps the plan.


class WarmupState(models.TextChoices):
    OFF = "off", "Off"
    WARMING = "warming", "Warming"
    WARM = "warm", "Warm"
    NEEDS_ATTENTION = "needs_attention", "Needs attention"


class DomainWarmup(TenantModel):
    """The Domain Warmup switch of one verified domain, and the domain's overall state."""

    tenant_field = "domain__account"

    domain = models.OneToOneField(Domain, on_delete=models.CASCADE, related_name="warmup")
    enabled = models.BooleanField(default=False)
    state = models.CharField(max_length=16, choices=WarmupState.choices, default=WarmupState.OFF)
    started_at = models.DateTimeField(
        null=True, blank=True, help_text="When warm-up was first enabled."
    )
    changed_at = models.DateTimeField(null=True, blank=True, help_text="Last switch on or off.")
    changed_by = models.CharField(max_length=150, blank=True)
    keep_warm = models.BooleanField(
        default=True,
        help_text="After graduation, keep sending a few maintenance messages per provider and "
        "go back to warm-up when placement drops.",
    )

    class Meta:
        verbose_name = "Domain Warmup"
        verbose_name_plural = "Domain Warmups"
        indexes = [
            # The daily plan step walks enabled warm-ups.
            models.Index(fields=["enabled"], name="domainwarmup_enabled_idx"),
        ]

    def __str__(self) -> str:
        """Reads the domain (select_related it in lists)."""
        return f"Domain Warmup of {self.domain} ({'on' if self.enabled else 'off'})"


class DomainWarmupPlan(TenantModel):
    """The warm-up of one domain at one mailbox provider: where the ramp stands and why."""

    class State(models.TextChoices):
        WARMING = "warming", "Warming"
        WARM = "warm", "Warm"
        NEEDS_ATTENTION = "needs_attention", "Needs attention"
        NOT_COVERED = "not_covered", "Not covered"

    tenant_field = "warmup__domain__account"

    warmup = models.ForeignKey(DomainWarmup, on_delete=models.CASCADE, related_name="plans")
    provider = models.ForeignKey(
        "providers.MailboxProvider", on_delete=models.CASCADE, related_name="domain_warmup_plans"
    )
    started_on = models.DateField(help_text="Day 1 of this provider's warm-up (UTC).")
    day = models.PositiveSmallIntegerField(default=0, help_text="Warm-up day of the last step.")
    step = models.PositiveSmallIntegerField(
        default=0, help_text="Position in the ramp (WARMUP_DOMAIN_RAMP) of today's volume."
    )
    volume = models.PositiveIntegerField(default=0, help_text="Messages planned for today.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.WARMING)
    reason = models.TextField(blank=True, help_text="Why the plan is in its state (figures).")
    hold_until = models.DateField(
        null=True, blank=True, help_text="The volume does not increase until after this day."
    )
    last_step_on = models.DateField(null=True, blank=True)
    graduated_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["provider__position", "provider__name"]
        verbose_name = "domain warm-up plan"
        constraints = [
            models.UniqueConstraint(
                fields=["warmup", "provider"], name="domainwarmupplan_unique_provider"
            ),
        ]

    def __str__(self) -> str:
        """Reads the warm-up's domain and the provider (select_related them in lists)."""
        return f"{self.warmup.domain} at {self.provider}: day {self.day}"


class DomainWarmupDay(TenantModel):
    """One day of one provider's plan: the decision taken that morning and the day's figures.

    The counters are kept by the engagement app with conditional UPDATEs (F() + n) as mail is
    sent and placements are found; they are the figures the next decisions read.
    """

    class Decision(models.TextChoices):
        START = "start", "Start"
        ADVANCE = "advance", "Advance"
        HOLD = "hold", "Hold"
        WARM = "warm", "Warm"
        NEEDS_ATTENTION = "needs_attention", "Needs attention"
        MAINTAIN = "maintain", "Maintain (keep warm)"
        REWARM = "rewarm", "Back to warm-up"
        SKIPPED = "skipped", "Skipped (no step that day)"

    tenant_field = "plan__warmup__domain__account"

    plan = models.ForeignKey(DomainWarmupPlan, on_delete=models.CASCADE, related_name="days")
    date = models.DateField()
    day = models.PositiveSmallIntegerField()
    volume = models.PositiveIntegerField(default=0)
    decision = models.CharField(max_length=16, choices=Decision.choices)
    reason = models.TextField(blank=True)
    sent = models.PositiveIntegerField(default=0)
    inbox = models.PositiveIntegerField(default=0)
    spam = models.PositiveIntegerField(default=0)
    missing = models.PositiveIntegerField(default=0)
    engaged = models.PositiveIntegerField(
        default=0, help_text="Messages a seed rescued, read, flagged or replied to."
    )

    class Meta:
        ordering = ["plan", "date"]
        verbose_name = "domain warm-up day"
        constraints = [
            # The plan step is keyed by (plan, date): running it twice creates nothing twice.
            models.UniqueConstraint(fields=["plan", "date"], name="domainwarmupday_unique_date"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.date.day} {self.date:%b %Y}, day {self.day}: {self.get_decision_display()}, "
            f"{self.volume:,} planned"
        )

    @property
    def placed(self) -> int:
        return self.inbox + self.spam + self.missing
