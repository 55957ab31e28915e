"""Admin registrations for the record book. Voters' phone numbers are masked in the lists, and the visitor's
name and phone on a record's page until revealed (stations.admin.personal)."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from stations.admin.lists import period_filter
from stations.admin.personal import PersonalDataAdminMixin, masked_displays
from stations.models import Visit, VisitDeputy
from stations.policy import can_reveal_visitor
from stations.privacy import mask_phone


class VisitDeputyInline(admin.TabularInline):
    model = VisitDeputy
    extra = 0
    raw_id_fields = ["deputy"]


@admin.register(Visit)
class VisitAdmin(PersonalDataAdminMixin, SimpleHistoryAdmin):
    personal_fields = ("visitor_name", "visitor_phone")
    text_fields = ("summary",)
    personal_fieldset_title = _("Visitor")
    locals().update(masked_displays(Visit, personal_fields + text_fields))
    list_display = [
        "occurred_at",
        "site",
        "masked_phone",
        "people",
        "channel",
        "category",
        "entered_late",
        "archived_at",
    ]
    list_filter = [
        period_filter("occurred_at"),
        "channel",
        "category",
        "entered_late",
        ("archived_at", admin.EmptyFieldListFilter),
    ]
    # When it was typed and whether that was past the late-entry limit are facts of the record, not fields to edit.
    readonly_fields = ["created_at", "entered_late"]
    search_fields = ["summary", "area_text", "area__name", "site__name"]
    list_select_related = ["site"]
    raw_id_fields = ["site", "shift", "area", "recorded_by", "archived_by"]
    inlines = [VisitDeputyInline]

    def may_reveal(self, request: HttpRequest, obj: Visit) -> bool:  # type: ignore[override]
        return can_reveal_visitor(request.user, obj)

    @admin.display(description=_("Visitor's phone"))
    def masked_phone(self, obj: Visit) -> str:
        return mask_phone(obj.visitor_phone)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Visits are archived, never deleted (the record book is an official record).
        return False
