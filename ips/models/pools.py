"""Pools, dedicated IPs, their readiness checks, and domains pinned to a pool."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Account
from accounts.tenancy import TenantModel
from domains.models import Domain


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
    capacity = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Shared pools: the messages a day the whole pool can carry (every provider). "
        "Routing never refuses for it; operators are alerted when a day nears it. Blank: no "
        "limit known.",
    )
    capacity_alerted_on = models.DateField(
        null=True, blank=True, help_text="The last day operators were told the pool neared it."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "IP pool"
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
        verbose_name = "IP check"
        ordering = ["ip", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["ip", "name"], name="ipcheck_unique_ip_name"),
        ]

    def __str__(self) -> str:
        """Reads the IP (select_related it in lists)."""
        return f"{self.ip} {self.name}: {self.get_status_display()}"

    @property
    def passes(self) -> bool:
        return self.status == self.Status.PASS or self.overridden


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


class AccountIpSettings(TenantModel):
    """An account's choices about its dedicated IPs (Amazon SES's `AutoWarmupEnabled`)."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="ip_settings")
    auto_warmup_enabled = models.BooleanField(
        default=True,
        help_text="New dedicated IPs warm up provider by provider. Off: they take full traffic "
        "as soon as their readiness checks pass — at the risk of throttling and blocks.",
    )
    changed_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name = "account IP settings"
        verbose_name_plural = "account IP settings"

    def __str__(self) -> str:
        return f"IP settings of {self.account}"
