"""Admin for handling bodies and opinions. Opinions move through their workflow only on the staff pages
(stations.services.opinions); here their state, timeline and version are read-only."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from stations.admin.lists import period_filter
from stations.admin.personal import PersonalDataAdminMixin, masked_displays
from stations.models import HandlingBody, Opinion, OpinionEvent
from stations.policy import (
    admin_handling_bodies,
    can_manage_handling_body,
    can_reveal_submitter,
    can_share_handling_bodies,
    can_use_admin_by_role,
    handling_body_districts,
)
from stations.privacy import mask_name, mask_phone, redact_phones


@admin.register(HandlingBody)
class HandlingBodyAdmin(admin.ModelAdmin):
    """A district's bodies are managed by its administrators (by their role, without model permissions); shared
    bodies (no district) by the portal-wide administrator, the others see them read-only. stations.policy
    decides; admin users without an administrator's role keep the model permissions given them by hand."""

    list_display = ["name", "district", "email", "is_active"]
    list_filter = ["is_active", "district"]
    list_select_related = ["district"]
    search_fields = ["name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[HandlingBody]:
        return admin_handling_bodies(request.user, super().get_queryset(request))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "district":
            kwargs["queryset"] = handling_body_districts(request.user)
            # Only the portal-wide administrator makes a body shared by every district.
            kwargs["required"] = not can_share_handling_bodies(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_use_admin_by_role(request.user) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: HandlingBody | None = None) -> bool:
        return can_use_admin_by_role(request.user) or super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        if can_use_admin_by_role(request.user):
            return can_manage_handling_body(request.user)
        return super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: HandlingBody | None = None) -> bool:
        if can_use_admin_by_role(request.user):
            return can_manage_handling_body(request.user, obj)
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: HandlingBody | None = None) -> bool:
        if can_use_admin_by_role(request.user):
            return can_manage_handling_body(request.user, obj)
        return super().has_delete_permission(request, obj)


class OpinionEventInline(admin.TabularInline):
    model = OpinionEvent
    extra = 0
    can_delete = False
    readonly_fields = (
        "at",
        "entered_at",
        "entered_late",
        "action",
        "from_state",
        "to_state",
        "actor",
        "handling_body",
        "satisfaction",
        "public",
        "masked_note",
    )
    fields = readonly_fields

    @admin.display(description=_("note"))
    def masked_note(self, obj: OpinionEvent) -> str:
        # A handling note may quote the voter's number; the opinion's own page shows it to the station.
        return redact_phones(obj.note)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Opinion)
class OpinionAdmin(PersonalDataAdminMixin, admin.ModelAdmin):
    # The submitter's name, phone and e-mail: masked on the opinion's page until revealed (recorded).
    personal_fields = ("submitter_name", "submitter_phone", "submitter_email")
    text_fields = ("content", "reply")
    personal_fieldset_title = _("Submitter")
    locals().update(masked_displays(Opinion, personal_fields + text_fields))
    list_display = [
        "reference",
        "registered_at",
        "site",
        "category",
        "state",
        "overdue",
        "handling_body",
        "masked_name",
        "masked_phone",
        "supervised",
        "important",
    ]
    list_filter = [
        period_filter("registered_at"),
        "state",
        "source",
        "category",
        "supervised",
        "important",
        "handling_body",
    ]
    list_select_related = ["site", "handling_body"]
    search_fields = ["reference", "tracking_code"]
    autocomplete_fields = ["handling_body"]
    raw_id_fields = ["visit"]
    readonly_fields = [
        "reference",
        "tracking_code",
        "state",
        "registered_at",
        "entered_at",
        "replied_at",
        "closed_at",
        "satisfaction",
        "voter_satisfaction",
        "voter_answered_at",
        "consent_at",
        "version",
    ]
    inlines = [OpinionEventInline]

    def may_reveal(self, request: HttpRequest, obj: Opinion) -> bool:  # type: ignore[override]
        return can_reveal_submitter(request.user, obj)

    def has_add_permission(self, request) -> bool:
        # Opinions get their reference and tracking code from stations.services.opinions.opinion_register.
        return False

    @admin.display(description=_("name"))
    def masked_name(self, obj: Opinion) -> str:
        return mask_name(obj.submitter_name)

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Opinion) -> str:
        return mask_phone(obj.submitter_phone)

    @admin.display(description=_("Overdue"), boolean=True)
    def overdue(self, obj: Opinion) -> bool:
        return obj.is_overdue
