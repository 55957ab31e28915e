"""Who may see and change what: the portal's one permission policy.

Every "may this user see or change this object or scope" question is answered here; views, forms,
selectors, services, template tags, middleware, the permission backend and the admin ask, none decides on
its own (STYLE.md; modelled on pretix's permission family and healthchecks' `_get_check_for_user`).

The rules (issue 8):

- **Roles.** Each account has at most one membership: province, city or district administrator, station
  head, station staff or deputy. A superuser without a membership counts as a district administrator of the
  whole portal; anybody else without a membership (and the anonymous visitor) has no role.
- **Scope.** Administrators see every site and every record of the districts they administer (issue 15): a
  district administrator their district, a city or province administrator every district below their region;
  a district administrator not tied to a district (a row written outside the admin, or a superuser) the whole
  portal. A station's head and staff see their station with its rooms and points. A deputy sees only their own performance record; the deputy role is
  read-only and has no staff workspace.
- **404 outside the scope.** An object outside the user's scope is answered as if it did not exist
  (`Http404`): its existence is not revealed.
- **403 for a read-only write.** A user who may see an object but not change it, trying to change it, gets
  `PermissionDenied` (403), as does a signed-in user without the role a whole page needs.
- **Within a station,** the head manages the roster (assign, swap, move, publish); head and staff mark
  attendance, log and change visits and handle opinions. Administrators may do all of it within their scope,
  restore archived visits, export and reveal voters' details, read the audit log, handle voters' rights
  requests and manage the network in the admin (after the second factor).

Scopes are querysets (`visible_*`), so lists filter in the database; predicates (`can_*`) answer for one
object; `*_for_user` fetch one object for a view: 404 outside the scope, 403 when a read-only role writes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec, cast

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
    AuditEntry,
    Deputy,
    District,
    Duty,
    DutyShift,
    HandlingBody,
    Membership,
    Opinion,
    Pairing,
    Region,
    RegionLevel,
    Role,
    Site,
    SiteKind,
    SwapRequest,
    Unavailability,
    Visit,
)
from stations.models.opinions import HandlingBodyQuerySet, OpinionQuerySet
from stations.models.records import PairingQuerySet
from stations.models.regions import RegionQuerySet
from stations.models.sites import SiteQuerySet, network_ordering
from stations.models.visits import VisitQuerySet

User = AbstractBaseUser | AnonymousUser
P = ParamSpec("P")
View = Callable[Concatenate[HttpRequest, P], HttpResponse]

# Administrators: the district's, and the city's and province's over every district below them (issue 15).
ADMIN_ROLES: frozenset[Role] = frozenset({Role.DISTRICT_ADMIN, Role.CITY_ADMIN, Role.PROVINCE_ADMIN})
REGION_ADMIN_ROLES: frozenset[Role] = frozenset({Role.CITY_ADMIN, Role.PROVINCE_ADMIN})
# Roles with a staff workspace (they write); the deputy role only reads.
WRITE_ROLES: frozenset[Role] = ADMIN_ROLES | {Role.STATION_HEAD, Role.STAFF}
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
    """Exactly the district administrator's role (a superuser without a membership included)."""
    return role_of(user) == Role.DISTRICT_ADMIN


def is_city_admin(user: User) -> bool:
    return role_of(user) == Role.CITY_ADMIN


def is_province_admin(user: User) -> bool:
    return role_of(user) == Role.PROVINCE_ADMIN


def is_administrator(user: User) -> bool:
    """A district, city or province administrator: the administrator's pages and powers, within their scope."""
    return role_of(user) in ADMIN_ROLES


def region_of(user: User) -> Region | None:
    """The city or province a regional administrator administers; None for other roles."""
    membership = membership_of(user)
    if membership is None or membership.role not in REGION_ADMIN_ROLES:
        return None
    return membership.region


def district_of(user: User) -> District | None:
    """The one district an account works in: a district administrator's own, a station's staff's station's;
    None for regional administrators, the portal-wide administrator and everybody else."""
    membership = membership_of(user)
    if membership is None:
        return None
    if membership.role == Role.DISTRICT_ADMIN:
        return membership.district
    if membership.station is not None:
        return membership.station.district
    return None


