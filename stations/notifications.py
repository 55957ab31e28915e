"""Sending notices to staff, administrators and voters, behind one small interface.

Callers build a `Notice` and name `Recipient`s; the notifier chosen by `settings.NOTIFIER` delivers it.
The e-mail notifier goes through Django's mail framework (until SMTP is configured, a backend that only logs
masked recipients and subjects: stations.mail). An SMS gateway is one more class with the same `send` method
that uses `Recipient.phone`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

DEFAULT_NOTIFIER = "stations.notifications.EmailNotifier"


@dataclass(frozen=True)
class Recipient:
    """Where a notice can reach someone; a notifier uses the channel it knows and skips the others."""

    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Notice:
    subject: str
    body: str


class Notifier(Protocol):
    def send(self, *, recipients: Sequence[Recipient], notice: Notice) -> int:
        """Deliver the notice to each recipient it can reach; return how many were sent."""
        ...


class EmailNotifier:
    """One message per recipient, so that nobody learns the others' addresses."""

    def send(self, *, recipients: Sequence[Recipient], notice: Notice) -> int:
        addresses = sorted({recipient.email for recipient in recipients if recipient.email})
        if not addresses:
            return 0
        messages = [
            EmailMessage(subject=notice.subject, body=notice.body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to])
            for to in addresses
        ]
        with get_connection() as connection:
            return connection.send_messages(messages) or 0


def get_notifier() -> Notifier:
    return import_string(getattr(settings, "NOTIFIER", DEFAULT_NOTIFIER))()


def notify(*, recipients: Sequence[Recipient], notice: Notice) -> int:
    """Send a notice; a failing mail server is logged, never raised: the change it reports already happened."""
    try:
        return get_notifier().send(recipients=recipients, notice=notice)
    except Exception:
        # The subject names the opinion's reference only; bodies and addresses stay out of the log.
        logger.exception("could not send notice %r", notice.subject)
        return 0
