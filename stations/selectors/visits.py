"""Reads for the record book: the shift a visit belongs to, who is on duty, the scoped list and history."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from stations.clock import local_time, local_today, start_of_day
from stations.models import (
    Area,
    Attendance,
    Deputy,
    Duty,
    DutyShift,
    Opinion,
    OpinionAction,
    OpinionEvent,
    Site,
    State,
    Visit,
    VisitDeputy,
)
from stations.models.opinions import OpinionQuerySet
from stations.paging import bounded_count
from stations.policy import User, visible_sites
from stations.privacy import mask_name, mask_phone, redact_phones


def scoped_sites(user: User) -> QuerySet[Site]:
    """The sites the user may record visits for: their station first, then its rooms, then its points."""
    return visible_sites(user).in_network_order()


def shift_at(*, site: Site, at: dt.datetime) -> DutyShift | None:
    """The site's duty shift running at that time, if any (a cancelled shift did not take place)."""
    return (
        DutyShift.objects.filter(roster__site=site, start__lte=at, end__gte=at, cancelled=False)
        .order_by("start", "pk")
        .first()
    )


def deputies_on_duty(shift: DutyShift) -> list[Deputy]:
    """The deputies expected at a shift: those on duty, minus the absent, with substitutes in their place."""
    present: dict[int, Deputy] = {}
    for duty in shift.duties.select_related("deputy", "substitute").order_by("deputy__name"):
        if duty.attendance == Attendance.ABSENT:
            continue
        deputy = duty.substitute if duty.attendance == Attendance.SUBSTITUTED and duty.substitute else duty.deputy
        present.setdefault(deputy.pk, deputy)
    return list(present.values())


def assigned_deputy_ids(site: Site) -> set[int]:
    return set(site.assignments.values_list("deputy_id", flat=True))


def areas_for_site(site: Site | None, sites: QuerySet[Site]) -> list[Area]:
    """Suggestions for the village field: the site's own areas first, then the others of the user's sites."""
    areas = list(Area.objects.filter(sites__in=sites).distinct().order_by("name"))
    if site is None:
        return areas
    own = set(site.areas.values_list("pk", flat=True))
    return sorted(areas, key=lambda area: (area.pk not in own, area.name))


def todays_shifts(*, sites: QuerySet[Site], day: dt.date | None = None, limit: int | None = None) -> list[DutyShift]:
    """The day's shifts at the sites with their duties, in the order of the day; the first `limit` of them when
    given (an administrator's sites hold hundreds of shifts a day)."""
    day = day or local_today()
    shifts = (
        DutyShift.objects.for_sites(sites)
        .on_date(day)
        .select_related("roster__site")
        .prefetch_related(Prefetch("duties", queryset=Duty.objects.select_related("deputy", "substitute")))
        .order_by("start", "roster__site__name", "pk")
    )
    return list(shifts if limit is None else shifts[:limit])


def todays_shift_count(*, sites: QuerySet[Site], day: dt.date | None = None) -> tuple[int, bool]:
    """How many shifts the sites hold on the day (counted up to paging.MAX_COUNT) and whether more do."""
    return bounded_count(DutyShift.objects.for_sites(sites).on_date(day or local_today()))


def _open_opinions() -> OpinionQuerySet:
    return Opinion.objects.open().filter(visit=OuterRef("pk"))


def record_book(queryset: QuerySet[Visit]) -> QuerySet[Visit]:
    """The record book's rows with everything a row shows, in a fixed number of queries."""
    opinion_count = (
        Opinion.objects.filter(visit=OuterRef("pk")).order_by().values("visit").annotate(n=Count("pk")).values("n")
    )
    open_count = _open_opinions().order_by().values("visit").annotate(n=Count("pk")).values("n")
    return (
        queryset.select_related("site", "area", "recorded_by")
        .prefetch_related(
            Prefetch("visit_deputies", queryset=VisitDeputy.objects.select_related("deputy").order_by("deputy__name"))
        )
        .annotate(
            opinion_count=Coalesce(Subquery(opinion_count, output_field=IntegerField()), 0),
            open_opinion_count=Coalesce(Subquery(open_count, output_field=IntegerField()), 0),
        )
        .order_by("-occurred_at", "-pk")
    )


def with_open_opinions(queryset: QuerySet[Visit], wanted: bool) -> QuerySet[Visit]:
    condition = Exists(_open_opinions())
    return queryset.filter(condition if wanted else ~condition)


def waiting_opinions(*, sites: QuerySet[Site]) -> QuerySet[Opinion]:
    """Opinions registered at the user's sites that nobody has accepted or refused yet."""
    return (
        Opinion.objects.filter(site__in=sites, state=State.REGISTERED)
        .select_related("site", "visit")
        .order_by("registered_at", "pk")
    )


