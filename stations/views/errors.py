"""Error pages in the portal's own look. Django calls these with DEBUG off; no stack trace is ever shown.
Refusals (403, including a failed CSRF check) are recorded in the audit log."""

from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.translation import gettext_noop

from stations.audit import Actor, audit
from stations.models.audit import AuditAction


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return HttpResponse(loader.render_to_string("404.html", {}, request), status=404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return HttpResponse(loader.render_to_string("400.html", {}, request), status=400)


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without a request context: the failure may lie in a context processor or the database.
    return HttpResponse(loader.render_to_string("500.html"), status=500)


def _record_refusal(request: HttpRequest, summary: str) -> None:
    # The path only: a query string may hold a search for a name or a phone number.
    audit(
        action=AuditAction.ACCESS_DENIED,
        actor=Actor.from_request(request),
        summary=summary,
        changes={"path": request.path[:200]},
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    _record_refusal(request, gettext_noop("page refused"))
    return HttpResponse(loader.render_to_string("403.html", {}, request), status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    _record_refusal(request, gettext_noop("form refused: security token missing or wrong"))
    return HttpResponse(loader.render_to_string("403_csrf.html", {}, request), status=403)
