"""Opinions: registration (shared by the record book and the online station) and their handling.

The handling workflow is the table `TRANSITIONS`: an action is possible only from the states it lists, and
every service below goes through `_change()`, which locks the opinion's row, refuses a stale form (the
`version` it was rendered with no longer matches), checks the table, saves, writes the timeline entry and
the audit entry, and queues the notices for after the commit.
"""

from __future__ import annotations

import copy
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

from stations import caching
from stations.audit import Actor, AuditAction, audit
from stations.bounds import validate_in_bounds
from stations.clock import is_late, local_date, local_time
from stations.models import (
    DEFAULT_DEADLINE_DAYS,
    ENTERED_SEPARATELY_AFTER,
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
from stations.policy import can_enter_late, district_admin_users, station_team_users
from stations.privacy import mask_name, mask_phone, redact_phones
from stations.services.batch import atomic_service
from stations.services.figures import Touch, figures_touch, opinion_keys

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


@atomic_service
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
    received_at: dt.datetime | None = None,
) -> Opinion:
    """Register a new opinion with its staff reference, public tracking code and first timeline entry. The
    actor is the staff member at a reception, or a voter (no user) on the online station.

    `received_at` is when the voter raised it; left out, an opinion raised at a visit is received at the visit's
    time and any other now. The figures count it then. When it was typed is kept beside it (`entered_at`)."""
    now = timezone.now()
    received = received_at or (visit.occurred_at if visit is not None else now)
    if received > now:
        raise OpinionError(_("An opinion cannot be received in the future."), code="future")
    late = _refuse_late(received, site=site, actor=actor, now=now, field=None)
    batch = actor.batch
    year = local_time(received).year
    opinion = Opinion(
        reference=batch.next_reference(site.district, year) if batch else _next_reference(site.district, year),
        tracking_code=new_tracking_code(),
        site=site,
        visit=visit,
        source=source,
        category=category,
        content=content.strip(),
        submitter_name=submitter_name.strip(),
        submitter_phone=normalise_phone(submitter_phone),
        submitter_email=submitter_email.strip(),
        consent_at=received if consent else None,
        state=State.REGISTERED,
        registered_at=received,
        entered_at=now,
    )
    if batch is None:
        opinion.full_clean()
        opinion.save()
    else:
        # The site and visit come from this transaction's look-ups, the reference from the batch's locked
        # sequence and the tracking code is random (74 bits; the database's unique index stays the guard):
        # the queries asking whether they exist or repeat are skipped; every other check runs.
        opinion.full_clean(exclude=["site", "visit", "handling_body"], validate_unique=False)
        opinion.skip_history_when_saving = True  # type: ignore[attr-defined]  # read by django-simple-history
        opinion.save()
        del opinion.skip_history_when_saving  # type: ignore[attr-defined]
        batch.history(opinion, "+")
        batch.hold(opinion, step=(received, OpinionAction.REGISTER))
    event = OpinionEvent(
        opinion=opinion,
        action=OpinionAction.REGISTER,
        from_state="",
        to_state=State.REGISTERED,
        actor=actor.user,
        at=received,
        entered_at=now,
        entered_late=late,
    )
    if batch is None:
        event.save()
    else:
        batch.defer(event)
    audit(
        action=AuditAction.OPINION_REGISTERED,
        actor=actor,
        target=opinion,
        summary=opinion.reference,
        changes={
            "source": opinion.source,
            "visit": opinion.visit_id,
            **_dates_audited(received, now=now, late=late),
        },
    )
    figures_touch(keys=opinion_keys(opinion))
    caching.invalidate({caching.OPINIONS})  # the figures' pages: figures_touch (caching.figures_changed)
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
    received_at: dt.datetime | None = None,
) -> Opinion:
    """A voter's opinion from the online station; the site's staff are told once it is saved. The actor is
    the voter: no user, the client's address (or the system, for records imported with `received_at`)."""
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
        received_at=received_at,
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
    happened_at: dt.datetime | None = None,
    note: str = "",
    apply: Callable[[Opinion, dt.datetime], None] | None = None,
) -> Opinion:
    """Take one step on the opinion; the caller's instance is what its form showed unless a version is given.

    The step is dated `happened_at` (None: now): never in the future, never before the opinion was received
    nor before the step before it. Older than settings.LATE_ENTRY_DAYS, it is a late entry."""
    now = timezone.now()
    at = happened_at or now
    expected = opinion.version if expected_version is None else expected_version
    batch = actor.batch
    # In an import each row has a savepoint of its own, which a refused step rolls back: no second one here.
    with transaction.atomic(savepoint=batch is None):
        # An opinion this import wrote is held by the batch as saved, under the import's transaction: it is
        # not read and locked again (a copy is changed, so that a refused step leaves the held one as it was).
        held = batch.held(opinion) if batch is not None else None
        if held is not None:
            current = copy.copy(held)
        else:
            if batch is not None:
                batch.flush(force=True)  # the steps' check reads its timeline
            # The row lock makes a second staff member's step wait until the first one commits; it then sees
            # the bumped version and is refused instead of applying its step on top. On SQLite the IMMEDIATE
            # transaction (settings.py) serialises writers the same way.
            current = Opinion.objects.select_for_update().get(pk=opinion.pk)
        before = held if held is not None else copy.copy(current) if batch is not None else current
        if current.version != expected:
            raise OpinionChanged(current)
        refusal = _refusal(current, action)
        if refusal is not None:
            raise TransitionNotAllowed(refusal, code="not_allowed")
        late = _check_step_time(
            current,
            at=at,
            now=now,
            actor=actor,
            previous=batch.last_step(current) if batch is not None and held is not None else None,
        )
        from_state = current.state
        if apply is not None:
            apply(current, at)
        transition = TRANSITIONS.get(action)
        if transition is not None:
            current.state = transition.target
        current.version += 1
        if batch is None:
            current.full_clean()
            current.save()
        else:
            # In an import the handling body was looked up in this transaction and checked in use, the site,
            # visit, reference and tracking code do not change in a step: only those queries are skipped.
            current.full_clean(exclude=["site", "visit", "handling_body"], validate_unique=False)
            current.skip_history_when_saving = True  # type: ignore[attr-defined]  # read by django-simple-history
            # Only the columns the step changed (the state, the version and the step's own fields).
            current.save(update_fields=_changed_fields(before, current))
            del current.skip_history_when_saving  # type: ignore[attr-defined]
            batch.history(current, "~")
            batch.hold(current, step=(at, action))
        event = OpinionEvent(
            opinion=current,
            action=action,
            from_state=from_state,
            to_state=current.state,
            actor=actor.user,
            at=at,
            entered_at=now,
            entered_late=late,
            note=note.strip(),
            public=transition is not None,
            handling_body=current.handling_body if action in _BODY_ACTIONS else None,
            satisfaction=current.satisfaction if action == OpinionAction.CLOSE else "",
        )
        if batch is None or (transition is not None and current.submitter_email):
            event.save()  # the voter's notice names the event
        else:
            batch.defer(event)
        audit(
            action=AUDIT_ACTIONS[action],
            actor=actor,
            target=current,
            summary=current.reference,
            changes={
                "action": action,
                "from": from_state,
                "to": current.state,
                "version": current.version,
                **_dates_audited(at, now=now, late=late),
            },
        )
        # Every step may move a figure: a state, a reply date, a deadline, a handling body, the last answer.
        figures_touch(keys=opinion_keys(current))
        if transition is not None:
            # A step that moves the state moves the public figures (accepted, resolved…) and the Open311 feed (its
            # state, public timeline, handling body, deadline); flags (supervision, reports) show in neither.
            caching.invalidate({caching.OPINIONS})  # the figures: figures_touch above
        if transition is not None and current.submitter_email:
            # Only a voter who left an e-mail address is told (a record book typed up later has none).
            transaction.on_commit(partial(_notify_voter_of_change, event.pk))
    return current


