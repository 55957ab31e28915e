"""Admin for what deputies do on their own pages and for the reminders sent: read-only lists.

Writes go through the services: a deputy asks on /me/, the station head decides on /staff/swaps/ (an approval
is the roster's own swap); a private calendar address is the deputy's to make and stop. The admin shows them,
without the calendar tokens (each is the key to a deputy's feed).
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from stations.admin.lists import period_filter
from stations.admin.rosters import DistrictAdminAccess
from stations.models import CalendarFeed, SentReminder, SwapRequest


class ReadOnly(DistrictAdminAccess):
    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SwapRequest)
class SwapRequestAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["deputy", "duty", "other_duty", "status", "created_at", "decided_by", "decided_at"]
    list_filter = ["status"]
    search_fields = ["deputy__name", "reason"]
    list_select_related = [
        "deputy",
        "duty__shift__roster__site",
        "other_duty__shift__roster__site",
        "other_duty__deputy",
        "duty__deputy",
        "decided_by",
    ]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["deputy", "created_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["deputy__name"]
    exclude = ["token"]
    list_select_related = ["deputy"]


@admin.register(SentReminder)
class SentReminderAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["key", "kind", "sent_at", "delivered"]
    list_filter = [period_filter("sent_at"), "kind"]
    search_fields = ["key"]
