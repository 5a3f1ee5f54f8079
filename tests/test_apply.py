"""Apply against the simulator: the fewest writes, nothing unmanaged touched,
saved plans re-planned, conflicts survived, a kill resumed and undone."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import VirtualClock
from skillsync.apply import apply_plan
from skillsync.directory.snapshot import SnapshotSource
from skillsync.explain import explain
from skillsync.fixture import Org, load_org, parse_org
from skillsync.genesys.api import GenesysApi
from skillsync.genesys.client import GenesysClient
from skillsync.genesys.connection import Connection, Credentials
from skillsync.ids import SkillId
from skillsync.journal import Journal, read_journal
from skillsync.plan import Plan
from skillsync.planfile import load_plan
from skillsync.policy import load_policy
from skillsync.ratelimit import RetryPolicy
from skillsync.simulator.app import SimSettings, Simulator, create_app
from skillsync.simulator.generate import GeneratedOrg, generate_org
from skillsync.simulator.server import free_port
from skillsync.world import World, planned

DEMO = Connection(
    "http://sim.test", "http://sim.test", Credentials("demo-client", "demo-secret")
)
WRITES = ("PATCH", "DELETE", "PUT", "POST")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> GeneratedOrg:
    """A generated org of 400 users with its directory and policy."""
    return generate_org(tmp_path_factory.mktemp("org"), users=400, seed=11)


def is_write(route: str) -> bool:
    """Whether a statistics route writes to the org (a token request does not)."""
    return route.startswith(WRITES) and "/oauth/" not in route


def writes(app: Simulator) -> int:
    """Write requests the simulator answered."""
    return sum(n for route, n in app.stats.requests.items() if is_write(route))


def managed_state(org: Org, plan: Plan) -> dict[str, dict[str, float]]:
    """Every user's managed items."""
    managed = set(plan.managed_skills) | set(plan.managed_languages)
    return {
        u.id: {
            **{s.id: s.proficiency for s in u.skills if s.id in managed},
            **{x.id: float(x.proficiency) for x in u.languages if x.id in managed},
        }
        for u in org.users
    }


def unmanaged_state(org: Org, plan: Plan) -> dict[str, dict[str, float]]:
    """Every user's unmanaged items."""
    managed = set(plan.managed_skills) | set(plan.managed_languages)
    return {
        u.id: {
            **{s.id: s.proficiency for s in u.skills if s.id not in managed},
            **{x.id: float(x.proficiency) for x in u.languages if x.id not in managed},
        }
        for u in org.users
    }


def plan_against(app: Simulator, generated: GeneratedOrg) -> Plan:
    """The generated policy planned against what the simulator holds now."""
    world = World(app.state.to_org(), SnapshotSource(generated.directory).read(), False)
    return planned(load_policy(generated.policy), world).plan


def simulate(generated: GeneratedOrg, settings: SimSettings | None = None) -> Simulator:
    """A simulator of the generated org on a virtual clock of its own."""
    clock = VirtualClock()
    settings = dataclasses.replace(settings or SimSettings(), clock=clock)
    return create_app(load_org(generated.org), settings)


def run_apply(app: Simulator, plan: Plan, journal: Path, *, fresh: bool) -> Any:
    """Apply `plan` in-process against `app`, on the app's virtual clock."""
    clock = app.settings.clock
    assert isinstance(clock, VirtualClock)

    async def main() -> Any:
        async with GenesysClient(
            DEMO,
            clock=clock,
            retry=RetryPolicy(attempts=10, rng=random.Random(1)),
            transport=httpx.ASGITransport(app=app),
        ) as client:
            with Journal(journal, plan.fingerprint) as written:
                return await apply_plan(GenesysApi(client), plan, written, fresh=fresh)

    return asyncio.run(main())


