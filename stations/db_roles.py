"""The two database roles on PostgreSQL: the owner of the tables and the runtime role the portal serves as.

The portal connects as the runtime role (`DATABASE_URL`): it reads and writes rows, but of the audit log it
may only read and add entries, and it can neither TRUNCATE, ALTER nor drop anything (the grants are in
migration 0011_audit_runtime_role). What only the owner may do, the commands that do it run on the owner's
connection (`DATABASE_OWNER_URL`, the "owner" alias): `migrate`, `flush` and `purge_audit`. Without an owner
alias (SQLite, or PostgreSQL with one role) they run on "default" as before.
"""

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

OWNER_DATABASE = "owner"


def owner_database(alias: str = DEFAULT_DB_ALIAS) -> str:
    """The alias an owner's operation asked of `alias` runs on: the owner's when the portal has one."""
    if alias == DEFAULT_DB_ALIAS and OWNER_DATABASE in settings.DATABASES:
        return OWNER_DATABASE
    return alias
