"""Template helpers for role-dependent links."""

from django import template

from stations.access import is_district_admin

register = template.Library()


@register.filter(name="is_district_admin")
def is_district_admin_filter(user) -> bool:
    return is_district_admin(user)
