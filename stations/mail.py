"""The portal's default mail backend: it sends nothing and logs only that a message would have gone.

Django's console backend prints whole messages into the server's log: voters' e-mail addresses, tracking codes
and the links to their opinions, where anyone who reads the log could follow them. Until SMTP is configured
(EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and the EMAIL_* settings) this backend logs one line
per message with the recipients masked (a***@example.cn) and the subject masked as every log line is
(stations.log_masking: a voter's notice names its tracking code). The body is never logged or kept.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from stations.log_masking import mask_log_text
from stations.privacy import mask_email

logger = logging.getLogger(__name__)


class LogOnlyEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            logger.info(
                "e-mail not sent (no mail server configured): to %s, subject %s",
                ", ".join(mask_email(address) for address in message.recipients()),
                mask_log_text(str(message.subject)),
            )
        return len(email_messages)
