"""Admin for API keys: a district administrator issues a key (shown once, on the page after saving) and revokes it.
Keys are never deleted, so that the audit entries written with a key's name keep pointing at it."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from stations.audit import Actor
from stations.models import ApiKey
from stations.policy import can_manage_api_keys
from stations.services.api_keys import api_key_issue, api_key_revoke


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "created_at", "created_by", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name"]
    fields = ["name", "prefix", "created_at", "created_by", "revoked_at"]
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> list[str]:
        # The name is given once: audit entries written with the key carry it.
        readonly = ["prefix", "created_at", "created_by", "revoked_at"]
        return ["name", *readonly] if obj is not None else readonly

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_manage_api_keys(request.user)

    def has_view_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        return can_manage_api_keys(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_manage_api_keys(request.user)

    def has_change_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        return can_manage_api_keys(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ApiKey, form, change: bool) -> None:
        if change:
            return  # nothing on a key can be changed once issued
        key, secret = api_key_issue(name=form.cleaned_data["name"], actor=Actor.from_request(request))
        # The admin goes on with `obj` (its change message, the redirect): make it the key just issued.
        obj.pk, obj.prefix, obj.key_hash, obj.created_at = key.pk, key.prefix, key.key_hash, key.created_at
        obj.created_by = key.created_by
        obj._state.adding = False
        messages.warning(
            request,
            format_html(
                "{} <code>{}</code>",
                _("The new API key, shown only this once: copy it now and hand it over safely."),
                secret,
            ),
        )

    @admin.action(description=_("Revoke the selected API keys"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        actor = Actor.from_request(request)
        revoked = [key for key in queryset if key.is_active]
        for key in revoked:
            api_key_revoke(key=key, actor=actor)
        messages.success(
            request,
            ngettext("%(count)d API key revoked.", "%(count)d API keys revoked.", len(revoked))
            % {"count": len(revoked)},
        )
