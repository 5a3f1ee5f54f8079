"""What every command shares: the group, the exit codes, the options that
say where the directory and the org are, and how results are written."""

from __future__ import annotations

import enum
import functools
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from skillsync.directory.interface import DirectorySource
from skillsync.errors import ConfigError
from skillsync.genesys.connection import connection_from_env
from skillsync.world import Target, source_for


class ExitCode(enum.IntEnum):
    """The exit codes skillsync promises."""

    OK = 0
    ERROR = 1
    CHANGES_PENDING = 2
    STOPPED_BY_BRAKE = 3


EXIT_CODES_HELP = (
    "Exit codes: 0 success (with --detailed-exitcode: no changes); 1 error; "
    "2 changes pending (with --detailed-exitcode); 3 apply stopped by the removal "
    "brake."
)


@click.group(epilog=EXIT_CODES_HELP)
@click.version_option(package_name="genesys-skillsync")
@click.option("--verbose", "-v", is_flag=True, help="Log each phase and API call.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Grant Genesys Cloud routing skills and languages from nested groups."""
    ctx.obj = {"verbose": verbose}
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # skillsync logs each API call itself; the HTTP libraries' lines would repeat it.
    for library in ("httpx", "httpcore"):
        logging.getLogger(library).setLevel(logging.WARNING)


Decorator = Callable[[Callable[..., None]], Callable[..., None]]


def source_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options that choose the directory, and the org to read and write."""
    options: list[Decorator] = [
        click.option(
            "--policy",
            "policy_path",
            type=click.Path(path_type=Path, dir_okay=False),
            required=True,
            help="Policy YAML: which groups grant which skills and languages.",
        ),
        click.option(
            "--snapshot",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Read the directory from a SCIM snapshot file.",
        ),
        click.option(
            "--scim",
            metavar="URL",
            help="Read the directory from a SCIM 2.0 server (token in SCIM_TOKEN).",
        ),
        click.option(
            "--genesys",
            is_flag=True,
            help="Use the org's own Genesys Cloud groups (the default).",
        ),
    ]
    for option in reversed(options):
        command = option(command)

    return connection_options(command)


def connection_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options that say where Genesys Cloud is and how fast to go."""
    options: list[Decorator] = [
        click.option(
            "--api-url",
            metavar="URL",
            help="Full API base URL; wins over GENESYSCLOUD_API_REGION and _REGION.",
        ),
        click.option(
            "--rate-limit",
            type=click.IntRange(min=1),
            help="Requests per minute per token; default: the org's, else 300.",
        ),
        click.option(
            "--token-pool-size",
            type=click.IntRange(1, 50),
            help="Tokens to spread requests over, each with its own budget.",
        ),
    ]
    for option in reversed(options):
        command = option(command)

    return command


def target_of(
    api_url: str | None, rate_limit: int | None, token_pool_size: int | None
) -> Target:
    """The org the environment and options point at."""
    connection = connection_from_env(os.environ, api_url, token_pool_size)
    return Target(connection, rate_limit)


def directory_of(
    snapshot: Path | None, scim: str | None, genesys: bool
) -> DirectorySource | None:
    """The directory source the options choose; None is the org's own groups."""
    if sum(bool(x) for x in (snapshot, scim, genesys)) > 1:
        raise click.UsageError("choose one of --snapshot, --scim and --genesys")

    return source_for(snapshot, scim, dict(os.environ))


@dataclass(frozen=True, slots=True)
class Inputs:
    """What a planning command reads: the policy, the directory and the org."""

    policy: Path
    source: DirectorySource | None
    target: Target


def planning_options(command: Callable[..., None]) -> Callable[..., None]:
    """The source options, handed to the command as one `Inputs`."""

    @functools.wraps(command)
    def gathered(
        *,
        policy_path: Path,
        snapshot: Path | None,
        scim: str | None,
        genesys: bool,
        api_url: str | None,
        rate_limit: int | None,
        token_pool_size: int | None,
        **rest: Any,
    ) -> None:
        source = directory_of(snapshot, scim, genesys)
        target = target_of(api_url, rate_limit, token_pool_size)
        command(inputs=Inputs(policy_path, source, target), **rest)

    return source_options(gathered)


def stdout_console() -> Console:
    """A console for results: as wide as the terminal, or wide enough not to
    cut names short when the output goes to a file or a pipe."""
    return Console(width=None if sys.stdout.isatty() else 160)


def write_file(path: Path, content: bytes) -> None:
    """Write a result file whole, or say why not."""
    try:
        path.write_bytes(content)
    except OSError as error:
        raise ConfigError(f"cannot write {path}: {error.strerror}") from error