def _changed_fields(before: Opinion, after: Opinion) -> list[str]:
    return [
        field.attname
        for field in Opinion._meta.concrete_fields
        if not field.primary_key and getattr(before, field.attname) != getattr(after, field.attname)
    ]


def _required(text: str, message: StrOrPromise) -> str:
    if not (text or "").strip():
        raise OpinionError(message, code="required")
    return text.strip()


def _check_deadline(deadline: dt.date | None, at: dt.datetime) -> dt.date:
    """Counted from the referral's own date: a referral entered late may have a deadline already passed."""
    referred_on = local_date(at)
    deadline = deadline or referred_on + dt.timedelta(days=DEFAULT_DEADLINE_DAYS)
    if deadline < referred_on:
        raise OpinionError(
            {"deadline": _("The reply deadline cannot be before the date of the referral.")}, code="deadline_early"
        )
    return deadline


def _check_body(body: HandlingBody, opinion: Opinion) -> HandlingBody:
    if not body.is_active:
        raise OpinionError(_("This handling body is no longer in use."), code="inactive_body")
    if body.district_id is not None and body.district_id != opinion.site.district_id:
        # The forms offer only these; an import, an API client or an old form may still name another's.
        raise OpinionError(
            {
                "body": _(
                    "This handling body belongs to another district: choose one of this opinion's district or a shared one."
                )
            },
            code="body_of_another_district",
        )
    return body


