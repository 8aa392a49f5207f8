"""Reputation in the admin: snapshots (read-only), feed connections (secrets write-only),
notification preferences, webhook endpoints with their delivery log and a "send test event"
action, notification events (read-only). Charts come with the dashboards."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.html import format_html_join

from accounts.admin import TenantAdmin
from accounts.tenancy import is_operator
from reputation.dashboards import fleet
from reputation.models import (
    DEFAULT_KINDS,
    DomainSnapshot,
    FeedConnection,
    IpSnapshot,
    Kind,
    NotificationEvent,
    NotificationPreference,
    PostmasterDomainDay,
    SnapshotDay,
    SndsIpDay,
    WarmupFleet,
    WebhookDelivery,
    WebhookEndpoint,
)
from reputation.services import feeds, webhooks
from warmup_site.errors import ApplicationError

KIND_CHOICES = [(k, Kind(k).label) for k in DEFAULT_KINDS]


class ReadOnlyAdmin(TenantAdmin):
    """Facts written by jobs: looked at, never edited here."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SnapshotAdmin(ReadOnlyAdmin):
    list_filter = ["reputation", "deliverability", "provider", "day"]
    date_hierarchy = "day"
    list_select_related = ["provider"]

    @admin.display(description="Factors")
    def factor_sentences(self, obj):
        return "; ".join(f["sentence"] for f in obj.factors) or "—"


@admin.register(DomainSnapshot)
class DomainSnapshotAdmin(SnapshotAdmin):
    list_display = [
        "day",
        "domain",
        "provider",
        "reputation",
        "deliverability",
        "score",
        "delivered",
        "complaints",
        "inbox",
        "spam",
        "pm_spam_rate",
        "sentence",
    ]
    list_select_related = ["provider", "domain"]
    search_fields = ["domain__name"]


@admin.register(IpSnapshot)
class IpSnapshotAdmin(SnapshotAdmin):
    list_display = [
        "day",
        "ip",
        "provider",
        "reputation",
        "deliverability",
        "score",
        "warmup_state",
        "cap",
        "used",
        "delivered",
        "throttled",
        "snds_filter",
        "sentence",
    ]
    list_select_related = ["provider", "ip"]
    search_fields = ["ip__address"]


