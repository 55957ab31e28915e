"""The audit log in the admin: read-only for everybody, visible to district administrators."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from stations.admin.lists import period_filter
from stations.models import AuditEntry
from stations.models.audit import action_filter_choices
from stations.policy import can_view_audit_log


class ActionFilter(admin.SimpleListFilter):
    """The action codes by group, as in the viewer; a group's option ("visit.") shows every code under it."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        # The admin's filter has no groups: each option is shown as "group: label".
        return [(code, f"{group}: {label}") for group, options in action_filter_choices() for code, label in options]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value:
            return queryset
        return queryset.filter(action__startswith=value) if value.endswith(".") else queryset.filter(action=value)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_name", "address", "action_display", "object_type", "object_id", "summary"]
    list_filter = [period_filter("at"), ActionFilter, "object_type"]
    search_fields = ["actor_name", "object_id", "summary"]
    list_per_page = 50
    show_full_result_count = False

    @admin.display(description=_("action"), ordering="action")
    def action_display(self, obj: AuditEntry) -> str:
        return obj.action_label

    def has_view_permission(self, request, obj=None) -> bool:
        return can_view_audit_log(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
