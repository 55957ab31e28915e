"""Template helpers for role-dependent links: each asks the policy (stations.policy)."""

from django import template

from stations import policy
from stations.models import Deputy

register = template.Library()


@register.filter(name="is_district_admin")
def is_district_admin_filter(user: policy.User) -> bool:
    return policy.is_district_admin(user)


@register.filter(name="can_write")
def can_write_filter(user: policy.User) -> bool:
    """Station staff, heads and district administrators: they have a staff workspace."""
    return policy.can_write(user)


@register.filter
def own_deputy(user: policy.User) -> Deputy | None:
    """The deputy a read-only deputy account belongs to, else None."""
    return policy.deputy_of(user)


@register.filter(name="may_open")
def may_open_filter(user: policy.User, url_name: str) -> bool:
    """`{% if user|may_open:"stations:staff_stats" %}`: show a link only to those the page lets in."""
    return policy.may_open(user, url_name)
