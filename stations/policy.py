"""Who may see and change what: the portal's one permission policy.

Every "may this user see or change this object or scope" question is answered here; views, forms,
selectors, services, template tags, middleware, the permission backend and the admin ask, none decides on
its own (STYLE.md; modelled on pretix's permission family and healthchecks' `_get_check_for_user`).

The rules (issue 8):

- **Roles.** Each account has at most one membership: district administrator, station head, station staff
  or deputy. A superuser without a membership counts as a district administrator; anybody else without a
  membership (and the anonymous visitor) has no role.
- **Scope.** District administrators see every site and every record. A station's head and staff see their
  station with its rooms and points. A deputy sees only their own performance record; the deputy role is
  read-only and has no staff workspace.
- **404 outside the scope.** An object outside the user's scope is answered as if it did not exist
  (`Http404`): its existence is not revealed.
- **403 for a read-only write.** A user who may see an object but not change it, trying to change it, gets
  `PermissionDenied` (403), as does a signed-in user without the role a whole page needs.
- **Within a station,** the head manages the roster (assign, swap, move, publish); head and staff mark
  attendance, log and change visits and handle opinions. District administrators may do all of it anywhere,
  restore archived visits, export and reveal voters' details, read the audit log, handle voters' rights
  requests and manage the network in the admin (after the second factor).

Scopes are querysets (`visible_*`), so lists filter in the database; predicates (`can_*`) answer for one
object; `*_for_user` fetch one object for a view: 404 outside the scope, 403 when a read-only role writes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as DjangoUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from stations.models import (
    Assignment,
    Deputy,
    District,
    Duty,
    DutyShift,
    Membership,
    Opinion,
    Role,
    Site,
    SiteKind,
    Visit,
)
from stations.models.opinions import OpinionQuerySet
from stations.models.sites import SiteQuerySet, network_ordering
from stations.models.visits import VisitQuerySet

User = AbstractBaseUser | AnonymousUser
P = ParamSpec("P")
View = Callable[Concatenate[HttpRequest, P], HttpResponse]

# Roles with a staff workspace (they write); the deputy role only reads.
WRITE_ROLES: frozenset[Role] = frozenset({Role.DISTRICT_ADMIN, Role.STATION_HEAD, Role.STAFF})
# Roles tied to one station, whose scope is that station with its rooms and points.
STATION_ROLES: frozenset[Role] = frozenset({Role.STATION_HEAD, Role.STAFF})


# --- roles -------------------------------------------------------------------------------------------------


def membership_of(user: User) -> Membership | None:
    """The user's membership, or None (anonymous, or an account without a role)."""
    if not user.is_authenticated:
        return None
    try:
        membership = getattr(user, "membership")  # noqa: B009  (the reverse one-to-one raises when absent)
    except Membership.DoesNotExist:
        return None
    return membership if isinstance(membership, Membership) else None


def role_of(user: User) -> Role | None:
    """The user's role; a superuser without a membership counts as a district administrator."""
    membership = membership_of(user)
    if membership is not None:
        return Role(membership.role)
    if user.is_authenticated and getattr(user, "is_superuser", False):
        return Role.DISTRICT_ADMIN
    return None


def is_district_admin(user: User) -> bool:
    return role_of(user) == Role.DISTRICT_ADMIN


def works_at_station(user: User) -> bool:
    """Station staff or head: the people whose scope is one station."""
    return role_of(user) in STATION_ROLES


def can_write(user: User) -> bool:
    """Station staff, heads and district administrators: they have a staff workspace and may write."""
    return role_of(user) in WRITE_ROLES


def station_of(user: User) -> Site | None:
    """The station a head or staff member works at; None for other roles."""
    membership = membership_of(user)
    return membership.station if membership is not None else None


def deputy_of(user: User) -> Deputy | None:
    """The deputy a read-only deputy account belongs to; None for other roles."""
    membership = membership_of(user)
    if membership is None or membership.role != Role.DEPUTY:
        return None
    return membership.deputy


def requires_second_factor(user: User) -> bool:
    """District administrators pass the second factor before staff and admin pages; other roles are not asked."""
    return is_district_admin(user)