def opinion_accept(
    *,
    opinion: Opinion,
    actor: Actor,
    note: str = "",
    expected_version: int | None = None,
    happened_at: dt.datetime | None = None,
) -> Opinion:
    return _change(
        opinion=opinion,
        action=OpinionAction.ACCEPT,
        actor=actor,
        expected_version=expected_version,
        happened_at=happened_at,
        note=note,
    )


def opinion_not_accept(
    *,
    opinion: Opinion,
    actor: Actor,
    reason: str,
    expected_version: int | None = None,
    happened_at: dt.datetime | None = None,
) -> Opinion:
    """Not accepted, with the reason the voter sees on the tracking page."""
    reason = _required(reason, _("Give the reason the voter will see."))
    return _change(
        opinion=opinion,
        action=OpinionAction.NOT_ACCEPT,
        actor=actor,
        expected_version=expected_version,
        happened_at=happened_at,
        note=reason,
    )


def _set_referral(body: HandlingBody, deadline: dt.date) -> Callable[[Opinion, dt.datetime], None]:
    def apply(current: Opinion, at: dt.datetime) -> None:
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
    happened_at: dt.datetime | None = None,
) -> Opinion:
    """Referred to a handling body, with a reply deadline (30 days from the referral's date unless given)."""
    at = happened_at or timezone.now()
    body, deadline = _check_body(body, opinion), _check_deadline(deadline, at)
    return _change(
        opinion=opinion,
        action=OpinionAction.REFER,
        actor=actor,
        expected_version=expected_version,
        happened_at=at,
        note=note,
        apply=_set_referral(body, deadline),
    )


def opinion_reply(
    *,
    opinion: Opinion,
    actor: Actor,
    reply: str,
    expected_version: int | None = None,
    happened_at: dt.datetime | None = None,
) -> Opinion:
    """The handling body's reply, as the voter will read it; replied_at is the step's date."""
    reply = _required(reply, _("Enter the reply."))

    def apply(current: Opinion, at: dt.datetime) -> None:
        current.reply = reply
        current.replied_at = at

    return _change(
        opinion=opinion,
        action=OpinionAction.REPLY,
        actor=actor,
        expected_version=expected_version,
        happened_at=happened_at,
        note=reply,
        apply=apply,
    )


def opinion_resolve(
    *,
    opinion: Opinion,
    actor: Actor,
    note: str = "",
    expected_version: int | None = None,
    happened_at: dt.datetime | None = None,
) -> Opinion:
    return _change(
        opinion=opinion,
        action=OpinionAction.RESOLVE,
        actor=actor,
        expected_version=expected_version,
        happened_at=happened_at,
        note=note,
    )


def opinion_explain(
    *,
    opinion: Opinion,
    actor: Actor,
    explanation: str,
    expected_version: int | None = None,
    happened_at: dt.datetime | None = None,
) -> Opinion:
    """Cannot be resolved now: the explanation the voter is given."""
    explanation = _required(explanation, _("Enter the explanation given to the voter."))
    return _change(
        opinion=opinion,
        action=OpinionAction.EXPLAIN,
        actor=actor,
        expected_version=expected_version,
        happened_at=happened_at,
        note=explanation,
    )


def opinion_close(
    *,
    opinion: Opinion,
    actor: Actor,
    satisfaction: str,
    note: str = "",
    expected_version: int | None = None,
    happened_at: dt.datetime | None = None,
) -> Opinion:
    """Closed with the voter's satisfaction; closed_at is the step's date."""
    if satisfaction not in Satisfaction.values:
        raise OpinionError(_("Choose how satisfied the voter is."), code="satisfaction")

    def apply(current: Opinion, at: dt.datetime) -> None:
        current.satisfaction = satisfaction
        current.closed_at = at

    return _change(
        opinion=opinion,
        action=OpinionAction.CLOSE,
        actor=actor,
        expected_version=expected_version,
        happened_at=happened_at,
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
    happened_at: dt.datetime | None = None,
) -> Opinion:
    """An unsatisfied voter's opinion, referred again; the earlier reply stays in the timeline."""
    at = happened_at or timezone.now()
    body, deadline = _check_body(body, opinion), _check_deadline(deadline, at)
    refer = _set_referral(body, deadline)

    def apply(current: Opinion, at: dt.datetime) -> None:
        refer(current, at)
        current.reply = ""
        current.replied_at = None
        current.closed_at = None
        current.satisfaction = ""
        # The voter is asked again once it is resolved or explained again.
        current.voter_satisfaction = ""
        current.voter_answered_at = None

    return _change(
        opinion=opinion,
        action=OpinionAction.REOPEN,
        actor=actor,
        expected_version=expected_version,
        happened_at=at,
        note=note,
        apply=apply,
    )


