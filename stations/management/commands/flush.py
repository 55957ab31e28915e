"""Django's `flush`, run as the role that owns the tables when the portal has one (stations.db_roles).

A flush TRUNCATEs every table, the audit log included, which the runtime role may not. Django's transactional
test cases flush "default" after each test, so this is also what lets the suite run as the runtime role.
"""

from typing import Any

from django.core.management.color import no_style
from django.core.management.commands import flush
from django.core.management.sql import emit_post_migrate_signal, sql_flush
from django.db import connections
from django.db.utils import load_backend

from stations.db_roles import owner_database


class Command(flush.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["database"]
        owner = owner_database(alias)
        if owner == alias:
            super().handle(*args, **options)
            return
        if options["interactive"]:
            name = connections[alias].settings_dict["NAME"]
            prompt = f"This will IRREVERSIBLY DESTROY all data in the \"{name}\" database. Type 'yes' to continue: "
            if input(prompt) != "yes":
                self.stdout.write("Flush cancelled.")
                return
        # A connection of its own, under a name of its own, rather than connections[owner]: Django's test cases
        # refuse an alias to the tests that do not name it (all but a few), and their teardown flushes "default"
        # through here; Django lets such dynamically created connections through.
        settings_dict = connections.settings[owner]
        connection = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias=f"{owner}-flush")
        try:
            statements = sql_flush(
                no_style(),
                connection,
                reset_sequences=options.get("reset_sequences", True),
                allow_cascade=options.get("allow_cascade", False),
            )
            # Not ops.execute_sql_flush(), whose transaction.atomic() would look the alias up in `connections`.
            # On PostgreSQL the flush is one TRUNCATE statement anyway.
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
        finally:
            connection.close()
        if statements and not options.get("inhibit_post_migrate", False):
            # Content types and permissions come back as after a migration: plain rows, the runtime role's to write.
            emit_post_migrate_signal(options["verbosity"], options["interactive"], alias)