def administers_everything(user: User) -> bool:
    """A district administrator not tied to a district (a superuser without a membership, or a row written
    before accounts were tied): the portal's own administrator, every district."""
    if role_of(user) != Role.DISTRICT_ADMIN:
        return False
    membership = membership_of(user)
    return membership is None or membership.district_id is None


def admin_districts(user: User) -> QuerySet[District]:
    """The districts an administrator administers (none for other roles). Lazy: used as a subquery."""
    role = role_of(user)
    if role not in ADMIN_ROLES:
        return District.objects.none()
    if administers_everything(user):
        return District.objects.all()
    membership = membership_of(user)
    assert membership is not None  # every administrator but the unscoped one has a membership
    if role == Role.DISTRICT_ADMIN:
        return District.objects.filter(pk=membership.district_id or 0)
    # A region's districts by their ids, read once a request (`_admin_district_ids`), not as the join up the
    # region tree: PostgreSQL estimates that self-join at one district whatever the region holds (once a province
    # has its towns as regions), and then plans a province's opinion list as a nested loop over every one of its
    # opinions (2.6 s at full size instead of 16 ms). With the ids it counts the districts' rows from its statistics.
    return District.objects.filter(pk__in=sorted(_admin_district_ids(user) or ()))


def _region_districts(user: User) -> QuerySet[District]:
    membership = membership_of(user)
    region = membership.region if membership is not None else None
    return District.objects.under_region(region) if region is not None else District.objects.none()


def _admin_district_ids(user: User) -> frozenset[int] | None:
    """The ids of `admin_districts(user)`, None for "every district"; one query per request for a regional
    administrator (kept on the user object, which lives as long as the request), none for the others."""
    if administers_everything(user):
        return None
    membership = membership_of(user)
    if membership is not None and membership.role == Role.DISTRICT_ADMIN:
        return frozenset({membership.district_id}) if membership.district_id else frozenset()
    cached = getattr(user, "_stations_admin_district_ids", None)
    if cached is None:
        cached = frozenset(_region_districts(user).values_list("pk", flat=True))
        setattr(user, "_stations_admin_district_ids", cached)  # noqa: B010  (a per-request cache on the user)
    return cast(frozenset[int], cached)


def administers_district(user: User, district_id: int | None) -> bool:
    """Is the district within the administrator's scope? False for every other role."""
    if not is_administrator(user):
        return False
    ids = _admin_district_ids(user)
    return ids is None or district_id in ids


def admin_regions(user: User) -> RegionQuerySet:
    """The regions whose pages and figures an administrator may choose as a scope: a regional administrator's
    region and every city and county below it, a district administrator's county; every region for the
    portal-wide administrator."""
    role = role_of(user)
    if role not in ADMIN_ROLES:
        return Region.objects.none()
    if administers_everything(user):
        return Region.objects.exclude(level=RegionLevel.TOWN)
    region = region_of(user)
    if region is not None:
        return Region.objects.filter(Q(pk=region.pk) | Q(parent=region) | Q(parent__parent=region)).exclude(
            level=RegionLevel.TOWN
        )
    return Region.objects.filter(district__in=admin_districts(user))


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


def is_deputy(user: User) -> bool:
    """A deputy's account: their own pages (duties, unavailable dates, swap requests, calendar)."""
    return deputy_of(user) is not None


def requires_second_factor(user: User) -> bool:
    """Administrators (district, city, province) pass the second factor before staff and admin pages; other
    roles are not asked."""
    return is_administrator(user)


