"""Admin for the seed's other practices (issue 16): annual themes, pairings with their contacts and things done,
deputies' activities. Every change here is audited (stations.admin_site.AuditedAdminMixin).

Pairings hold voters' names and phones: the admin shows them masked and read-only. They are entered and
read in full on the owning station's staff pages, through the services, where each view is recorded."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from stations.admin.lists import period_filter
from stations.models import DeputyActivity, Pairing, PairingContact, PairingDeed, Theme
from stations.privacy import mask_name, mask_phone


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "district", "station_names", "position"]
    list_filter = ["year", "district"]
    search_fields = ["name"]
    fields = ["district", "year", "name", "description", "stations", "position"]
    filter_horizontal = ["stations"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("district").prefetch_related("stations")

    @admin.display(description=_("stations"))
    def station_names(self, obj: Theme) -> str:
        names = [site.name for site in obj.stations.all()]
        return "、".join(names) if names else str(_("the whole district"))


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ContactInline(ReadOnlyInline):
    model = PairingContact
    fields = readonly_fields = ("happened_on", "method")


class DeedInline(ReadOnlyInline):
    model = PairingDeed
    fields = readonly_fields = ("happened_on", "what")


@admin.register(Pairing)
class PairingAdmin(admin.ModelAdmin):
    list_display = ["deputy", "masked_voter", "masked_phone", "site", "started_on", "ended_on"]
    list_filter = ["kind", "site__district"]
    search_fields = ["deputy__name"]
    fields = readonly_fields = (
        "site",
        "deputy",
        "kind",
        "masked_voter",
        "masked_phone",
        "village",
        "household_size",
        "consent_on",
        "consent_note",
        "started_on",
        "ended_on",
        "created_by",
        "entered_at",
    )
    inlines = [ContactInline, DeedInline]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("deputy", "site")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # entered on the station's staff pages, with the voter's consent, through the services

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("voter's name"))
    def masked_voter(self, obj: Pairing) -> str:
        return mask_name(obj.voter_name)

    @admin.display(description=_("voter's phone"))
    def masked_phone(self, obj: Pairing) -> str:
        return mask_phone(obj.voter_phone)


@admin.register(DeputyActivity)
class DeputyActivityAdmin(admin.ModelAdmin):
    list_display = ["held_on", "deputy", "kind", "title", "site"]
    list_filter = [period_filter("held_on"), "kind"]
    search_fields = ["deputy__name", "title"]
    autocomplete_fields = ["deputy"]
    raw_id_fields = ["site"]
    readonly_fields = ["recorded_by", "entered_at"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("deputy", "site")
