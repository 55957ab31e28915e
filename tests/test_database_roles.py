"""The audit log holds against the database itself: the portal's own role cannot rewrite or purge it.

PostgreSQL with two roles only (README, "PostgreSQL"; CI runs the suite so): the tests connect as the runtime
role ("default", DATABASE_URL) and reach the owner through the "owner" alias (DATABASE_OWNER_URL). Each
statement runs in a transaction of its own, committed, as the portal's and purge_audit's would be.
"""

import datetime as dt
import os

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from stations.db_roles import OWNER_DATABASE
from stations.models import AuditAction, AuditEntry

TABLE = AuditEntry._meta.db_table
TRIGGER = "stations_auditentry_append_only"


def _two_roles() -> bool:
    from django.conf import settings

    return connection.vendor == "postgresql" and OWNER_DATABASE in settings.DATABASES


if not _two_roles() and os.environ.get("CI") == "true":
    raise pytest.UsageError("CI=true but the suite is not on PostgreSQL with DATABASE_OWNER_URL: see .ci/run")

pytestmark = [
    pytest.mark.skipif(
        not _two_roles(),
        reason="needs PostgreSQL with a runtime and an owner role (DATABASE_URL and DATABASE_OWNER_URL); "
        "SQLite has no roles",
    ),
    pytest.mark.django_db(transaction=True, databases="__all__"),
]


@pytest.fixture
def entries():
    now = timezone.now()
    return {
        days: AuditEntry.objects.create(action=AuditAction.LOGIN, at=now - dt.timedelta(days=days), summary=f"{days}")
        for days in (1, 400)
    }


def run(sql: str, *params, using: str = "default", purge: bool = False) -> None:
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        if purge:
            cursor.execute("SET LOCAL liaison.purge = 'on'")
        cursor.execute(sql, params or None)


def summaries() -> set[str]:
    return set(AuditEntry.objects.values_list("summary", flat=True))


def test_it_lets_the_portal_only_read_and_add_audit_entries():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) p "
            "WHERE has_table_privilege(current_user, %s, p)",
            [TABLE],
        )
        assert {row[0] for row in cursor.fetchall()} == {"SELECT", "INSERT"}


def test_it_refuses_the_portal_to_change_delete_or_truncate_entries(entries):
    for statement in (
        f"UPDATE {TABLE} SET summary = 'rewritten'",  # noqa: S608  (the model's own table name)
        f"DELETE FROM {TABLE}",  # noqa: S608
        f"TRUNCATE {TABLE}",
    ):
        with pytest.raises(DatabaseError, match="permission denied"):
            run(statement)
    assert summaries() == {"1", "400"}


def test_it_refuses_the_portal_to_disable_or_drop_the_trigger(entries):
    for statement in (
        f"ALTER TABLE {TABLE} DISABLE TRIGGER {TRIGGER}",
        f"ALTER TABLE {TABLE} DISABLE TRIGGER ALL",
        f"DROP TRIGGER {TRIGGER} ON {TABLE}",
        f"DROP TABLE {TABLE}",
    ):
        with pytest.raises(DatabaseError, match="must be owner"):
            run(statement)
    with pytest.raises(DatabaseError, match="permission denied"):
        run(f"DELETE FROM {TABLE}")  # noqa: S608
    assert summaries() == {"1", "400"}


def test_it_refuses_the_portal_a_purge_even_with_the_purge_switched_on(entries):
    with pytest.raises(DatabaseError, match="permission denied"):
        run(f"DELETE FROM {TABLE} WHERE id = %s", entries[400].pk, purge=True)  # noqa: S608
    with pytest.raises(DatabaseError):
        AuditEntry.objects.using("default").purge_older_than(180)
    assert summaries() == {"1", "400"}


def test_it_refuses_the_purge_to_a_role_that_does_not_own_the_table_even_one_granted_delete(entries):
    """A grant given by mistake is not enough: the trigger lets only the owner (or its members) purge."""
    runtime = connection.settings_dict["USER"]
    run(f'GRANT DELETE ON {TABLE} TO "{runtime}"', using=OWNER_DATABASE)
    try:
        with pytest.raises(DatabaseError, match="append-only"):
            run(f"DELETE FROM {TABLE} WHERE id = %s", entries[400].pk, purge=True)  # noqa: S608
    finally:
        run(f'REVOKE DELETE ON {TABLE} FROM "{runtime}"', using=OWNER_DATABASE)
    assert summaries() == {"1", "400"}


def test_it_refuses_even_the_owner_to_change_entries_or_purge_young_ones(entries):
    with pytest.raises(DatabaseError, match="append-only"):
        run(f"UPDATE {TABLE} SET summary = 'rewritten'", using=OWNER_DATABASE)  # noqa: S608
    with pytest.raises(DatabaseError, match="append-only"):
        run(f"DELETE FROM {TABLE} WHERE id = %s", entries[400].pk, using=OWNER_DATABASE)  # noqa: S608
    with pytest.raises(DatabaseError, match="append-only"):
        run(f"DELETE FROM {TABLE} WHERE id = %s", entries[1].pk, using=OWNER_DATABASE, purge=True)  # noqa: S608
    assert summaries() == {"1", "400"}


def test_it_lets_the_owner_purge_old_entries_with_purge_audit(entries):
    call_command("purge_audit")
    assert summaries() - {AuditEntry.objects.get(action=AuditAction.AUDIT_PURGED).summary} == {"1"}