def district_admin_users() -> QuerySet[DjangoUser]:
    """Active accounts with the district administrator's role (superusers without a membership included)."""
    return DjangoUser.objects.filter(
        Q(membership__role=Role.DISTRICT_ADMIN) | Q(is_superuser=True, membership__isnull=True), is_active=True
    )


def station_team_users(station: Site) -> QuerySet[DjangoUser]:
    """Active heads and staff of the station: the people who handle its records."""
    return DjangoUser.objects.filter(membership__station=station, membership__role__in=STATION_ROLES, is_active=True)


# --- scopes ------------------------------------------------------------------------------------------------


def visible_sites(user: User) -> SiteQuerySet:
    """The sites whose records the user may see: all for district administrators, the own station's for
    station staff and heads, none for anybody else."""
    role = role_of(user)
    if role == Role.DISTRICT_ADMIN:
        return Site.objects.all()
    station = station_of(user)
    if role in STATION_ROLES and station is not None:
        return Site.objects.under_station(station)
    return Site.objects.none()


def visible_stations(user: User) -> SiteQuerySet:
    """The stations among the visible sites (a head's or staff member's own; every one for administrators)."""
    return visible_sites(user).filter(kind=SiteKind.STATION)


def visible_visits(user: User) -> VisitQuerySet:
    """Every visit (archived ones too) of the sites the user may see."""
    return Visit.objects.filter(site__in=visible_sites(user))


def visible_opinions(user: User) -> OpinionQuerySet:
    """Every opinion registered at the sites the user may see (at receptions and online)."""
    return Opinion.objects.filter(site__in=visible_sites(user))


def visible_shifts(user: User) -> QuerySet[DutyShift]:
    return DutyShift.objects.filter(roster__site__in=visible_sites(user))


def visible_duties(user: User) -> QuerySet[Duty]:
    return Duty.objects.filter(shift__roster__site__in=visible_sites(user))


def visible_deputy_records(user: User) -> QuerySet[Deputy]:
    """The deputies whose performance record the user may read: every one for district administrators, those
    serving a site of the station for its staff and head, themself for a deputy, none for anybody else."""
    role = role_of(user)
    if role == Role.DISTRICT_ADMIN:
        return Deputy.objects.all()
    if role in STATION_ROLES:
        serving = Assignment.objects.filter(site__in=visible_sites(user)).values("deputy_id")
        return Deputy.objects.filter(pk__in=serving)
    membership = membership_of(user)
    if membership is not None and membership.role == Role.DEPUTY and membership.deputy_id is not None:
        return Deputy.objects.filter(pk=membership.deputy_id)
    return Deputy.objects.none()


def stats_districts(user: User) -> QuerySet[District]:
    """The districts whose whole figures the user may choose as a statistics scope (district administrators);
    stations and single sites come from `visible_sites`."""
    if is_district_admin(user):
        return District.objects.all()
    return District.objects.none()


# --- predicates: pages and capabilities --------------------------------------------------------------------


def can_view_audit_log(user: User) -> bool:
    return is_district_admin(user)


def can_handle_voter_rights(user: User) -> bool:
    """Look up a voter's records by phone, export and anonymise them."""
    return is_district_admin(user)


def can_view_deputy_attendance(user: User) -> bool:
    """Every deputy's attendance, across the district."""
    return is_district_admin(user)


def can_pick_any_station(user: User) -> bool:
    """Move between stations on the staff pages (everybody else has one station)."""
    return is_district_admin(user)


def can_see_archived_visits(user: User) -> bool:
    return is_district_admin(user)


def can_export_unmasked(user: User) -> bool:
    """Export or reveal voters' full names and phone numbers on request (recorded in the audit log)."""
    return is_district_admin(user)


def can_review_important_opinions(user: User) -> bool:
    """The queue of opinions reported to the district as important."""
    return is_district_admin(user)


def can_administer_network(user: User) -> bool:
    """Every permission of the portal's own apps in the admin, by role (stations.backends)."""
    return user.is_active and is_district_admin(user)


def can_use_admin_by_role(user: User) -> bool:
    """In the admin (is_staff) with the district administrator's role: manages rosters without model permissions."""
    return can_administer_network(user) and bool(getattr(user, "is_staff", False))


