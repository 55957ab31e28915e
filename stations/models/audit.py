"""The audit log: append-only record of sign-ins, refusals, access to personal data and changes.

Append-only is enforced twice. In the application, an entry cannot be saved a second time or deleted, and
the queryset refuses `update()` and `delete()`; on PostgreSQL a trigger (migration
`0003_security_audit_append_only`) also refuses UPDATE and DELETE from any client, so a bug or a shell
session cannot rewrite history either. The only way out is `manage.py purge_audit`, which deletes entries
older than the retention period (at least MIN_RETENTION_DAYS, the Cybersecurity Law's minimum for network logs)
after announcing itself to the trigger with `SET LOCAL liaison.purge = 'on'` as the role that owns the table;
the trigger refuses the flag to any other role (migration 0011_audit_runtime_role) and still refuses rows
younger than that (the migration writes the number; a test keeps the two equal). The portal serves as a
runtime role that may only SELECT and INSERT entries and owns nothing, so it cannot TRUNCATE or disable the
trigger either (stations.db_roles; README, "PostgreSQL").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections, models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# The legal minimum: entries younger than this are never deleted, whatever `purge_audit --days` says.
MIN_RETENTION_DAYS = 180


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit entry."""


class AuditAction(models.TextChoices):
    """Every event the log records, as a dotted code: `<domain>.<event>`. The code says what happened; an
    entry's summary only adds what the code cannot (an opinion's reference, a site's name). Admin changes
    have codes of their own, built per model: see `admin_action()`."""

    LOGIN = "auth.login", _("signed in")
    LOGIN_FAILED = "auth.login_failed", _("sign-in failed")
    LOGOUT = "auth.logout", _("signed out")
    LOCKED_OUT = "auth.locked_out", _("sign-in locked after repeated failures")
    PASSWORD_SET = "auth.password_set", _("password set by an administrator")
    PASSWORD_CHANGED = "auth.password_changed", _("password changed by its owner")
    SECOND_FACTOR_ENROLLED = "auth.second_factor.enrolled", _("two-factor device enrolled")
    SECOND_FACTOR_PASSED = "auth.second_factor.passed", _("second factor passed")
    SECOND_FACTOR_FAILED = "auth.second_factor.failed", _("wrong second-factor code")
    ACCESS_DENIED = "access.denied", _("access refused")
    PERSONAL_DATA_VIEWED = "personal_data.viewed", _("viewed personal data")
    EXPORT_VISITS = "export.visits", _("exported visits (masked)")
    EXPORT_VISITS_UNMASKED = "export.visits.unmasked", _("exported visits with personal data")
    EXPORT_STATS = "export.stats", _("exported figures")
    VISIT_CREATED = "visit.created", _("visit logged")
    VISIT_UPDATED = "visit.updated", _("visit changed")
    VISIT_ARCHIVED = "visit.archived", _("visit archived")
    VISIT_RESTORED = "visit.restored", _("visit restored")
    OPINION_REGISTERED = "opinion.registered", _("opinion registered")
    OPINION_ACCEPTED = "opinion.accepted", _("opinion accepted")
    OPINION_NOT_ACCEPTED = "opinion.not_accepted", _("opinion not accepted")
    OPINION_REFERRED = "opinion.referred", _("opinion referred")
    OPINION_REPLIED = "opinion.replied", _("reply to an opinion recorded")
    OPINION_RESOLVED = "opinion.resolved", _("opinion marked as resolved")
    OPINION_EXPLAINED = "opinion.explained", _("opinion marked as explained")
    OPINION_CLOSED = "opinion.closed", _("opinion closed")
    OPINION_REOPENED = "opinion.reopened", _("opinion reopened")
    OPINION_SUPERVISED = "opinion.supervised", _("opinion put under continued supervision")
    OPINION_SUPERVISION_ENDED = "opinion.supervision_ended", _("continued supervision ended")
    OPINION_REPORTED = "opinion.reported", _("opinion reported as an important situation")
    OPINION_REPORT_WITHDRAWN = "opinion.report_withdrawn", _("important report withdrawn")
    ROSTER_GENERATED = "roster.generated", _("roster generated")
    ROSTER_PUBLISHED = "roster.published", _("roster published")
    DUTY_ASSIGNED = "duty.assigned", _("deputy put on a shift")
    DUTY_REMOVED = "duty.removed", _("deputy taken off a shift")
    DUTY_SWAPPED = "duty.swapped", _("deputies swapped shifts")
    DUTY_SUBSTITUTED = "duty.substituted", _("deputy replaced on a shift")
    SHIFT_MOVED = "shift.moved", _("reception moved")
    SHIFT_CREATED = "shift.created", _("reception added")
    SHIFT_CHANGED = "shift.changed", _("reception changed in the admin")
    ATTENDANCE_MARKED = "attendance.marked", _("attendance marked")
    VOTER_ANONYMISED = "voter.anonymised", _("voter's personal data erased")
    VOTER_EXPORTED = "voter.exported", _("voter's records exported")
    AUDIT_PURGED = "audit.purged", _("old audit entries deleted")
    PHOTOS_NORMALISED = "deputy.photos_normalised", _("deputies' photos re-encoded")
    SITE_CREATED = "site.created", _("site created")
    SITE_UPDATED = "site.updated", _("site changed")
    REGION_CREATED = "region.created", _("town or street region created")
    AREA_CREATED = "area.created", _("area served created")
    AREA_UPDATED = "area.updated", _("area served changed")
    DEPUTY_CREATED = "deputy.created", _("deputy created")
    DEPUTY_UPDATED = "deputy.updated", _("deputy changed")
    MANDATE_CREATED = "mandate.created", _("mandate created")
    MANDATE_UPDATED = "mandate.updated", _("mandate changed")
    ASSIGNMENT_CREATED = "assignment.created", _("deputy assigned to a site")
    ASSIGNMENT_UPDATED = "assignment.updated", _("site assignment changed")
    RULE_CREATED = "rule.created", _("reception rule created")
    RULE_UPDATED = "rule.updated", _("reception rule changed")
    IMPORT_SITES = "import.sites", _("sites imported")
    IMPORT_DEPUTIES = "import.deputies", _("deputies imported")
    IMPORT_RULES = "import.rules", _("reception rules imported")
    IMPORT_VISITS = "import.visits", _("visits imported")
    IMPORT_ROSTERS = "import.rosters", _("rosters imported")
    THEME_CREATED = "theme.created", _("annual theme created")
    THEME_UPDATED = "theme.updated", _("annual theme changed")
    THEMES_TAGGED = "theme.tagged", _("record tagged with annual themes")
    PAIRING_CREATED = "pairing.created", _("deputy paired with a voter")
    PAIRING_ENDED = "pairing.ended", _("pairing ended")
    PAIRING_CONTACT_RECORDED = "pairing.contact_recorded", _("contact with a paired voter recorded")
    PAIRING_DEED_RECORDED = "pairing.deed_recorded", _("thing done for a paired voter recorded")
    ACTIVITY_RECORDED = "activity.recorded", _("deputy's activity recorded")
    API_KEY_ISSUED = "api_key.issued", _("API key issued")
    API_KEY_REVOKED = "api_key.revoked", _("API key revoked")
    UNAVAILABILITY_DECLARED = "unavailability.declared", _("deputy declared a date unavailable")
    UNAVAILABILITY_WITHDRAWN = "unavailability.withdrawn", _("deputy withdrew an unavailable date")
    SWAP_REQUESTED = "swap.requested", _("deputy asked for a swap")
    SWAP_APPROVED = "swap.approved", _("swap request approved")
    SWAP_REFUSED = "swap.refused", _("swap request refused")
    CALENDAR_FEED_ISSUED = "calendar_feed.issued", _("private calendar address issued")
    CALENDAR_FEED_REVOKED = "calendar_feed.revoked", _("private calendar address revoked")
    OPINION_VOTER_ANSWERED = "opinion.voter_answered", _("voter answered whether they are satisfied")
    REMINDER_SENT = "reminder.sent", _("reminder sent")


