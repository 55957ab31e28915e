"""What each kind of import file holds: its columns (Chinese headers in the templates, English accepted too),
how a cell's text becomes a value, and what one row writes, always through the services.

Natural keys (also in the README): a site by district + parent path + name ("余新镇代表联络站/金星村代表联络室");
an area by district + town + name; a deputy by ID (slug) when the file gives one, else by name within the
district; a mandate by deputy + level + term start; an assignment by deputy + site; a reception rule by site +
kind + the day it names; a visit by site + time + visitor's name + summary; an opinion by visit + content.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet, TextChoices
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from stations.audit import Actor
from stations.bounds import validate_in_bounds
from stations.clock import LOCAL_TZ
from stations.models import (
    AbsenceReason,
    AreaKind,
    Attendance,
    Category,
    Channel,
    Deputy,
    District,
    Duty,
    Gender,
    HandlingBody,
    Level,
    Opinion,
    RuleKind,
    Satisfaction,
    Sector,
    Site,
    SiteKind,
    Source,
    State,
    Visit,
    Weekday,
)
from stations.services import network, opinions, rosters, visits
from stations.services.batch import ImportBatch
from stations.services.network import Outcome
from stations.validators import normalise_phone, validate_phone

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

LIST_SEPARATORS = re.compile(r"[、,，;；]")
PATH_SEPARATOR = "/"


class CellError(Exception):
    """A cell that cannot be read; raised with the column's key and a message for the user."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


@dataclass(frozen=True)
class Column:
    key: str
    label: StrOrPromise
    example: str
    required: bool = False
    choices: type[TextChoices] | Any = None
    hint: StrOrPromise = ""
    # Read from the record book's export and ignored (counts and names computed by the portal).
    ignored: bool = False


@dataclass
class Context:
    """What rows of one file share: who imports, where, and look-ups already made."""

    actor: Actor
    district: District
    sites: QuerySet[Site]
    batch: ImportBatch | None = None
    site_cache: dict[str, Site] = field(default_factory=dict)
    deputy_cache: dict[str, Deputy] = field(default_factory=dict)


RowResult = list[tuple[str, Outcome]]


@dataclass(frozen=True)
class Kind:
    key: str
    label: StrOrPromise
    columns: tuple[Column, ...]
    handle: Callable[[dict[str, str], Context], RowResult]
    # Which column a model field's error belongs to.
    field_columns: dict[str, str]
    # Whether a station head may import it (for their own station).
    station_level: bool = False
    # Imported as one batch (stations.services.batch): look-ups once per file, history and timeline written in
    # bulk, one audit entry for the file with the counts. The record book's kind, where the volume is.
    batched: bool = False


# --- reading cells -----------------------------------------------------------------------------------------


def _plain(text: str) -> str:
    # "区级" and "区", "已解决" and "解决" name the same choice.
    return text.strip().lower().removesuffix("级").removeprefix("已")


@functools.cache
def _choice_names(choices: Any) -> dict[str, str | int]:
    """Every name of every choice (code, Chinese and English label) → its code; built once per process (a
    district-year's import reads a choice several times a row)."""
    found: dict[str, str | int] = {}
    for code, label in reversed(choices.choices):  # the first choice wins a name two share, as before
        names = {str(code).lower()}
        for language in ("zh-hans", "en"):
            with translation.override(language):
                names.add(_plain(str(label)))
        found.update(dict.fromkeys(names, code))
    return found


def choice(value: str, choices: Any, column: str) -> str | int:
    """A choice by its code, its Chinese label or its English label."""
    code = _choice_names(choices).get(_plain(value))
    if code is not None:
        return code
    allowed = "、".join(str(label) for _code, label in choices.choices)
    raise CellError(column, _("Not one of the allowed values: %(allowed)s.") % {"allowed": allowed})


def parse_date(value: str, column: str) -> dt.date:
    text = value.strip().replace("/", "-").replace(".", "-")
    text = re.sub(r"^(\d{4})年(\d{1,2})月(\d{1,2})日", r"\1-\2-\3", text)
    try:
        day = dt.date.fromisoformat("-".join(part.zfill(2) for part in text.split(" ")[0].split("-")))
    except ValueError:
        raise CellError(column, _("Enter a date as YYYY-MM-DD, e.g. 2027-03-20.")) from None
    _bounded(day, column)
    return day


