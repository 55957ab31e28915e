"""A voter's records, found by phone number (the right to see one's own data, PIPL art. 45).

Numbers are matched on their canonical digits (stations.phones), so a record stored as 0573-82345678, with
+86 or 0086, or with spaces, is found whichever way the number is typed into the search.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F, Lookup, Q, QuerySet, Value

from stations.models import Opinion, Site, Visit
from stations.phones import (
    canonical_phone,
    phone_field_pattern,
    phone_field_tails,
    phone_like_patterns,
    phone_variants_pattern,
)


def phone_field_matches(field: str, phone: str) -> Q:
    """Rows whose phone field holds the number however it was stored. The plain substring test on the last
    digits goes first so that the database runs the pattern on a few rows, not on the whole table (SQLite calls
    into Python for each). A number without digits matches nothing."""
    canonical = canonical_phone(phone)
    if not canonical:
        return Q(pk__in=[])
    ascii_tail, wide_tail = phone_field_tails(canonical)
    tails = Q(**{f"{field}__contains": ascii_tail}) | Q(**{f"{field}__contains": wide_tail})
    return tails & Q(**{f"{field}__regex": phone_field_pattern(canonical)})


class _Like(Lookup):  # type: ignore[type-arg]  # generic only in the stubs
    """A plain SQL LIKE with the wildcards given (Django's contains escapes them): the same in SQLite and
    PostgreSQL, and evaluated in C, where a REGEXP on SQLite calls into Python for every row."""

    lookup_name = "like"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *rhs_params]


def text_matches(field: str, canonical: str) -> Q:
    """Rows whose free text `field` holds the number written any way: its digits in order (LIKE, cheap), then
    the pattern that says they really are that number."""
    ascii_like, wide_like = phone_like_patterns(canonical)
    maybe = Q(_Like(F(field), Value(ascii_like))) | Q(_Like(F(field), Value(wide_like)))
    return maybe & Q(**{f"{field}__regex": phone_variants_pattern(canonical)})


@dataclass(frozen=True)
class VoterRecords:
    visits: list[Visit]
    opinions: list[Opinion]

    def __bool__(self) -> bool:
        return bool(self.visits or self.opinions)


def voter_visits(*, phone: str) -> QuerySet[Visit]:
    return Visit.objects.filter(phone_field_matches("visitor_phone", phone))


def voter_opinions(*, phone: str) -> QuerySet[Opinion]:
    return Opinion.objects.filter(phone_field_matches("submitter_phone", phone))


def voter_records(*, phone: str, sites: QuerySet[Site] | None = None) -> VoterRecords:
    """Every visit and opinion that carries the number, archived ones included: two queries. With `sites`
    (the administrator's scope, policy.visible_sites), only the records of those sites."""
    visits = voter_visits(phone=phone).select_related("site", "area").order_by("-occurred_at", "-pk")
    opinions = voter_opinions(phone=phone).select_related("site", "handling_body").order_by("-registered_at", "-pk")
    if sites is not None:
        visits, opinions = visits.filter(site__in=sites), opinions.filter(site__in=sites)
    return VoterRecords(visits=list(visits), opinions=list(opinions))
