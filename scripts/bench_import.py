#!/usr/bin/env python
"""Benchmark of `import_records` (issue 12, part 5): a district-year of visits, opinions and their handling steps,
written as XLSX and as CSV, imported through the services into a fresh database of its own.

Not a test. It writes the files to /tmp, recreates the database, imports the network (sites and deputies, also
through the import), then imports each visits file into an empty record book (the book is emptied between the
formats) and prints rows, time, rows a second and the peak memory of the import.

    .venv/bin/python scripts/bench_import.py --visits 100000          # SQLite, /tmp/liaison_bench_import.sqlite3
    DATABASE_URL=postgres://liaison:liaison@127.0.0.1:5432/liaison_bench_import \\
    DATABASE_OWNER_URL=postgres://liaison_owner:liaison_owner@127.0.0.1:5432/liaison_bench_import \\
        .venv/bin/python scripts/bench_import.py --visits 100000      # PostgreSQL (the database is recreated)

Options: --visits N (default 100,000), --opinions N (default 60% of the visits), --formats xlsx,csv.
Printed per file: wall time and rows a second, the import's CPU time (getrusage: what the machine's other work
does not change), and the process's resident peak (getrusage ru_maxrss; the files are written from a generator,
so the year is never held in memory). --tracemalloc adds the import's peak Python allocations (slower). The
database named in DATABASE_URL (DATABASE_OWNER_URL on PostgreSQL) is dropped and created again.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import resource
import sys
import time
import tracemalloc
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/liaison_bench_import.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret")

from bench_stats import recreate_database  # noqa: E402  (the same database handling as the stats benchmark)

STATIONS = 15
ROOMS_PER_STATION = 4
YEAR = 2025
VISIT_HEADER = [
    "日期和时间", "站点", "村（社区）", "来访人姓名", "来访人电话", "来访人数", "来访方式", "议题类别", "内容摘要",
    "提出的意见建议", "受理日期", "承办单位", "交办日期", "答复", "答复日期", "办理结果", "办结日期",
]  # fmt: skip


def site_rows() -> list[list[str]]:
    rows = [["上级站点", "站点名称", "站点类型", "所在镇（街道）", "服务的村、社区"]]
    for s in range(STATIONS):
        station = f"第{s + 1}镇代表联络站"
        rows.append(["", station, "代表联络站", f"第{s + 1}镇", ""])
        for r in range(ROOMS_PER_STATION):
            rows.append(
                [station, f"第{s + 1}镇第{r + 1}村代表联络室", "代表联络室", f"第{s + 1}镇", f"第{s + 1}镇第{r + 1}村"]
            )
    return rows


def visit_rows(visits: int, opinions: int, seed: int = 12) -> Iterator[list[str]]:
    """One row a visit, the header first; `opinions` visits (chosen at random) carry an opinion with its steps.
    Generated as they are written, so the benchmark process does not hold the year in memory."""
    rng = random.Random(seed)
    rooms = [(s, r) for s in range(STATIONS) for r in range(ROOMS_PER_STATION)]
    with_opinion = set(rng.sample(range(visits), opinions))
    yield VISIT_HEADER
    for index in range(visits):
        s, r = rng.choice(rooms)
        day = dt.date(YEAR, 1, 1) + dt.timedelta(days=rng.randrange(365))
        at = dt.datetime.combine(day, dt.time(8 + index % 9, index % 60))
        row = [
            f"{at:%Y-%m-%d %H:%M}", f"第{s + 1}镇第{r + 1}村代表联络室", f"第{s + 1}镇第{r + 1}村", f"来访人{index}",
            f"139{index:08d}", str(1 + index % 5), "接待日", "道路交通", f"第{index}号来访：反映道路积水", "", "", "", "", "", "", "", "",
        ]  # fmt: skip
        if index in with_opinion:
            steps = index % 4  # 0 registered only … 3 resolved
            row[9] = f"第{index}号意见：建议疏通排水沟"
            if steps >= 1:
                row[10] = f"{day + dt.timedelta(days=1)}"
            if steps >= 2:
                row[11], row[12] = "区住房和城乡建设局", f"{day + dt.timedelta(days=2)}"
            if steps >= 3:
                row[13], row[14] = "已安排疏通。", f"{day + dt.timedelta(days=10)}"
                row[15], row[16] = "已解决", f"{day + dt.timedelta(days=12)}"
        yield row


def write_csv(path: Path, rows: Iterable[list[str]]) -> None:
    # GB18030, what Chinese Excel saves: the import detects it.
    with path.open("w", encoding="gb18030", newline="") as handle:
        csv.writer(handle).writerows(rows)


def write_xlsx(path: Path, rows: Iterable[list[str]]) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_import(path: Path, *, user, trace: bool = False) -> tuple[object, float, float, int, int]:
    from django.utils import translation

    from stations.audit import Actor
    from stations.imports.kinds import KINDS
    from stations.models import District, Site
    from stations.services.imports import records_import

    district = District.objects.get()
    if trace:
        tracemalloc.start()
    started, cpu = time.perf_counter(), _cpu()
    with translation.override("zh-hans"), path.open("rb") as stream:
        result = records_import(
            stream=stream,
            name=path.name,
            actor=Actor(user=user),
            district=district,
            sites=Site.objects.all(),
            kinds=list(KINDS),
        )
    elapsed, cpu = time.perf_counter() - started, _cpu() - cpu
    peak = 0
    if trace:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return result, elapsed, cpu, peak, rss


def read_only(visits: int, opinions: int, formats: list[str]) -> None:
    """Stream every row of the generated files through the importer's reader, as an import does, without the
    database: shows that memory does not grow with the file."""
    import django

    django.setup()
    from django.conf import settings

    from stations.imports.reader import rows as read_rows

    settings.IMPORT_MAX_BYTES = 1024 * 1024 * 1024
    for fmt in formats:
        path = Path("/tmp") / f"bench_import_visits.{fmt}"
        (write_xlsx if fmt == "xlsx" else write_csv)(path, visit_rows(visits, opinions))
        tracemalloc.start()
        started = time.perf_counter()
        with path.open("rb") as stream:
            count = sum(1 for _row in read_rows(stream, name=path.name))
        elapsed = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"read only, {fmt}: {path.stat().st_size / 1024 / 1024:.1f} MB, {count - 1:,} rows in {elapsed:.1f} s; "
            f"peak Python memory {peak / 1024 / 1024:.1f} MB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=int, default=100_000)
    parser.add_argument("--opinions", type=int)
    parser.add_argument("--formats", default="xlsx,csv")
    parser.add_argument("--workdir", help="where the generated files go (default /tmp/bench_import_<database>)")
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also measure the import's peak Python allocations (tracemalloc; slows the import two to three times)",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="only stream the files' rows through the reader (no database): the reading's own time and memory",
    )
    args = parser.parse_args()
    opinions = args.opinions if args.opinions is not None else args.visits * 6 // 10
    if args.read_only:
        read_only(args.visits, opinions, args.formats.split(","))
        return

    # On PostgreSQL the runtime role cannot create databases: the owner's role (DATABASE_OWNER_URL, the same
    # database) recreates it, and migrate runs as the owner (stations.db_roles); the import runs as the portal.
    recreate_database(os.environ.get("DATABASE_OWNER_URL") or os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from stations.models import District, HandlingBody, Membership, Opinion, OpinionEvent, Role, Visit

    settings.IMPORT_MAX_BYTES = 1024 * 1024 * 1024  # the benchmark measures the import, not the upload limit
    call_command("migrate", verbosity=0)
    District.objects.create(name="基准区", slug="bench", code="BN")
    HandlingBody.objects.create(name="区住房和城乡建设局")
    user = get_user_model().objects.create_user("bench", password="bench-only-password")  # noqa: S106
    # A district-year is older than the late-entry limit: only a district administrator (or a station head)
    # may enter it, as in real use.
    Membership.objects.create(user=user, role=Role.DISTRICT_ADMIN)

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    # One folder per database (or --workdir), so that runs can go side by side.
    tmp = Path(args.workdir) if args.workdir else Path("/tmp") / f"bench_import_{engine}"
    tmp.mkdir(parents=True, exist_ok=True)
    sites_csv = tmp / "bench_import_sites.csv"
    write_csv(sites_csv, site_rows())
    result, elapsed, _cpu_time, _peak, _rss = run_import(sites_csv, user=user)
    print(f"sites: {result.totals()} in {elapsed:.1f} s")

    print(f"database: {engine}; {args.visits:,} visits, {opinions:,} opinions with their steps")
    for fmt in args.formats.split(","):
        path = tmp / f"bench_import_visits.{fmt}"
        (write_xlsx if fmt == "xlsx" else write_csv)(path, visit_rows(args.visits, opinions))
        size = path.stat().st_size / 1024 / 1024
        # An empty record book for each format (the deletes go around the services: benchmark set-up only).
        OpinionEvent.objects.all().delete()
        Opinion.objects.all().delete()
        Visit.objects.all().delete()
        result, elapsed, cpu, peak, rss = run_import(path, user=user, trace=args.tracemalloc)
        assert result.saved and not result.problem_count, result.problems[:5]
        totals = result.totals()
        traced = f"peak Python memory {peak / 1024 / 1024:.1f} MB (tracemalloc), " if args.tracemalloc else ""
        print(
            f"{fmt}: {size:.1f} MB, {result.rows:,} rows, {totals['visit']['created']:,} visits, "
            f"{totals.get('opinion', {}).get('created', 0):,} opinions in {elapsed:.1f} s "
            f"({result.rows / elapsed:,.0f} rows/s; CPU {cpu:.1f} s, {result.rows / cpu:,.0f} rows per CPU-second); "
            f"{traced}process peak RSS {rss / 1024:.0f} MB (getrusage ru_maxrss)",
            flush=True,
        )


if __name__ == "__main__":
    main()
