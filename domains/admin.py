from django.contrib import admin, messages

from accounts.admin import TenantAdmin
from domains import services
from domains.models import DkimKey, Domain, DomainRecord


class DomainRecordInline(admin.TabularInline):
    """What the customer publishes and what the last check found: facts, so read-only."""

    model = DomainRecord
    extra = 0
    can_delete = False
    fields = [
        "kind",
        "type",
        "host",
        "value",
        "required",
        "status",
        "found",
        "detail",
        "checked_at",
    ]
    readonly_fields = fields
    ordering = ["position", "pk"]

    def has_add_permission(self, request, obj=None):
        return False


class DkimKeyInline(admin.TabularInline):
    """Selectors and states only: the private key is never shown (nor its ciphertext)."""

    model = DkimKey
    extra = 0
    can_delete = False
    fields = ["selector", "state", "created_at", "activated_at", "retired_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("private_key")


@admin.register(Domain)
class DomainAdmin(TenantAdmin):
    list_display = [
        "name",
        "account",
        "status",
        "verified_at",
        "last_checked_at",
        "consecutive_failures",
        "next_check_at",
    ]
    list_filter = ["status"]
    search_fields = ["name", "account__name", "account__slug"]
    list_select_related = ["account"]
    date_hierarchy = "created_at"
    fields = [
        "account",
        "name",
        "status",
        "verified_at",
        "failed_at",
        "problem",
        "consecutive_failures",
        "last_failure_on",
        "last_checked_at",
        "next_check_at",
        "last_verify_requested_at",
        "created_at",
    ]
    readonly_fields = fields
    inlines = [DomainRecordInline, DkimKeyInline]
    actions = ["verify_now"]

    def has_add_permission(self, request):
        # Adding makes a DKIM key and the records: customers do it on their page or the API.
        return False

    def has_change_permission(self, request, obj=None):
        # Nothing here is edited by hand; the view permission shows the page, actions act.
        return False

    def delete_model(self, request, obj):
        services.domain_delete(domain=obj)

    @admin.action(description="Verify now (check DNS for the selected domains)")
    def verify_now(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        summary, skipped = services.domains_verify_now(domain_ids=ids)
        if summary.checked:
            messages.success(request, summary.sentence().capitalize() + ".")
        if skipped:
            messages.warning(
                request,
                f"{skipped} domain{'s were' if skipped != 1 else ' was'} checked on demand "
                "moments ago and skipped; try again in a minute.",
            )
