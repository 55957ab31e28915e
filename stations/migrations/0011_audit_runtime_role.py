# The audit log against the database itself (PostgreSQL; nothing to do on SQLite, which has no roles).
#
# 1. The purge is the owner's: the trigger lets `SET LOCAL liaison.purge = 'on'` delete old entries only when
#    the role deleting is the table's owner or a member of it. Any role can set a custom setting, so the flag
#    alone proved nothing.
# 2. When the migration runs as the owner (the "owner" alias, DATABASE_OWNER_URL) and the portal serves as
#    another role (DATABASE_URL's user), that runtime role gets the rows of every table, present and future,
#    except that it may only read and add audit entries and only read the migration history. It owns nothing,
#    so it can neither TRUNCATE, ALTER (disable the trigger) nor drop a table.
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, migrations

OWNER_ONLY_PURGE_SQL = """
CREATE OR REPLACE FUNCTION stations_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('liaison.purge', true) = 'on'
       AND pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER')
       AND OLD.at < now() - interval '180 days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp;
"""

# As migration 0003 left it.
FLAG_ONLY_PURGE_SQL = """
CREATE OR REPLACE FUNCTION stations_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('liaison.purge', true) = 'on'
       AND OLD.at < now() - interval '180 days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

GRANT_SQL = """
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role};
REVOKE UPDATE, DELETE, TRUNCATE ON stations_auditentry FROM {role};
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON django_migrations FROM {role};
ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role};
ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role};
"""

REVOKE_SQL = """
ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE ALL ON SEQUENCES FROM {role};
ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE ALL ON TABLES FROM {role};
REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role};
REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role};
"""


def runtime_role(connection):
    """The role the portal serves as, when it is not the one running this migration; else None."""
    role = settings.DATABASES[DEFAULT_DB_ALIAS].get("USER")
    if connection.alias == DEFAULT_DB_ALIAS or not role:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_schema()")
        current_user, schema = cursor.fetchone()
    return None if role == current_user else (connection.ops.quote_name(role), connection.ops.quote_name(schema))


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    schema_editor.execute(OWNER_ONLY_PURGE_SQL, params=None)
    runtime = runtime_role(connection)
    if runtime:
        role, schema = runtime
        schema_editor.execute(GRANT_SQL.format(role=role, schema=schema), params=None)


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    runtime = runtime_role(connection)
    if runtime:
        role, schema = runtime
        schema_editor.execute(REVOKE_SQL.format(role=role, schema=schema), params=None)
    schema_editor.execute(FLAG_ONLY_PURGE_SQL, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("stations", "0010_dates_in_bounds"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
