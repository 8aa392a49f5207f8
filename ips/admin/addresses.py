"""Admin of dedicated IPs: adding them, their readiness checks and overrides, the per-provider
table and decision history, and the warm-up controls (each a recorded decision)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html

from accounts.admin import TenantAdmin
from ips import selectors, services
from ips.addresses import normalise_ip
from ips.admin.common import ReasonForm
from ips.models import DedicatedIp, IpCheck, IpWarmup
from ips.services.controls import ip_warmup_control
from providers.models import MailboxProvider
from warmup_site import panels
from warmup_site.errors import ApplicationError


class DedicatedIpAddForm(forms.ModelForm):
    warm = forms.BooleanField(
        required=False,
        help_text="The IP already has a good sending reputation (moved in, or a shared IP): it "
        "routes as warm at once, within the post-warm-up growth limit. Leave unticked for a "
        "new IP: it is checked and then warmed up provider by provider.",
    )

    class Meta:
        model = DedicatedIp
        fields = ["address", "hostname", "pool"]

    def clean_address(self):
        try:
            return normalise_ip(self.cleaned_data["address"])
        except ValueError as exc:
            raise forms.ValidationError(f"{self.cleaned_data['address']!r} {exc}.") from None


class WarmupControlForm(forms.Form):
    provider = forms.ModelChoiceField(
        queryset=MailboxProvider.objects.order_by("position", "name"),
        required=False,
        to_field_name="slug",
        empty_label="every provider",
        help_text="Act on one provider only, or on all of them.",
    )
    stage = forms.IntegerField(
        min_value=1, required=False, help_text="For “set stage”: the stage to put it at."
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        min_length=5,
        help_text="Recorded with your name in the decision history. Example: 'Customer moved "
        "their newsletter to Thursday; pausing until then'.",
    )


# (action name, admin label, service action)
WARMUP_CONTROLS = [
    ("warmup_pause", "Pause the warm-up…", "pause"),
    ("warmup_resume", "Resume the warm-up (at the stage it was at)…", "resume"),
    ("warmup_set_stage", "Set the warm-up stage…", "set-stage"),
    ("warmup_complete", "Complete the warm-up (warm now)…", "complete"),
    ("warmup_restart", "Restart the warm-up from stage 1…", "restart"),
    ("warmup_cancel_suspension", "Cancel a fast back-off suspension…", "cancel-suspension"),
]


class WarmupStateFilter(admin.SimpleListFilter):
    """IPs with at least one provider in a warm-up state (EXISTS: one row per IP)."""

    title = "warm-up state at a provider"
    parameter_name = "warmup_state"

    def lookups(self, request, model_admin):
        return [
            (IpWarmup.State.WARMING, "warming"),
            (IpWarmup.State.BACKOFF, "backoff"),
            (IpWarmup.State.COOLING, "cooling"),
            (IpWarmup.State.PAUSED, "paused"),
            ("suspended", "suspended now"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        pairs = IpWarmup.objects.filter(ip=OuterRef("pk"))
        if value == "suspended":
            pairs = pairs.filter(suspended_until__gt=timezone.now())
        else:
            pairs = pairs.filter(state=value)
        return queryset.filter(Exists(pairs))


def _control_action(name: str, label: str, control: str):
    def action(modeladmin, request, queryset):
        return modeladmin.warmup_control(request, queryset, name=name, label=label, control=control)

    action.__name__ = name
    return admin.action(description=label)(action)


class IpCheckInline(admin.TabularInline):
    model = IpCheck
    extra = 0
    can_delete = False
    fields = ["name", "status", "overridden", "detail", "error", "checked_at", "attempted_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DedicatedIp)
class DedicatedIpAdmin(TenantAdmin):
    list_display = [
        "address",
        "pool",
        "account",
        "state",
        "warmup_percentage",
        "readiness",
        "readiness_checked_at",
        "next_check_at",
    ]
    list_filter = [
        "state",
        WarmupStateFilter,
        "readiness",
        ("pool__account", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["pool__account"]
    search_fields = ["address", "hostname", "pool__name", "pool__account__name"]
    inlines = [IpCheckInline]
    actions = [
        "check_now",
        "override_readiness",
        "start_warmup",
        "retire",
        *(_control_action(*control) for control in WARMUP_CONTROLS),
    ]
    readonly_fields = [
        "state",
        "state_changed_at",
        "readiness",
        "readiness_checked_at",
        "readiness_override",
        "next_check_at",
        "providers_table",
        "decision_history",
        "created_at",
    ]
    fieldsets = [
        (None, {"fields": ["address", "hostname", "pool", "state", "state_changed_at"]}),
        (
            "Readiness",
            {
                "fields": [
                    "readiness",
                    "readiness_checked_at",
                    "readiness_override",
                    "next_check_at",
                ]
            },
        ),
        ("Warm-up by provider, today (UTC)", {"fields": ["providers_table"]}),
        ("Warm-up decisions, newest first", {"fields": ["decision_history"]}),
        (None, {"fields": ["created_at"]}),
    ]

    # The change page adds the IP's charts (the `admin_ip` panel slot, filled by reputation).
    change_form_template = "admin/ips/dedicatedip/change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        ip = self.get_object(request, object_id)
        found = panels.panels("admin_ip", request=request, ip=ip) if ip else []
        extra = {**(extra_context or {}), "panels": found, "charts": panels.with_charts(found)}
        return super().change_view(request, object_id, form_url, extra)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = DedicatedIpAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["address", "hostname", "pool", "warm"]})]
        return self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["address", *self.readonly_fields]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_changelist_instance(self, request):
        # The warm-up percentage of the page's IPs in two queries, not two per row.
        changelist = super().get_changelist_instance(request)
        ips = list(changelist.result_list)
        rows = selectors.ip_warmup_rows(ip_ids=[ip.pk for ip in ips])
        for ip in ips:
            ip.warmup_percent = selectors.ip_warmup_percentage(rows.get(ip.pk, []))
        changelist.result_list = ips  # the page, evaluated once, with the figures
        return changelist

    @admin.display(description="Warm-up")
    def warmup_percentage(self, obj):
        """As Amazon SES reports it: 100 when warm; the mean over the started providers."""
        percent = getattr(obj, "warmup_percent", None)
        return "—" if percent is None else f"{percent}%"

    @admin.display(description="Account", ordering="pool__account__name")
    def account(self, obj):
        return obj.pool.account or "— shared —"

    @admin.display(description="Override")
    def readiness_override(self, obj):
        if not obj.readiness_override_at:
            return "—"
        return format_html(
            "{} on {:%Y-%m-%d %H:%M} UTC: {}",
            obj.readiness_override_by or "a deleted user",
            obj.readiness_override_at,
            obj.readiness_override_reason,
        )

    @admin.display(description="Providers")
    def providers_table(self, obj):
        rows = selectors.ip_warmup_rows(ip_ids=[obj.pk], with_estimates=True).get(obj.pk, [])
        return render_to_string("admin/ips/dedicatedip/providers_table.html", {"rows": rows})

    @admin.display(description="History")
    def decision_history(self, obj):
        decisions = list(selectors.ip_warmup_decision_list(ip_id=obj.pk))
        return render_to_string(
            "admin/ips/dedicatedip/decision_history.html", {"decisions": decisions}
        )

    def warmup_control(self, request, queryset, *, name: str, label: str, control: str):
        """The warm-up controls: a form for the reason (and provider, stage), then the service
        for each selected IP; every change is a recorded decision."""
        form = WarmupControlForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            provider = form.cleaned_data.get("provider")
            for ip in queryset:
                try:
                    decisions = ip_warmup_control(
                        ip=ip,
                        action=control,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                        provider=provider.slug if provider else None,
                        stage=form.cleaned_data.get("stage"),
                    )
                except ApplicationError as exc:
                    self.message_user(request, f"{ip.address}: {exc.message}", messages.ERROR)
                else:
                    self.message_user(
                        request, f"{ip.address}: {len(decisions)} provider(s) changed, recorded."
                    )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": label.rstrip("…"),
            "ips": queryset,
            "form": form,
            "action": name,
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/ips/dedicatedip/warmup_control.html", context)

    def save_model(self, request, obj, form, change):
        if change:  # the hostname, or a move to another pool
            services.ip_update(ip=obj, hostname=obj.hostname, pool=obj.pool)
            return
        created = services.ip_create(
            pool=obj.pool,
            address=obj.address,
            hostname=obj.hostname,
            warm=form.cleaned_data.get("warm", False),
        )
        obj.pk = created.pk
        obj._state.adding = False

    @admin.action(description="Check reverse DNS and blocklists now")
    def check_now(self, request, queryset):
        summary = services.ips_readiness_check(ips=list(queryset))
        self.message_user(request, summary.sentence()[0].upper() + summary.sentence()[1:] + ".")

    @admin.action(description="Start warm-up (checks must have passed)")
    def start_warmup(self, request, queryset):
        for ip in queryset:
            try:
                services.ip_warmup_start(ip=ip)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, f"{ip.address} is warming up.")

    @admin.action(description="Retire (stop routing to it)")
    def retire(self, request, queryset):
        for ip in queryset:
            services.ip_retire(ip=ip)
        self.message_user(request, f"Retired {queryset.count()} IPs.")

    @admin.action(description="Override the readiness checks…")
    def override_readiness(self, request, queryset):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            for ip in queryset:
                try:
                    ip = services.ip_readiness_override(
                        ip=ip, actor=request.user, reason=form.cleaned_data["reason"]
                    )
                except ApplicationError as exc:
                    self.message_user(request, exc.message, messages.ERROR)
                else:
                    self.message_user(
                        request, f"{ip.address}: checks overridden; it is now {ip.state}."
                    )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Override the readiness checks",
            "ips": queryset,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/ips/dedicatedip/override_readiness.html", context)
