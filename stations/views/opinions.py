"""Opinions and suggestions: the online station and tracking page (public), the handling pages (staff)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from stations import throttle
from stations.audit import Actor, AuditAction, audit
from stations.clock import local_time
from stations.forms.deputies import VoterAnswerForm
from stations.forms.opinions import ACTION_FORMS, OnlineSitePicker, OpinionFilter, OpinionSubmitForm, TrackForm
from stations.forms.records import ThemesTagForm
from stations.models import District, Opinion, OpinionAction, OpinionEvent, Site
from stations.paging import bounded_page
from stations.policy import can_review_important_opinions, opinion_for_user, staff_required, visible_opinions
from stations.selectors.sites import OnlineChoice, online_site_choice
from stations.services import opinions as services
from stations.services.records import themes_available

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SUBMITTED_SESSION_KEY = "opinion_submitted"
PAGE_SIZE = 25


def _too_many(request: HttpRequest, refused: throttle.Throttled) -> HttpResponse:
    minutes = max(1, (refused.retry_after_seconds + 59) // 60)
    context = {"retry_at": local_time(refused.retry_at), "minutes": minutes}
    response = render(request, "stations/opinions/too_many.html", context, status=429)
    response["Retry-After"] = str(refused.retry_after_seconds)
    return response


# --- public: the online station --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def opinion_create(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        initial = {}
        slug = request.GET.get("site")
        chosen = Site.objects.accepting_online().filter(slug=slug).first() if slug else None
        if chosen is not None:
            initial["site"] = chosen
        context = _site_picker(request, around=chosen)
        form = OpinionSubmitForm(initial=initial, offered=context["choice"].sites)
        return render(request, "stations/opinions/new.html", {"form": form, **context})

    try:
        hit = throttle.throttle_take(
            scope=throttle.SUBMIT_SCOPE, key=throttle.client_key(request), limits=throttle.SUBMIT_LIMITS
        )
    except throttle.Throttled as refused:
        return _too_many(request, refused)

    posted_pk = _int(request.POST.get("site"))
    posted = Site.objects.accepting_online().filter(pk=posted_pk).first() if posted_pk is not None else None
    picker = _site_picker(request, around=posted)
    form = OpinionSubmitForm(request.POST, offered=picker["choice"].sites)
    if form.is_spam:
        # The hit stays counted: a bot that fills the hidden field runs into the rate limit like any other.
        form.add_error(None, _("Your opinion could not be accepted. Please reload the page and try again."))
        return render(request, "stations/opinions/new.html", {"form": form, **picker}, status=400)
    if form.is_valid():
        try:
            opinion = services.opinion_submit_online(**form.service_kwargs(), actor=Actor.from_request(request))
        except services.OpinionError as error:
            form.add_error(None, error)
        else:
            request.session[SUBMITTED_SESSION_KEY] = opinion.tracking_code
            return redirect("stations:opinion_submitted")
    # A form with errors is not a submission: give the slot back so that typing mistakes cost nothing.
    throttle.throttle_release(hit)
    return render(request, "stations/opinions/new.html", {"form": form, **picker}, status=400)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 12 else None


def _site_picker(request: HttpRequest, *, around: Site | None) -> dict[str, Any]:
    """The picker above the opinion form (`?q=`, `?district=`) and the sites it leaves for the form's select."""
    districts = list(District.objects.order_by("name", "pk"))
    picker = OnlineSitePicker(request.GET, districts=districts)
    text, district = "", None
    if picker.is_valid():
        text = picker.cleaned_data["q"].strip()
        slug = picker.cleaned_data.get("district") or ""
        district = next((each for each in districts if each.slug == slug), None)
    narrowing = bool(text or district)
    choice = online_site_choice(text=text, district=district, around=None if narrowing else around)
    if around is not None and around not in choice.sites:  # the site a link or the form named stays offered
        choice = OnlineChoice(sites=[around, *choice.sites], too_many=choice.too_many)
    return {"picker": picker, "choice": choice, "narrowed": narrowing or around is not None}


