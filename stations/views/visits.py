"""The reception record book (代表接待记录本): log a visit, the book itself, one visit, exports."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from stations.audit import Actor, AuditAction, audit
from stations.clock import local_now
from stations.exports import csv_attachment, xlsx_append, xlsx_attachment
from stations.forms.visits import OpinionFormSet, VisitFilter, VisitForm, opinions_from, visit_initial
from stations.models import Assignment, Deputy, DutyShift, Site, Visit
from stations.policy import (
    can_export_unmasked,
    can_restore_visit,
    can_reveal_visitor,
    can_see_archived_visits,
    district_admin_required,
    sees_visitor_in_full,
    staff_required,
    station_of,
    visible_visits,
    visit_for_user,
)
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


def _default_site(request: HttpRequest, sites: QuerySet[Site], shifts: list[DutyShift], now: dt.datetime):
    wanted = request.GET.get("site", "")
    if wanted.isdigit():
        site = sites.filter(pk=wanted).first()
        if site is not None:
            return site
    running = [shift for shift in shifts if shift.start <= now <= shift.end and not shift.cancelled]
    if running:
        return running[0].roster.site
    station = station_of(request.user)
    if station is not None:
        return station
    return None


def _form_page(request: HttpRequest, *, form: VisitForm, formset, visit: Visit | None, sites, shifts, shift=None):
    return render(
        request,
        "stations/visits/form.html",
        {
            "form": form,
            "formset": formset,
            "visit": visit,
            "shift": shift,
            "shifts": [s for s in shifts if not s.cancelled],
            "areas": areas_for_site(form.render_site, sites),
        },
    )


@staff_required
def visit_create(request: HttpRequest) -> HttpResponse:
    """Log a visit, pre-filled with the user's station, now, today's shift and its deputies."""
    sites = scoped_sites(request.user).filter(is_active=True)
    now = local_now().replace(second=0, microsecond=0)
    shifts = todays_shifts(sites=sites)
    if request.method == "POST":
        posted = request.POST.get("site", "")
        posted_site = sites.filter(pk=posted).first() if posted.isdigit() else None
        shift = _prefill_shift(posted_site, shifts, now)
        on_duty = deputies_on_duty(shift) if shift is not None else []
        form = VisitForm(request.POST, sites=sites, on_duty=on_duty)
        formset = OpinionFormSet(request.POST, prefix="opinions")
        if form.is_valid() and formset.is_valid():
            try:
                visit = services.visit_create(
                    actor=Actor.from_request(request), opinions=opinions_from(formset), **form.service_kwargs()
                )
            except ValidationError as error:
                _apply_service_errors(form, error)
            else:
                count = visit.opinions.count()
                messages.success(
                    request,
                    ngettext(
                        "The visit is recorded with %(count)s opinion.",
                        "The visit is recorded with %(count)s opinions.",
                        count,
                    )
                    % {"count": count},
                )
                return redirect("stations:visit_list")
        return _form_page(request, form=form, formset=formset, visit=None, sites=sites, shifts=shifts, shift=shift)

    site = _default_site(request, sites, shifts, now)
    shift = _prefill_shift(site, shifts, now)
    on_duty = deputies_on_duty(shift) if shift is not None else []
    assigned = set(Assignment.objects.filter(site=site).values_list("deputy_id", flat=True)) if site else set()
    initial = {
        "site": site,
        "occurred_at": now,
        "deputies": [deputy.pk for deputy in on_duty if deputy.pk in assigned],
        "visiting_deputies": [deputy.pk for deputy in on_duty if deputy.pk not in assigned],
        "channel": "reception_day" if shift is not None else "walk_in",
    }
    form = VisitForm(initial=initial, sites=sites, site=site, on_duty=on_duty)
    formset = OpinionFormSet(prefix="opinions")
    return _form_page(request, form=form, formset=formset, visit=None, sites=sites, shifts=shifts, shift=shift)


@staff_required
def visit_update(request: HttpRequest, pk: int) -> HttpResponse:
    visit = visit_for_user(request.user, pk, write=True)
    if visit.is_archived:
        messages.error(request, _("An archived visit cannot be changed; restore it first."))
        return redirect("stations:visit_detail", pk=visit.pk)
    # The visit's own site stays selectable even if it was closed since.
    sites = scoped_sites(request.user).filter(is_active=True) | scoped_sites(request.user).filter(pk=visit.site_id)
    shifts: list[DutyShift] = []
    present = (
        visit.site_id,
        set(visit.visit_deputies.filter(is_visiting=False).values_list("deputy_id", flat=True)),
    )
    if request.method == "POST":
        form = VisitForm(request.POST, sites=sites, already_present=present)
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
                messages.success(request, _("The changes are saved."))
                return redirect("stations:visit_detail", pk=visit.pk)
    else:
        form = VisitForm(initial=visit_initial(visit), sites=sites, site=visit.site, already_present=present)
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
    page = Paginator(record_book(filterset.qs), PAGE_SIZE).get_page(request.GET.get("page"))
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
        },
    )


@staff_required
def visit_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The filtered record book as XLSX or CSV: masked, unless a district administrator explicitly asks."""
    if fmt not in EXPORT_FORMATS:
        raise Http404
    unmasked = request.GET.get("unmasked") == "1"
    if unmasked and not can_export_unmasked(request.user):
        raise PermissionDenied
    filterset = _record_book_filter(request)
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
    visit = visit_for_user(request.user, pk)
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
        },
    )


@require_POST
@staff_required
def visit_archive(request: HttpRequest, pk: int) -> HttpResponse:
    visit = visit_for_user(request.user, pk, write=True)
    try:
        services.visit_archive(visit=visit, actor=Actor.from_request(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("stations:visit_detail", pk=visit.pk)
    messages.success(request, _("The visit is archived and no longer listed in the record book."))
    return redirect("stations:visit_list")


@require_POST
@district_admin_required
def visit_restore(request: HttpRequest, pk: int) -> HttpResponse:
    visit = visit_for_user(request.user, pk, write=True)
    try:
        services.visit_restore(visit=visit, actor=Actor.from_request(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The visit is restored to the record book."))
    return redirect(reverse("stations:visit_detail", kwargs={"pk": visit.pk}))
