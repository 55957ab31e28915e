"""Opinions as Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2/), the standard FixMyStreet and city 311
systems speak: the categories are its services; an opinion is a service request. JSON only (`.json` paths).

What is public: an opinion's state and its public timeline, its site, category and handling body; never its text,
the voter's name, phone or e-mail. `service_request_id` is the opinion's reference (NH-2027-00042), which reveals
nothing; a request can also be looked up by its tracking code (what the voter was given), which adds the public
reply, as the tracking page shows it. Filing needs an API key (X-API-Key header, or GeoReport's `api_key` field)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import http_date
from django.utils.translation import gettext as _
from ninja import Form, Router, Schema, Status
from ninja.params.functions import Query
from ninja.security import APIKeyHeader

from stations import throttle
from stations.api import schemas
from stations.api.errors import ApiError
from stations.api.network import PAGE, PAGE_SIZE
from stations.api.pagination import counted_window, link_header
from stations.audit import Actor
from stations.bounds import EARLIEST, LATEST
from stations.clock import local_moment, start_of_day
from stations.forms.opinions import OpinionSubmitForm
from stations.models import ApiKey, Category, Opinion, OpinionEvent, Site, State
from stations.privacy import redact_phones
from stations.services import opinions as services
from stations.services.api_keys import api_key_for_secret

router = Router(tags=["Open311 GeoReport v2"])

CLOSED_STATES = (State.NOT_ACCEPTED, State.RESOLVED, State.EXPLAINED, State.CLOSED)
REFERENCE = re.compile(r"^[A-Z]{1,8}-\d{4}-\d{5}$")
MAX_IDS = 100


class ApiKeyAuth(APIKeyHeader):
    """An administrator's API key, in the X-API-Key header or in GeoReport's `api_key` form field."""

    param_name = "X-API-Key"

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.headers.get(self.param_name) or request.POST.get("api_key")

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey | None:
        return api_key_for_secret(key or "")


# --- services ----------------------------------------------------------------------------------------------


@router.get("/services.json", response=list[schemas.Service], summary="Services: the categories of opinions")
def service_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "service_code": category.value,
            "service_name": str(category.label),
            "description": str(category.label),
            "metadata": False,
            "type": "realtime",
            "keywords": "",
            "group": "",
        }
        for category in Category
    ]


# --- requests ----------------------------------------------------------------------------------------------


def _requests():
    events = Prefetch(
        "events",
        queryset=OpinionEvent.objects.filter(public=True).select_related("handling_body").order_by("at", "pk"),
    )
    return Opinion.objects.select_related("site", "handling_body").prefetch_related(events)


def request_out(opinion: Opinion, *, with_reply: bool = False) -> dict[str, Any]:
    events = list(opinion.events.all())
    site = opinion.site
    return {
        "service_request_id": opinion.reference,
        "status": "closed" if opinion.state in CLOSED_STATES else "open",
        "status_notes": redact_phones(opinion.reply) or None if with_reply else None,
        "service_name": str(Category(opinion.category).label),
        "service_code": opinion.category,
        "description": None,
        "agency_responsible": opinion.handling_body.name if opinion.handling_body else None,
        "service_notice": None,
        "requested_datetime": opinion.registered_at,
        "updated_datetime": max((event.at for event in events), default=opinion.registered_at),
        "expected_datetime": _deadline(opinion),
        "address": site.address or site.name,
        "address_id": site.slug,
        "zipcode": None,
        "lat": float(site.latitude) if site.latitude is not None else None,
        "long": float(site.longitude) if site.longitude is not None else None,
        "media_url": None,
        "state": opinion.state,
        "state_label": opinion.get_state_display(),
        "timeline": [
            {
                "state": event.to_state,
                "state_label": event.get_to_state_display(),
                "at": event.at,
                "agency_responsible": event.handling_body.name if event.handling_body else None,
            }
            for event in events
        ],
    }


def _deadline(opinion: Opinion) -> dt.datetime | None:
    if opinion.state != State.REFERRED or opinion.deadline is None:
        return None
    return local_moment(opinion.deadline, dt.time(23, 59))


def _last_entered(opinions: list[Opinion]) -> str | None:
    moments = [event.entered_at for opinion in opinions for event in opinion.events.all()]
    return http_date(max(moments).timestamp()) if moments else None


@router.get(
    "/requests.json",
    response={200: list[schemas.ServiceRequest], **schemas.OPEN311_ERRORS},
    summary="Service requests: opinions' public state",
)
def request_list(
    request: HttpRequest,
    response: HttpResponse,
    service_request_id: str = Query("", max_length=2000, description="Comma-separated references."),
    service_code: Category | None = Query(None, description="One category."),
    start_date: str = Query("", max_length=40, description="Received on or after (ISO 8601)."),
    end_date: str = Query("", max_length=40, description="Received before (ISO 8601)."),
    status: str = Query("", max_length=20, description="open, closed, or both comma-separated."),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> list[dict[str, Any]]:
    """Newest first. The body is GeoReport's bare array; the pages are in the `Link` header (rel next, prev)."""
    opinions = _requests()
    if service_request_id:
        ids = [part.strip().upper() for part in service_request_id.split(",") if part.strip()]
        if len(ids) > MAX_IDS:
            raise ApiError(400, _("service_request_id: at most %(count)d references.") % {"count": MAX_IDS})
        opinions = opinions.filter(reference__in=ids)
    if service_code:
        opinions = opinions.filter(category=service_code)
    if start_date:
        opinions = opinions.filter(registered_at__gte=_moment(start_date, "start_date"))
    if end_date:
        opinions = opinions.filter(registered_at__lt=_moment(end_date, "end_date"))
    if status:
        wanted = {part.strip() for part in status.split(",")}
        if not wanted <= {"open", "closed"}:
            raise ApiError(400, _("status: open, closed, or both."))
        if wanted == {"closed"}:
            opinions = opinions.filter(state__in=CLOSED_STATES)
        elif wanted == {"open"}:
            opinions = opinions.exclude(state__in=CLOSED_STATES)
    found = counted_window(opinions, page=page, page_size=page_size)
    rows = list(opinions.order_by("-registered_at", "-pk")[found.offset : found.stop])
    links = link_header(request, found)
    if links:
        response["Link"] = links
    if found.exact:
        # Only a true total: past API_COUNT_LIMIT the list is not counted to its end (the Link header still
        # names the next page).
        response["X-Total-Count"] = str(found.count)
    last = _last_entered(rows)
    if last:
        response["Last-Modified"] = last
    return [request_out(opinion) for opinion in rows]


