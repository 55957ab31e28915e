"""Importing a district's spreadsheets (issue 12, part 3): every row through the services, all of a file or
nothing of it.

A file is read a row at a time (stations.imports.reader); its header says which column is which
(stations.imports.kinds). All rows run inside one transaction, each in a savepoint of its own, so that a bad
row is reported with its row, column, value and message and the next rows are still checked. At the end the
transaction is rolled back when the run is a dry run or any row failed; else it commits. A dry run therefore
checks exactly what a real run would (same services, same database constraints) and saves nothing.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from stations.audit import Actor, AuditAction, audit
from stations.imports.kinds import KINDS, CellError, Context, Kind, header_names, normalise_header, record_label
from stations.imports.reader import Cell, FileRefused, rows
from stations.models import District, Site
from stations.services.batch import ImportBatch
from stations.services.figures import figures_deferred
from stations.services.network import Outcome

# Problems listed in full; beyond this the result says how many more there are.
MAX_PROBLEMS_LISTED = 500

IMPORT_ACTIONS = {
    "sites": AuditAction.IMPORT_SITES,
    "deputies": AuditAction.IMPORT_DEPUTIES,
    "rules": AuditAction.IMPORT_RULES,
    "visits": AuditAction.IMPORT_VISITS,
    "rosters": AuditAction.IMPORT_ROSTERS,
}


@dataclass(frozen=True)
class Problem:
    row: int  # the spreadsheet's row number (the header is row 1); 0 for the file as a whole
    column: str
    value: str
    message: str


@dataclass
class ImportResult:
    kind: str = ""
    dry_run: bool = False
    rows: int = 0
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    saved: bool = False

    def add_problem(self, problem: Problem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_LISTED:
            self.problems.append(problem)

    def count(self, record: str, outcome: Outcome) -> None:
        self.counts.setdefault(record, Counter())[outcome.value] += 1

    def totals(self) -> dict[str, dict[str, int]]:
        return {record: {o.value: counter[o.value] for o in Outcome} for record, counter in self.counts.items()}

    def labelled_totals(self) -> list[tuple[str, dict[str, int]]]:
        return [(record_label(record), totals) for record, totals in self.totals().items()]


def _match_header(header: list[Cell], kind: Kind) -> tuple[dict[int, str], list[Problem]]:
    """Which column index holds which column; problems for unknown, repeated and missing headers."""
    by_name = {name: column for column in kind.columns for name in header_names(column)}
    positions: dict[int, str] = {}
    problems: list[Problem] = []
    for index, cell in enumerate(header):
        text = normalise_header(cell.text)
        if not text:
            continue
        column = by_name.get(text)
        if column is None:
            problems.append(Problem(1, cell.text, cell.text, _("Unknown column; use the template's headers.")))
        elif column.key in positions.values():
            problems.append(Problem(1, cell.text, cell.text, _("This column appears twice.")))
        elif not column.ignored:
            positions[index] = column.key
    for column in kind.columns:
        if column.required and column.key not in positions.values():
            problems.append(Problem(1, str(column.label), "", _("A required column is missing.")))
    return positions, problems


def detect_kind(header: list[Cell]) -> Kind | None:
    """The kind whose required columns the header has, the one matching most columns when several do."""
    texts = {normalise_header(cell.text) for cell in header}
    best: tuple[int, Kind | None] = (0, None)
    for kind in KINDS.values():
        if not all(header_names(column) & texts for column in kind.columns if column.required):
            continue
        matched = sum(1 for column in kind.columns if header_names(column) & texts)
        if matched > best[0]:
            best = (matched, kind)
    return best[1]


def _label(kind: Kind, key: str) -> str:
    for column in kind.columns:
        if column.key == key:
            return str(column.label)
    return key


def _row_problems(kind: Kind, number: int, values: dict[str, str], error: Exception) -> list[Problem]:
    if isinstance(error, CellError):
        return [Problem(number, _label(kind, error.column), values.get(error.column, ""), error.message)]
    assert isinstance(error, ValidationError)
    found = []
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            key = kind.field_columns.get(name, kind.field_columns.get("__all__", name))
            for message in messages:
                found.append(Problem(number, _label(kind, key), values.get(key, ""), message))
    else:
        key = kind.field_columns.get("__all__", "")
        for message in error.messages:
            found.append(Problem(number, _label(kind, key), values.get(key, ""), message))
    return found


def records_import(
    *,
    stream: IO[bytes],
    name: str,
    actor: Actor,
    district: District,
    sites: QuerySet[Site],
    kinds: list[str],
    kind: str | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Import one file of `kind` (found from the header when not given) into `district`, writing only to
    `sites` (the importer's scope) and only kinds in `kinds` (what the importer may import)."""
    result = ImportResult(dry_run=dry_run)
    batch: ImportBatch | None = None
    try:
        stream_rows = rows(stream, name=name)
        header = next(stream_rows, None)
        if header is None:
            raise FileRefused(_("The file is empty."))
        chosen = KINDS.get(kind) if kind else detect_kind(header)
        if chosen is None:
            raise FileRefused(
                _("The columns do not match any template; download a template and copy the rows into it.")
            )
        result.kind = chosen.key
        if chosen.key not in kinds:
            raise FileRefused(_("You may not import this kind of records."))
        if chosen.key == "visits" and actor.user is None:
            # The record book keeps who recorded each visit: a person, never the system.
            raise FileRefused(_("Visits are recorded by a person: name the user who records them."))
        positions, problems = _match_header(header, chosen)
        for problem in problems:
            result.add_problem(problem)
        if problems:
            return result
        if chosen.batched:
            batch = ImportBatch(user=actor.user)
            actor = Actor(user=actor.user, address=actor.address, batch=batch)
        context = Context(actor=actor, district=district, sites=sites, batch=batch)
        seen: dict[bytes, int] = {}
        with transaction.atomic():
            # Each district-month the file touched is recomputed once, after the last rows are written.
            with figures_deferred() as touched:
                for number, cells in enumerate(stream_rows, start=2):
                    _import_row(chosen, number, cells, positions, context, seen, result)
                    if batch is not None:
                        batch.flush()
                if batch is not None:
                    batch.flush(force=True)
                result.saved = not dry_run and result.problem_count == 0
                if not result.saved:
                    touched.clear()
            if not result.saved:
                transaction.set_rollback(True)
    except FileRefused as refused:
        result.add_problem(Problem(0, "", name, str(refused)))
    audit(
        action=IMPORT_ACTIONS.get(result.kind, AuditAction.IMPORT_VISITS),
        actor=Actor(user=actor.user, address=actor.address),
        summary=name[:100],
        changes={
            "kind": result.kind,
            "dry_run": dry_run,
            "saved": result.saved,
            "rows": result.rows,
            "counts": result.totals(),
            "problems": result.problem_count,
            # A batched import writes this one entry for its records: how many of each action, and how many
            # of them were entered late (older than settings.LATE_ENTRY_DAYS when imported).
            **(
                {"records": dict(batch.audited), **({"entered_late": batch.entered_late} if batch.entered_late else {})}
                if batch is not None
                else {}
            ),
        },
    )
    return result


