"""One import of the record book, shared by the services it calls (issue 12, part 5: a district-year in minutes).

A file of 100,000 visits goes through `visit_create`, `opinion_register` and the handling steps one row at a
time, like the forms; what those services would otherwise repeat for every row is done once per file here:

- look-ups made once and kept for the file: a site's areas, its assigned deputies, its duty shifts and the
  deputies on each, the handling bodies by name, and the next opinion reference of a district and year (the
  district row is locked once, for the whole transaction, instead of once per opinion);
- the opinions this import created are held in memory, so a step does not re-read and lock a row the same
  transaction has just written, and knows its previous step's date without asking;
- history versions and timeline entries are collected and written with one bulk insert per few hundred rows,
  after each row's own validation (`full_clean`, the workflow table, the date rules) has passed;
- audit entries are counted, not written one per record: the import's own entry (`import.visits`) carries the
  counts by action and how many records were entered late.

The batch travels on the actor (`Actor(user, address, batch=...)`), so the services stay the only door and a
form's call (no batch) is unchanged. It lives inside the import's single transaction: a row that fails is
rolled back to its savepoint and `row_failed()` drops what the batch collected for that row.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from django.db import models, transaction
from django.utils import timezone

from stations.clock import LOCAL_TZ, local_time
from stations.models import Area, Deputy, District, DutyShift, HandlingBody, Opinion, Site, Visit
from stations.selectors.visits import deputies_on_duty

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Collected rows are written when this many are waiting (and at the end of the file).
FLUSH_EVERY = 2000
# The visits and opinions written most recently are kept for the rows after them (a visit's second opinion, an
# opinion's next step); older ones are read again if a later row names them. Bounds the batch's memory: at
# 100,000 visits, keeping every one took 110 MB.
HELD_MAX = 1000

P = ParamSpec("P")
R = TypeVar("R")


def atomic_service(func: Callable[P, R]) -> Callable[P, R]:
    """`transaction.atomic` for a service taking `actor`: all or nothing, in a savepoint of its own when called
    inside another transaction, except in an import, where each row already has one (a savepoint per service
    call was two statements more for every visit, opinion and step)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from stations.services.figures import figures_deferred

        actor = kwargs.get("actor")
        with transaction.atomic(savepoint=getattr(actor, "batch", None) is None), figures_deferred():
            return func(*args, **kwargs)

    return wrapper


