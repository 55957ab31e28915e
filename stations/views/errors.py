"""Error pages in the portal's own look. Django calls these with DEBUG off; no stack trace is ever shown."""

from django.http import HttpRequest, HttpResponse
from django.template import loader


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return HttpResponse(loader.render_to_string("404.html", {}, request), status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without a request context: the failure may lie in a context processor or the database.
    return HttpResponse(loader.render_to_string("500.html"), status=500)
