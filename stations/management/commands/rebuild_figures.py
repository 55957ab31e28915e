"""Recompute the summary cells of the figures from the records (stations/services/figures.py), set-based.

For records inserted without the services (scripts/gen_province.py calls it at its end), after upgrading to
the cells, and as the operator's repair when `check_figures` reports a difference.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from stations.models import District
from stations.services.figures import figures_rebuild


class Command(BaseCommand):
    help = "Recompute the figures' summary cells from the records."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--district", help="a district's code or slug (default: every district)")
        parser.add_argument("--year", type=int, help="one year (default: every year with records)")

    def handle(self, *args: Any, **options: Any) -> None:
        district = None
        if options["district"]:
            code = options["district"]
            district = District.objects.filter(code=code).first() or District.objects.filter(slug=code).first()
            if district is None:
                raise CommandError(f"No district with code or slug {code!r}.")
        started = time.perf_counter()
        written = figures_rebuild(district=district, year=options["year"])
        seconds = time.perf_counter() - started
        self.stdout.write(f"{written} cells written in {seconds:.1f} s.")
