#!/usr/bin/env python
"""Time the reception-day writes on a generated province (scripts/gen_province.py) and what keeping the figures'
summary cells adds to each: a visit recorded, an opinion accepted, a roster published, attendance marked.

    . the DATABASE_URL (and DATABASE_OWNER_URL) of the generated province, then:
    .venv/bin/python scripts/bench_writes.py            # median of 7 runs per case, in ms, and queries
    .venv/bin/python scripts/bench_writes.py --runs 15

Each write goes through its service at the first station of the first district (as `bench-staff-1`, its staff,
or `bench-admin-1`), inside a transaction that is rolled back: the database is left as it was (`manage.py
check_figures` stays clean). Each is timed three ways:
- "no cells": the write with the recompute of the cells left out (what it cost before issue 15's cells);
- "every family": the district-months it touched recomputed for every family of figures (what every write did
  before the writes named their families);
- "as named": what the service does, the families it names only.
The "every family" column is left empty on a portal whose services do not name families.
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

Write = Callable[[], Any]


def writes() -> list[tuple[str, Write]]:
    """(label, write): each write finds its records again, so that it can run again after a rollback."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from stations.audit import Actor
    from stations.models import District, Duty, Membership, Opinion, Roster, Site, State
    from stations.services.opinions import opinion_accept
    from stations.services.rosters import duty_mark_attendance, roster_publish
    from stations.services.visits import visit_create

    users = get_user_model().objects
    district = District.objects.order_by("name").first()
    assert district is not None, "generate a province first (scripts/gen_province.py)"
    staff = users.filter(username="bench-staff-1").first()
    membership = Membership.objects.filter(user=staff).select_related("station").first() if staff else None
    station = (
        membership.station
        if membership is not None and membership.station is not None
        else Site.objects.filter(district=district, kind="station").order_by("pk").first()
    )
    assert station is not None
    sites = Site.objects.under_station(station)
    clerk = Actor(user=staff or users.first(), address=None)
    head = Actor(user=users.filter(username="bench-admin-1").first() or users.filter(is_superuser=True).first())

    opinion = Opinion.objects.filter(site__in=sites, state=State.REGISTERED).order_by("-registered_at").first()
    roster = Roster.objects.filter(site=station).order_by("-year").first()
    duty = (
        Duty.objects.filter(shift__roster__site__in=sites, shift__start__lte=timezone.now(), shift__cancelled=False)
        .order_by("-shift__start", "pk")
        .first()
    )
    assert opinion is not None and roster is not None and duty is not None, "the province has no such records"

    def visit() -> Any:
        return visit_create(site=station, actor=clerk, occurred_at=timezone.now(), summary="基准测试", people=2)

    def accept() -> Any:
        return opinion_accept(opinion=Opinion.objects.get(pk=opinion.pk), actor=clerk)

    def publish() -> Any:
        Roster.objects.filter(pk=roster.pk).update(published_at=None)  # rolled back with the write
        return roster_publish(roster=Roster.objects.get(pk=roster.pk), actor=head)

    def attendance() -> Any:
        current = Duty.objects.get(pk=duty.pk)
        other = "absent" if current.attendance == "present" else "present"
        reason = "illness" if other == "absent" else ""
        return duty_mark_attendance(duty=current, attendance=other, absence_reason=reason, actor=clerk)

    return [
        (f"visit_create ({station.name})", visit),
        (f"opinion_accept ({opinion.reference})", accept),
        (f"roster_publish ({roster.site.name} {roster.year})", publish),
        (f"duty_mark_attendance ({duty.shift.start:%Y-%m-%d})", attendance),
    ]


def once(write: Write, mode: str) -> tuple[float, int]:
    """One write, rolled back; `mode`: "none" (the cells left alone), "every" (every family), "named"."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from stations.services import figures

    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            with figures.figures_deferred() as touched:
                write()
                if mode == "none":
                    touched.clear()
                elif mode == "every":
                    every = figures.every_family(touched)  # type: ignore[attr-defined]
                    touched.clear()
                    touched.update(every)
            ms = (time.perf_counter() - start) * 1000
        transaction.set_rollback(True)
    return ms, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    import django

    django.setup()
    from django.db import connection

    from stations.models import District, FigureCell, Opinion, Site, Visit
    from stations.services import figures

    modes = ["none", "every", "named"] if hasattr(figures, "every_family") else ["none", "named"]
    print(
        f"{connection.vendor}: {District.objects.count()} districts, {Site.objects.count()} sites, "
        f"{Visit.objects.count()} visits, {Opinion.objects.count()} opinions, {FigureCell.objects.count()} cells"
        f" · median of {args.runs} runs · load average {os.getloadavg()[0]:.2f}"
    )
    titles = {"none": "no cells", "every": "every family", "named": "as named"}
    print(f"{'write':<48}" + "".join(f"{titles[mode]:>22}" for mode in modes))
    for label, write in writes():
        for mode in modes:  # warm the connection and the caches
            once(write, mode)
        line = f"{label:<48}"
        for mode in modes:
            results = [once(write, mode) for _ in range(args.runs)]
            line += f"{statistics.median(r[0] for r in results):12.1f} ms {results[0][1]:3d} q"
        print(line)
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
