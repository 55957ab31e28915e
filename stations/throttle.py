"""Rate limits for the public forms (online submissions, tracking-code lookups).

gunicorn runs several worker processes, so a counter in one process's memory would let a client through
once per worker. The hits are therefore rows in the database (`ThrottleHit`), which every worker shares:
no cache server to run, and Django's database cache would need its own table and offers no atomic
increment anyway. A client is known by a keyed hash of its address, never the address itself.

`throttle_take()` reserves a slot before the work is done: it writes the hit first and counts afterwards,
each statement committed on its own. Two requests racing for the last slot then both see each other's
hit, so the limit is never exceeded (at worst both are refused). A refused request takes its hit back,
so hammering the form does not push the retry time further away; `throttle_release()` gives the slot
back when the work turned out not to count (a form with errors).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from stations.audit import client_address
from stations.models import ThrottleHit


@dataclass(frozen=True)
class Limit:
    count: int
    window: dt.timedelta


SUBMIT_SCOPE = "opinion_submit"
SUBMIT_LIMITS = (Limit(5, dt.timedelta(minutes=10)), Limit(20, dt.timedelta(days=1)))
LOOKUP_SCOPE = "opinion_track"
LOOKUP_LIMITS = (Limit(30, dt.timedelta(minutes=10)),)
# Another system filing opinions through the API (a hotline on callers' behalf): counted per API key, far above
# one voter's pace and far below what would flood a station's queue.
API_SUBMIT_SCOPE = "api_submit"
API_SUBMIT_LIMITS = (Limit(60, dt.timedelta(minutes=10)), Limit(500, dt.timedelta(days=1)))


class Throttled(Exception):
    def __init__(self, retry_at: dt.datetime) -> None:
        super().__init__(f"rate limit reached; retry at {retry_at.isoformat()}")
        self.retry_at = retry_at

    @property
    def retry_after_seconds(self) -> int:
        return max(1, int((self.retry_at - timezone.now()).total_seconds()) + 1)


def client_key(request: HttpRequest) -> str:
    """A keyed hash of the client's address. An IPv6 client owns a whole /64, so that is what counts.

    The address is the one the audit log records (REMOTE_ADDR); behind a reverse proxy it must be the
    client's, not the proxy's, or every voter shares one limit.
    """
    address = client_address(request) or "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        parsed = None
    if parsed is not None and parsed.version == 6:
        address = str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return salted_hmac("stations.throttle.client", address, algorithm="sha256").hexdigest()


def throttle_take(*, scope: str, key: str, limits: tuple[Limit, ...]) -> ThrottleHit:
    """Count one request against the limits; raise `Throttled` (with the time to retry) when over one."""
    now = timezone.now()
    longest = max(limit.window for limit in limits)
    ThrottleHit.objects.filter(scope=scope, at__lt=now - longest).delete()
    hit = ThrottleHit.objects.create(scope=scope, key=key, at=now)
    earlier = list(
        ThrottleHit.objects.filter(scope=scope, key=key, at__gt=now - longest)
        .exclude(pk=hit.pk)
        .order_by("at")
        .values_list("at", flat=True)
    )
    retry_at = None
    for limit in limits:
        in_window = [at for at in earlier if at > now - limit.window]
        if len(in_window) >= limit.count:
            # Free again once enough of the earlier hits have left the window for one more to fit.
            frees_at = in_window[len(in_window) - limit.count] + limit.window
            retry_at = max(retry_at or frees_at, frees_at)
    if retry_at is not None:
        hit.delete()
        raise Throttled(retry_at)
    return hit


def throttle_release(hit: ThrottleHit) -> None:
    hit.delete()