@admin.register(SnapshotDay)
class SnapshotDayAdmin(admin.ModelAdmin):
    list_display = ["day", "final", "computed_at", "domains", "ips", "seconds"]
    list_filter = ["final"]

    def has_module_permission(self, request):
        return is_operator(request.user)

    def has_view_permission(self, request, obj=None):
        return is_operator(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- feeds ---------------------------------------------------------------------------------------


class FeedConnectionForm(forms.ModelForm):
    new_secret = forms.CharField(
        label="Secret",
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text="The refresh token, the service account's JSON key file, or the SNDS key. "
        "Write-only: leave blank to keep the stored one.",
    )
    new_client_secret = forms.CharField(
        label="OAuth client secret",
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Refresh tokens only. Write-only: leave blank to keep the stored one.",
    )

    class Meta:
        model = FeedConnection
        fields = ["account", "kind", "auth", "client_id", "delegated_user", "enabled"]

    def clean(self):
        data = super().clean()
        if not self.instance.pk and not data.get("new_secret"):
            self.add_error("new_secret", "A new connection needs its secret.")
        return data


@admin.register(FeedConnection)
class FeedConnectionAdmin(TenantAdmin):
    form = FeedConnectionForm
    list_display = [
        "__str__",
        "identity",
        "status",
        "last_success_at",
        "fetched_through",
        "next_fetch_at",
        "short_error",
    ]
    list_filter = ["kind", "status", "enabled"]
    list_select_related = ["account"]
    readonly_fields = [
        "identity",
        "status",
        "status_detail",
        "last_error",
        "error_since",
        "failures",
        "last_attempt_at",
        "last_success_at",
        "next_fetch_at",
        "fetched_through",
        "created_at",
    ]
    actions = ["fetch_now"]

    @admin.display(description="Last error")
    def short_error(self, obj):
        return obj.last_error[:120] or "—"

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        secret = data.get("new_secret")
        if secret:
            try:
                saved = feeds.feed_connection_set(
                    account=data.get("account"),
                    kind=data["kind"],
                    auth=data.get("auth"),
                    secret=secret,
                    client_id=data.get("client_id") or "",
                    client_secret=data.get("new_client_secret") or "",
                    delegated_user=data.get("delegated_user") or "",
                )
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return
            obj.pk = saved.pk
            if not data.get("enabled", True):
                FeedConnection.objects.filter(pk=saved.pk).update(enabled=False)
        else:
            obj.save()

    @admin.action(description="Fetch now")
    def fetch_now(self, request, queryset):
        for feed in queryset:
            feed = feeds.feed_fetch(feed=feed)
            level = messages.ERROR if feed.last_error else messages.SUCCESS
            said = feed.last_error or feed.status_detail
            self.message_user(request, f"{feed}: {feed.get_status_display()} — {said}", level)


@admin.register(PostmasterDomainDay)
class PostmasterDomainDayAdmin(ReadOnlyAdmin):
    list_display = ["day", "domain", "spam_rate", "spf_rate", "dkim_rate", "dmarc_rate"]
    list_select_related = ["domain"]
    date_hierarchy = "day"
    search_fields = ["domain__name"]


@admin.register(SndsIpDay)
class SndsIpDayAdmin(ReadOnlyAdmin):
    list_display = ["day", "address", "filter_result", "complaint_text", "trap_hits", "rcpt"]
    list_filter = ["filter_result"]
    date_hierarchy = "day"
    search_fields = ["address"]


# --- notifications -------------------------------------------------------------------------------


class KindsField(forms.MultipleChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("choices", KIND_CHOICES)
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        super().__init__(**kwargs)


class NotificationPreferenceForm(forms.ModelForm):
    kinds = KindsField(help_text="The events this account receives.")

    class Meta:
        model = NotificationPreference
        fields = ["account", "kinds", "email", "digest", "extra_recipients"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(TenantAdmin):
    form = NotificationPreferenceForm
    list_display = ["account", "email", "digest", "updated_at"]
    list_select_related = ["account"]


class WebhookEndpointForm(forms.ModelForm):
    kinds = KindsField(help_text="Leave all unticked to receive every kind.")
    url = forms.URLField(max_length=500, assume_scheme="https")

    class Meta:
        model = WebhookEndpoint
        fields = ["account", "url", "kinds", "description", "active"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(TenantAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "account", "active", "secret_prefix", "created_at"]
    list_filter = ["active"]
    list_select_related = ["account"]
    readonly_fields = ["secret_prefix", "created_at", "recent_deliveries"]
    actions = ["send_test_event", "rotate_secret"]

    @admin.display(description="Last deliveries")
    def recent_deliveries(self, obj):
        rows = obj.deliveries.order_by("-created_at")[:10] if obj.pk else []
        return (
            format_html_join(
                "",
                "<div>{} {} — {} (HTTP {}, {} attempts) {}</div>",
                (
                    (
                        f"{d.created_at:%Y-%m-%d %H:%M}",
                        d.kind,
                        d.get_status_display(),
                        d.status_code or "—",
                        d.attempts,
                        d.error,
                    )
                    for d in rows
                ),
            )
            or "—"
        )

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            return
        data = form.cleaned_data
        try:
            endpoint, secret = webhooks.webhook_endpoint_create(
                account=data.get("account"),
                url=data["url"],
                kinds=data.get("kinds"),
                description=data.get("description", ""),
            )
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk = endpoint.pk
        self.message_user(
            request,
            f"Signing secret for {endpoint.url}: {secret} — copy it now, it is not shown again.",
            messages.WARNING,
        )

    @admin.action(description="Send test event")
    def send_test_event(self, request, queryset):
        for endpoint in queryset:
            delivery = webhooks.webhook_send_test(endpoint=endpoint)
            ok = delivery.status == WebhookDelivery.Status.SUCCEEDED
            said = f"HTTP {delivery.status_code}" if delivery.status_code else delivery.error
            self.message_user(
                request,
                f"{endpoint.url}: {said} ({delivery.get_status_display()})",
                messages.SUCCESS if ok else messages.ERROR,
            )

    @admin.action(description="Rotate the signing secret (shown once)")
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            secret = webhooks.webhook_secret_rotate(endpoint=endpoint)
            self.message_user(
                request,
                f"New signing secret for {endpoint.url}: {secret} — copy it now.",
                messages.WARNING,
            )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "endpoint",
        "kind",
        "status",
        "attempts",
        "status_code",
        "error",
        "next_attempt_at",
    ]
    list_filter = ["status", "kind"]
    list_select_related = ["endpoint"]
    search_fields = ["endpoint__url"]
    date_hierarchy = "created_at"


@admin.register(NotificationEvent)
class NotificationEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "kind", "account", "title", "emailed_at", "stale"]
    list_filter = ["kind", "stale"]
    list_select_related = ["account"]
    search_fields = ["title", "key"]
    date_hierarchy = "occurred_at"


@admin.register(WarmupFleet)
class WarmupFleetAdmin(admin.ModelAdmin):
    """The operators' fleet view: one page instead of a list of rows (see
    reputation/dashboards/fleet.py). Operators only; nothing is edited here — the IP warm-ups'
    and Dedicated IPs' actions change warm-ups."""

    def has_module_permission(self, request):
        return is_operator(request.user)

    def has_view_permission(self, request, obj=None):
        return is_operator(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Warm-up fleet",
            "opts": self.model._meta,
            **fleet.fleet_context(request),
        }
        return TemplateResponse(request, "admin/reputation/warmupfleet/fleet.html", context)