# Kinds of spreadsheet a role may import (stations.imports.kinds): the district's administrators anything in
# their district; a station head the records of their own station (visits, rosters); nobody else anything.
NETWORK_IMPORT_KINDS = ("sites", "deputies", "rules", "rosters", "visits")
STATION_IMPORT_KINDS = ("rosters", "visits")


def import_kinds(user: User) -> list[str]:
    """The kinds of records the user may import; the sites they may import into are `visible_sites(user)`."""
    role = role_of(user)
    if role == Role.DISTRICT_ADMIN:
        return list(NETWORK_IMPORT_KINDS)
    if role == Role.STATION_HEAD:
        return list(STATION_IMPORT_KINDS)
    return []


def can_import(user: User) -> bool:
    return bool(import_kinds(user))


def can_open_admin(user: User) -> bool:
    """The Django admin lets in active users marked as staff (its own rule; the portal's checks come after)."""
    return bool(user.is_active and getattr(user, "is_staff", False))


# Pages that only some users may open, by URL name: a link to one is shown only to those (`user|may_open:name`
# in templates), so nobody follows a link to a 403. The views guard themselves with the same predicates.
PAGE_CHECKS: dict[str, Callable[[User], bool]] = {
    "stations:staff_home": can_write,
    "stations:staff_stats": can_write,
    "stations:staff_rosters": can_write,
    "stations:staff_opinion_list": can_write,
    "stations:visit_list": can_write,
    "stations:audit_log": can_view_audit_log,
    "stations:voter_lookup": can_handle_voter_rights,
    "stations:deputy_attendance": can_view_deputy_attendance,
    "stations:import_records": can_import,
    "admin:index": can_open_admin,
}


def may_open(user: User, url_name: str) -> bool:
    """May the user open the page named `url_name`? Pages not listed are public (or check one object)."""
    check = PAGE_CHECKS.get(url_name)
    return check is None or (user.is_authenticated and check(user))


# --- predicates: one object --------------------------------------------------------------------------------


def _same_station(user: User, site: Site) -> bool:
    station = station_of(user)
    return station is not None and site.station_id == station.pk


def _in_scope(user: User, site: Site) -> bool:
    """The site is one of `visible_sites(user)` (answered without a query when the site's parents are loaded)."""
    role = role_of(user)
    if role == Role.DISTRICT_ADMIN:
        return True
    return role in STATION_ROLES and _same_station(user, site)


def can_view_visit(user: User, visit: Visit) -> bool:
    return _in_scope(user, visit.site)


def can_change_visit(user: User, visit: Visit) -> bool:
    """Change or archive: the visit's station's staff and head, or a district administrator."""
    return can_view_visit(user, visit)


def can_restore_visit(user: User, visit: Visit) -> bool:
    """Bring an archived visit back: the head of the visit's station, or a district administrator."""
    if is_district_admin(user):
        return True
    return role_of(user) == Role.STATION_HEAD and _same_station(user, visit.site)


def sees_visitor_in_full(user: User, visit: Visit) -> bool:
    """The station's own staff and head read the visitor's name and phone without asking (recorded)."""
    return works_at_station(user) and _in_scope(user, visit.site)


def can_reveal_visitor(user: User, visit: Visit) -> bool:
    """Others who may see the visit see it masked; a district administrator may reveal it (recorded)."""
    return can_export_unmasked(user) and can_view_visit(user, visit)


def can_view_opinion(user: User, opinion: Opinion) -> bool:
    return _in_scope(user, opinion.site)


def can_reveal_submitter(user: User, opinion: Opinion) -> bool:
    """Where an opinion's submitter is shown masked (the admin), a district administrator may reveal the name,
    phone and e-mail (recorded). The station's staff read them on their opinion page after "show contact"."""
    return can_export_unmasked(user) and can_view_opinion(user, opinion)


def can_handle_opinion(user: User, opinion: Opinion) -> bool:
    """Accept, refer, reply, close…: the site's station's staff and head, or a district administrator."""
    return can_view_opinion(user, opinion)


def can_view_shift(user: User, shift: DutyShift) -> bool:
    return _in_scope(user, shift.site)


