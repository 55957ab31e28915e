#!/usr/bin/env python
"""Time the figures on a generated province (scripts/gen_province.py): from the summary cells against the
live aggregation over the records, and what keeping the cells adds to a write.

    . the DATABASE_URL (and DATABASE_OWNER_URL) of the generated province, then once:
    .venv/bin/python manage.py rebuild_figures           # gen_province.py does it at its end
    .venv/bin/python scripts/bench_figures.py            # median of 5 runs per case, in ms, and queries
    .venv/bin/python scripts/bench_figures.py --explain  # EXPLAIN (ANALYZE, BUFFERS) of each query of the
                                                         # province-year headline from the cells

The write cases (a visit recorded through `visit_create`, with and without the recompute of its district-month)
run inside a transaction that is rolled back: the database is left as it was.
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


def cases() -> list[tuple[str, Callable[[bool], Any]]]:
    """(label, run(live))."""
    from stations.clock import local_today
    from stations.models import District
    from stations.selectors.stats import Period, Scope, breakdown, default_scope, headline

    district = District.objects.order_by("name").first()
    assert district is not None, "generate a province first (scripts/gen_province.py)"
    year = Period.year(local_today().year)
    in_district, province = Scope.for_district(district), default_scope()

    def head(scope: Scope) -> Callable[[bool], Any]:
        return lambda live: headline(scope=scope, period=year, live=live)

    def by(scope: Scope, name: str) -> Callable[[bool], Any]:
        return lambda live: breakdown(scope=scope, period=year, by=name, live=live)

    found: list[tuple[str, Callable[[bool], Any]]] = [("headline · district · year", head(in_district))]
    for name in ("month", "category", "channel", "body", "station", "level"):
        found.append((f"by {name} · district · year", by(in_district, name)))
    found.append((f"headline · {province.kind} {province.name} · year", head(province)))
    for name in (province.children_by or "district", "month", "station", "category", "channel", "body", "level"):
        found.append((f"by {name} · {province.kind} · year", by(province, name)))
    return found


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


def write_cost(runs: int) -> None:
    """One visit recorded at the first station of the first district, with and without the recompute of its
    district-month (the families of figures it names; scripts/bench_writes.py times more writes)."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from stations.audit import Actor
    from stations.models import District, Site
    from stations.services.figures import figures_deferred
    from stations.services.visits import visit_create

    district = District.objects.order_by("name").first()
    station = Site.objects.filter(district=district, kind="station").order_by("pk").first()
    user = get_user_model().objects.filter(username="bench-staff-1").first() or get_user_model().objects.first()
    actor = Actor(user=user, address=None)

    def once(recompute: bool) -> tuple[float, int]:
        with transaction.atomic():
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                with figures_deferred() as touched:
                    visit_create(site=station, actor=actor, occurred_at=timezone.now(), summary="基准测试", people=2)
                    if not recompute:
                        touched.clear()
                ms = (time.perf_counter() - start) * 1000
            transaction.set_rollback(True)
        return ms, len(queries)

    for recompute in (False, True, False, True):  # the first two warm up
        once(recompute)
    for recompute in (False, True):
        results = [once(recompute) for _ in range(runs)]
        label = "visit_create + recompute of its district-month" if recompute else "visit_create, cells untouched"
        print(f"{label:<52} {statistics.median(r[0] for r in results):9.1f} ms {results[0][1]:4d} queries")


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
    parser.add_argument("--no-live", action="store_true", help="time the cells only (the live path takes seconds)")
    args = parser.parse_args()
    import django

    django.setup()
    from django.db import connection

    from stations.models import District, FigureCell, Opinion, Site, Visit

    print(
        f"{connection.vendor}: {District.objects.count()} districts, {Site.objects.count()} sites, "
        f"{Visit.objects.count()} visits, {Opinion.objects.count()} opinions, {FigureCell.objects.count()} cells"
        f" · median of {args.runs} runs · load average {os.getloadavg()[0]:.2f}"
    )
    if args.explain:
        for label, case in cases():
            if label.startswith("headline"):
                explain(label, lambda case=case: case(False))
        return
    print(f"{'case':<52} {'cells':>12} {'':>12} {'live':>12}")
    for label, case in cases():
        cells_ms, cells_queries = timed(lambda case=case: case(False), args.runs)
        line = f"{label:<52} {cells_ms:9.1f} ms {cells_queries:4d} q"
        if not args.no_live:
            live_ms, live_queries = timed(lambda case=case: case(True), max(1, args.runs // 2))
            line += f" {live_ms:9.1f} ms {live_queries:4d} q"
        print(line)
    write_cost(args.runs)


if __name__ == "__main__":
    main()