def _moment(text: str, name: str) -> dt.datetime:
    try:
        moment = parse_datetime(text)
        day = None if moment else parse_date(text)
    except ValueError:
        moment = day = None
    if moment is None and day is not None and EARLIEST <= day <= LATEST:
        return start_of_day(day)
    if moment is not None and EARLIEST.year <= moment.year <= LATEST.year:
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
    raise ApiError(400, _("%(name)s: a date or time in ISO 8601 between 2000 and 2099.") % {"name": name})


@router.get(
    "/requests/{request_id}.json",
    response={200: list[schemas.ServiceRequest], **schemas.OPEN311_ERRORS},
    summary="One service request, by reference or tracking code",
)
def request_detail(request: HttpRequest, response: HttpResponse, request_id: str) -> list[dict[str, Any]]:
    """By its reference, or by the tracking code the voter was given (which adds the public reply). Lookups are
    rate-limited per client like the tracking page's, found or not."""
    # Like the voter's tracking page: no cache (a shared computer's, a proxy's) keeps what a code looked up.
    add_never_cache_headers(response)
    throttle.throttle_take(scope=throttle.LOOKUP_SCOPE, key=throttle.client_key(request), limits=throttle.LOOKUP_LIMITS)
    wanted = request_id.strip().upper()
    if REFERENCE.match(wanted):
        opinion = _requests().filter(reference=wanted).first()
        by_code = False
    else:
        opinion = _requests().filter(tracking_code=services.normalise_tracking_code(request_id)).first()
        by_code = True
    if opinion is None:
        raise Http404(_("No opinion with this reference or tracking code."))
    return [request_out(opinion, with_reply=by_code)]


class RequestIn(Schema):
    service_code: str
    description: str
    site: str
    consent: bool = False
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    email: str = ""
    api_key: str = ""
    jurisdiction_id: str = ""


# Which GeoReport field each of the web form's fields comes from, for error messages.
FIELD_NAMES = {
    "site": "site",
    "category": "service_code",
    "content": "description",
    "submitter_name": "first_name",
    "submitter_phone": "phone",
    "submitter_email": "email",
    "consent": "consent",
    "__all__": "request",
}


@router.post(
    "/requests.json",
    response={201: list[schemas.ServiceRequestCreated], 401: list[schemas.ErrorItem], **schemas.OPEN311_ERRORS},
    auth=ApiKeyAuth(),
    summary="File an opinion at an online station (API key required)",
)
def request_create(request: HttpRequest, data: Form[RequestIn]) -> Status:
    """Form-encoded, as GeoReport posts. `site` (an addition: the id of an online station, or of a room or point
    under one) says where the opinion goes; `service_code` is its category. The caller's name, phone and e-mail
    are optional and need `consent=true`, the caller's agreement, as on the web form. The same checks as the web
    form, the same tracking code; the audit log names the key. Counted per key: 60 per 10 minutes, 500 a day."""
    key: ApiKey = request.auth  # type: ignore[attr-defined]  # set by ApiKeyAuth
    hit = throttle.throttle_take(
        scope=throttle.API_SUBMIT_SCOPE, key=f"api-key:{key.pk}", limits=throttle.API_SUBMIT_LIMITS
    )
    site = Site.objects.filter(slug=data.site.strip()).first()
    if site is None or not site.accepts_online:
        throttle.throttle_release(hit)
        message = _("No site with this id.") if site is None else _("This site does not take opinions online.")
        raise ApiError(400, f"site: {message}")
    name = f"{data.last_name.strip()}{data.first_name.strip()}"  # a Chinese name: family name first
    form = OpinionSubmitForm(
        {
            "site": site.pk,
            "category": data.service_code,
            "content": data.description,
            "consent": "on" if data.consent else "",
            "submitter_name": name,
            "submitter_phone": data.phone,
            "submitter_email": data.email,
        }
    )
    problems: list[str] = []
    if form.is_valid():
        try:
            opinion = services.opinion_submit_online(
                **form.service_kwargs(), actor=Actor.for_api_key(request, key_name=key.name)
            )
        except services.OpinionError as error:
            problems = [f"request: {message}" for message in error.messages]
        else:
            created = {
                "service_request_id": opinion.reference,
                "service_notice": _("Registered; the station will handle it."),
                "token": None,
                "account_id": None,
                "tracking_code": opinion.tracking_code,
            }
            return Status(201, [created])
    else:
        problems = [
            f"{FIELD_NAMES.get(field, field)}: {message}"
            for field, messages in form.errors.items()
            for message in messages
        ]
    throttle.throttle_release(hit)  # a refused request does not count, as on the web form
    raise ApiError(400, *problems)