def district_admin_users(site: Site | None = None) -> QuerySet[DjangoUser]:
    """Active accounts with the district administrator's role (superusers without a membership included); with
    a site, the administrators of every level whose scope holds it (its district's, its city's, its province's
    and the portal-wide ones)."""
    portal_wide = Q(membership__role=Role.DISTRICT_ADMIN, membership__district__isnull=True) | Q(
        is_superuser=True, membership__isnull=True
    )
    if site is None:
        return DjangoUser.objects.filter(
            Q(membership__role=Role.DISTRICT_ADMIN) | Q(is_superuser=True, membership__isnull=True), is_active=True
        )
    region_id = site.district.region_id
    above = Q(pk__in=[])
    if region_id is not None:
        above = Q(membership__role=Role.CITY_ADMIN, membership__region__children=region_id) | Q(
            membership__role=Role.PROVINCE_ADMIN, membership__region__children__children=region_id
        )
    own = Q(membership__role=Role.DISTRICT_ADMIN, membership__district=site.district_id)
    return DjangoUser.objects.filter(portal_wide | own | above, is_active=True).distinct()


def station_team_users(station: Site) -> QuerySet[DjangoUser]:
    """Active heads and staff of the station: the people who handle its records."""
    return DjangoUser.objects.filter(membership__station=station, membership__role__in=STATION_ROLES, is_active=True)


# --- scopes ------------------------------------------------------------------------------------------------


def visible_sites(user: User) -> SiteQuerySet:
    """The sites whose records the user may see: every site of their districts for administrators (all for the
    portal-wide one), the own station's for station staff and heads, none for anybody else."""
    role = role_of(user)
    if role in ADMIN_ROLES:
        if administers_everything(user):
            return Site.objects.all()
        return Site.objects.filter(district__in=admin_districts(user))
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


def visible_handling_bodies(user: User) -> HandlingBodyQuerySet:
    """The handling bodies the user's opinions may have been referred to (the opinions list's filter): those of
    the districts whose opinions they see, and the shared ones; every body for the portal-wide administrator."""
    role = role_of(user)
    if role in ADMIN_ROLES:
        if administers_everything(user):
            return HandlingBody.objects.all()
        return HandlingBody.objects.filter(Q(district__in=admin_districts(user)) | Q(district__isnull=True))
    station = station_of(user)
    if role in STATION_ROLES and station is not None:
        return HandlingBody.objects.for_district(station.district_id)
    return HandlingBody.objects.none()


def admin_handling_bodies(user: User, queryset: QuerySet[HandlingBody]) -> QuerySet[HandlingBody]:
    """The admin's list of handling bodies: an administrator of some districts sees theirs and the shared ones;
    the portal-wide administrator, a superuser and admin users without an administrator's role see every one."""
    if getattr(user, "is_superuser", False) or not is_administrator(user) or administers_everything(user):
        return queryset
    return queryset.filter(Q(district__in=admin_districts(user)) | Q(district__isnull=True))


def can_share_handling_bodies(user: User) -> bool:
    """May the user leave a body's district empty (shared by every district) or change a shared body?"""
    return bool(getattr(user, "is_superuser", False)) or administers_everything(user)


def handling_body_districts(user: User) -> QuerySet[District]:
    """The districts the user may give a handling body in the admin."""
    return District.objects.all() if can_share_handling_bodies(user) else admin_districts(user)


def can_manage_handling_body(user: User, body: HandlingBody | None = None) -> bool:
    """Add, change or retire handling bodies in the admin: an administrator, for the districts they administer
    (`body` None: may they add one at all). A shared body (no district) serves every district, so only the
    portal-wide administrator (and a superuser) changes it; the others see it, read-only."""
    if can_share_handling_bodies(user):
        return True
    if not can_use_admin_by_role(user):
        return False
    if body is None:
        return True
    return body.district_id is not None and administers_district(user, body.district_id)


def visible_shifts(user: User) -> QuerySet[DutyShift]:
    return DutyShift.objects.filter(roster__site__in=visible_sites(user))


def visible_duties(user: User) -> QuerySet[Duty]:
    return Duty.objects.filter(shift__roster__site__in=visible_sites(user))


def visible_deputy_records(user: User) -> QuerySet[Deputy]:
    """The deputies whose performance record the user may read: every one for district administrators, those
    serving a site of the station for its staff and head, themself for a deputy, none for anybody else."""
    role = role_of(user)
    if role in ADMIN_ROLES:
        if administers_everything(user):
            return Deputy.objects.all()
        return Deputy.objects.filter(district__in=admin_districts(user))
    if role in STATION_ROLES:
        serving = Assignment.objects.filter(site__in=visible_sites(user)).values("deputy_id")
        return Deputy.objects.filter(pk__in=serving)
    membership = membership_of(user)
    if membership is not None and membership.role == Role.DEPUTY and membership.deputy_id is not None:
        return Deputy.objects.filter(pk=membership.deputy_id)
    return Deputy.objects.none()


