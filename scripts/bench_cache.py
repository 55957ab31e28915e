"""What the page cache saves: each public page rendered (a miss) against served from the cache (a hit).

    .venv/bin/python scripts/bench_cache.py            # the Nanhu demo in a new SQLite file (load_demo: ~30 s)
    DATABASE_URL=postgres://…/liaison_bench_cache .venv/bin/python scripts/bench_cache.py --no-load

In one process, through Django's test client (no network, no gunicorn): for each page the median time and the
queries of a miss (the cache emptied first) and of a hit, over --runs requests each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-load", action="store_true", help="use DATABASE_URL as it is (demo already loaded)")
    args = parser.parse_args()
    if not args.no_load:
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench_cache.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
    os.environ["STATICFILES_BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    os.environ["ALLOWED_HOSTS"] = "testserver"

    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from stations.models import Deputy, Site
    from stations.selectors.schedule import next_reception_day

    if not args.no_load:
        call_command("migrate", verbosity=0)
        call_command("load_demo", verbosity=0)
    station = Site.objects.active().filter(kind="station").order_by("slug").first()
    deputy = Deputy.objects.active().order_by("slug").first()
    assert station is not None and deputy is not None, "no demo data"
    pages = {
        "/": reverse("stations:home"),
        "/sites/": reverse("stations:site_list"),
        "a station's page": reverse("stations:site_detail", args=[station.slug]),
        "/schedule/?date=<next 20th>": f"{reverse('stations:schedule')}?date={next_reception_day():%Y-%m-%d}",
        "/deputies/": reverse("stations:deputy_list"),
        "a deputy's calendar.ics": reverse("stations:deputy_calendar", args=[deputy.slug]),
        "/stats/": reverse("stations:public_stats"),
    }
    print(f"{'page':32} {'miss ms':>8} {'queries':>8} {'hit ms':>8} {'queries':>8} {'KB':>6}")
    for label, path in pages.items():
        misses, hits = [], []
        miss_queries = hit_queries = 0
        size = 0
        for _ in range(args.runs):
            cache.clear()
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = Client().get(path)
                misses.append(time.perf_counter() - started)
            assert response["X-Cache"] == "miss", (path, response.status_code)
            miss_queries, size = len(queries), len(response.content)
            for _ in range(3):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    response = Client().get(path)
                    hits.append(time.perf_counter() - started)
                assert response["X-Cache"] == "hit", path
                hit_queries = len(queries)
        print(
            f"{label:32} {statistics.median(misses) * 1000:8.1f} {miss_queries:8} "
            f"{statistics.median(hits) * 1000:8.1f} {hit_queries:8} {size / 1024:6.0f}"
        )


if __name__ == "__main__":
    main()
