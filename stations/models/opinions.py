"""Opinions and suggestions (意见建议) and their handling until resolved."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from stations.bounds import BoundsCheck, in_bounds, validate_in_bounds
from stations.clock import local_today
from stations.models.checks import PythonCheck
from stations.models.sites import Site
from stations.models.visits import Category, Visit

DEFAULT_DEADLINE_DAYS = 30


class HandlingBody(models.Model):
    """A government body (承办单位) opinions are referred to."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    email = models.EmailField(_("e-mail"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("handling body")
        verbose_name_plural = _("handling bodies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class State(models.TextChoices):
    REGISTERED = "registered", _("registered")
    ACCEPTED = "accepted", _("accepted")
    NOT_ACCEPTED = "not_accepted", _("not accepted")
    REFERRED = "referred", _("referred")
    REPLIED = "replied", _("replied")
    RESOLVED = "resolved", _("resolved")
    EXPLAINED = "explained", _("explained")
    CLOSED = "closed", _("closed")


class Source(models.TextChoices):
    RECEPTION = "reception", _("reception")
    ONLINE = "online", _("online station")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASICALLY = "basically", _("basically satisfied")
    UNSATISFIED = "unsatisfied", _("unsatisfied")


class OpinionAction(models.TextChoices):
    """What a timeline entry records: a transition of the handling workflow or a change of a flag."""

    REGISTER = "register", _("Register the opinion")
    ACCEPT = "accept", _("Accept the opinion")
    NOT_ACCEPT = "not_accept", _("Do not accept the opinion")
    REFER = "refer", _("Refer to a handling body")
    REPLY = "reply", _("Record the reply")
    RESOLVE = "resolve", _("Mark as resolved")
    EXPLAIN = "explain", _("Mark as explained")
    CLOSE = "close", _("Close with the voter's satisfaction")
    REOPEN = "reopen", _("Reopen and refer again")
    SUPERVISE = "supervise", _("Set continued supervision")
    END_SUPERVISION = "end_supervision", _("End continued supervision")
    REPORT = "report", _("Report as an important situation")
    WITHDRAW_REPORT = "withdraw_report", _("Take off the important reports")


class OpinionQuerySet(models.QuerySet["Opinion"]):
    def overdue(self, today: dt.date | None = None) -> OpinionQuerySet:
        """Referred and past the deadline without a reply."""
        return self.filter(state=State.REFERRED, deadline__lt=today or local_today())

    def open(self) -> OpinionQuerySet:
        return self.exclude(state__in=[State.CLOSED, State.NOT_ACCEPTED])

    def important(self) -> OpinionQuerySet:
        """The district administrators' queue of important situation reports."""
        return self.filter(important=True)


class Opinion(models.Model):
    """An opinion or suggestion raised by a voter at a reception or through the online station."""

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    tracking_code = models.CharField(_("tracking code"), max_length=24, unique=True)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="opinions", verbose_name=_("site"))
    visit = models.ForeignKey(
        Visit, on_delete=models.PROTECT, null=True, blank=True, related_name="opinions", verbose_name=_("visit")
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.RECEPTION)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, default=Category.OTHER)
    content = models.TextField(_("content"))
    submitter_name = models.CharField(_("name"), max_length=50, blank=True)
    submitter_phone = models.CharField(_("phone"), max_length=20, blank=True)
    submitter_email = models.EmailField(_("e-mail"), blank=True)
    consent_at = models.DateTimeField(_("consent to data processing given at"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=15, choices=State.choices, default=State.REGISTERED)
    handling_body = models.ForeignKey(
        HandlingBody,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opinions",
        verbose_name=_("handling body"),
    )
    deadline = models.DateField(_("reply deadline"), null=True, blank=True, validators=[validate_in_bounds])
    reply = models.TextField(_("public reply"), blank=True)
    satisfaction = models.CharField(_("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True)
    # The voter's own answer, given on the tracking page once the opinion is resolved or explained: when given,
    # it (not what staff recorded on closing) is the satisfaction figure. Cleared when the opinion is reopened.
    voter_satisfaction = models.CharField(
        _("the voter's own answer"), max_length=12, choices=Satisfaction.choices, blank=True
    )
    voter_answered_at = models.DateTimeField(_("the voter answered at"), null=True, blank=True)
    # When the voter raised it (the visit's time for an opinion raised at a visit): the figures count by it.
    registered_at = models.DateTimeField(_("received at"), default=timezone.now, validators=[validate_in_bounds])
    # When it was typed into the portal; differs from registered_at when the record book is typed up later.
    entered_at = models.DateTimeField(_("entered at"), default=timezone.now, editable=False)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True, validators=[validate_in_bounds])
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, validators=[validate_in_bounds])
    supervised = models.BooleanField(_("continued supervision"), default=False)
    next_review = models.DateField(_("next review"), null=True, blank=True, validators=[validate_in_bounds])
    important = models.BooleanField(_("important situation report"), default=False)
    # Optimistic lock: every transition bumps it; a stale form's transition is refused.
    version = models.PositiveIntegerField(default=0)

    history = HistoricalRecords(excluded_fields=["submitter_phone", "submitter_name", "submitter_email"])
    objects = OpinionQuerySet.as_manager()

    class Meta:
        verbose_name = _("opinion")
        verbose_name_plural = _("opinions")
        ordering = ["-registered_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "deadline"]),
            models.Index(fields=["registered_at"]),
            # Statistics of a station or a site for a period.
            models.Index(fields=["site", "registered_at"], name="opinion_site_registered_idx"),
        ]
        constraints = [
            BoundsCheck(condition=in_bounds("next_review"), name="opinion_next_review_in_bounds"),
            BoundsCheck(condition=in_bounds("closed_at", moment=True), name="opinion_closed_at_in_bounds"),
            BoundsCheck(condition=in_bounds("replied_at", moment=True), name="opinion_replied_at_in_bounds"),
            BoundsCheck(
                condition=in_bounds("registered_at", moment=True, nullable=False),
                name="opinion_registered_at_in_bounds",
            ),
            BoundsCheck(condition=in_bounds("deadline"), name="opinion_deadline_in_bounds"),
            PythonCheck(
                condition=Q(supervised=False) | Q(next_review__isnull=False),
                holds=lambda opinion: not opinion.supervised or opinion.next_review is not None,
                fields=["supervised", "next_review"],
                name="opinion_supervision_has_review_date",
                violation_error_message=_("Continued supervision needs a next review date."),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_overdue(self) -> bool:
        return self.state == State.REFERRED and self.deadline is not None and self.deadline < local_today()


class OpinionEvent(models.Model):
    """One step of an opinion's timeline: a state change or a flag, with who, when and a note."""

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="events", verbose_name=_("opinion"))
    action = models.CharField(_("action"), max_length=20, choices=OpinionAction.choices, default=OpinionAction.REGISTER)
    from_state = models.CharField(_("from"), max_length=15, choices=State.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=15, choices=State.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    # When the step happened (a referral done on paper last Tuesday is dated last Tuesday) ...
    at = models.DateTimeField(_("at"), default=timezone.now, validators=[validate_in_bounds])
    # ... and when it was entered into the portal.
    entered_at = models.DateTimeField(_("entered at"), default=timezone.now, editable=False)
    # Entered more than settings.LATE_ENTRY_DAYS after it happened (allowed to station heads and administrators).
    entered_late = models.BooleanField(_("entered late"), default=False)
    note = models.TextField(_("note"), blank=True)
    public = models.BooleanField(_("shown to the voter"), default=True)
    handling_body = models.ForeignKey(
        HandlingBody,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handling body"),
    )
    # The voter's satisfaction given when the opinion was closed (it may be reopened and closed again).
    satisfaction = models.CharField(_("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True)

    class Meta:
        verbose_name = _("opinion event")
        verbose_name_plural = _("opinion events")
        ordering = ["at", "pk"]
        constraints = [
            BoundsCheck(condition=in_bounds("at", moment=True, nullable=False), name="opinionevent_at_in_bounds"),
        ]

    def __str__(self) -> str:
        return f"{self.opinion} → {self.get_to_state_display()}"

    @property
    def entered_separately(self) -> bool:
        """Entered at another moment than it happened (the timeline then shows both)."""
        return abs(self.entered_at - self.at) >= ENTERED_SEPARATELY_AFTER


# A step typed within a few minutes of happening was entered as it happened.
ENTERED_SEPARATELY_AFTER = dt.timedelta(minutes=10)
