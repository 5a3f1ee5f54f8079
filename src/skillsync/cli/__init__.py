"""The `skillsync` command line: parses options, calls the library, shows results.

Nothing else in skillsync imports click; every command is a thin layer over one
library function.
"""

from __future__ import annotations

import sys

import click

from skillsync.cli import demo, simulator, sync
from skillsync.cli.base import ExitCode, cli
from skillsync.errors import SkillsyncError

__all__ = ["ExitCode", "cli", "demo", "main", "simulator", "sync"]


def main() -> None:
    """Run the command line, turning skillsync errors into one line and exit 1."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(ExitCode.ERROR)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitCode.ERROR)
    except SkillsyncError as exc:
        click.echo(f"Error: {exc}", err=True)
        if "--verbose" in sys.argv or "-v" in sys.argv:
            raise

        sys.exit(ExitCode.ERROR)
