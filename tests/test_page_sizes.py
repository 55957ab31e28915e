"""Pages that stay the same size and do the same work however large the network grows (issue 15).

Each page is fetched on a network of 300 sites and on one of 1,500 (five times as many stations, rooms, deputies
and receptions that day): past one page of anything, neither the HTML nor the number of queries may grow. Run with
`-s` to print the sizes and query counts (the README's "Large networks" table comes from it).
"""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from stations.models import Site, SiteKind
from tests.conftest import analyze_as_owner
from tests.factories_rosters import many_sites_with_shifts

# Committed rows, then ANALYZE (below): the pages are measured under the planner statistics a real database has.
# Inside a test's transaction the bulk rows were invisible to statistics, and PostgreSQL planned a day's shifts
# or a count of deputies as nested loops over tables it believed tiny: minutes in CI, depending on which tests
# had run before on the same worker.
pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

ROOMS_PER_STATION = 9  # 10 sites a station
SMALL, LARGE = 30, 150  # stations: 300 and 1,500 sites
# What may differ between the two sizes: digits of counts ("第 1 页，共 2 页" against "共 10 页") and the like.
SLACK_BYTES = 600
LIMIT_BYTES = 100_000


def _day() -> dt.date:
    today = timezone.localdate()
    first_of_next = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return today.replace(day=20) if today.day <= 20 else first_of_next.replace(day=20)


def _public_pages(day: dt.date) -> dict[str, str]:
    return {
        "/sites/": reverse("stations:site_list"),
        "/sites/?q=室": reverse("stations:site_list") + "?q=室",
        "/schedule/": reverse("stations:schedule"),
        "/schedule/?town=": reverse("stations:schedule") + "?town=bulk-station-1",
        "/schedule/?date=": reverse("stations:schedule") + f"?date={day.isoformat()}",
        "/schedule/?date=&page=2": reverse("stations:schedule") + f"?date={day.isoformat()}&page=2",
        "/deputies/": reverse("stations:deputy_list"),
        "/deputies/?site=": reverse("stations:deputy_list") + "?site=站1",
        "/opinions/new/": reverse("stations:opinion_create"),
        "/opinions/new/?q=": reverse("stations:opinion_create") + "?q=镇1",
    }


STAFF_PAGES = {
    "/staff/visits/": reverse("stations:visit_list"),
    "/staff/opinions/": reverse("stations:staff_opinion_list"),
}


def _measure(client: Client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(response.content), len(queries)


def _network(district, stations: int) -> dt.date:
    day = _day()
    many_sites_with_shifts(
        district, day=day, stations=stations, rooms_per_station=ROOMS_PER_STATION, deputies_per_site=1
    )
    Site.objects.filter(kind=SiteKind.STATION).update(is_online=True)  # every room takes opinions online too
    analyze_as_owner()
    return day


@pytest.fixture
def sizes(district, dana_client):
    """{page: ((bytes, queries) at 300 sites, (bytes, queries) at 1,500 sites)}, measured in one test database."""
    measured: dict[str, list[tuple[int, int]]] = {}
    staff = dana_client
    for stations in (SMALL, LARGE):
        day = _network(district, stations) if stations == SMALL else _grow(district, SMALL, LARGE)
        for name, url in _public_pages(day).items():
            measured.setdefault(name, []).append(_measure(Client(), url))
        for name, url in STAFF_PAGES.items():
            measured.setdefault(name, []).append(_measure(staff, url))
    return measured


def _grow(district, small: int, large: int) -> dt.date:
    """Turn the small network into the large one: every table five times the size."""
    from stations.models import Assignment, Deputy, Duty, DutyShift, Roster

    Duty.objects.all().delete()
    DutyShift.objects.all().delete()
    Roster.objects.all().delete()
    Assignment.objects.all().delete()
    Deputy.objects.all().delete()
    Site.objects.exclude(kind=SiteKind.STATION).delete()
    Site.objects.all().delete()
    return _network(district, large)


def test_public_and_staff_pages_do_not_grow_with_the_network(sizes):
    print()
    print(f"{'page':28} {'bytes 300':>10} {'bytes 1500':>10} {'queries 300':>12} {'queries 1500':>13}")
    for name, ((small_bytes, small_queries), (large_bytes, large_queries)) in sizes.items():
        print(f"{name:28} {small_bytes:>10} {large_bytes:>10} {small_queries:>12} {large_queries:>13}")
    for name, ((small_bytes, small_queries), (large_bytes, large_queries)) in sizes.items():
        assert large_bytes < LIMIT_BYTES, name
        assert large_bytes <= small_bytes + SLACK_BYTES, (name, small_bytes, large_bytes)
        assert large_queries <= small_queries, (name, small_queries, large_queries)
