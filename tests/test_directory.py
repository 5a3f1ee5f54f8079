"""The snapshot and Genesys directory sources: what they read, what they
report, and how they refuse bad input."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import VirtualClock, build_org, small_org_data
from skillsync.directory.genesys import GenesysSource, org_directory
from skillsync.directory.snapshot import SnapshotSource
from skillsync.errors import ConfigError
from skillsync.genesys.api import GenesysApi
from skillsync.genesys.client import GenesysClient
from skillsync.genesys.connection import Connection, Credentials
from skillsync.genesys.export import read_org
from skillsync.ids import DirectoryGroupId, DirectoryUserId
from skillsync.simulator.app import create_app
from skillsync.simulator.generate import generate_org
from skillsync.simulator.server import running_server

SNAPSHOT: dict[str, Any] = {
    "Users": [
        {
            "id": "d-ada",
            "userName": "ada@example.com",
            "emails": [
                {"value": "ada.old@example.com"},
                {"value": "ada@example.com", "primary": True},
            ],
            "externalId": "E-1",
        },
        {"id": "d-alan", "userName": "alan@example.com", "active": False},
    ],
    "Groups": [
        {
            "id": "dg-emea",
            "displayName": "EMEA Support",
            "members": [
                {"value": "d-ada", "type": "User"},
                {"value": "dg-tier1", "type": "Group"},
                {"value": "d-nobody"},
            ],
        },
        {
            "id": "dg-tier1",
            "displayName": "Tier 1",
            "members": [
                {"value": "d-alan"},
                {
                    "value": "dg-emea",
                    "$ref": "https://idp.example/scim/v2/Groups/dg-emea",
                },
            ],
        },
    ],
}


def write_lines(path: Path, snapshot: dict[str, Any]) -> Path:
    """Write a snapshot one resource per line, as `sim generate` does."""
    lines = ['{"Users": [']
    lines += [json.dumps(u) + "," for u in snapshot["Users"]]
    lines[-1] = lines[-1].rstrip(",")
    lines.append('], "Groups": [')
    lines += [json.dumps(g) + "," for g in snapshot["Groups"]]
    lines[-1] = lines[-1].rstrip(",")
    lines.append("]}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_snapshot_reads_users_groups_and_nesting(tmp_path: Path) -> None:
    """Members resolve by type, by $ref and by lookup; a member that is nothing
    is a finding; the primary email comes first."""
    directory = SnapshotSource(write_lines(tmp_path / "d.json", SNAPSHOT)).read()
    ada = directory.users[DirectoryUserId("d-ada")]
    assert ada.emails == ("ada@example.com", "ada.old@example.com")
    assert ada.external_id == "E-1"
    assert not directory.users[DirectoryUserId("d-alan")].active
    emea = directory.groups[DirectoryGroupId("dg-emea")]
    assert (emea.users, emea.groups) == (("d-ada",), ("dg-tier1",))
    tier1 = directory.groups[DirectoryGroupId("dg-tier1")]
    assert (tier1.users, tier1.groups) == (("d-alan",), ("dg-emea",))
    assert [f.kind for f in directory.findings] == ["unresolved-member"]
    assert "'d-nobody'" in directory.findings[0].message
    assert "EMEA Support" in directory.findings[0].message


def test_any_layout_reads_the_same(tmp_path: Path) -> None:
    """A pretty-printed snapshot reads exactly as one written a line per resource."""
    by_line = SnapshotSource(write_lines(tmp_path / "lines.json", SNAPSHOT)).read()
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps(SNAPSHOT, indent=2))
    whole = SnapshotSource(pretty).read()
    assert (whole.users, whole.groups) == (by_line.users, by_line.groups)


def test_a_generated_snapshot_reads_in_either_layout(tmp_path: Path) -> None:
    """`sim generate`'s directory reads alike line by line and whole."""
    generate_org(tmp_path, users=300, seed=4)
    by_line = SnapshotSource(tmp_path / "directory.json").read()
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps(json.loads((tmp_path / "directory.json").read_text())))
    whole = SnapshotSource(pretty).read()
    assert (whole.users, whole.groups) == (by_line.users, by_line.groups)
    assert len(by_line.users) > 250
    assert any(group.groups for group in by_line.groups.values())


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda s: s["Users"][1].pop("userName"),
            r'line 3: Users\[1\] needs "userName"',
        ),
        (lambda s: s["Users"][0].update(active="yes"), r'line 2: Users\[0\]: "active"'),
        (
            lambda s: s["Users"].append(dict(s["Users"][0])),
            "user id 'd-ada' appears twice",
        ),
        (lambda s: s["Groups"][0]["members"].append({"type": "User"}), r"members\[3\]"),
        (
            lambda s: s["Groups"][1].pop("displayName"),
            r'Groups\[1\] needs "displayName"',
        ),
    ],
)
def test_bad_snapshots_name_the_line_and_field(
    tmp_path: Path, change: Any, expected: str
) -> None:
    """Each malformed resource is refused with its file, line and field."""
    snapshot = json.loads(json.dumps(SNAPSHOT))
    change(snapshot)
    path = write_lines(tmp_path / "bad.json", snapshot)
    with pytest.raises(ConfigError, match=expected) as caught:
        SnapshotSource(path).read()

    assert str(path) in str(caught.value)


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    """A broken file names itself and what a snapshot looks like."""
    path = tmp_path / "broken.json"
    path.write_text('{"Users": [}')
    with pytest.raises(ConfigError, match="is not valid JSON"):
        SnapshotSource(path).read()


