"""Opinions: registration (shared by the record book and the online station) and their handling.

The handling workflow is the table `TRANSITIONS`: an action is possible only from the states it lists, and
every service below goes through `_change()`, which locks the opinion's row, refuses a stale form (the
`version` it was rendered with no longer matches), checks the table, saves, writes the timeline entry and
the audit entry, and queues the notices for after the commit.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from stations.audit import Actor, AuditAction, audit
from stations.clock import local_time, local_today
from stations.models import (
    DEFAULT_DEADLINE_DAYS,
    District,
    HandlingBody,
    Opinion,
    OpinionAction,
    OpinionEvent,
    Satisfaction,
    Site,
    Source,
    State,
)
from stations.models.visits import Visit
from stations.notifications import Notice, Recipient, notify
from stations.phones import normalise_phone
from stations.policy import district_admin_users, station_team_users
from stations.privacy import mask_name, mask_phone, redact_phones

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Easy to read aloud and to type from a phone call: no 0/O, 1/I/L, no lower case.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_LENGTH = 15  # 15 × log2(31) ≈ 74 random bits


def new_tracking_code() -> str:
    raw = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))
    return "-".join(raw[i : i + 5] for i in range(0, TRACKING_LENGTH, 5))


def normalise_tracking_code(value: str) -> str:
    """Accept what a voter types: lower case, spaces, missing hyphens, O for 0 and so on."""
    raw = "".join(ch for ch in (value or "").upper() if ch.isalnum())
    raw = raw.replace("O", "0").replace("I", "1").replace("L", "1")
    return "-".join(raw[i : i + 5] for i in range(0, len(raw), 5))


def _next_reference(district: District, year: int) -> str:
    # The district row is locked for the rest of the transaction, so two registrations never draw the
    # same number (on SQLite the IMMEDIATE transaction already serialises writers).
    District.objects.select_for_update().filter(pk=district.pk).first()
    prefix = f"{district.code}-{year}-"
    last = (
        Opinion.objects.filter(reference__startswith=prefix).order_by("-reference").values_list("reference", flat=True)
    ).first()
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:05d}"


@transaction.atomic
def opinion_register(
    *,
    site: Site,
    category: str,
    content: str,
    source: str = Source.RECEPTION,
    visit: Visit | None = None,
    submitter_name: str = "",
    submitter_phone: str = "",
    submitter_email: str = "",
    consent: bool = False,
    actor: Actor,
) -> Opinion:
    """Register a new opinion with its staff reference, public tracking code and first timeline entry. The
    actor is the staff member at a reception, or a voter (no user) on the online station."""
    now = timezone.now()
    opinion = Opinion(
        reference=_next_reference(site.district, local_time(now).year),
        tracking_code=new_tracking_code(),
        site=site,
        visit=visit,
        source=source,
        category=category,
        content=content.strip(),
        submitter_name=submitter_name.strip(),
        submitter_phone=normalise_phone(submitter_phone),
        submitter_email=submitter_email.strip(),
        consent_at=now if consent else None,
        state=State.REGISTERED,
        registered_at=now,
    )
    opinion.full_clean()
    opinion.save()
    OpinionEvent.objects.create(
        opinion=opinion,
        action=OpinionAction.REGISTER,
        from_state="",
        to_state=State.REGISTERED,
        actor=actor.user,
        at=now,
    )
    audit(
        action=AuditAction.OPINION_REGISTERED,
        actor=actor,
        target=opinion,
        summary=opinion.reference,
        changes={"source": opinion.source, "visit": opinion.visit_id},
    )
    return opinion


# --- the online station --------------------------------------------------------------------------------


@transaction.atomic
def opinion_submit_online(
    *,
    site: Site,
    category: str,
    content: str,
    submitter_name: str = "",
    submitter_phone: str = "",
    submitter_email: str = "",
    consent: bool = False,
    actor: Actor,
) -> Opinion:
    """A voter's opinion from the online station; the site's staff are told once it is saved. The actor is
    the voter: no user, the client's address."""
    if not site.accepts_online:
        raise OpinionError(_("This site does not take opinions online."), code="not_online")
    gives_personal_data = any(value.strip() for value in (submitter_name, submitter_phone, submitter_email))
    if gives_personal_data and not consent:
        raise OpinionError(
            _("Agree to the processing of your personal data, or leave your name, phone and e-mail empty."),
            code="consent",
        )
    opinion = opinion_register(
        site=site,
        category=category,
        content=content,
        source=Source.ONLINE,
        submitter_name=submitter_name,
        submitter_phone=submitter_phone,
        submitter_email=submitter_email,
        consent=consent and gives_personal_data,
        actor=actor,
    )
    transaction.on_commit(partial(_notify_staff_of_new_opinion, opinion.pk))
    return opinion


