"""Conditional GET for the API: an ETag from the body and, where the view knows it, Last-Modified; 304 when the
client's copy is current. A small local helper (issue 17); stations/caching.py (issue 15) is meant to absorb it.

The ETag is computed from the answer itself, so it is right whatever changed; it saves the transfer, not the
queries (each answer costs a fixed handful of them, tested)."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import parse_http_date_safe

# Public data: caches may keep it a minute and must then ask again (answered with 304 when nothing changed).
MAX_AGE = 60


def conditional(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if request.method not in ("GET", "HEAD") or response.status_code != 200 or response.streaming:
        return response
    if not response.has_header("ETag"):
        response["ETag"] = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
    if "no-store" not in response.get("Cache-Control", ""):
        patch_cache_control(response, public=True, max_age=MAX_AGE)
    # The labels in the answers follow the language cookie (Chinese first).
    patch_vary_headers(response, ["Cookie"])
    last_modified = parse_http_date_safe(response["Last-Modified"]) if response.has_header("Last-Modified") else None
    conditional_response = get_conditional_response(
        request, etag=response["ETag"], last_modified=last_modified, response=response
    )
    return conditional_response or response
