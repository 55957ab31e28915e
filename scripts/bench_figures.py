#!/usr/bin/env python
"""Time the statistics selectors on a generated province (scripts/gen_province.py), and show their plans.

    . the DATABASE_URL of the generated province
    .venv/bin/python scripts/bench_figures.py            # median of 5 runs per case, in ms
    .venv/bin/python scripts/bench_figures.py --explain  # EXPLAIN (ANALYZE, BUFFERS) of each query of a
                                                         # district-year headline and the province's

Read-only: it only runs the selectors' queries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")


def cases() -> list[tuple[str, Callable[[], Any]]]:
    from stations.clock import local_today
    from stations.models import District, Site
    from stations.selectors.stats import (
        Period,
        Scope,
        breakdown,
        districts_figures,
        headline,
        province_headline,
        stations_figures,
    )

    district = District.objects.order_by("name").first()
    assert district is not None, "generate a province first (scripts/gen_province.py)"
    station = Site.objects.filter(district=district, kind="station").order_by("pk").first()
    assert station is not None
    year = Period.year(local_today().year)
    in_district, at_station = Scope.for_district(district), Scope.for_station(station)
    return [
        ("headline · district · year", lambda: headline(scope=in_district, period=year)),
        ("headline · station · year", lambda: headline(scope=at_station, period=year)),
        ("headline · province · year", lambda: province_headline(period=year)),
        ("breakdown by station · district · year", lambda: breakdown(scope=in_district, period=year, by="station")),
        ("breakdown by month · district · year", lambda: breakdown(scope=in_district, period=year, by="month")),
        ("breakdown by site · station · year", lambda: breakdown(scope=at_station, period=year, by="site")),
        ("/stats/ before: a district's headline + stations", lambda: stations_figures(district=district, period=year)),
        ("/stats/ data: every district + its stations", lambda: districts_figures(period=year)),
    ]


def timed(case: Callable[[], Any], runs: int) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case()  # warm the connection and the caches
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            case()
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), len(queries)


def explain(label: str, case: Callable[[], Any]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        case()
    print(f"\n=== {label}: {len(queries)} queries")
    for n, query in enumerate(queries.captured_queries, 1):
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
            plan = [row[0] for row in cursor.fetchall()]
        print(f"--- query {n}: {query['sql'][:160]}…")
        print("\n".join(plan))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    import django

    django.setup()
    from django.db import connection

    from stations.models import District, Opinion, Site, Visit

    print(
        f"{connection.vendor}: {District.objects.count()} districts, {Site.objects.count()} sites, "
        f"{Visit.objects.count()} visits, {Opinion.objects.count()} opinions · median of {args.runs} runs"
    )
    if args.explain:
        for label, case in cases()[:3]:
            explain(label, case)
        return
    for label, case in cases():
        ms, queries = timed(case, args.runs)
        print(f"{label:<52} {ms:9.1f} ms {queries:4d} queries")


if __name__ == "__main__":
    main()
