"""Writes a deputy makes on their own pages, and the station head's decision on a swap request.

A deputy declares dates they cannot serve (roster generation reads them: stations.planning.rosters), asks to
swap a coming duty with a colleague's (the station head approves through `shift_swap`, the roster's own swap
service, or refuses), and issues or revokes the private address of their calendar.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from stations.audit import Actor, AuditAction, audit
from stations.clock import local_today
from stations.models import (
    Attendance,
    CalendarFeed,
    Deputy,
    Duty,
    SwapRequest,
    SwapStatus,
    Unavailability,
)
from stations.policy import can_manage_roster, deputy_of
from stations.services.rosters import shift_swap


def _require_self(actor: Actor, deputy: Deputy) -> None:
    """Only the deputy themself writes on their own pages (the system may, for the demo and tests)."""
    if actor.user is None:
        return
    own = deputy_of(actor.user)
    if own is None or own.pk != deputy.pk:
        raise PermissionDenied(_("Only the deputy themself can do this."))


# --- unavailable dates -----------------------------------------------------------------------------------


@transaction.atomic
def unavailability_declare(*, deputy: Deputy, date: dt.date, reason: str = "", actor: Actor) -> Unavailability:
    """A date the deputy cannot serve. Only days still to come: a roster already generated keeps its duties
    (ask for a swap for those), the next generation leaves the deputy off that day."""
    _require_self(actor, deputy)
    if date <= local_today():
        raise ValidationError({"date": _("Choose a date after today.")})
    if Unavailability.objects.filter(deputy=deputy, date=date).exists():
        raise ValidationError({"date": _("You have already declared this date.")})
    item = Unavailability(deputy=deputy, date=date, reason=reason.strip()[:200])
    item.full_clean()
    item.save()
    audit(
        action=AuditAction.UNAVAILABILITY_DECLARED,
        actor=actor,
        target=item,
        summary=f"{deputy.slug} {date.isoformat()}",
    )
    return item


@transaction.atomic
def unavailability_withdraw(*, item: Unavailability, actor: Actor) -> None:
    _require_self(actor, item.deputy)
    summary = f"{item.deputy.slug} {item.date.isoformat()}"
    pk = item.pk
    item.delete()
    audit(
        action=AuditAction.UNAVAILABILITY_WITHDRAWN,
        actor=actor,
        summary=summary,
        changes={"unavailability": pk},
    )


# --- swap requests ---------------------------------------------------------------------------------------


def _check_swappable(duty: Duty, now: dt.datetime) -> None:
    if duty.shift.cancelled or duty.shift.start <= now or duty.attendance != Attendance.UNMARKED:
        raise ValidationError(_("Only duties still to come can be swapped."))


@transaction.atomic
def swap_request_create(*, deputy: Deputy, duty: Duty, other_duty: Duty, reason: str, actor: Actor) -> SwapRequest:
    """The deputy asks to exchange `duty` (theirs) with `other_duty` (a colleague's, at a site of the same
    station); nothing changes on the roster until the station head approves."""
    _require_self(actor, deputy)
    now = timezone.now()
    if duty.deputy_id != deputy.pk:
        raise PermissionDenied(_("You can only ask to swap your own duties."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why you cannot serve on that day.")})
    if other_duty.deputy_id == deputy.pk or other_duty.shift_id == duty.shift_id:
        raise ValidationError({"other_duty": _("Choose another deputy's duty to swap with.")})
    _check_swappable(duty, now)
    try:
        _check_swappable(other_duty, now)
    except ValidationError:
        raise ValidationError({"other_duty": _("Only duties still to come can be swapped.")}) from None
    if other_duty.shift.site.station.pk != duty.shift.site.station.pk:
        raise ValidationError({"other_duty": _("Choose a duty at a site of the same station.")})
    request = SwapRequest(deputy=deputy, duty=duty, other_duty=other_duty, reason=reason[:200])
    request.full_clean()
    request.save()
    audit(
        action=AuditAction.SWAP_REQUESTED,
        actor=actor,
        target=request,
        summary=reason,
        changes={"duty": duty.pk, "other_duty": other_duty.pk},
    )
    return request


def _locked_pending(request: SwapRequest) -> SwapRequest:
    locked = SwapRequest.objects.select_for_update().select_related("duty__shift__roster__site").get(pk=request.pk)
    if locked.status != SwapStatus.PENDING:
        raise ValidationError(_("This request has already been decided."))
    return locked


def _require_head(actor: Actor, request: SwapRequest) -> None:
    if actor.user is not None and not can_manage_roster(actor.user, request.duty.shift.site):
        raise PermissionDenied(_("Only the station head or a district administrator can change the roster."))


@transaction.atomic
def swap_request_approve(*, request: SwapRequest, actor: Actor, note: str = "") -> SwapRequest:
    """The head agrees: the two deputies exchange their shifts through `shift_swap` (conflicts, attendance
    already marked and the like are refused there, and the request stays pending)."""
    request = _locked_pending(request)
    _require_head(actor, request)
    reason = _("Swap asked for by %(deputy)s: %(reason)s") % {"deputy": request.deputy.name, "reason": request.reason}
    shift_swap(duty=request.duty, other_duty=request.other_duty, actor=actor, reason=reason[:200])
    request.status = SwapStatus.APPROVED
    request.decided_at = timezone.now()
    request.decided_by = actor.user if actor.user is not None and actor.user.is_authenticated else None
    request.decision_note = note.strip()[:200]
    request.full_clean()
    request.save()
    audit(action=AuditAction.SWAP_APPROVED, actor=actor, target=request, summary=request.decision_note)
    return request


@transaction.atomic
def swap_request_refuse(*, request: SwapRequest, actor: Actor, note: str) -> SwapRequest:
    request = _locked_pending(request)
    _require_head(actor, request)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Tell the deputy why the swap is refused.")})
    request.status = SwapStatus.REFUSED
    request.decided_at = timezone.now()
    request.decided_by = actor.user if actor.user is not None and actor.user.is_authenticated else None
    request.decision_note = note[:200]
    request.full_clean()
    request.save()
    audit(action=AuditAction.SWAP_REFUSED, actor=actor, target=request, summary=request.decision_note)
    return request


# --- the private calendar --------------------------------------------------------------------------------


@transaction.atomic
def calendar_feed_issue(*, deputy: Deputy, actor: Actor) -> CalendarFeed:
    """A new private address; an earlier one stops working at once (a lost phone, a shared link)."""
    _require_self(actor, deputy)
    _revoke_active(deputy)
    feed = CalendarFeed(deputy=deputy)
    feed.full_clean()
    feed.save()
    audit(action=AuditAction.CALENDAR_FEED_ISSUED, actor=actor, target=feed, summary=deputy.slug)
    return feed


@transaction.atomic
def calendar_feed_revoke(*, deputy: Deputy, actor: Actor) -> int:
    """Stop the private address; returns how many were active (0 or 1)."""
    _require_self(actor, deputy)
    revoked = _revoke_active(deputy)
    if revoked:
        audit(action=AuditAction.CALENDAR_FEED_REVOKED, actor=actor, summary=deputy.slug)
    return revoked


def _revoke_active(deputy: Deputy) -> int:
    return CalendarFeed.objects.filter(deputy=deputy, revoked_at__isnull=True).update(revoked_at=timezone.now())
