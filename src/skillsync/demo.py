"""`skillsync demo`: the whole job on a generated org, with nothing to set up.

It generates an org with a nested directory (cycles included) into a temporary
directory, serves the org from the bundled simulator and the directory from a
SCIM 2.0 server, each on a free local port, and runs what an administrator
would: plan, apply, plan again, explain one agent, and draw the group
hierarchy. Everything stops and is removed at the end.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from skillsync.apply import ApplyOptions, ApplyReport, apply_policy
from skillsync.directory.scim import ScimSource
from skillsync.explain import Explanation, explain
from skillsync.fixture import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, load_org
from skillsync.genesys.connection import Connection, Credentials
from skillsync.hierarchy import render_hierarchy
from skillsync.plan import Plan
from skillsync.progress import Observer
from skillsync.simulator.app import create_app
from skillsync.simulator.directory import serving_snapshot
from skillsync.simulator.generate import GeneratedOrg, generate_org
from skillsync.simulator.server import running_server
from skillsync.world import Planned, Target, plan_policy

DEMO_USERS = 300
DEMO_SEED = 7


class DemoView(Protocol):
    """How the demo shows each step; the command line draws it."""

    def step(self, title: str, command: str) -> None:
        """A step begins; `command` is what a user would type for it."""
        ...

    def text(self, text: str) -> None:
        """Show some text."""
        ...

    def plan(self, plan: Plan) -> None:
        """Show a plan."""
        ...

    def applied(self, report: ApplyReport) -> None:
        """Show how an apply ended."""
        ...

    def explanation(self, explanation: Explanation) -> None:
        """Show why an agent holds its skills."""
        ...


@dataclass(frozen=True, slots=True)
class DemoFiles:
    """The generated org's files, and the journal apply writes."""

    generated: GeneratedOrg
    journal: Path


def run_demo(view: DemoView, observer: Observer) -> None:
    """Run the demo from start to finish, showing each step on `view`;
    `observer` is told of the progress of reads and of the apply."""
    with tempfile.TemporaryDirectory(prefix="skillsync-demo-") as scratch:
        root = Path(scratch)
        view.step(
            "Generate an org and its nested directory",
            f"skillsync sim generate --users {DEMO_USERS} --seed {DEMO_SEED} "
            "--out demo",
        )
        generated = generate_org(root / "demo", users=DEMO_USERS, seed=DEMO_SEED)
        view.text(generated_text(generated))
        files = DemoFiles(generated, root / "journal.jsonl")
        app = create_app(load_org(generated.org))
        with running_server(app) as url, serving_snapshot(generated.directory) as scim:
            view.text(f"The simulated Genesys Cloud org is serving at {url},")
            view.text(f"and its nested directory over SCIM 2.0 at {scim}.")
            walk_through(view, observer, files, target_at(url), scim)


def target_at(url: str) -> Target:
    """The simulator at `url`, signed into with the demo client."""
    credentials = Credentials(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
    return Target(Connection(url, url, credentials))


def walk_through(
    view: DemoView, observer: Observer, files: DemoFiles, target: Target, scim: str
) -> None:
    """Plan, apply, plan again, explain and graph, as a user would."""
    generated = files.generated
    policy = generated.policy
    source = ScimSource(scim)
    flags = f"--policy {policy.name} --scim {scim}"
    view.step("Plan: what would change?", f"skillsync plan {flags}")
    first = plan_policy(policy, source, target, observer)
    view.plan(first.plan)

    view.step("Apply it", f"skillsync apply {flags} --auto-approve")
    options = ApplyOptions(lambda plan: True, False, files.journal)
    view.applied(apply_policy(policy, source, target, options, observer))

    view.step("Plan again: nothing left to do", f"skillsync plan {flags}")
    again = plan_policy(policy, source, target, observer)
    view.plan(again.plan)

    agent = chosen_agent(first)
    view.step(
        "Why does this agent hold its skills?", f"skillsync explain {agent} {flags}"
    )
    view.explanation(explain(again, agent))

    view.step("The group hierarchy", f"skillsync graph {flags} --format mermaid")
    view.text(render_hierarchy(again, "mermaid", limit=25))


def chosen_agent(planned: Planned) -> str:
    """An agent whose skills come through the longest chain of groups, so that
    the explanation shows nesting; the first changed agent otherwise."""
    best = ""
    longest = 0
    for user in planned.plan.users[:50]:
        found = explain(planned, user.id)
        depth = max((len(item.chain) for item in found.items), default=0)
        if depth > longest:
            best, longest = user.email or user.id, depth

    return best or planned.plan.users[0].email


def generated_text(generated: GeneratedOrg) -> str:
    """What the generator wrote, in a sentence or two."""
    return (
        f"{generated.users:,} Genesys Cloud users ({generated.active_users:,} "
        f"active); a directory of {generated.directory_users:,} users in "
        f"{generated.groups:,} groups nested {generated.depth} deep with "
        f"{generated.cycles} cycles; a policy of {generated.rules} rules."
    )
