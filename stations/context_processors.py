"""Template context every page shares."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from stations.clock import duration_text
from stations.display import is_elder


def session(request: HttpRequest) -> dict[str, object]:
    """The idle limit, for the warning before a session ends (static/js/session.js) and the sign-in page. The
    warning counts from the earliest end: an unchanged session is renewed only once in a while."""
    from stations.middleware import session_renew_interval

    return {
        "session_idle_seconds": settings.SESSION_COOKIE_AGE - session_renew_interval(),
        "session_idle_text": duration_text(settings.SESSION_COOKIE_AGE),
        "session_ended": getattr(request, "session_ended", False),
    }


def display(request: HttpRequest) -> dict[str, object]:
    """The elder-friendly display (stations.display): base.html marks <html> and the switch shows the other mode."""
    return {"elder_mode": is_elder(request)}
