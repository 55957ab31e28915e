"""The Django admin site of the portal: every model admin registered on it is audited.

Replacing the default site (LiaisonAdminConfig in INSTALLED_APPS instead of django.contrib.admin) is
Django's documented way to customise it; `admin.site.register` and `@admin.register` keep working, for the
portal's models and for those of auth, axes and django-otp alike. Each registered ModelAdmin gets
AuditedAdminMixin in front of it, so a change made in the admin — to deputies, users, memberships or
anything else — writes an audit entry with the user, address, object and the changed fields (personal
data masked). Nothing here may import models at module level: it is loaded while apps are populated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.db import models
from django.utils.translation import gettext_lazy as _

from stations.privacy import mask_phones_in_text


def _field_is_free_text(model: type[models.Model], name: str) -> bool:
    try:
        return isinstance(model._meta.get_field(name), models.TextField)
    except Exception:  # noqa: BLE001  (a form field without a model field, e.g. a password form's)
        return False


if TYPE_CHECKING:
    # The mixin's super() calls reach ModelAdmin in the classes that use it; tell the type checker so.
    _ModelAdminBase = admin.ModelAdmin[Any]
else:
    _ModelAdminBase = object


def _current_scopes(obj: models.Model) -> set[str]:
    from stations import caching

    return caching.current_scopes(obj)


class AuditedAdminMixin(_ModelAdminBase):
    # The imports inside these methods are deferred on purpose: this module is loaded while apps are
    # populated (LiaisonAdminConfig), before any model may be imported.
    def get_queryset(self, request):
        # An administrator of some districts (a district's, a city's, a province's) sees only their rows of the
        # network's models (issue 15); the policy says which.
        from stations.policy import admin_scoped

        return admin_scoped(request.user, super().get_queryset(request))

    def get_search_results(self, request, queryset, search_term):
        # The admin's search behind a select (its autocomplete) answers a role's form with only what that form may
        # name (policy.membership_choices): no select of a role offers another region's account, region or site.
        from stations.policy import membership_choices

        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        match = request.resolver_match
        if (
            match is not None
            and match.url_name == "autocomplete"
            and (request.GET.get("app_label"), request.GET.get("model_name")) == ("stations", "membership")
        ):
            choices = membership_choices(request.user, request.GET.get("field_name", ""))
            if choices is not None:
                queryset = queryset.filter(pk__in=choices.values("pk"))
        return queryset, may_have_duplicates

    # simple_history's history pages find their row without the admin's queryset (a deleted row's history is shown
    # from its last version): for an administrator of some districts, the history of a row outside their list is
    # answered as a row that does not exist (404), as its change page is.
    def history_view(self, request, object_id, extra_context=None):
        self._history_within_reach(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._history_within_reach(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)  # type: ignore[misc]

    def _history_within_reach(self, request, object_id) -> None:
        from django.contrib.admin.utils import unquote
        from django.http import Http404
        from simple_history.admin import SimpleHistoryAdmin

        from stations.policy import reads_history_of_removed_rows

        if not isinstance(self, SimpleHistoryAdmin) or reads_history_of_removed_rows(request.user):
            return
        if self.get_object(request, unquote(str(object_id))) is None:
            raise Http404

    def save_model(self, request, obj, form, change) -> None:
        from stations.audit import masked_value
        from stations.services.figures import stored_keys_of

        changes = {}
        for name in form.changed_data:
            free_text = _field_is_free_text(type(obj), name)
            changes[name] = {
                "from": masked_value(name, form.initial.get(name), free_text=free_text) if change else None,
                "to": masked_value(name, form.cleaned_data.get(name), free_text=free_text),
            }
        obj._liaison_audit_changes = changes
        # The public pages that show the record as it was (its old slug, the deputies on a shift before its inline
        # rows change); those showing it as it is now are added when the change is logged (`_invalidate`).
        obj._liaison_cache_before = _current_scopes(obj) if change else set()
        obj._liaison_figures_before = stored_keys_of(obj) if change else set()
        super().save_model(request, obj, form, change)

    # The figures' summary cells of what the admin changed are recomputed as the services do
    # (stations/services/figures.py): after a save and its inline rows (`_invalidate`), after a deletion.
    def delete_model(self, request, obj) -> None:
        from stations.services.figures import figures_touch, keys_of

        keys = keys_of(obj)
        super().delete_model(request, obj)
        figures_touch(keys=keys)

    def delete_queryset(self, request, queryset) -> None:
        from stations.services.figures import figures_touch, keys_of

        keys = set().union(*(keys_of(obj) for obj in queryset))
        super().delete_queryset(request, queryset)
        figures_touch(keys=keys)

    def get_historical_record_context_helper(self, request, historical_record):
        # Used by simple_history's history page (SimpleHistoryAdmin only); masks what changed.
        from stations.admin.history import MaskedHistoryContextHelper

        return MaskedHistoryContextHelper(self.model, historical_record)

    def _audit(self, request, obj, verb: str, message) -> None:
        from stations.audit import Actor, admin_action, audit

        changes = dict(getattr(obj, "_liaison_audit_changes", None) or {})
        if isinstance(message, list):
            # Inline rows and forms that bypass save_model (the password form) are described by the
            # admin's own change message: field names and the related object's name, no values.
            related = [
                {kind: {"name": str(detail["name"]), "object": mask_phones_in_text(str(detail["object"]))}}
                for part in message
                for kind, detail in part.items()
                if isinstance(detail, dict) and "object" in detail
            ]
            fields = [name for part in message for name in part.get("changed", {}).get("fields", [])]
            if related:
                changes["related"] = related
            if fields and not changes:
                changes["fields"] = fields
        audit(
            action=admin_action(obj, verb),
            actor=Actor.from_request(request),
            target=obj,
            summary=str(obj),
            changes=changes,
        )

    @staticmethod
    def _invalidate(obj) -> None:
        # Every change the admin logs (after the object and its inline rows are saved, or before they are
        # deleted) renews the cached public pages that show it (stations.caching), as the services do.
        from stations import caching
        from stations.services.figures import figures_touch, keys_of

        before: set[str] = getattr(obj, "_liaison_cache_before", set())
        caching.invalidate(before | caching.scopes_for(obj))
        figures_touch(keys=getattr(obj, "_liaison_figures_before", set()) | keys_of(obj))

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        self._audit(request, obj, "created", message)
        self._invalidate(obj)
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        self._audit(request, obj, "changed", message)
        self._invalidate(obj)
        return entry

    def log_deletions(self, request, queryset):
        from stations.audit import Actor, admin_action, audit

        entries = super().log_deletions(request, queryset)
        actor = Actor.from_request(request)
        for obj in queryset:
            audit(action=admin_action(obj, "deleted"), actor=actor, target=obj, summary=str(obj))
            self._invalidate(obj)
        return entries


class BoundedChangeList(_ModelAdminBase):
    """Counts a change list as the staff lists do (`stations.paging.BoundedPaginator`: at most MAX_COUNT rows, then
    "more than", which templates/admin/pagination.html says), once: Django's own count of a province's 2,000,000
    visits, twice a page, was 0.6 s (see stations/admin/lists.py for the period filters), and without the filters'
    counts."""

    show_full_result_count = False
    # "Show counts" counts every option of every filter over the whole list: seconds at a province's size.
    show_facets = admin.ShowFacets.NEVER

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        from stations.paging import MAX_COUNT, BoundedPaginator

        return BoundedPaginator(
            queryset, per_page, max_count=MAX_COUNT, orphans=orphans, allow_empty_first_page=allow_empty_first_page
        )


class LiaisonAdminSite(admin.AdminSite):
    site_header = _("Deputy Liaison Station Portal administration")
    site_title = _("Deputy Liaison Station Portal")
    index_title = _("Administration")

    # A property, so that the form is imported once apps are ready; AdminSite declares a plain attribute.
    @property
    def login_form(self):  # type: ignore[override]
        # Imported late: this module is loaded while apps are populated.
        from stations.forms.accounts import AdminSignInForm

        return AdminSignInForm

    def register(self, model_or_iterable, admin_class=None, **options) -> None:
        admin_class = admin_class or admin.ModelAdmin
        # Audited, and counting its list as the staff lists do (a province's lists are millions of rows).
        mixins = tuple(mixin for mixin in (AuditedAdminMixin, BoundedChangeList) if not issubclass(admin_class, mixin))
        if mixins:
            admin_class = type(f"Audited{admin_class.__name__}", (*mixins, admin_class), {})
        super().register(model_or_iterable, admin_class, **options)


class LiaisonAdminConfig(AdminConfig):
    default_site = "stations.admin_site.LiaisonAdminSite"
