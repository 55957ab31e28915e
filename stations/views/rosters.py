"""Staff roster pages: the station's year and month grid, generating and publishing a year, and one shift's page
where the head assigns, swaps, substitutes and moves, and staff mark attendance.

Scope: a station's staff and head see their own station (other stations' shifts are 404); district
administrators see every station. Writes reserved to the head (or an administrator) are 403 for staff;
the deputy role is read-only and gets 403 on every staff page.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, cast
from urllib.parse import urlencode

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from stations.audit import Actor
from stations.clock import local_moment, local_time, local_today
from stations.forms.base import Chooser, choose_or_search
from stations.forms.records import ThemesTagForm
from stations.forms.rosters import (
    YEAR_MAX,
    YEAR_MIN,
    AssignForm,
    AttendanceForm,
    MoveForm,
    RemoveForm,
    SubstituteForm,
    SwapForm,
    YearForm,
)
from stations.models import Duty, DutyShift, Roster, Site
from stations.models.sites import SiteQuerySet, network_ordering
from stations.policy import (
    can_manage_roster,
    can_mark_attendance,
    can_pick_any_station,
    duty_for_user,
    managed_station_for_user,
    shift_for_user,
    staff_required,
    station_for_user,
    visible_stations,
)
from stations.selectors.rosters import (
    deputies_for_station,
    month_shifts,
    shifts_with_duties,
    station_year_fairness,
    year_grid_cells,
)
from stations.services.records import themes_available
from stations.services.rosters import (
    duty_assign,
    duty_mark_attendance,
    duty_remove,
    duty_substitute,
    roster_generate_station,
    roster_publish,
    shift_move,
    shift_swap,
)

MONTHS = range(1, 13)


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        number = int(value or "")
    except ValueError:
        return default
    return number if low <= number <= high else default


def warn_short_of_deputies(request: HttpRequest, result) -> None:
    """After generating: say how many receptions still lack deputies (shared with the admin's form)."""
    if result.short:
        messages.warning(
            request,
            ngettext(
                "%(count)s reception has fewer deputies than it needs: assign more deputies to the site.",
                "%(count)s receptions have fewer deputies than they need: assign more deputies to the sites.",
                len(result.short),
            )
            % {"count": len(result.short)},
        )


def _grid_url(station: Site, year: int, month: int | None = None) -> str:
    query = {"station": station.slug, "year": year}
    if month:
        query["month"] = month
    return f"{reverse('stations:staff_rosters')}?{urlencode(query)}"


def _add_errors(form: django_forms.Form, error: ValidationError) -> None:
    """Service errors go next to the field they name when the form has it, above the form otherwise."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- the grid ------------------------------------------------------------------------------------------


def _station_chooser(request: HttpRequest) -> Chooser:
    """The stations an administrator may open: a select while they fit one, else those matching the typed name,
    town or code (`?q=`), a page at a time, each a link to its grid."""
    return choose_or_search(
        visible_stations(request.user).in_network_order().only("pk", "slug", "name", "town"),
        text=request.GET.get("q", ""),
        page=request.GET.get("page"),
        search=lambda rows, text: cast(SiteQuerySet, rows).named(text),
    )


@require_GET
@staff_required
def staff_rosters(request: HttpRequest) -> HttpResponse:
    """A station's year at a glance (sites × months) and the chosen month's receptions in detail."""
    today = local_today()
    station = station_for_user(request.user, request.GET.get("station"))
    year = _int(request.GET.get("year"), today.year, YEAR_MIN, YEAR_MAX)
    month = _int(request.GET.get("month"), today.month if year == today.year else 1, 1, 12)
    context: dict[str, Any] = {"station": station, "year": year, "month": month, "months": MONTHS}
    if station is None:
        return render(request, "stations/rosters/staff_rosters.html", context)

    sites = list(Site.objects.active().under_station(station).in_network_order())
    rosters = {roster.site_id: roster for roster in Roster.objects.filter(site__in=sites, year=year)}
    cells = year_grid_cells(sites=sites, year=year)
    grid = [(site, rosters.get(site.pk), [cells.get((site.pk, m), []) for m in MONTHS]) for site in sites]
    by_site: dict[int, list[DutyShift]] = defaultdict(list)
    for shift in month_shifts(sites=sites, year=year, month=month):
        by_site[shift.roster.site_id].append(shift)
    month_rows = [(site, rosters.get(site.pk), by_site.get(site.pk, [])) for site in sites]
    drafts = [r for r in rosters.values() if not r.is_published]
    context.update(
        {
            # Only administrators move between stations (everybody else has one): by a select while their
            # stations fit one, by a typed search beyond (a province's 1,000 stations, issue 15).
            "chooser": _station_chooser(request) if can_pick_any_station(request.user) else None,
            "grid": grid,
            "month_rows": month_rows,
            "month_start": dt.date(year, month, 1),
            "rosters": rosters,
            "drafts": drafts,
            "published_count": len(rosters) - len(drafts),
            "missing_count": len(sites) - len(rosters),
            "can_manage": can_manage_roster(request.user, station),
            "fair": station_year_fairness(station=station, year=year) if rosters else None,
            "previous_month": (year, month - 1) if month > 1 else (year - 1, 12),
            "next_month": (year, month + 1) if month < 12 else (year + 1, 1),
        }
    )
    return render(request, "stations/rosters/staff_rosters.html", context)


@require_POST
@staff_required
def staff_roster_generate(request: HttpRequest) -> HttpResponseRedirect:
    station = managed_station_for_user(request.user, request.POST.get("station"))
    form = YearForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a year between %(low)s and %(high)s.") % {"low": YEAR_MIN, "high": YEAR_MAX})
        return redirect(_grid_url(station, local_today().year))
    year = form.cleaned_data["year"]
    try:
        result = roster_generate_station(station=station, year=year, actor=Actor.from_request(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_grid_url(station, year))
    if result.changed:
        messages.success(
            request,
            _("Roster %(year)s generated: %(shifts)s receptions and %(duties)s duties added.")
            % {"year": year, "shifts": result.shifts_created, "duties": result.duties_created},
        )
    else:
        messages.info(request, _("The roster %(year)s was already complete; nothing was changed.") % {"year": year})
    warn_short_of_deputies(request, result)
    return redirect(_grid_url(station, year))


@require_POST
@staff_required
def staff_roster_publish_confirm(request: HttpRequest) -> HttpResponse:
    """The step before publishing: the year's fairness and the drafts that will go out, and a button to confirm.
    POST, so that a head never lands here from a link and nothing is published without the second press."""
    station = managed_station_for_user(request.user, request.POST.get("station"))
    form = YearForm(request.POST)
    if not form.is_valid():
        raise PermissionDenied
    year = form.cleaned_data["year"]
    drafts = list(
        Roster.objects.filter(site__in=Site.objects.under_station(station), year=year, published_at__isnull=True)
        .select_related("site__parent__parent")
        .order_by(*network_ordering("site__"))
    )
    if not drafts:
        messages.info(request, _("There is no draft roster for %(year)s to publish.") % {"year": year})
        return redirect(_grid_url(station, year))
    return render(
        request,
        "stations/rosters/publish_confirm.html",
        {
            "station": station,
            "year": year,
            "drafts": drafts,
            "fair": station_year_fairness(station=station, year=year),
            "grid_url": _grid_url(station, year),
        },
    )


@require_POST
@staff_required
def staff_roster_publish(request: HttpRequest) -> HttpResponseRedirect:
    station = managed_station_for_user(request.user, request.POST.get("station"))
    form = YearForm(request.POST)
    if not form.is_valid():
        raise PermissionDenied
    year = form.cleaned_data["year"]
    drafts = Roster.objects.filter(
        site__in=Site.objects.under_station(station), year=year, published_at__isnull=True
    ).select_related("site")
    published, refused = 0, []
    for roster in drafts:
        try:
            roster_publish(roster=roster, actor=Actor.from_request(request))
            published += 1
        except ValidationError as error:
            refused.extend(error.messages)
    if published:
        messages.success(
            request,
            ngettext(
                "%(count)s roster for %(year)s published: voters can see it now.",
                "%(count)s rosters for %(year)s published: voters can see them now.",
                published,
            )
            % {"count": published, "year": year},
        )
    elif not refused:
        messages.info(request, _("There is no draft roster for %(year)s to publish.") % {"year": year})
    for message in refused:
        messages.error(request, message)
    return redirect(_grid_url(station, year))


# --- one shift -------------------------------------------------------------------------------------------


def _shift_history(shift: DutyShift) -> list:
    """Who changed what and when on this shift: its own versions and those of its duties, newest first."""
    shift_versions = list(DutyShift.history.filter(id=shift.pk).select_related("history_user"))
    duty_versions = list(Duty.history.filter(shift_id=shift.pk).select_related("history_user", "deputy"))
    return sorted(shift_versions + duty_versions, key=lambda version: version.history_date, reverse=True)[:30]


def _render_shift(request: HttpRequest, shift: DutyShift, *, status: int = 200, **bound) -> HttpResponse:
    shift = shifts_with_duties(DutyShift.objects.filter(pk=shift.pk)).get()
    site = shift.roster.site
    deputies = deputies_for_station(site.station)
    manage = can_manage_roster(request.user, site)
    started = shift.start <= timezone.now()
    mark = can_mark_attendance(request.user, site) and started
    attendance_forms = []
    if mark:
        for duty in shift.duties.all():
            form = bound.get(f"attendance_{duty.pk}") or AttendanceForm(
                prefix=f"duty-{duty.pk}",
                deputies=deputies,
                initial={
                    "attendance": duty.attendance if duty.attendance != "unmarked" else "present",
                    "absence_reason": duty.absence_reason,
                    "substitute": duty.substitute_id,
                    "note": duty.note,
                },
            )
            attendance_forms.append((duty, form))
    local_start, local_end = local_time(shift.start), local_time(shift.end)
    context = {
        "shift": shift,
        "site": site,
        "station": site.station,
        "roster": shift.roster,
        "can_manage": manage,
        "can_mark": mark,
        "started": started,
        "attendance_forms": attendance_forms,
        "history": _shift_history(shift),
        # Tagging the reception with the year's themes (issue 16): those who mark its attendance.
        "theme_form": ThemesTagForm(themes=themes_available(shift), initial={"themes": list(shift.themes.all())})
        if can_mark_attendance(request.user, site)
        else None,
        "grid_url": _grid_url(site.station, shift.roster.year, local_start.month),
    }
    if manage:
        context.update(
            {
                "assign_form": bound.get("assign_form") or AssignForm(deputies=deputies),
                "remove_form": bound.get("remove_form"),
                "swap_form": bound.get("swap_form") or SwapForm(shift=shift),
                "substitute_form": bound.get("substitute_form") or SubstituteForm(shift=shift, deputies=deputies),
                "move_form": bound.get("move_form")
                or MoveForm(
                    initial={
                        "date": local_start.date(),
                        "start_time": local_start.time(),
                        "end_time": local_end.time(),
                    }
                ),
            }
        )
    return render(request, "stations/rosters/staff_shift.html", context, status=status)


@require_GET
@staff_required
def staff_shift(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_shift(request, shift_for_user(request.user, pk))


def _shift_write(request: HttpRequest, pk: int, *, form_name: str, build, act, done: str) -> HttpResponse:
    """The shape every head-only shift change shares: scope, permission, form, service, message, redirect."""
    shift = shift_for_user(request.user, pk, manage=True)
    form = build(shift)
    if form.is_valid():
        try:
            act(shift, form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("stations:staff_shift", pk=shift.pk)
    return _render_shift(request, shift, **{form_name: form})


@require_POST
@staff_required
def staff_shift_assign(request: HttpRequest, pk: int) -> HttpResponse:
    return _shift_write(
        request,
        pk,
        form_name="assign_form",
        build=lambda shift: AssignForm(request.POST, deputies=deputies_for_station(shift.site.station)),
        act=lambda shift, data: duty_assign(
            shift=shift, deputy=data["deputy"], actor=Actor.from_request(request), reason=data["reason"]
        ),
        done=_("The deputy is on the shift."),
    )


@require_POST
@staff_required
def staff_shift_remove(request: HttpRequest, pk: int) -> HttpResponse:
    return _shift_write(
        request,
        pk,
        form_name="remove_form",
        build=lambda shift: RemoveForm(request.POST, shift=shift),
        act=lambda shift, data: duty_remove(
            duty=data["duty"], actor=Actor.from_request(request), reason=data["reason"]
        ),
        done=_("The deputy was taken off the shift."),
    )


@require_POST
@staff_required
def staff_shift_swap(request: HttpRequest, pk: int) -> HttpResponse:
    return _shift_write(
        request,
        pk,
        form_name="swap_form",
        build=lambda shift: SwapForm(request.POST, shift=shift),
        act=lambda shift, data: shift_swap(
            duty=data["duty"], other_duty=data["other_duty"], actor=Actor.from_request(request), reason=data["reason"]
        ),
        done=_("The two deputies swapped their shifts."),
    )


@require_POST
@staff_required
def staff_shift_substitute(request: HttpRequest, pk: int) -> HttpResponse:
    return _shift_write(
        request,
        pk,
        form_name="substitute_form",
        build=lambda shift: SubstituteForm(
            request.POST, shift=shift, deputies=deputies_for_station(shift.site.station)
        ),
        act=lambda shift, data: duty_substitute(
            duty=data["duty"], substitute=data["substitute"], actor=Actor.from_request(request), reason=data["reason"]
        ),
        done=_("The substitute is on the shift."),
    )


@require_POST
@staff_required
def staff_shift_move(request: HttpRequest, pk: int) -> HttpResponse:
    def build(shift: DutyShift) -> MoveForm:
        return MoveForm(request.POST)

    def act(shift: DutyShift, data: dict) -> None:
        start = local_moment(data["date"], data["start_time"])
        end = local_moment(data["date"], data["end_time"])
        shift_move(shift=shift, start=start, end=end, actor=Actor.from_request(request), reason=data["reason"])

    return _shift_write(
        request,
        pk,
        form_name="move_form",
        build=build,
        act=act,
        done=_("The reception was moved; voters see the change."),
    )


@require_POST
@staff_required
def staff_duty_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    duty = duty_for_user(request.user, pk, mark=True)
    shift = duty.shift
    form = AttendanceForm(request.POST, prefix=f"duty-{duty.pk}", deputies=deputies_for_station(shift.site.station))
    if form.is_valid():
        data = form.cleaned_data
        try:
            duty_mark_attendance(
                duty=duty,
                attendance=data["attendance"],
                absence_reason=data["absence_reason"],
                substitute=data["substitute"],
                note=data["note"],
                actor=Actor.from_request(request),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Attendance of %(deputy)s saved.") % {"deputy": duty.deputy.name})
            return redirect("stations:staff_shift", pk=shift.pk)
    return _render_shift(request, shift, **{f"attendance_{duty.pk}": form})  # type: ignore[arg-type]  # never `status`