# --- history ------------------------------------------------------------------------------------------


@dataclass
class HistoryEntry:
    at: dt.datetime
    user: str
    kind: str  # created, changed, archived, restored
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    reason: str = ""
    # Entered (or moved to a time) more than settings.LATE_ENTRY_DAYS after the visit happened.
    late: bool = False


# Fields shown in the history, in the order of the form; the village is shown as one value.
_HISTORY_FIELDS = (
    "site",
    "occurred_at",
    "shift",
    "visitor_name",
    "visitor_phone",
    "village",
    "people",
    "channel",
    "category",
    "summary",
)


def _history_value(record: Any, name: str) -> str:
    if name == "site":
        return str(record.site) if record.site_id else ""
    if name == "shift":
        return str(record.shift) if record.shift_id else ""
    if name == "village":
        return str(record.area.name if record.area_id else record.area_text)
    if name == "occurred_at":
        return local_time(record.occurred_at).strftime("%Y-%m-%d %H:%M")
    if name == "visitor_name":
        return mask_name(record.visitor_name)
    if name == "visitor_phone":
        return mask_phone(record.visitor_phone)
    if name == "channel":
        return str(record.get_channel_display())
    if name == "category":
        return str(record.get_category_display())
    if name == "summary":
        # The history shows name and phone masked to everyone, so a phone typed into the summary is too.
        return redact_phones(record.summary)
    return str(getattr(record, name))


def _deputies_label(rows: set[tuple[int, bool]], names: dict[int, str]) -> str:
    labels = []
    for deputy_id, visiting in sorted(rows, key=lambda row: names.get(row[0], "")):
        name = names.get(deputy_id, "?")
        labels.append(_("%(name)s (visiting)") % {"name": name} if visiting else name)
    return "、".join(labels)


def visit_history(visit: Visit) -> list[HistoryEntry]:
    """Each version of the visit against the one before it, newest first, with personal data masked."""
    records = list(
        visit.history.select_related("history_user", "site", "area", "shift__roster__site").order_by(
            "history_date", "history_id"
        )
    )
    if not records:
        return []
    m2m_model = apps.get_model("stations", "HistoricalVisitDeputy")
    presences: dict[int, set[tuple[int, bool]]] = defaultdict(set)
    for history_id, deputy_id, visiting in m2m_model.objects.filter(
        history_id__in=[r.history_id for r in records]
    ).values_list("history_id", "deputy_id", "is_visiting"):
        presences[history_id].add((deputy_id, visiting))
    deputy_ids = {deputy_id for rows in presences.values() for deputy_id, _visiting in rows}
    names = dict(Deputy.objects.filter(pk__in=deputy_ids).values_list("pk", "name"))
    # Concrete fields, each with a verbose_name; get_field() is typed to return reverse relations too.
    labels = {name: str(Visit._meta.get_field(name).verbose_name) for name in _HISTORY_FIELDS if name != "village"}  # type: ignore[union-attr]
    labels["village"] = str(Visit._meta.get_field("area").verbose_name)
    labels["deputies"] = str(Visit._meta.get_field("deputies").verbose_name)

    entries: list[HistoryEntry] = []
    previous = None
    for record in records:
        user = ""
        if record.history_user is not None:
            user = record.history_user.get_full_name() or record.history_user.get_username()
        if previous is None:
            entries.append(HistoryEntry(at=record.history_date, user=user, kind="created", late=record.entered_late))
            previous = record
            continue
        if previous.archived_at is None and record.archived_at is not None:
            kind = "archived"
        elif previous.archived_at is not None and record.archived_at is None:
            kind = "restored"
        else:
            kind = "changed"
        changes = []
        for name in _HISTORY_FIELDS:
            old, new = _history_value(previous, name), _history_value(record, name)
            if old != new:
                changes.append((labels[name], old, new))
        old_rows, new_rows = presences[previous.history_id], presences[record.history_id]
        if old_rows != new_rows:
            changes.append((labels["deputies"], _deputies_label(old_rows, names), _deputies_label(new_rows, names)))
        if changes or kind != "changed":
            moved = previous.occurred_at != record.occurred_at
            entries.append(
                HistoryEntry(
                    at=record.history_date,
                    user=user,
                    kind=kind,
                    changes=changes,
                    reason=record.history_change_reason or "",
                    late=moved and record.entered_late,
                )
            )
        previous = record
    entries.reverse()
    return entries


def visits_on(*, sites: QuerySet[Site], day: dt.date | None = None) -> QuerySet[Visit]:
    """The current (not archived) visits at the sites on the day, plain rows (to count them)."""
    start = start_of_day(day or local_today())
    return Visit.objects.current().filter(
        site__in=sites, occurred_at__gte=start, occurred_at__lt=start + dt.timedelta(1)
    )


