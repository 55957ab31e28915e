"""Reminders, sent by `manage.py send_reminders` from cron through the portal's `Notifier`s.

- **Duty tomorrow** (deputy): every duty on a published roster whose reception is tomorrow (Beijing time), to
  the deputy's account e-mail and their phone. Key: the duty, the deputy on it and the day (a swap or a move
  reminds the deputy now on it, for the new day).
- **Deadline near / passed** (the handling body's e-mail and the station heads): an opinion with the handling
  body (referred, no reply) whose reply deadline is within `REMINDER_DEADLINE_DAYS`, and once more when it has
  passed. Key: the opinion and the deadline (a new deadline after a reopening reminds again).
- **Answered** (voter): a reply recorded within `REMINDER_LOOKBACK_DAYS`, to a voter who left a phone number
  with consent. Voters who left an e-mail address are told of every step at once (stations.services.opinions),
  so they are not written to twice. Key: the reply step.
- **Satisfaction** (voter): an opinion resolved or explained within the look-back period without the voter's
  own answer: a link to the tracking page, where the voter answers. Key: the resolving step (a reopened and
  resolved-again opinion asks again).

Every reminder is recorded in `SentReminder` under its unique key before it goes out, so running the command
twice (or two runs at once) sends nothing twice. A notifier that raises leaves no record: the next run retries.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from stations.audit import Actor, AuditAction, audit
from stations.clock import local_date
from stations.models import (
    Duty,
    DutyShift,
    Opinion,
    OpinionAction,
    OpinionEvent,
    ReminderKind,
    Role,
    SentReminder,
    State,
)
from stations.notifications import Notice, Recipient, get_notifier
from stations.portal import portal_url
from stations.privacy import redact_phones

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reminder:
    key: str
    kind: ReminderKind
    recipients: list[Recipient]
    notice: Notice
    target: models.Model


@dataclass
class ReminderRun:
    sent: Counter[str] = field(default_factory=Counter)
    already_sent: int = 0
    unreachable: int = 0
    failed: int = 0

    @property
    def total_sent(self) -> int:
        return sum(self.sent.values())


def _render(template: str, subject: str, context: dict[str, object]) -> Notice:
    return Notice(subject=subject, body=render_to_string(template, {**context, "portal_name": settings.PORTAL_NAME}))


def _reachable(recipients: list[Recipient]) -> list[Recipient]:
    return [recipient for recipient in recipients if recipient.email or recipient.phone]


# --- who should be reminded ------------------------------------------------------------------------------


def duty_reminders(today: dt.date) -> Iterator[Reminder]:
    tomorrow = today + dt.timedelta(days=1)
    duties = (
        Duty.objects.filter(
            shift__in=DutyShift.objects.published().on_date(tomorrow), attendance="unmarked", deputy__is_active=True
        )
        .select_related("shift__roster__site", "deputy__membership__user")
        .order_by("shift__start", "pk")
    )
    for duty in duties:
        deputy, shift = duty.deputy, duty.shift
        email = ""
        membership = getattr(deputy, "membership", None)
        if membership is not None and membership.user.is_active:
            email = membership.user.email
        subject = _("Reminder: your duty tomorrow at %(site)s") % {"site": shift.roster.site.name}
        context = {
            "duty": duty,
            "shift": shift,
            "site": shift.roster.site,
            "url": portal_url(reverse("stations:deputy_home")),
        }
        yield Reminder(
            key=f"{ReminderKind.DUTY_TOMORROW}:{duty.pk}:{deputy.pk}:{tomorrow.isoformat()}",
            kind=ReminderKind.DUTY_TOMORROW,
            recipients=[Recipient(email=email, phone=deputy.phone)],
            notice=_render("stations/reminders/duty_tomorrow.txt", subject, context),
            target=duty,
        )


def _heads(opinion: Opinion) -> list[Recipient]:
    from django.contrib.auth.models import User

    station = opinion.site.station
    emails = (
        User.objects.filter(membership__role=Role.STATION_HEAD, membership__station=station, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    return [Recipient(email=email) for email in emails]


def deadline_reminders(today: dt.date) -> Iterator[Reminder]:
    near = today + dt.timedelta(days=settings.REMINDER_DEADLINE_DAYS)
    opinions = (
        Opinion.objects.filter(state=State.REFERRED, deadline__isnull=False, deadline__lte=near)
        .select_related("site__parent__parent", "handling_body")
        .order_by("deadline", "pk")
    )
    for opinion in opinions:
        assert opinion.deadline is not None
        passed = opinion.deadline < today
        kind = ReminderKind.DEADLINE_PASSED if passed else ReminderKind.DEADLINE_NEAR
        recipients = _heads(opinion)
        if opinion.handling_body is not None and opinion.handling_body.email:
            recipients.append(Recipient(email=opinion.handling_body.email))
        values = {"reference": opinion.reference, "day": opinion.deadline.isoformat()}
        subject = (
            _("Overdue: the reply to opinion %(reference)s was due on %(day)s")
            if passed
            else _("Reminder: the reply to opinion %(reference)s is due on %(day)s")
        ) % values
        context = {
            "opinion": opinion,
            "passed": passed,
            "content": redact_phones(opinion.content),
            "url": portal_url(reverse("stations:staff_opinion_detail", kwargs={"pk": opinion.pk})),
        }
        yield Reminder(
            key=f"{kind}:{opinion.pk}:{opinion.deadline.isoformat()}",
            kind=kind,
            recipients=recipients,
            notice=_render("stations/reminders/deadline.txt", subject, context),
            target=opinion,
        )


def _recent_steps(actions: list[str], since: dt.datetime) -> models.QuerySet[OpinionEvent]:
    return (
        OpinionEvent.objects.filter(action__in=actions, entered_at__gte=since, opinion__consent_at__isnull=False)
        .select_related("opinion__site")
        .order_by("entered_at", "pk")
    )


def _track_url(opinion: Opinion, anchor: str = "") -> str:
    return portal_url(reverse("stations:track_detail", kwargs={"code": opinion.tracking_code})) + anchor


def voter_reminders(now: dt.datetime) -> Iterator[Reminder]:
    since = now - dt.timedelta(days=settings.REMINDER_LOOKBACK_DAYS)
    for event in _recent_steps([OpinionAction.REPLY], since).exclude(opinion__submitter_phone=""):
        opinion = event.opinion
        subject = _("Your opinion %(code)s has been answered") % {"code": opinion.tracking_code}
        yield Reminder(
            key=f"{ReminderKind.OPINION_ANSWERED}:{opinion.pk}:{event.pk}",
            kind=ReminderKind.OPINION_ANSWERED,
            recipients=[Recipient(phone=opinion.submitter_phone)],
            notice=_render(
                "stations/reminders/answered.txt", subject, {"opinion": opinion, "url": _track_url(opinion)}
            ),
            target=opinion,
        )
    answers = _recent_steps([OpinionAction.RESOLVE, OpinionAction.EXPLAIN], since).filter(
        opinion__state__in=[State.RESOLVED, State.EXPLAINED], opinion__voter_satisfaction=""
    )
    for event in answers.filter(~Q(opinion__submitter_phone="") | ~Q(opinion__submitter_email="")):
        opinion = event.opinion
        subject = _("Your opinion %(code)s: are you satisfied?") % {"code": opinion.tracking_code}
        yield Reminder(
            key=f"{ReminderKind.SATISFACTION_ASKED}:{opinion.pk}:{event.pk}",
            kind=ReminderKind.SATISFACTION_ASKED,
            recipients=[Recipient(email=opinion.submitter_email, phone=opinion.submitter_phone)],
            notice=_render(
                "stations/reminders/satisfaction.txt",
                subject,
                {"opinion": opinion, "url": _track_url(opinion, "#satisfaction")},
            ),
            target=opinion,
        )


# --- sending ---------------------------------------------------------------------------------------------


def _deliver(reminder: Reminder, run: ReminderRun, *, actor: Actor, dry_run: bool) -> None:
    recipients = _reachable(reminder.recipients)
    if not recipients:
        run.unreachable += 1
        return
    if SentReminder.objects.filter(key=reminder.key).exists():
        run.already_sent += 1
        return
    if dry_run:
        run.sent[reminder.kind] += 1
        return
    try:
        # Recorded first: a second run (even one running at the same moment) finds the key and skips it.
        with transaction.atomic():
            record = SentReminder.objects.create(key=reminder.key, kind=reminder.kind)
    except IntegrityError:
        run.already_sent += 1
        return
    try:
        delivered = get_notifier().send(recipients=recipients, notice=reminder.notice)
    except Exception:
        # The key holds ids only; addresses, numbers and texts stay out of the log.
        logger.exception("could not send reminder %s", reminder.key)
        record.delete()
        run.failed += 1
        return
    SentReminder.objects.filter(pk=record.pk).update(delivered=delivered)
    audit(
        action=AuditAction.REMINDER_SENT,
        actor=actor,
        target=reminder.target,
        summary=str(reminder.kind),
        changes={"kind": str(reminder.kind), "delivered": delivered},
    )
    run.sent[reminder.kind] += 1


def reminders_send(*, actor: Actor, now: dt.datetime | None = None, dry_run: bool = False) -> ReminderRun:
    """Send every reminder due at `now` that has not been sent yet; `dry_run` counts them and sends nothing."""
    now = now or timezone.now()
    today = local_date(now)
    run = ReminderRun()
    with translation.override(settings.LANGUAGE_CODE):
        for source in (duty_reminders(today), deadline_reminders(today), voter_reminders(now)):
            for reminder in source:
                _deliver(reminder, run, actor=actor, dry_run=dry_run)
    return run
