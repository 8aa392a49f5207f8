"""Admin of IP pools and of domains pinned to a pool."""

from django import forms
from django.contrib import admin
from django.db.models import Count

from accounts.admin import TenantAdmin
from ips import services
from ips.admin.common import form_error
from ips.models import DomainPoolPin, IpPool
from ips.services.capacity import shared_pool_loads
from warmup_site.errors import ApplicationError


class IpPoolForm(forms.ModelForm):
    confirm_default = forms.BooleanField(
        required=False,
        label="Yes, make it the shared default",
        help_text="Every account without capacity of its own falls back to the default shared "
        "pool: changing it changes where their mail goes.",
    )

    class Meta:
        model = IpPool
        fields = ["account", "name", "is_default", "overflow_pool", "capacity", "description"]

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
                is_default=cleaned.get("is_default") or None,
                capacity=cleaned.get("capacity"),
            )
        except ApplicationError as exc:
            form_error(self, exc)
        becomes_shared_default = (
            cleaned.get("is_default")
            and cleaned.get("account") is None
            and not self.instance.is_default
        )
        if becomes_shared_default and not cleaned.get("confirm_default"):
            raise forms.ValidationError(
                {"confirm_default": "Confirm: this becomes every account's fallback pool."}
            )
        return cleaned


@admin.register(IpPool)
class IpPoolAdmin(TenantAdmin):
    form = IpPoolForm
    list_display = [
        "name",
        "account",
        "shared",
        "is_default",
        "overflow_pool",
        "ip_count",
        "load_today",
    ]
    readonly_fields = ["load_today", "capacity_alerted_on"]
    list_filter = ["is_default", ("account", admin.EmptyFieldListFilter)]
    list_select_related = ["account", "overflow_pool"]
    search_fields = ["name", "account__name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(ip_count=Count("ips"))

    @admin.display(description="IPs", ordering="ip_count")
    def ip_count(self, obj):
        return obj.ip_count

    @admin.display(description="Routed today (shared pools with a capacity)")
    def load_today(self, obj):
        if obj.capacity is None:
            return "—"
        load = self._loads().get(obj.pk)
        routed = load.routed if load else 0
        return f"{routed:,} of {obj.capacity:,} ({routed / obj.capacity:.0%})"

    def _loads(self):
        # One sum per page of pools (the list shows few shared pools).
        if getattr(self, "_loads_cache", None) is None:
            self._loads_cache = {load.pool.pk: load for load in shared_pool_loads()}
        return self._loads_cache

    def changelist_view(self, request, extra_context=None):
        self._loads_cache = None
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._loads_cache = None
        return super().change_view(request, object_id, form_url, extra_context)

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
            capacity=form.cleaned_data.get("capacity"),
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
