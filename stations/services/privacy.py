"""A voter's rights over their data: export and anonymisation on request (PIPL art. 45 and 47)."""

from __future__ import annotations

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
from stations.models import AuditAction, Opinion, Visit
from stations.phones import normalise_phone
from stations.privacy import mask_phone
from stations.selectors.privacy import VoterRecords, phone_variants, voter_opinions, voter_visits

# The fields that identify a voter, per model. Everything else (dates, sites, numbers of people,
# categories, states, the text of what was raised) stays: the statistics are made of it.
PERSONAL_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Visit: ("visitor_name", "visitor_phone"),
    Opinion: ("submitter_name", "submitter_phone", "submitter_email"),
}


@dataclass(frozen=True)
class AnonymiseResult:
    visits: int
    opinions: int
    history_rows: int


def _erase(
    model: type[models.Model], rows: models.QuerySet[Any], phone_field: str, variants: list[str]
) -> tuple[int, int]:
    """Blank the personal fields on the current rows and on every historical version of them (and on any
    historical version that carried the number, even if the record was later corrected)."""
    fields = PERSONAL_FIELDS[model]
    ids = list(rows.values_list("pk", flat=True))
    # A plain UPDATE: no new history row, no signals; the audit entry below records the act.
    current = model._default_manager.filter(pk__in=ids).update(**dict.fromkeys(fields, ""))
    history_rows = 0
    history = getattr(model, "history", None)
    if history is not None:
        kept = {field.name for field in history.model._meta.get_fields()}
        erased = [name for name in fields if name in kept]
        if erased:
            match = Q(id__in=ids)
            if phone_field in kept:
                match |= Q(**{f"{phone_field}__in": variants})
            history_rows = history.model.objects.filter(match).update(**dict.fromkeys(erased, ""))
    return current, history_rows


@transaction.atomic
def voter_anonymise(*, phone: str, actor: Actor, reason: str) -> AnonymiseResult:
    """Erase a voter's name, phone and e-mail from every visit and opinion that carries the phone number,
    history included. Counts, dates, places and what was raised are kept, so every figure stays the same."""
    normalised = normalise_phone(phone)
    if not normalised:
        raise ValidationError({"phone": _("Enter the voter's phone number.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the data is erased (for example the voter's request of a date).")})
    variants = phone_variants(normalised)
    visits, visit_history = _erase(Visit, voter_visits(phone=normalised), "visitor_phone", variants)
    opinions, opinion_history = _erase(Opinion, voter_opinions(phone=normalised), "submitter_phone", variants)
    result = AnonymiseResult(visits=visits, opinions=opinions, history_rows=visit_history + opinion_history)
    audit(
        action=AuditAction.VOTER_ANONYMISED,
        actor=actor,
        changes={
            "phone": mask_phone(normalised),
            "visits": result.visits,
            "opinions": result.opinions,
            "history_rows": result.history_rows,
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
            "phone": mask_phone(normalise_phone(phone)),
            "visits": len(records.visits),
            "opinions": len(records.opinions),
        },
    )
    return content
