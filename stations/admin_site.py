"""The Django admin site of the portal: every model admin registered on it is audited.

Replacing the default site (LiaisonAdminConfig in INSTALLED_APPS instead of django.contrib.admin) is
Django's documented way to customise it; `admin.site.register` and `@admin.register` keep working, for the
portal's models and for those of auth, axes and django-otp alike. Each registered ModelAdmin gets
AuditedAdminMixin in front of it, so a change made in the admin — to deputies, users, memberships or
anything else — writes an audit entry with the user, address, object and the changed fields (personal
data masked). Nothing here may import models at module level: it is loaded while apps are populated.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.db import models
from django.utils.translation import gettext_lazy as _


def _field_is_free_text(model: type[models.Model], name: str) -> bool:
    try:
        return isinstance(model._meta.get_field(name), models.TextField)
    except Exception:  # noqa: BLE001  (a form field without a model field, e.g. a password form's)
        return False


class AuditedAdminMixin:
    def save_model(self, request, obj, form, change) -> None:
        from stations.audit import masked_value

        changes = {}
        for name in form.changed_data:
            free_text = _field_is_free_text(type(obj), name)
            changes[name] = {
                "from": masked_value(name, form.initial.get(name), free_text=free_text) if change else None,
                "to": masked_value(name, form.cleaned_data.get(name), free_text=free_text),
            }
        obj._liaison_audit_changes = changes
        super().save_model(request, obj, form, change)

    def get_historical_record_context_helper(self, request, historical_record):
        # Used by simple_history's history page (SimpleHistoryAdmin only); masks what changed.
        from stations.admin.history import MaskedHistoryContextHelper

        return MaskedHistoryContextHelper(self.model, historical_record)

    def _audit(self, request, obj, action: str, message) -> None:
        from stations.audit import audit
        from stations.log_masking import mask_mobiles

        changes = dict(getattr(obj, "_liaison_audit_changes", None) or {})
        if isinstance(message, list):
            # Inline rows and forms that bypass save_model (the password form) are described by the
            # admin's own change message: field names and the related object's name, no values.
            related = [
                {kind: {"name": str(detail["name"]), "object": mask_mobiles(str(detail["object"]))}}
                for part in message
                for kind, detail in part.items()
                if isinstance(detail, dict) and "object" in detail
            ]
            fields = [name for part in message for name in part.get("changed", {}).get("fields", [])]
            if related:
                changes["related"] = related
            if fields and not changes:
                changes["fields"] = fields
        audit(action=action, request=request, target=obj, summary=str(obj), changes=changes)

    def log_addition(self, request, obj, message):
        from stations.models.audit import AuditAction

        entry = super().log_addition(request, obj, message)
        self._audit(request, obj, AuditAction.CREATE, message)
        return entry

    def log_change(self, request, obj, message):
        from stations.models.audit import AuditAction

        entry = super().log_change(request, obj, message)
        self._audit(request, obj, AuditAction.UPDATE, message)
        return entry

    def log_deletions(self, request, queryset):
        from stations.audit import audit
        from stations.models.audit import AuditAction

        entries = super().log_deletions(request, queryset)
        for obj in queryset:
            audit(action=AuditAction.DELETE, request=request, target=obj, summary=str(obj))
        return entries


class LiaisonAdminSite(admin.AdminSite):
    site_header = _("Deputy Liaison Station Portal administration")
    site_title = _("Deputy Liaison Station Portal")
    index_title = _("Administration")

    @property
    def login_form(self):
        # Imported late: this module is loaded while apps are populated.
        from stations.forms.accounts import AdminSignInForm

        return AdminSignInForm

    def register(self, model_or_iterable, admin_class=None, **options) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedAdminMixin):
            admin_class = type(f"Audited{admin_class.__name__}", (AuditedAdminMixin, admin_class), {})
        super().register(model_or_iterable, admin_class, **options)


class LiaisonAdminConfig(AdminConfig):
    default_site = "stations.admin_site.LiaisonAdminSite"