# --- the handling workflow -----------------------------------------------------------------------------


class OpinionError(ValidationError):
    """A handling step that cannot be taken; the message is meant for the user."""


class TransitionNotAllowed(OpinionError):
    pass


class OpinionChanged(OpinionError):
    """Someone else changed the opinion after the form was shown. `current` is the opinion as it is now."""

    def __init__(self, current: Opinion) -> None:
        self.current = current
        super().__init__(
            _(
                "Someone else changed this opinion meanwhile; it is now “%(state)s”. Check its current state and try again."
            ),
            code="changed",
            params={"state": current.get_state_display()},
        )


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str


# The whole workflow. Nothing else moves an opinion from one state to another.
TRANSITIONS: dict[str, Transition] = {
    OpinionAction.ACCEPT: Transition(frozenset({State.REGISTERED}), State.ACCEPTED),
    OpinionAction.NOT_ACCEPT: Transition(frozenset({State.REGISTERED}), State.NOT_ACCEPTED),
    OpinionAction.REFER: Transition(frozenset({State.ACCEPTED}), State.REFERRED),
    OpinionAction.REPLY: Transition(frozenset({State.REFERRED}), State.REPLIED),
    OpinionAction.RESOLVE: Transition(frozenset({State.REPLIED}), State.RESOLVED),
    OpinionAction.EXPLAIN: Transition(frozenset({State.REPLIED}), State.EXPLAINED),
    OpinionAction.CLOSE: Transition(frozenset({State.RESOLVED, State.EXPLAINED}), State.CLOSED),
    # Only after an unsatisfied close (checked in _check_allowed): the opinion is referred again.
    OpinionAction.REOPEN: Transition(frozenset({State.CLOSED}), State.REFERRED),
}

# Flags change no state. They make no sense on an opinion that was not accepted.
_FLAGGABLE = frozenset(State.values) - {State.NOT_ACCEPTED}
FLAGS: dict[str, frozenset[str]] = {
    OpinionAction.SUPERVISE: _FLAGGABLE,
    OpinionAction.END_SUPERVISION: _FLAGGABLE,
    OpinionAction.REPORT: _FLAGGABLE,
    OpinionAction.WITHDRAW_REPORT: _FLAGGABLE,
}


def _refusal(opinion: Opinion, action: str) -> StrOrPromise | None:
    """Why `action` cannot be taken on the opinion now, or None when it can."""
    label, state = OpinionAction(action).label, opinion.get_state_display()
    if action in TRANSITIONS:
        if opinion.state not in TRANSITIONS[action].sources:
            return _("“%(action)s” is not possible for an opinion that is “%(state)s”.") % {
                "action": label,
                "state": state,
            }
        if action == OpinionAction.REOPEN and opinion.satisfaction != Satisfaction.UNSATISFIED:
            return _("Only an opinion closed with the voter unsatisfied can be reopened.")
        return None
    if action in FLAGS:
        if opinion.state not in FLAGS[action]:
            return _("“%(action)s” is not possible for an opinion that is “%(state)s”.") % {
                "action": label,
                "state": state,
            }
        if action == OpinionAction.END_SUPERVISION and not opinion.supervised:
            return _("This opinion is not under continued supervision.")
        if action == OpinionAction.REPORT and opinion.important:
            return _("This opinion is already reported as an important situation.")
        if action == OpinionAction.WITHDRAW_REPORT and not opinion.important:
            return _("This opinion is not reported as an important situation.")
        return None
    return _("Unknown action.")


def allowed_actions(opinion: Opinion) -> list[str]:
    """The actions possible from the opinion's current state, in workflow order (for the staff page)."""
    return [action for action in (*TRANSITIONS, *FLAGS) if _refusal(opinion, action) is None]


