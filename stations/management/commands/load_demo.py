"""`manage.py load_demo`: the Nanhu demo district, its people and demo accounts (see stations/demo)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from stations.demo import DEMO_ACCOUNTS, ForeignDataError, load_demo
from stations.selectors.sites import network_figures


class Command(BaseCommand):
    help = "Load the Nanhu demo district once; print the demo accounts every time."

    def handle(self, *args, **options) -> None:
        try:
            loaded = load_demo(stdout=self.stdout)
        except ForeignDataError as error:
            raise CommandError(
                f"This database already holds data that is not the demo's ({error}). load_demo changes nothing "
                "here; point DATABASE_URL at an empty database to load the demo."
            ) from error
        figures = network_figures()
        if loaded:
            self.stdout.write(self.style.SUCCESS("Demo loaded: Nanhu District (南湖区)."))
        else:
            self.stdout.write("The demo is already loaded; nothing changed.")
        self.stdout.write(
            f"Network: {figures.stations} stations, {figures.rooms} rooms, {figures.points} points, "
            f"{figures.online} online stations."
        )
        self.stdout.write("Demo accounts (sign in at /accounts/login/):")
        width = max(len(account.username) for account in DEMO_ACCOUNTS)
        for account in DEMO_ACCOUNTS:
            self.stdout.write(
                f"  {account.username:<{width}}  {account.password:<22}  {account.role.label} · {account.display_name}"
            )
