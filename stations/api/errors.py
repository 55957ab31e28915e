"""Every refusal under /api/ is JSON with the status and a message, never an HTML page.

Two shapes: Open311's own (`[{"code": 400, "description": "…"}]`, one element per problem) under its paths, so
that GeoReport clients read it; elsewhere an object, `{"code": 400, "description": "…", "errors": […]}`, the same
names. The messages are in the portal's language (Chinese unless the client's language cookie says otherwise).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _


class ApiError(Exception):
    """A refusal with its status and one message per problem (an input error names its parameter first)."""

    def __init__(self, status: int, *problems: str) -> None:
        super().__init__("; ".join(problems))
        self.status = status
        self.problems = list(problems)


API_PREFIX = "/api/"
OPEN311_PREFIX = "/api/v1/open311/"

# What each status says when nothing more precise is known (a route that does not exist, a method refused…).


def default_message(status: int) -> str:
    messages = {
        400: _("The request is malformed."),
        401: _("A valid API key is required."),
        403: _("This request is not allowed."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        429: _("Too many requests; try again later."),
    }
    return messages.get(status, _("The server could not answer this request.") if status >= 500 else _("Refused."))


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX)


def error_response(
    request: HttpRequest,
    status: int,
    problems: Iterable[str] = (),
    *,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    """A JSON refusal: `problems` are the messages (the status's own message when there are none)."""
    described = [str(problem) for problem in problems] or [default_message(status)]
    body: object
    if request.path.startswith(OPEN311_PREFIX):
        body = [{"code": status, "description": text} for text in described]
    else:
        body = {
            "code": status,
            "description": described[0],
            "errors": [{"code": status, "description": text} for text in described],
        }
    response = JsonResponse(body, status=status, safe=False, json_dumps_params={"ensure_ascii": False})
    for name, value in (headers or {}).items():
        response[name] = value
    return response