# The audit code of each step of the workflow.
AUDIT_ACTIONS: dict[str, AuditAction] = {
    OpinionAction.REGISTER: AuditAction.OPINION_REGISTERED,
    OpinionAction.ACCEPT: AuditAction.OPINION_ACCEPTED,
    OpinionAction.NOT_ACCEPT: AuditAction.OPINION_NOT_ACCEPTED,
    OpinionAction.REFER: AuditAction.OPINION_REFERRED,
    OpinionAction.REPLY: AuditAction.OPINION_REPLIED,
    OpinionAction.RESOLVE: AuditAction.OPINION_RESOLVED,
    OpinionAction.EXPLAIN: AuditAction.OPINION_EXPLAINED,
    OpinionAction.CLOSE: AuditAction.OPINION_CLOSED,
    OpinionAction.REOPEN: AuditAction.OPINION_REOPENED,
    OpinionAction.SUPERVISE: AuditAction.OPINION_SUPERVISED,
    OpinionAction.END_SUPERVISION: AuditAction.OPINION_SUPERVISION_ENDED,
    OpinionAction.REPORT: AuditAction.OPINION_REPORTED,
    OpinionAction.WITHDRAW_REPORT: AuditAction.OPINION_REPORT_WITHDRAWN,
}

# Timeline entries that name the handling body: the referral, its reply, a new referral.
_BODY_ACTIONS = {OpinionAction.REFER, OpinionAction.REPLY, OpinionAction.REOPEN}


def _change(
    *,
    opinion: Opinion,
    action: str,
    actor: Actor,
    expected_version: int | None,
    note: str = "",
    apply: Callable[[Opinion], None] | None = None,
) -> Opinion:
    """Take one step on the opinion; the caller's instance is what its form showed unless a version is given."""
    expected = opinion.version if expected_version is None else expected_version
    with transaction.atomic():
        # The row lock makes a second staff member's step wait until the first one commits; it then sees
        # the bumped version and is refused instead of applying its step on top. On SQLite the IMMEDIATE
        # transaction (settings.py) serialises writers the same way.
        current = Opinion.objects.select_for_update().get(pk=opinion.pk)
        if current.version != expected:
            raise OpinionChanged(current)
        refusal = _refusal(current, action)
        if refusal is not None:
            raise TransitionNotAllowed(refusal, code="not_allowed")
        from_state = current.state
        if apply is not None:
            apply(current)
        transition = TRANSITIONS.get(action)
        if transition is not None:
            current.state = transition.target
        current.version += 1
        current.full_clean()
        current.save()
        event = OpinionEvent.objects.create(
            opinion=current,
            action=action,
            from_state=from_state,
            to_state=current.state,
            actor=actor.user,
            note=note.strip(),
            public=transition is not None,
            handling_body=current.handling_body if action in _BODY_ACTIONS else None,
            satisfaction=current.satisfaction if action == OpinionAction.CLOSE else "",
        )
        audit(
            action=AUDIT_ACTIONS[action],
            actor=actor,
            target=current,
            summary=current.reference,
            changes={"action": action, "from": from_state, "to": current.state, "version": current.version},
        )
        if transition is not None:
            transaction.on_commit(partial(_notify_voter_of_change, event.pk))
    return current


def _required(text: str, message: StrOrPromise) -> str:
    if not (text or "").strip():
        raise OpinionError(message, code="required")
    return text.strip()


def _check_deadline(deadline: dt.date | None) -> dt.date:
    today = local_today()
    deadline = deadline or today + dt.timedelta(days=DEFAULT_DEADLINE_DAYS)
    if deadline < today:
        raise OpinionError(_("The reply deadline cannot be in the past."), code="deadline_past")
    return deadline


def _check_body(body: HandlingBody) -> HandlingBody:
    if not body.is_active:
        raise OpinionError(_("This handling body is no longer in use."), code="inactive_body")
    return body


def opinion_accept(*, opinion: Opinion, actor: Actor, note: str = "", expected_version: int | None = None) -> Opinion:
    return _change(
        opinion=opinion, action=OpinionAction.ACCEPT, actor=actor, expected_version=expected_version, note=note
    )


def opinion_not_accept(*, opinion: Opinion, actor: Actor, reason: str, expected_version: int | None = None) -> Opinion:
    """Not accepted, with the reason the voter sees on the tracking page."""
    reason = _required(reason, _("Give the reason the voter will see."))
    return _change(
        opinion=opinion, action=OpinionAction.NOT_ACCEPT, actor=actor, expected_version=expected_version, note=reason
    )