def _import_row(
    kind: Kind,
    number: int,
    cells: list[Cell],
    positions: dict[int, str],
    context: Context,
    seen: dict[bytes, int],
    result: ImportResult,
) -> None:
    values: dict[str, str] = {}
    for index, key in positions.items():
        cell = cells[index] if index < len(cells) else Cell("")
        if cell.formula:
            result.add_problem(
                Problem(number, _label(kind, key), cell.text, _("Formulas are not imported; enter the value itself."))
            )
            return
        values[key] = cell.text
    if not any(values.values()):
        return  # a blank row
    result.rows += 1
    digest = hashlib.blake2b(
        "\x1f".join(values.get(key, "") for key in sorted(values)).encode(), digest_size=16
    ).digest()
    if digest in seen:
        result.add_problem(Problem(number, "", "", _("The same as row %(row)s.") % {"row": seen[digest]}))
        return
    seen[digest] = number
    for column in kind.columns:
        if column.required and not values.get(column.key, "").strip():
            result.add_problem(Problem(number, str(column.label), "", _("This column must be filled.")))
            return
    batch = context.batch
    if batch is not None:
        batch.row_started()
    try:
        with transaction.atomic():
            for record, outcome in kind.handle(values, context):
                result.count(record, outcome)
    except (CellError, ValidationError) as error:
        if batch is not None:
            batch.row_failed()
        for problem in _row_problems(kind, number, values, error):
            result.add_problem(problem)
    except PermissionDenied as error:
        if batch is not None:
            batch.row_failed()
        result.add_problem(Problem(number, "", "", str(error) or _("You may not import this kind of records.")))
