"""Admin of the per-provider warm-up: its rows (with the operators' controls), day counters,
decisions and the profiles.

The rows are changed only through the services: the controller, routing, event ingestion and
the operators' controls, which act here on the selected (IP, provider) rows as on Dedicated IPs.
Day counters and decisions are the record: read-only, never deleted here.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.loader import render_to_string
from django.template.response import TemplateResponse

from accounts.admin import TenantAdmin
from ips import warmup_rule
from ips.models import IpWarmup, IpWarmupDay, IpWarmupDecision, WarmupProfile
from ips.services.controls import ip_warmup_control
from warmup_site.errors import ApplicationError

# (action name, admin label, service action)
PAIR_CONTROLS = [
    ("pair_pause", "Pause the selected warm-ups…", "pause"),
    ("pair_resume", "Resume the selected warm-ups (at their stage)…", "resume"),
    ("pair_set_stage", "Set the stage of the selected warm-ups…", "set-stage"),
    ("pair_complete", "Complete the selected warm-ups (warm now)…", "complete"),
    ("pair_restart", "Restart the selected warm-ups from stage 1…", "restart"),
    ("pair_cancel_suspension", "Cancel the selected warm-ups' suspensions…", "cancel-suspension"),
]


class PairControlForm(forms.Form):
    stage = forms.IntegerField(
        min_value=1, required=False, help_text="For “set stage”: the stage to put them at."
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        min_length=5,
        help_text="Recorded with your name in each warm-up's decision history. Example: "
        "'Yahoo asked us to slow down (ticket 4411)'.",
    )


def _pair_action(name: str, label: str, control: str):
    def action(modeladmin, request, queryset):
        return modeladmin.pair_control(request, queryset, name=name, label=label, control=control)

    action.__name__ = name
    return admin.action(description=label)(action)


def _stages(profile: WarmupProfile | None) -> int:
    if profile is None:
        d = warmup_rule.DEFAULT_PROFILE
        caps = warmup_rule.stage_caps(
            start_cap=d["start_cap"], growth=d["growth"], target_cap=d["target_cap"]
        )
        return len(caps)
    return profile.stage_count


@admin.register(IpWarmup)
class IpWarmupAdmin(TenantAdmin):
    """Per (IP, provider) warm-up state. The fields are read-only; the actions (pause, resume,
    set stage, complete, restart, cancel a suspension) change the selected rows through the
    services, each change stored as a decision with the operator's name and reason."""

    list_display = [
        "ip",
        "provider",
        "state",
        "stage_of",
        "cap",
        "sending_days",
        "suspended_until",
    ]
    list_filter = ["state", "provider"]
    list_select_related = ["ip", "provider__warmup_profile"]
    search_fields = ["ip__address"]
    actions = [_pair_action(*control) for control in PAIR_CONTROLS]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Stage", ordering="stage")
    def stage_of(self, obj):
        if not obj.stage:
            return "—"
        profile = getattr(obj.provider, "warmup_profile", None)
        return f"{obj.stage} of {_stages(profile)}"

    @admin.display(description="Daily cap", ordering="daily_cap")
    def cap(self, obj):
        return f"{obj.daily_cap:,}"

    def pair_control(self, request, queryset, *, name: str, label: str, control: str):
        """The reason (and stage) form, then the service for each selected row."""
        form = PairControlForm(request.POST if "apply" in request.POST else None)
        pairs = list(queryset.select_related("ip", "provider"))
        if form.is_bound and form.is_valid():
            for pair in pairs:
                try:
                    ip_warmup_control(
                        ip=pair.ip,
                        action=control,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                        provider=pair.provider.slug,
                        stage=form.cleaned_data.get("stage"),
                    )
                except ApplicationError as exc:
                    self.message_user(request, f"{pair}: {exc.message}", messages.ERROR)
                else:
                    self.message_user(request, f"{pair.ip} at {pair.provider}: done, recorded.")
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": label.rstrip("…"),
            "pairs": pairs,
            "form": form,
            "action": name,
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/ips/ipwarmup/pair_control.html", context)


class _WarmupRecordAdmin(TenantAdmin):
    """Rows the warm-up writes about one (IP, provider): the record, read-only, never deleted
    here; listed with both."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="IP", ordering="warmup__ip__address")
    def ip(self, obj):
        return obj.warmup.ip

    @admin.display(description="Provider")
    def provider(self, obj):
        return obj.warmup.provider


@admin.register(IpWarmupDecision)
class IpWarmupDecisionAdmin(_WarmupRecordAdmin):
    """Every warm-up decision, the controller's and the operators'. Read-only: the audit
    trail. The figures each decision used are shown as a table."""

    list_display = ["day", "ip", "provider", "kind", "stage_change", "cap_change", "actor", "why"]
    list_filter = ["kind", "daily", "warmup__provider"]
    list_select_related = ["warmup__ip", "warmup__provider", "actor"]
    search_fields = ["warmup__ip__address", "reason"]
    date_hierarchy = "day"
    show_full_result_count = False
    fields = [
        "warmup",
        "day",
        "daily",
        "kind",
        "from_state",
        "to_state",
        "stage_change",
        "cap_change",
        "reason",
        "figures_table",
        "actor",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description="Stage")
    def stage_change(self, obj):
        return f"{obj.from_stage} → {obj.to_stage}"

    @admin.display(description="Cap")
    def cap_change(self, obj):
        return f"{obj.from_cap:,} → {obj.to_cap:,}"

    @admin.display(description="Why")
    def why(self, obj):
        return obj.reason if len(obj.reason) <= 140 else obj.reason[:139] + "…"

    @admin.display(description="Figures used")
    def figures_table(self, obj):
        return render_to_string(
            "admin/ips/ipwarmupdecision/figures.html", {"figures": _figure_rows(obj.figures)}
        )


def _figure_rows(figures) -> list[tuple[str, str]]:
    """A decision's figures (a JSON object) as (name, value) rows for a table."""
    if not isinstance(figures, dict):
        return [("figures", str(figures))]
    rows = []
    for key, value in figures.items():
        name = key.replace("_", " ")
        if isinstance(value, bool):
            shown = "yes" if value else "no"
        elif isinstance(value, int):
            shown = f"{value:,}"
        elif isinstance(value, float):
            shown = f"{value:,.4g}"
        elif isinstance(value, dict):
            shown = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in value.items()) or "—"
        elif isinstance(value, list):
            shown = ", ".join(str(v) for v in value) or "—"
        else:
            shown = "—" if value is None or value == "" else str(value)
        rows.append((name, shown))
    return rows


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