# Codes written before the dotted codes (issue 11). The table is append-only (a trigger on PostgreSQL), so
# old rows keep their codes for as long as they are kept; they still read as words in the viewer.
LEGACY_ACTIONS: dict[str, Promise] = {
    "login": _("signed in"),
    "login_failed": _("sign-in failed"),
    "logout": _("signed out"),
    "access_denied": _("access refused"),
    "view_personal": _("viewed personal data"),
    "export": _("exported"),
    "export_personal": _("exported personal data"),
    "create": _("created"),
    "update": _("changed"),
    "delete": _("deleted"),
    "archive": _("archived"),
    "restore": _("restored"),
    "anonymise": _("anonymised"),
}

# Summaries written before the dotted codes; the viewer still translates them (`{% translate entry.summary %}`),
# so they stay in the message catalogue.
LEGACY_SUMMARIES = (
    gettext_noop("sign-in locked for 30 minutes after repeated failures"),
    gettext_noop("voter's personal data erased on request"),
    gettext_noop("voter's records exported on request"),
)

# Changes made in the Django admin: `admin.<model name>.<verb>`, e.g. "admin.deputy.changed".
ADMIN_PREFIX = "admin."
ADMIN_VERBS: dict[str, Promise] = {
    "created": _("%(model)s created in the admin"),
    "changed": _("%(model)s changed in the admin"),
    "deleted": _("%(model)s deleted in the admin"),
}

