"""The `skillsync` command line: parses options, calls the library, shows results.

Nothing else in skillsync imports click; every command is a thin layer over one
library function.
"""

from __future__ import annotations

import enum
import logging
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.console import Console

from skillsync.apply import ApplyOptions, ApplyReport, apply_policy, apply_saved
from skillsync.demo import run_demo
from skillsync.directory.interface import DirectorySource
from skillsync.display import paused, progress_observer
from skillsync.errors import ConfigError, SkillsyncError
from skillsync.explain import Explanation, explain, explanation_text
from skillsync.genesys.connection import connection_from_env
from skillsync.genesys.export import export_org_file
from skillsync.hierarchy import DEFAULT_LIMIT, render_hierarchy, to_svg
from skillsync.plan import Plan
from skillsync.planfile import plan_json
from skillsync.policy import policy_schema
from skillsync.progress import Observer
from skillsync.report import findings_lines, plan_markdown, render_table
from skillsync.simulator.app import SimSettings, open_fixture
from skillsync.simulator.generate import generate_org
from skillsync.simulator.server import serve
from skillsync.undo import undo
from skillsync.words import plural
from skillsync.world import Target, plan_policy, source_for


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


@cli.command("plan")
@source_options
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Save the plan as JSON, for `skillsync apply PLAN.json`.",
)
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "json", "markdown"]),
    default="table",
    show_default=True,
    help="How to print the plan.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when the plan has changes, 0 when it has none.",
)
def plan_command(
    policy_path: Path,
    snapshot: Path | None,
    scim: str | None,
    genesys: bool,
    api_url: str | None,
    rate_limit: int | None,
    token_pool_size: int | None,
    out: Path | None,
    output: str,
    detailed_exitcode: bool,
) -> None:
    """Show what apply would change, without changing anything."""
    source = directory_of(snapshot, scim, genesys)
    target = target_of(api_url, rate_limit, token_pool_size)
    with progress_observer() as observer:
        plan = plan_policy(policy_path, source, target, observer).plan

    if out is not None:
        write_file(out, plan_json(plan))

    show_plan(plan, output)
    if out is not None:
        click.echo(
            f"Saved the plan to {out}; apply it with `skillsync apply {out}`.", err=True
        )

    if detailed_exitcode and plan.users:
        sys.exit(ExitCode.CHANGES_PENDING)


def show_plan(plan: Plan, output: str) -> None:
    """Print a plan on standard output in the chosen format."""
    if output == "json":
        click.echo(plan_json(plan).decode(), nl=False)
    elif output == "markdown":
        click.echo(plan_markdown(plan))
    else:
        render_table(plan, stdout_console())


@cli.command("apply")
@click.argument(
    "saved_plan",
    metavar="[PLAN.json]",
    required=False,
    type=click.Path(path_type=Path, dir_okay=False),
)
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Policy YAML, to plan afresh and apply (instead of PLAN.json).",
)
@click.option(
    "--snapshot",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Read the directory from a SCIM snapshot file.",
)
@click.option(
    "--scim", metavar="URL", help="Read the directory from a SCIM 2.0 server."
)
@click.option("--genesys", is_flag=True, help="Use the org's own groups (the default).")
@connection_options
@click.option("--auto-approve", is_flag=True, help="Apply without asking.")
@click.option(
    "--allow-removals",
    is_flag=True,
    help="Apply even when more users would lose skills than max_removals allows.",
)
@click.option(
    "--journal",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to journal each user's changes [default: skillsync-apply-TIME.jsonl].",
)
def apply_command(
    saved_plan: Path | None,
    policy_path: Path | None,
    snapshot: Path | None,
    scim: str | None,
    genesys: bool,
    api_url: str | None,
    rate_limit: int | None,
    token_pool_size: int | None,
    auto_approve: bool,
    allow_removals: bool,
    journal: Path | None,
) -> None:
    """Apply a policy (planning first), or a plan saved by `plan --out`."""
    if (saved_plan is None) == (policy_path is None):
        raise click.UsageError("give either --policy FILE or a saved PLAN.json")

    target = target_of(api_url, rate_limit, token_pool_size)
    with progress_observer() as observer:
        options = ApplyOptions(
            approve=approver(auto_approve, observer),
            allow_removals=allow_removals,
            journal=journal or default_journal(),
        )
        if policy_path is None:
            report = apply_saved(Path(str(saved_plan)), target, options, observer)
        else:
            source = directory_of(snapshot, scim, genesys)
            report = apply_policy(policy_path, source, target, options, observer)

    finish_apply(report)


def approver(auto_approve: bool, observer: Observer) -> Callable[[Plan], bool]:
    """Show the plan, then ask, unless told not to."""

    def approve(plan: Plan) -> bool:
        with paused(observer):
            show_plan(plan, "table")
            if auto_approve:
                return True

            if not sys.stdin.isatty():
                raise ConfigError(
                    "apply asks before writing, and there is no terminal to ask "
                    "on; pass --auto-approve to apply without asking"
                )

            return click.confirm("Apply these changes?", default=False)

    return approve


