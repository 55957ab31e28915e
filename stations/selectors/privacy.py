"""A voter's records, found by phone number (the right to see one's own data, PIPL art. 45)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from stations.models import Opinion, Visit
from stations.phones import normalise_phone


def phone_variants(phone: str) -> list[str]:
    """The ways one number may have been stored: as normalised by the forms, with +86, without hyphen."""
    normalised = normalise_phone(phone)
    if not normalised:
        return []
    variants = {normalised, f"+86{normalised}", normalised.replace("-", "")}
    return sorted(variants)


@dataclass(frozen=True)
class VoterRecords:
    visits: list[Visit]
    opinions: list[Opinion]

    def __bool__(self) -> bool:
        return bool(self.visits or self.opinions)


def voter_visits(*, phone: str) -> QuerySet[Visit]:
    return Visit.objects.filter(visitor_phone__in=phone_variants(phone))


def voter_opinions(*, phone: str) -> QuerySet[Opinion]:
    return Opinion.objects.filter(submitter_phone__in=phone_variants(phone))


def voter_records(*, phone: str) -> VoterRecords:
    """Every visit and opinion that carries the number, archived ones included: two queries."""
    visits = voter_visits(phone=phone).select_related("site", "area").order_by("-occurred_at", "-pk")
    opinions = voter_opinions(phone=phone).select_related("site", "handling_body").order_by("-registered_at", "-pk")
    return VoterRecords(visits=list(visits), opinions=list(opinions))
