"""Sign-in events written to the audit log. Receivers of Django's and django-axes' signals: the only place
these events can be observed, whichever login form (portal or admin) was used."""

from __future__ import annotations

import time

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.utils.translation import gettext_noop

from stations.audit import Actor, AuditAction, audit, client_address

# The moment of sign-in, for the 12-hour limit of stations.middleware.SessionAbsoluteTimeoutMiddleware.
SESSION_STARTED_KEY = "liaison_signed_in_at"


@receiver(user_logged_in, dispatch_uid="stations_audit_login")
def record_login(sender, request, user, **kwargs) -> None:
    if request is None:
        return
    if hasattr(request, "session"):
        request.session[SESSION_STARTED_KEY] = int(time.time())
    audit(action=AuditAction.LOGIN, actor=Actor.from_request(request, user=user))


@receiver(user_login_failed, dispatch_uid="stations_audit_login_failed")
def record_login_failed(sender, credentials, request=None, **kwargs) -> None:
    attempted = str(credentials.get("username", ""))[:150]
    # Axes counts a wrong password (and sets axes_failures_since_start); an attempt made during a lock is
    # refused before any password is checked and is not counted.
    refused_during_lock = bool(getattr(request, "axes_locked_out", False)) and (
        getattr(request, "axes_failures_since_start", None) is None
    )
    audit(
        action=AuditAction.LOGIN_FAILED,
        # Nobody is signed in yet: the account tried is in the changes.
        actor=Actor(user=None, address=client_address(request)),
        # Summaries are stored in English (the log outlives a language switch) and shown translated.
        summary=gettext_noop("refused: locked out") if refused_during_lock else gettext_noop("wrong password"),
        changes={"username": attempted},
    )


@receiver(user_locked_out, dispatch_uid="stations_audit_locked_out")
def record_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    # Sent after the failure that starts a lock and again for each attempt refused during it; only the
    # first is an event of its own (each refusal already has its failed sign-in entry).
    if getattr(request, "axes_failures_since_start", None) is None:
        return
    audit(
        action=AuditAction.LOCKED_OUT,
        actor=Actor(user=None, address=client_address(request)),
        changes={"username": str(username or "")[:150]},
    )


@receiver(user_logged_out, dispatch_uid="stations_audit_logout")
def record_logout(sender, request, user, **kwargs) -> None:
    if user is None or request is None:
        return
    audit(
        action=AuditAction.LOGOUT,
        actor=Actor.from_request(request, user=user),
        summary=getattr(request, "liaison_logout_reason", ""),
    )
