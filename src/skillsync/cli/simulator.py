"""The commands around the simulator: org export, sim serve, sim generate."""

from __future__ import annotations

import os
from pathlib import Path

import click

from skillsync.cli.base import cli, connection_options
from skillsync.display import progress_observer
from skillsync.genesys.connection import connection_from_env
from skillsync.genesys.export import export_org_file
from skillsync.simulator.app import SimSettings, open_fixture
from skillsync.simulator.generate import generate_org
from skillsync.simulator.server import serve
from skillsync.words import plural


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
@connection_options
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
        f"Exported {plural(len(exported.users), 'user')}, "
        f"{plural(len(exported.groups), 'group')}, "
        f"{plural(len(exported.skills), 'skill')} and "
        f"{plural(len(exported.languages), 'language')} to {out} "
        f"in {plural(result.calls, 'API call')}."
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
        f"  org: {plural(result.users, 'user')} ({result.active_users:,} active), "
        f"{plural(result.genesys_groups, 'group')}, "
        f"{plural(result.skills, 'skill')}, {plural(result.languages, 'language')}"
    )
    click.echo(
        f"  directory: {plural(result.directory_users, 'user')} "
        f"({result.unmatched_directory_users:,} without a Genesys Cloud account), "
        f"{plural(result.groups, 'group')} nested {result.depth} deep, "
        f"{plural(result.cycles, 'cycle')}"
    )
    click.echo(
        f"  policy: {plural(result.rules, 'rule')}; a plan changes "
        f"{plural(result.users_with_changes, 'user')}"
    )
