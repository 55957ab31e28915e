"""Login lockout: 5 failures for one user name from one address within 15 minutes lock that pair for 30
minutes; LOGIN_ADDRESS_FAILURE_LIMIT (20) failures from one address within 15 minutes, whatever the user
names, lock that address for 30 minutes for every user name (against password spraying: one password tried
against many accounts).

django-axes keeps one row per client (AccessAttempt) whose counter runs for as long as failures keep
coming within the cool-off time; it has no separate, shorter window for counting. This handler keeps axes'
rows (the admin lists them; deleting one, or `manage.py axes_reset_username`, unlocks) and decides from
axes' failure log, which holds one timestamped row per failure:

- locked while a failure that reached the limit is younger than AXES_COOLOFF_TIME (30 minutes);
- otherwise the count is the failures of the last LOGIN_FAILURE_WINDOW (15 minutes);
- and, for every user name, an address is locked for AXES_COOLOFF_TIME from the failure that brought its
  failures within one LOGIN_FAILURE_WINDOW to LOGIN_ADDRESS_FAILURE_LIMIT. Axes' own per-parameter lockout
  (`AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]`) has one failure limit for all
  parameters, so it cannot say 5 for a pair and 20 for an address; the address rule is counted here, from
  the same failure log. Deleting the address's attempts (`manage.py axes_reset_ip <address>`) unlocks it.

Attempts refused during a lock are not counted (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False),
so the lock ends 30 minutes after it began, right password or not in between.
"""

from __future__ import annotations

from datetime import datetime

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone


class WindowedLockoutHandler(AxesDatabaseHandler):
    def _failure_log(self, request: HttpRequest, credentials: dict | None) -> QuerySet[AccessFailureLog]:
        username = get_client_username(request, credentials)
        return AccessFailureLog.objects.filter(username=username, ip_address=request.axes_ip_address)  # type: ignore[attr-defined]  # set by django-axes

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        limit = get_failure_limit(request, credentials)
        now = request.axes_attempt_time or timezone.now()  # type: ignore[attr-defined]  # set by django-axes
        # While axes records a failure it asks for the count before it writes that failure's log row.
        recording = getattr(request, "liaison_recording_failure", False)
        if self._address_locked(request, now=now, recording=recording):
            # For the lockout page: the address, not one account, is locked.
            request.liaison_address_locked = True  # type: ignore[attr-defined]  # read by the lockout page
            return limit
        failures = self._failure_log(request, credentials)
        if failures.filter(locked_out=True, attempt_time__gt=now - get_cool_off(request)).exists():
            return limit
        counted = failures.filter(attempt_time__gt=now - settings.LOGIN_FAILURE_WINDOW).count()
        if recording:
            counted += 1
        return counted

    def _address_locked(self, request: HttpRequest, *, now: datetime, recording: bool) -> bool:
        if request.axes_ip_address is None:  # type: ignore[attr-defined]  # set by django-axes
            return False
        limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
        window = settings.LOGIN_FAILURE_WINDOW
        cool_off = get_cool_off(request)
        # Attempts refused during a lock are not logged, so these are at most a few times the limit.
        times = list(
            AccessFailureLog.objects.filter(
                ip_address=request.axes_ip_address,  # type: ignore[attr-defined]
                attempt_time__gt=now - cool_off - window,
            )
            .order_by("attempt_time")
            .values_list("attempt_time", flat=True)
        )
        if recording:
            times.append(now)
        # A lock begins at the failure that makes `limit` failures within one window, and lasts cool_off.
        return any(
            times[last] > now - cool_off and times[last] - times[last - limit + 1] < window
            for last in range(limit - 1, len(times))
        )

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs) -> None:
        if request is None:
            return super().user_login_failed(sender, credentials, request=request, **kwargs)
        request.liaison_recording_failure = True
        try:
            super().user_login_failed(sender, credentials, request=request, **kwargs)
        finally:
            request.liaison_recording_failure = False

    def post_delete_access_attempt(self, instance: AccessAttempt, **kwargs) -> None:
        # Deleting axes' row (an administrator unlocking, a reset command, a successful sign-in, or expiry)
        # forgets the failures behind it, so the lock and the window start afresh.
        AccessFailureLog.objects.filter(
            username=instance.username,
            ip_address=instance.ip_address,
            user_agent=instance.user_agent,
        ).delete()
