"""A voter's records, found by phone number (the right to see one's own data, PIPL art. 45).

Numbers are matched on their canonical digits (stations.phones), so a record stored as 0573-82345678, with
+86 or 0086, or with spaces, is found whichever way the number is typed into the search.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from stations.models import Opinion, Visit
from stations.phones import canonical_phone, phone_field_pattern


def phone_field_regex(phone: str) -> str:
    """The pattern that finds the number in a phone field however it was stored; "" for no number."""
    canonical = canonical_phone(phone)
    return phone_field_pattern(canonical) if canonical else ""


@dataclass(frozen=True)
class VoterRecords:
    visits: list[Visit]
    opinions: list[Opinion]

    def __bool__(self) -> bool:
        return bool(self.visits or self.opinions)


def voter_visits(*, phone: str) -> QuerySet[Visit]:
    pattern = phone_field_regex(phone)
    return Visit.objects.filter(visitor_phone__regex=pattern) if pattern else Visit.objects.none()


def voter_opinions(*, phone: str) -> QuerySet[Opinion]:
    pattern = phone_field_regex(phone)
    return Opinion.objects.filter(submitter_phone__regex=pattern) if pattern else Opinion.objects.none()


def voter_records(*, phone: str) -> VoterRecords:
    """Every visit and opinion that carries the number, archived ones included: two queries."""
    visits = voter_visits(phone=phone).select_related("site", "area").order_by("-occurred_at", "-pk")
    opinions = voter_opinions(phone=phone).select_related("site", "handling_body").order_by("-registered_at", "-pk")
    return VoterRecords(visits=list(visits), opinions=list(opinions))
