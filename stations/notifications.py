"""Sending notices to staff, administrators and voters, behind one small interface.

Callers build a `Notice` and name `Recipient`s; the notifiers chosen by `settings.NOTIFIER` (one dotted path,
or several separated by commas) deliver it. The e-mail notifier goes through Django's mail framework (until
SMTP is configured, a backend that only logs masked recipients and subjects: stations.mail). An SMS gateway is
one more class with the same `send` method that uses `Recipient.phone`; `FileSmsNotifier` is the development
one (it writes each text message to a file instead of a gateway).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone
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


class FileSmsNotifier:
    """For development: each text message is appended to settings.SMS_OUTBOX as one JSON line (time, number,
    text) instead of going to a gateway. It keeps phone numbers on disk, so never use it in production; a real
    gateway is a class with this same `send` that posts to the operator's API."""

    def send(self, *, recipients: Sequence[Recipient], notice: Notice) -> int:
        phones = sorted({recipient.phone for recipient in recipients if recipient.phone})
        if not phones:
            return 0
        # A text message has no subject line: the subject leads the text.
        text = f"{notice.subject}\n{notice.body}".strip()
        with open(settings.SMS_OUTBOX, "a", encoding="utf-8") as outbox:
            for phone in phones:
                line = {"at": timezone.now().isoformat(), "to": phone, "text": text}
                outbox.write(json.dumps(line, ensure_ascii=False) + "\n")
        return len(phones)


class FanOutNotifier:
    """Several notifiers at once (e-mail and SMS): each reaches the recipients on its own channel."""

    def __init__(self, notifiers: Sequence[Notifier]) -> None:
        self.notifiers = list(notifiers)

    def send(self, *, recipients: Sequence[Recipient], notice: Notice) -> int:
        return sum(notifier.send(recipients=recipients, notice=notice) for notifier in self.notifiers)


def get_notifier() -> Notifier:
    paths = [path.strip() for path in str(getattr(settings, "NOTIFIER", DEFAULT_NOTIFIER)).split(",") if path.strip()]
    notifiers = [import_string(path)() for path in paths or [DEFAULT_NOTIFIER]]
    return notifiers[0] if len(notifiers) == 1 else FanOutNotifier(notifiers)


def notify(*, recipients: Sequence[Recipient], notice: Notice) -> int:
    """Send a notice; a failing mail server is logged, never raised: the change it reports already happened."""
    try:
        return get_notifier().send(recipients=recipients, notice=notice)
    except Exception:
        # The subject names the opinion's reference only; bodies and addresses stay out of the log.
        logger.exception("could not send notice %r", notice.subject)
        return 0
