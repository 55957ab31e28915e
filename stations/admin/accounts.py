"""Admin registrations: user accounts with their role and station, and the memberships themselves."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from stations.models import Membership

User = get_user_model()


class MembershipInline(admin.StackedInline):
    model = Membership
    fk_name = "user"
    can_delete = False
    max_num = 1
    autocomplete_fields: list[str] = []


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "role", "is_active", "is_staff", "last_login"]
    list_select_related = ["membership"]
    list_filter = ["membership__role", "is_active", "is_staff"]

    @admin.display(description=Membership._meta.get_field("role").verbose_name, ordering="membership__role")
    def role(self, user) -> str:
        membership = getattr(user, "membership", None)
        return membership.get_role_display() if membership is not None else "—"


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "station", "deputy"]
    list_filter = ["role", "station"]
    list_select_related = ["user", "station", "deputy"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
