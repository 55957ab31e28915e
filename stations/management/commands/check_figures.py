"""Compare the figures' summary cells with the records: the operator's safety net (and the tests').

For each year, every district-month's cells are compared with what the records give now (the same grouped
queries the live figures use), and each district's year headline from the cells with the live headline.
Exits non-zero naming every difference; `rebuild_figures` repairs them.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from stations.models import District
from stations.selectors.stats import Period, Scope, headline
from stations.services.figures import cell_differences, years_with_records


class Command(BaseCommand):
    help = "Compare the figures' summary cells with the records; exit non-zero on any difference."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, help="one year (default: every year with records)")

    def handle(self, *args: Any, **options: Any) -> None:
        years = [options["year"]] if options["year"] else years_with_records()
        problems: list[str] = []
        districts = list(District.objects.order_by("pk"))
        for year in years:
            period = Period.year(year)
            problems += cell_differences(period)
            for district in districts:
                scope = Scope.for_district(district)
                from_cells = headline(scope=scope, period=period)
                live = headline(scope=scope, period=period, live=True)
                if from_cells != live:
                    problems.append(f"{district.code or district.slug} {year}: headline {from_cells} != {live}")
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} difference(s) between the cells and the records.")
        self.stdout.write(f"The cells match the records ({', '.join(map(str, years)) or 'no records'}).")
