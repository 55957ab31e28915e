"""Request middleware of the portal."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class ChineseFirstMiddleware:
    """Serve simplified Chinese unless the visitor chose another language with the switch in the header.

    Django would otherwise follow the browser's Accept-Language header, and many intranet machines run
    English-language browsers: the portal of a Chinese people's congress speaks Chinese until asked not to.
    Placed before LocaleMiddleware, which then decides from the language cookie alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