def visible_pairings(user: User) -> PairingQuerySet:
    """Pairings of deputies with voters at the sites the user may see (staff of the station, administrators)."""
    return Pairing.objects.filter(site__in=visible_sites(user))


def visible_swap_requests(user: User) -> QuerySet[SwapRequest]:
    """Swap requests on the rosters of the sites the user may see (the station's head decides them); a deputy
    sees their own on their pages."""
    deputy = deputy_of(user)
    if deputy is not None:
        return SwapRequest.objects.filter(deputy=deputy)
    return SwapRequest.objects.filter(duty__shift__roster__site__in=visible_sites(user))


def stats_districts(user: User) -> QuerySet[District]:
    """The districts whose whole figures the user may choose as a statistics scope (administrators, within
    their scope); stations and single sites come from `visible_sites`, regions from `stats_regions`."""
    return admin_districts(user)


def stats_regions(user: User) -> RegionQuerySet:
    """The regions whose rolled-up figures the user may choose on the staff statistics (administrators)."""
    return admin_regions(user)


def region_for_user(user: User, key: str) -> Region:
    """A region for the staff statistics by code or id: 404 outside the user's scope."""
    region = stats_regions(user).by_key(key)
    if region is None:
        raise Http404
    return region


# --- predicates: pages and capabilities --------------------------------------------------------------------


def can_decide_swaps(user: User) -> bool:
    """The page of deputies' swap requests: station heads (their station's) and administrators (their districts')."""
    return role_of(user) in ADMIN_ROLES | {Role.STATION_HEAD}


def can_view_audit_log(user: User) -> bool:
    return is_administrator(user)


def can_handle_voter_rights(user: User) -> bool:
    """Look up a voter's records by phone, export and anonymise them."""
    return is_administrator(user)


def can_view_deputy_attendance(user: User) -> bool:
    """Every deputy's attendance, across the district."""
    return is_administrator(user)


def can_pick_any_station(user: User) -> bool:
    """Move between stations on the staff pages (everybody else has one station)."""
    return is_administrator(user)


def can_see_archived_visits(user: User) -> bool:
    return is_administrator(user)


def can_export_unmasked(user: User) -> bool:
    """Export or reveal voters' full names and phone numbers on request (recorded in the audit log)."""
    return is_administrator(user)


def can_review_important_opinions(user: User) -> bool:
    """The queue of opinions reported to the district as important."""
    return is_administrator(user)


def can_administer_network(user: User) -> bool:
    """Every permission of the portal's own apps in the admin, by role (stations.backends)."""
    return user.is_active and is_administrator(user)


def can_manage_api_keys(user: User) -> bool:
    """Issue and revoke the keys other systems write through the API with (in the admin)."""
    return can_administer_network(user)


def can_use_admin_by_role(user: User) -> bool:
    """In the admin (is_staff) with the district administrator's role: manages rosters without model permissions."""
    return can_administer_network(user) and bool(getattr(user, "is_staff", False))


def can_manage_themes(user: User, *, district: District, stations: list[Site] | None = None) -> bool:
    """Choose a year's activity themes: an administrator (district, city or province) for a district they
    administer or any of its stations; a station head for their own station only (a theme naming just it)."""
    if is_administrator(user):
        return administers_district(user, district.pk)
    if role_of(user) != Role.STATION_HEAD:
        return False
    own = station_of(user)
    return (
        own is not None
        and own.district_id == district.pk
        and stations is not None
        and len(stations) == 1
        and stations[0].pk == own.pk
    )


def can_choose_themes(user: User) -> bool:
    """The page where a year's themes are chosen: administrators and station heads."""
    return role_of(user) in ADMIN_ROLES | {Role.STATION_HEAD}


