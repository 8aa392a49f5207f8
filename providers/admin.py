from django import forms
from django.contrib import admin
from django.utils.html import format_html_join

from providers import responses, services
from providers.models import OTHER, MailboxProvider, RecipientDomain, SmtpResponseRule
from providers.registry import get_registry
from warmup_site.errors import ApplicationError


class LinesField(forms.CharField):
    """A list of strings edited as a textarea, one per line (commas also separate)."""

    widget = forms.Textarea(attrs={"rows": 8, "cols": 60})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [item.strip() for item in text.replace(",", "\n").splitlines() if item.strip()]


class MailboxProviderForm(forms.ModelForm):
    consumer_domains = LinesField(required=False, help_text="One domain per line.")
    mx_suffixes = LinesField(
        required=False, help_text="One suffix per line, e.g. .google.com (leading dot optional)."
    )

    class Meta:
        model = MailboxProvider
        fields = ["slug", "name", "position", "consumer_domains", "mx_suffixes", "notes"]

    def clean(self):
        cleaned = super().clean()
        try:
            domains, suffixes = services.provider_registry_validate(
                provider=self.instance,
                consumer_domains=cleaned.get("consumer_domains") or [],
                mx_suffixes=cleaned.get("mx_suffixes") or [],
            )
        except ApplicationError as exc:
            raise forms.ValidationError({exc.field: exc.message}) from None
        cleaned["consumer_domains"], cleaned["mx_suffixes"] = domains, suffixes
        return cleaned


@admin.register(MailboxProvider)
class MailboxProviderAdmin(admin.ModelAdmin):
    form = MailboxProviderForm
    list_display = ["name", "slug", "consumer_domain_count", "suffix_list", "position"]
    list_editable = ["position"]
    search_fields = ["name", "slug"]

    def get_readonly_fields(self, request, obj=None):
        # Built-in slugs are an API contract: the sending pipeline keys on them.
        return ["slug"] if obj is not None and obj.is_builtin else []

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.slug == OTHER:
            return False  # the fallback every unmatched domain lands in
        return super().has_delete_permission(request, obj)

    @admin.display(description="Consumer domains")
    def consumer_domain_count(self, obj):
        return len(obj.consumer_domains)

    @admin.display(description="MX suffixes")
    def suffix_list(self, obj):
        return ", ".join(obj.mx_suffixes)

    def save_model(self, request, obj, form, change):
        services.provider_save(provider=obj)

    def delete_model(self, request, obj):
        services.providers_delete(providers=MailboxProvider.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.providers_delete(providers=queryset)


@admin.register(RecipientDomain)
class RecipientDomainAdmin(admin.ModelAdmin):
    """The MX cache. Read-only: rows are facts from DNS; delete one to force a fresh lookup."""

    list_display = ["domain", "provider", "source", "mx", "checked_at", "expires_at"]
    list_filter = ["source"]
    search_fields = ["domain"]
    readonly_fields = ["domain", "provider", "source", "mx_hosts", "checked_at", "expires_at"]
    fields = readonly_fields
    date_hierarchy = "checked_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Provider")
    def provider(self, obj):
        return get_registry().provider_for_mx(obj.mx_hosts) if obj.mx_hosts else OTHER

    @admin.display(description="MX hosts")
    def mx(self, obj):
        return format_html_join(", ", "{}", ((h,) for h in obj.mx_hosts))


class SmtpResponseRuleForm(forms.ModelForm):
    class Meta:
        model = SmtpResponseRule
        fields = [
            "name",
            "position",
            "enabled",
            "provider",
            "smtp_codes",
            "enhanced_status",
            "pattern",
            "category",
            "example",
            "notes",
        ]

    def _parsed(self, field, parse):
        value = self.cleaned_data.get(field, "")
        try:
            parse(value)
        except ValueError as exc:
            raise forms.ValidationError(f"{exc}.") from None
        return value.strip()

    def clean_smtp_codes(self):
        return self._parsed("smtp_codes", responses.parse_codes)

    def clean_enhanced_status(self):
        return self._parsed("enhanced_status", responses.parse_status_range)

    def clean_pattern(self):
        return self._parsed("pattern", responses.compile_pattern)

    def clean(self):
        cleaned = super().clean()
        example = cleaned.get("example", "")
        if example and not self.errors:
            # The example is the rule's own test: it must match the rule being saved.
            rule = responses.CompiledRule(
                id=0,
                name="",
                provider=None,
                codes=responses.parse_codes(cleaned.get("smtp_codes", "")),
                statuses=responses.parse_status_range(cleaned.get("enhanced_status", "")),
                regex=responses.compile_pattern(cleaned.get("pattern", "")),
                category="",
            )
            code, status = responses.reply_parts(example)
            if not rule.matches(
                provider="", code=code, status=responses.parse_status(status), text=example
            ):
                raise forms.ValidationError(
                    {"example": "The example reply does not match this rule's conditions."}
                )
        return cleaned


@admin.register(SmtpResponseRule)
class SmtpResponseRuleAdmin(admin.ModelAdmin):
    """Which deferral and bounce replies mean throttling, blocking, a listing or a bad address."""

    form = SmtpResponseRuleForm
    list_display = [
        "position",
        "name",
        "provider",
        "category",
        "smtp_codes",
        "enhanced_status",
        "pattern",
        "enabled",
    ]
    list_display_links = ["name"]
    list_editable = ["position", "enabled"]
    list_filter = ["category", "enabled", "provider"]
    list_select_related = ["provider"]
    search_fields = ["name", "pattern", "enhanced_status", "example"]
