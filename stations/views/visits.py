"""The reception record book (代表接待记录本): log a visit, the book itself, one visit, exports."""

from __future__ import annotations

import datetime as dt

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from stations import paging
from stations.audit import Actor, AuditAction, audit
from stations.clock import local_now
from stations.exports import csv_attachment, xlsx_append, xlsx_attachment
from stations.forms.base import site_chooser
from stations.forms.visits import (
    ArchiveForm,
    OpinionFormSet,
    VisitFilter,
    VisitForm,
    opinions_from,
    visit_initial,
)
from stations.models import Assignment, Deputy, DutyShift, Site, Visit
from stations.paging import bounded_count, bounded_page
from stations.planning.visits import choose_site
from stations.policy import (
    can_change_visit,
    can_export_unmasked,
    can_restore_visit,
    can_reveal_visitor,
    can_see_archived_visits,
    can_write,
    membership_of,
    sees_visitor_in_full,
    staff_required,
    station_of,
    visible_visits,
    visit_for_user,
)
from stations.selectors.sites import site_asked, sites_for_select
from stations.selectors.visits import (
    areas_for_site,
    deputies_on_duty,
    export_rows,
    record_book,
    scoped_sites,
    todays_shifts,
    visit_history,
)
from stations.services import visits as services
from stations.validators import pk_from

PAGE_SIZE = 25
EXPORT_FORMATS = ("xlsx", "csv")


def _apply_service_errors(form: VisitForm, error: ValidationError) -> None:
    """Put the service's refusals next to the fields they concern."""
    aliases = {"area": "village", "area_text": "village"}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        name = aliases.get(name, name)
        form.add_error(name if name in form.fields else None, errors)


def _prefill_shift(site: Site | None, shifts: list[DutyShift], now: dt.datetime) -> DutyShift | None:
    """Today's shift of the site: the one running now, else the last one begun, else the next one."""
    own = [shift for shift in shifts if site is not None and shift.roster.site_id == site.pk and not shift.cancelled]
    for shift in own:
        if shift.start <= now <= shift.end:
            return shift
    begun = [shift for shift in own if shift.start <= now]
    if begun:
        return begun[-1]
    return own[0] if own else None


# The session remembers the site of the last visit a staff member saved (the visit form opens on it).
LAST_SITE_KEY = "visits.last_site"


def _running_shifts(shifts: list[DutyShift], now: dt.datetime) -> list[DutyShift]:
    return [shift for shift in shifts if shift.start <= now <= shift.end and not shift.cancelled]


def _default_site(
    request: HttpRequest, options: list[Site], shifts: list[DutyShift], now: dt.datetime
) -> tuple[Site | None, bool]:
    """The site the form opens on and whether it must ask instead (see `choose_site`), among the user's sites
    that fit the select (`options`, already read)."""
    by_pk = {site.pk: site for site in options}

    def known(value: object) -> int | None:
        number = pk_from(value)
        return number if number in by_pk else None

    membership = membership_of(request.user)
    station = station_of(request.user)
    choice = choose_site(
        asked=known(request.GET.get("site", "")),
        own=known(membership.site_id) if membership is not None else None,
        last_used=known(request.session.get(LAST_SITE_KEY)),
        running=[shift.roster.site_id for shift in _running_shifts(shifts, now)],
        fallback=known(station.pk) if station is not None else None,
    )
    return (by_pk[choice.site] if choice.site is not None else None), choice.ask


def _searched_site(request: HttpRequest, sites: QuerySet[Site]) -> Site | None:
    """The site picked in the chooser (`?site=`), when the user's sites are too many for a select; only a site
    asked for is taken: guessing among thousands (the last one used, a reception running somewhere) could file
    the visit at the wrong site."""
    return site_asked(sites, request.GET.get("site", ""))


def _shift_sites(sites: QuerySet[Site], options: list[Site] | None, site: Site | None) -> QuerySet[Site]:
    """Whose receptions of the day the form reads: the user's sites while they fit a select, else only the chosen
    site's station (on the 20th a province's every site holds one)."""
    if options is not None:
        return sites
    return sites.filter(station_id=site.station_id) if site is not None else sites.none()


def _chooser_page(request: HttpRequest, *, sites: QuerySet[Site], visit: Visit | None = None) -> HttpResponse:
    """Choose the site first, by search: the user reaches more sites than a select holds."""
    return render(
        request,
        "stations/visits/form.html",
        {"chooser": site_chooser(sites=sites, data=request.GET), "visit": visit, "form": None},
    )


