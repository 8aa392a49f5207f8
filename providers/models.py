from django.db import models

# Slugs the API promises never to rename (DESIGN.md → Public interfaces).
BUILTIN_SLUGS = (
    "google",
    "microsoft",
    "yahoo",
    "apple",
    "comcast",
    "united_internet",
    "yandex",
    "mailru",
    "zoho",
    "proton",
    "other",
)
OTHER = "other"


class MailboxProvider(models.Model):
    """A mailbox provider that judges reputation on its own (Gmail, Microsoft, Yahoo, …).

    A recipient domain belongs to a provider when it is one of its consumer domains, or when
    every one of its MX hosts ends with one of the provider's MX suffixes.
    """

    slug = models.SlugField(
        max_length=40,
        unique=True,
        help_text="Stable identifier used by the API and the sending pipeline.",
    )
    name = models.CharField(max_length=100)
    consumer_domains = models.JSONField(
        default=list,
        blank=True,
        help_text="Mailbox domains of the provider's own users (gmail.com, outlook.com, …).",
    )
    mx_suffixes = models.JSONField(
        default=list,
        blank=True,
        help_text="Host-name suffixes of the provider's MX servers (.google.com, …).",
    )
    position = models.PositiveSmallIntegerField(default=100, help_text="Order in lists.")
    notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_builtin(self) -> bool:
        return self.slug in BUILTIN_SLUGS


class RecipientDomain(models.Model):
    """What DNS said about a recipient domain's MX, cached until `expires_at`.

    The provider is not stored: it is derived from `mx_hosts` with the current registry, so an
    operator's edit of a provider's MX suffixes applies at once to every cached domain.
    """

    class Source(models.TextChoices):
        MX = "mx", "MX records"
        NO_MX = "no_mx", "No MX (NXDOMAIN, no records or null MX)"

    domain = models.CharField(max_length=253, unique=True, help_text="A-label, lower case.")
    source = models.CharField(max_length=10, choices=Source.choices)
    mx_hosts = models.JSONField(default=list, blank=True)
    checked_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [
            # The daily refresh job walks expired rows oldest first.
            models.Index(fields=["expires_at"], name="recipientdomain_expires_idx"),
        ]

    def __str__(self) -> str:
        return self.domain


class SmtpResponseRule(models.Model):
    """What a deferral or bounce reply means for the sending IP's reputation.

    Delivery events (ips app) are classified by the first enabled rule, in `position` order,
    whose every condition matches: the recipient's provider (blank: any), the SMTP reply code,
    the enhanced status code (or a range of them) and a regular expression searched in the reply
    text. Operators edit the rules in the admin; the defaults quote the providers' real replies.
    """

    class Category(models.TextChoices):
        THROTTLED = "throttled", "Throttled (rate limited: slow down)"
        BLOCKED = "blocked", "Blocked (rejected for reputation or policy)"
        BLOCKLISTED = "blocklisted", "Blocklisted (rejected because of a DNS blocklist)"
        HARD_BOUNCE = "hard_bounce", "Hard bounce (address does not exist: list quality)"
        SOFT_BOUNCE = "soft_bounce", "Soft bounce (temporary, not about reputation)"

    name = models.CharField(max_length=120)
    provider = models.ForeignKey(
        MailboxProvider,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="response_rules",
        help_text="Only for recipients at this provider; blank for every provider.",
    )
    smtp_codes = models.CharField(
        max_length=60,
        blank=True,
        help_text="Reply codes, comma-separated (421, 450); blank for any.",
    )
    enhanced_status = models.CharField(
        max_length=40,
        blank=True,
        help_text="An enhanced status code (4.7.28) or a range (5.7.606-5.7.649); blank for any.",
    )
    pattern = models.CharField(
        max_length=300,
        blank=True,
        help_text="A regular expression searched in the reply text, case-insensitive; blank "
        "for any.",
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    position = models.PositiveSmallIntegerField(
        default=100, help_text="Rules are tried in this order; the first match wins."
    )
    enabled = models.BooleanField(default=True)
    example = models.TextField(blank=True, help_text="A real reply this rule is meant for.")
    notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "SMTP response rule"

    def __str__(self) -> str:
        return self.name