def test_apply_makes_the_fewest_writes_and_touches_nothing_unmanaged(
    generated: GeneratedOrg, tmp_path: Path
) -> None:
    """Apply writes exactly the minimum, never a PUT, leaves unmanaged items
    alone, and a plan made afterwards is empty."""
    app = simulate(generated)
    plan = plan_against(app, generated)
    assert len(plan.users) == generated.users_with_changes
    before = unmanaged_state(app.state.to_org(), plan)
    result = run_apply(app, plan, tmp_path / "journal.jsonl", fresh=True)
    assert result.changed == len(plan.users)
    assert writes(app) == plan.writes() == result.writes
    assert not any(route.startswith("PUT") for route in app.stats.requests)
    assert unmanaged_state(app.state.to_org(), plan) == before
    assert plan_against(app, generated).users == ()


def test_a_saved_plan_replans_users_changed_since(
    generated: GeneratedOrg, tmp_path: Path
) -> None:
    """A user whose managed skills changed after planning is re-planned from
    what it holds, and still ends where the policy wants it."""
    app = simulate(generated)
    plan = plan_against(app, generated)
    victim = next(u for u in plan.users if any(c.kind == "skill" for c in u.changes))
    skill = next(c for c in victim.changes if c.kind == "skill")
    user = app.state.users[victim.id]
    app.state.set_skills(user, [(SkillId(skill.id), 0.5)], replace=False)
    result = run_apply(app, plan, tmp_path / "journal.jsonl", fresh=False)
    assert result.replanned == 1
    assert plan_against(app, generated).users == ()


def test_version_conflicts_are_reread_and_retried(
    generated: GeneratedOrg, tmp_path: Path
) -> None:
    """With a tenth of writes refused with 409, apply re-reads and finishes."""
    app = simulate(generated, SimSettings(conflict_rate=0.1, seed=5))
    plan = plan_against(app, generated)
    run_apply(app, plan, tmp_path / "journal.jsonl", fresh=True)
    assert app.stats.statuses["409"] > 0
    assert plan_against(app, generated).users == ()


def test_the_journal_records_each_user_before_and_after(
    generated: GeneratedOrg, tmp_path: Path
) -> None:
    """Every changed user has its changes journalled, and is marked done."""
    app = simulate(generated)
    plan = plan_against(app, generated)
    journal = tmp_path / "journal.jsonl"
    run_apply(app, plan, journal, fresh=True)
    touched = read_journal(journal)
    assert {t.user for t in touched} == {u.id for u in plan.users}
    assert all(t.done for t in touched)
    assert "demo-secret" not in journal.read_text()


# The command line, with the simulator in its own process.


def skillsync(*args: str, output: Any = subprocess.PIPE) -> subprocess.Popen[str]:
    """Start the CLI with the demo client's credentials; `output` takes its
    standard output and error (a pipe, read at the end, by default)."""
    environ = {
        **os.environ,
        "GENESYSCLOUD_OAUTHCLIENT_ID": "demo-client",
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": "demo-secret",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "skillsync", *args],
        stdout=output,
        stderr=output,
        text=True,
        env=environ,
    )


