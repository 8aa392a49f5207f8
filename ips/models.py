"""Dedicated IPs: pools, the IPs, their readiness checks, per-provider warm-up and day counters.

The shape, in one picture::

    IpPool (an account's, or a shared pool with no account) ──< DedicatedIp ──< IpCheck
                                                                   │
                                                  IpWarmup (one per provider) ──< IpWarmupDay
    WarmupProfile (one per provider)              DomainPoolPin (a domain's pool)
    DeliveryEvent (what happened to each message, per account)

`IpWarmup.daily_cap` is the cap the warm-up schedule gives today; `IpWarmupDay.cap` is the cap
that routing enforces for one day, copied from it when routing first opens the day. Routing only
ever changes `IpWarmupDay.routed` with a conditional UPDATE (see ips/services/routing.py) and the
database refuses `routed > cap` (constraint `ipwarmupday_routed_within_cap`).
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from accounts.models import Account
from accounts.tenancy import TenantModel
from domains.models import Domain
from providers.models import MailboxProvider

# A runaway profile (growth 1.01 towards a huge target) must not produce thousands of stages.
MAX_STAGES = 60


class IpPool(TenantModel):
    """A set of IPs that routing picks from: an account's own, or a shared pool (no account)."""

    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ip_pools",
        help_text="Blank for a shared pool, which the operators run for every account.",
    )
    name = models.SlugField(max_length=60, help_text="Shown to the sending pipeline as `pool`.")
    is_default = models.BooleanField(
        default=False,
        help_text="The account's pool routing uses unless the sender domain pins another. Among "
        "shared pools: the one every account overflows to.",
    )
    overflow_pool = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Where traffic goes when this pool's IPs are at their caps, before the shared "
        "pool.",
    )
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="ippool_unique_account_name"),
            # NULL accounts are distinct in the constraint above: shared names need their own.
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(account__isnull=True),
                name="ippool_unique_shared_name",
            ),
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(is_default=True),
                name="ippool_one_default_per_account",
            ),
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True, account__isnull=True),
                name="ippool_one_default_shared",
            ),
        ]

    def __str__(self) -> str:
        return self.name if self.account_id else f"{self.name} (shared)"

    @property
    def is_shared(self) -> bool:
        return self.account_id is None


class DedicatedIp(TenantModel):
    """One sending IP address (IPv4 or IPv6) in a pool.

    Lifecycle: new → checking (checks ran and did not all pass) → ready (passed, or an operator
    overrode them) → warming → warm; paused and retired at any time.
    """

    tenant_field = "pool__account"

    class State(models.TextChoices):
        NEW = "new", "New"
        CHECKING = "checking", "Checking"
        READY = "ready", "Ready"
        WARMING = "warming", "Warming up"
        WARM = "warm", "Warm"
        PAUSED = "paused", "Paused"
        RETIRED = "retired", "Retired"

    class Readiness(models.TextChoices):
        PENDING = "pending", "Not checked yet"
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"
        UNKNOWN = "unknown", "Unknown (DNS did not answer)"

    address = models.GenericIPAddressField(unique=True, help_text="IPv4 or IPv6.")
    hostname = models.CharField(
        max_length=253,
        blank=True,
        help_text="The name its PTR record should point to (A-label); blank accepts any "
        "forward-confirmed name.",
    )
    pool = models.ForeignKey(IpPool, on_delete=models.PROTECT, related_name="ips")
    state = models.CharField(max_length=10, choices=State.choices, default=State.NEW)
    state_changed_at = models.DateTimeField(auto_now_add=True)
    readiness = models.CharField(
        max_length=10, choices=Readiness.choices, default=Readiness.PENDING
    )
    readiness_checked_at = models.DateTimeField(null=True, blank=True)
    readiness_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    readiness_override_reason = models.TextField(blank=True)
    readiness_override_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the scheduled job checks this IP again; blank: not scheduled.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["address"]
        verbose_name = "dedicated IP"
        indexes = [
            # The check job: due IPs, oldest first (ips.services.readiness.ips_check_due).
            models.Index(fields=["next_check_at"], name="dedicatedip_next_check_idx"),
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def version(self) -> int:
        return ipaddress.ip_address(self.address).version


class IpCheck(TenantModel):
    """The latest fact about one readiness check of one IP (PTR, forward-confirmed rDNS, one
    DNS blocklist).

    A temporary DNS failure is not a fact: it is written to `error`/`attempted_at` and leaves
    `status` as it was. An operator's override covers the failure seen at the time; when the
    status changes later, `overridden` is cleared.
    """

    tenant_field = "ip__pool__account"

    class Kind(models.TextChoices):
        PTR = "ptr", "Reverse DNS (PTR)"
        FCRDNS = "fcrdns", "Forward-confirmed reverse DNS"
        DNSBL = "dnsbl", "DNS blocklist"

    class Status(models.TextChoices):
        UNKNOWN = "unknown", "Unknown"
        PASS = "pass", "Pass"
        FAIL = "fail", "Fail"

    ip = models.ForeignKey(DedicatedIp, on_delete=models.CASCADE, related_name="checks")
    name = models.CharField(max_length=200, help_text="ptr, fcrdns or dnsbl:<zone>.")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNKNOWN)
    detail = models.TextField(blank=True, help_text="What the last answer meant, in words.")
    found = models.JSONField(default=list, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True, help_text="Last definite answer.")
    attempted_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(
        max_length=300, blank=True, help_text="The last temporary failure, if the last try failed."
    )
    changed_at = models.DateTimeField(null=True, blank=True)
    overridden = models.BooleanField(default=False)

    class Meta:
        ordering = ["ip", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["ip", "name"], name="ipcheck_unique_ip_name"),
        ]

    def __str__(self) -> str:
        return f"{self.ip_id} {self.name}: {self.status}"

    @property
    def passes(self) -> bool:
        return self.status == self.Status.PASS or self.overridden


