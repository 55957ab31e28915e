"""Admin for rosters: reception rules, rosters (generate a year, publish), shifts with their duties, unavailable
dates. Conflicts are refused here as everywhere: the duty inline checks every deputy against their other shifts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from stations.admin.lists import period_filter
from stations.audit import Actor, AuditAction, audit
from stations.clock import local_today
from stations.forms.rosters import GenerateYearForm
from stations.models import Attendance, Deputy, Duty, DutyShift, ReceptionRule, Roster, Site, Unavailability
from stations.policy import can_use_admin_by_role
from stations.selectors.rosters import with_children
from stations.services.rosters import GenerationResult, refuse_conflicts, roster_publish, rosters_generate
from stations.views.rosters import warn_short_of_deputies

if TYPE_CHECKING:
    # The mixin's super() calls reach ModelAdmin in the classes that use it; tell the type checker so.
    _ModelAdminBase = admin.ModelAdmin[Any]
else:
    _ModelAdminBase = object


class DistrictAdminAccess(_ModelAdminBase):
    """District administrators manage rosters in the admin by their role, without per-model permissions."""

    def _by_role(self, request: HttpRequest) -> bool:
        return can_use_admin_by_role(request.user)

    def has_module_permission(self, request):
        return self._by_role(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._by_role(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return self._by_role(request) or super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self._by_role(request) or super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._by_role(request) or super().has_delete_permission(request, obj)


def _report(request: HttpRequest, result: GenerationResult, year: int) -> None:
    messages.success(
        request,
        _(
            "Roster %(year)s: %(sites)s sites, %(shifts)s receptions and %(duties)s duties added, %(rosters)s new "
            "rosters."
        )
        % {
            "year": year,
            "sites": result.sites,
            "shifts": result.shifts_created,
            "duties": result.duties_created,
            "rosters": result.rosters_created,
        },
    )
    warn_short_of_deputies(request, result)


def _generate(request: HttpRequest, sites, year: int) -> None:
    try:
        result = rosters_generate(sites=sites, year=year, actor=Actor.from_request(request))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        _report(request, result, year)


@admin.action(description=gettext_lazy("Generate next year's roster (with rooms and points under them)"))
def generate_next_year_for_sites(modeladmin, request: HttpRequest, queryset: QuerySet[Site]) -> None:
    year = local_today().year + 1
    sites = {site.pk: site for chosen in queryset for site in with_children(chosen)}
    _generate(request, sites.values(), year)


def attach_site_actions() -> None:
    """Give the site admin (registered by the network part) the "generate next year" action."""
    if not admin.site.is_registered(Site):
        return
    site_admin = admin.site.get_model_admin(Site)
    site_admin.actions = [*(site_admin.actions or ()), generate_next_year_for_sites]


@admin.register(ReceptionRule)
class ReceptionRuleAdmin(DistrictAdminAccess, admin.ModelAdmin):
    list_display = ["site", "kind", "day_of_month", "weekday", "week_of_month", "date", "start_time", "end_time"]
    list_filter = ["kind", "site__district", "site__kind"]
    search_fields = ["site__name", "site__town"]
    list_select_related = ["site"]


@admin.register(Roster)
class RosterAdmin(DistrictAdminAccess, SimpleHistoryAdmin):
    list_display = ["site", "year", "published", "published_at", "shift_count"]
    list_filter = ["year", ("published_at", admin.EmptyFieldListFilter), "site__kind", "site__district"]
    search_fields = ["site__name", "site__town"]
    readonly_fields = ["published_at", "published_by"]
    list_select_related = ["site"]
    actions = ["publish", "generate_next_year"]
    change_list_template = "admin/stations/roster/change_list.html"

    def get_queryset(self, request):
        # A count per row of the page (a subquery PostgreSQL runs after the LIMIT), not a grouping of every shift of
        # the reach before it: 150 → 1 ms for a province's 10,000 rosters.
        shifts = DutyShift.objects.filter(roster=OuterRef("pk")).order_by().values("roster").annotate(n=Count("pk"))
        return super().get_queryset(request).annotate(number_of_shifts=Coalesce(Subquery(shifts.values("n")), 0))

    @admin.display(boolean=True, description=gettext_lazy("published"))
    def published(self, roster: Roster) -> bool:
        return roster.is_published

    @admin.display(description=gettext_lazy("receptions"), ordering="number_of_shifts")
    def shift_count(self, roster: Roster) -> int:
        return roster.number_of_shifts  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.action(description=gettext_lazy("Publish the selected rosters"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Roster]) -> None:
        done = 0
        for roster in queryset.select_related("site"):
            try:
                if not roster.is_published:
                    roster_publish(roster=roster, actor=Actor.from_request(request))
                    done += 1
            except (ValidationError, PermissionDenied) as error:
                messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        messages.success(request, _("%(count)s rosters published.") % {"count": done})

    @admin.action(description=gettext_lazy("Generate next year for the selected rosters' sites"))
    def generate_next_year(self, request: HttpRequest, queryset: QuerySet[Roster]) -> None:
        # "Next year" from each roster: selecting this year's rosters plans the coming year.
        for year in sorted(set(queryset.values_list("year", flat=True))):
            sites = Site.objects.active().filter(rosters__in=queryset.filter(year=year)).distinct()
            _generate(request, list(sites), year + 1)

    def get_urls(self):
        own = [
            path(
                "generate/",
                self.admin_site.admin_view(self.generate_view),
                name="stations_roster_generate",
            )
        ]
        return own + super().get_urls()

    def generate_view(self, request: HttpRequest) -> HttpResponse:
        """A small page: a year for one site (with what is under it) or for a whole district."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = GenerateYearForm(request.POST or None, initial={"year": local_today().year + 1})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if data["district"]:
                sites = list(Site.objects.active().filter(district=data["district"]))
            elif data["include_children"]:
                sites = list(with_children(data["site"]))
            else:
                sites = [data["site"]]
            _generate(request, sites, data["year"])
            return HttpResponseRedirect(reverse("admin:stations_roster_changelist") + f"?year={data['year']}")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Generate a year's roster"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/stations/roster/generate.html", context)


