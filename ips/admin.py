"""Operators' admin for pools, IPs (readiness, per-provider table), profiles, pins and events."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count, Exists, OuterRef
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join

from accounts.admin import TenantAdmin
from ips import selectors, services
from ips.addresses import normalise_ip
from ips.models import (
    DedicatedIp,
    DeliveryEvent,
    DomainPoolPin,
    IpCheck,
    IpPool,
    IpWarmup,
    IpWarmupDay,
    IpWarmupDecision,
    WarmupProfile,
)
from ips.services.controls import ip_warmup_control
from ips.routing_cache import routing_cache_clear
from providers.models import MailboxProvider
from warmup_site.errors import ApplicationError


def _form_error(form, exc: ApplicationError):
    field = exc.field if exc.field in form.fields else None
    raise forms.ValidationError({field: exc.message} if field else exc.message) from None


# --- pools ---------------------------------------------------------------------------------------


class IpPoolForm(forms.ModelForm):
    class Meta:
        model = IpPool
        fields = ["account", "name", "is_default", "overflow_pool", "description"]

    def _get_validation_exclusions(self):
        # Saving moves the default flag from the previous default pool (ip_pool_save): the
        # one-default constraints hold after the save, not before it.
        return {*super()._get_validation_exclusions(), "is_default"}

    def clean(self):
        cleaned = super().clean()
        try:
            cleaned["name"] = services.ip_pool_validate(
                pool=self.instance,
                account=cleaned.get("account"),
                name=cleaned.get("name") or "",
                overflow_pool=cleaned.get("overflow_pool"),
            )
        except ApplicationError as exc:
            _form_error(self, exc)
        return cleaned


@admin.register(IpPool)
class IpPoolAdmin(TenantAdmin):
    form = IpPoolForm
    list_display = ["name", "account", "shared", "is_default", "overflow_pool", "ip_count"]
    list_filter = ["is_default", ("account", admin.EmptyFieldListFilter)]
    list_select_related = ["account", "overflow_pool"]
    search_fields = ["name", "account__name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(ip_count=Count("ips"))

    @admin.display(description="IPs", ordering="ip_count")
    def ip_count(self, obj):
        return obj.ip_count

    @admin.display(description="Shared", boolean=True)
    def shared(self, obj):
        return obj.is_shared

    def save_model(self, request, obj, form, change):
        services.ip_pool_save(
            pool=obj,
            account=form.cleaned_data.get("account"),
            name=form.cleaned_data["name"],
            is_default=form.cleaned_data.get("is_default") or None,
            overflow_pool=form.cleaned_data.get("overflow_pool"),
            description=form.cleaned_data.get("description", ""),
        )


# --- IPs ------------------------------------------------------------------------------------------


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


class OverrideForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        min_length=5,
        help_text="Recorded with your name. Example: 'PBL listing of our own range, "
        "delisting requested with the ISP on 2026-11-20'.",
    )


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
            from django.utils import timezone

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
        rows = selectors.ip_warmup_rows(ip_ids=[obj.pk]).get(obj.pk, [])
        if not rows:
            return "—"
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    r.provider_name,
                    r.state_display,
                    r.stage or "—",
                    r.daily_cap,
                    r.used_today,
                    r.remaining_now,
                    r.sending_days,
                    f"until {r.suspended_until:%Y-%m-%d %H:%M}: {r.suspension_reason}"
                    if r.suspended
                    else "—",
                    f"{r.last_decision['date']} {r.last_decision['kind']}: "
                    f"{r.last_decision['reason']}"
                    if r.last_decision
                    else "—",
                )
                for r in rows
            ),
        )
        return format_html(
            "<table><thead><tr><th>Provider</th><th>State</th><th>Stage</th><th>Cap today</th>"
            "<th>Used today</th><th>Open now</th><th>Sending days</th><th>Suspended</th>"
            "<th>Last decision</th></tr></thead><tbody>{}</tbody></table>",
            body,
        )

    @admin.display(description="History")
    def decision_history(self, obj):
        decisions = list(selectors.ip_warmup_decision_list(ip_id=obj.pk))
        if not decisions:
            return "No decision yet: the controller decides each day shortly after midnight UTC."
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} → {}</td><td>{} → {}</td>"
            "<td>{}</td><td>{}</td></tr>",
            (
                (
                    d.day,
                    f"{d.created_at:%H:%M}",
                    d.warmup.provider.name,
                    d.get_kind_display(),
                    d.from_stage,
                    d.to_stage,
                    d.from_cap,
                    d.to_cap,
                    d.actor.username if d.actor else "controller",
                    d.reason,
                )
                for d in decisions
            ),
        )
        return format_html(
            "<table><thead><tr><th>Day</th><th>At (UTC)</th><th>Provider</th><th>Decision</th>"
            "<th>Stage</th><th>Cap</th><th>By</th><th>Why</th></tr></thead><tbody>{}</tbody>"
            "</table>",
            body,
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
        if change:
            super().save_model(request, obj, form, change)  # hostname, or a move to a pool
            routing_cache_clear()
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
        counts = services.ips_readiness_check(ips=list(queryset))
        self.message_user(
            request,
            f"Checked: {counts['passed']} passed, {counts['failed']} failed, {counts['unknown']} "
            f"unknown (DNS did not answer); {counts['started']} started warming.",
        )

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
        form = OverrideForm(request.POST if "apply" in request.POST else None)
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


# --- per-provider warm-up and counters ---------------------------------------------------------


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
        "max_daily_growth",
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
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}–{}</td><td>{}</td></tr>",
            (
                (s.stage, s.daily_cap, s.days, s.first_day, s.last_day, s.engaged_days)
                for s in obj.stages()
            ),
        )
        return format_html(
            "<table><thead><tr><th>Stage</th><th>Daily cap</th><th>Days</th><th>Days of the "
            "warm-up</th><th>Engaged within (days)</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )


class DomainPoolPinForm(forms.ModelForm):
    class Meta:
        model = DomainPoolPin
        fields = ["domain", "pool"]

    def clean(self):
        cleaned = super().clean()
        domain, pool = cleaned.get("domain"), cleaned.get("pool")
        if domain and pool and pool.account_id not in (None, domain.account_id):
            raise forms.ValidationError(
                {"pool": "Pick a pool of the domain's own account, or a shared pool."}
            )
        return cleaned


@admin.register(DomainPoolPin)
class DomainPoolPinAdmin(TenantAdmin):
    form = DomainPoolPinForm
    list_display = ["domain", "account", "pool"]
    list_select_related = ["domain__account", "pool"]
    search_fields = ["domain__name", "pool__name"]

    def save_model(self, request, obj, form, change):
        pin = services.domain_pool_pin_set(domain=obj.domain, pool=obj.pool)
        obj.pk = pin.pk
        obj._state.adding = False

    def delete_model(self, request, obj):
        services.domain_pool_pin_set(domain=obj.domain, pool=None)

    def delete_queryset(self, request, queryset):
        for pin in queryset.select_related("domain"):
            services.domain_pool_pin_set(domain=pin.domain, pool=None)

    @admin.display(description="Account")
    def account(self, obj):
        return obj.domain.account


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