# The voter answers once the opinion has been resolved or explained (and after it is closed, if staff closed it
# first); a reopened opinion asks again when it is answered again.
VOTER_MAY_ANSWER = (State.RESOLVED, State.EXPLAINED, State.CLOSED)


@transaction.atomic
def opinion_voter_answer(*, opinion: Opinion, satisfaction: str, actor: Actor) -> Opinion:
    """The voter's own answer on the tracking page: satisfied, basically satisfied or not. Given once per answer
    of the handling body; when given it is the satisfaction the figures count, not what staff recorded."""
    if satisfaction not in Satisfaction.values:
        raise OpinionError({"satisfaction": _("Choose how satisfied you are.")}, code="satisfaction")
    current = Opinion.objects.select_for_update().get(pk=opinion.pk)
    if current.state not in VOTER_MAY_ANSWER:
        raise OpinionError(_("You can answer once your opinion has been resolved or answered."), code="not_yet")
    if current.voter_satisfaction:
        raise OpinionError(_("You have already answered. Thank you."), code="answered")
    current.voter_satisfaction = satisfaction
    current.voter_answered_at = timezone.now()
    current.full_clean()
    current.save(update_fields=["voter_satisfaction", "voter_answered_at"])
    figures_touch(keys=opinion_keys(current))  # rated, satisfied
    audit(
        action=AuditAction.OPINION_VOTER_ANSWERED,
        actor=actor,
        target=current,
        summary=current.reference,
        changes={"satisfaction": satisfaction},
    )
    return current


def opinion_set_supervision(
    *,
    opinion: Opinion,
    actor: Actor,
    next_review: dt.date,
    note: str = "",
    expected_version: int | None = None,
    happened_at: dt.datetime | None = None,
) -> Opinion:
    """Put under continued supervision (or move the next review), for a hard problem that stays open. The
    next review cannot be before the day supervision was set."""
    at = happened_at or timezone.now()
    if next_review is None or next_review < local_date(at):
        raise OpinionError(
            {"next_review": _("The next review date cannot be before the day supervision is set.")}, code="review_past"
        )

    def apply(current: Opinion, at: dt.datetime) -> None:
        current.supervised = True
        current.next_review = next_review

    return _change(
        opinion=opinion,
        action=OpinionAction.SUPERVISE,
        actor=actor,
        expected_version=expected_version,
        happened_at=at,
        note=note,
        apply=apply,
    )


def opinion_end_supervision(
    *,
    opinion: Opinion,
    actor: Actor,
    note: str = "",
    expected_version: int | None = None,
    happened_at: dt.datetime | None = None,
) -> Opinion:
    def apply(current: Opinion, at: dt.datetime) -> None:
        current.supervised = False
        current.next_review = None

    return _change(
        opinion=opinion,
        action=OpinionAction.END_SUPERVISION,
        actor=actor,
        expected_version=expected_version,
        happened_at=happened_at,
        note=note,
        apply=apply,
    )


def opinion_report_important(
    *,
    opinion: Opinion,
    actor: Actor,
    note: str = "",
    expected_version: int | None = None,
    happened_at: dt.datetime | None = None,
) -> Opinion:
    """Report as an important situation: it joins the district administrators' queue and they are told."""

    def apply(current: Opinion, at: dt.datetime) -> None:
        current.important = True

    changed = _change(
        opinion=opinion,
        action=OpinionAction.REPORT,
        actor=actor,
        expected_version=expected_version,
        happened_at=happened_at,
        note=note,
        apply=apply,
    )
    transaction.on_commit(partial(_notify_administrators_of_report, changed.pk, note.strip()))
    return changed


def opinion_withdraw_report(
    *,
    opinion: Opinion,
    actor: Actor,
    note: str = "",
    expected_version: int | None = None,
    happened_at: dt.datetime | None = None,
) -> Opinion:
    """Take the opinion off the important reports queue (dealt with, or reported by mistake)."""

    def apply(current: Opinion, at: dt.datetime) -> None:
        current.important = False

    return _change(
        opinion=opinion,
        action=OpinionAction.WITHDRAW_REPORT,
        actor=actor,
        expected_version=expected_version,
        happened_at=happened_at,
        note=note,
        apply=apply,
    )


# --- the record's dates ---------------------------------------------------------------------------------


