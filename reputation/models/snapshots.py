"""Daily reputation snapshots: one row per (subject, provider, UTC day).

A snapshot holds the day's own figures (what charts draw) and the verdict over the verdict's
window ending that day (reputation/verdict.py). Snapshots are written only by the snapshot job
(reputation/services/snapshots.py), in bulk; raw events stay in their own tables.
"""

from __future__ import annotations

from django.db import models

from accounts.tenancy import TenantModel
from domains.models import Domain
from ips.models import DedicatedIp
from providers.models import MailboxProvider


class Reputation(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative"


class Deliverability(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


class Snapshot(TenantModel):
    """Fields every snapshot has: the delivery events of the day and the verdict."""

    provider = models.ForeignKey(MailboxProvider, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="The UTC day of the figures.")
    # Delivery events of the day (offered = delivered + deferred + bounced).
    offered = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)
    deferred = models.PositiveIntegerField(default=0)
    bounced = models.PositiveIntegerField(default=0)
    hard_bounced = models.PositiveIntegerField(default=0)
    throttled = models.PositiveIntegerField(default=0)
    blocked = models.PositiveIntegerField(default=0)
    blocklisted = models.PositiveIntegerField(default=0)
    complaints = models.PositiveIntegerField(default=0)
    warmup_state = models.CharField(max_length=16, blank=True)
    # The verdict over the window ending this day.
    reputation = models.CharField(
        max_length=8, choices=Reputation.choices, default=Reputation.NEUTRAL
    )
    deliverability = models.CharField(
        max_length=8, choices=Deliverability.choices, default=Deliverability.MEDIUM
    )
    score = models.PositiveSmallIntegerField(default=50, help_text="0–100, for charts.")
    factors = models.JSONField(default=list, blank=True)
    sentence = models.TextField(blank=True, help_text="The verdict in one sentence.")
    computed_at = models.DateTimeField()

    class Meta:
        abstract = True

    @property
    def complaint_rate(self) -> float | None:
        return _rate(self.complaints, self.delivered)

    @property
    def delivered_rate(self) -> float | None:
        return _rate(self.delivered, self.offered)


class DomainSnapshot(Snapshot):
    tenant_field = "domain__account"

    domain = models.ForeignKey(
        Domain, on_delete=models.CASCADE, related_name="reputation_snapshots"
    )
    # Seed placements of the warm-up mail sent that day, and what the seeds did that day.
    sent = models.PositiveIntegerField(default=0)
    inbox = models.PositiveIntegerField(default=0)
    spam = models.PositiveIntegerField(default=0)
    missing = models.PositiveIntegerField(default=0)
    rescued = models.PositiveIntegerField(default=0)
    read = models.PositiveIntegerField(default=0)
    flagged = models.PositiveIntegerField(default=0)
    replied = models.PositiveIntegerField(default=0)
    domain_status = models.CharField(max_length=10, blank=True)
    # Google Postmaster Tools v2 (google only); rates are 0–1.
    pm_spam_rate = models.FloatField(null=True, blank=True)
    pm_spf_rate = models.FloatField(null=True, blank=True)
    pm_dkim_rate = models.FloatField(null=True, blank=True)
    pm_dmarc_rate = models.FloatField(null=True, blank=True)
    pm_delivery_error_rate = models.FloatField(null=True, blank=True)
    pm_tls_rate = models.FloatField(null=True, blank=True)
    pm_compliance = models.CharField(max_length=12, blank=True)

    class Meta:
        ordering = ["domain", "day", "provider"]
        verbose_name = "domain reputation snapshot"
        constraints = [
            # The job's upsert key, and the API's series (domain, day range).
            models.UniqueConstraint(
                fields=["domain", "day", "provider"], name="domainsnapshot_unique_day"
            ),
        ]
        indexes = [
            # Retention deletes by day; the overview reads one day.
            models.Index(fields=["day"], name="domainsnapshot_day_idx"),
        ]

    def __str__(self) -> str:
        """Reads the domain and the provider (select_related them in lists)."""
        return f"{self.domain} at {self.provider}, {self.day}: {self.get_reputation_display()}"

    @property
    def placed(self) -> int:
        return self.inbox + self.spam + self.missing

    @property
    def inbox_rate(self) -> float | None:
        return _rate(self.inbox, self.placed)


class IpSnapshot(Snapshot):
    tenant_field = "ip__pool__account"

    ip = models.ForeignKey(
        DedicatedIp, on_delete=models.CASCADE, related_name="reputation_snapshots"
    )
    warmup_stage = models.PositiveSmallIntegerField(null=True, blank=True)
    cap = models.PositiveIntegerField(null=True, blank=True, help_text="The day's cap.")
    used = models.PositiveIntegerField(default=0, help_text="Recipients routed to it that day.")
    suspended = models.BooleanField(default=False)
    dnsbl_listings = models.JSONField(default=list, blank=True, help_text="Zones that list it.")
    ptr = models.CharField(max_length=8, blank=True)
    fcrdns = models.CharField(max_length=8, blank=True)
    # Microsoft SNDS (microsoft only).
    snds_filter = models.CharField(max_length=8, blank=True)
    snds_complaint_rate = models.FloatField(null=True, blank=True)
    snds_trap_hits = models.PositiveIntegerField(null=True, blank=True)
    snds_rcpt = models.PositiveIntegerField(null=True, blank=True)
    snds_data = models.PositiveIntegerField(null=True, blank=True)
    snds_blocked = models.BooleanField(default=False)

    class Meta:
        ordering = ["ip", "day", "provider"]
        verbose_name = "IP reputation snapshot"
        constraints = [
            models.UniqueConstraint(fields=["ip", "day", "provider"], name="ipsnapshot_unique_day"),
        ]
        indexes = [
            models.Index(fields=["day"], name="ipsnapshot_day_idx"),
        ]

    def __str__(self) -> str:
        """Reads the IP and the provider (select_related them in lists)."""
        return f"{self.ip} at {self.provider}, {self.day}: {self.get_reputation_display()}"


class SnapshotDay(models.Model):
    """One UTC day of the snapshot job: which days are done and which are still open.

    The job claims a day by locking its row (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL),
    so two workers never compute the same day at once. A day is *final* once computed after it
    ended (plus WARMUP_REPUTATION_FINALIZE_MINUTES); today is recomputed every run. A feed that
    brings data for a past day opens it again (final = false) so the next run recomputes it.
    """

    day = models.DateField(unique=True)
    final = models.BooleanField(default=False)
    computed_at = models.DateTimeField(null=True, blank=True)
    domains = models.PositiveIntegerField(default=0, help_text="Domain snapshots written.")
    ips = models.PositiveIntegerField(default=0, help_text="IP snapshots written.")
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-day"]
        verbose_name = "snapshot day"

    def __str__(self) -> str:
        return f"{self.day} ({'final' if self.final else 'open'})"
