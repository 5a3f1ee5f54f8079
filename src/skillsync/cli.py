"""The `skillsync` command line: parses options, calls the library, shows results.

Nothing else in skillsync imports click; every command is a thin layer over one
library function.
"""

from __future__ import annotations

import enum
import logging
import os
import sys
from pathlib import Path

import click

from skillsync.display import progress_observer
from skillsync.errors import SkillsyncError
from skillsync.genesys.connection import connection_from_env
from skillsync.genesys.export import export_org_file
from skillsync.simulator.app import SimSettings, open_fixture
from skillsync.simulator.generate import generate_org
from skillsync.simulator.server import serve


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


@cli.group()
def org() -> None:
    """Read the Genesys Cloud org the environment points at."""


@org.command("export")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Org fixture JSON to write; written only once the whole org is read.",
)
@click.option(
    "--api-url",
    metavar="URL",
    help="Full API base URL; wins over GENESYSCLOUD_API_REGION and _REGION.",
)
@click.option(
    "--rate-limit",
    type=click.IntRange(min=1),
    help="Requests per minute per token; default: read from the org, else 300.",
)
@click.option(
    "--token-pool-size",
    type=click.IntRange(1, 50),
    help="Tokens to spread requests over, each with its own budget [default: 1].",
)
def org_export(
    out: Path, api_url: str | None, rate_limit: int | None, token_pool_size: int | None
) -> None:
    """Write the whole org (catalogs, users of every state, groups) as a fixture.

    Credentials and region come from GENESYSCLOUD_OAUTHCLIENT_ID,
    GENESYSCLOUD_OAUTHCLIENT_SECRET and GENESYSCLOUD_REGION (or
    GENESYSCLOUD_API_REGION). The file holds no OAuth client or secret.
    """
    connection = connection_from_env(os.environ, api_url, token_pool_size)
    with progress_observer() as observer:
        result = export_org_file(
            connection, out, rate_limit=rate_limit, observer=observer
        )

    exported = result.org
    click.echo(
        f"Exported {count(len(exported.users), 'user')}, "
        f"{count(len(exported.groups), 'group')}, "
        f"{count(len(exported.skills), 'skill')} and "
        f"{count(len(exported.languages), 'language')} to {out} "
        f"in {count(result.calls, 'API call')}."
    )


@cli.group()
def sim() -> None:
    """Run or generate a local simulated Genesys Cloud org."""


@sim.command("serve")
@click.option(
    "--org",
    "org_path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Org fixture JSON to serve (from `sim generate` or `org export`).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address.")
@click.option("--port", default=8765, show_default=True, help="Port.")
@click.option(
    "--rate-limit",
    default=300,
    show_default=True,
    type=click.IntRange(min=1),
    help="Requests per minute per access token; over it, 429.",
)
@click.option(
    "--token-ttl",
    default=86_400,
    show_default=True,
    type=click.IntRange(min=1),
    help="Seconds an access token lives.",
)
@click.option(
    "--latency-ms",
    default=0.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Mean added latency per request, with jitter of half either way.",
)
@click.option(
    "--error-rate",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of requests answered 502, 503 or 504, or dropped.",
)
@click.option(
    "--conflict-rate",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of skill and language writes refused with 409.",
)
@click.option(
    "--expand-drop-rate",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of user expansions left out, as the API may.",
)
@click.option("--seed", default=0, show_default=True, help="Seed for injected faults.")
def sim_serve(
    org_path: Path,
    host: str,
    port: int,
    rate_limit: int,
    token_ttl: int,
    latency_ms: float,
    error_rate: float,
    conflict_rate: float,
    expand_drop_rate: float,
    seed: int,
) -> None:
    """Serve an org fixture as the Genesys Cloud API, until interrupted."""
    settings = SimSettings(
        rate_limit=rate_limit,
        token_ttl=token_ttl,
        latency_ms=latency_ms,
        error_rate=error_rate,
        conflict_rate=conflict_rate,
        expand_drop_rate=expand_drop_rate,
        seed=seed,
    )
    app = open_fixture(org_path, settings)
    state = app.state
    clients = ", ".join(state.clients)
    click.echo(
        f"Serving {len(state.users)} users and {len(state.groups)} groups "
        f"of {org_path} "
        f"at http://{host}:{port} (OAuth clients: {clients}). Press Ctrl+C to stop.",
        err=True,
    )
    serve(app, host, port)


@sim.command("generate")
@click.option(
    "--users", type=click.IntRange(min=1), required=True, help="Genesys Cloud users."
)
@click.option("--seed", type=int, required=True, help="Same seed, same files.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Directory to write org.json, directory.json and policy.yaml into.",
)
@click.option(
    "--groups",
    type=click.IntRange(min=1),
    default=None,
    help="Directory groups  [default: a tenth of the users, at least 8]",
)
@click.option(
    "--depth",
    type=click.IntRange(min=1),
    default=6,
    show_default=True,
    help="Levels of group nesting.",
)
def sim_generate(
    users: int, seed: int, out: Path, groups: int | None, depth: int
) -> None:
    """Write a generated org fixture, directory snapshot and sample policy."""
    result = generate_org(out, users=users, seed=seed, groups=groups, depth=depth)
    click.echo(f"Wrote {result.org}, {result.directory} and {result.policy}:")
    click.echo(
        f"  org: {count(result.users, 'user')} ({result.active_users:,} active), "
        f"{count(result.genesys_groups, 'group')}, "
        f"{count(result.skills, 'skill')}, {count(result.languages, 'language')}"
    )
    click.echo(
        f"  directory: {count(result.directory_users, 'user')} "
        f"({result.unmatched_directory_users:,} without a Genesys Cloud account), "
        f"{count(result.groups, 'group')} nested {result.depth} deep, "
        f"{count(result.cycles, 'cycle')}"
    )
    click.echo(
        f"  policy: {count(result.rules, 'rule')}; a plan changes "
        f"{count(result.users_with_changes, 'user')}"
    )


def count(number: int, noun: str) -> str:
    """`number` and `noun`, pluralised with an s: "1 user", "2,000 users"."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


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
