"""Operators' admin of each account's IP settings (Amazon SES's AutoWarmupEnabled) and the floor
report: whether each account's volume keeps its warm IPs over each provider's floor."""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path

from accounts.admin import TenantAdmin
from ips import selectors
from ips.models import AccountIpSettings
from ips.services.warmup import account_ip_warmup_set


@admin.register(AccountIpSettings)
class AccountIpSettingsAdmin(TenantAdmin):
    list_display = ["account", "auto_warmup_enabled", "changed_at", "changed_by"]
    list_filter = ["auto_warmup_enabled"]
    list_select_related = ["account"]
    search_fields = ["account__name", "account__slug"]
    fields = ["account", "auto_warmup_enabled", "changed_at", "changed_by"]
    readonly_fields = ["changed_at", "changed_by"]
    change_list_template = "admin/ips/accountipsettings/change_list.html"

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "account"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        saved = account_ip_warmup_set(
            account=obj.account,
            enabled=form.cleaned_data["auto_warmup_enabled"],
            actor=request.user.get_username(),
        )
        obj.pk = saved.pk
        obj._state.adding = False

    def get_urls(self):
        report = self.admin_site.admin_view(self.floor_report_view)
        return [
            path("floor-report/", report, name="ips_accountipsettings_floor_report"),
            *super().get_urls(),
        ]

    def floor_report_view(self, request):
        """Every account and provider with warm dedicated IPs: the last week's daily volume
        through them and how many IPs it keeps at the floor; shortfalls first."""
        lines = sorted(
            selectors.floor_report(),
            key=lambda line: (-line.shortfall, line.account_name, line.provider_name),
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "Floor report: can each account's volume keep its warm IPs warm?",
            "opts": self.model._meta,
            "lines": lines,
            "short": sum(1 for line in lines if line.shortfall),
            "floor_days": selectors.FLOOR_DAYS,
        }
        return TemplateResponse(request, "admin/ips/accountipsettings/floor_report.html", context)