# Kinds of spreadsheet a role may import (stations.imports.kinds): the district's administrators anything in
# their district; a station head the records of their own station (visits, rosters); nobody else anything.
NETWORK_IMPORT_KINDS = ("sites", "deputies", "rules", "rosters", "visits")
STATION_IMPORT_KINDS = ("rosters", "visits")


def import_kinds(user: User) -> list[str]:
    """The kinds of records the user may import; the sites they may import into are `visible_sites(user)`."""
    role = role_of(user)
    if role in ADMIN_ROLES:
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
    "stations:staff_themes": can_write,
    "stations:pairing_list": can_write,
    "stations:deputy_home": is_deputy,
    "stations:swap_requests": can_decide_swaps,
    "admin:index": can_open_admin,
}


def may_open(user: User, url_name: str) -> bool:
    """May the user open the page named `url_name`? Pages not listed are public (or check one object)."""
    check = PAGE_CHECKS.get(url_name)
    return check is None or (user.is_authenticated and check(user))


# --- the Django admin by scope (issue 15) ----------------------------------------------------------------------

# How each model of the network reaches its district, for scoping the admin's lists to an administrator's
# districts. Models not listed (handling bodies, audit entries, users…) are not scoped.
ADMIN_DISTRICT_PATHS: dict[str, str] = {
    "district": "pk",
    "site": "district",
    "area": "district",
    "deputy": "district",
    "mandate": "deputy__district",
    "assignment": "site__district",
    "visit": "site__district",
    "opinion": "site__district",
    "receptionrule": "site__district",
    "roster": "site__district",
    "dutyshift": "roster__site__district",
    "unavailability": "deputy__district",
}
ROLE_RANK: dict[str, int] = {
    Role.DEPUTY: 0,
    Role.STAFF: 0,
    Role.STATION_HEAD: 0,
    Role.DISTRICT_ADMIN: 1,
    Role.CITY_ADMIN: 2,
    Role.PROVINCE_ADMIN: 3,
}


def _accounts_within(user: User, prefix: str = "") -> Q:
    """Memberships (reached through `prefix`) of the accounts an administrator of some districts looks after:
    district administrators of those districts, staff and heads of their stations, their deputies' accounts,
    and the city and province administrators of regions within their reach (their own account included)."""
    districts = admin_districts(user)
    return (
        Q(**{f"{prefix}district__in": districts})
        | Q(**{f"{prefix}station__district__in": districts})
        | Q(**{f"{prefix}deputy__district__in": districts})
        | Q(**{f"{prefix}region__in": admin_regions(user)})
    )


def _unscoped(user: User) -> bool:
    """Sees every row in the admin and the audit log: a superuser, the portal-wide administrator, or an admin
    user without an administrator's role (their model permissions decide, as before regions)."""
    return getattr(user, "is_superuser", False) or not is_administrator(user) or administers_everything(user)


def visible_accounts(user: User) -> QuerySet[DjangoUser]:
    """The user accounts an administrator sees in the admin's user list (issue 15): those of the districts they
    administer (a city's or province's administrator every district below their region); every account for a
    superuser and the portal-wide administrator. Accounts without a role are the portal-wide administrators'."""
    if _unscoped(user):
        return DjangoUser.objects.all()
    return DjangoUser.objects.filter(_accounts_within(user, "membership__"))


def visible_audit_entries(user: User) -> QuerySet[AuditEntry]:
    """The audit log an administrator reads: entries written by the accounts they look after
    (`visible_accounts`); every entry for a superuser and the portal-wide administrator. Entries of visitors
    without an account and of the system (imports run on the server, scheduled jobs) are the portal-wide
    administrators' to read."""
    if _unscoped(user):
        return AuditEntry.objects.all()
    return AuditEntry.objects.filter(actor__in=visible_accounts(user).values("pk"))


def visible_memberships(user: User) -> QuerySet[Membership]:
    """The roles an administrator sees and edits in the admin (issue 15): those of the accounts they look after
    (`visible_accounts`: the district administrators of their districts, the staff and heads of their stations,
    their deputies' accounts, the city and province administrators within their regions); every role for a
    superuser and the portal-wide administrator."""
    if _unscoped(user):
        return Membership.objects.all()
    return Membership.objects.filter(_accounts_within(user))


