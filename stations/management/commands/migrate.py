"""Django's `migrate`, run as the role that owns the tables when the portal has one (stations.db_roles).

The runtime role may not create or alter tables, so `manage.py migrate` without `--database` (as `make run`,
CI and the README's recipe call it) migrates through the owner's connection, and then creates the database
cache's table there (`createcachetable`).
"""

from typing import Any

from django.core.management import call_command
from django.core.management.commands import migrate

from stations.db_roles import owner_database


class Command(migrate.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        options["database"] = owner_database(options["database"])
        super().handle(*args, **options)
        # The database cache's table (settings.CACHES) is no model, so no migration makes it; made here, by the
        # owner, every deployment that migrates has it. Nothing happens when it exists or the cache is Redis.
        if not options.get("plan") and not options.get("check_unapplied"):
            call_command("createcachetable", database=options["database"], verbosity=options["verbosity"])
            self.fill_figure_cells(options["verbosity"], database=options["database"])

    def fill_figure_cells(self, verbosity: int, database: str = "default") -> None:
        """Fill the figures' summary cells of a database that holds records but no cells: a portal upgraded
        across migration 0023 (which makes the table empty), or one loaded in bulk. The services keep the cells
        from then on; without this its figures would read zero until someone ran `rebuild_figures`."""
        from django.db import connections

        from stations.models import DutyShift, FigureMonth, Opinion, Visit
        from stations.services.figures import figures_rebuild

        # Looked at through the database just migrated (the owner's connection: while the tests set their
        # database up, the runtime connection still names another); a migration back below 0023 has no table.
        if FigureMonth._meta.db_table not in connections[database].introspection.table_names():
            return
        if FigureMonth.objects.using(database).exists():
            return
        if not any(model.objects.using(database).exists() for model in (Visit, Opinion, DutyShift)):
            return
        cells = figures_rebuild()
        if verbosity:
            self.stdout.write(f"Figure cells filled: {cells}")
