"""Progress reports from long library calls, to whoever wants them.

Library code tells an `Observer` what it is doing; it never prints. The command
line passes one that draws a progress bar on a terminal; everyone else gets
`QUIET`, which ignores every report.
"""

from __future__ import annotations

from typing import Protocol


class Observer(Protocol):
    """What a long call reports while it runs."""

    def phase(self, name: str, total: int | None = None) -> None:
        """A new phase began: `name`, and how many items it holds if known."""
        ...

    def advance(self, items: int = 1) -> None:
        """`items` more of the current phase are done."""
        ...

    def waiting(self, seconds: float, reason: str) -> None:
        """Nothing can be sent for `seconds`, for `reason`."""
        ...


class Quiet:
    """An observer that ignores every report."""

    def phase(self, name: str, total: int | None = None) -> None:
        """Ignore the phase."""

    def advance(self, items: int = 1) -> None:
        """Ignore the progress."""

    def waiting(self, seconds: float, reason: str) -> None:
        """Ignore the wait."""


QUIET: Observer = Quiet()