def _form_page(
    request: HttpRequest,
    *,
    form: VisitForm,
    formset,
    visit: Visit | None,
    sites,
    shifts,
    shift=None,
    ask_site: bool = False,
):
    now = local_now()
    site = form.render_site
    # Suggestions for the village: the user's sites' while they fit a select, else the chosen site's station's.
    if form.site_options is not None:
        areas = areas_for_site(site, sites)
    else:
        areas = areas_for_site(site, sites.filter(station_id=site.station_id)) if site is not None else []
    return render(
        request,
        "stations/visits/form.html",
        {
            "form": form,
            "formset": formset,
            "visit": visit,
            "shift": shift,
            "shifts": [s for s in shifts if not s.cancelled],
            "running": _running_shifts(shifts, now) if ask_site else [],
            "ask_site": ask_site,
            "areas": areas,
            "choose_url": request.path + ("?choose=1" if visit is not None else ""),
        },
    )


def _saved_message(request: HttpRequest, visit: Visit, count: int) -> None:
    text = ngettext(
        "The visit is recorded with %(count)s opinion.",
        "The visit is recorded with %(count)s opinions.",
        count,
    ) % {"count": count}
    if count:
        # The voter is still in the room: the slip with the tracking codes is one tap away.
        messages.success(
            request,
            format_html(
                '{} <a class="alert-link" href="{}">{}</a>',
                text,
                reverse("stations:visit_receipt", kwargs={"pk": visit.pk}),
                _("Show or print the voter's receipt slip"),
            ),
        )
    else:
        messages.success(request, text)


@staff_required
def visit_create(request: HttpRequest) -> HttpResponse:
    """Log a visit, pre-filled with the user's station, now, today's shift and its deputies. A user who reaches
    more sites than a select holds chooses the site by search first (`?site=<pk>` then opens the form on it)."""
    sites = scoped_sites(request.user).filter(is_active=True)
    options = sites_for_select(sites)
    now = local_now().replace(second=0, microsecond=0)
    if request.method == "POST":
        posted = pk_from(request.POST.get("site", ""))
        if options is not None:
            posted_site = next((site for site in options if site.pk == posted), None)
        else:
            posted_site = sites.filter(pk=posted).first() if posted is not None else None
        shifts = todays_shifts(sites=_shift_sites(sites, options, posted_site))
        shift = _prefill_shift(posted_site, shifts, now)
        on_duty = deputies_on_duty(shift) if shift is not None else []
        form = VisitForm(request.POST, sites=sites, site_options=options, on_duty=on_duty)
        formset = OpinionFormSet(request.POST, prefix="opinions")
        if form.is_valid() and formset.is_valid():
            try:
                visit = services.visit_create(
                    actor=Actor.from_request(request), opinions=opinions_from(formset), **form.service_kwargs()
                )
            except ValidationError as error:
                _apply_service_errors(form, error)
            else:
                request.session[LAST_SITE_KEY] = visit.site_id
                _saved_message(request, visit, visit.opinions.count())
                return redirect("stations:visit_list")
        return _form_page(request, form=form, formset=formset, visit=None, sites=sites, shifts=shifts, shift=shift)

    if options is None:
        site, ask_site = _searched_site(request, sites), False
        if site is None:
            return _chooser_page(request, sites=sites)
        shifts = todays_shifts(sites=_shift_sites(sites, options, site))
    else:
        shifts = todays_shifts(sites=sites)
        site, ask_site = _default_site(request, options, shifts, now)
    shift = _prefill_shift(site, shifts, now)
    on_duty = deputies_on_duty(shift) if shift is not None else []
    assigned = set(Assignment.objects.filter(site=site).values_list("deputy_id", flat=True)) if site else set()
    initial = {
        "site": site,
        "occurred_at": now,
        "deputies": [deputy.pk for deputy in on_duty if deputy.pk in assigned],
        "visiting_deputies": [deputy.pk for deputy in on_duty if deputy.pk not in assigned],
        "channel": "reception_day" if shift is not None or ask_site else "walk_in",
    }
    form = VisitForm(initial=initial, sites=sites, site=site, site_options=options, on_duty=on_duty)
    formset = OpinionFormSet(prefix="opinions")
    return _form_page(
        request, form=form, formset=formset, visit=None, sites=sites, shifts=shifts, shift=shift, ask_site=ask_site
    )


