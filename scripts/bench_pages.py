#!/usr/bin/env python
"""The public pages and API feeds at province scale: bytes, queries and single-request time (issue 15).

    export DATABASE_URL=postgres://liaison:liaison@127.0.0.1:5432/liaison_i15_full
    .venv/bin/python scripts/bench_pages.py                 # the table
    .venv/bin/python scripts/bench_pages.py --explain       # and EXPLAIN (ANALYZE, BUFFERS) of every query of a miss

In one process, through Django's test client (no network, no gunicorn), on the database DATABASE_URL names
(a province made by scripts/gen_province.py). For each page: the first request after the page cache is emptied
("first": the database's own buffers may still be warm from the page before; nothing here can empty those on a
shared machine), the median of --runs misses (the cache emptied before each) and of --runs hits, the queries of a
miss and of a hit, and the HTML's size. The cache is this process's memory unless --cache-url names another, so
that a miss counts only the page's own queries. A page over 100 KB or a miss over --max-queries queries is marked "!".
`--explain` prints each miss query's plan time and every sequential scan over a table that grows with the
province (sites, deputies, their mandates and assignments, rosters, shifts, duties, visits, opinions).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LIMIT_BYTES = 100 * 1024
GROWING = (
    "stations_site",
    "stations_deputy",
    "stations_mandate",
    "stations_assignment",
    "stations_roster",
    "stations_dutyshift",
    "stations_duty",
    "stations_visit",
    "stations_visitdeputy",
    "stations_opinion",
    "stations_opinionevent",
)
SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")


def pages() -> dict[str, str]:
    """The pages to measure, named after what they show, with real slugs from the province."""
    from django.urls import reverse

    from stations.clock import local_today
    from stations.models import Deputy, District, Opinion, Region, Site

    district = District.objects.order_by("pk").first()
    assert district is not None, "no province here: run scripts/gen_province.py first"
    station = Site.objects.active().stations().filter(district=district).order_by("pk").first()
    room = Site.objects.active().filter(district=district, kind="room").order_by("pk").first()
    deputy = Deputy.objects.active().filter(district=district).order_by("pk").first()
    assert station is not None and room is not None and deputy is not None
    city = Region.objects.filter(level="city").order_by("pk").first()
    province = Region.objects.filter(parent__isnull=True).order_by("pk").first()
    today = local_today()
    # What a voter was given (gen_province makes them from the opinion's number).
    tracking = Opinion.objects.order_by("pk").values_list("tracking_code", flat=True).first()
    twentieth = (
        today.replace(day=20) if today.day <= 20 else (today.replace(day=1) + dt.timedelta(days=31)).replace(day=20)
    )
    schedule = reverse("stations:schedule")
    api = "/api/v1"
    found: dict[str, str] = {
        "/": reverse("stations:home"),
        "/sites/": reverse("stations:site_list"),
        "/sites/?q=第3村": f"{reverse('stations:site_list')}?q=第3村",
    }
    if province is not None:
        found["a province's region page"] = province.get_absolute_url()
    if city is not None:
        found["a city's region page"] = city.get_absolute_url()
    if district.region is not None:
        found["a district's region page"] = district.region.get_absolute_url()
    found |= {
        "a station's page": reverse("stations:site_detail", args=[station.slug]),
        "a room's page": reverse("stations:site_detail", args=[room.slug]),
        "/schedule/": schedule,
        "/schedule/?town=<station>": f"{schedule}?town={station.slug}",
        "/schedule/?district=<d>": f"{schedule}?district={district.slug}",
        "/schedule/?site=<room>": f"{schedule}?site={room.slug}",
        f"/schedule/?date={twentieth}": f"{schedule}?date={twentieth}",
        f"/schedule/?date={twentieth}&district": f"{schedule}?date={twentieth}&district={district.slug}",
        "/deputies/": reverse("stations:deputy_list"),
        f"/deputies/?q={deputy.name}": f"{reverse('stations:deputy_list')}?q={deputy.name}",
        "a deputy's page": reverse("stations:deputy_detail", args=[deputy.slug]),
        "a site's calendar.ics": reverse("stations:site_calendar", args=[station.slug]),
        "/opinions/new/": reverse("stations:opinion_create"),
        "/opinions/new/?district=<d>": f"{reverse('stations:opinion_create')}?district={district.slug}",
        "/opinions/new/?q=第3村": f"{reverse('stations:opinion_create')}?q=第3村",
        "/track/": reverse("stations:track"),
        "a tracking page": reverse("stations:track_detail", args=[tracking]),
        f"/stats/?year={today.year}": f"{reverse('stations:public_stats')}?year={today.year}",
        "api sites": f"{api}/sites",
        "api sites?q=": f"{api}/sites?q=第3村",
        "api shifts": f"{api}/shifts",
        "api shifts?site=": f"{api}/shifts?site={station.slug}",
        f"api figures?year={today.year}": f"{api}/figures?year={today.year}",
        "api popolo persons": f"{api}/popolo/persons",
        "api popolo organizations": f"{api}/popolo/organizations",
        "api popolo memberships": f"{api}/popolo/memberships",
        "api popolo posts": f"{api}/popolo/posts",
        "api open311 services": f"{api}/open311/services.json",
        "api open311 requests": f"{api}/open311/requests.json",
        "api open311 request (tracking code)": f"{api}/open311/requests/{tracking}.json",
    }
    return found


class Queries:
    """The queries run while it is on, with their parameters (CaptureQueriesContext loses them: Django resets
    the connection's log when a request starts)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []
        self.on = False

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if self.on:
            self.seen.append((sql, params))
        return execute(sql, params, many, context)

    def start(self) -> None:
        self.seen, self.on = [], True

    def stop(self) -> list[tuple[str, Any]]:
        self.on = False
        return self.seen


def explain(connection: Any, queries: list[tuple[str, Any]], out: list[str]) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) each SELECT of a miss; note its time and any sequential scan of a growing table."""
    with connection.cursor() as cursor:
        for sql, params in queries:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")) or "portal_cache" in sql:
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            took = re.search(r"Execution Time: ([\d.]+) ms", plan)
            scans = sorted({t for t in SEQ_SCAN.findall(plan) if t in GROWING})
            mark = f"  SEQ SCAN {', '.join(scans)}" if scans else ""
            out.append(f"    {float(took.group(1)) if took else 0:8.2f} ms  {' '.join(sql.split())[:160]}{mark}")
            if scans:
                out.append("\n".join(f"        {line}" for line in plan.splitlines()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="misses and hits timed per page (medians)")
    parser.add_argument("--max-queries", type=int, default=20, help="mark a miss running more queries than this")
    parser.add_argument("--explain", action="store_true", help="print the plans of each miss's queries")
    parser.add_argument(
        "--cache-url",
        default="locmemcache://",
        help="the page cache (default: this process's memory, so that the queries counted are the page's own; "
        "the database cache adds about 20 queries to a miss that makes the tokens and 2 to a hit)",
    )
    parser.add_argument("--only", nargs="*", help="measure only the pages whose label contains one of these")
    parser.add_argument("--skip", nargs="*", help="leave out the pages whose label contains one of these")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
    os.environ["STATICFILES_BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["CACHE_URL"] = args.cache_url

    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; load average {os.getloadavg()}")
    header = "| page | status | KB | queries miss / hit | first ms | miss ms | hit ms | cache |"
    rows = [header, "|---|---|---|---|---|---|---|---|"]
    plans: list[str] = []
    queries = Queries()
    connection.execute_wrappers.append(queries)
    for label, path in pages().items():
        if args.only and not any(word in label for word in args.only):
            continue
        if args.skip and any(word in label for word in args.skip):
            continue
        cache.clear()
        client = Client()
        queries.start()
        started = time.perf_counter()
        response = client.get(path)
        first = time.perf_counter() - started
        first_queries = queries.stop()
        misses, hits = [], []
        hit_count = 0
        for _ in range(args.runs):
            cache.clear()
            started = time.perf_counter()
            client.get(path)
            misses.append(time.perf_counter() - started)
        for _ in range(args.runs):
            queries.start()
            started = time.perf_counter()
            hit = client.get(path)
            hits.append(time.perf_counter() - started)
            hit_count = len(queries.stop())
        size = len(response.content)
        miss_count = len(first_queries)
        warn = "!" if size > LIMIT_BYTES or miss_count > args.max_queries or response.status_code != 200 else ""
        rows.append(
            f"| `{label}`{warn} | {response.status_code} | {size / 1024:.1f} | {miss_count} / {hit_count} | "
            f"{first * 1000:.0f} | {statistics.median(misses) * 1000:.0f} | {statistics.median(hits) * 1000:.1f} | "
            f"{hit.get('X-Cache', '-')} |"
        )
        print(rows[-1], flush=True)
        if args.explain and connection.vendor == "postgresql":
            plans.append(f"{label}  ({path})")
            explain(connection, first_queries, plans)
    print()
    print("\n".join(rows))
    if plans:
        print()
        print("\n".join(plans))


if __name__ == "__main__":
    main()
