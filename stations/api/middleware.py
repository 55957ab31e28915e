"""Under /api/: JSON for every refusal, whoever answered it (a route that does not exist, a method the route does
not take, a server error), and conditional GET (ETag, Last-Modified, 304; stations/api/conditional.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase

from stations.api.conditional import conditional, not_modified
from stations.api.errors import error_response, is_api_path


class ApiResponsesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not is_api_path(request.path):
            return response
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith("application/json"):
            replacement = error_response(request, response.status_code)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if response.has_header(header):
                    replacement[header] = response[header]
            return replacement
        return conditional(request, response)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., HttpResponseBase], view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        # A feed whose scopes are known answers a conditional GET from their tokens, before any row is read.
        return not_modified(request) if is_api_path(request.path) else None