@staff_required
def visit_update(request: HttpRequest, pk: int) -> HttpResponse:
    visit = visit_for_user(request.user, pk, write=True)
    if visit.is_archived:
        messages.error(request, _("An archived visit cannot be changed; restore it first."))
        return redirect("stations:visit_detail", pk=visit.pk)
    # The visit's own site stays selectable even if it was closed since.
    sites = scoped_sites(request.user).filter(is_active=True) | scoped_sites(request.user).filter(pk=visit.site_id)
    options = sites_for_select(sites)
    shifts: list[DutyShift] = []
    present = (
        visit.site_id,
        set(visit.visit_deputies.filter(is_visiting=False).values_list("deputy_id", flat=True)),
    )
    if request.method == "POST":
        form = VisitForm(request.POST, sites=sites, site_options=options, already_present=present)
        formset = OpinionFormSet(request.POST, prefix="opinions")
        if form.is_valid() and formset.is_valid():
            kwargs = form.service_kwargs()
            try:
                services.visit_update(
                    visit=visit,
                    actor=Actor.from_request(request),
                    deputies=kwargs.pop("deputies"),
                    visiting_deputies=kwargs.pop("visiting_deputies"),
                    village=kwargs.pop("village"),
                    new_opinions=opinions_from(formset),
                    **kwargs,
                )
            except ValidationError as error:
                _apply_service_errors(form, error)
            else:
                registered = len(opinions_from(formset))
                if registered:
                    _saved_message(request, visit, registered)
                else:
                    messages.success(request, _("The changes are saved."))
                return redirect("stations:visit_detail", pk=visit.pk)
    else:
        if options is None and request.GET.get("choose"):
            return _chooser_page(request, sites=sites, visit=visit)
        initial = visit_initial(visit)
        # Moved to another site in the chooser (`?site=`) when the sites are too many for a select.
        site = (_searched_site(request, sites) if options is None else None) or visit.site
        initial["site"] = site
        form = VisitForm(initial=initial, sites=sites, site=site, site_options=options, already_present=present)
        formset = OpinionFormSet(prefix="opinions")
        if visit.visitor_phone or visit.visitor_name:
            # The form holds the name and phone in full, like the revealed visit page: the view is recorded alike.
            audit(
                action=AuditAction.PERSONAL_DATA_VIEWED,
                actor=Actor.from_request(request),
                target=visit,
                summary=gettext_noop("visitor's name and phone on the visit edit form"),
            )
    return _form_page(request, form=form, formset=formset, visit=visit, sites=sites, shifts=shifts)


def _record_book_filter(request: HttpRequest) -> VisitFilter:
    sites = scoped_sites(request.user)
    deputies = Deputy.objects.filter(pk__in=Assignment.objects.filter(site__in=sites).values("deputy_id")).order_by(
        "name"
    )
    return VisitFilter(
        request.GET,
        queryset=visible_visits(request.user),
        sites=sites,
        deputies=deputies,
        can_see_archived=can_see_archived_visits(request.user),
    )


@staff_required
def visit_list(request: HttpRequest) -> HttpResponse:
    """The record book: newest first, filtered, searched, paginated; voters' data masked."""
    filterset = _record_book_filter(request)
    # Counted up to a bound: a province's record book holds millions of visits.
    page = bounded_page(record_book(filterset.qs), PAGE_SIZE, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "stations/visits/list.html",
        {
            "filter": filterset,
            "page": page,
            "export_params": [(key, value) for key, values in query.lists() for value in values if key != "unmasked"],
            "can_export_unmasked": can_export_unmasked(request.user),
            **_print_heading(request, filterset),
        },
    )


def _print_heading(request: HttpRequest, filterset: VisitFilter) -> dict[str, object]:
    """What the printed record book's heading names: the station (or the site filtered) and the period."""
    cleaned = filterset.form.cleaned_data if filterset.is_bound and filterset.form.is_valid() else {}
    site = cleaned.get("site")
    station = station_of(request.user)
    if site is not None:
        scope = site.name
    elif station is not None:
        scope = station.name
    else:
        scope = _("All stations")
    return {"print_scope": scope, "print_from": cleaned.get("date_from"), "print_to": cleaned.get("date_to")}


