"""`org export`: generated orgs read back exactly, in the fewest calls, through
faults, and from the command line on a real port."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import VirtualClock
from skillsync.fixture import Org, dump_org, load_org, parse_org
from skillsync.genesys.api import GenesysApi
from skillsync.genesys.client import GenesysClient
from skillsync.genesys.connection import Connection, Credentials
from skillsync.genesys.export import export_org, export_org_file
from skillsync.ratelimit import RetryPolicy
from skillsync.simulator.app import SimSettings, Simulator, create_app
from skillsync.simulator.generate import generate_org
from skillsync.simulator.server import running_server

BASE = "http://sim.test"
DEMO = Connection(BASE, BASE, Credentials("demo-client", "demo-secret"))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Org:
    """A generated org of 1,200 users, so that users take three pages."""
    out = tmp_path_factory.mktemp("org")
    generate_org(out, users=1_200, seed=5)
    return load_org(out / "org.json")


def content(org: Org) -> dict[str, Any]:
    """What an org holds, free of listing order and of its OAuth clients."""
    return {
        "skills": sorted((s.id, s.name, s.state) for s in org.skills),
        "languages": sorted((x.id, x.name, x.state) for x in org.languages),
        "users": {
            u.id: (
                u.name,
                u.email,
                u.username,
                u.state,
                {s.id: s.proficiency for s in u.skills},
                {x.id: x.proficiency for x in u.languages},
            )
            for u in org.users
        },
        "groups": {g.id: (g.name, frozenset(g.members)) for g in org.groups},
    }


def export_in_process(org: Org, settings: SimSettings) -> tuple[Org, Simulator]:
    """Export `org` from an in-process simulator on a virtual clock."""
    clock = VirtualClock()
    app = create_app(org, dataclasses.replace(settings, clock=clock))

    async def run() -> Org:
        async with GenesysClient(
            DEMO,
            clock=clock,
            retry=RetryPolicy(attempts=12, rng=random.Random(3)),
            transport=httpx.ASGITransport(app=app),
        ) as client:
            return await export_org(GenesysApi(client))

    return asyncio.run(run()), app


def pages(count: int) -> int:
    """Pages of 500 a listing of `count` entities takes; an empty one takes one."""
    return max(1, -(-count // 500))


def minimum_requests(org: Org) -> dict[str, int]:
    """The calls an export of `org` cannot do without, by route."""
    return {
        "POST /oauth/token": 1,
        "GET /api/v2/organizations/limits/namespaces/{namespaceName}": 1,
        "GET /api/v2/routing/skills": pages(len(org.skills)),
        "GET /api/v2/routing/languages": pages(len(org.languages)),
        "GET /api/v2/users": pages(len(org.users)),
        "GET /api/v2/groups": pages(len(org.groups)),
    }


def test_a_generated_org_exports_exactly_in_the_fewest_calls(generated: Org) -> None:
    """Every user of every state, skill, language and membership comes back,
    and the export makes only the calls it cannot avoid."""
    exported, app = export_in_process(generated, SimSettings())
    assert content(exported) == content(generated)
    assert dict(app.stats.requests) == minimum_requests(generated)


def test_faults_change_the_calls_but_not_the_file(generated: Org) -> None:
    """With errors, dropped connections, dropped expansions and latency, the
    exported file is byte for byte the one a healthy org gives."""
    healthy, _ = export_in_process(generated, SimSettings())
    faults = SimSettings(error_rate=0.2, expand_drop_rate=0.2, latency_ms=1, seed=9)
    faulty, app = export_in_process(generated, faults)
    assert dump_org(faulty) == dump_org(healthy)
    assert app.stats.requests["GET /api/v2/users/{userId}/routingskills"] > 0
    assert app.stats.requests["GET /api/v2/groups/{groupId}/individuals"] > 0
    assert sum(app.stats.statuses[s] for s in ("502", "503", "504")) > 0


def test_an_export_served_and_exported_again_is_the_same_file(
    generated: Org, tmp_path: Path
) -> None:
    """Serving an exported file and exporting it again gives identical bytes."""
    first, _ = export_in_process(generated, SimSettings())
    served = parse_org(dump_org(first, clients=False))
    second, _ = export_in_process(served, SimSettings())
    assert dump_org(second, clients=False) == dump_org(first, clients=False)


def test_the_export_file_holds_no_client_or_secret(
    generated: Org, tmp_path: Path
) -> None:
    """The written fixture leaves OAuth clients out; served, it takes the demo
    client."""
    app = create_app(generated)
    out = tmp_path / "export.json"
    with running_server(app) as url:
        connection = dataclasses.replace(DEMO, api_url=url, login_url=url)
        result = export_org_file(connection, out)

    text = out.read_text()
    assert '"clients"' not in text
    assert "demo-secret" not in text
    assert result.calls == sum(minimum_requests(generated).values()) - 1
    assert [c.id for c in load_org(out).clients] == ["demo-client"]


def skillsync(
    *args: str, secret: str = "demo-secret"
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh process with the demo client's credentials."""
    environ = {
        **os.environ,
        "GENESYSCLOUD_OAUTHCLIENT_ID": "demo-client",
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": secret,
    }
    return subprocess.run(
        [sys.executable, "-m", "skillsync", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        check=False,
    )


def test_the_command_exports_from_a_simulator_on_a_port(
    generated: Org, tmp_path: Path
) -> None:
    """`skillsync org export` against a served org writes it and counts its calls."""
    out = tmp_path / "org.json"
    with running_server(create_app(generated)) as url:
        result = skillsync("org", "export", "--out", str(out), "--api-url", url)

    assert result.returncode == 0, result.stderr
    assert "Exported 1,200 users" in result.stdout
    assert "in 7 API calls" in result.stdout
    assert content(load_org(out)) == content(generated)
    assert "demo-secret" not in result.stdout + result.stderr


def test_wrong_credentials_write_nothing(generated: Org, tmp_path: Path) -> None:
    """A refused secret ends with one error line, exit 1, no file and no secret."""
    out = tmp_path / "org.json"
    with running_server(create_app(generated)) as url:
        result = skillsync(
            "org", "export", "--out", str(out), "--api-url", url, secret="bad-s3cret"
        )

    assert result.returncode == 1
    assert result.stderr.startswith("Error: Genesys Cloud refused the OAuth client")
    assert "bad-s3cret" not in result.stderr
    assert not out.exists()
    assert not list(tmp_path.iterdir())