def membership_choices(user: User, field: str) -> QuerySet[Any] | None:
    """What a role's form in the admin may name in `field` (its selects and their search): the accounts, districts,
    regions, stations, sites and deputies within the administrator's reach, so that no select offers another
    region's; None where nothing is narrowed (unscoped users, other fields)."""
    if _unscoped(user):
        return None
    choices: dict[str, Callable[[User], QuerySet[Any]]] = {
        "user": visible_accounts,
        "district": admin_districts,
        "region": admin_regions,
        "station": visible_stations,
        "site": visible_sites,
        "deputy": visible_deputy_records,
    }
    scope = choices.get(field)
    return scope(user) if scope is not None else None


def reads_history_of_removed_rows(user: User) -> bool:
    """May the user read the admin's change history of a row the admin no longer lists (deleted, or outside their
    reach)? Only those who see every row: for anybody else the history of a row outside their list is answered as
    if it did not exist."""
    return _unscoped(user)


def admin_scoped(user: User, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The admin's rows of a network model limited to the administrator's districts (all of them for the
    portal's own administrators and superusers); user accounts, their roles and the audit log likewise (issue
    15). An admin user without an administrator's role keeps what the model permissions given to them by hand
    allow, as before regions."""
    model_name = queryset.model._meta.model_name or ""
    if _unscoped(user):
        return queryset
    if queryset.model is DjangoUser:
        return queryset.filter(_accounts_within(user, "membership__"))
    if queryset.model is Membership:
        return queryset & visible_memberships(user)
    if model_name == "auditentry":
        return queryset.filter(actor__in=visible_accounts(user).values("pk"))
    path = ADMIN_DISTRICT_PATHS.get(model_name)
    if path is None:
        return queryset
    return queryset.filter(**{f"{path}__in": admin_districts(user)})


def can_grant_membership(user: User, membership: Membership) -> bool:
    """May the user give (or change, or take away) this role in the admin? The portal's own administrators and
    superusers any; another administrator only a role not above their own, within their own districts or
    regions, so that nobody widens their own reach."""
    if getattr(user, "is_superuser", False) or administers_everything(user):
        return True
    role = role_of(user)
    if role not in ADMIN_ROLES:
        # An admin user without an administrator's role: the model permissions given by hand decide.
        return True
    if ROLE_RANK.get(membership.role, 99) > ROLE_RANK[role]:
        return False
    if membership.role in REGION_ADMIN_ROLES:
        return membership.region_id is not None and admin_regions(user).filter(pk=membership.region_id).exists()
    if membership.role == Role.DISTRICT_ADMIN:
        return membership.district_id is not None and administers_district(user, membership.district_id)
    if membership.station is not None:
        return administers_district(user, membership.station.district_id)
    if membership.deputy is not None:
        return administers_district(user, membership.deputy.district_id)
    return True


# --- predicates: one object --------------------------------------------------------------------------------


def _same_station(user: User, site: Site) -> bool:
    station = station_of(user)
    return station is not None and site.station_id == station.pk


def _administers(user: User, site: Site) -> bool:
    return administers_district(user, site.district_id)


def _in_scope(user: User, site: Site) -> bool:
    """The site is one of `visible_sites(user)` (answered without a query when the site's parents are loaded;
    a regional administrator's districts are looked up once per request)."""
    role = role_of(user)
    if role in ADMIN_ROLES:
        return _administers(user, site)
    return role in STATION_ROLES and _same_station(user, site)


def can_view_visit(user: User, visit: Visit) -> bool:
    return _in_scope(user, visit.site)


def can_change_visit(user: User, visit: Visit) -> bool:
    """Change or archive: the visit's station's staff and head, or a district administrator."""
    return can_view_visit(user, visit)


def can_restore_visit(user: User, visit: Visit) -> bool:
    """Bring an archived visit back: the head of the visit's station, or an administrator of its district."""
    if _administers(user, visit.site):
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
    administrators of its district, never the staff (a record book typed up weeks later is the head's to vouch for)."""
    if _administers(user, site):
        return True
    return role_of(user) == Role.STATION_HEAD and _same_station(user, site)


def can_manage_roster(user: User, site: Site) -> bool:
    """Assign, swap, move, publish: the head of the site's station, or an administrator of its district."""
    if _administers(user, site):
        return True
    return role_of(user) == Role.STATION_HEAD and _same_station(user, site)


def can_mark_attendance(user: User, site: Site) -> bool:
    """Staff and the head of the site's station, or an administrator of its district."""
    if _administers(user, site):
        return True
    return role_of(user) in STATION_ROLES and _same_station(user, site)


def can_view_deputy_record(user: User, deputy: Deputy) -> bool:
    return visible_deputy_records(user).filter(pk=deputy.pk).exists()


def can_record_activity(user: User, deputy: Deputy) -> bool:
    """Register a deputy's activity (study session, inspection…): staff and heads of a station the deputy serves,
    a district administrator, or the deputy themself (their own pages reuse the service and its form)."""
    role = role_of(user)
    if role == Role.DEPUTY:
        own = deputy_of(user)
        return own is not None and own.pk == deputy.pk
    return role in WRITE_ROLES and can_view_deputy_record(user, deputy)


def can_view_pairing(user: User, pairing: Pairing) -> bool:
    return _in_scope(user, pairing.site)


def sees_paired_voter_in_full(user: User, pairing: Pairing) -> bool:
    """The station's own staff and head read the paired voter's name and phone (recorded), as with visitors."""
    return works_at_station(user) and _in_scope(user, pairing.site)


def can_reveal_paired_voter(user: User, pairing: Pairing) -> bool:
    """Others who may see the pairing see the voter masked; a district administrator may reveal (recorded)."""
    return can_export_unmasked(user) and can_view_pairing(user, pairing)


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


def pairing_for_user(user: User, pk: int, *, write: bool = False) -> Pairing:
    pairing = get_object_or_404(visible_pairings(user).select_related("site__parent__parent", "deputy"), pk=pk)
    if write and not can_write(user):
        raise PermissionDenied
    return pairing


def activity_deputy_for_user(user: User, slug: str) -> Deputy:
    """A deputy whose record the user may read (404 otherwise), for recording an activity: 403 when the user
    may read the record but not add to it."""
    deputy = deputy_record_for_user(user, slug)
    if not can_record_activity(user, deputy):
        raise PermissionDenied
    return deputy


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


def admin_district_for_user(user: User, slug: str | None) -> District | None:
    """The district asked for by slug among those the user administers (404 outside them; None when none is
    asked for)."""
    if not slug:
        return None
    return get_object_or_404(admin_districts(user), slug=slug)


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


def own_duty_for_deputy(user: User, pk: int) -> Duty:
    """One of the signed-in deputy's own duties; any other is 404 (403 for an account that is no deputy)."""
    deputy = deputy_of(user)
    if deputy is None:
        raise PermissionDenied
    return get_object_or_404(
        Duty.objects.filter(deputy=deputy).select_related("shift__roster__site__parent__parent", "deputy"), pk=pk
    )


def own_unavailability_for_deputy(user: User, pk: int) -> Unavailability:
    deputy = deputy_of(user)
    if deputy is None:
        raise PermissionDenied
    return get_object_or_404(Unavailability.objects.filter(deputy=deputy).select_related("deputy"), pk=pk)


def swap_request_for_user(user: User, pk: int) -> SwapRequest:
    """A swap request for the head to decide: 404 outside the user's sites, 403 unless they manage its roster."""
    request = get_object_or_404(
        SwapRequest.objects.filter(duty__shift__roster__site__in=visible_sites(user)).select_related(
            "deputy", "duty__shift__roster__site__parent__parent", "other_duty__deputy", "other_duty__shift"
        ),
        pk=pk,
    )
    if not can_manage_roster(user, request.duty.shift.site):
        raise PermissionDenied
    return request


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
    """Signed in as an administrator (district, city or province). Others get 403."""
    return requires(is_administrator)(view)
