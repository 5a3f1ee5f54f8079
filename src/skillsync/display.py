"""What the command line draws on a terminal while a long command runs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from skillsync.progress import QUIET, Observer


class ProgressBar:
    """An `Observer` that shows the current phase as a bar on standard error."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None
        self.name = ""

    def phase(self, name: str, total: int | None = None) -> None:
        """Finish the bar of the last phase and start one for `name`."""
        if self.task is not None:
            self.progress.remove_task(self.task)

        self.name = name
        self.task = self.progress.add_task(name, total=total)

    def advance(self, items: int = 1) -> None:
        """Move the bar on."""
        if self.task is not None:
            self.progress.update(self.task, advance=items, description=self.name)

    def waiting(self, seconds: float, reason: str) -> None:
        """Say on the bar why nothing moves."""
        if self.task is not None:
            description = f"{self.name} (waiting {seconds:.0f} s: {reason})"
            self.progress.update(self.task, description=description)


@contextmanager
def paused(observer: Observer) -> Iterator[None]:
    """Take the progress bar off the screen for a while, to print or to ask."""
    if not isinstance(observer, ProgressBar):
        yield
        return

    observer.progress.stop()
    try:
        yield
    finally:
        observer.progress.start()


@contextmanager
def progress_observer() -> Iterator[Observer]:
    """A progress bar when standard error is a terminal, else `QUIET`."""
    if not sys.stderr.isatty():
        yield QUIET
        return

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        yield ProgressBar(bar)
