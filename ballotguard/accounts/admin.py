"""Django admin for users, tokens, OTP devices and the audit log: read-only for everything that decides
who may see police data.

An administrator proposes users, roles, forces, candidate links and delegations on the access-change
pages (``accounts.access``), where a second person approves. Here they can only look, send a user an
invitation to set their own password (API tokens are created and revoked by their owners). No TOTP secret and no password hash is
ever shown.
"""

from django.contrib import admin, messages
from django_otp.plugins.otp_totp.models import TOTPDevice

from .access import send_invitation
from .models import AccessApproval, AccessChange, ApiToken, AuditEvent, User
from .services import Actor


class ReadOnlyAdmin(admin.ModelAdmin):
    """View only: no add, change or delete form, whoever signs in (superusers included)."""

    def get_readonly_fields(self, request, obj=None):
        return list(self.fields or [f.name for f in self.model._meta.fields])

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ("username", "first_name", "last_name", "role", "is_force_lead", "council", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_force_lead", "police_forces")
    search_fields = ("username", "first_name", "last_name", "email")
    fields = ("username", "first_name", "last_name", "email", "role", "is_force_lead", "forces", "council", "phone",
              "is_active", "is_staff", "is_superuser", "last_login", "date_joined")
    actions = ["send_password_invitation"]

    @admin.display(description="Police forces")
    def forces(self, obj):
        return ", ".join(f.name for f in obj.police_forces.all()) or "None"

    @admin.action(description="Send an invitation to set their password (by e-mail)")
    def send_password_invitation(self, request, queryset):
        actor = Actor.from_request(request)
        sent = sum(send_invitation(actor, user) for user in queryset)
        self.message_user(request, f"{sent} invitation{'s' if sent != 1 else ''} sent; users without an e-mail address were skipped",
                          messages.SUCCESS)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Tokens can be seen here; they are created and revoked by their owner (the secret is shown once)."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "prefix")
    fields = ("user", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit log is append-only: nobody edits or deletes events through the admin."""

    list_display = ("at", "actor_username", "action", "object_type", "object_id", "channel", "ip_address")
    list_filter = ("action", "channel", "object_type")
    search_fields = ("actor_username", "object_id")
    date_hierarchy = "at"


class AccessApprovalInline(admin.TabularInline):
    model = AccessApproval
    fields = ("force", "approved_by", "approved_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AccessChange)
class AccessChangeAdmin(ReadOnlyAdmin):
    """Proposed and decided access changes; decided on the access-change pages, not here."""

    list_display = ("__str__", "username", "role", "proposed_by", "proposed_at", "decided_by", "decided_at")
    list_filter = ("status", "kind", "role")
    search_fields = ("username",)
    fields = ("kind", "status", "target_user", "username", "role", "is_force_lead", "council", "candidate", "reason",
              "proposed_by", "proposed_at", "decided_by", "decided_at", "decision_note")
    inlines = [AccessApprovalInline]


# django-otp's own TOTP admin shows each device's key (the secret) and lets it be edited or deleted.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(ReadOnlyAdmin):
    list_display = ("user", "name", "confirmed", "last_used_at")
    list_filter = ("confirmed",)
    search_fields = ("user__username",)
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
