"""Request middleware of the portal."""

import re
import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext_lazy as _

from stations.api.errors import error_response, is_api_path
from stations.audit_events import SESSION_STARTED_KEY
from stations.clock import duration_text
from stations.policy import requires_second_factor
from stations.services.two_factor import confirmed_device
from stations.views.errors import bad_request

# An unchanged session's idle expiry is pushed forward (a write to the session table and a commit) at most this
# often, not on every request: at 50 clients that write was one of the few costs every staff page shared
# (issue 15). The idle limit then ends a session between SESSION_COOKIE_AGE minus this and SESSION_COOKIE_AGE
# after its last request.
SESSION_RENEW_SECONDS = 60
SESSION_RENEWED_KEY = "_session_renewed"


def session_renew_interval() -> int:
    """Seconds an unchanged session goes without renewal: SESSION_RENEW_SECONDS, at most a tenth of the idle
    limit (a limit of seconds, as a test sets, renews on every request)."""
    return min(SESSION_RENEW_SECONDS, settings.SESSION_COOKIE_AGE // 10)


class SessionRenewalMiddleware(SessionMiddleware):
    """Django's session middleware, with SESSION_SAVE_EVERY_REQUEST's renewal at most once a SESSION_RENEW_SECONDS.

    A session changed by the request is saved as always; an unchanged one only when its last renewal is older
    than SESSION_RENEW_SECONDS (the time of that renewal is kept in the session itself)."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if (
            session is not None
            and settings.SESSION_SAVE_EVERY_REQUEST
            and not session.modified
            and not session.is_empty()
            and response.status_code < 500
        ):
            now = int(timezone.now().timestamp())
            renewed = session.get(SESSION_RENEWED_KEY)
            if isinstance(renewed, int) and 0 <= now - renewed < session_renew_interval():
                patch_vary_headers(response, ("Cookie",))  # the session was read, as Django would say
                return response
            session[SESSION_RENEWED_KEY] = now
        return super().process_response(request, response)


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


class NoStoreMiddleware:
    """Pages that may show personal data are never kept by a browser or a proxy: `Cache-Control: no-store`.

    Every staff and admin page and the accounts pages (sign-in, password change), with whatever answers there:
    redirects, refusals, downloads. A shared intranet computer's cache, or its back button after signing out,
    must not show the next user a voter's name and number. Placed before every middleware that can answer on
    its own (the lockout, the second factor, the refusal of malformed input), so that their answers are covered.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self._private(request.path):
            add_never_cache_headers(response)
        return response

    @staticmethod
    def _private(path: str) -> bool:
        accounts = reverse("login").removesuffix("login/")
        return path.startswith((reverse("stations:staff_home"), reverse("admin:index"), accounts))


# A query value longer than this is nonsense (the longest real one, a search, is a few words); a NUL or other
# control character is never typed by a person and PostgreSQL refuses it in any string.
MAX_QUERY_VALUE = 1000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def malformed_input(request: HttpRequest) -> bool:
    """True when the query string, or a posted form, holds what no person types."""
    for key, values in request.GET.lists():
        for text in (key, *values):
            if len(text) > MAX_QUERY_VALUE or _CONTROL.search(text):
                return True
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        for key, values in request.POST.lists():
            if any("\x00" in text for text in (key, *values)):
                return True
    return False


class RejectMalformedInputMiddleware:
    """Answer 400 with the portal's own page (JSON under /api/) when a request carries nonsense (issue 14), before any view, form
    or query sees it. Forms still validate what a person can type (dates within bounds, lengths, choices)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if malformed_input(request):
            if is_api_path(request.path):
                # Another system reads the answer: JSON with the status and a message, as every API refusal.
                return error_response(
                    request, 400, [str(_("The request holds control characters or a value too long."))]
                )
            return bad_request(request)
        return self.get_response(request)


class SessionAbsoluteTimeoutMiddleware:
    """End a signed-in session SESSION_ABSOLUTE_AGE seconds after sign-in, however active.

    The idle limit (SESSION_COOKIE_AGE) is the session's own expiry, renewed on every request
    (SESSION_SAVE_EVERY_REQUEST); this adds the upper bound an always-open browser tab would otherwise
    escape. The sign-in time is written by stations.audit_events.record_login; a session without it (one
    from before this middleware) starts counting now.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            started = request.session.setdefault(SESSION_STARTED_KEY, now)
            if now - int(started) > settings.SESSION_ABSOLUTE_AGE:
                with translation.override("en"):
                    # The audit log keeps its summaries in English, like every other entry's.
                    limit = duration_text(settings.SESSION_ABSOLUTE_AGE)
                request.liaison_logout_reason = f"session ended after {limit}"  # type: ignore[attr-defined]
                logout(request)
                messages.info(
                    request,
                    _("Your session has ended after %(limit)s. Please sign in again.")
                    % {"limit": duration_text(settings.SESSION_ABSOLUTE_AGE)},
                )
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """District administrators must pass the second factor (TOTP) before any staff or admin page.

    A district administrator without a confirmed device is sent to enrolment; one with a device to the
    code page; both come back to the page they asked for. Other roles are not asked (issue 8 requires the
    second factor for administrators only). Needs django_otp's OTPMiddleware before it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            self._protected(request.path_info)
            and request.user.is_authenticated
            and not request.user.is_verified()  # type: ignore[attr-defined]  # added by OTPMiddleware
            and requires_second_factor(request.user)
        ):
            target = "stations:otp_verify" if confirmed_device(request.user) else "stations:otp_setup"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _protected(path: str) -> bool:
        if path == reverse("admin:logout"):
            return False
        # Changing the password is protected too: the password alone must not be enough to take the account.
        return path.startswith((reverse("stations:staff_home"), reverse("admin:index"), reverse("password_change")))


# A browser-session cookie saying "this browser was signed in". Sent back without a live session, it means the
# session ended while the person was away: the sign-in page says so (and that what they typed is kept).
SIGNED_IN_COOKIE = "portal_signed_in"


class SessionEndedMiddleware:
    """Tell the sign-in page why it appeared: `request.session_ended` is True when this browser was signed in
    and its session ended without signing out (30 minutes without a request, or cleared on the server).
    Signing out deletes the marker, so a deliberate sign-out is not reported as a timeout."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        was_signed_in = request.user.is_authenticated
        marked = request.COOKIES.get(SIGNED_IN_COOKIE) == "1"
        request.session_ended = marked and not was_signed_in  # type: ignore[attr-defined]
        response = self.get_response(request)
        signed_in = request.user.is_authenticated
        if signed_in and not marked:
            response.set_cookie(
                SIGNED_IN_COOKIE,
                "1",
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        elif marked and not signed_in and (was_signed_in or self._told(request)):
            response.delete_cookie(SIGNED_IN_COOKIE, samesite="Lax")
        return response

    @staticmethod
    def _told(request: HttpRequest) -> bool:
        """The sign-in page has just said that the session ended: say it once."""
        return request.method == "GET" and request.path_info == reverse("login")
