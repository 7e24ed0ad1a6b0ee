"""Keep patient data out of the service's logs.

The service never formats payloads into log messages; this filter is the second
line of defence for anything a library might echo (tracebacks, query strings):
it masks mobile numbers, national ID numbers and runs of Han characters that
could be a patient's name.
"""

from __future__ import annotations

import logging
import re

_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_NATIONAL_ID = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


def redact(text: str) -> str:
    """``text`` with phone numbers, national IDs and Han names masked."""
    text = _NATIONAL_ID.sub("[id]", text)
    text = _PHONE.sub("[phone]", text)
    return _HAN_RUN.sub("[name]", text)


class PatientDataFilter(logging.Filter):
    """A logging filter that rewrites each record's message through :func:`redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def install_patient_data_filter(*logger_names: str) -> None:
    """Attach the filter to the named loggers' handlers and the loggers themselves (idempotent)."""
    names = logger_names or ("", "followup", "uvicorn", "uvicorn.error", "uvicorn.access", "sqlalchemy")
    for name in names:
        logger = logging.getLogger(name)
        targets = [logger, *logger.handlers]
        for target in targets:
            if not any(isinstance(f, PatientDataFilter) for f in target.filters):
                target.addFilter(PatientDataFilter())
