"""Admin of the per-provider warm-up: its rows, day counters, decisions and the profiles.

The rows are read-only here: the controller, routing, event ingestion and the operators'
controls (on Dedicated IPs) write them.
"""

from django.contrib import admin
from django.template.loader import render_to_string

from accounts.admin import TenantAdmin
from ips.models import IpWarmup, IpWarmupDay, IpWarmupDecision, WarmupProfile


@admin.register(IpWarmup)
class IpWarmupAdmin(TenantAdmin):
    """Per (IP, provider) warm-up state. Read-only here: the warm-up controller and its
    operator actions change it."""

    list_display = [
        "ip",
        "provider",
        "state",
        "stage",
        "daily_cap",
        "sending_days",
        "suspended_until",
    ]
    list_filter = ["state", "provider"]
    list_select_related = ["ip", "provider"]
    search_fields = ["ip__address"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class _WarmupRecordAdmin(TenantAdmin):
    """Rows the warm-up writes about one (IP, provider): read-only here, listed with both."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="IP", ordering="warmup__ip__address")
    def ip(self, obj):
        return obj.warmup.ip

    @admin.display(description="Provider")
    def provider(self, obj):
        return obj.warmup.provider


@admin.register(IpWarmupDecision)
class IpWarmupDecisionAdmin(_WarmupRecordAdmin):
    """Every warm-up decision, the controller's and the operators'. Read-only: the record."""

    list_display = ["day", "ip", "provider", "kind", "from_stage", "to_stage", "to_cap", "actor"]
    list_filter = ["kind", "daily", "warmup__provider"]
    list_select_related = ["warmup__ip", "warmup__provider", "actor"]
    search_fields = ["warmup__ip__address", "reason"]
    date_hierarchy = "day"
    show_full_result_count = False


@admin.register(IpWarmupDay)
class IpWarmupDayAdmin(_WarmupRecordAdmin):
    """The day counters. Read-only: routing and event ingestion write them."""

    list_display = [
        "day",
        "ip",
        "provider",
        "cap",
        "routed",
        "delivered",
        "deferred",
        "bounced",
        "throttled",
        "blocked",
        "blocklisted",
        "complaints",
    ]
    list_filter = ["day", "warmup__provider"]
    list_select_related = ["warmup__ip", "warmup__provider"]
    search_fields = ["warmup__ip__address"]
    date_hierarchy = "day"


@admin.register(WarmupProfile)
class WarmupProfileAdmin(admin.ModelAdmin):
    list_display = [
        "provider",
        "start_cap",
        "growth",
        "target_cap",
        "min_days",
        "pacing_hours",
        "floor",
        "fast_growth",
        "stage_count",
    ]
    list_select_related = ["provider"]
    readonly_fields = ["stage_table"]

    @admin.display(description="Stages")
    def stage_count(self, obj):
        return obj.stage_count

    @admin.display(description="Stage table (as saved)")
    def stage_table(self, obj):
        if obj.pk is None:
            return "—"
        return render_to_string(
            "admin/ips/warmupprofile/stage_table.html", {"stages": obj.stages()}
        )
