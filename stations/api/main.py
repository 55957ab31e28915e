"""The API instance: /api/v1/, its OpenAPI description (/api/v1/openapi.json) and the interactive page
(/api/v1/docs), whose Swagger UI files come from django-ninja's own static files (no CDN: `ninja` is an installed
app, so its template loads them through WhiteNoise)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.operation import Operation
from ninja.renderers import JSONRenderer

from stations import throttle
from stations.api import network, open311, popolo, schemas
from stations.api.errors import ApiError, error_response

VERSION = "1"


class Renderer(JSONRenderer):
    # Chinese as characters, not \\u escapes: readable with curl.
    json_dumps_params = {"ensure_ascii": False}


class PortalApi(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        # The view's name ("site_list", "request_create"): unique in the API, and what generated clients call.
        return operation.view_func.__name__


api = PortalApi(
    title="代表联络站门户 API · Deputy liaison station portal API",
    version=VERSION,
    description=(
        "Public, read-only data of the liaison network: sites, deputies (Popolo), reception days and duties "
        "(published rosters only), figures with their definitions; opinions as Open311 GeoReport v2, filed with an "
        "API key issued by a district administrator. Never a phone number or a voter's personal data. Lists are "
        "paginated (`page`, `page_size` ≤ 100) in a stable order; answers carry ETag (and Last-Modified where "
        "known) and answer 304 to a conditional GET. Errors are JSON: `{code, description, errors}` "
        "(Open311 paths: `[{code, description}]`)."
    ),
    urls_namespace="api",
    renderer=Renderer(),
    # Without deep links Swagger UI draws an operation's path as text, not as a link inside the button that opens
    # it (a control nested in a control, which screen readers do not announce: axe-core's nested-interactive).
    docs=Swagger(settings={"deepLinking": False}),
)

api.add_router("/", network.router)
api.add_router("/popolo/", popolo.router)
api.add_router("/open311/", open311.router)


@api.get("/", response=schemas.Index, summary="What the API offers", tags=["index"])
def index(request: HttpRequest) -> dict[str, Any]:
    def absolute(name: str) -> str:
        return request.build_absolute_uri(reverse(name))

    paths = {
        "sites": "/sites",
        "shifts": "/shifts",
        "figures": "/figures",
        "popolo_persons": "/popolo/persons",
        "popolo_organizations": "/popolo/organizations",
        "popolo_memberships": "/popolo/memberships",
        "popolo_posts": "/popolo/posts",
        "open311_services": "/open311/services.json",
        "open311_requests": "/open311/requests.json",
    }
    root = absolute("api:api-root").rstrip("/")
    return {
        "name": "代表联络站门户 API",
        "version": VERSION,
        "openapi": absolute("api:openapi-json"),
        "docs": absolute("api:openapi-view"),
        "endpoints": {name: f"{root}{path}" for name, path in paths.items()},
    }


# --- errors: JSON with the status and a message, never HTML (see stations.api.errors) -----------------------


def _message(error: dict[str, Any]) -> str:
    """pydantic's message for a parameter, in the portal's language for the kinds of mistake the API meets."""
    context = error.get("ctx") or {}
    kind = error.get("type", "")
    if kind == "int_parsing":
        return _("enter a whole number.")
    if kind == "bool_parsing":
        return _("enter true or false.")
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"):
        return _("enter a date as YYYY-MM-DD.")
    if kind == "less_than_equal":
        return _("at most %(limit)s.") % {"limit": context.get("le")}
    if kind == "greater_than_equal":
        return _("at least %(limit)s.") % {"limit": context.get("ge")}
    if kind == "string_too_long":
        return _("at most %(limit)s characters.") % {"limit": context.get("max_length")}
    if kind == "enum":
        return _("one of %(choices)s.") % {"choices": context.get("expected", "")}
    if kind == "missing":
        return _("this is required.")
    return str(error.get("msg") or _("invalid value"))


def _validation_problems(exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("query", "path", "form", "body", "data")]
        name = ".".join(location) or _("request")
        problems.append(f"{name}: {_message(error)}")
    return problems


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return error_response(request, 400, _validation_problems(exc))


@api.exception_handler(ApiError)
def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error_response(request, exc.status, exc.problems)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(request, exc.status_code, [str(exc)] if str(exc) else [])


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request,
        401,
        [_("A valid API key is required: send it in the X-API-Key header (or the api_key field).")],
        headers={"WWW-Authenticate": 'ApiKey header="X-API-Key"'},
    )


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, [str(exc)] if str(exc) else [])


@api.exception_handler(throttle.Throttled)
def on_throttled(request: HttpRequest, exc: throttle.Throttled) -> HttpResponse:
    seconds = exc.retry_after_seconds
    message = _("Too many requests; try again in %(seconds)d seconds.") % {"seconds": seconds}
    return error_response(request, 429, [message], headers={"Retry-After": str(seconds)})
