"""Conditional GET for the API: ETag and Last-Modified, 304 when the client's copy is current.

Where the feed names the scopes it shows (stations/caching.py, `FEEDS`: sites, reception days, figures, Popolo),
the validators come from the scopes' generation tokens, the same ones the public pages use: they are known before
the view runs, so a 304 is answered without reading a row (`not_modified`, from the middleware's process_view),
and a publish, an attendance mark, a site edit or an opinion's step changes exactly the feeds that show it. Other
answers (the index, the OpenAPI description, one Open311 request) get an ETag computed from the answer itself:
right whatever changed, it saves the transfer, not the queries."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import parse_http_date_safe

from stations import caching

# Public data: caches may keep it a minute and must then ask again (answered with 304 when nothing changed).
MAX_AGE = 60
_VALIDATORS = "_stations_feed_validators"


def _cache_headers(response: HttpResponseBase) -> None:
    if "no-store" not in response.get("Cache-Control", ""):
        patch_cache_control(response, public=True, max_age=MAX_AGE)
    # The labels in the answers follow the language cookie (Chinese first).
    patch_vary_headers(response, ["Cookie"])


def not_modified(request: HttpRequest) -> HttpResponseBase | None:
    """Before the view: a 304 from the feed's tokens when the client's copy is current, else None (the view
    answers, and `conditional` gives its answer the same validators)."""
    validators = caching.feed_validators(request)
    if validators is None:
        return None
    setattr(request, _VALIDATORS, validators)  # noqa: B010  (read back by `conditional` on the same request)
    etag, last_modified = validators
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is not None:
        caching.set_validators(response, etag=etag, last_modified=last_modified)
        _cache_headers(response)
    return response


def conditional(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if request.method not in ("GET", "HEAD") or response.status_code != 200 or response.streaming:
        return response
    validators: tuple[str, int | None] | None = getattr(request, _VALIDATORS, None)
    if validators is not None:
        etag, last_modified = validators
        caching.set_validators(response, etag=etag, last_modified=last_modified)
    elif not response.has_header("ETag"):
        response["ETag"] = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
    _cache_headers(response)
    last_modified_at = parse_http_date_safe(response["Last-Modified"]) if response.has_header("Last-Modified") else None
    conditional_response = get_conditional_response(
        request, etag=response["ETag"], last_modified=last_modified_at, response=response
    )
    return conditional_response or response
