"""Operators manage the seed network here and look at warm-up messages and what seeds did.

Secrets are write-only: the form has empty password fields that are never rendered back; blank
means "unchanged". The stored ciphertext is never shown either.
"""

from django import forms
from django.contrib import admin, messages

from accounts.admin import TenantAdmin
from accounts.tenancy import is_operator
from engagement.models import (
    PlacementTest,
    PlacementTestSeed,
    SeedAction,
    SeedMailbox,
    WarmupMessage,
)
from engagement.services.seeds import seed_rotation_set, seed_save, seed_test_connection


class SeedMailboxForm(forms.ModelForm):
    new_secret = forms.CharField(
        label="Password or refresh token",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only. Leave blank to keep the stored one.",
    )
    new_oauth_client_secret = forms.CharField(
        label="OAuth2 client secret",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only (OAuth2 seeds). Leave blank to keep the stored one.",
    )

    oauth_token_url = forms.URLField(
        label="OAuth2 token URL", required=False, assume_scheme="https"
    )

    class Meta:
        model = SeedMailbox
        # The encrypted fields are never form fields (EncryptedTextField has none).
        fields = [
            "provider",
            "address",
            "username",
            "sandbox",
            "auth",
            "oauth_token_url",
            "oauth_client_id",
            "imap_host",
            "imap_port",
            "imap_tls",
            "smtp_host",
            "smtp_port",
            "smtp_tls",
            "state",
            "state_reason",
        ]

    def clean(self):
        data = super().clean()
        if not self.instance.pk and not data.get("new_secret"):
            self.add_error("new_secret", "A new seed needs its password or refresh token.")
        return data


@admin.register(SeedMailbox)
class SeedMailboxAdmin(admin.ModelAdmin):
    form = SeedMailboxForm
    list_display = [
        "address",
        "provider",
        "auth",
        "state",
        "spam_folder",
        "last_checked_at",
        "last_error_at",
        "sandbox",
    ]
    list_filter = ["state", "provider", "auth", "sandbox"]
    search_fields = ["address", "username", "imap_host"]
    readonly_fields = [
        "spam_folder",
        "last_checked_at",
        "last_error",
        "last_error_at",
        "created_at",
    ]
    actions = ["test_connection", "take_out_of_rotation", "put_back_in_rotation"]
    fieldsets = [
        (None, {"fields": ["provider", "address", "username", "sandbox"]}),
        (
            "Authentication",
            {
                "fields": [
                    "auth",
                    "new_secret",
                    "oauth_token_url",
                    "oauth_client_id",
                    "new_oauth_client_secret",
                ]
            },
        ),
        ("IMAP", {"fields": ["imap_host", "imap_port", "imap_tls"]}),
        ("SMTP (replies)", {"fields": ["smtp_host", "smtp_port", "smtp_tls"]}),
        (
            "Health",
            {
                "fields": [
                    "state",
                    "state_reason",
                    "spam_folder",
                    "last_checked_at",
                    "last_error",
                    "last_error_at",
                    "created_at",
                ]
            },
        ),
    ]

    # The seed network is shared by every account: operators only.
    def has_module_permission(self, request):
        return is_operator(request.user)

    def has_view_permission(self, request, obj=None):
        return is_operator(request.user)

    def has_add_permission(self, request):
        return is_operator(request.user)

    def has_change_permission(self, request, obj=None):
        return is_operator(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_operator(request.user)

    def save_model(self, request, obj, form, change):
        seed_save(
            seed=obj,
            secret=form.cleaned_data.get("new_secret") or None,
            oauth_client_secret=form.cleaned_data.get("new_oauth_client_secret") or None,
        )

    @admin.action(description="Test connection (log in, find the spam folder)")
    def test_connection(self, request, queryset):
        for seed in queryset.select_related("provider"):
            report = seed_test_connection(seed=seed)
            level = messages.SUCCESS if report.ok else messages.ERROR
            folder = f" Spam folder: {report.spam_folder}." if report.spam_folder else ""
            self.message_user(request, f"{seed.address}: {report.message}{folder}", level)

    @admin.action(description="Take out of rotation")
    def take_out_of_rotation(self, request, queryset):
        seeds = list(queryset)
        for seed in seeds:
            seed_rotation_set(seed=seed, active=False, actor=request.user.get_username())
        self.message_user(request, f"{len(seeds)} seeds taken out of rotation.")

    @admin.action(description="Put back in rotation")
    def put_back_in_rotation(self, request, queryset):
        seeds = list(queryset)
        for seed in seeds:
            seed_rotation_set(seed=seed, active=True)
        self.message_user(request, f"{len(seeds)} seeds back in rotation.")


class SeedActionInline(admin.TabularInline):
    model = SeedAction
    extra = 0
    can_delete = False
    fields = ["at", "kind", "detail"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WarmupMessage)
class WarmupMessageAdmin(TenantAdmin):
    """Facts about sent mail: read-only."""

    list_display = [
        "message_id",
        "domain",
        "provider",
        "seed",
        "status",
        "placement",
        "category",
        "stage",
        "scheduled_at",
        "sent_at",
    ]
    list_filter = ["status", "placement", "stage", "provider"]
    search_fields = ["message_id", "domain__name", "seed__address", "subject"]
    list_select_related = ["domain", "provider", "seed"]
    inlines = [SeedActionInline]
    date_hierarchy = "scheduled_at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PlacementTestSeedInline(admin.TabularInline):
    model = PlacementTestSeed
    extra = 0
    can_delete = False
    fields = ["provider", "address", "placement", "folder", "found_at", "spf", "dkim", "dmarc"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PlacementTest)
class PlacementTestAdmin(TenantAdmin):
    """Customers' placement tests and where each copy landed: read-only."""

    list_display = ["token", "domain", "created_at", "expires_at", "created_by"]
    search_fields = ["token", "domain__name"]
    list_select_related = ["domain"]
    inlines = [PlacementTestSeedInline]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
