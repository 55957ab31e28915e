"""Keep voters' phone numbers out of the logs.

Two layers, because a log record can reach a handler the settings do not know about (pytest's caplog, an
error reporter added later): `install_record_factory()` masks every record's message as it is created,
and `MaskingFormatter` masks the final formatted text, tracebacks included, for the handlers in LOGGING.
"""

from __future__ import annotations

import logging

from stations.privacy import mask_phones_in_text


class MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_phones_in_text(super().format(record))


def _mask_record(record: logging.LogRecord) -> logging.LogRecord:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001  (a broken format string is reported by the handler, as usual)
        return record
    masked = mask_phones_in_text(message)
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
