"""The audit log: append-only record of sign-ins, refusals, access to personal data and changes.

Append-only is enforced twice. In the application, an entry cannot be saved a second time or deleted, and
the queryset refuses `update()` and `delete()`; on PostgreSQL a trigger (migration
`0003_security_audit_append_only`) also refuses UPDATE and DELETE from any client, so a bug or a shell
session cannot rewrite history either. The only way out is `manage.py purge_audit`, which deletes entries
older than the retention period (at least 180 days, the Cybersecurity Law's minimum for network logs)
after announcing itself to the trigger with `SET LOCAL liaison.purge = 'on'`; the trigger still refuses
rows younger than 180 days. TRUNCATE is left to the table owner (test database flushes use it); in
production the portal should connect as a role that does not own the table.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connections, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The legal minimum: entries younger than this are never deleted, whatever `purge_audit --days` says.
MIN_RETENTION_DAYS = 180


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit entry."""


class AuditAction(models.TextChoices):
    LOGIN = "login", _("signed in")
    LOGIN_FAILED = "login_failed", _("sign-in failed")
    LOGOUT = "logout", _("signed out")
    ACCESS_DENIED = "access_denied", _("access refused")
    VIEW_PERSONAL = "view_personal", _("viewed personal data")
    EXPORT = "export", _("exported")
    EXPORT_PERSONAL = "export_personal", _("exported personal data")
    CREATE = "create", _("created")
    UPDATE = "update", _("changed")
    DELETE = "delete", _("deleted")
    ARCHIVE = "archive", _("archived")
    RESTORE = "restore", _("restored")
    ANONYMISE = "anonymise", _("anonymised")


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs):
        raise AuditLogIsAppendOnly("audit entries cannot be changed")

    def delete(self):
        raise AuditLogIsAppendOnly("audit entries cannot be deleted; use manage.py purge_audit")

    def purge_older_than(self, days: int) -> int:
        """Delete entries older than max(days, 180) days; the only deletion the log allows."""
        cutoff = timezone.now() - dt.timedelta(days=max(days, MIN_RETENTION_DAYS))
        with transaction.atomic(using=self.db):
            if connections[self.db].vendor == "postgresql":
                with connections[self.db].cursor() as cursor:
                    cursor.execute("SET LOCAL liaison.purge = 'on'")
            # Nothing references audit entries, so Django deletes them in one statement.
            deleted, _ = models.QuerySet.delete(self.filter(at__lt=cutoff))
        return deleted


class AuditEntry(models.Model):
    """One audited event. Personal data in `summary` and `changes` is masked before it gets here."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        # An account with an audit trail is deactivated, not deleted: deleting it would rewrite its entries.
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    actor_name = models.CharField(_("user name"), max_length=150, blank=True)
    address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices, db_index=True)
    object_type = models.CharField(_("object type"), max_length=50, blank=True)
    object_id = models.CharField(_("object"), max_length=50, blank=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["actor_name", "-at"]), models.Index(fields=["object_type", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.get_action_display()}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("audit entries cannot be deleted; use manage.py purge_audit")
