"""Plans as people read them: a terminal table, or Markdown for a ticket."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from skillsync.plan import Change, Plan, level
from skillsync.words import plural

SIGNS = {"add": "+", "change": "~", "remove": "-"}
STYLES = {"add": "green", "change": "yellow", "remove": "red"}


def brake_line(plan: Plan) -> str:
    """What the removal brake makes of this plan."""
    brake = plan.brake
    who = plural(brake.users_with_removals, "user")
    verdict = (
        "apply will stop unless given --allow-removals"
        if brake.tripped
        else "within the brake"
    )
    return (
        f"Removal brake: {who} would lose a skill or language; max_removals "
        f"{brake.setting} allows {brake.limit:g} ({verdict})."
    )


def findings_lines(plan: Plan) -> Iterator[str]:
    """A count of findings by kind, then each finding."""
    if not plan.findings:
        return

    kinds = Counter(f.kind for f in plan.findings)
    counted = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    yield f"Findings ({counted}):"
    for finding in plan.findings:
        yield f"  {finding.kind}: {finding.message}"


def plan_table(plan: Plan, limit: int | None = None) -> RenderableType:
    """The plan as a rich renderable: one row per change (for the first `limit`
    users when given), then the summary."""
    parts: list[RenderableType] = []
    shown = plan.users if limit is None else plan.users[:limit]
    if shown:
        table = Table(box=None, pad_edge=False, header_style="bold")
        for heading in ("user", "", "kind", "name", "before", "after", "granted by"):
            table.add_column(heading, no_wrap=heading in {"", "before", "after"})

        for user in shown:
            for index, change in enumerate(user.changes):
                table.add_row(
                    (user.email or user.id) if index == 0 else "",
                    *change_cells(change),
                )

        parts.append(table)
        hidden = len(plan.users) - len(shown)
        if hidden:
            parts.append(Text(f"... and {plural(hidden, 'more user')}", style="dim"))

        parts.append(Text(""))

    parts.append(Text(plan.summary(), style="bold"))
    parts.append(Text(brake_line(plan)))
    parts += [Text(line) for line in findings_lines(plan)]
    return Group(*parts)


def change_cells(change: Change) -> list[Text | str]:
    """The cells of one change's row."""
    style = STYLES[change.action]
    return [
        Text(SIGNS[change.action], style=style),
        change.kind,
        Text(change.name, style=style),
        level(change.before),
        level(change.after),
        change.granted_by or "",
    ]


def render_table(plan: Plan, console: Console, limit: int | None = None) -> None:
    """Print the plan as a table."""
    console.print(plan_table(plan, limit))


def plan_markdown(plan: Plan) -> str:
    """The plan as Markdown, for a change request or a ticket."""
    lines = [
        "# skillsync plan",
        "",
        f"Policy `{plan.policy}`, directory: {plan.source}. "
        f"Plan fingerprint `{plan.fingerprint}`.",
        "",
        f"**{plan.summary()}**",
        "",
        brake_line(plan),
        "",
    ]
    if plan.users:
        lines += [
            "| user | change | kind | name | before | after | granted by |",
            "|---|---|---|---|---|---|---|",
        ]
        for user in plan.users:
            for change in user.changes:
                cells = [
                    user.email or user.id,
                    change.action,
                    change.kind,
                    change.name,
                    level(change.before),
                    level(change.after),
                    change.granted_by or "",
                ]
                lines.append("| " + " | ".join(map(markdown_cell, cells)) + " |")

        lines.append("")

    findings = list(findings_lines(plan))
    if findings:
        lines += ["## Findings", ""]
        lines += [f"- {line.strip()}" for line in findings[1:]]
        lines.append("")

    return "\n".join(lines)


def markdown_cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")