@staff_required
def visit_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The filtered record book as XLSX or CSV: masked, unless a district administrator explicitly asks."""
    if fmt not in EXPORT_FORMATS:
        raise Http404
    unmasked = request.GET.get("unmasked") == "1"
    if unmasked and not can_export_unmasked(request.user):
        raise PermissionDenied
    filterset = _record_book_filter(request)
    _count, too_many = bounded_count(filterset.qs, max_count=paging.EXPORT_LIMIT)
    if too_many:
        messages.error(
            request,
            _(
                "More than %(limit)s visits match these filters: choose a site or a shorter period, then export "
                "again (one export holds at most %(limit)s visits)."
            )
            % {"limit": paging.EXPORT_LIMIT},
        )
        query = request.GET.copy()
        query.pop("unmasked", None)
        return redirect(f"{reverse('stations:visit_list')}?{query.urlencode()}")
    header, rows = export_rows(record_book(filterset.qs), unmasked=unmasked)
    params = {key: value for key, value in request.GET.items() if value and key != "unmasked"}
    audit(
        action=AuditAction.EXPORT_VISITS_UNMASKED if unmasked else AuditAction.EXPORT_VISITS,
        actor=Actor.from_request(request),
        summary=f"visits {fmt} {len(rows)}",
        changes={"format": fmt, "rows": len(rows), "filters": params, "unmasked": unmasked},
    )
    filename = f"visits-{local_now():%Y%m%d-%H%M}.{fmt}"
    if fmt == "csv":
        return csv_attachment([header, *rows], filename=filename)
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.title = _("Record book")[:31]
    for row in [header, *rows]:
        xlsx_append(sheet, row)
    return xlsx_attachment(workbook, filename=filename)


@staff_required
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole record. The station's own staff see the voter's name and phone; others see them masked
    (a district administrator may reveal them, which is recorded)."""
    return _detail_page(request, visit_for_user(request.user, pk), archive_form=ArchiveForm())


def _detail_page(request: HttpRequest, visit: Visit, *, archive_form: ArchiveForm, status: int = 200) -> HttpResponse:
    may_reveal = can_reveal_visitor(request.user, visit)
    reveal = sees_visitor_in_full(request.user, visit) or (may_reveal and request.GET.get("reveal") == "1")
    has_personal = bool(visit.visitor_phone or visit.visitor_name)
    if reveal and has_personal:
        audit(
            action=AuditAction.PERSONAL_DATA_VIEWED,
            actor=Actor.from_request(request),
            target=visit,
            summary=_("visitor's name and phone on the visit page"),
        )
    presences = visit.visit_deputies.select_related("deputy").order_by("is_visiting", "deputy__name")
    return render(
        request,
        "stations/visits/detail.html",
        {
            "visit": visit,
            "presences": presences,
            "opinions": visit.opinions.order_by("registered_at", "pk"),
            "history": visit_history(visit),
            "reveal": reveal,
            "can_reveal": may_reveal and not reveal and has_personal,
            "can_restore": can_restore_visit(request.user, visit),
            "can_change": can_change_visit(request.user, visit) and can_write(request.user),
            "archive_form": archive_form,
        },
        status=status,
    )


@require_POST
@staff_required
def visit_archive(request: HttpRequest, pk: int) -> HttpResponse:
    """Archive after confirming, with a reason (the form on the visit's page): nothing is deleted."""
    visit = visit_for_user(request.user, pk, write=True)
    form = ArchiveForm(request.POST)
    if form.is_valid():
        try:
            services.visit_archive(visit=visit, actor=Actor.from_request(request), reason=form.cleaned_data["reason"])
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for name, errors in error.error_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                messages.error(request, " ".join(error.messages))
                return redirect("stations:visit_detail", pk=visit.pk)
        else:
            messages.success(request, _("The visit is archived and no longer listed in the record book."))
            return redirect("stations:visit_list")
    return _detail_page(request, visit, archive_form=form)


@require_POST
@staff_required
def visit_restore(request: HttpRequest, pk: int) -> HttpResponse:
    """Bring an archived visit back: the station head or a district administrator (403 for staff)."""
    visit = visit_for_user(request.user, pk, write=True)
    if not can_restore_visit(request.user, visit):
        raise PermissionDenied
    try:
        services.visit_restore(visit=visit, actor=Actor.from_request(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The visit is restored to the record book."))
    return redirect(reverse("stations:visit_detail", kwargs={"pk": visit.pk}))


@staff_required
def visit_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """The slip a walk-in voter takes home: each opinion's tracking code, the station, how to follow it at
    /track/ with a QR code to each opinion's page. Printable; holds no personal data."""
    visit = visit_for_user(request.user, pk)
    opinions = list(visit.opinions.order_by("registered_at", "pk"))
    if not opinions:
        raise Http404
    slips = []
    for opinion in opinions:
        address = settings.PORTAL_URL.rstrip("/") + reverse("stations:track_detail", args=[opinion.tracking_code])
        qr = segno.make(address, error="m").svg_inline(
            scale=3,
            border=2,
            omitsize=True,
            svgclass="receipt-qr",
            title=_("QR code: %(url)s") % {"url": address},
        )
        # segno escapes the title it writes into the SVG; the address is built from a generated code.
        slips.append({"opinion": opinion, "address": address, "qr_svg": mark_safe(qr)})  # noqa: S308
    return render(
        request,
        "stations/visits/receipt.html",
        {
            "visit": visit,
            "station": visit.site.station,
            "slips": slips,
            "track_url": settings.PORTAL_URL.rstrip("/") + reverse("stations:track"),
        },
    )