@dataclass(frozen=True)
class Stage:
    stage: int
    daily_cap: int
    days: int
    first_day: int
    last_day: int
    engaged_days: int


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
    max_daily_growth = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=0.2,
        help_text="After warm-up: a warm IP's daily volume may grow by at most this fraction "
        "over its peak of the last 7 days (0.20 = +20%).",
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
    suspend_after = models.PositiveIntegerField(
        default=20,
        help_text="Fast back-off: suspend the IP at this provider when this many throttling, "
        "blocking or blocklist replies arrive within one clock hour (UTC).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
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
                condition=Q(max_daily_growth__gte=0), name="warmupprofile_growth_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(backoff_cut__gt=0, backoff_cut__lt=1),
                name="warmupprofile_backoff_cut_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Warm-up profile for {self.provider}"

    def stage_caps(self) -> list[int]:
        """The daily cap of every stage, from start_cap up to target_cap (strictly growing)."""
        growth = float(self.growth)
        caps: list[int] = []
        value = float(self.start_cap)
        while len(caps) < MAX_STAGES:
            cap = min(math.ceil(value - 1e-9), self.target_cap)
            if caps:
                cap = min(max(cap, caps[-1] + 1), self.target_cap)
            caps.append(cap)
            if cap >= self.target_cap:
                break
            value *= growth
        if caps[-1] < self.target_cap:
            caps[-1] = self.target_cap
        return caps

    def stages(self) -> list[Stage]:
        """The stage table: cap, minimum days at the stage, and the engagement window.

        The minimum days are shared out over the stages, earlier stages getting the remainder
        (trust is slowest to build at the start); with more stages than days each stage gets one.
        """
        caps = self.stage_caps()
        count = len(caps)
        base, extra = divmod(self.min_days, count)
        table, day = [], 1
        for number, cap in enumerate(caps, start=1):
            days = max(1, base + (1 if number <= extra else 0))
            table.append(
                Stage(
                    stage=number,
                    daily_cap=cap,
                    days=days,
                    first_day=day,
                    last_day=day + days - 1,
                    engaged_days=self.engaged_days_for_stage(number),
                )
            )
            day += days
        return table

    @property
    def stage_count(self) -> int:
        return len(self.stage_caps())

    def cap_for_stage(self, stage: int) -> int:
        caps = self.stage_caps()
        return caps[min(max(stage, 1), len(caps)) - 1]

    def engaged_days_for_stage(self, stage: int) -> int:
        return self.engaged_days_start + self.engaged_days_step * max(stage - 1, 0)


class IpWarmup(TenantModel):
    """The warm-up of one IP at one provider: its state, stage and the cap the schedule gives.

    Routing uses rows whose state is in ROUTING_PHASE and that are not suspended. The daily
    controller (ips/services/controller.py) moves stage and cap and records each decision in
    IpWarmupDecision; the fast back-off sets `suspended_until`.
    """

    tenant_field = "ip__pool__account"

    class State(models.TextChoices):
        PENDING = "pending", "Not started"
        WARMING = "warming", "Warming up"
        BACKOFF = "backoff", "Backing off"
        PAUSED = "paused", "Paused"
        WARM = "warm", "Warm"
        COOLING = "cooling", "Warm, below the floor"

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
        return f"{self.ip_id} → {self.provider_id}: {self.state}"

    def is_suspended(self, now: datetime) -> bool:
        return self.suspended_until is not None and self.suspended_until > now


# How routing treats each warm-up state: warming IPs are paced and take the most engaged
# recipients first; warm IPs take the rest within their growth allowance. Other states
# (pending, paused) are not routed to.
ROUTING_PHASE = {
    IpWarmup.State.WARMING: "warming",
    IpWarmup.State.BACKOFF: "warming",
    IpWarmup.State.WARM: "warm",
    IpWarmup.State.COOLING: "warm",
}
ROUTABLE_IP_STATES = (DedicatedIp.State.WARMING, DedicatedIp.State.WARM)


class IpWarmupDay(TenantModel):
    """One IP's counters at one provider for one UTC day: what routing allowed and what happened.

    `cap` is NULL until routing opens the day (events may create the row first). `last_claim`
    is written by the claim statement itself so that its RETURNING clause can say how many
    recipients that statement granted (SQL offers no portable way to return the old value).
    """

    tenant_field = "warmup__ip__pool__account"

    warmup = models.ForeignKey(IpWarmup, on_delete=models.CASCADE, related_name="days")
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
        constraints = [
            # The claim UPDATE and the event-counter upsert find their row by this key.
            models.UniqueConstraint(fields=["warmup", "day"], name="ipwarmupday_unique_warmup_day"),
            # The database itself refuses an exceeded cap (NULL cap: the day is not open yet).
            models.CheckConstraint(
                condition=Q(routed__lte=F("cap")), name="ipwarmupday_routed_within_cap"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.warmup_id} {self.day}: {self.routed}/{self.cap}"


class IpWarmupHour(models.Model):
    """Throttling, blocking and blocklist replies of one (IP, provider) in one clock hour (UTC):
    what the fast back-off counts. Event ingestion adds to it and reads the totals back in the
    same statement; rows older than a day are deleted by the daily controller."""

    warmup = models.ForeignKey(IpWarmup, on_delete=models.CASCADE, related_name="hours")
    hour = models.DateTimeField()
    throttled = models.PositiveIntegerField(default=0)
    blocked = models.PositiveIntegerField(default=0)
    blocklisted = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # The ingestion upsert finds its row by this key.
            models.UniqueConstraint(fields=["warmup", "hour"], name="ipwarmuphour_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.warmup_id} {self.hour:%Y-%m-%d %H}:00"


class IpWarmupDecision(TenantModel):
    """One decision about one (IP, provider): the daily controller's, a fast back-off, or an
    operator's override — with the figures it used and a sentence of reason.

    The controller's decisions (`daily`) are unique per (warm-up, day): running the job twice,
    late, or after days of downtime cannot decide a day twice.
    """

    tenant_field = "warmup__ip__pool__account"

    class Kind(models.TextChoices):
        ADVANCE = "advance", "Advanced a stage"
        HOLD = "hold", "Held"
        ALERT = "alert", "Held: list-quality alert"
        BACKOFF = "backoff", "Backed off"
        STEP_BACK = "step_back", "Stepped back (idle)"
        WARM = "warm", "Warm"
        COOLING = "cooling", "Below the floor"
        RECOVERED = "recovered", "Back above the floor"
        SUSPEND = "suspend", "Suspended"
        UNSUSPEND = "unsuspend", "Suspension lifted"
        PAUSE = "pause", "Paused"
        RESUME = "resume", "Resumed"
        SET_STAGE = "set_stage", "Stage set"
        COMPLETE = "complete", "Completed"
        RESTART = "restart", "Restarted"

    warmup = models.ForeignKey(IpWarmup, on_delete=models.CASCADE, related_name="decisions")
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
        return f"{self.warmup_id} {self.day} {self.kind}"


class DomainPoolPin(TenantModel):
    """A sending domain that routes through a given pool instead of the account's default."""

    tenant_field = "domain__account"

    domain = models.OneToOneField(Domain, on_delete=models.CASCADE, related_name="ip_pool_pin")
    pool = models.ForeignKey(IpPool, on_delete=models.CASCADE, related_name="pins")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["domain__name"]
        verbose_name = "domain pool pin"

    def __str__(self) -> str:
        return f"{self.domain} → {self.pool}"


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
        on_delete=models.CASCADE,
        related_name="delivery_events",
        db_constraint=False,
        db_index=False,  # the unique (account, event_id) index serves lookups by account
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
        ]
        indexes = [
            # The admin's newest-first list of one account's events.
            models.Index(fields=["account", "-timestamp"], name="deliveryevent_account_ts_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"


def utc_day(moment: datetime) -> date:
    """The UTC date counters are kept by (settings.TIME_ZONE is UTC, but say so here)."""
    return moment.astimezone(UTC).date()
