"""Reminders already sent: `manage.py send_reminders` runs from cron and must never send one twice."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReminderKind(models.TextChoices):
    DUTY_TOMORROW = "duty_tomorrow", _("duty tomorrow (deputy)")
    DEADLINE_NEAR = "deadline_near", _("reply deadline near (handling body, station head)")
    DEADLINE_PASSED = "deadline_passed", _("reply deadline passed (handling body, station head)")
    OPINION_ANSWERED = "opinion_answered", _("opinion answered (voter)")
    SATISFACTION_ASKED = "satisfaction_asked", _("satisfaction asked (voter)")


class SentReminder(models.Model):
    """One reminder, by a key naming what it is about (the duty and its day, the opinion and its deadline, the
    reply step…): the unique key is what makes a second run send nothing twice, even two runs at once."""

    key = models.CharField(_("key"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=ReminderKind.choices)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    delivered = models.PositiveIntegerField(_("messages delivered"), default=0)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        ordering = ["-sent_at", "-pk"]

    def __str__(self) -> str:
        return self.key