def finish_apply(report: ApplyReport) -> None:
    """Tell how an apply ended, and exit as the contract says."""
    if report.status == "nothing":
        click.echo(report.plan.summary())
    elif report.status == "braked":
        show_plan(report.plan, "table")
        brake = report.plan.brake
        losing = plural(brake.users_with_removals, "user")
        click.echo(
            f"Stopped by the removal brake: {losing} would lose a skill or "
            f"language, and max_removals ({brake.setting}) "
            f"allows {brake.limit:g}. Nothing was changed. If the removals are "
            "intended, run again with --allow-removals.",
            err=True,
        )
        sys.exit(ExitCode.STOPPED_BY_BRAKE)
    elif report.status == "declined":
        click.echo("Nothing was changed.")
    elif report.result is not None:
        click.echo(report.result.summary())
        click.echo(
            f"Journal: {report.journal}; `skillsync undo {report.journal}` puts "
            "back what these users held."
        )


def default_journal() -> Path:
    """A journal file named for this moment, in the current directory."""
    return Path(f"skillsync-apply-{datetime.now(UTC):%Y%m%d-%H%M%S}.jsonl")


@cli.command("explain")
@click.argument("user")
@source_options
def explain_command(
    user: str,
    policy_path: Path,
    snapshot: Path | None,
    scim: str | None,
    genesys: bool,
    api_url: str | None,
    rate_limit: int | None,
    token_pool_size: int | None,
) -> None:
    """Say why USER (an email, username or id) holds each skill and language."""
    source = directory_of(snapshot, scim, genesys)
    target = target_of(api_url, rate_limit, token_pool_size)
    with progress_observer() as observer:
        planned = plan_policy(policy_path, source, target, observer)

    click.echo(explanation_text(explain(planned, user)))


@cli.group("policy")
def policy_group() -> None:
    """Check a policy file, or print its JSON Schema."""


@policy_group.command("check")
@source_options
def policy_check(
    policy_path: Path,
    snapshot: Path | None,
    scim: str | None,
    genesys: bool,
    api_url: str | None,
    rate_limit: int | None,
    token_pool_size: int | None,
) -> None:
    """Check a policy against the directory and the org's catalogs; change nothing."""
    source = directory_of(snapshot, scim, genesys)
    target = target_of(api_url, rate_limit, token_pool_size)
    with progress_observer() as observer:
        planned = plan_policy(policy_path, source, target, observer)

    resolved = planned.resolved
    click.echo(
        f"{policy_path} is valid: {plural(len(resolved.grants), 'rule')} over "
        f"{plural(len(resolved.granting), 'group')}, managing "
        f"{plural(len(resolved.managed_skills), 'skill')} and "
        f"{plural(len(resolved.managed_languages), 'language')}."
    )
    for line in findings_lines(planned.plan):
        click.echo(line)


@policy_group.command("schema")
def policy_schema_command() -> None:
    """Print the policy's JSON Schema, for editors that validate YAML."""
    click.echo(policy_schema())


@cli.command("undo")
@click.argument(
    "journals",
    nargs=-1,
    required=True,
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
)
@connection_options
@click.option("--auto-approve", is_flag=True, help="Undo without asking.")
@click.option(
    "--journal",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to journal the undo itself [default: skillsync-apply-TIME.jsonl].",
)
def undo_command(
    journals: tuple[Path, ...],
    api_url: str | None,
    rate_limit: int | None,
    token_pool_size: int | None,
    auto_approve: bool,
    journal: Path | None,
) -> None:
    """Put back what the users in JOURNAL held before apply changed them."""
    target = target_of(api_url, rate_limit, token_pool_size)
    with progress_observer() as observer:
        options = ApplyOptions(
            approve=approver(auto_approve, observer),
            allow_removals=True,
            journal=journal or default_journal(),
        )
        finish_apply(undo(list(journals), target, options, observer))


@cli.command("graph")
@source_options
@click.option(
    "--format",
    "output",
    type=click.Choice(["mermaid", "dot", "json", "svg"]),
    default="mermaid",
    show_default=True,
    help="Mermaid, Graphviz DOT, JSON, or SVG (needs Graphviz's `dot`).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to a file instead of standard output (required for svg).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=DEFAULT_LIMIT,
    show_default=True,
    help="Most groups to draw; granting groups come first.",
)
def graph_command(
    policy_path: Path,
    snapshot: Path | None,
    scim: str | None,
    genesys: bool,
    api_url: str | None,
    rate_limit: int | None,
    token_pool_size: int | None,
    output: str,
    out: Path | None,
    limit: int,
) -> None:
    """Draw the groups the policy grants through: nesting, cycles and grants."""
    if output == "svg" and out is None:
        raise click.UsageError("--format svg writes a file; give --out FILE.svg")

    source = directory_of(snapshot, scim, genesys)
    target = target_of(api_url, rate_limit, token_pool_size)
    with progress_observer() as observer:
        planned = plan_policy(policy_path, source, target, observer)

    fmt = "dot" if output == "svg" else output
    text = render_hierarchy(planned, fmt, limit)  # type: ignore[arg-type]
    if out is None:
        click.echo(text, nl=not text.endswith("\n"))
        return

    write_file(out, to_svg(text) if output == "svg" else text.encode())
    click.echo(f"Wrote the group hierarchy to {out}.", err=True)


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
