from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers

from accounts import services
from accounts.models import Account, ApiToken, Membership, PipelineCredential
from accounts.tenancy import is_operator


class TenantAdmin(admin.ModelAdmin):
    """Admin base for customer rows: operators see every account, other staff only their own.

    It uses the same tenancy mechanism as pages and the API (`Model.objects.for_user`), also for
    the choices of foreign-key fields, so a non-operator cannot even pick another account's row.
    """

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_operator(request.user):
            return queryset
        return queryset.for_user(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        manager = db_field.related_model._default_manager
        if not is_operator(request.user) and hasattr(manager, "for_user"):
            kwargs["queryset"] = manager.for_user(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Account)
class AccountAdmin(TenantAdmin):
    list_display = ["name", "slug", "member_count", "created_at"]
    search_fields = ["name", "slug"]
    readonly_fields = ["created_at"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, obj):
        return obj.member_count


@admin.register(Membership)
class MembershipAdmin(TenantAdmin):
    list_display = ["user", "account", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "account__name"]
    list_select_related = ["user", "account"]
    autocomplete_fields = ["user", "account"]


@admin.register(ApiToken)
class ApiTokenAdmin(TenantAdmin):
    """Customer tokens, by name and prefix; deleting one revokes it. Keys are never stored, so
    they cannot be shown here."""

    list_display = ["name", "prefix", "membership", "created_at", "last_used_at"]
    list_select_related = ["membership__user", "membership__account"]
    search_fields = ["name", "prefix", "membership__user__username", "membership__account__name"]
    fields = ["name", "membership", "prefix", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # made on the account page, by the API or by create_account

    def has_change_permission(self, request, obj=None):
        return False  # nothing to edit: view, or delete to revoke

    def delete_model(self, request, obj):
        services.api_token_revoke(token=obj)

    def delete_queryset(self, request, queryset):
        for token in queryset:
            services.api_token_revoke(token=token)


class PipelineCredentialForm(forms.ModelForm):
    class Meta:
        model = PipelineCredential
        fields = ["name"]

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if PipelineCredential.objects.filter(name=name, revoked_at__isnull=True).exists():
            raise forms.ValidationError(
                "An active credential has this name; revoke it first or pick another name."
            )
        return name


@admin.register(PipelineCredential)
class PipelineCredentialAdmin(admin.ModelAdmin):
    """Operators make and revoke the sending pipeline's credentials.

    The key is shown once, on the page that follows *Save* (sent with Cache-Control: no-store);
    only its SHA-256 is kept. Revoked credentials stay listed, with who made them and when they
    were last used.
    """

    form = PipelineCredentialForm
    list_display = [
        "name",
        "prefix",
        "active",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["created_by"]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]
    readonly_fields = [
        "name",
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]

    def _operator(self, request) -> bool:
        return is_operator(request.user)

    def has_module_permission(self, request):
        return self._operator(request)

    def has_view_permission(self, request, obj=None):
        return self._operator(request)

    def has_add_permission(self, request):
        return self._operator(request)

    def has_change_permission(self, request, obj=None):
        return False  # a credential is made and revoked, never edited

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the record stays

    def get_fields(self, request, obj=None):
        return ["name"] if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    @admin.display(boolean=True, description="Active")
    def active(self, obj):
        return obj.is_active

    def save_model(self, request, obj, form, change):
        credential, key = services.pipeline_credential_create(
            name=form.cleaned_data["name"], created_by=request.user
        )
        obj.pk = credential.pk
        request._pipeline_key = key

    def response_add(self, request, obj, post_url_continue=None):
        credential = PipelineCredential.objects.get(pk=obj.pk)
        response = TemplateResponse(
            request,
            "admin/accounts/pipelinecredential/created.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Pipeline credential {credential.name}",
                "credential": credential,
                "key": request._pipeline_key,
                "opts": self.model._meta,
            },
        )
        add_never_cache_headers(response)
        return response

    @admin.action(description="Revoke the selected credentials")
    def revoke(self, request, queryset):
        revoked = 0
        for credential in queryset.filter(revoked_at__isnull=True):
            services.pipeline_credential_revoke(credential=credential, actor=request.user)
            revoked += 1
        self.message_user(
            request,
            f"Revoked {revoked} credential(s); every process stops accepting them within "
            f"{settings.WARMUP_TOKEN_CACHE_SECONDS} seconds.",
            messages.SUCCESS,
        )
