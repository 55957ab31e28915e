"""Admin for users' roles in the network (Membership), also shown on each user's page."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from stations.admin.sites import ReadOnlyHistoryAdmin, SurfaceModelErrorsForm
from stations.admin_site import AuditedAdminMixin
from stations.audit import Actor, audit
from stations.models import AuditAction, Membership
from stations.policy import can_grant_membership, membership_choices

User = get_user_model()


@admin.register(Membership)
class MembershipAdmin(ReadOnlyHistoryAdmin):
    form = SurfaceModelErrorsForm
    list_display = ["user", "user_full_name", "role", "district", "region", "station", "deputy"]
    list_filter = ["role", ("station", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__username", "user__first_name", "user__last_name", "station__name", "deputy__name"]
    autocomplete_fields = ["user", "district", "region", "station", "site", "deputy"]
    list_select_related = ["user", "district", "region", "station", "deputy"]

    @admin.display(description=_("full name"), ordering="user__first_name")
    def user_full_name(self, obj: Membership) -> str:
        return obj.user.get_full_name()

    # The list, the change and delete pages and the history hold only the roles within the administrator's reach
    # (`get_queryset`, policy.visible_memberships through admin_scoped): one out of reach is read as if it did not
    # exist, as the other scoped admin pages answer. A write to one (a POST to its change or delete page) is
    # refused with 403, whether it exists or not, so the refusal reveals nothing either; so is a write naming an
    # account, district, region, station, site or deputy its selects never offered (as `_check_grant` refuses a
    # role out of reach: 403 whether the named row exists or not, and its name is never shown back).
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        _refuse_write_out_of_reach(self, request, object_id)
        if request.method == "POST":
            _refuse_values_out_of_reach(request)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        _refuse_write_out_of_reach(self, request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return _scoped_choice(db_field, request, super().formfield_for_foreignkey(db_field, request, **kwargs))

    def save_model(self, request, obj, form, change) -> None:
        _check_grant(request, obj, change)
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj) -> None:
        _check_grant(request, obj, True)
        super().delete_model(request, obj)


def _refuse_write_out_of_reach(model_admin: admin.ModelAdmin, request, object_id: str | None) -> None:
    if (
        request.method == "POST"
        and object_id is not None
        and model_admin.get_object(request, unquote(object_id)) is None
    ):
        raise PermissionDenied


def _refuse_values_out_of_reach(request) -> None:
    for field in MEMBERSHIP_CHOICE_FIELDS:
        value = request.POST.get(field, "")
        choices = membership_choices(request.user, field)
        if value.isascii() and value.isdigit() and choices is not None and not choices.filter(pk=int(value)).exists():
            raise PermissionDenied


MEMBERSHIP_CHOICE_FIELDS = ("user", "district", "region", "station", "site", "deputy")


def _scoped_choice(db_field, request, formfield):
    """A role's select (user, district, region, station, site, deputy) offers only what is within the user's reach
    (policy.membership_choices); its search in the admin is narrowed alike (AuditedAdminMixin.get_search_results),
    and a value from outside it is refused next to the field (on a user's page; the roles' own page refuses such a
    form with 403 before, `_refuse_values_out_of_reach`)."""
    choices = membership_choices(request.user, db_field.name)
    if formfield is not None and choices is not None:
        formfield.queryset = formfield.queryset.filter(pk__in=choices.values("pk"))
    return formfield


def _check_grant(request, membership: Membership, change: bool) -> None:
    """Refuse (403) a role the user may not give, or a change to one they may not touch (issue 15)."""
    if not can_grant_membership(request.user, membership):
        raise PermissionDenied
    if change and membership.pk:
        before = Membership.objects.filter(pk=membership.pk).first()
        if before is not None and not can_grant_membership(request.user, before):
            raise PermissionDenied


class MembershipInline(admin.StackedInline):
    model = Membership
    form = SurfaceModelErrorsForm
    autocomplete_fields = ["district", "region", "station", "site", "deputy"]
    can_delete = True
    extra = 0
    max_num = 1
    verbose_name = _("role in the network")
    verbose_name_plural = _("role in the network")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return _scoped_choice(db_field, request, super().formfield_for_foreignkey(db_field, request, **kwargs))


# The user page shows the user's role and station next to their permissions, so an administrator sets up an
# account in one place.
if admin.site.is_registered(User):
    admin.site.unregister(User)


# The admin's "change password" form is how a forgotten password is replaced: there is no self-service
# reset (see liaison/urls.py). Its change message names only the password field.
_PASSWORD_SET = [{"changed": {"fields": ["password"]}}]


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
    inlines = [*BaseUserAdmin.inlines, MembershipInline]
    list_display = ["username", "first_name", "last_name", "role", "is_staff", "is_active"]
    list_filter = [*BaseUserAdmin.list_filter, "membership__role"]
    list_select_related = ["membership"]

    # Only a superuser makes, edits or removes a superuser, or hands out permissions and groups: a district
    # administrator manages the network's accounts through their roles (Membership), and could otherwise make
    # themself a superuser or take over a superuser's account by setting its password.
    _SUPERUSER_ONLY = ("is_superuser", "groups", "user_permissions")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else [*readonly, *self._SUPERUSER_ONLY]

    def _reserved(self, request, obj) -> bool:
        return obj is not None and obj.is_superuser and not request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return not self._reserved(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not self._reserved(request, obj) and super().has_delete_permission(request, obj)

    @admin.display(description=_("role"), ordering="membership__role")
    def role(self, obj) -> str:
        membership = getattr(obj, "membership", None)
        return membership.get_role_display() if membership else "—"

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is Membership:
            for inline_form in formset.forms:
                if inline_form.has_changed() or inline_form in formset.deleted_forms:
                    _check_grant(request, inline_form.instance, bool(inline_form.instance.pk))
        super().save_formset(request, form, formset, change)

    def _audit(self, request, obj, action: str, message) -> None:
        if message != _PASSWORD_SET:
            return super()._audit(request, obj, action, message)
        # Who set it is the entry's user, for whom its object; the password itself never reaches the log.
        audit(
            action=AuditAction.PASSWORD_SET,
            actor=Actor.from_request(request),
            target=obj,
            summary=(
                gettext_noop("password set by an administrator")
                if obj.has_usable_password()
                else gettext_noop("password sign-in disabled by an administrator")
            ),
            changes={"user": obj.get_username(), "fields": ["password"]},
        )
