#!/usr/bin/env python
"""Benchmark of the statistics selectors on a district-year of 100,000 visits and 60,000 opinions.

Not a test: it fills a fresh database of its own with bulk inserts, then prints how long the headline table
and each breakdown take (the median of a few runs, in milliseconds).

    .venv/bin/python scripts/bench_stats.py                                   # SQLite, /tmp/liaison_bench.sqlite3
    DATABASE_URL=postgres://liaison:liaison@127.0.0.1:5432/liaison_bench \\
        .venv/bin/python scripts/bench_stats.py                               # PostgreSQL (the database is recreated)

Options: --visits N, --opinions N, --runs N, --keep (reuse an already filled database).
The database named in DATABASE_URL is dropped and created again: never point it at real data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/liaison_bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret")

BATCH = 5000


def recreate_database(url: str) -> None:
    if url.startswith("sqlite"):
        path = Path(urlparse(url).path)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg2

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if name in ("", "postgres", "liaison"):
        sys.exit(f"refusing to drop the database {name!r}: give the benchmark its own, e.g. liaison_bench")
    connection = psycopg2.connect(
        dbname="postgres",
        user=parsed.username,
        password=parsed.password,
        host=parsed.hostname,
        port=parsed.port or 5432,
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def fill(*, visits: int, opinions: int, year: int) -> None:
    from django.contrib.auth import get_user_model

    from stations.clock import LOCAL_TZ, local_time
    from stations.models import (
        Assignment,
        Category,
        Channel,
        Deputy,
        District,
        Duty,
        DutyShift,
        HandlingBody,
        Mandate,
        Opinion,
        Roster,
        Site,
        SiteKind,
        State,
        Visit,
        VisitDeputy,
    )

    rng = random.Random(2017)
    district = District.objects.create(name="南湖区", slug="nanhu", code="NH")
    user = get_user_model().objects.create_user("bench", password=None)
    stations = Site.objects.bulk_create(
        Site(district=district, kind=SiteKind.STATION, name=f"站{i}", slug=f"s{i}", town=f"镇{i}", is_online=True)
        for i in range(15)
    )
    rooms = Site.objects.bulk_create(
        Site(district=district, kind=SiteKind.ROOM, parent=stations[i % 15], name=f"室{i}", slug=f"r{i}")
        for i in range(63)
    )
    points = Site.objects.bulk_create(
        Site(district=district, kind=SiteKind.POINT, parent=rooms[i], name=f"点{i}", slug=f"p{i}") for i in range(10)
    )
    sites = [*stations, *rooms, *points]
    per_site = {SiteKind.STATION: 6, SiteKind.ROOM: 4, SiteKind.POINT: 3}
    deputies = Deputy.objects.bulk_create(
        Deputy(district=district, name=f"代表{n}", slug=f"d{n}", gender="m")
        for n in range(sum(per_site[s.kind] for s in sites))
    )
    levels = ["province", "city", "district", "town"]
    Mandate.objects.bulk_create(
        Mandate(deputy=d, level=levels[n % 4], term_start=dt.date(year - 3, 1, 1)) for n, d in enumerate(deputies)
    )
    site_deputies, cursor = {}, 0
    for site in sites:
        site_deputies[site.pk] = deputies[cursor : cursor + per_site[site.kind]]
        cursor += per_site[site.kind]
    Assignment.objects.bulk_create(Assignment(deputy=d, site_id=pk) for pk, ds in site_deputies.items() for d in ds)
    rosters = Roster.objects.bulk_create(
        Roster(site=s, year=year, published_at=dt.datetime(year, 1, 1, tzinfo=LOCAL_TZ)) for s in sites
    )
    shifts = DutyShift.objects.bulk_create(
        DutyShift(
            roster=roster,
            start=dt.datetime(year, month, 20, 9, tzinfo=LOCAL_TZ),
            end=dt.datetime(year, month, 20, 11, 30, tzinfo=LOCAL_TZ),
        )
        for roster in rosters
        for month in range(1, 13)
    )
    attendance = ["present"] * 8 + ["absent", "substituted"]
    duties = []
    for shift in shifts:
        pool = site_deputies[shift.roster.site_id]
        month = local_time(shift.start).month
        for k in range(2):
            state = rng.choice(attendance)
            substitute = pool[(month + 2) % len(pool)] if state == "substituted" else None
            duties.append(
                Duty(
                    shift=shift,
                    deputy=pool[(month * 2 + k) % len(pool)],
                    attendance=state,
                    absence_reason="leave" if state == "absent" else "",
                    substitute=substitute,
                )
            )
    Duty.objects.bulk_create(duties, batch_size=BATCH)
    shift_of = {(s.roster.site_id, local_time(s.start).month): s for s in shifts}
    categories, channels = list(Category.values), list(Channel.values)
    weights = [4.0 if s.kind == SiteKind.STATION else 1.0 for s in sites]
    made = 0
    while made < visits:
        batch = []
        for site in rng.choices(sites, weights=weights, k=min(BATCH, visits - made)):
            month = rng.randint(1, 12)
            if rng.random() < 0.6:
                shift = shift_of[(site.pk, month)]
                when = shift.start + dt.timedelta(minutes=rng.randint(0, 150))
            else:
                shift = None
                when = dt.datetime(year, month, rng.randint(1, 28), rng.randint(0, 23), tzinfo=LOCAL_TZ)
            batch.append(
                Visit(
                    site=site,
                    occurred_at=when,
                    shift=shift,
                    people=rng.choice([1, 1, 1, 1, 2, 3, 12]),
                    channel=rng.choice(channels) if shift is None else "reception_day",
                    category=rng.choice(categories),
                    summary="来访",
                    recorded_by=user,
                )
            )
        Visit.objects.bulk_create(batch)
        VisitDeputy.objects.bulk_create(
            VisitDeputy(visit=v, deputy=site_deputies[v.site_id][0]) for v in batch if v.shift is not None
        )
        made += len(batch)
    bodies = HandlingBody.objects.bulk_create(HandlingBody(name=f"承办单位{i}") for i in range(12))
    visit_rows = list(Visit.objects.values_list("pk", "site_id", "occurred_at")[: opinions * 5 // 6])
    states = list(State.values)
    made = 0
    while made < opinions:
        batch = []
        for _ in range(min(BATCH, opinions - made)):
            n = made + len(batch)
            if n < len(visit_rows):
                visit_id, site_id, registered = visit_rows[n]
                registered += dt.timedelta(minutes=10)
            else:
                visit_id, site_id = None, rng.choice(stations).pk
                registered = dt.datetime(year, rng.randint(1, 12), rng.randint(1, 28), 10, tzinfo=LOCAL_TZ)
            state = rng.choice(states)
            referred = state in ("referred", "replied", "resolved", "explained", "closed")
            replied = state in ("replied", "resolved", "explained", "closed")
            batch.append(
                Opinion(
                    reference=f"NH-{n:07d}",
                    tracking_code=f"BENCH-{n:07d}",
                    site_id=site_id,
                    visit_id=visit_id,
                    category=rng.choice(categories),
                    content="意见",
                    state=state,
                    handling_body=rng.choice(bodies) if referred else None,
                    deadline=(registered + dt.timedelta(days=32)).date() if referred else None,
                    registered_at=registered,
                    replied_at=registered + dt.timedelta(days=rng.uniform(3, 45)) if replied else None,
                    closed_at=registered + dt.timedelta(days=50) if state == "closed" else None,
                    satisfaction=rng.choice(["satisfied", "basically", "unsatisfied"]) if state == "closed" else "",
                )
            )
        Opinion.objects.bulk_create(batch)
        made += len(batch)


def bench(runs: int, year: int) -> list[tuple[str, float]]:
    from stations.models import Deputy, District, Site
    from stations.selectors.stats import (
        Period,
        Scope,
        breakdown,
        deputy_attendance,
        deputy_record,
        headline,
        stations_figures,
    )

    district = District.objects.get()
    station = Site.objects.filter(kind="station").order_by("pk").first()
    deputy = Deputy.objects.order_by("pk").first()
    district_scope, station_scope = Scope.for_district(district), Scope.for_station(station)
    period = Period.year(year)
    cases = [
        ("headline · district · year", lambda: headline(scope=district_scope, period=period)),
        ("headline · district · Jan–Aug", lambda: headline(scope=district_scope, period=Period.months(year, 1, 8))),
        ("headline · one station · year", lambda: headline(scope=station_scope, period=period)),
    ]
    for by in ("month", "station", "category", "channel", "body", "level"):
        cases.append(
            (
                f"breakdown by {by} · district · year",
                lambda by=by: breakdown(scope=district_scope, period=period, by=by),
            )
        )
    cases += [
        ("breakdown by site · one station · year", lambda: breakdown(scope=station_scope, period=period, by="site")),
        (
            "public /stats/ data (district + stations)",
            lambda: (headline(scope=district_scope, period=period), stations_figures(district=district, period=period)),
        ),
        ("deputies' attendance table", lambda: list(deputy_attendance(year=year, sort="-present"))),
        ("one deputy's record", lambda: deputy_record(deputy=deputy, year=year)),
    ]
    results = []
    for label, case in cases:
        case()  # warm caches and the connection
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            case()
            times.append((time.perf_counter() - start) * 1000)
        results.append((label, statistics.median(times)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=int, default=100_000)
    parser.add_argument("--opinions", type=int, default=60_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="reuse the filled database")
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    year = 2025
    if not args.keep:
        recreate_database(url)
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    if not args.keep:
        call_command("migrate", verbosity=0)
        start = time.perf_counter()
        fill(visits=args.visits, opinions=args.opinions, year=year)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(f"filled in {time.perf_counter() - start:.1f} s")
    from stations.models import Duty, Opinion, Visit

    print(
        f"database: {connection.vendor} · {Visit.objects.count()} visits, {Opinion.objects.count()} opinions, "
        f"{Duty.objects.count()} duties · median of {args.runs} runs"
    )
    for label, ms in bench(args.runs, year):
        print(f"{label:<45} {ms:8.1f} ms")


if __name__ == "__main__":
    main()