def test_a_missing_file_names_the_path(tmp_path: Path) -> None:
    """A snapshot that is not there is a ConfigError naming it."""
    with pytest.raises(ConfigError, match="cannot read the snapshot"):
        SnapshotSource(tmp_path / "nope.json").read()


def test_the_org_as_a_directory_keeps_states_and_members() -> None:
    """Genesys users become directory users, active only when active; groups keep
    their members and contain no groups."""
    directory = org_directory(build_org(small_org_data()), {}, "the org")
    assert directory.users[DirectoryUserId("u-ada")].active
    assert not directory.users[DirectoryUserId("u-john")].active
    assert directory.users[DirectoryUserId("u-ada")].emails == (
        "ada.lovelace@example.com",
    )
    assert directory.groups[DirectoryGroupId("g-tier1")].users == ("u-ada", "u-barbara")
    assert all(not g.groups for g in directory.groups.values())


def test_the_genesys_source_reads_a_served_org() -> None:
    """Read over HTTP, the org's groups come back as the fixture holds them."""
    org = build_org(small_org_data())
    with running_server(create_app(org)) as url:
        credentials = Credentials("demo-client", "demo-secret")
        directory = GenesysSource(Connection(url, url, credentials)).read()

    assert set(directory.groups) == {DirectoryGroupId(g.id) for g in org.groups}
    assert set(directory.groups[DirectoryGroupId("g-support")].users) == {
        "u-ada",
        "u-alan",
        "u-grace",
        "u-ken",
    }


def test_a_group_listed_among_members_is_followed() -> None:
    """Should the API ever list a group among a group's individuals, the
    Genesys source nests it rather than dropping it."""

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        answers: dict[str, Any] = {
            "/oauth/token": {"access_token": "t", "expires_in": 900},
            "/api/v2/users": {
                "entities": [{"id": "u-1", "name": "A", "email": "a@x", "groups": []}],
                "pageCount": 1,
            },
            "/api/v2/groups": {
                "entities": [
                    {"id": "g-1", "name": "Outer", "memberCount": 2},
                    {"id": "g-2", "name": "Inner", "memberCount": 0},
                ],
                "pageCount": 1,
            },
            "/api/v2/groups/g-1/individuals": {
                "entities": [{"id": "u-1", "name": "A"}, {"id": "g-2", "name": "Inner"}]
            },
        }
        return httpx.Response(
            200, json=answers.get(path, {"entities": [], "pageCount": 1})
        )

    async def run() -> Any:
        connection = Connection("http://x", "http://x", Credentials("c", "s"))
        transport = httpx.MockTransport(handler)
        async with GenesysClient(
            connection, rate_limit=100, clock=VirtualClock(), transport=transport
        ) as client:
            return await read_org(GenesysApi(client))

    read = asyncio.run(run())
    directory = org_directory(read.org, read.nested, "mock")
    assert directory.groups[DirectoryGroupId("g-1")].users == ("u-1",)
    assert directory.groups[DirectoryGroupId("g-1")].groups == ("g-2",)


def test_a_generated_snapshot_is_read_line_by_line(tmp_path: Path) -> None:
    """`sim generate`'s layout takes the line-by-line reader, so a bad resource
    is reported with its line number."""
    generate_org(tmp_path, users=30, seed=2)
    path = tmp_path / "directory.json"
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace('"userName"', '"userNam"')
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match=r"line 4: Users\[2\] needs \"userName\""):
        SnapshotSource(path).read()
