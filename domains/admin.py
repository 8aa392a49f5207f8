from django.conf import settings
from django.contrib import admin, messages
from django.utils import timezone

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
from domains.warmup_progress import PAUSED, plan_progress
from warmup_site import panels


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
    # The change page adds the domain's charts (the `admin_domain` panel slot, filled by
    # reputation).
    change_form_template = "admin/domains/domain/change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        domain = self.get_object(request, object_id)
        found = panels.panels("admin_domain", request=request, domain=domain) if domain else []
        extra = {**(extra_context or {}), "panels": found, "charts": panels.with_charts(found)}
        return super().change_view(request, object_id, form_url, extra)

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


def _progress(plan: DomainWarmupPlan) -> str:
    """'day 4 of ~7 · warm around 3 Dec' (domains/warmup_progress.py; no query)."""
    progress = plan_progress(
        state=plan.state if plan.warmup.enabled else PAUSED,
        day=plan.day,
        step=plan.step,
        ramp_length=len(settings.WARMUP_DOMAIN_RAMP),
        hold_until=plan.hold_until,
        graduated_on=plan.graduated_on,
        last_step_on=plan.last_step_on,
        today=timezone.now().date(),
        inbox_rate_needed=settings.WARMUP_GRADUATE_INBOX_RATE,
    )
    if progress.estimated_finish and plan.state != DomainWarmupPlan.State.WARM:
        return f"{progress.label} · warm around {progress.estimated_finish:%Y-%m-%d}"
    return progress.label


class DomainWarmupPlanInline(admin.TabularInline):
    """Where each provider's ramp stands and why (decisions are made by the plan step)."""

    model = DomainWarmupPlan
    extra = 0
    can_delete = False
    fields = ["provider", "started_on", "progress", "volume", "state", "reason", "hold_until"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Progress")
    def progress(self, obj):
        return _progress(obj)


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

    def has_delete_permission(self, request, obj=None):
        # Its plans and their days are the record of every decision: switch it off instead.
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
    list_display = ["warmup", "provider", "progress", "volume", "state", "hold_until"]
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

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the plan's days are the record of its decisions

    @admin.display(description="Progress")
    def progress(self, obj):
        return _progress(obj)