def can_enter_late(user: User, site: Site) -> bool:
    """Entering a visit or a handling step older than settings.LATE_ENTRY_DAYS: the station's head and the
    district administrators, never the staff (a record book typed up weeks later is the head's to vouch for)."""
    if is_district_admin(user):
        return True
    return role_of(user) == Role.STATION_HEAD and _same_station(user, site)


def can_manage_roster(user: User, site: Site) -> bool:
    """Assign, swap, move, publish: the head of the site's station, or a district administrator."""
    if is_district_admin(user):
        return True
    return role_of(user) == Role.STATION_HEAD and _same_station(user, site)


def can_mark_attendance(user: User, site: Site) -> bool:
    """Staff and the head of the site's station, or a district administrator."""
    if is_district_admin(user):
        return True
    return role_of(user) in STATION_ROLES and _same_station(user, site)


def can_view_deputy_record(user: User, deputy: Deputy) -> bool:
    return visible_deputy_records(user).filter(pk=deputy.pk).exists()


# --- one object for a view: 404 outside the scope, 403 for a read-only write --------------------------------


def visit_for_user(user: User, pk: int, *, write: bool = False) -> Visit:
    visit = get_object_or_404(
        visible_visits(user).select_related("site", "area", "shift__roster__site", "recorded_by"), pk=pk
    )
    # The queryset holds the scope; what is left to ask is whether the role writes at all.
    if write and not can_write(user):
        raise PermissionDenied
    return visit


def opinion_for_user(user: User, pk: int, *, write: bool = False) -> Opinion:
    opinion = get_object_or_404(
        visible_opinions(user).select_related("site", "handling_body", "visit", "visit__site"), pk=pk
    )
    if write and not can_write(user):
        raise PermissionDenied
    return opinion


def shift_for_user(user: User, pk: int, *, manage: bool = False) -> DutyShift:
    """The shift; with `manage`, 403 unless the user may change its roster (staff may only look and mark)."""
    shift = get_object_or_404(
        visible_shifts(user).select_related("roster__site__parent__parent", "roster__site__station"), pk=pk
    )
    if manage and not can_manage_roster(user, shift.site):
        raise PermissionDenied
    return shift


def duty_for_user(user: User, pk: int, *, mark: bool = False) -> Duty:
    """The duty; with `mark`, 403 unless the user may mark attendance at its site."""
    duty = get_object_or_404(visible_duties(user).select_related("shift__roster__site", "deputy"), pk=pk)
    if mark and not can_mark_attendance(user, duty.shift.site):
        raise PermissionDenied
    return duty


def station_for_user(user: User, slug: str | None) -> Site | None:
    """The station asked for by slug within the user's scope (404 outside it); without a slug the user's own
    station, or for an administrator the first in town order (None when there is none)."""
    stations = visible_stations(user)
    if slug:
        return get_object_or_404(stations, slug=slug)
    return station_of(user) or stations.order_by(*network_ordering()).first()


def managed_station_for_user(user: User, slug: str | None) -> Site:
    """The same station, for a change to its roster: 403 when there is none or the user may not manage it."""
    station = station_for_user(user, slug)
    if station is None or not can_manage_roster(user, station):
        raise PermissionDenied
    return station


def deputy_record_for_user(user: User, slug: str) -> Deputy:
    """A deputy whose record the user may read; 404 for any other (the deputy's existence is public, their
    record is not)."""
    deputy = visible_deputy_records(user).filter(slug=slug).first()
    if deputy is None:
        raise Http404
    return deputy


# --- decorators --------------------------------------------------------------------------------------------


def requires(check: Callable[[User], bool]) -> Callable[[View[P]], View[P]]:
    """A view decorator: the anonymous visitor is sent to sign in, a signed-in user failing `check` gets 403."""

    def decorator(view: View[P]) -> View[P]:
        @wraps(view)
        def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorator


def staff_required(view: View[P]) -> View[P]:
    """Signed in, with a staff role (station staff, head, district administrator). Others get 403."""
    return requires(can_write)(view)


def district_admin_required(view: View[P]) -> View[P]:
    """Signed in as a district administrator. Others get 403."""
    return requires(is_district_admin)(view)
