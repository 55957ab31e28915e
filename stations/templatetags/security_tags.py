"""Template helpers for role-dependent links."""

from django import template

from stations.access import can_write, is_district_admin, membership_of
from stations.models import Role

register = template.Library()


@register.filter(name="is_district_admin")
def is_district_admin_filter(user) -> bool:
    return is_district_admin(user)


@register.filter(name="can_write")
def can_write_filter(user) -> bool:
    """Station staff, heads and district administrators: they have a staff workspace."""
    return can_write(user)


@register.filter
def own_deputy(user):
    """The deputy a read-only deputy account belongs to, else None."""
    membership = membership_of(user)
    return membership.deputy if membership is not None and membership.role == Role.DEPUTY else None