class ConflictCheckingDutyFormSet(BaseInlineFormSet):
    """Refuses a deputy (or a substitute) who is on another overlapping shift anywhere, with the shift's new
    times if they were changed on the same page."""

    def clean(self):
        super().clean()
        shift = self.instance
        if any(self.errors) or shift.start is None or shift.end is None or shift.roster_id is None:
            return
        people: list[Deputy] = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE"):
                continue
            if data.get("deputy") and data.get("attendance") not in (Attendance.ABSENT, Attendance.SUBSTITUTED):
                people.append(data["deputy"])
            if data.get("substitute") and data.get("attendance") == Attendance.SUBSTITUTED:
                people.append(data["substitute"])
        if not people:
            return
        # The admin saves inside a transaction: the locks hold until the shift and its duties are written.
        list(Deputy.objects.select_for_update().filter(pk__in=[p.pk for p in people]).order_by("pk"))
        refuse_conflicts(
            deputies=people,
            site=shift.roster.site,
            start=shift.start,
            end=shift.end,
            exclude_shift_ids=[shift.pk] if shift.pk else [],
        )


class DutyInline(DistrictAdminAccess, admin.TabularInline):
    model = Duty
    fk_name = "shift"
    formset = ConflictCheckingDutyFormSet
    fields = ["deputy", "attendance", "absence_reason", "substitute", "note"]
    extra = 1


@admin.register(DutyShift)
class DutyShiftAdmin(DistrictAdminAccess, SimpleHistoryAdmin):
    list_display = ["__str__", "start", "end", "moved", "cancelled", "sequence", "published"]
    list_filter = [
        period_filter("start"),
        "roster__year",
        ("roster__published_at", admin.EmptyFieldListFilter),
        "cancelled",
        "manually_changed",
        "roster__site__district",
    ]
    search_fields = ["roster__site__name", "duties__deputy__name"]
    list_select_related = ["roster__site"]
    readonly_fields = ["original_start", "sequence", "manually_changed"]
    fields = ["roster", "start", "end", "change_note", "cancelled", "original_start", "sequence", "manually_changed"]
    inlines = [DutyInline]

    @admin.display(boolean=True, description=gettext_lazy("moved"))
    def moved(self, shift: DutyShift) -> bool:
        return shift.was_moved

    @admin.display(boolean=True, description=gettext_lazy("published"))
    def published(self, shift: DutyShift) -> bool:
        return shift.roster.is_published

    def save_model(self, request, obj: DutyShift, form, change: bool) -> None:
        if change and form.changed_data:
            if {"start", "end"} & set(form.changed_data) and obj.original_start is None:
                obj.original_start = form.initial.get("start")
            # Changed by hand: regeneration leaves it alone and subscribed calendars pick the change up.
            obj.manually_changed = True
            obj.sequence += 1
        super().save_model(request, obj, form, change)
        if change and form.changed_data:
            audit(
                action=AuditAction.SHIFT_CHANGED,
                actor=Actor.from_request(request),
                target=obj,
                summary=f"changed shift {obj.pk} in the admin: {', '.join(form.changed_data)}",
            )

    def save_related(self, request, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if change and not form.changed_data and any(formset.has_changed() for formset in formsets):
            shift = form.instance
            shift.sequence += 1
            shift.manually_changed = True
            shift.save(update_fields=["sequence", "manually_changed"])
            audit(
                action=AuditAction.SHIFT_CHANGED,
                actor=Actor.from_request(request),
                target=shift,
                summary=f"changed duties of shift {shift.pk} in the admin",
            )


@admin.register(Unavailability)
class UnavailabilityAdmin(DistrictAdminAccess, admin.ModelAdmin):
    list_display = ["deputy", "date", "reason"]
    list_filter = [period_filter("date")]
    search_fields = ["deputy__name"]
    list_select_related = ["deputy"]
