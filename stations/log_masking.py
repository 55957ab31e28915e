"""Keep voters' phone numbers, e-mail addresses and tracking codes out of the logs.

Two layers, because a log record can reach a handler the settings do not know about (pytest's caplog, an
error reporter added later): `install_record_factory()` masks every record's message as it is created,
and `MaskingFormatter` masks the final formatted text, tracebacks included, for the handlers in LOGGING.
"""

from __future__ import annotations

import logging
import re

from stations.privacy import mask_email, mask_phones_in_text

_EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A tracking code is the key to a voter's opinion (stations.services.opinions: three groups of five). Any such
# triple is masked, whatever its alphabet, and so is whatever follows /track/ in a path, typed in any form.
_TRACKING_CODE_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}(?![0-9A-Za-z])")
_TRACK_PATH_IN_TEXT = re.compile(r"(/track/)[^/?#\s\"']+")
MASKED_TRACKING_CODE = "*****-*****-*****"


def mask_log_text(text: str) -> str:
    """A log line with phone numbers, e-mail addresses and tracking codes masked."""
    if not text:
        return text
    text = _TRACK_PATH_IN_TEXT.sub(lambda match: match.group(1) + MASKED_TRACKING_CODE, text)
    text = _TRACKING_CODE_IN_TEXT.sub(MASKED_TRACKING_CODE, text)
    text = _EMAIL_IN_TEXT.sub(lambda match: mask_email(match.group(0)), text)
    return mask_phones_in_text(text)


class MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_log_text(super().format(record))


def _mask_record(record: logging.LogRecord) -> logging.LogRecord:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001  (a broken format string is reported by the handler, as usual)
        return record
    masked = mask_log_text(message)
    if masked != message:
        record.msg, record.args = masked, ()
    return record


_installed = False


def install_record_factory() -> None:
    """Wrap the current log record factory so that every record is masked as it is created."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        return _mask_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed = True