def parse_datetime(value: str, column: str) -> dt.datetime:
    text = value.strip().replace("/", "-").replace("T", " ")
    parts = text.split()
    day = parse_date(parts[0], column) if parts else parse_date("", column)
    moment = parse_time(parts[1], column) if len(parts) > 1 else dt.time(0, 0)
    return dt.datetime.combine(day, moment, tzinfo=LOCAL_TZ)


def parse_time(value: str, column: str) -> dt.time:
    try:
        return dt.time.fromisoformat(value.strip().zfill(5) if len(value.strip()) == 4 else value.strip())
    except ValueError:
        raise CellError(column, _("Enter a time as HH:MM, e.g. 09:00.")) from None


def _bounded(day: dt.date, column: str) -> None:
    try:
        validate_in_bounds(day)
    except ValidationError as error:
        raise CellError(column, " ".join(error.messages)) from None


def parse_int(value: str, column: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise CellError(column, _("Enter a whole number.")) from None


def parse_bool(value: str, column: str) -> bool:
    text = value.strip().lower()
    if text in {"是", "yes", "y", "true", "1", "√"}:
        return True
    if text in {"否", "no", "n", "false", "0", ""}:
        return False
    raise CellError(column, _("Enter 是 (yes) or 否 (no)."))


def parse_phone(value: str, column: str) -> str:
    if not value.strip():
        return ""
    try:
        validate_phone(value)
    except ValidationError as error:
        raise CellError(column, " ".join(error.messages)) from None
    return normalise_phone(value)


def names(value: str) -> list[str]:
    return [part.strip() for part in LIST_SEPARATORS.split(value) if part.strip()]


def _optional(values: dict[str, str], key: str, parse: Callable[[str, str], Any]) -> Any:
    return parse(values[key], key) if values.get(key, "").strip() else None


# --- look-ups ----------------------------------------------------------------------------------------------


def find_site(text: str, context: Context, column: str) -> Site:
    """A site by name, or by its path "station/room/point" when names repeat, among the sites the importer may
    write to."""
    text = text.strip()
    if text in context.site_cache:
        return context.site_cache[text]
    parts = [part.strip() for part in text.split(PATH_SEPARATOR) if part.strip()]
    candidates = list(context.sites.filter(district=context.district, name=parts[-1] if parts else "")[:10])
    if len(parts) > 1:
        candidates = [site for site in candidates if _path(site)[-len(parts) :] == parts]
    if not candidates:
        raise CellError(column, _("No site of this name in the district that you may import into."))
    if len(candidates) > 1:
        raise CellError(
            column, _("Several sites have this name; write its path, e.g. 余新镇代表联络站/金星村代表联络室.")
        )
    context.site_cache[text] = candidates[0]
    return candidates[0]


def _path(site: Site) -> list[str]:
    path = [site.name]
    parent = site.parent
    while parent is not None:
        path.insert(0, parent.name)
        parent = parent.parent
    return path


def find_deputy(text: str, context: Context, column: str) -> Deputy:
    """A deputy by ID (slug) or by name within the district."""
    text = text.strip()
    if text in context.deputy_cache:
        return context.deputy_cache[text]
    found = list(Deputy.objects.filter(district=context.district, slug=text)[:1]) or list(
        Deputy.objects.filter(district=context.district, name=text)[:2]
    )
    if not found:
        raise CellError(column, _("No deputy of this name or ID in the district: %(name)s.") % {"name": text})
    if len(found) > 1:
        raise CellError(
            column, _("Several deputies have this name; write the deputy's ID instead: %(name)s.") % {"name": text}
        )
    context.deputy_cache[text] = found[0]
    return found[0]


# --- sites and the areas they serve -------------------------------------------------------------------------


def _site_row(values: dict[str, str], context: Context) -> RowResult:
    results: RowResult = []
    parent = find_site(values["parent"], context, "parent") if values.get("parent", "").strip() else None
    town = values["town"]
    areas = []
    for area_name in names(values.get("areas", "")):
        area, outcome = network.area_upsert(
            district=context.district,
            town=town,
            name=area_name,
            kind=choice(values["area_kind"], AreaKind, "area_kind") if values.get("area_kind") else AreaKind.VILLAGE,  # type: ignore[arg-type]
            actor=context.actor,
        )
        areas.append(area)
        results.append(("area", outcome))
    site, outcome = network.site_upsert(
        district=context.district,
        parent=parent,
        name=values["name"],
        kind=str(choice(values["kind"], SiteKind, "kind")),
        town=town,
        address=values.get("address", ""),
        phone=parse_phone(values.get("phone", ""), "phone"),
        sector=str(choice(values["sector"], Sector, "sector")) if values.get("sector") else Sector.GENERAL,
        established=_optional(values, "established", parse_date),
        is_online=parse_bool(values.get("is_online", ""), "is_online"),
        slug=values.get("slug", ""),
        areas=areas,
        actor=context.actor,
    )
    context.site_cache.pop(values["name"].strip(), None)
    results.insert(0, ("site", outcome))
    return results


SITES = Kind(
    key="sites",
    label=gettext_lazy("Sites and the areas they serve"),
    columns=(
        Column(
            "parent",
            gettext_lazy("Parent site"),
            "余新镇代表联络站",
            hint=gettext_lazy("Empty for a station; a room's station; a point's station or room."),
        ),
        Column("name", gettext_lazy("Site name"), "金星村代表联络室", required=True),
        Column("kind", gettext_lazy("Kind of site"), str(SiteKind.ROOM.label), required=True, choices=SiteKind),
        Column("town", gettext_lazy("Town or street"), "余新镇", required=True),
        Column("address", gettext_lazy("Address"), "余新镇金星村村委会"),
        Column("phone", gettext_lazy("Site phone"), "0573-82345678"),
        Column("sector", gettext_lazy("Sector"), str(Sector.GENERAL.label), choices=Sector),
        Column("established", gettext_lazy("Date established"), "2017-06-01"),
        Column("is_online", gettext_lazy("Online station"), "否", hint=gettext_lazy("是 or 否")),
        Column(
            "slug",
            gettext_lazy("Web address name"),
            "yuxin-jinxing",
            hint=gettext_lazy("Latin letters, digits and hyphens; used for a new site only."),
        ),
        Column(
            "areas",
            gettext_lazy("Villages and communities served"),
            "金星村、长秦村、曹王村",
            hint=gettext_lazy("Separated by 、"),
        ),
        Column("area_kind", gettext_lazy("Kind of area"), str(AreaKind.VILLAGE.label), choices=AreaKind),
    ),
    handle=_site_row,
    field_columns={
        "parent": "parent",
        "name": "name",
        "kind": "kind",
        "town": "town",
        "address": "address",
        "slug": "slug",
        "established": "established",
        "district": "parent",
    },
)


# --- deputies with mandates and assignments -----------------------------------------------------------------


def _deputy_row(values: dict[str, str], context: Context) -> RowResult:
    deputy, outcome = network.deputy_upsert(
        district=context.district,
        name=values["name"],
        gender=str(choice(values["gender"], Gender, "gender")),
        slug=values.get("slug", ""),
        sector=str(choice(values["sector"], Sector, "sector")) if values.get("sector") else Sector.GENERAL,
        occupation=values.get("occupation", ""),
        phone=parse_phone(values.get("phone", ""), "phone"),
        actor=context.actor,
    )
    results: RowResult = [("deputy", outcome)]
    if values.get("level", "").strip():
        term_start = _optional(values, "term_start", parse_date)
        if term_start is None:
            raise CellError("term_start", _("Give the start of the term with the level."))
        _mandate, outcome = network.mandate_upsert(
            deputy=deputy,
            level=str(choice(values["level"], Level, "level")),
            term_start=term_start,
            term_end=_optional(values, "term_end", parse_date),
            electoral_district=values.get("electoral_district", ""),
            actor=context.actor,
        )
        results.append(("mandate", outcome))
    since = _optional(values, "since", parse_date)
    for site_name in names(values.get("sites", "")):
        site = find_site(site_name, context, "sites")
        _assignment, outcome = network.assignment_upsert(deputy=deputy, site=site, since=since, actor=context.actor)
        results.append(("assignment", outcome))
    return results


DEPUTIES = Kind(
    key="deputies",
    label=gettext_lazy("Deputies with mandates and assignments"),
    columns=(
        Column(
            "slug",
            gettext_lazy("Deputy ID"),
            "nh-zhang-wei",
            hint=gettext_lazy("Optional; needed when two deputies share a name."),
        ),
        Column("name", gettext_lazy("Deputy's name"), "张伟", required=True),
        Column("gender", gettext_lazy("Gender"), str(Gender.MALE.label), required=True, choices=Gender),
        Column("sector", gettext_lazy("Sector"), str(Sector.ENTERPRISE.label), choices=Sector),
        Column("occupation", gettext_lazy("Occupation"), "企业负责人"),
        Column("phone", gettext_lazy("Deputy's phone"), "0573-82345679"),
        Column("level", gettext_lazy("Level"), str(Level.DISTRICT.label), choices=Level),
        Column("electoral_district", gettext_lazy("Electoral district"), "余新镇第三选区"),
        Column("term_start", gettext_lazy("Term start"), "2021-12-01"),
        Column("term_end", gettext_lazy("Term end"), "2026-11-30"),
        Column("sites", gettext_lazy("Sites assigned"), "金星村代表联络室", hint=gettext_lazy("Separated by 、")),
        Column("since", gettext_lazy("Assigned since"), "2022-01-01"),
    ),
    handle=_deputy_row,
    field_columns={
        "name": "name",
        "gender": "gender",
        "slug": "slug",
        "phone": "phone",
        "level": "level",
        "term_start": "term_start",
        "term_end": "term_end",
        "since": "since",
        "__all__": "term_start",
    },
)


# --- reception rules ----------------------------------------------------------------------------------------


def _rule_row(values: dict[str, str], context: Context) -> RowResult:
    weekday = choice(values["weekday"], Weekday, "weekday") if values.get("weekday", "").strip() else None
    _rule, outcome = network.reception_rule_upsert(
        site=find_site(values["site"], context, "site"),
        kind=str(choice(values["kind"], RuleKind, "kind")),
        day_of_month=_optional(values, "day_of_month", parse_int),
        weekday=int(weekday) if weekday is not None else None,
        week_of_month=_optional(values, "week_of_month", parse_int),
        date=_optional(values, "date", parse_date),
        start_time=parse_time(values["start_time"], "start_time"),
        end_time=parse_time(values["end_time"], "end_time"),
        valid_from=_optional(values, "valid_from", parse_date),
        valid_until=_optional(values, "valid_until", parse_date),
        actor=context.actor,
    )
    return [("rule", outcome)]


RULES = Kind(
    key="rules",
    label=gettext_lazy("Reception rules"),
    columns=(
        Column("site", gettext_lazy("Site"), "余新镇代表联络站", required=True),
        Column("kind", gettext_lazy("Rule"), str(RuleKind.MONTHLY_DAY.label), required=True, choices=RuleKind),
        Column("day_of_month", gettext_lazy("Day of the month"), "20"),
        Column("weekday", gettext_lazy("Weekday"), "", choices=Weekday),
        Column(
            "week_of_month", gettext_lazy("Week of the month"), "", hint=gettext_lazy("1 to 4, or 5 for the last week.")
        ),
        Column("date", gettext_lazy("Extra date"), ""),
        Column("start_time", gettext_lazy("Start time"), "09:00", required=True),
        Column("end_time", gettext_lazy("End time"), "11:30", required=True),
        Column("valid_from", gettext_lazy("Valid from"), "2027-01-01"),
        Column("valid_until", gettext_lazy("Valid until"), ""),
    ),
    handle=_rule_row,
    field_columns={
        "day_of_month": "day_of_month",
        "weekday": "weekday",
        "week_of_month": "week_of_month",
        "date": "date",
        "start_time": "start_time",
        "end_time": "end_time",
        "__all__": "kind",
    },
)


# --- rosters with shifts, duties and attendance -------------------------------------------------------------


def _duty_row(values: dict[str, str], context: Context) -> RowResult:
    site = find_site(values["site"], context, "site")
    start = parse_datetime(values["start"], "start")
    end = dt.datetime.combine(start.date(), parse_time(values["end_time"], "end_time"), tzinfo=LOCAL_TZ)
    reason = _("Imported from a spreadsheet")
    shift, created = rosters.shift_ensure(site=site, start=start, end=end, actor=context.actor, reason=reason)
    results: RowResult = [("dutyshift", Outcome.CREATED if created else Outcome.UNCHANGED)]
    deputy = find_deputy(values["deputy"], context, "deputy")
    duty = Duty.objects.filter(shift=shift, deputy=deputy).first()
    outcome = Outcome.UNCHANGED
    if duty is None:
        duty = rosters.duty_assign(shift=shift, deputy=deputy, actor=context.actor, reason=reason)
        outcome = Outcome.CREATED
    attendance = str(choice(values["attendance"], Attendance, "attendance")) if values.get("attendance") else ""
    if attendance and attendance != Attendance.UNMARKED and duty.attendance == Attendance.UNMARKED:
        rosters.duty_mark_attendance(
            duty=duty,
            attendance=attendance,
            absence_reason=str(choice(values["absence_reason"], AbsenceReason, "absence_reason"))
            if values.get("absence_reason")
            else "",
            substitute=find_deputy(values["substitute"], context, "substitute") if values.get("substitute") else None,
            actor=context.actor,
        )
        outcome = Outcome.UPDATED if outcome == Outcome.UNCHANGED else outcome
    results.append(("duty", outcome))
    return results


ROSTERS = Kind(
    key="rosters",
    label=gettext_lazy("Rosters with shifts, duties and attendance"),
    columns=(
        Column("site", gettext_lazy("Site"), "金星村代表联络室", required=True),
        Column("start", gettext_lazy("Reception starts"), "2026-03-20 09:00", required=True),
        Column("end_time", gettext_lazy("End time"), "11:30", required=True),
        Column("deputy", gettext_lazy("Deputy on duty"), "张伟", required=True, hint=gettext_lazy("One deputy a row.")),
        Column("attendance", gettext_lazy("Attendance"), str(Attendance.PRESENT.label), choices=Attendance),
        Column("absence_reason", gettext_lazy("Reason for absence"), "", choices=AbsenceReason),
        Column("substitute", gettext_lazy("Substitute"), ""),
    ),
    handle=_duty_row,
    field_columns={
        "deputy": "deputy",
        "substitute": "substitute",
        "absence_reason": "absence_reason",
        "attendance": "attendance",
        "start": "start",
        "end": "end_time",
        "reason": "site",
        "__all__": "start",
    },
    station_level=True,
)


# --- visits with their opinions and each opinion's handling steps --------------------------------------------

# The handling path an imported opinion follows, in order; each step is taken when its date column is filled.
STEP_PATH = (State.REGISTERED, State.ACCEPTED, State.REFERRED, State.REPLIED, "outcome", State.CLOSED)


def _dated(service: Callable[..., Opinion], when: dt.datetime | None, **kwargs: Any) -> Opinion:
    """Call a transition service with the step's own date from the file (now when the cell is empty)."""
    return service(happened_at=when, **kwargs)


def _deputy_lists(text: str, context: Context) -> tuple[list[Deputy], list[Deputy]]:
    visiting_pattern = re.compile(r"^(.*?)[（(](?:外来代表|visiting)[)）]$")
    present, visiting = [], []
    for name in names(text):
        match = visiting_pattern.match(name)
        if match:
            visiting.append(find_deputy(match.group(1), context, "deputies"))
        else:
            present.append(find_deputy(name, context, "deputies"))
    return present, visiting


def _visit_row(values: dict[str, str], context: Context) -> RowResult:
    site = find_site(values["site"], context, "site")
    occurred_at = parse_datetime(values["occurred_at"], "occurred_at")
    summary = values["summary"].strip()
    visitor_name = values.get("visitor_name", "").strip()
    people = parse_int(values["people"], "people") if values.get("people", "").strip() else 1
    channel = str(choice(values["channel"], Channel, "channel")) if values.get("channel") else Channel.RECEPTION_DAY
    category = str(choice(values["category"], Category, "category")) if values.get("category") else Category.OTHER
    phone = parse_phone(values.get("visitor_phone", ""), "visitor_phone")
    results: RowResult = []
    if context.batch is not None:
        visit = context.batch.find_visit(site, occurred_at, visitor_name, summary)
    else:
        visit = Visit.objects.filter(
            site=site, occurred_at=occurred_at, visitor_name=visitor_name, summary=summary
        ).first()
    created = visit is None
    if visit is None:
        present, visiting = _deputy_lists(values.get("deputies", ""), context)
        visit = visits.visit_create(
            site=site,
            actor=context.actor,
            occurred_at=occurred_at,
            summary=summary,
            people=people,
            channel=channel,
            category=category,
            visitor_name=visitor_name,
            visitor_phone=phone,
            village=values.get("village", ""),
            deputies=present if values.get("deputies", "").strip() else None,
            visiting_deputies=visiting,
        )
        results.append(("visit", Outcome.CREATED))
    else:
        results.append(("visit", Outcome.UNCHANGED))
    content = values.get("opinion", "").strip()
    if content:
        results.extend(_opinion(values, visit, content, category, context, new_visit=created))
    return results


def _opinion(
    values: dict[str, str], visit: Visit, content: str, category: str, context: Context, *, new_visit: bool
) -> RowResult:
    # A visit this row created has no opinions yet: the natural-key look-up is needed only for an older one.
    opinion = None if new_visit else Opinion.objects.filter(visit=visit, content=content).first()
    outcome = Outcome.UNCHANGED
    if opinion is None:
        opinion_category = (
            str(choice(values["opinion_category"], Category, "opinion_category"))
            if values.get("opinion_category")
            else category
        )
        opinion = opinions.opinion_register(
            site=visit.site,
            category=opinion_category,
            content=content,
            source=Source.RECEPTION,
            visit=visit,
            actor=context.actor,
            # Received when the voter raised it at the visit (the visit service's own rule for its opinions).
            received_at=visit.occurred_at,
        )
        outcome = Outcome.CREATED
    steps = _steps(values, opinion, context)
    if steps and outcome == Outcome.UNCHANGED:
        outcome = Outcome.UPDATED
    return [("opinion", outcome)]


def _step_time(values: dict[str, str], key: str) -> dt.datetime | None:
    return parse_datetime(values[key], key) if values.get(key, "").strip() else None


def _steps(values: dict[str, str], opinion: Opinion, context: Context) -> int:
    """Take the handling steps the row dates and the opinion has not taken yet; how many were taken."""
    if opinion.state not in (
        State.REGISTERED,
        State.ACCEPTED,
        State.REFERRED,
        State.REPLIED,
        State.RESOLVED,
        State.EXPLAINED,
        State.CLOSED,
    ):
        return 0
    state = str(opinion.state)
    done = 4 if state in (State.RESOLVED, State.EXPLAINED) else STEP_PATH.index(state)
    actor, taken = context.actor, 0
    accepted_at = _step_time(values, "accepted_at")
    if accepted_at is not None and done < 1:
        opinion = _dated(opinions.opinion_accept, accepted_at, opinion=opinion, actor=actor)
        taken += 1
    referred_at = _step_time(values, "referred_at")
    if referred_at is not None and done < 2:
        body_name = values.get("handling_body", "").strip()
        body = (
            context.batch.handling_body(body_name)
            if context.batch is not None
            else HandlingBody.objects.filter(name=body_name).first()
        )
        if body is None:
            raise CellError("handling_body", _("No handling body of this name; add it in the admin first."))
        opinion = _dated(
            opinions.opinion_refer,
            referred_at,
            opinion=opinion,
            actor=actor,
            body=body,
            deadline=_optional(values, "deadline", parse_date),
        )
        taken += 1
    replied_at = _step_time(values, "replied_at")
    if replied_at is not None and done < 3:
        if not values.get("reply", "").strip():
            raise CellError("reply", _("Give the reply with its date."))
        opinion = _dated(opinions.opinion_reply, replied_at, opinion=opinion, actor=actor, reply=values["reply"])
        taken += 1
    outcome_at = _step_time(values, "outcome_at")
    if outcome_at is not None and done < 4:
        result = choice(values.get("outcome", ""), Outcomes, "outcome")
        if result == Outcomes.RESOLVED:
            opinion = _dated(opinions.opinion_resolve, outcome_at, opinion=opinion, actor=actor)
        else:
            opinion = _dated(
                opinions.opinion_explain, outcome_at, opinion=opinion, actor=actor, explanation=values.get("reply", "")
            )
        taken += 1
    closed_at = _step_time(values, "closed_at")
    if closed_at is not None and done < 5:
        satisfaction = str(choice(values.get("satisfaction", ""), Satisfaction, "satisfaction"))
        opinion = _dated(opinions.opinion_close, closed_at, opinion=opinion, actor=actor, satisfaction=satisfaction)
        taken += 1
    return taken


class Outcomes(TextChoices):
    RESOLVED = "resolved", gettext_lazy("resolved")
    EXPLAINED = "explained", gettext_lazy("explained")


VISITS = Kind(
    key="visits",
    label=gettext_lazy("Visits with their opinions and handling steps"),
    columns=(
        Column("occurred_at", gettext_lazy("Date and time"), "2027-03-20 09:30", required=True),
        Column("site", gettext_lazy("Site"), "金星村代表联络室", required=True),
        Column("village", gettext_lazy("Village or community"), "金星村"),
        Column("visitor_name", gettext_lazy("Visitor's name"), "王芳"),
        Column("visitor_phone", gettext_lazy("Visitor's phone"), "0573-82345678"),
        Column("people", gettext_lazy("Number of people"), "1"),
        Column("channel", gettext_lazy("Channel"), str(Channel.RECEPTION_DAY.label), choices=Channel),
        Column("category", gettext_lazy("Topic"), str(Category.TRANSPORT.label), choices=Category),
        Column(
            "deputies",
            gettext_lazy("Deputies present"),
            "张伟、李娜",
            hint=gettext_lazy("Separated by 、; empty: the deputies on duty."),
        ),
        Column("summary", gettext_lazy("Summary"), "反映村口道路破损，希望尽快修复。", required=True),
        Column(
            "opinion",
            gettext_lazy("Opinion raised"),
            "建议修复金星村村口道路",
            hint=gettext_lazy("One opinion a row; repeat the visit's columns for a second opinion."),
        ),
        Column("opinion_category", gettext_lazy("Opinion's topic"), str(Category.TRANSPORT.label), choices=Category),
        Column("accepted_at", gettext_lazy("Accepted on"), "2027-03-21 10:00"),
        Column("handling_body", gettext_lazy("Handling body"), "区交通运输局"),
        Column("referred_at", gettext_lazy("Referred on"), "2027-03-22 10:00"),
        Column("deadline", gettext_lazy("Reply deadline"), "2027-04-21"),
        Column("reply", gettext_lazy("Reply"), "已列入本年度道路维修计划。"),
        Column("replied_at", gettext_lazy("Replied on"), "2027-04-10 15:00"),
        Column("outcome", gettext_lazy("Result"), str(Outcomes.RESOLVED.label), choices=Outcomes),
        Column("outcome_at", gettext_lazy("Result on"), "2027-05-05 09:00"),
        Column(
            "satisfaction",
            gettext_lazy("Voter's satisfaction"),
            str(Satisfaction.SATISFIED.label),
            choices=Satisfaction,
        ),
        Column("closed_at", gettext_lazy("Closed on"), "2027-05-10 09:00"),
        # The record book's own export carries these; they are computed, so an import reads past them.
        Column("opinion_count", gettext_lazy("Opinions"), "", ignored=True),
        Column("open_opinions", gettext_lazy("Open opinions"), "", ignored=True),
        Column("recorded_by", gettext_lazy("Recorded by"), "", ignored=True),
        Column("archived", gettext_lazy("Archived"), "", ignored=True),
    ),
    handle=_visit_row,
    field_columns={
        "occurred_at": "occurred_at",
        "site": "site",
        "visitor_name": "visitor_name",
        "visitor_phone": "visitor_phone",
        "people": "people",
        "channel": "channel",
        "category": "category",
        "summary": "summary",
        "deputies": "deputies",
        "content": "opinion",
        "deadline": "deadline",
        "reply": "reply",
        "satisfaction": "satisfaction",
        "handling_body": "handling_body",
        "__all__": "opinion",
    },
    station_level=True,
    batched=True,
)

KINDS: dict[str, Kind] = {kind.key: kind for kind in (SITES, DEPUTIES, RULES, ROSTERS, VISITS)}


def normalise_header(text: str) -> str:
    """Headers compare without case, spaces, a required-mark asterisk or the width of brackets."""
    text = text.lstrip("\ufeff").strip().lower().translate(str.maketrans("（）", "()", " \t*"))
    return text


def header_names(column: Column) -> set[str]:
    """The header texts a column is recognised by: its Chinese and English labels and its key."""
    found = {column.key.lower()}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            found.add(normalise_header(str(column.label)))
    return found


def record_label(record: str) -> str:
    """How the result names a kind of record ("site" → 站点)."""
    from django.apps import apps

    model = {"rule": "receptionrule"}.get(record, record)
    return str(apps.get_model("stations", model)._meta.verbose_name_plural)
