"""`manage.py generate_rosters --year 2027 [--site SLUG] [--publish]`: plan a year's duty rosters.

Without --site every active site of every district; with it, that site and every room and point under it.
Safe to run again: it only adds what is missing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from stations.audit import Actor
from stations.bounds import FIRST_YEAR, LAST_YEAR
from stations.models import Roster, Site
from stations.selectors.rosters import with_children
from stations.services.rosters import roster_publish, rosters_generate


class Command(BaseCommand):
    help = "Generate the duty rosters of a year from the sites' reception rules (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--site", help="slug of a site; its rooms and points come with it")
        parser.add_argument("--publish", action="store_true", help="publish the rosters as well")

    def handle(self, *args, year: int, site: str | None, publish: bool, **options) -> None:
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise CommandError(f"--year must be between {FIRST_YEAR} and {LAST_YEAR}")
        if site:
            chosen = Site.objects.active().filter(slug=site).first()
            if chosen is None:
                raise CommandError(f"no active site with the slug {site!r}")
            sites = list(with_children(chosen))
        else:
            sites = list(Site.objects.active())
        result = rosters_generate(sites=sites, year=year, actor=Actor.system())
        self.stdout.write(
            f"{year}: {result.sites} sites, {result.rosters_created} new rosters, "
            f"{result.shifts_created} receptions and {result.duties_created} duties added"
        )
        for short in result.short:
            self.stdout.write(self.style.WARNING(f"short of deputies: {short.shift} ({short.got} of {short.needed})"))
        if publish:
            drafts = Roster.objects.filter(site__in=sites, year=year, published_at__isnull=True)
            count = 0
            for roster in drafts.select_related("site"):
                if roster.shifts.exists():
                    roster_publish(roster=roster, actor=Actor.system())
                    count += 1
            self.stdout.write(f"{count} rosters published")
