"""The switch between the standard and the elder-friendly display (stations.display)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from stations.display import COOKIE, COOKIE_AGE, MODES, STANDARD


@require_POST
def display_switch(request: HttpRequest) -> HttpResponse:
    """Set the display mode and go back to the page the switch was on (a path on this portal only)."""
    mode = request.POST.get("mode", STANDARD)
    if mode not in MODES:
        mode = STANDARD
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("stations:home")
    response = HttpResponseRedirect(target)
    response.set_cookie(
        COOKIE,
        mode,
        max_age=COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response
