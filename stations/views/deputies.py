"""A deputy's own pages (/me/): coming duties, unavailable dates, swap requests, the opinions raised at their
receptions, their own activities (the staff's form and service, issue 16), their private calendar; and the station head's page deciding swap requests (/staff/swaps/)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from stations.audit import Actor
from stations.clock import local_today
from stations.forms.deputies import SwapDecisionForm, SwapRequestForm, UnavailabilityForm
from stations.forms.records import DeputyActivityForm
from stations.models import Deputy, SwapStatus
from stations.policy import (
    can_decide_swaps,
    deputy_of,
    is_deputy,
    own_duty_for_deputy,
    own_unavailability_for_deputy,
    requires,
    swap_request_for_user,
    visible_swap_requests,
)
from stations.portal import portal_url, webcal_url
from stations.selectors import deputies as selectors
from stations.selectors.records import deputy_activities
from stations.services import deputies as services
from stations.services import records as record_services


def _deputy(request: HttpRequest) -> Deputy:
    deputy = deputy_of(request.user)
    assert deputy is not None  # the decorator let only deputies in
    return deputy


def _errors_to_form(
    form: UnavailabilityForm | SwapRequestForm | SwapDecisionForm | DeputyActivityForm, error: ValidationError
) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _home(
    request: HttpRequest,
    *,
    unavailable_form: UnavailabilityForm | None = None,
    activity_form: DeputyActivityForm | None = None,
    status: int = 200,
) -> HttpResponse:
    deputy = _deputy(request)
    year = local_today().year
    feed = selectors.active_feed(deputy)
    feed_path = reverse("stations:deputy_private_calendar", args=[feed.token]) if feed is not None else ""
    return render(
        request,
        "stations/deputies/home.html",
        {
            "deputy": deputy,
            "duties": selectors.coming_duties(deputy),
            "unavailable": selectors.coming_unavailable_dates(deputy),
            "unavailable_form": unavailable_form or UnavailabilityForm(),
            "swap_requests": selectors.swap_requests_of(deputy),
            "reception": selectors.reception_opinions(deputy),
            "year": year,
            "activities": deputy_activities(deputy=deputy, year=year),
            "activity_form": activity_form or DeputyActivityForm(deputy=deputy),
            "feed": feed,
            "feed_url": portal_url(feed_path) if feed else "",
            "feed_webcal": webcal_url(feed_path) if feed else "",
        },
        status=status,
    )


@never_cache
@requires(is_deputy)
@require_GET
def deputy_home(request: HttpRequest) -> HttpResponse:
    return _home(request)


@never_cache
@require_POST
@requires(is_deputy)
def deputy_activity_add(request: HttpRequest) -> HttpResponse:
    """The deputy records one of their own activities (a study session, an inspection…), through the same form
    and service as the staff's page; it counts in their performance record at once."""
    deputy = _deputy(request)
    form = DeputyActivityForm(request.POST, deputy=deputy)
    if form.is_valid():
        try:
            record_services.activity_record(actor=Actor.from_request(request), **form.service_kwargs())
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Your activity is recorded in your performance record."))
            return redirect("stations:deputy_home")
    return _home(request, activity_form=form, status=400)


@never_cache
@require_POST
@requires(is_deputy)
def deputy_unavailable_add(request: HttpRequest) -> HttpResponse:
    form = UnavailabilityForm(request.POST)
    if form.is_valid():
        try:
            services.unavailability_declare(
                deputy=_deputy(request),
                date=form.cleaned_data["date"],
                reason=form.cleaned_data["reason"],
                actor=Actor.from_request(request),
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("The date is recorded: the next roster will leave you off that day."))
            return redirect("stations:deputy_home")
    return _home(request, unavailable_form=form, status=400)


@never_cache
@require_POST
@requires(is_deputy)
def deputy_unavailable_delete(request: HttpRequest, pk: int) -> HttpResponse:
    item = own_unavailability_for_deputy(request.user, pk)
    services.unavailability_withdraw(item=item, actor=Actor.from_request(request))
    messages.success(request, _("The date is no longer marked unavailable."))
    return redirect("stations:deputy_home")


@never_cache
@requires(is_deputy)
def deputy_swap_request(request: HttpRequest, pk: int) -> HttpResponse:
    duty = own_duty_for_deputy(request.user, pk)
    form = SwapRequestForm(request.POST or None, duty=duty)
    if request.method == "POST" and form.is_valid():
        try:
            services.swap_request_create(
                deputy=_deputy(request),
                duty=duty,
                other_duty=form.cleaned_data["other_duty"],
                reason=form.cleaned_data["reason"],
                actor=Actor.from_request(request),
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Your request has been sent to the station head."))
            return redirect("stations:deputy_home")
    return render(
        request,
        "stations/deputies/swap_request.html",
        {"duty": duty, "form": form},
        status=400 if form.errors else 200,
    )


@never_cache
@require_POST
@requires(is_deputy)
def deputy_calendar_feed(request: HttpRequest) -> HttpResponse:
    deputy, actor = _deputy(request), Actor.from_request(request)
    if request.POST.get("action") == "revoke":
        services.calendar_feed_revoke(deputy=deputy, actor=actor)
        messages.success(request, _("The private calendar address no longer works."))
    else:
        services.calendar_feed_issue(deputy=deputy, actor=actor)
        messages.success(request, _("Your private calendar address is ready; any earlier one no longer works."))
    return redirect("stations:deputy_home")


# --- the station head ------------------------------------------------------------------------------------


@requires(can_decide_swaps)
@require_GET
def swap_requests(request: HttpRequest) -> HttpResponse:
    requests = visible_swap_requests(request.user)
    return render(
        request,
        "stations/deputies/swap_requests.html",
        {
            "pending": list(selectors.pending_swap_requests(requests.filter(status=SwapStatus.PENDING))),
            "decided": list(
                selectors.pending_swap_requests(requests.exclude(status=SwapStatus.PENDING)).order_by(
                    "-decided_at", "-pk"
                )[:20]
            ),
            "form": SwapDecisionForm(),
        },
    )


@require_POST
@requires(can_decide_swaps)
def swap_request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    swap = swap_request_for_user(request.user, pk)
    form = SwapDecisionForm(request.POST)
    if form.is_valid():
        actor, note = Actor.from_request(request), form.cleaned_data["note"]
        try:
            if form.cleaned_data["decision"] == "approve":
                services.swap_request_approve(request=swap, actor=actor, note=note)
                messages.success(request, _("The two deputies swapped their shifts."))
            else:
                services.swap_request_refuse(request=swap, actor=actor, note=note)
                messages.success(request, _("The request is refused; the deputy sees your note."))
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            return redirect("stations:swap_requests")
    requests = visible_swap_requests(request.user)
    return render(
        request,
        "stations/deputies/swap_requests.html",
        {
            "pending": list(selectors.pending_swap_requests(requests.filter(status=SwapStatus.PENDING))),
            "decided": [],
            "form": SwapDecisionForm(),
            "failed": swap,
            "failed_form": form,
        },
        status=400,
    )
