"""Timestamps as every record writes them: UTC, ISO 8601, to the second.

``Clock`` is the time source for code whose behaviour depends on elapsed time (the run lease):
tests pass a fake one instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def now() -> str:
    return utcnow().isoformat(timespec="seconds")
