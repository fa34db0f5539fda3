"""Progress on the console: one line per stage, updated in place on a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ConsoleProgress:
    """A ``progress(stage, fraction)`` callback that writes to stderr without flooding logs."""

    def __init__(self, stream: TextIO | None = None, min_interval: float = 0.5) -> None:
        self.stream = stream or sys.stderr
        self.min_interval = min_interval
        self._stage: str | None = None
        self._started = 0.0
        self._last = 0.0
        self._tty = self.stream.isatty()

    def __call__(self, stage: str, fraction: float) -> None:
        now = time.perf_counter()
        new_stage = stage != self._stage
        if new_stage:
            if self._stage is not None and self._tty:
                self.stream.write("\n")
            self._stage, self._started = stage, now
        # A log file gets a line per stage and then one every few seconds; a terminal more often.
        interval = self.min_interval if self._tty else 5.0
        if not new_stage and fraction < 1.0 and now - self._last < interval:
            return
        self._last = now
        line = f"  {stage} {fraction:6.1%}  ({now - self._started:5.1f}s)"
        self.stream.write(("\r" + line) if self._tty else (line + "\n"))
        self.stream.flush()

    def close(self) -> None:
        """End the current line (safe to call more than once)."""
        if self._stage is not None and self._tty:
            self.stream.write("\n")
            self.stream.flush()
        self._stage = None
