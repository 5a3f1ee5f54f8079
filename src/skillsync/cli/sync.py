"""The commands that plan and change: plan, apply, explain, graph, policy, undo."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click

from skillsync.apply import ApplyOptions, ApplyReport, apply_policy, apply_saved
from skillsync.cli.base import (
    ExitCode,
    Inputs,
    cli,
    connection_options,
    directory_of,
    planning_options,
    stdout_console,
    target_of,
    write_file,
)
from skillsync.display import paused, progress_observer
from skillsync.errors import ConfigError
from skillsync.explain import explain, explanation_text
from skillsync.hierarchy import DEFAULT_LIMIT, render_hierarchy, to_svg
from skillsync.plan import Plan
from skillsync.planfile import plan_json
from skillsync.policy import policy_schema
from skillsync.progress import Observer
from skillsync.report import findings_lines, plan_markdown, render_table
from skillsync.undo import undo
from skillsync.words import plural
from skillsync.world import Planned, plan_policy


@cli.command("plan")
@planning_options
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
    inputs: Inputs,
    out: Path | None,
    output: str,
    detailed_exitcode: bool,
) -> None:
    """Show what apply would change, without changing anything."""
    plan = planned_from(inputs).plan

    if out is not None:
        write_file(out, plan_json(plan))

    show_plan(plan, output)
    if out is not None:
        click.echo(
            f"Saved the plan to {out}; apply it with `skillsync apply {out}`.", err=True
        )

    if detailed_exitcode and plan.users:
        sys.exit(ExitCode.CHANGES_PENDING)


def planned_from(inputs: Inputs) -> Planned:
    """Read the org and the directory, and plan the policy over them."""
    with progress_observer() as observer:
        return plan_policy(inputs.policy, inputs.source, inputs.target, observer)


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
@planning_options
def explain_command(
    user: str,
    inputs: Inputs,
) -> None:
    """Say why USER (an email, username or id) holds each skill and language."""
    planned = planned_from(inputs)

    click.echo(explanation_text(explain(planned, user)))


@cli.group("policy")
def policy_group() -> None:
    """Check a policy file, or print its JSON Schema."""


@policy_group.command("check")
@planning_options
def policy_check(
    inputs: Inputs,
) -> None:
    """Check a policy against the directory and the org's catalogs; change nothing."""
    planned = planned_from(inputs)

    resolved = planned.resolved
    click.echo(
        f"{inputs.policy} is valid: {plural(len(resolved.grants), 'rule')} over "
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
@planning_options
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
    inputs: Inputs,
    output: str,
    out: Path | None,
    limit: int,
) -> None:
    """Draw the groups the policy grants through: nesting, cycles and grants."""
    if output == "svg" and out is None:
        raise click.UsageError("--format svg writes a file; give --out FILE.svg")

    planned = planned_from(inputs)

    fmt = "dot" if output == "svg" else output
    text = render_hierarchy(planned, fmt, limit)  # type: ignore[arg-type]
    if out is None:
        click.echo(text, nl=not text.endswith("\n"))
        return

    write_file(out, to_svg(text) if output == "svg" else text.encode())
    click.echo(f"Wrote the group hierarchy to {out}.", err=True)
