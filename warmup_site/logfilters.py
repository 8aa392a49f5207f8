"""Logging filters that keep the console readable (settings.LOGGING)."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied


class NoPermissionDeniedTraceback(logging.Filter):
    """A PermissionDenied is a routine 403 (a member opening an owner's page, an operator
    opening a read-only admin row's delete page), not a crash: keep Django's one warning line,
    drop the traceback it attaches."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True
