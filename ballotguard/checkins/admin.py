from django.contrib import admin

from .models import AlertDelivery, CheckIn


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    """Times and states only: where people went and their buddies' details are not shown to administrators."""

    list_display = ("id", "user", "status", "started_at", "expected_end", "escalate_to_feoa")
    list_filter = ("status", "escalate_to_feoa")
    fields = ("user", "candidacy", "status", "started_at", "expected_end", "checked_out_at", "finished_at", "overdue_at", "escalated_at", "extended_count")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False


@admin.register(AlertDelivery)
class AlertDeliveryAdmin(admin.ModelAdmin):
    list_display = ("checkin", "stage", "channel", "recipient", "status", "attempts", "due_at", "sent_at", "last_error")
    list_filter = ("stage", "channel", "status")
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False
