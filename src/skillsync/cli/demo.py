"""`skillsync demo`, drawn on the terminal."""

from __future__ import annotations

from rich.console import Console

from skillsync.apply import ApplyReport
from skillsync.cli.base import cli, stdout_console
from skillsync.demo import run_demo
from skillsync.display import paused, progress_observer
from skillsync.explain import Explanation, explanation_text
from skillsync.plan import Plan
from skillsync.progress import Observer
from skillsync.report import render_table


@cli.command("demo")
def demo_command() -> None:
    """Run plan, apply, plan again, explain and graph on a generated org,
    against the bundled simulator: no credentials, no network."""
    with progress_observer() as observer:
        run_demo(TerminalDemo(stdout_console(), observer), observer)


class TerminalDemo:
    """The demo's steps, drawn on the terminal."""

    def __init__(self, console: Console, observer: Observer) -> None:
        self.console = console
        self.observer = observer
        self.number = 0

    def step(self, title: str, command: str) -> None:
        """A numbered heading and the command a user would type."""
        self.number += 1
        with paused(self.observer):
            self.console.rule(f"[bold]{self.number}. {title}", align="left")
            self.console.print(f"$ {command}", style="cyan", highlight=False)

    def text(self, text: str) -> None:
        """Plain text."""
        with paused(self.observer):
            self.console.print(text, highlight=False, markup=False, soft_wrap=True)

    def plan(self, plan: Plan) -> None:
        """A plan, its first users only."""
        with paused(self.observer):
            render_table(plan, self.console, limit=8)

    def applied(self, report: ApplyReport) -> None:
        """The end of the apply."""
        if report.result is not None:
            self.text(report.result.summary())
        else:
            self.text(report.plan.summary())

    def explanation(self, explanation: Explanation) -> None:
        """Why an agent holds its skills."""
        self.text(explanation_text(explanation))
