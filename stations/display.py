"""The elder-friendly display (适老化): large text and high contrast, chosen with a switch on every page.

The choice is remembered in a cookie (no account, no JavaScript: the switch is a form POST), read here and
by the context processor, which tells base.html to add the `elder` class to <html>. The cookie changes the
HTML of every public page, so any cache in front of those pages must vary on it (`Vary: Cookie`, or the cookie's
value in the key).
"""

from __future__ import annotations

from django.http import HttpRequest

COOKIE = "display"
ELDER = "elder"
STANDARD = "standard"
MODES = (STANDARD, ELDER)
# A year: the choice is a reader's need, not a session's.
COOKIE_AGE = 365 * 24 * 3600


def display_mode(request: HttpRequest) -> str:
    value = request.COOKIES.get(COOKIE, STANDARD)
    return value if value in MODES else STANDARD


def is_elder(request: HttpRequest) -> bool:
    return display_mode(request) == ELDER
