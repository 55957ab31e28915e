#!/usr/bin/env python
"""Profile the staff pages one request at a time (issue 15): time, queries, the slowest query, size.

    . the DATABASE_URL of a province made by scripts/gen_province.py
    .venv/bin/python scripts/profile_pages.py                     # every staff page as each role
    .venv/bin/python scripts/profile_pages.py --explain           # and EXPLAIN (ANALYZE, BUFFERS) of the slowest
    .venv/bin/python scripts/profile_pages.py --pages /staff/visits/ --roles admin-province

Each page is asked for through Django's test client in this process (no web server, no network): once to warm
the caches and the connection, then `--runs` times; the table gives the median time, the number of queries
of one request, the slowest of them and the page's size. Roles: station staff (`bench-staff-1`), a district
administrator (`bench-admin-2`) and the province administrator (`bench-admin-1`), signed in with
`force_login` and the second factor's session flag that django-otp's `login()` sets (what passing the
TOTP step leaves in the session). Reads only; the pages themselves may write audit entries.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")

ROLES = {
    "staff": "bench-staff-1",
    "admin-district": "bench-admin-2",
    "admin-province": "bench-admin-1",
}
STAFF_PAGES = ["/staff/", "/staff/visits/", "/staff/opinions/", "/staff/rosters/"]
# Staff forms measured when named with --pages (e.g. "/staff/visits/new/?site=1"), for every role.
STAFF_FORMS = ["/staff/visits/new/", "/staff/pairings/new/", "/staff/pairings/", "/staff/themes/"]
ADMIN_PAGES = [
    *STAFF_PAGES,
    "/staff/deputies/",
    "/staff/audit/",
    "/admin/auth/user/",
    "/admin/stations/auditentry/",
]


def signed_in_client(username: str) -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model().objects.get(username=username)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="timed requests per page (the median is shown)")
    parser.add_argument("--pages", nargs="*", help="only these paths")
    parser.add_argument("--roles", nargs="*", choices=sorted(ROLES), help="only these roles")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS) each page's slowest query")
    parser.add_argument("--queries", action="store_true", help="print every query of each page with its time")
    parser.add_argument("--cprofile", action="store_true", help="cProfile one request of each page (top functions)")
    parser.add_argument("--sort", default="cumulative", help="the cProfile table's order (cumulative, tottime…)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL; issue 15's figures are for PostgreSQL", file=sys.stderr)

    call_command("collectstatic", interactive=False, verbosity=0)  # the manifest the templates' {% static %} reads
    rows: list[tuple[str, str, int, float, float, int, float, float, float]] = []
    explained: list[tuple[str, str, float, str]] = []
    for role, username in ROLES.items():
        if args.roles and role not in args.roles:
            continue
        client = signed_in_client(username)
        pages = STAFF_PAGES if role == "staff" else ADMIN_PAGES
        if args.pages:  # any path, with its query; the administrators' pages only as administrators
            pages = [p for p in args.pages if role != "staff" or p.split("?")[0] in [*STAFF_PAGES, *STAFF_FORMS]]
        for page in pages:
            client.get(page)  # warm: the connection, templates, translations
            times, cpu = [], []
            for _run in range(args.runs):
                with CaptureQueriesContext(connection) as captured:
                    started, started_cpu = time.perf_counter(), time.process_time()
                    response = client.get(page)
                    times.append((time.perf_counter() - started) * 1000)
                    cpu.append((time.process_time() - started_cpu) * 1000)
            queries = captured.captured_queries
            slowest = max(queries, key=lambda q: float(q["time"]), default={"sql": "", "time": "0"})
            total_sql = sum(float(q["time"]) for q in queries) * 1000
            rows.append(
                (
                    page,
                    role,
                    response.status_code,
                    statistics.median(times),
                    statistics.median(cpu),
                    len(queries),
                    float(slowest["time"]) * 1000,
                    total_sql,
                    len(response.content) / 1024,
                )
            )
            if args.cprofile:
                profiler = cProfile.Profile()
                profiler.runcall(client.get, page)
                print(f"\n## {role} {page}")
                pstats.Stats(profiler).sort_stats(args.sort).print_stats(40)
            if args.queries:
                print(f"\n## {role} {page}")
                for query in sorted(queries, key=lambda q: -float(q["time"])):
                    print(f"{float(query['time']) * 1000:8.1f} ms  {query['sql'][:400]}")
            if args.explain and slowest["sql"]:
                explained.append((page, role, float(slowest["time"]) * 1000, slowest["sql"]))

    # ms: the whole request as the client waits for it (the database's work included); Python CPU ms: this
    # process's own CPU time (templates, ORM, middleware), which the machine's load disturbs least.
    print("| page | role | status | ms (median) | Python CPU ms | queries | slowest query ms | all queries ms | KB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for page, role, status, ms, cpu_ms, count, slow, total, kb in rows:
        print(
            f"| `{page}` | {role} | {status} | {ms:.0f} | {cpu_ms:.0f} | {count} | {slow:.1f} | {total:.1f} | {kb:.0f} |"
        )
    for page, role, ms, sql in explained:
        print(f"\n### {role} {page}: slowest query {ms:.1f} ms\n{sql}\n")
        print(explain(sql))


if __name__ == "__main__":
    main()
