"""Admin of delivery events (read-only: the sending pipeline writes them)."""

from django.contrib import admin

from accounts.admin import TenantAdmin
from ips.models import DeliveryEvent


@admin.register(DeliveryEvent)
class DeliveryEventAdmin(TenantAdmin):
    """What the sending pipeline reported. Read-only."""

    list_display = [
        "timestamp",
        "account",
        "type",
        "ip_address",
        "provider",
        "recipient",
        "smtp_code",
        "enhanced_status",
        "category",
    ]
    list_filter = ["type", "category", "provider"]
    list_select_related = ["account", "provider"]
    search_fields = ["event_id", "recipient", "ip_address", "sender_domain"]
    date_hierarchy = "timestamp"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
