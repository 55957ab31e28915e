"""Pages of a list: a bounded page size, stable order (every list orders by a unique key last), and the
addresses of the next and previous pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from stations.paging import bounded_count

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
# A page number beyond any real list (10,000 sites at one per page); bigger numbers are refused as input.
MAX_PAGE = 100_000


@dataclass(frozen=True)
class Window:
    count: int
    page: int
    page_size: int
    # False when the list holds more than `count` items: lists are counted only so far (see counted_window).
    exact: bool = True

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    @property
    def stop(self) -> int:
        return self.offset + self.page_size

    @property
    def has_next(self) -> bool:
        return self.stop < self.count or not self.exact


def window(*, count: int, page: int, page_size: int, exact: bool = True) -> Window:
    """The slice of a list of `count` items to answer; a page past the end is a 404 (the first page never is)."""
    found = Window(count=count, page=page, page_size=page_size, exact=exact)
    if page > 1 and found.offset >= count:
        raise Http404(_("There is no page %(page)d.") % {"page": page})
    return found


def count_limit(*, page: int, page_size: int, before: int = 0) -> int:
    """How far to count a list whose first `before` items come from elsewhere: API_COUNT_LIMIT items, or as far as
    the page asked for if that is further (so a deep page still knows whether it is the last)."""
    return max(settings.API_COUNT_LIMIT, page * page_size - before)


def counted_window(rows: QuerySet[Any], *, page: int, page_size: int, before: int = 0) -> Window:
    """The window of a list counted only so far (issue 15): an exact count of a province's 1,000,000 opinions or
    its mandates scanned every row on each request (150-200 ms at full size), while a reader paging through needs
    only to know whether a next page exists. `before` items (e.g. the congresses ahead of the sites) precede
    the rows."""
    found, more = bounded_count(rows, max_count=count_limit(page=page, page_size=page_size, before=before))
    return window(count=before + found, page=page, page_size=page_size, exact=not more)


def _page_url(request: HttpRequest, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def envelope(request: HttpRequest, found: Window, results: list[Any]) -> dict[str, Any]:
    return {
        "count": found.count,
        "count_exact": found.exact,
        "page": found.page,
        "page_size": found.page_size,
        "next": _page_url(request, found.page + 1) if found.has_next else None,
        "previous": _page_url(request, found.page - 1) if found.page > 1 else None,
        "results": results,
    }


def link_header(request: HttpRequest, found: Window) -> str:
    """RFC 8288 links for lists whose body is a bare array (Open311's)."""
    links = []
    if found.has_next:
        links.append(f'<{_page_url(request, found.page + 1)}>; rel="next"')
    if found.page > 1:
        links.append(f'<{_page_url(request, found.page - 1)}>; rel="prev"')
    return ", ".join(links)
