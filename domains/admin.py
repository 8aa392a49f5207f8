from django.contrib import admin, messages

from accounts.admin import TenantAdmin
from domains import services
from domains.models import (
    DkimKey,
    Domain,
    DomainRecord,
    DomainWarmup,
    DomainWarmupDay,
    DomainWarmupPlan,
)


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


class DomainWarmupPlanInline(admin.TabularInline):
    """Where each provider's ramp stands and why (decisions are made by the plan step)."""

    model = DomainWarmupPlan
    extra = 0
    can_delete = False
    fields = ["provider", "started_on", "day", "volume", "state", "reason", "hold_until"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DomainWarmup)
class DomainWarmupAdmin(TenantAdmin):
    list_display = ["domain", "enabled", "state", "started_at", "changed_at", "changed_by"]
    list_filter = ["enabled", "state"]
    search_fields = ["domain__name"]
    list_select_related = ["domain"]
    readonly_fields = ["domain", "enabled", "state", "started_at", "changed_at", "changed_by"]
    inlines = [DomainWarmupPlanInline]

    def has_add_permission(self, request):
        return False


class DomainWarmupDayInline(admin.TabularInline):
    model = DomainWarmupDay
    extra = 0
    can_delete = False
    fields = ["date", "day", "decision", "volume", "sent", "inbox", "spam", "missing", "reason"]
    readonly_fields = fields
    ordering = ["-date"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DomainWarmupPlan)
class DomainWarmupPlanAdmin(TenantAdmin):
    list_display = ["warmup", "provider", "day", "volume", "state", "hold_until", "last_step_on"]
    list_filter = ["state", "provider"]
    list_select_related = ["warmup__domain", "provider"]
    readonly_fields = [
        "warmup",
        "provider",
        "started_on",
        "day",
        "step",
        "volume",
        "state",
        "reason",
        "hold_until",
        "last_step_on",
        "graduated_on",
    ]
    inlines = [DomainWarmupDayInline]

    def has_add_permission(self, request):
        return False
