"""The portal's own address as users reach it (settings.PORTAL_URL), whatever computer renders a page: links that
leave the browser (QR codes on printed posters, calendar subscriptions, e-mails) and the domain in calendar UIDs."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings


def portal_url(path: str = "/") -> str:
    """`path` on the portal: `https://rdlianluo.nanhu.gov.cn/sites/yuxin/`."""
    return str(settings.PORTAL_URL).rstrip("/") + path


def portal_domain() -> str:
    """The host name alone (no port): what iCalendar UIDs carry so that they are unique world-wide."""
    return urlsplit(str(settings.PORTAL_URL)).hostname or "localhost"


def webcal_url(path: str) -> str:
    """The subscription address of a calendar feed: calendars poll `webcal://` addresses and keep up to date
    (they fetch it over https when the portal is served over https)."""
    parts = urlsplit(portal_url(path))
    return f"webcal://{parts.netloc}{parts.path}"
