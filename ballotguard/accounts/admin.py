"""Django admin for users, tokens and the (read-only) audit log."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, AuditEvent, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "council", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_staff", "police_forces")
    search_fields = ("username", "first_name", "last_name", "email")
    filter_horizontal = ("police_forces", "groups", "user_permissions")
    autocomplete_fields = ("council",)
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Ballotguard role and scope", {"fields": ("role", "police_forces", "council", "phone")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("Ballotguard role and scope", {"fields": ("role", "first_name", "last_name", "email")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens can be seen and revoked here; they are created by their owner (the secret is shown once)."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "prefix")
    readonly_fields = ("user", "prefix", "digest", "created_at", "last_used_at")
    fields = ("user", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")

    def has_add_permission(self, request):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log is append-only: nobody edits or deletes events through the admin."""

    list_display = ("at", "actor_username", "action", "object_type", "object_id", "channel", "ip_address")
    list_filter = ("action", "channel", "object_type")
    search_fields = ("actor_username", "object_id")
    date_hierarchy = "at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
