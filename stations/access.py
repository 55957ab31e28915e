"""Who may see and change what. Every staff view goes through these helpers.

Rules (issue 8 and STYLE.md): a station's staff and head see their station with its rooms and points;
district administrators see everything; deputies only read what concerns them. An object outside the
user's scope is a 404 (its existence is not revealed); a read-only role trying to write is a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from stations.models import Membership, Role, Site
from stations.models.sites import SiteQuerySet

WRITE_ROLES = {Role.DISTRICT_ADMIN, Role.STATION_HEAD, Role.STAFF}
STATION_ROLES = {Role.STATION_HEAD, Role.STAFF}


def membership_of(user) -> Membership | None:
    if not user.is_authenticated:
        return None
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


def role_of(user) -> str | None:
    """The user's role; a superuser without a membership counts as a district administrator."""
    membership = membership_of(user)
    if membership is not None:
        return membership.role
    if user.is_authenticated and user.is_superuser:
        return Role.DISTRICT_ADMIN
    return None


def is_district_admin(user) -> bool:
    return role_of(user) == Role.DISTRICT_ADMIN


def is_station_head(user) -> bool:
    return role_of(user) == Role.STATION_HEAD or is_district_admin(user)


def can_write(user) -> bool:
    return role_of(user) in WRITE_ROLES


def station_of(user) -> Site | None:
    membership = membership_of(user)
    return membership.station if membership is not None else None


def sites_for_user(user) -> SiteQuerySet:
    """The sites whose records the user may see: all for district administrators, the own station's for
    station staff and heads, none for anybody else."""
    role = role_of(user)
    if role == Role.DISTRICT_ADMIN:
        return Site.objects.all()
    station = station_of(user)
    if role in STATION_ROLES and station is not None:  # a constraint gives every station role a station
        return Site.objects.under_station(station)
    return Site.objects.none()


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, with a staff role (station staff, head, district administrator). Others get 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if role_of(request.user) not in WRITE_ROLES:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def district_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_district_admin(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
