"""Pagination for lists that grow with the network: one owner for page sizes and for the bounded count.

A plain Paginator counts every matching row on every page view (a scan of 2,000,000 visits for the record book
at province scale). BoundedPaginator counts at most `max_count` rows (a LIMIT inside the count), so a page costs
the same whatever the table holds; past that a list says "more than N" and asks for a narrower search.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

# How many rows any list counts before it says "more than": 40 pages of 25.
MAX_COUNT = 1000
# The most visits one export of the record book holds. An export is built in the request (about 1 ms a row for
# CSV, 2.5 ms for XLSX at full size: `scripts/profile_pages.py`'s machine), and gunicorn ends a request after 30 s;
# a province's unfiltered book (2,000,000 visits) took 10 minutes and 1.5 GB. Beyond it the book asks for a
# narrower export (a site, a period): a month of a large district fits.
EXPORT_LIMIT = 5000
# A <select> holds at most this many options; a longer choice is a search field or a list of pages instead.
SELECT_LIMIT = 100


class BoundedPaginator(Paginator):
    def __init__(
        self,
        object_list: Any,
        per_page: int,
        *,
        max_count: int = MAX_COUNT,
        known_count: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.max_count = max_count
        self.known_count = known_count

    @cached_property
    def _bounded(self) -> tuple[int, bool]:
        if self.known_count is not None:  # counted already (a figure the page shows anyway)
            return self.known_count, False
        rows = self.object_list
        # The count drops the list's ordering: sorting (and the joins it needs) changes nothing in a count, and
        # on PostgreSQL a count ordered by a joined table's columns was planned as nested loops over every row.
        found = rows.order_by()[: self.max_count + 1].count() if isinstance(rows, QuerySet) else len(rows)
        return min(found, self.max_count), found > self.max_count

    @cached_property
    def count(self) -> int:
        return self._bounded[0]

    @property
    def more(self) -> bool:
        """More rows match than were counted: the last page is not the end of the list."""
        return self._bounded[1]


def bounded_page(
    object_list: Any, per_page: int, number: Any, *, max_count: int = MAX_COUNT, known_count: int | None = None
) -> Page:
    """The page asked for (`?page=`; a bad or too large number gives the nearest page), counted up to max_count."""
    paginator = BoundedPaginator(object_list, per_page, max_count=max_count, known_count=known_count)
    return paginator.get_page(number)


def bounded_count(rows: QuerySet[Any], *, max_count: int = MAX_COUNT) -> tuple[int, bool]:
    """How many rows match, counted up to max_count (a LIMIT inside the count), and whether more do: for a
    figure a page shows beside a few of the rows ("25 of more than 1,000")."""
    found = rows.order_by()[: max_count + 1].count()
    return min(found, max_count), found > max_count
