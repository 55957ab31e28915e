"""Admin for the network: districts, sites (stations, rooms, points), areas served, deputies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, Prefetch, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from stations.audit import Actor
from stations.forms.sites import PhotoField
from stations.models import Area, Assignment, Deputy, District, Mandate, Region, Site, SiteKind
from stations.models.sites import DEPUTY_TITLES, DeputyQuerySet
from stations.paging import bounded_count
from stations.policy import admin_districts
from stations.services.regions import district_towns_ensure, town_rename_problem, town_renamed

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """Change history is shown but never reverted from the admin: it is the record of who changed what."""

    def revert_disabled(self, request: HttpRequest, obj=None) -> bool:
        return True

    def history_form_view(self, request: HttpRequest, object_id, version_id, extra_context=None) -> HttpResponse:
        # simple_history hides the revert button but would still accept the POST; refuse it.
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class SurfaceModelErrorsForm(ModelForm):
    """Shows the model's clean() and constraint messages even when they name a field the form hides or
    leaves out (an inline's parent, a derived district): Django would otherwise fail with a ValueError or
    attach the message to a hidden input nobody sees."""

    def _update_errors(self, errors: ValidationError) -> None:
        if hasattr(errors, "error_dict"):
            moved: dict[str, list] = {}
            for name, field_errors in errors.error_dict.items():
                field = self.fields.get(name)
                visible = name == NON_FIELD_ERRORS or (field is not None and not field.widget.is_hidden)
                moved.setdefault(name if visible else NON_FIELD_ERRORS, []).extend(field_errors)
            errors = ValidationError(moved)
        super()._update_errors(errors)  # type: ignore[misc]  # a private ModelForm hook the stubs leave out


class ChildSiteForm(SurfaceModelErrorsForm):
    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # a private ModelForm hook the stubs leave out
        # Django leaves an inline's parent out of model validation (it may not be saved yet), which skips the
        # "unique name among siblings" constraint. With a saved parent, check it here, in Chinese, rather
        # than let the database refuse the row with an error page.
        if self.instance.parent_id is None or self.errors:
            return
        try:
            self.instance.validate_constraints(exclude={"district", "deputies_per_shift"})
        except ValidationError as error:
            self._update_errors(error)


# --- regions and districts -------------------------------------------------------------------------------


class ChildRegionInline(admin.TabularInline):
    model = Region
    form = SurfaceModelErrorsForm
    fk_name = "parent"
    fields = ["name", "code", "level"]
    extra = 0
    show_change_link = True
    verbose_name = _("region below this one")
    verbose_name_plural = _("regions below this one")


class RegionForm(SurfaceModelErrorsForm):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if self.instance.pk and "name" in self.changed_data and data.get("name"):
            problem = town_rename_problem(region=self.instance, old_name=self.initial["name"], new_name=data["name"])
            if problem:
                self.add_error("name", problem)
        return data


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    """Provinces, cities, counties and towns (issue 15). A district is attached to its county on the district's
    page; the levels are strict (a city under a province, a county under a city, a town under a county)."""

    form = RegionForm
    list_display = ["name", "level", "code", "parent", "district"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent", "district"]
    inlines = [ChildRegionInline]

    def view_on_site(self, obj: Region) -> str:
        return obj.get_absolute_url()

    def save_model(self, request: HttpRequest, obj: Region, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "name" in form.changed_data:
            # The sites and villages that name the town name it anew (their town text is how they belong to it).
            town_renamed(region=obj, old_name=form.initial["name"], actor=Actor.from_request(request))


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "slug", "region", "site_count", "deputy_count"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["region"]
    list_select_related = ["region"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[District]:
        return (
            super()
            .get_queryset(request)
            .annotate(site_count=Count("sites", distinct=True), deputy_count=Count("deputies", distinct=True))
        )

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # A district attached to its county (or moved to another) gets the towns its sites name (issue 15).
        district_towns_ensure(district=form.instance, actor=Actor.from_request(request))

    @admin.display(description=_("sites"), ordering="site_count")
    def site_count(self, obj: District) -> int:
        return obj.site_count  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.display(description=_("deputies"), ordering="deputy_count")
    def deputy_count(self, obj: District) -> int:
        return obj.deputy_count  # type: ignore[attr-defined]  # annotated by get_queryset


# --- sites -----------------------------------------------------------------------------------------------


class ChildSiteInline(admin.TabularInline):
    model = Site
    form = ChildSiteForm
    fk_name = "parent"
    fields = ["kind", "name", "slug", "town", "sector", "is_online", "is_active"]
    extra = 0
    show_change_link = True
    verbose_name = _("room or point under this site")
    verbose_name_plural = _("rooms and points under this site")


class SiteAreaForm(ModelForm):
    class Meta:
        model = Site.areas.through
        fields = ["area"]
        labels = {"area": _("area served")}  # the auto-created through model's field has no translated name


class SiteAreaInline(admin.TabularInline):
    model = Site.areas.through
    form = SiteAreaForm
    autocomplete_fields = ["area"]
    extra = 0
    verbose_name = _("area served")
    verbose_name_plural = _("areas served")


class SiteAssignmentInline(admin.TabularInline):
    model = Assignment
    form = SurfaceModelErrorsForm
    autocomplete_fields = ["deputy"]
    extra = 0
    verbose_name = _("deputy assigned here")
    verbose_name_plural = _("deputies assigned here")


@admin.register(Site)
class SiteAdmin(ReadOnlyHistoryAdmin):
    form = SurfaceModelErrorsForm
    list_display = ["name", "kind", "town", "parent", "district", "sector", "area_names", "is_online", "is_active"]
    list_filter = ["kind", "district", "town", "sector", "is_active", "is_online"]
    search_fields = ["name", "town", "slug", "areas__name"]
    list_select_related = ["parent", "district"]
    autocomplete_fields = ["parent"]
    inlines = [ChildSiteInline, SiteAreaInline, SiteAssignmentInline]
    fieldsets = [
        (None, {"fields": ["district", "kind", "parent", "name", "slug", "town", "sector"]}),
        (_("Visiting"), {"fields": ["address", "latitude", "longitude", "phone", "opening_notes", "head_name"]}),
        (_("Status"), {"fields": ["established", "is_active", "is_online", "deputies_per_shift"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Site]:
        return super().get_queryset(request).prefetch_related("areas")

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # The towns the site and the rooms and points saved with it name have their regions under the district's
        # county, as when the network's services write a site (issue 15); a station moved to another district too.
        district_towns_ensure(district=form.instance.district, actor=Actor.from_request(request))

    def get_inline_instances(self, request: HttpRequest, obj: Site | None = None) -> list:
        # A point has nothing under it, so its page offers no child rows.
        inlines = super().get_inline_instances(request, obj)
        if obj is not None and obj.kind == SiteKind.POINT:
            inlines = [inline for inline in inlines if not isinstance(inline, ChildSiteInline)]
        return inlines

    @admin.display(description=_("areas served"))
    def area_names(self, obj: Site) -> str:
        return "、".join(area.name for area in obj.areas.all())


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "town", "district", "site_names"]
    list_filter = ["kind", "district", "town"]
    search_fields = ["name", "town"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Area]:
        return super().get_queryset(request).select_related("district").prefetch_related("sites")

    @admin.display(description=_("sites"))
    def site_names(self, obj: Area) -> str:
        # Site.areas' reverse accessor, which the django-stubs plugin does not add to Area.
        return "、".join(site.name for site in obj.sites.all())  # type: ignore[attr-defined]


# --- deputies --------------------------------------------------------------------------------------------


class MandateInline(admin.TabularInline):
    model = Mandate
    form = SurfaceModelErrorsForm
    extra = 0
    min_num = 1
    fields = ["level", "electoral_district", "term_start", "term_end"]


class DeputyAssignmentInline(admin.TabularInline):
    model = Assignment
    form = SurfaceModelErrorsForm
    autocomplete_fields = ["site"]
    extra = 0
    verbose_name = _("site assignment")
    verbose_name_plural = _("site assignments")


class LevelFilter(admin.SimpleListFilter):
    title = _("level")
    parameter_name = "level"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, StrOrPromise]]:
        return [(level.value, title) for level, title in DEPUTY_TITLES.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Deputy]) -> QuerySet[Deputy]:
        if self.value() in DEPUTY_TITLES:
            return queryset.filter(mandates__level=self.value()).distinct()
        return queryset


class AssignmentFilter(admin.SimpleListFilter):
    """Every active deputy is assigned to a site ("代表进站全员化"); this filter finds the ones who are not."""

    title = _("site assignment")
    parameter_name = "assignment"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, StrOrPromise]]:
        return [
            ("unassigned", _("active, not yet assigned to a site")),
            ("assigned", _("assigned to a site")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Deputy]) -> QuerySet[Deputy]:
        if self.value() == "unassigned":
            return cast(DeputyQuerySet, queryset).unassigned()  # the admin passes Deputy.objects' queryset
        if self.value() == "assigned":
            return queryset.filter(assignments__isnull=False).distinct()
        return queryset


@admin.register(Deputy)
class DeputyAdmin(ReadOnlyHistoryAdmin):
    form = SurfaceModelErrorsForm
    formfield_overrides = {models.ImageField: {"form_class": PhotoField}}
    list_display = ["name", "gender", "level_titles", "sector", "occupation", "site_names", "is_active"]
    list_filter = [LevelFilter, AssignmentFilter, "sector", "is_active", "gender", "district"]
    search_fields = ["name", "slug", "occupation", "sites__name"]
    inlines = [MandateInline, DeputyAssignmentInline]
    fieldsets = [
        (None, {"fields": ["district", "name", "slug", "gender", "photo"]}),
        (_("Public profile"), {"fields": ["sector", "occupation", "biography"]}),
        (_("Private"), {"fields": ["phone", "is_active"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Deputy]:
        return (
            super()
            .get_queryset(request)
            .prefetch_related("mandates", Prefetch("sites", queryset=Site.objects.in_network_order()))
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        # Only the deputies of one district: the administrator's only one, or the one the list is filtered to (a
        # province's 150,000 deputies against their assignments is a scan of both on every page: 60-80 ms at full
        # size; the "site assignment" filter still finds them).
        reach = cast(DeputyQuerySet, self.get_queryset(request))
        chosen = request.GET.get("district__id__exact", "")
        one = chosen if chosen.isdigit() else None
        if one is None:
            only = list(admin_districts(request.user).values_list("pk", flat=True)[:2])
            one = str(only[0]) if len(only) == 1 else None
        unassigned = bounded_count(reach.filter(district_id=one).unassigned())[0] if one else 0
        if unassigned and request.method == "GET" and AssignmentFilter.parameter_name not in request.GET:
            url = reverse("admin:stations_deputy_changelist") + "?assignment=unassigned"
            if chosen.isdigit():
                url += f"&district__id__exact={chosen}"
            text = ngettext(
                "%(count)d active deputy is not yet assigned to any site.",
                "%(count)d active deputies are not yet assigned to any site.",
                unassigned,
            ) % {"count": unassigned}
            messages.warning(request, format_html('{} <a href="{}">{}</a>', text, url, _("Show them")))
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("level"))
    def level_titles(self, obj: Deputy) -> str:
        return "、".join(str(title) for title in obj.titles)

    @admin.display(description=_("sites"))
    def site_names(self, obj: Deputy) -> str:
        return "、".join(site.name for site in obj.sites.all()) or "—"
