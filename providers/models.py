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