class ImportBatch:
    def __init__(self, *, user: User | None) -> None:
        self.user = user
        # Audit entries not written one by one: action code → how many; and how many were entered late.
        self.audited: Counter[str] = Counter()
        self.entered_late = 0
        self._pending: list[models.Model] = []
        # Visits' history versions and the deputies present copied into them (simple_history's m2m table).
        self._m2m: list[tuple[models.Model, list[models.Model]]] = []
        self._row_mark = (0, 0)
        self._row_audited: Counter[str] = Counter()
        self._row_late = 0
        self._row_opinions: list[int] = []
        self._row_visits: list[Visit] = []
        self._opinions: OrderedDict[int, Opinion] = OrderedDict()
        self._last_step: dict[int, tuple[dt.datetime, str]] = {}
        self._areas: dict[tuple[int, str], Area | None] = {}
        self._assigned: dict[int, set[int]] = {}
        self._shifts: dict[int, list[DutyShift]] = {}
        self._on_duty: dict[int, list[Deputy]] = {}
        self._bodies: dict[str, HandlingBody | None] = {}
        self._references: dict[str, int] = {}
        self._locked_districts: set[int] = set()
        self._historical: dict[type[models.Model], Any] = {}
        # Visits of a site and month already in the book or written by this import: natural key's digest → pk.
        self._visits: dict[tuple[int, int, int], dict[bytes, int]] = {}
        self._visit_instances: OrderedDict[int, Visit] = OrderedDict()

    # --- look-ups, once per file ---------------------------------------------------------------------------

    def area(self, site: Site, name: str) -> Area | None:
        """The area a typed village names: one the site serves, else one of the site's town (as the service)."""
        key = (site.pk, name)
        if key not in self._areas:
            area = site.areas.filter(name=name).first()
            if area is None:
                area = Area.objects.filter(district_id=site.district_id, town=site.town, name=name).first()
            self._areas[key] = area
        return self._areas[key]

    def assigned_deputy_ids(self, site: Site) -> set[int]:
        if site.pk not in self._assigned:
            self._assigned[site.pk] = set(site.assignments.values_list("deputy_id", flat=True))
        return self._assigned[site.pk]

    def shift_at(self, site: Site, at: dt.datetime) -> DutyShift | None:
        """The site's shift running at `at` (not cancelled), the earliest first, as `selectors.visits.shift_at`."""
        if site.pk not in self._shifts:
            self._shifts[site.pk] = list(
                DutyShift.objects.filter(roster__site=site, cancelled=False).order_by("start", "pk")
            )
        return next((shift for shift in self._shifts[site.pk] if shift.start <= at <= shift.end), None)

    def deputies_on_duty(self, shift: DutyShift) -> list[Deputy]:
        if shift.pk not in self._on_duty:
            self._on_duty[shift.pk] = deputies_on_duty(shift)
        return self._on_duty[shift.pk]

    def handling_body(self, name: str) -> HandlingBody | None:
        if name not in self._bodies:
            self._bodies[name] = HandlingBody.objects.filter(name=name).first()
        return self._bodies[name]

    def next_reference(self, district: District, year: int) -> str:
        """The next staff reference of the district and year. The district row is locked once, for the rest of
        the import's transaction (as `_next_reference` does per opinion), so no one else draws a number
        meanwhile and the numbers can be counted here."""
        prefix = f"{district.code}-{year}-"
        if district.pk not in self._locked_districts:
            District.objects.select_for_update().filter(pk=district.pk).first()
            self._locked_districts.add(district.pk)
        if prefix not in self._references:
            last = (
                Opinion.objects.filter(reference__startswith=prefix)
                .order_by("-reference")
                .values_list("reference", flat=True)
                .first()
            )
            self._references[prefix] = int(last.rsplit("-", 1)[1]) if last else 0
        self._references[prefix] += 1
        return f"{prefix}{self._references[prefix]:05d}"

    # --- the record book's natural key -------------------------------------------------------------------

    def find_visit(self, site: Site, occurred_at: dt.datetime, visitor_name: str, summary: str) -> Visit | None:
        """The visit of this site, time, visitor and summary (the import's natural key), if the book has it.
        The keys of a site's month are read in one query the first time a row names that month, instead of
        one query a row; visits this import writes are added as they are written (`visit_written`)."""
        month = self._month(site, occurred_at)
        pk = month.get(_visit_key(occurred_at, visitor_name, summary))
        if pk is None:
            return None
        visit = self._visit_instances.get(pk)
        return visit if visit is not None else Visit.objects.get(pk=pk)

    def visit_written(self, visit: Visit) -> None:
        self._month(visit.site, visit.occurred_at)[_visit_key(visit.occurred_at, visit.visitor_name, visit.summary)] = (
            visit.pk
        )
        self._visit_instances[visit.pk] = visit
        if len(self._visit_instances) > HELD_MAX:
            self._visit_instances.popitem(last=False)
        self._row_visits.append(visit)

    def _month(self, site: Site, moment: dt.datetime) -> dict[bytes, int]:
        local = local_time(moment)
        key = (site.pk, local.year, local.month)
        if key not in self._visits:
            start = dt.datetime(local.year, local.month, 1, tzinfo=LOCAL_TZ)
            end = dt.datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=LOCAL_TZ)
            rows = Visit.objects.filter(site=site, occurred_at__gte=start, occurred_at__lt=end).values_list(
                "pk", "occurred_at", "visitor_name", "summary"
            )
            self._visits[key] = {_visit_key(at, name, summary): pk for pk, at, name, summary in rows}
        return self._visits[key]

    # --- opinions written by this import --------------------------------------------------------------------

    def hold(self, opinion: Opinion, *, step: tuple[dt.datetime, str]) -> None:
        """Keep the opinion as just saved, with its latest step's date and action."""
        self._opinions[opinion.pk] = opinion
        self._opinions.move_to_end(opinion.pk)
        self._last_step[opinion.pk] = step
        if len(self._opinions) > HELD_MAX:
            evicted, _opinion = self._opinions.popitem(last=False)
            self._last_step.pop(evicted, None)
        self._row_opinions.append(opinion.pk)

    def held(self, opinion: Opinion) -> Opinion | None:
        """The opinion as this import last saved it (None: not written by this import; read it from the
        database)."""
        return self._opinions.get(opinion.pk)

    def last_step(self, opinion: Opinion) -> tuple[dt.datetime, str] | None:
        return self._last_step.get(opinion.pk)

    # --- rows written later, in bulk ----------------------------------------------------------------------

    def defer(self, row: models.Model) -> None:
        """A row already validated by its service, written with the next bulk insert."""
        self._pending.append(row)

    def history(
        self,
        instance: models.Model,
        history_type: str,
        *,
        m2m_model: type[models.Model] | None = None,
        m2m: Sequence[models.Model] = (),
    ) -> None:
        """A history version of `instance` as it is now (what simple_history writes on save), written later;
        with `m2m_model`, the rows `m2m` (a visit's deputies present) are copied into the version."""
        historical = self._historical.get(type(instance))
        if historical is None:
            # simple_history's descriptor builds a manager class on every access: look the model up once.
            historical = self._historical[type(instance)] = type(instance).history.model  # type: ignore[attr-defined]
        version = historical(
            history_date=timezone.now(),
            history_type=history_type,
            history_user=self.user,
            history_change_reason=getattr(instance, "_change_reason", None),
            **{field.attname: getattr(instance, field.attname) for field in historical.tracked_fields},
        )
        if m2m_model is None:
            self._pending.append(version)
            return
        copies = [
            m2m_model(history=version, **{field.name: getattr(row, field.name) for field in row._meta.fields})
            for row in m2m
        ]
        self._m2m.append((version, copies))

    def audit(self, action: str, changes: dict[str, Any] | None) -> None:
        self.audited[action] += 1
        if changes and changes.get("entered_late"):
            self.entered_late += 1

    def flush(self, *, force: bool = False) -> None:
        """Write the collected rows, grouped by model in the order they came (when enough wait, or `force`)."""
        if not force and len(self._pending) + len(self._m2m) < FLUSH_EVERY:
            return
        if self._m2m:
            versions = [version for version, _rows in self._m2m]
            type(versions[0])._default_manager.bulk_create(versions)
            through_rows = [row for _version, rows in self._m2m for row in rows]
            for row in through_rows:
                row.history_id = row.history.pk  # type: ignore[attr-defined]
            if through_rows:
                type(through_rows[0])._default_manager.bulk_create(through_rows)
        by_model: dict[type[models.Model], list[models.Model]] = {}
        for row in self._pending:
            by_model.setdefault(type(row), []).append(row)
        for model, rows in by_model.items():
            model._default_manager.bulk_create(rows, batch_size=500)
        self._pending, self._m2m = [], []
        self._row_mark = (0, 0)

    # --- a row's savepoint --------------------------------------------------------------------------------

    def row_started(self) -> None:
        self._row_mark = (len(self._pending), len(self._m2m))
        self._row_audited, self._row_late = self.audited.copy(), self.entered_late
        self._row_opinions = []
        self._row_visits = []

    def row_failed(self) -> None:
        """The row was rolled back to its savepoint: forget what the batch collected for it."""
        pending, m2m = self._row_mark
        del self._pending[pending:]
        del self._m2m[m2m:]
        self.audited, self.entered_late = self._row_audited, self._row_late
        for pk in self._row_opinions:
            self._opinions.pop(pk, None)
            self._last_step.pop(pk, None)
        for visit in self._row_visits:
            self._month(visit.site, visit.occurred_at).pop(
                _visit_key(visit.occurred_at, visit.visitor_name, visit.summary), None
            )
            self._visit_instances.pop(visit.pk, None)
        self._row_opinions, self._row_visits = [], []


def _visit_key(occurred_at: dt.datetime, visitor_name: str, summary: str) -> bytes:
    # A digest, so that a district-year's keys take a few megabytes, not the summaries' text.
    text = f"{occurred_at.timestamp()}\x1f{visitor_name}\x1f{summary}"
    return hashlib.blake2b(text.encode(), digest_size=16).digest()