def _refuse_late(moment: dt.datetime, *, site: Site, actor: Actor, now: dt.datetime, field: str | None) -> bool:
    """Whether entering what happened at `moment` is a late entry; refused to those who may not enter one.
    The system (imports run from the command line, the demo) may."""
    if not is_late(moment, now=now):
        return False
    if actor.user is not None and not can_enter_late(actor.user, site):
        message = _(
            "This happened more than %(days)d days ago. Only the station head or a district administrator can enter it."
        ) % {"days": settings.LATE_ENTRY_DAYS}
        raise OpinionError({field: message} if field else message, code="late_entry")
    return True


def _check_step_time(
    current: Opinion,
    *,
    at: dt.datetime,
    now: dt.datetime,
    actor: Actor,
    previous: tuple[dt.datetime, str] | None = None,
) -> bool:
    """Refuse a step dated in the future, out of bounds, before the opinion was received or before the step
    before it (`previous`, its date and action, when the caller knows it: an import holding the opinion);
    return whether it is a late entry."""
    try:
        validate_in_bounds(at)
    except ValidationError as error:
        raise OpinionError({"happened_at": error.messages}, code="date_out_of_bounds") from error
    if at > now:
        raise OpinionError({"happened_at": _("A step cannot be dated in the future.")}, code="future")
    if at < current.registered_at:
        raise OpinionError(
            {
                "happened_at": _("A step cannot be dated before the opinion was received (%(date)s).")
                % {"date": _moment_text(current.registered_at)}
            },
            code="before_received",
        )
    if previous is None:
        event = current.events.order_by("-at", "-pk").first()
        previous = (event.at, event.action) if event is not None else None
    if previous is not None and at < previous[0]:
        raise OpinionError(
            {
                "happened_at": _("A step cannot be dated before the step before it (“%(step)s”, %(date)s).")
                % {"step": OpinionAction(previous[1]).label, "date": _moment_text(previous[0])}
            },
            code="before_previous",
        )
    return _refuse_late(at, site=current.site, actor=actor, now=now, field="happened_at")


def _moment_text(moment: dt.datetime) -> str:
    return local_time(moment).strftime("%Y-%m-%d %H:%M")


def _dates_audited(at: dt.datetime, *, now: dt.datetime, late: bool) -> dict[str, object]:
    """What the audit entry of a step keeps of its dates: when it happened, if not as it was entered, and the
    late-entry flag (the audit log's filter finds late entries by it)."""
    dates: dict[str, object] = {}
    if abs(now - at) >= ENTERED_SEPARATELY_AFTER:
        dates["happened_at"] = _moment_text(at)
    if late:
        dates["entered_late"] = True
    return dates


@transaction.atomic
def opinions_follow_visit(*, visit: Visit, actor: Actor) -> list[Opinion]:
    """Move the opinions raised at a visit (and their "registered" step) to the visit's time, after the visit's
    time was corrected. Refused when an opinion already has a later step dated before the new time."""
    moved = []
    touched: set[Touch] = set()
    for opinion in Opinion.objects.select_for_update().filter(visit=visit).order_by("pk"):
        if opinion.registered_at == visit.occurred_at:
            continue
        first_step = opinion.events.exclude(action=OpinionAction.REGISTER).order_by("at", "pk").first()
        if first_step is not None and first_step.at < visit.occurred_at:
            raise ValidationError(
                {
                    "occurred_at": _(
                        "Opinion %(reference)s was already handled on %(date)s (“%(step)s”); the visit cannot be later than that."
                    )
                    % {
                        "reference": opinion.reference,
                        "date": _moment_text(first_step.at),
                        "step": first_step.get_action_display(),
                    }
                }
            )
        touched |= opinion_keys(opinion)
        opinion.registered_at = visit.occurred_at
        touched |= opinion_keys(opinion)
        opinion.version += 1
        opinion._history_user = actor.user  # type: ignore[attr-defined]  # read by django-simple-history
        opinion.full_clean()
        opinion.save()
        for event in opinion.events.filter(action=OpinionAction.REGISTER):
            event.at = visit.occurred_at
            event.save(update_fields=["at"])
        moved.append(opinion)
    figures_touch(keys=touched)
    if moved:
        caching.invalidate({caching.OPINIONS})  # their time received, in the Open311 feed
    return moved


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


def _administrator_recipients(site: Site) -> list[Recipient]:
    # The administrators whose scope holds the site: its district's, its city's and province's (issue 15).
    emails = district_admin_users(site).exclude(email="").values_list("email", flat=True)
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
    opinion = Opinion.objects.select_related("site__district", "handling_body").get(pk=opinion_pk)
    recipients = _administrator_recipients(opinion.site)
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
