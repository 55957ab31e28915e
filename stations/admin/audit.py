"""The audit log in the admin: read-only for everybody, visible to district administrators."""

from django.contrib import admin

from stations.models import AuditEntry
from stations.policy import can_view_audit_log


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_name", "address", "action", "object_type", "object_id", "summary"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_name", "object_id", "summary"]
    date_hierarchy = "at"
    list_per_page = 50
    show_full_result_count = False

    def has_view_permission(self, request, obj=None) -> bool:
        return can_view_audit_log(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
