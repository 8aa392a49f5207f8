"""Per-provider warm-up: the profiles, each (IP, provider)'s state, its day and hour counters,
and the decisions that moved it. The arithmetic lives in ips/warmup_rule.py."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from accounts.tenancy import TenantModel
from ips import warmup_rule
from ips.models.pools import DedicatedIp
from ips.types import DecisionKind, WarmupState
from providers.models import MailboxProvider


class WarmupProfile(models.Model):
    """How one provider's warm-up ramps: the stage table and the post-warm-up limits."""

    provider = models.OneToOneField(
        MailboxProvider, on_delete=models.CASCADE, related_name="warmup_profile"
    )
    start_cap = models.PositiveIntegerField(help_text="Messages a day at stage 1.")
    growth = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        help_text="Each stage's cap is the previous one times this (1.5 = +50%).",
    )
    target_cap = models.PositiveIntegerField(
        help_text="The daily cap at which the IP counts as warm for this provider."
    )
    min_days = models.PositiveSmallIntegerField(
        help_text="The warm-up takes at least this many sending days; stages share them."
    )
    pacing_hours = models.PositiveSmallIntegerField(
        default=12,
        help_text="A warming IP's daily cap opens over this many hours from 00:00 UTC "
        "(1/N of it in the first hour, 2/N by the second, …).",
    )
    floor = models.PositiveIntegerField(
        default=1000,
        help_text="After warm-up: the daily volume a warm IP should keep sending to stay warm.",
    )
    engaged_days_start = models.PositiveSmallIntegerField(
        default=30,
        help_text="At stage 1 warming IPs only take recipients who engaged within this many "
        "days (or whose engagement is unknown), most recent first.",
    )
    engaged_days_step = models.PositiveSmallIntegerField(
        default=15, help_text="The engagement window widens by this many days per stage."
    )
    # The daily controller's thresholds (ips/services/controller.py). The defaults are
    # conservative figures from the providers' sender guidelines: Google asks for a spam rate
    # below 0.3%, and a few percent of rate-limit replies already means "slow down".
    backoff_rate = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=0.02,
        help_text="Back off when throttling and blocking replies in a day reach this share of "
        "what was routed (0.02 = 2%) …",
    )
    backoff_min_replies = models.PositiveIntegerField(
        default=10,
        help_text="… and number at least this many (a few replies on a small day prove nothing).",
    )
    backoff_cut = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=0.5,
        help_text="A back-off steps back to the highest stage whose cap is at most this share of "
        "the current cap (0.50 = half).",
    )
    complaint_limit = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=0.003,
        help_text="Hold and alert when complaints reach this share of delivered (0.003 = 0.3%).",
    )
    hard_bounce_limit = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=0.05,
        help_text="Hold and alert when hard bounces reach this share of delivered (0.05 = 5%).",
    )
    idle_days_step_back = models.PositiveSmallIntegerField(
        default=3,
        help_text="Step back one stage after this many days in a row without any traffic.",
    )
    warm_after_days = models.PositiveSmallIntegerField(
        default=3,
        help_text="The warm-up ends after this many clean sending days at the target cap.",
    )
    # The closed loop's growth (ips/warmup_rule): how fast a clean, full day may raise the cap,
    # how hard blocks cut it, how a quiet warm IP loses its allowance.
    fast_growth = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=2.5,
        help_text="A full day with clean replies may raise the cap by up to this factor (2.00 = "
        "double), skipping stages of the table.",
    )
    cautious_growth = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=1.75,
        help_text="Near the volume where the provider last pushed back, growth slows to this "
        "factor a day.",
    )
    block_cut = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=0.25,
        help_text="Blocks cut the cap to this share of what it was (0.25 = a quarter).",
    )
    spam_limit = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=0.6,
        help_text="When placement is measured: a spam-folder share above this keeps the cap "
        "from growing fast.",
    )
    idle_decay = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=0.85,
        help_text="A quiet warm IP's allowance is multiplied by this each quiet day, after "
        "`idle days step back` of them, never below the floor.",
    )
    rewarm_after_days = models.PositiveSmallIntegerField(
        default=30,
        help_text="After this many quiet days in a row a warm IP warms up again, from the stage "
        "its allowance decayed to.",
    )
    suspend_after = models.PositiveIntegerField(
        default=20,
        help_text="Fast back-off: suspend the IP at this provider when this many throttling, "
        "blocking or blocklist replies arrive within one clock hour (UTC).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "warm-up profile"
        ordering = ["provider__position", "provider__name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_cap__gte=1), name="warmupprofile_start_cap_positive"
            ),
            models.CheckConstraint(
                condition=Q(target_cap__gte=F("start_cap")),
                name="warmupprofile_target_at_least_start",
            ),
            models.CheckConstraint(
                condition=Q(growth__gte=1.05, growth__lte=10),
                name="warmupprofile_growth_range",
            ),
            models.CheckConstraint(
                condition=Q(pacing_hours__gte=1, pacing_hours__lte=24),
                name="warmupprofile_pacing_hours_range",
            ),
            models.CheckConstraint(
                condition=Q(min_days__gte=1), name="warmupprofile_min_days_positive"
            ),
            models.CheckConstraint(
                condition=Q(backoff_cut__gt=0, backoff_cut__lt=1),
                name="warmupprofile_backoff_cut_range",
            ),
            models.CheckConstraint(
                condition=Q(fast_growth__gte=1, fast_growth__lte=10),
                name="warmupprofile_fast_growth_range",
            ),
            models.CheckConstraint(
                condition=Q(cautious_growth__gte=1, cautious_growth__lte=F("fast_growth")),
                name="warmupprofile_cautious_growth_range",
            ),
            models.CheckConstraint(
                condition=Q(block_cut__gt=0, block_cut__lt=1),
                name="warmupprofile_block_cut_range",
            ),
            models.CheckConstraint(
                condition=Q(idle_decay__gt=0, idle_decay__lte=1),
                name="warmupprofile_idle_decay_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Warm-up profile for {self.provider}"

    def stage_caps(self) -> list[int]:
        """The daily cap of every stage, from start_cap up to target_cap (strictly growing)."""
        return warmup_rule.stage_caps(
            start_cap=self.start_cap, growth=float(self.growth), target_cap=self.target_cap
        )

    def stages(self) -> list[warmup_rule.Stage]:
        """The stage table: cap, minimum days at the stage, and the engagement window."""
        return warmup_rule.stage_table(
            caps=self.stage_caps(),
            min_days=self.min_days,
            engaged_days_start=self.engaged_days_start,
            engaged_days_step=self.engaged_days_step,
        )

    @property
    def stage_count(self) -> int:
        return len(self.stage_caps())

    def cap_for_stage(self, stage: int) -> int:
        return warmup_rule.cap_for_stage(self.stage_caps(), stage)


class IpWarmup(TenantModel):
    """The warm-up of one IP at one provider: its state, stage and the cap the schedule gives.

    Routing uses rows whose state is in ROUTING_PHASE and that are not suspended. The daily
    controller (ips/services/controller.py) moves stage and cap and records each decision in
    IpWarmupDecision; the fast back-off sets `suspended_until`.
    """

    tenant_field = "ip__pool__account"

    State = WarmupState

    ip = models.ForeignKey(DedicatedIp, on_delete=models.CASCADE, related_name="warmups")
    provider = models.ForeignKey(
        MailboxProvider, on_delete=models.CASCADE, related_name="ip_warmups"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    stage = models.PositiveSmallIntegerField(default=0, help_text="0 until the warm-up starts.")
    daily_cap = models.PositiveIntegerField(
        default=0,
        help_text="Today's cap from the schedule (warming) or the cap the warm-up ended at (warm).",
    )
    sending_days = models.PositiveIntegerField(
        default=0, help_text="Days that really sent; only they move a warm-up on."
    )
    started_on = models.DateField(null=True, blank=True)
    warm_since = models.DateField(null=True, blank=True)
    suspended_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Routing skips this IP for this provider until then (fast back-off).",
    )
    suspension_reason = models.CharField(max_length=300, blank=True)
    suspension_kind = models.CharField(
        max_length=12,
        blank=True,
        help_text="throttled, blocked or blocklisted (lifted by the next clean blocklist check).",
    )
    stage_days = models.PositiveSmallIntegerField(
        default=0, help_text="Sending days at the current stage."
    )
    idle_days = models.PositiveSmallIntegerField(
        default=0, help_text="Days in a row without any traffic."
    )
    target_days = models.PositiveSmallIntegerField(
        default=0, help_text="Clean sending days at the target cap (warm after a few)."
    )
    resume_state = models.CharField(
        max_length=10, blank=True, help_text="The state a paused warm-up resumes in."
    )
    trouble_cap = models.PositiveIntegerField(
        default=0,
        help_text="The cap at which the provider last pushed back (0: never); growth near it is "
        "cautious.",
    )
    decided_through = models.DateField(
        null=True,
        blank=True,
        help_text="The last day the daily controller decided for (catch-up starts after it).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ip", "provider__position"]
        verbose_name = "IP warm-up"
        indexes = [
            # The daily controller's claim: pairs in a controlled state not decided through
            # yesterday (ips.services.controller.controller_run).
            models.Index(fields=["state", "decided_through"], name="ipwarmup_state_decided_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["ip", "provider"], name="ipwarmup_unique_ip_provider"),
        ]

    def __str__(self) -> str:
        """Reads the IP and the provider (select_related them in lists)."""
        return f"{self.ip} at {self.provider}: {self.get_state_display()}"

    def is_suspended(self, now: datetime) -> bool:
        return self.suspended_until is not None and self.suspended_until > now


# ROUTING_PHASE (ips.types) says how routing treats each warm-up state; these are the IP
# states routing sends from at all.
ROUTABLE_IP_STATES = (DedicatedIp.State.WARMING, DedicatedIp.State.WARM)


class IpWarmupDay(TenantModel):
    """One IP's counters at one provider for one UTC day: what routing allowed and what happened.

    `cap` is NULL until routing opens the day (events may create the row first). `last_claim`
    is written by the claim statement itself so that its RETURNING clause can say how many
    recipients that statement granted (SQL offers no portable way to return the old value).
    """

    tenant_field = "warmup__ip__pool__account"

    warmup = models.ForeignKey(
        IpWarmup, on_delete=models.CASCADE, related_name="days", verbose_name="IP warm-up"
    )
    day = models.DateField()
    cap = models.PositiveIntegerField(null=True, blank=True)
    routed = models.PositiveIntegerField(default=0)
    last_claim = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)
    deferred = models.PositiveIntegerField(default=0)
    bounced = models.PositiveIntegerField(default=0)
    hard_bounced = models.PositiveIntegerField(default=0)
    throttled = models.PositiveIntegerField(default=0)
    blocked = models.PositiveIntegerField(default=0)
    blocklisted = models.PositiveIntegerField(default=0)
    complaints = models.PositiveIntegerField(default=0)

    COUNTERS = (
        "delivered",
        "deferred",
        "bounced",
        "hard_bounced",
        "throttled",
        "blocked",
        "blocklisted",
        "complaints",
    )

    class Meta:
        ordering = ["-day"]
        verbose_name = "IP day at a provider"
        verbose_name_plural = "IP days at a provider"
        constraints = [
            # The claim UPDATE and the event-counter upsert find their row by this key.
            models.UniqueConstraint(fields=["warmup", "day"], name="ipwarmupday_unique_warmup_day"),
            # The database itself refuses an exceeded cap (NULL cap: the day is not open yet).
            models.CheckConstraint(
                condition=Q(routed__lte=F("cap")), name="ipwarmupday_routed_within_cap"
            ),
        ]

    def __str__(self) -> str:
        """Reads the warm-up's IP and provider (select_related them in lists)."""
        cap = "not open" if self.cap is None else f"{self.cap:,}"
        return (
            f"{self.warmup.ip} at {self.warmup.provider}, {self.day.day} {self.day:%b %Y}: "
            f"{self.routed:,} routed of {cap}"
        )


class IpWarmupHour(models.Model):
    """Throttling, blocking and blocklist replies of one (IP, provider) in one clock hour (UTC):
    what the fast back-off counts. Event ingestion adds to it and reads the totals back in the
    same statement; rows older than a day are deleted by the daily controller."""

    warmup = models.ForeignKey(
        IpWarmup, on_delete=models.CASCADE, related_name="hours", verbose_name="IP warm-up"
    )
    hour = models.DateTimeField()
    throttled = models.PositiveIntegerField(default=0)
    blocked = models.PositiveIntegerField(default=0)
    blocklisted = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(
        default=0, help_text="Delivered that hour: a burst is push-back against what went through."
    )

    class Meta:
        verbose_name = "IP warm-up hour"
        constraints = [
            # The ingestion upsert finds its row by this key.
            models.UniqueConstraint(fields=["warmup", "hour"], name="ipwarmuphour_unique"),
        ]

    def __str__(self) -> str:
        """Reads the warm-up's IP and provider."""
        return f"{self.warmup.ip} at {self.warmup.provider}, {self.hour:%Y-%m-%d %H}:00 UTC"


class IpWarmupDecision(TenantModel):
    """One decision about one (IP, provider): the daily controller's, a fast back-off, or an
    operator's override — with the figures it used and a sentence of reason.

    The controller's decisions (`daily`) are unique per (warm-up, day): running the job twice,
    late, or after days of downtime cannot decide a day twice.
    """

    tenant_field = "warmup__ip__pool__account"

    Kind = DecisionKind

    warmup = models.ForeignKey(
        IpWarmup, on_delete=models.CASCADE, related_name="decisions", verbose_name="IP warm-up"
    )
    day = models.DateField(help_text="The day decided for (daily), or the day of the action.")
    daily = models.BooleanField(default=False, help_text="The daily controller's decision.")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    from_state = models.CharField(max_length=10)
    to_state = models.CharField(max_length=10)
    from_stage = models.PositiveSmallIntegerField()
    to_stage = models.PositiveSmallIntegerField()
    from_cap = models.PositiveIntegerField()
    to_cap = models.PositiveIntegerField()
    figures = models.JSONField(default=dict, blank=True)
    reason = models.TextField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The operator, for an override; blank for automation.",
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "IP warm-up decision"
        constraints = [
            models.UniqueConstraint(
                fields=["warmup", "day"],
                condition=Q(daily=True),
                name="ipwarmupdecision_one_daily_per_day",
            ),
        ]
        indexes = [
            # A warm-up's history and its last decision (ips.selectors), newest first.
            models.Index(fields=["warmup", "-created_at"], name="ipwarmupdecision_history_idx"),
        ]

    def __str__(self) -> str:
        """Reads the warm-up's IP and provider (select_related them in lists)."""
        return (
            f"{self.warmup.ip} at {self.warmup.provider}, {self.day.day} {self.day:%b %Y}: "
            f"{self.get_kind_display()}"
        )
