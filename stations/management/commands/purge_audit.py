"""Delete audit entries past the retention period: never younger than MIN_RETENTION_DAYS (180 days).

manage.py purge_audit             # entries older than the minimum
manage.py purge_audit --days 365  # entries older than a year
manage.py purge_audit --days 30   # still the minimum: the legal minimum wins

On PostgreSQL the deletion runs as the role that owns the audit table (DATABASE_OWNER_URL): the database
refuses it to any other role, the portal's own included (stations.db_roles).
"""

from django.core.management.base import BaseCommand

from stations.audit import Actor, audit
from stations.db_roles import owner_database
from stations.models.audit import MIN_RETENTION_DAYS, AuditAction, AuditEntry


class Command(BaseCommand):
    help = f"Delete audit log entries older than max(--days, {MIN_RETENTION_DAYS}) days."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=MIN_RETENTION_DAYS,
            help=f"Keep this many days (at least {MIN_RETENTION_DAYS}).",
        )

    def handle(self, *args, days: int, **options) -> None:
        kept_days = max(days, MIN_RETENTION_DAYS)
        deleted = AuditEntry.objects.using(owner_database()).purge_older_than(kept_days)
        # The purge is itself an event of the log, and the newest entry after it.
        audit(
            action=AuditAction.AUDIT_PURGED,
            actor=Actor.system(),
            summary=f"purge_audit: {deleted} entries older than {kept_days} days deleted",
            changes={"deleted": deleted, "kept_days": kept_days},
        )
        self.stdout.write(f"Deleted {deleted} audit entries older than {kept_days} days.")