@never_cache
@require_GET
def opinion_submitted(request: HttpRequest) -> HttpResponse:
    """The confirmation with the tracking code, for the browser that submitted it (kept in its session)."""
    code = request.session.get(SUBMITTED_SESSION_KEY)
    opinion = Opinion.objects.select_related("site").filter(tracking_code=code).first() if code else None
    if opinion is None:
        return redirect("stations:opinion_create")
    return render(request, "stations/opinions/submitted.html", {"opinion": opinion})


# --- public: tracking ------------------------------------------------------------------------------------


@require_GET
def track(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.GET or None)
    if form.is_valid():
        code = services.normalise_tracking_code(form.cleaned_data["code"])
        if code:
            return redirect("stations:track_detail", code=code)
        form.add_error("code", _("Enter the tracking code you were given."))
    return render(request, "stations/opinions/track.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
@require_GET
def track_detail(request: HttpRequest, code: str) -> HttpResponse:
    # Every lookup counts, found or not: the codes cannot be guessed, and this keeps anyone from trying.
    try:
        throttle.throttle_take(
            scope=throttle.LOOKUP_SCOPE, key=throttle.client_key(request), limits=throttle.LOOKUP_LIMITS
        )
    except throttle.Throttled as refused:
        return _too_many(request, refused)
    canonical = services.normalise_tracking_code(code)
    if canonical and canonical != code:
        return redirect("stations:track_detail", code=canonical)
    opinion = Opinion.objects.select_related("site", "handling_body").filter(tracking_code=canonical).first()
    if opinion is None:
        form = TrackForm(initial={"code": code})
        return render(request, "stations/opinions/track_unknown.html", {"form": form, "code": code}, status=404)
    return _render_track_detail(request, opinion)


def _render_track_detail(
    request: HttpRequest, opinion: Opinion, *, answer_form: VoterAnswerForm | None = None, status: int = 200
) -> HttpResponse:
    events = opinion.events.filter(public=True).select_related("handling_body")
    may_answer = opinion.state in services.VOTER_MAY_ANSWER and not opinion.voter_satisfaction
    return render(
        request,
        "stations/opinions/track_detail.html",
        {
            "opinion": opinion,
            "events": events,
            "answer_form": (answer_form or VoterAnswerForm()) if may_answer else None,
        },
        status=status,
    )


@never_cache
@require_POST
def track_answer(request: HttpRequest, code: str) -> HttpResponse:
    """The voter says whether they are satisfied (the link in the notice sent once the opinion is resolved);
    whoever holds the tracking code is the voter, as for the tracking page itself."""
    try:
        throttle.throttle_take(
            scope=throttle.LOOKUP_SCOPE, key=throttle.client_key(request), limits=throttle.LOOKUP_LIMITS
        )
    except throttle.Throttled as refused:
        return _too_many(request, refused)
    opinion = get_object_or_404(
        Opinion.objects.select_related("site", "handling_body"), tracking_code=services.normalise_tracking_code(code)
    )
    form = VoterAnswerForm(request.POST)
    if form.is_valid():
        try:
            services.opinion_voter_answer(
                opinion=opinion, satisfaction=form.cleaned_data["satisfaction"], actor=Actor.from_request(request)
            )
        except ValidationError as error:
            # Answered already, or not yet resolved: the form is not shown then, so the reason is a message.
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Thank you: your answer has been recorded."))
            return redirect("stations:track_detail", code=opinion.tracking_code)
    return _render_track_detail(request, opinion, answer_form=form, status=400)


# --- staff -----------------------------------------------------------------------------------------------


@staff_required
@require_GET
def staff_opinion_list(request: HttpRequest) -> HttpResponse:
    scoped = visible_opinions(request.user).select_related("site", "handling_body")
    filters = OpinionFilter(request.GET or None, queryset=scoped, request=request)
    page = bounded_page(filters.qs, PAGE_SIZE, request.GET.get("page"))
    # The filter panel stays open while any filter is set.
    context = {"filters": filters, "page": page, "query": any(key != "page" for key in request.GET)}
    if can_review_important_opinions(request.user):
        context["important_queue"] = list(scoped.important().order_by("registered_at")[:PAGE_SIZE])
    return render(request, "stations/opinions/staff_list.html", context)


# Which service each handling step calls; the forms (stations.forms.opinions.ACTION_FORMS) give the arguments.
ACTION_SERVICES: dict[str, Callable[..., Opinion]] = {
    OpinionAction.ACCEPT: services.opinion_accept,
    OpinionAction.NOT_ACCEPT: services.opinion_not_accept,
    OpinionAction.REFER: services.opinion_refer,
    OpinionAction.REPLY: services.opinion_reply,
    OpinionAction.RESOLVE: services.opinion_resolve,
    OpinionAction.EXPLAIN: services.opinion_explain,
    OpinionAction.CLOSE: services.opinion_close,
    OpinionAction.REOPEN: services.opinion_reopen,
    OpinionAction.SUPERVISE: services.opinion_set_supervision,
    OpinionAction.END_SUPERVISION: services.opinion_end_supervision,
    OpinionAction.REPORT: services.opinion_report_important,
    OpinionAction.WITHDRAW_REPORT: services.opinion_withdraw_report,
}


def _visit_url(opinion: Opinion) -> str | None:
    # The record book's pages come with another part of the portal; until they exist, show the visit's
    # date and site without a link.
    if opinion.visit_id is None:
        return None
    try:
        return reverse("stations:visit_detail", kwargs={"pk": opinion.visit_id})
    except NoReverseMatch:
        return None


def _render_detail(
    request: HttpRequest, opinion: Opinion, *, bound: tuple[str, object] | None = None, status: int = 200
) -> HttpResponse:
    actions = []
    for action in services.allowed_actions(opinion):
        if bound is not None and bound[0] == action:
            form = bound[1]
        else:
            form = ACTION_FORMS[action](prefix=action, initial={"version": opinion.version}, opinion=opinion)
        label: StrOrPromise = OpinionAction(action).label
        if action == OpinionAction.SUPERVISE and opinion.supervised:
            label = _("Change the next review date")
        actions.append({"action": action, "label": label, "form": form})
    show_contact = request.GET.get("contact") == "show" and bool(
        opinion.submitter_name or opinion.submitter_phone or opinion.submitter_email
    )
    if show_contact:
        audit(
            action=AuditAction.PERSONAL_DATA_VIEWED,
            actor=Actor.from_request(request),
            target=opinion,
            summary=f"{opinion.reference} contact details",
        )
    context = {
        "opinion": opinion,
        "events": OpinionEvent.objects.filter(opinion=opinion).select_related("actor", "handling_body"),
        "actions": actions,
        "show_contact": show_contact,
        "visit_url": _visit_url(opinion),
        # Tagging with the year's themes (issue 16).
        "theme_form": ThemesTagForm(themes=themes_available(opinion), initial={"themes": list(opinion.themes.all())}),
    }
    return render(request, "stations/opinions/staff_detail.html", context, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def staff_opinion_detail(request: HttpRequest, pk: int) -> HttpResponse:
    opinion = opinion_for_user(request.user, pk, write=request.method == "POST")
    if request.method != "POST":
        return _render_detail(request, opinion)

    action = request.POST.get("action", "")
    if action not in ACTION_FORMS:
        return HttpResponseBadRequest()
    form = ACTION_FORMS[action](request.POST, prefix=action, opinion=opinion)
    if not form.is_valid():
        return _render_detail(request, opinion, bound=(action, form), status=400)
    try:
        ACTION_SERVICES[action](
            opinion=opinion,
            actor=Actor.from_request(request),
            expected_version=form.cleaned_data["version"],
            **form.step_kwargs(),
        )
    except services.OpinionChanged as changed:
        # The other person's step stands; show the opinion as it is now, with the steps possible from there.
        messages.error(request, changed.messages[0])
        return _render_detail(request, opinion_for_user(request.user, pk), status=409)
    except services.TransitionNotAllowed as refused:
        messages.error(request, refused.messages[0])
        return _render_detail(request, opinion, status=400)
    except services.OpinionError as error:
        form.add_error(None, error)
        return _render_detail(request, opinion, bound=(action, form), status=400)
    messages.success(request, _("Done: %(action)s.") % {"action": OpinionAction(action).label})
    return redirect("stations:staff_opinion_detail", pk=opinion.pk)
