"""Staff pages of the seed's other practices (issue 16): the year's activity themes and tagging records with
them, pairing deputies with voters, and deputies' activities with the one-page yearly report.

Thin views: the policy answers who may see and change what, forms validate, services write and audit,
selectors compute the figures."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from stations.audit import Actor, AuditAction, audit
from stations.clock import local_now, local_today
from stations.forms.base import Chooser, choose_or_search, site_chooser
from stations.forms.records import (
    ContactForm,
    DeedForm,
    DeputyActivityForm,
    PairingFilterForm,
    PairingForm,
    ThemeForm,
    ThemesTagForm,
)
from stations.forms.stats import roster_year_choices, year_choices, year_from
from stations.models import District, Site, Theme
from stations.models.sites import network_ordering
from stations.paging import bounded_page
from stations.policy import (
    activity_deputy_for_user,
    admin_district_for_user,
    admin_districts,
    can_choose_themes,
    can_mark_attendance,
    can_record_activity,
    can_reveal_paired_voter,
    deputy_record_for_user,
    is_administrator,
    opinion_for_user,
    pairing_for_user,
    sees_paired_voter_in_full,
    shift_for_user,
    staff_required,
    station_of,
    visible_deputy_records,
    visible_pairings,
    visible_sites,
    visible_stations,
)
from stations.selectors import records as selectors
from stations.selectors import stats
from stations.selectors.sites import site_asked, sites_for_select
from stations.selectors.stats import Period
from stations.services import records as services


def _add_errors(form: Form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


# --- themes ---------------------------------------------------------------------------------------------------


THEMES_PAGE_SIZE = 25


def _district_chooser(request: HttpRequest) -> Chooser:
    """The districts an administrator may add a theme for: a select while they fit one, typed beyond (name or
    code, `?q=`), each match a link."""
    return choose_or_search(
        admin_districts(request.user).order_by("name", "pk").only("pk", "slug", "name", "code"),
        text=request.GET.get("q", ""),
        page=request.GET.get("page"),
        search=lambda rows, text: rows.filter(Q(name__icontains=text) | Q(code__iexact=text)),
    )


@staff_required
def staff_themes(request: HttpRequest) -> HttpResponse:
    """The year's activity themes of the user's stations; administrators and station heads add themes.

    A theme belongs to one district: an administrator of several picks the district first (a select, or a typed
    search beyond SELECT_LIMIT districts), then ticks that district's stations; the list shows that district's
    themes, or every district's a page at a time (issue 15: never a province's 1,000 stations in one form)."""
    years = roster_year_choices()
    year = year_from(request.GET, years)
    own = station_of(request.user)
    admin = is_administrator(request.user)
    chooser: Chooser | None = None
    district: District | None = None
    if admin:
        asked = request.POST.get("district") if request.method == "POST" else request.GET.get("district")
        district = admin_district_for_user(request.user, asked)
        chooser = _district_chooser(request)
        if district is None and chooser.options is not None and len(chooser.options) == 1:
            district = chooser.options[0]
    form = None
    if can_choose_themes(request.user):
        stations_choice = visible_stations(request.user).filter(district=district) if admin else None
        if request.method == "POST":
            form = ThemeForm(request.POST, stations=stations_choice)
            if form.is_valid():
                data = form.cleaned_data
                chosen = list(data.get("stations") or []) if admin else ([own] if own is not None else [])
                if not admin:
                    district = own.district if own is not None else None
                if district is None:
                    form.add_error(None, _("Choose the district the theme is for first: you administer several."))
                else:
                    try:
                        theme = services.theme_create(
                            actor=Actor.from_request(request),
                            district=district,
                            year=data["year"],
                            name=data["name"],
                            description=data["description"],
                            stations=chosen,
                        )
                    except ValidationError as error:
                        _add_errors(form, error)
                    else:
                        messages.success(request, _("The theme “%(name)s” was added.") % {"name": theme.name})
                        query = {"year": theme.year, **({"district": district.slug} if admin else {})}
                        return redirect(f"{request.path}?{urlencode(query)}")
        elif district is not None or not admin:
            form = ThemeForm(initial={"year": year}, stations=stations_choice)
    elif request.method == "POST":
        raise PermissionDenied
    themes = Theme.objects.of_year(year)
    several = chooser is not None and not (chooser.options is not None and len(chooser.options) <= 1)
    if admin:
        themes = (
            themes.filter(district=district)
            if district is not None
            else themes.filter(district__in=admin_districts(request.user))
        )
    else:
        themes = themes.for_station(own) if own is not None else themes.none()
    ordering = ("district__name", "district_id", "position", "name", "pk") if several else ("position", "name", "pk")
    # While a district is being searched for (beyond a select's districts), `page` pages the matches.
    searching = chooser is not None and bool(chooser.text)
    page = (
        None
        if searching
        else bounded_page(
            themes.select_related("district").prefetch_related("stations").order_by(*ordering),
            THEMES_PAGE_SIZE,
            request.GET.get("page"),
        )
    )
    return render(
        request,
        "stations/records/themes.html",
        {
            "themes": page,
            "year": year,
            "years": years,
            "form": form,
            "chooser": chooser if several else None,
            "district": district,
            "several": several,
            "definitions": selectors.THEME_DEFINITIONS,
        },
        status=400 if form is not None and form.is_bound else 200,
    )


@require_POST
@staff_required
def staff_shift_themes(request: HttpRequest, pk: int) -> HttpResponse:
    """Tag a reception (duty shift) with the year's themes: those who mark its attendance."""
    shift = shift_for_user(request.user, pk)
    if not can_mark_attendance(request.user, shift.site):
        raise PermissionDenied
    form = ThemesTagForm(request.POST, themes=services.themes_available(shift))
    if form.is_valid():
        try:
            services.themes_tag(actor=Actor.from_request(request), record=shift, themes=form.cleaned_data["themes"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The reception's themes are saved."))
    else:
        messages.error(request, _("Choose among the year's themes."))
    return redirect("stations:staff_shift", pk=shift.pk)


@require_POST
@staff_required
def staff_opinion_themes(request: HttpRequest, pk: int) -> HttpResponse:
    opinion = opinion_for_user(request.user, pk, write=True)
    form = ThemesTagForm(request.POST, themes=services.themes_available(opinion))
    if form.is_valid():
        try:
            services.themes_tag(actor=Actor.from_request(request), record=opinion, themes=form.cleaned_data["themes"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The opinion's themes are saved."))
    else:
        messages.error(request, _("Choose among the year's themes."))
    return redirect("stations:staff_opinion_detail", pk=opinion.pk)


# --- pairing --------------------------------------------------------------------------------------------------


PAIRINGS_PAGE_SIZE = 25


@staff_required
def pairing_list(request: HttpRequest) -> HttpResponse:
    """The station's pairings (voters masked, as in every list) 25 a page, with the figures for a year: by station
    within one district, by district across several (each row a link to its stations)."""
    years = year_choices()
    form = PairingFilterForm(
        request.GET or None,
        years=years,
        districts=admin_districts(request.user),
        stations=visible_stations(request.user),
    )
    year, district, station, place, months = local_today().year, None, None, "", (1, 12)
    if form.is_bound and form.is_valid():
        year = form.cleaned_data["year"] or year
        district = form.cleaned_data.get("district")
        station = form.cleaned_data["station"]
        place = (form.cleaned_data.get("place") or "").strip()
        months = form.months()
    sites = visible_sites(request.user)
    if district is not None:
        sites = sites.filter(district=district)
    if station is not None:
        sites = sites.under_station(station)
    elif place:
        # A station covers its rooms and points: the sites of the stations named, or the sites named themselves.
        sites = sites.filter(Q(station__in=Site.objects.stations().named(place)) | Q(pk__in=Site.objects.named(place)))
    period = Period.months(year, *months)
    in_force = visible_pairings(request.user).active_between(period.first, period.last).filter(site__in=sites)
    pairings = selectors.pairing_list(in_force).order_by(*network_ordering("site__"), "deputy__name", "pk")
    by_district = form.several_districts and district is None and station is None
    return render(
        request,
        "stations/records/pairing_list.html",
        {
            "form": form,
            "year": year,
            "period": period,
            "pairings": bounded_page(pairings, PAIRINGS_PAGE_SIZE, request.GET.get("page")),
            "figures": selectors.pairing_figures(sites=sites, period=period, by_district=by_district),
            "by_district": by_district,
            "definitions": selectors.PAIRING_DEFINITIONS,
        },
    )


@staff_required
def pairing_create(request: HttpRequest) -> HttpResponse:
    """Pair a deputy with a voter. A user who reaches more sites than a select holds chooses the site by search
    first (`?site=<pk>` opens the form on it); the deputies listed are the chosen site's district's."""
    sites = visible_sites(request.user).filter(is_active=True)
    options = sites_for_select(sites)
    deputies = visible_deputy_records(request.user).filter(is_active=True)
    site = None
    if request.method != "POST":
        site = site_asked(sites, request.GET.get("site", ""))
        if options is None and site is None:
            chooser = site_chooser(sites=sites, data=request.GET)
            return render(request, "stations/records/pairing_form.html", {"chooser": chooser, "form": None})
    form = PairingForm(request.POST or None, sites=sites, deputies=deputies, site_options=options, site=site)
    if request.method == "POST" and form.is_valid():
        try:
            pairing = services.pairing_create(actor=Actor.from_request(request), **form.service_kwargs())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The pairing is recorded."))
            return redirect("stations:pairing_detail", pk=pairing.pk)
    if site is not None:
        form.initial["site"] = site
    return render(
        request,
        "stations/records/pairing_form.html",
        {"form": form, "choose_url": request.path},
        status=400 if form.is_bound else 200,
    )


def _pairing_page(
    request: HttpRequest, pk: int, *, contact_form: ContactForm | None = None, deed_form: DeedForm | None = None
) -> HttpResponse:
    pairing = pairing_for_user(request.user, pk)
    may_reveal = can_reveal_paired_voter(request.user, pairing)
    reveal = sees_paired_voter_in_full(request.user, pairing) or (may_reveal and request.GET.get("reveal") == "1")
    if reveal:
        audit(
            action=AuditAction.PERSONAL_DATA_VIEWED,
            actor=Actor.from_request(request),
            target=pairing,
            summary=_("paired voter's name and phone on the pairing page"),
        )
    bound = contact_form is not None or deed_form is not None
    return render(
        request,
        "stations/records/pairing_detail.html",
        {
            "pairing": pairing,
            "contacts": pairing.contacts.select_related("recorded_by"),
            "deeds": pairing.deeds.select_related("recorded_by"),
            "reveal": reveal,
            "can_reveal": may_reveal and not reveal,
            "contact_form": contact_form or ContactForm(),
            "deed_form": deed_form or DeedForm(),
        },
        status=400 if bound else 200,
    )


@staff_required
def pairing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _pairing_page(request, pk)


@require_POST
@staff_required
def pairing_contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = pairing_for_user(request.user, pk, write=True)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            services.pairing_contact_record(actor=Actor.from_request(request), pairing=pairing, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The contact is recorded."))
            return redirect("stations:pairing_detail", pk=pairing.pk)
    return _pairing_page(request, pk, contact_form=form)


@require_POST
@staff_required
def pairing_deed_add(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = pairing_for_user(request.user, pk, write=True)
    form = DeedForm(request.POST)
    if form.is_valid():
        try:
            services.pairing_deed_record(actor=Actor.from_request(request), pairing=pairing, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The thing done is recorded."))
            return redirect("stations:pairing_detail", pk=pairing.pk)
    return _pairing_page(request, pk, deed_form=form)


# --- deputies' activities and the yearly report ------------------------------------------------------------------


@staff_required
def deputy_activity_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Register an activity of a deputy whose record the user may read (staff of a station they serve, or an
    administrator)."""
    deputy = activity_deputy_for_user(request.user, slug)
    form = DeputyActivityForm(request.POST or None, deputy=deputy)
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.activity_record(actor=Actor.from_request(request), **form.service_kwargs())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The activity is recorded in the deputy's performance record."))
            return redirect(f"{redirect('stations:deputy_record', slug=deputy.slug).url}?year={activity.held_on.year}")
    return render(
        request,
        "stations/records/activity_form.html",
        {"deputy": deputy, "form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
def deputy_report(request: HttpRequest, slug: str, year: int) -> HttpResponse:
    """A deputy's year on one printable page (the record a district keeps for each deputy)."""
    deputy = deputy_record_for_user(request.user, slug)
    if year not in {value for value, _label in roster_year_choices()}:
        raise Http404
    record = stats.deputy_record(deputy=deputy, year=year)
    return render(
        request,
        "stations/records/deputy_report.html",
        {
            "deputy": deputy,
            "year": year,
            "record": record,
            "activities": selectors.deputy_activities(deputy=deputy, year=year),
            "pairing": selectors.deputy_pairing_summary(deputy=deputy, year=year),
            "levels": deputy.mandates.order_by("term_start"),
            "sites": deputy.assignments.select_related("site").order_by(*network_ordering("site__")),
            "printed_at": local_now(),
            "can_record": can_record_activity(request.user, deputy),
        },
    )