# The groups of the viewer's filter, by the first part of the code.
ACTION_GROUPS: dict[str, Promise] = {
    "auth": _("Sign-in"),
    "access": _("Refusals"),
    "personal_data": _("Personal data"),
    "export": _("Exports"),
    "visit": _("Visits"),
    "opinion": _("Opinions"),
    "roster": _("Rosters"),
    "duty": _("Duties"),
    "shift": _("Receptions"),
    "attendance": _("Attendance"),
    "voter": _("Voters' rights"),
    "audit": _("Audit log"),
    "deputy": _("Deputies"),
    "site": _("Sites"),
    "area": _("Areas served"),
    "mandate": _("Mandates"),
    "assignment": _("Site assignments"),
    "rule": _("Reception rules"),
    "import": _("Imports"),
    "theme": _("Annual themes"),
    "pairing": _("Pairing"),
    "activity": _("Deputies' activities"),
    "api_key": _("API keys"),
    "unavailability": _("Unavailable dates"),
    "swap": _("Swap requests"),
    "calendar_feed": _("Private calendars"),
    "reminder": _("Reminders"),
}


def admin_action(model: type[models.Model] | models.Model, verb: str) -> str:
    """The code of a change made in the admin; `verb` is one of ADMIN_VERBS."""
    if verb not in ADMIN_VERBS:
        raise ValueError(f"unknown admin verb {verb!r}")
    return f"{ADMIN_PREFIX}{model._meta.model_name}.{verb}"


def _model_label(model_name: str) -> str:
    for model in apps.get_models():
        if model._meta.model_name == model_name:
            return str(model._meta.verbose_name)
    return model_name


def action_label(code: str) -> str:
    """What an action code reads as, in the current language: the dotted codes, the admin's and the legacy ones.
    An unknown code reads as itself."""
    if code in AuditAction.values:
        return str(AuditAction(code).label)
    if code in LEGACY_ACTIONS:
        return str(LEGACY_ACTIONS[code])
    if code.startswith(ADMIN_PREFIX):
        model_name, _dot, verb = code[len(ADMIN_PREFIX) :].rpartition(".")
        if verb in ADMIN_VERBS and model_name:
            return str(ADMIN_VERBS[verb]) % {"model": _model_label(model_name)}
    return code


def action_filter_choices() -> list[tuple[str, Any]]:
    """The viewer's filter: every code grouped by its first part, each group led by an option for all of it
    (value "<prefix>."), then the admin's changes and the codes of old entries."""
    grouped: dict[str, list[tuple[str, str]]] = {}
    for code, label in AuditAction.choices:
        grouped.setdefault(code.split(".", 1)[0], []).append((code, str(label)))
    choices: list[tuple[str, Any]] = []
    for prefix, options in grouped.items():
        group = str(ACTION_GROUPS.get(prefix, prefix))
        choices.append((group, [(f"{prefix}.", _("All: %(group)s") % {"group": group}), *options]))
    choices.append((str(_("Administration")), [(ADMIN_PREFIX, _("All changes in the admin"))]))
    choices.append((str(_("Older entries")), [(code, str(label)) for code, label in LEGACY_ACTIONS.items()]))
    return choices


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs):
        raise AuditLogIsAppendOnly("audit entries cannot be changed")

    def delete(self):
        raise AuditLogIsAppendOnly("audit entries cannot be deleted; use manage.py purge_audit")

    def purge_older_than(self, days: int) -> int:
        """Delete entries older than max(days, MIN_RETENTION_DAYS) days; the only deletion the log allows."""
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
    # No `choices`: the admin's codes are built per model and the legacy codes stay readable (action_label).
    action = models.CharField(_("action"), max_length=60, db_index=True)
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
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action_label}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("audit entries cannot be deleted; use manage.py purge_audit")

    @property
    def action_label(self) -> str:
        return action_label(self.action)
