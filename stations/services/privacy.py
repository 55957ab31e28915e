"""A voter's rights over their data: export and anonymisation on request (PIPL art. 45 and 47)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from openpyxl import Workbook

from stations.audit import Actor, audit
from stations.clock import local_time
from stations.exports import xlsx_append, xlsx_bytes
from stations.models import AuditAction, Opinion, OpinionEvent, Visit
from stations.phones import canonical_phone, phone_variants_pattern
from stations.privacy import mask_phone
from stations.selectors.privacy import (
    VoterRecords,
    phone_field_matches,
    text_matches,
    voter_opinions,
    voter_visits,
)

# The fields that identify a voter, per model. Everything else (dates, sites, numbers of people,
# categories, states) stays: the statistics are made of it.
PERSONAL_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Visit: ("visitor_name", "visitor_phone"),
    Opinion: ("submitter_name", "submitter_phone", "submitter_email"),
}
# Free text where staff or the voter may have typed the number, per model (their history tables hold the same
# fields): only the number is replaced there, the rest of what was raised stays.
FREE_TEXT_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Visit: ("summary", "area_text"),
    Opinion: ("content", "reply"),
    OpinionEvent: ("note",),
}


@dataclass(frozen=True)
class AnonymiseResult:
    visits: int
    opinions: int
    history_rows: int
    texts: int = 0  # rows (current and historical) whose free text held the number


def _history_model(model: type[models.Model]) -> type[models.Model] | None:
    history = getattr(model, "history", None)
    return history.model if history is not None else None


def _erase(model: type[models.Model], rows: models.QuerySet[Any], phone_field: str, phone: str) -> tuple[int, int]:
    """Blank the personal fields on the current rows and on every historical version of them (and on any
    historical version that carried the number, however written, even if the record was later corrected)."""
    fields = PERSONAL_FIELDS[model]
    ids = list(rows.values_list("pk", flat=True))
    # A plain UPDATE: no new history row, no signals; the audit entry below records the act.
    current = model._default_manager.filter(pk__in=ids).update(**dict.fromkeys(fields, ""))
    history_rows = 0
    historical = _history_model(model)
    if historical is not None:
        kept = {field.name for field in historical._meta.get_fields()}
        erased = [name for name in fields if name in kept]
        if erased:
            match = Q(id__in=ids)
            if phone_field in kept:
                match |= phone_field_matches(phone_field, phone)
            history_rows = historical._default_manager.filter(match).update(**dict.fromkeys(erased, ""))
    return current, history_rows


def _redact_free_text(model: type[models.Model], canonical: str, marker: str) -> int:
    """Replace the number, however written, with the marker in the model's free text and in its history's,
    wherever it stands (another voter's record may quote it too); the number of rows rewritten."""
    found = re.compile(phone_variants_pattern(canonical))
    rewritten = 0
    for target in (model, _history_model(model)):
        if target is None:
            continue
        names = {field.name for field in target._meta.get_fields()}
        fields = [name for name in FREE_TEXT_FIELDS[model] if name in names]
        match = Q()
        for name in fields:
            match |= text_matches(name, canonical)
        manager = target._default_manager
        for row in manager.filter(match).values("pk", *fields):
            # Row by row: a database's regexp_replace would differ between SQLite and PostgreSQL; these are few.
            manager.filter(pk=row["pk"]).update(**{name: found.sub(marker, row[name] or "") for name in fields})
            rewritten += 1
    return rewritten


@transaction.atomic
def voter_anonymise(*, phone: str, actor: Actor, reason: str) -> AnonymiseResult:
    """Erase a voter's name, phone and e-mail from every visit and opinion that carries the phone number,
    however it was written, history included, and the number itself wherever it was typed into free text
    (summaries, opinions, replies, handling notes and their history). Counts, dates, places, categories and
    the rest of what was raised are kept, so every figure stays the same."""
    canonical = canonical_phone(phone)
    if not canonical:
        raise ValidationError({"phone": _("Enter the voter's phone number.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the data is erased (for example the voter's request of a date).")})
    visits, visit_history = _erase(Visit, voter_visits(phone=canonical), "visitor_phone", canonical)
    opinions, opinion_history = _erase(Opinion, voter_opinions(phone=canonical), "submitter_phone", canonical)
    marker = _("[number erased]")
    texts = sum(_redact_free_text(model, canonical, marker) for model in FREE_TEXT_FIELDS)
    result = AnonymiseResult(
        visits=visits, opinions=opinions, history_rows=visit_history + opinion_history, texts=texts
    )
    audit(
        action=AuditAction.VOTER_ANONYMISED,
        actor=actor,
        changes={
            "phone": mask_phone(canonical),
            "visits": result.visits,
            "opinions": result.opinions,
            "history_rows": result.history_rows,
            "texts": result.texts,
            "reason": reason.strip()[:200],
        },
    )
    return result


def voter_export_xlsx(*, phone: str, records: VoterRecords, actor: Actor) -> bytes:
    """The voter's records as a workbook (one sheet for visits, one for opinions); the export is recorded."""
    book = Workbook()
    visits = book.worksheets[0]
    visits.title = _("Visits")[:31]
    visits.append(
        [_("Date"), _("Site"), _("Name"), _("Phone"), _("Village or community"), _("People"), _("Topic"), _("Summary")]
    )
    for visit in records.visits:
        row = [
            local_time(visit.occurred_at).strftime("%Y-%m-%d %H:%M"),
            visit.site.name,
            visit.visitor_name,
            visit.visitor_phone,
            visit.village,
            visit.people,
            visit.get_category_display(),
            visit.summary,
        ]
        xlsx_append(visits, row)
    opinions = book.create_sheet(_("Opinions")[:31])
    opinions.append(
        [_("Reference"), _("Registered"), _("Site"), _("Name"), _("Phone"), _("E-mail"), _("Content"), _("State")]
    )
    for opinion in records.opinions:
        row = [
            opinion.reference,
            local_time(opinion.registered_at).strftime("%Y-%m-%d %H:%M"),
            opinion.site.name,
            opinion.submitter_name,
            opinion.submitter_phone,
            opinion.submitter_email,
            opinion.content,
            opinion.get_state_display(),
        ]
        xlsx_append(opinions, row)
    content = xlsx_bytes(book)
    audit(
        action=AuditAction.VOTER_EXPORTED,
        actor=actor,
        changes={
            "phone": mask_phone(canonical_phone(phone)),
            "visits": len(records.visits),
            "opinions": len(records.opinions),
        },
    )
    return content
