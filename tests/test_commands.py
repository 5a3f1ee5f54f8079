"""plan, explain, graph, policy and demo as a user runs them: real processes
against a simulator on a port, read by what they print."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from skillsync.fixture import load_org
from skillsync.simulator.app import create_app
from skillsync.simulator.generate import GeneratedOrg, generate_org
from skillsync.simulator.server import running_server


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the CLI with the demo client's credentials and capture its output."""
    environ = {
        **os.environ,
        "GENESYSCLOUD_OAUTHCLIENT_ID": "demo-client",
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": "demo-secret",
    }
    return subprocess.run(
        [sys.executable, "-m", "skillsync", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> GeneratedOrg:
    """A generated org of 200 users."""
    return generate_org(tmp_path_factory.mktemp("org"), users=200, seed=21)


@pytest.fixture(scope="module")
def flags(generated: GeneratedOrg) -> Iterator[list[str]]:
    """The options that point a command at the generated org, served."""
    with running_server(create_app(load_org(generated.org))) as url:
        yield [
            "--policy",
            str(generated.policy),
            "--snapshot",
            str(generated.directory),
            "--api-url",
            url,
        ]


def test_plan_prints_a_table_with_a_counted_summary(
    generated: GeneratedOrg, flags: list[str]
) -> None:
    """The table ends in a summary whose user count is the generator's."""
    result = run("plan", *flags)
    assert result.returncode == 0, result.stderr
    assert f"{generated.users_with_changes} users of" in result.stdout
    assert "Removal brake:" in result.stdout
    assert "demo-secret" not in result.stdout + result.stderr


def test_plan_json_is_the_documented_schema(
    generated: GeneratedOrg, flags: list[str]
) -> None:
    """`--format json` prints the PLAN.json document."""
    result = run("plan", *flags, "--format", "json")
    document = json.loads(result.stdout)
    assert document["format"] == "skillsync-plan"
    assert document["summary"]["users"] == generated.users_with_changes
    assert document["brake"]["usersWithRemovals"] == generated.users_with_removals
    change = document["users"][0]["changes"][0]
    assert set(change) == {
        "kind",
        "id",
        "name",
        "action",
        "before",
        "after",
        "grantedBy",
    }


def test_plan_markdown_is_a_table_for_a_ticket(flags: list[str]) -> None:
    """`--format markdown` prints a heading, a summary and a Markdown table."""
    result = run("plan", *flags, "--format", "markdown")
    assert result.stdout.startswith("# skillsync plan")
    assert "| user | change | kind | name | before | after | granted by |" in (
        result.stdout
    )


def test_detailed_exitcode_says_whether_changes_are_pending(
    flags: list[str], tmp_path: Path
) -> None:
    """Exit 2 with changes; the saved plan is written either way."""
    out = tmp_path / "plan.json"
    result = run("plan", *flags, "--detailed-exitcode", "--out", str(out))
    assert result.returncode == 2, result.stderr
    assert json.loads(out.read_text())["users"]


def test_explain_shows_the_chain_of_groups(
    generated: GeneratedOrg, flags: list[str]
) -> None:
    """explain names the user, the groups that grant, and what apply would do."""
    plan = json.loads(run("plan", *flags, "--format", "json").stdout)
    email = plan["users"][0]["email"]
    result = run("explain", email, *flags)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(plan["users"][0]["name"])
    assert "(grants it)" in result.stdout
    assert "Apply would:" in result.stdout


def test_explain_of_nobody_says_so(flags: list[str]) -> None:
    """An unknown user is one error line, exit 1."""
    result = run("explain", "nobody@example.com", *flags)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: no Genesys Cloud user has")


def test_graph_prints_mermaid_and_json(flags: list[str]) -> None:
    """graph draws a Mermaid flowchart, or JSON with groups, edges and cycles."""
    mermaid = run("graph", *flags)
    assert mermaid.stdout.startswith("flowchart TD")
    drawn = json.loads(run("graph", *flags, "--format", "json").stdout)
    assert drawn["groups"]
    assert drawn["cycles"]
    assert {"parent", "child", "inCycle"} == set(drawn["edges"][0])


def test_policy_check_counts_rules_and_reports_findings(
    generated: GeneratedOrg, flags: list[str]
) -> None:
    """policy check says the policy is valid and lists the findings."""
    result = run("policy", "check", *flags)
    assert result.returncode == 0, result.stderr
    assert f"is valid: {generated.rules} rules" in result.stdout
    assert "cycle:" in result.stdout


def test_a_bad_policy_is_one_error_line_naming_line_and_column(
    generated: GeneratedOrg, flags: list[str], tmp_path: Path
) -> None:
    """A typo in the policy stops the command before any network call."""
    bad = tmp_path / "policy.yaml"
    bad.write_text("rules:\n  - group: Support\n    skils: []\n")
    result = run(
        "plan", *[str(bad) if f == str(generated.policy) else f for f in flags]
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: {bad}:3:5: rules[0].skils: unknown key 'skils'; check its "
        "spelling against the policy reference\n"
    )


def test_policy_schema_is_json_schema() -> None:
    """policy schema prints a JSON Schema describing the rules."""
    schema = json.loads(run("policy", "schema").stdout)
    assert "rules" in schema["properties"]


def test_the_demo_runs_every_step_quickly() -> None:
    """`skillsync demo` plans, applies, plans again (empty), explains and draws,
    well within a minute, with no credentials."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GENESYS")}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "skillsync", "demo"],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 60
    for heading in ("Plan: what would change?", "Apply it", "Plan again"):
        assert heading in result.stdout

    assert "No changes: every one of the" in result.stdout
    assert "(grants it)" in result.stdout
    assert "flowchart TD" in result.stdout
