from django.contrib import admin
from django.db.models import Count

from accounts.models import Account, ApiToken, Membership
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
    """Tokens can be seen (by prefix) and revoked here; the key itself is never shown."""

    list_display = ["prefix", "membership", "created_at", "last_used_at"]
    list_select_related = ["membership__user", "membership__account"]
    search_fields = ["prefix", "membership__user__username", "membership__account__name"]
    fields = ["membership", "prefix", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # keys are made by the API, the account page or create_account