def _set_referral(body: HandlingBody, deadline: dt.date) -> Callable[[Opinion], None]:
    def apply(current: Opinion) -> None:
        current.handling_body = body
        current.deadline = deadline

    return apply


def opinion_refer(
    *,
    opinion: Opinion,
    actor: Actor,
    body: HandlingBody,
    deadline: dt.date | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Opinion:
    """Referred to a handling body, with a reply deadline (30 days from today unless given)."""
    body, deadline = _check_body(body), _check_deadline(deadline)
    return _change(
        opinion=opinion,
        action=OpinionAction.REFER,
        actor=actor,
        expected_version=expected_version,
        note=note,
        apply=_set_referral(body, deadline),
    )


def opinion_reply(*, opinion: Opinion, actor: Actor, reply: str, expected_version: int | None = None) -> Opinion:
    """The handling body's reply, as the voter will read it."""
    reply = _required(reply, _("Enter the reply."))

    def apply(current: Opinion) -> None:
        current.reply = reply
        current.replied_at = timezone.now()

    return _change(
        opinion=opinion,
        action=OpinionAction.REPLY,
        actor=actor,
        expected_version=expected_version,
        note=reply,
        apply=apply,
    )


def opinion_resolve(*, opinion: Opinion, actor: Actor, note: str = "", expected_version: int | None = None) -> Opinion:
    return _change(
        opinion=opinion, action=OpinionAction.RESOLVE, actor=actor, expected_version=expected_version, note=note
    )


def opinion_explain(
    *, opinion: Opinion, actor: Actor, explanation: str, expected_version: int | None = None
) -> Opinion:
    """Cannot be resolved now: the explanation the voter is given."""
    explanation = _required(explanation, _("Enter the explanation given to the voter."))
    return _change(
        opinion=opinion, action=OpinionAction.EXPLAIN, actor=actor, expected_version=expected_version, note=explanation
    )


def opinion_close(
    *, opinion: Opinion, actor: Actor, satisfaction: str, note: str = "", expected_version: int | None = None
) -> Opinion:
    """Closed with the voter's satisfaction."""
    if satisfaction not in Satisfaction.values:
        raise OpinionError(_("Choose how satisfied the voter is."), code="satisfaction")

    def apply(current: Opinion) -> None:
        current.satisfaction = satisfaction
        current.closed_at = timezone.now()

    return _change(
        opinion=opinion,
        action=OpinionAction.CLOSE,
        actor=actor,
        expected_version=expected_version,
        note=note,
        apply=apply,
    )


def opinion_reopen(
    *,
    opinion: Opinion,
    actor: Actor,
    body: HandlingBody,
    deadline: dt.date | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Opinion:
    """An unsatisfied voter's opinion, referred again; the earlier reply stays in the timeline."""
    body, deadline = _check_body(body), _check_deadline(deadline)
    refer = _set_referral(body, deadline)

    def apply(current: Opinion) -> None:
        refer(current)
        current.reply = ""
        current.replied_at = None
        current.closed_at = None
        current.satisfaction = ""

    return _change(
        opinion=opinion,
        action=OpinionAction.REOPEN,
        actor=actor,
        expected_version=expected_version,
        note=note,
        apply=apply,
    )


def opinion_set_supervision(
    *, opinion: Opinion, actor: Actor, next_review: dt.date, note: str = "", expected_version: int | None = None
) -> Opinion:
    """Put under continued supervision (or move the next review), for a hard problem that stays open."""
    if next_review is None or next_review < local_today():
        raise OpinionError(_("The next review date cannot be in the past."), code="review_past")

    def apply(current: Opinion) -> None:
        current.supervised = True
        current.next_review = next_review

    return _change(
        opinion=opinion,
        action=OpinionAction.SUPERVISE,
        actor=actor,
        expected_version=expected_version,
        note=note,
        apply=apply,
    )


def opinion_end_supervision(
    *, opinion: Opinion, actor: Actor, note: str = "", expected_version: int | None = None
) -> Opinion:
    def apply(current: Opinion) -> None:
        current.supervised = False
        current.next_review = None

    return _change(
        opinion=opinion,
        action=OpinionAction.END_SUPERVISION,
        actor=actor,
        expected_version=expected_version,
        note=note,
        apply=apply,
    )


def opinion_report_important(
    *, opinion: Opinion, actor: Actor, note: str = "", expected_version: int | None = None
) -> Opinion:
    """Report as an important situation: it joins the district administrators' queue and they are told."""

    def apply(current: Opinion) -> None:
        current.important = True

    changed = _change(
        opinion=opinion,
        action=OpinionAction.REPORT,
        actor=actor,
        expected_version=expected_version,
        note=note,
        apply=apply,
    )
    transaction.on_commit(partial(_notify_administrators_of_report, changed.pk, note.strip()))
    return changed


def opinion_withdraw_report(
    *, opinion: Opinion, actor: Actor, note: str = "", expected_version: int | None = None
) -> Opinion:
    """Take the opinion off the important reports queue (dealt with, or reported by mistake)."""

    def apply(current: Opinion) -> None:
        current.important = False

    return _change(
        opinion=opinion,
        action=OpinionAction.WITHDRAW_REPORT,
        actor=actor,
        expected_version=expected_version,
        note=note,
        apply=apply,
    )


# --- notices -------------------------------------------------------------------------------------------
# Run after the commit, so nobody is told about a change that was rolled back. Phone numbers are masked in
# every message, also those inside the text a voter typed; messages are in Chinese, the portal's language.


def _absolute(name: str, **kwargs: object) -> str:
    return str(settings.PORTAL_URL).rstrip("/") + reverse(name, kwargs=kwargs)


def _render_notice(template: str, subject: StrOrPromise, context: dict[str, object]) -> Notice:
    with translation.override(settings.LANGUAGE_CODE):
        return Notice(subject=str(subject), body=render_to_string(template, context))


def _staff_recipients(station: Site) -> list[Recipient]:
    emails = station_team_users(station).exclude(email="").values_list("email", flat=True)
    return [Recipient(email=email) for email in emails]


def _administrator_recipients() -> list[Recipient]:
    emails = district_admin_users().exclude(email="").values_list("email", flat=True)
    return [Recipient(email=email) for email in emails]


def _staff_context(opinion: Opinion) -> dict[str, object]:
    return {
        "opinion": opinion,
        "content": redact_phones(opinion.content),
        "name": mask_name(opinion.submitter_name),
        "phone": mask_phone(opinion.submitter_phone),
        "url": _absolute("stations:staff_opinion_detail", pk=opinion.pk),
    }


def _notify_staff_of_new_opinion(opinion_pk: int) -> None:
    opinion = Opinion.objects.select_related("site").get(pk=opinion_pk)
    recipients = _staff_recipients(opinion.site.station)
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("New online opinion %(reference)s at %(site)s") % {
            "reference": opinion.reference,
            "site": opinion.site.name,
        }
    notify(
        recipients=recipients,
        notice=_render_notice("stations/opinions/email/new_opinion.txt", subject, _staff_context(opinion)),
    )


def _notify_administrators_of_report(opinion_pk: int, note: str) -> None:
    opinion = Opinion.objects.select_related("site", "handling_body").get(pk=opinion_pk)
    recipients = _administrator_recipients()
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Important situation report %(reference)s from %(site)s") % {
            "reference": opinion.reference,
            "site": opinion.site.name,
        }
    context = {**_staff_context(opinion), "note": redact_phones(note)}
    notify(
        recipients=recipients,
        notice=_render_notice("stations/opinions/email/important_report.txt", subject, context),
    )


def _notify_voter_of_change(event_pk: int) -> None:
    event = OpinionEvent.objects.select_related("opinion", "opinion__site", "handling_body").get(pk=event_pk)
    opinion = event.opinion
    if not opinion.submitter_email:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Your opinion %(code)s: %(state)s") % {
            "code": opinion.tracking_code,
            "state": event.get_to_state_display(),
        }
    context = {
        "opinion": opinion,
        "event": event,
        "note": redact_phones(event.note),
        "url": _absolute("stations:track_detail", code=opinion.tracking_code),
        "portal_name": settings.PORTAL_NAME,
    }
    notify(
        recipients=[Recipient(email=opinion.submitter_email)],
        notice=_render_notice("stations/opinions/email/state_changed.txt", subject, context),
    )
