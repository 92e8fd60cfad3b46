"""How a long command shows its progress: a bar with counts, rate and time left on a terminal
(click's), a plain line every few seconds when its output goes to a file or a log, and a
summary with the time taken either way.

A service that does long work takes a ``Progress`` and calls ``advance`` as it goes; the
command line gives it one (``Progress.for_command``), everything else the silent default.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

import click

#: Seconds between the plain lines written when the output is not a terminal
#: (LMS_PROGRESS_SECONDS changes it; tests set 0 for a line at every step).
DEFAULT_INTERVAL = 5.0


class Progress:
    """Counts done of a total (or of an unknown total), in one unit, and says so."""

    def __init__(self, label: str = "", unit: str = "", stream: TextIO | None = None,
                 interval: float | None = None, enabled: bool = False) -> None:
        self.label, self.unit = label, unit
        self.stream = stream
        self.interval = DEFAULT_INTERVAL if interval is None else interval
        self.enabled = enabled
        self.total: int | None = None
        self.done = 0
        self.started = self.last_line = time.perf_counter()
        self.bar = None

    @classmethod
    def for_command(cls, label: str, unit: str) -> Progress:
        """A progress that writes to the command's output (standard error, so that what a
        command prints on standard output stays clean for a pipe)."""
        interval = os.environ.get("LMS_PROGRESS_SECONDS")
        return cls(label, unit, sys.stderr, float(interval) if interval else None,
                   enabled=True)

    def start(self, total: int | None, label: str | None = None) -> None:
        """Begin (again) with ``total`` to do (None: not known)."""
        self.finish_bar()
        self.total, self.done = total, 0
        self.label = label or self.label
        self.started = self.last_line = time.perf_counter()
        if self.enabled and self.on_terminal() and total:
            self.bar = click.progressbar(length=total, label=self.label, show_pos=True,
                                         show_eta=True, file=self.stream,
                                         item_show_func=lambda _item: self.rate_text())
            self.bar.__enter__()

    def on_terminal(self) -> bool:
        """Whether the output is a terminal a bar can be redrawn on."""
        return bool(self.stream is not None and self.stream.isatty())

    def advance(self, count: int = 1) -> None:
        """``count`` more done."""
        self.done += count
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(count)
        elif time.perf_counter() - self.last_line >= self.interval:
            self.last_line = time.perf_counter()
            self.write(self.line())

    def rate(self) -> float:
        """Done per second so far."""
        seconds = time.perf_counter() - self.started
        return self.done / seconds if seconds > 0 else 0.0

    def rate_text(self) -> str:
        """The rate, as the bar shows it."""
        return f"{self.rate():,.0f} {self.unit}/s"

    def line(self) -> str:
        """Where it stands, as one plain line."""
        of = f" of {self.total:,}" if self.total else ""
        share = f" ({self.done / self.total:.0%})" if self.total else ""
        return f"{self.label}: {self.done:,}{of} {self.unit}{share}, {self.rate_text()}"

    def finish(self) -> str:
        """End the bar, write the summary with the time taken, and return it."""
        self.finish_bar()
        seconds = time.perf_counter() - self.started
        summary = (f"{self.label}: {self.done:,} {self.unit} in {seconds:.1f} s "
                   f"({self.rate_text()})")
        if self.enabled:
            self.write(summary)
        return summary

    def finish_bar(self) -> None:
        """Close the bar if one is drawn."""
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

    def write(self, text: str) -> None:
        """One line to the output."""
        click.echo(text, file=self.stream)