def visits_today(*, sites: QuerySet[Site], day: dt.date | None = None) -> QuerySet[Visit]:
    return record_book(visits_on(sites=sites, day=day))


# --- exports ------------------------------------------------------------------------------------------


# The handling steps an exported opinion row dates, in the columns the import reads back (stations/imports/kinds.py,
# VISITS): accepted, referred, replied, the outcome (resolved or explained) and closed. The last step of each
# action counts (an opinion reopened and referred again exports its latest referral).
_STEP_COLUMNS: dict[str, str] = {
    OpinionAction.ACCEPT: "accepted",
    OpinionAction.REFER: "referred",
    OpinionAction.REPLY: "replied",
    OpinionAction.RESOLVE: "outcome",
    OpinionAction.EXPLAIN: "outcome",
    OpinionAction.CLOSE: "closed",
}


def _moment(value: dt.datetime | None) -> str:
    return local_time(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _opinion_cells(opinion: Opinion | None, *, unmasked: bool) -> list[Any]:
    """An opinion's text, topic and dated handling steps, as the import's visit columns name them."""
    if opinion is None:
        return [""] * 12
    steps: dict[str, OpinionEvent] = {}
    for event in opinion.events.all():  # prefetched in time order
        if event.action in _STEP_COLUMNS:
            steps[_STEP_COLUMNS[event.action]] = event
    outcome = steps.get("outcome")
    referral = steps.get("referred")
    return [
        opinion.content if unmasked else redact_phones(opinion.content),
        str(opinion.get_category_display()),
        _moment(steps["accepted"].at if "accepted" in steps else None),
        referral.handling_body.name if referral and referral.handling_body else "",
        _moment(referral.at if referral else None),
        opinion.deadline.isoformat() if opinion.deadline else "",
        opinion.reply,
        _moment(steps["replied"].at if "replied" in steps else None),
        str(outcome.get_to_state_display()) if outcome else "",
        _moment(outcome.at if outcome else None),
        str(opinion.get_satisfaction_display()) if opinion.satisfaction else "",
        _moment(steps["closed"].at if "closed" in steps else None),
    ]


def export_rows(queryset: QuerySet[Visit], *, unmasked: bool) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of the record book for a spreadsheet: one row for each opinion raised at a visit (the
    visit's columns repeated), one row for a visit without opinions; the voter's name and phone masked unless
    asked. The columns are the import's (kind "visits"), so an export imports back into an empty book."""
    header = [
        _("Date and time"),
        _("Site"),
        _("Village or community"),
        _("Visitor's name"),
        _("Visitor's phone"),
        _("Number of people"),
        _("Channel"),
        _("Topic"),
        _("Deputies present"),
        _("Summary"),
        _("Opinion raised"),
        _("Opinion's topic"),
        _("Accepted on"),
        _("Handling body"),
        _("Referred on"),
        _("Reply deadline"),
        _("Reply"),
        _("Replied on"),
        _("Result"),
        _("Result on"),
        _("Voter's satisfaction"),
        _("Closed on"),
        _("Opinions"),
        _("Open opinions"),
        _("Recorded by"),
        _("Archived"),
    ]
    events = OpinionEvent.objects.select_related("handling_body").order_by("at", "pk")
    opinions = Opinion.objects.order_by("registered_at", "pk").prefetch_related(Prefetch("events", queryset=events))
    rows = []
    for visit in queryset.prefetch_related(Prefetch("opinions", queryset=opinions)).iterator(chunk_size=500):
        deputies = "、".join(
            _("%(name)s (visiting)") % {"name": p.deputy.name} if p.is_visiting else p.deputy.name
            for p in visit.visit_deputies.all()
        )
        recorder = visit.recorded_by.get_full_name() or visit.recorded_by.get_username()
        visit_cells = [
            _moment(visit.occurred_at),
            visit.site.name,
            visit.village,
            visit.visitor_name if unmasked else mask_name(visit.visitor_name),
            visit.visitor_phone if unmasked else mask_phone(visit.visitor_phone),
            visit.people,
            str(visit.get_channel_display()),
            str(visit.get_category_display()),
            deputies,
            visit.summary if unmasked else redact_phones(visit.summary),
        ]
        tail = [
            visit.opinion_count,  # type: ignore[attr-defined]  # annotated by record_book
            visit.open_opinion_count,  # type: ignore[attr-defined]
            recorder,
            _("yes") if visit.archived_at else "",
        ]
        raised: list[Opinion | None] = list(visit.opinions.all())
        for opinion in raised or [None]:
            rows.append([*visit_cells, *_opinion_cells(opinion, unmasked=unmasked), *tail])
    return [str(label) for label in header], rows