def finished(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI to its end."""
    process = skillsync(*args)
    out, err = process.communicate(timeout=300)
    return subprocess.CompletedProcess(args, process.returncode, out, err)


@pytest.fixture
def served(generated: GeneratedOrg) -> Iterator[str]:
    """`skillsync sim serve` on the generated org, with a little latency."""
    port = free_port("127.0.0.1")
    server = skillsync(
        "sim",
        "serve",
        "--org",
        str(generated.org),
        "--port",
        str(port),
        "--latency-ms",
        "15",
        "--rate-limit",
        "100000",
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/_sim/stats", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)

    yield url
    server.terminate()
    server.communicate(timeout=10)


def stats(url: str) -> dict[str, Any]:
    """The served simulator's statistics."""
    answer: dict[str, Any] = httpx.get(f"{url}/_sim/stats").json()
    return answer


def served_writes(url: str) -> int:
    """Writes the served simulator answered."""
    return sum(n for r, n in stats(url)["requests"].items() if is_write(r))


def served_org(url: str) -> Org:
    """The served org as it stands."""
    return parse_org(httpx.get(f"{url}/_sim/state").content)


def test_a_killed_apply_resumes_without_redoing_and_undoes(
    generated: GeneratedOrg, served: str, tmp_path: Path
) -> None:
    """Apply killed part way, then run again, writes exactly what the first run
    left undone; a later plan is empty; undo of both journals puts every
    managed item back and leaves unmanaged ones alone."""
    flags = [
        "--policy",
        str(generated.policy),
        "--snapshot",
        str(generated.directory),
        "--api-url",
        served,
    ]
    original = served_org(served)
    first = finished(
        "plan", *flags, "--format", "json", "--out", str(tmp_path / "p.json")
    )
    assert first.returncode == 0, first.stderr
    plan = load_plan(tmp_path / "p.json")
    floor = plan.writes()
    journals = [tmp_path / "first.jsonl", tmp_path / "second.jsonl"]
    log = (tmp_path / "apply.log").open("w")
    apply = skillsync(
        "apply", *flags, "--auto-approve", "--journal", str(journals[0]), output=log
    )
    while served_writes(served) < floor // 3:
        assert apply.poll() is None, (tmp_path / "apply.log").read_text()
        time.sleep(0.02)

    apply.send_signal(signal.SIGKILL)
    apply.wait(timeout=30)
    log.close()
    landed = served_writes(served)
    assert 0 < landed < floor

    remaining = finished("plan", *flags, "--out", str(tmp_path / "rest.json"))
    assert remaining.returncode == 0, remaining.stderr
    rest = load_plan(tmp_path / "rest.json").writes()
    assert 0 < rest < floor
    again = finished("apply", *flags, "--auto-approve", "--journal", str(journals[1]))
    assert again.returncode == 0, again.stderr
    assert served_writes(served) - landed == rest
    empty = finished("plan", *flags, "--detailed-exitcode")
    assert empty.returncode == 0, empty.stdout + empty.stderr

    undone = finished(
        "undo",
        *map(str, journals),
        "--api-url",
        served,
        "--auto-approve",
        "--journal",
        str(tmp_path / "undo.jsonl"),
    )
    assert undone.returncode == 0, undone.stderr
    now = served_org(served)
    assert managed_state(now, plan) == managed_state(original, plan)
    assert unmanaged_state(now, plan) == unmanaged_state(original, plan)


def test_the_brake_stops_apply_with_exit_3_and_writes_nothing(
    generated: GeneratedOrg, served: str, tmp_path: Path
) -> None:
    """A policy whose removals exceed max_removals stops apply before any write."""
    strict = tmp_path / "policy.yaml"
    strict.write_text(
        generated.policy.read_text().replace("max_removals: 10%", "max_removals: 0")
    )
    flags = [
        "--policy",
        str(strict),
        "--snapshot",
        str(generated.directory),
        "--api-url",
        served,
    ]
    result = finished("apply", *flags, "--auto-approve")
    assert result.returncode == 3, result.stderr
    assert "--allow-removals" in result.stderr
    assert served_writes(served) == 0


def test_apply_without_a_terminal_asks_for_auto_approve(
    generated: GeneratedOrg, served: str
) -> None:
    """Without --auto-approve and without a terminal to ask on, nothing is written."""
    flags = [
        "--policy",
        str(generated.policy),
        "--snapshot",
        str(generated.directory),
        "--api-url",
        served,
        "--allow-removals",
    ]
    result = finished("apply", *flags)
    assert result.returncode == 1
    assert "--auto-approve" in result.stderr
    assert served_writes(served) == 0


def test_plan_and_explain_agree_on_every_user(generated: GeneratedOrg) -> None:
    """What explain says apply would do to a user is that user's part of the plan."""
    app = simulate(generated)
    world = World(app.state.to_org(), SnapshotSource(generated.directory).read(), False)
    made = planned(load_policy(generated.policy), world)
    for user in made.plan.users:
        assert tuple(explain(made, user.id).changes()) == user.changes
