"""Tests of the org generator: files that fit together, deterministic, streamed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from skillsync.errors import ConfigError
from skillsync.fixture import load_org
from skillsync.simulator.generate import GeneratedOrg, generate_org

Json = Any


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> GeneratedOrg:
    """A 300-user org with the default 30 groups, six levels deep."""
    return generate_org(tmp_path_factory.mktemp("org"), users=300, seed=11)


def read_json(path: Path) -> Json:
    """Parse a JSON file."""
    return orjson.loads(path.read_bytes())


def read_policy(path: Path) -> Json:
    """Parse the policy file."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def file_bytes(result: GeneratedOrg) -> list[bytes]:
    """The bytes of the three files."""
    return [path.read_bytes() for path in (result.org, result.directory, result.policy)]


def containment(snapshot: Json) -> dict[str, set[str]]:
    """The groups each snapshot group contains, typed or found by lookup."""
    group_ids = {group["id"] for group in snapshot["Groups"]}

    return {
        group["id"]: {
            member["value"]
            for member in group["members"]
            if member["value"] in group_ids and member.get("type", "Group") == "Group"
        }
        for group in snapshot["Groups"]
    }


def reachable(edges: Mapping[str, Iterable[str]], start: str) -> set[str]:
    """Every node a path of one edge or more leads to from `start`."""
    seen: set[str] = set()
    stack = list(edges[start])
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(edges[node])

    return seen


def components(edges: Mapping[str, Iterable[str]]) -> dict[str, frozenset[str]]:
    """The strongly connected component of every node, by brute force."""
    reach = {node: reachable(edges, node) for node in edges}

    return {
        node: frozenset(
            {node} | {other for other in reach[node] if node in reach[other]}
        )
        for node in edges
    }


def longest_chain(edges: Mapping[str, Iterable[str]]) -> int:
    """The most groups on one containment chain, counting each cycle as one."""
    component = components(edges)
    memo: dict[frozenset[str], int] = {}

    def chain_from(part: frozenset[str]) -> int:
        if part not in memo:
            below = {component[child] for node in part for child in edges[node]}
            memo[part] = 1 + max((chain_from(p) for p in below - {part}), default=0)

        return memo[part]

    return max(chain_from(part) for part in set(component.values()))


def cycles_of(edges: Mapping[str, Iterable[str]]) -> set[frozenset[str]]:
    """The components that hold more than one group."""
    return {part for part in components(edges).values() if len(part) > 1}


def catalog_ids(org: Json, key: str) -> dict[str, str]:
    """Catalog names to ids for `skills` or `languages`."""
    return {entry["name"]: entry["id"] for entry in org[key]}


def rule_grants(org: Json, policy: Json) -> dict[str, dict[str, float]]:
    """What each rule's group grants directly, by group displayName and by id."""
    skills, languages = catalog_ids(org, "skills"), catalog_ids(org, "languages")
    grants: dict[str, dict[str, float]] = {}
    for rule in policy["rules"]:
        held = grants.setdefault(rule["group"], {})
        for entry in rule.get("skills", []):
            held[skills[entry["name"]]] = max(
                held.get(skills[entry["name"]], 0), entry["proficiency"]
            )

        for entry in rule.get("languages", []):
            slot = languages[entry["name"]]
            held[slot] = max(held.get(slot, 0), entry["proficiency"])

    return grants


def managed_ids(org: Json, policy: Json) -> set[str]:
    """The ids of the skills and languages the policy names."""
    return {slot for granted in rule_grants(org, policy).values() for slot in granted}


def containing_groups(snapshot: Json, policy: Json) -> dict[str, set[str]]:
    """The groups directly containing each group, the policy's nesting included."""
    by_name = {group["displayName"]: group["id"] for group in snapshot["Groups"]}
    parents: dict[str, set[str]] = {group: set() for group in by_name.values()}
    for parent, children in containment(snapshot).items():
        for child in children:
            parents[child].add(parent)

    for parent, children in policy.get("nesting", {}).items():
        for child in children:
            parents[by_name[child]].add(by_name[parent])

    return parents


def wanted_by_user_name(
    org: Json, snapshot: Json, policy: Json
) -> dict[str, dict[str, float]]:
    """What the active directory users are granted, by lower-case userName."""
    names = {group["id"]: group["displayName"] for group in snapshot["Groups"]}
    parents = containing_groups(snapshot, policy)
    direct: dict[str, set[str]] = {}
    for group in snapshot["Groups"]:
        for member in group["members"]:
            direct.setdefault(member["value"], set()).add(group["id"])

    grants = rule_grants(org, policy)
    wanted: dict[str, dict[str, float]] = {}
    for user in (user for user in snapshot["Users"] if user.get("active", True)):
        groups = set(direct.get(user["id"], set()))
        for group in list(groups):
            groups |= reachable(parents, group)

        merged = wanted.setdefault(user["userName"].lower(), {})
        for group in groups:
            for slot, level in grants.get(names[group], {}).items():
                merged[slot] = max(merged.get(slot, 0), level)

    return wanted


def expected_plan(org: Json, snapshot: Json, policy: Json) -> tuple[int, int]:
    """A naive reading of the contract: the active Genesys Cloud users a plan
    changes, and those among them who lose something."""
    wanted = wanted_by_user_name(org, snapshot, policy)
    managed = managed_ids(org, policy)
    changes = removals = 0
    for user in (user for user in org["users"] if user["state"] == "active"):
        holdings = user["skills"] + user["languages"]
        held = {entry["id"]: entry["proficiency"] for entry in holdings}
        granted = wanted.get(user["email"].lower(), {})
        removes = any(slot in managed and slot not in granted for slot in held)
        moves = any(held.get(slot) != level for slot, level in granted.items())
        removals += removes
        changes += removes or moves

    return changes, removals


def test_same_seed_gives_same_bytes(tmp_path: Path) -> None:
    """Two runs with one seed write byte-identical files."""
    first = generate_org(tmp_path / "a", users=120, seed=5)
    second = generate_org(tmp_path / "b", users=120, seed=5)

    assert file_bytes(first) == file_bytes(second)


def test_different_seeds_give_different_orgs(tmp_path: Path) -> None:
    """Another seed changes every one of the three files."""
    first = generate_org(tmp_path / "a", users=120, seed=5)
    second = generate_org(tmp_path / "b", users=120, seed=6)

    for one, other in zip(file_bytes(first), file_bytes(second), strict=True):
        assert one != other


def test_org_loads_as_a_fixture(generated: GeneratedOrg) -> None:
    """`load_org` accepts the org, with the counts the summary gives."""
    org = load_org(generated.org)
    states = [user.state for user in org.users]

    assert len(org.users) == generated.users
    assert states.count("active") == generated.active_users
    assert states.count("inactive") == generated.inactive_users > 0
    assert states.count("deleted") == generated.deleted_users > 0
    assert len(org.groups) == generated.genesys_groups
    assert [(client.id, client.secret) for client in org.clients] == [
        ("demo-client", "demo-secret")
    ]
    assert {skill.state for skill in org.skills} == {"active", "inactive"}


def test_users_hold_at_most_fifty_of_each(generated: GeneratedOrg) -> None:
    """No user holds more than 50 skills or 50 languages, and proficiencies are in
    range."""
    for user in load_org(generated.org).users:
        assert len(user.skills) <= 50
        assert len(user.languages) <= 50
        assert all(0.0 <= skill.proficiency <= 5.0 for skill in user.skills)
        assert all(0 <= language.proficiency <= 5 for language in user.languages)


def test_snapshot_members_resolve_or_are_deliberately_dangling(
    generated: GeneratedOrg,
) -> None:
    """Every member value names a user or group of the snapshot, except the
    deliberately dangling ones, whose count the summary gives."""
    snapshot = read_json(generated.directory)
    users = {user["id"] for user in snapshot["Users"]}
    groups = {group["id"] for group in snapshot["Groups"]}
    members = [member for group in snapshot["Groups"] for member in group["members"]]
    dangling = [m for m in members if m["value"] not in users | groups]

    assert len(members) == generated.memberships
    assert len(dangling) == generated.dangling_members > 0
    assert all("-gone-" in member["value"] for member in dangling)
    assert sum("type" not in member for member in members) == generated.untyped_members
    for member in members:
        if member in dangling or "type" not in member:
            continue

        assert member["value"] in (users if member["type"] == "User" else groups)


def test_nesting_reaches_the_requested_depth(tmp_path: Path) -> None:
    """The longest chain of containment, each cycle counted once, is `depth`."""
    for depth in (1, 3, 8):
        result = generate_org(tmp_path / str(depth), users=200, seed=3, depth=depth)
        snapshot = read_json(result.directory)

        assert longest_chain(containment(snapshot)) == depth == result.depth


def test_snapshot_has_cycles(generated: GeneratedOrg) -> None:
    """The snapshot's groups contain each other in as many cycles as reported."""
    cycles = cycles_of(containment(read_json(generated.directory)))

    assert len(cycles) == generated.cycles >= 1


def test_small_orgs_with_four_groups_have_a_cycle(tmp_path: Path) -> None:
    """Four groups on fewer levels are enough for a cycle."""
    result = generate_org(tmp_path, users=20, seed=1, groups=4, depth=3)

    assert len(cycles_of(containment(read_json(result.directory)))) == 1


def test_directory_and_org_disagree_on_purpose(generated: GeneratedOrg) -> None:
    """Some directory users have no Genesys Cloud account, some Genesys Cloud users
    have no directory user, and some directory users are not active."""
    org, snapshot = read_json(generated.org), read_json(generated.directory)
    emails = {user["email"].lower() for user in org["users"]}
    names = [user["userName"].lower() for user in snapshot["Users"]]
    outsiders = [name for name in names if name not in emails]

    assert len(snapshot["Users"]) == generated.directory_users
    assert len(outsiders) == generated.unmatched_directory_users > 0
    assert len(emails - set(names)) == generated.users_without_directory > 0
    assert len(names) - len(set(names)) == generated.duplicate_directory_users > 0
    assert any(user.get("active") is False for user in snapshot["Users"])
    assert all(not user["id"].startswith("u-") for user in snapshot["Users"])


def test_policy_names_only_what_exists(generated: GeneratedOrg) -> None:
    """The policy names existing groups, skills and languages, and leaves some
    catalog skills and languages unmanaged."""
    org, snapshot = read_json(generated.org), read_json(generated.directory)
    policy = read_policy(generated.policy)
    groups = {group["displayName"] for group in snapshot["Groups"]}
    skills = {skill["name"] for skill in org["skills"] if skill["state"] == "active"}
    languages = {language["name"] for language in org["languages"]}
    named_skills = {
        e["name"] for rule in policy["rules"] for e in rule.get("skills", [])
    }
    named_languages = {
        e["name"] for r in policy["rules"] for e in r.get("languages", [])
    }
    nested = {name for p, c in policy["nesting"].items() for name in [p, *c]}

    assert {rule["group"] for rule in policy["rules"]} <= groups
    assert nested <= groups
    assert named_skills < skills
    assert named_languages < languages
    assert len(named_skills) == generated.managed_skills
    assert len(named_languages) == generated.managed_languages
    assert len(policy["rules"]) == generated.rules == 15
    assert policy["match"] == {"directory": "userName", "genesys": "email"}
    assert policy["prune"] is True
    assert policy["max_removals"] == "10%"


def test_some_skill_is_granted_at_several_proficiencies(
    generated: GeneratedOrg,
) -> None:
    """Several rules grant one skill at different proficiencies."""
    policy = read_policy(generated.policy)
    levels: dict[str, set[float]] = {}
    for rule in policy["rules"]:
        for entry in rule.get("skills", []):
            levels.setdefault(entry["name"], set()).add(entry["proficiency"])

    assert any(len(found) > 1 for found in levels.values())


def test_users_hold_unmanaged_skills(generated: GeneratedOrg) -> None:
    """Some users hold skills the policy does not manage."""
    org = read_json(generated.org)
    managed = managed_ids(org, read_policy(generated.policy))
    held = {entry["id"] for user in org["users"] for entry in user["skills"]}

    assert held - managed


def test_reported_plan_counts_match_a_naive_reading(generated: GeneratedOrg) -> None:
    """The users a plan changes and the users who lose something, as reported,
    agree with a naive transitive closure over the written files."""
    org, snapshot = read_json(generated.org), read_json(generated.directory)
    changes, removals = expected_plan(org, snapshot, read_policy(generated.policy))

    assert (changes, removals) == (
        generated.users_with_changes,
        generated.users_with_removals,
    )
    assert (
        0 < removals < generated.active_users // 10 < changes < generated.active_users
    )


@pytest.mark.parametrize(
    ("users", "groups", "depth"), [(300, 4, 3), (400, 200, 10), (200, 60, 1)]
)
def test_plan_counts_hold_for_other_shapes(
    tmp_path: Path, users: int, groups: int, depth: int
) -> None:
    """The reported plan counts and cycles also agree for flat, deep and tiny
    hierarchies."""
    result = generate_org(tmp_path, users=users, seed=9, groups=groups, depth=depth)
    org, snapshot = read_json(result.org), read_json(result.directory)
    changes, removals = expected_plan(org, snapshot, read_policy(result.policy))

    assert (changes, removals) == (
        result.users_with_changes,
        result.users_with_removals,
    )
    assert len(cycles_of(containment(snapshot))) == result.cycles


def test_twelve_users_make_a_complete_org(tmp_path: Path) -> None:
    """A 12-user org loads and still has a cycle, a rule and a dangling member."""
    result = generate_org(tmp_path, users=12, seed=1)

    assert len(load_org(result.org).users) == 12
    assert result.groups == 8
    assert result.depth == 6
    assert result.cycles == 1
    assert result.rules == 4
    assert result.dangling_members > 0
    assert result.unmatched_directory_users == 1
    assert result.users_with_removals == 1


def test_a_single_user_org_works(tmp_path: Path) -> None:
    """The smallest org, one user in one group, loads."""
    result = generate_org(tmp_path, users=1, seed=0, groups=1, depth=1)

    assert len(load_org(result.org).users) == 1
    assert result.cycles == 0


def test_output_directory_is_created(tmp_path: Path) -> None:
    """Missing parent directories of `out` are created."""
    result = generate_org(tmp_path / "a" / "b", users=5, seed=0)

    assert result.org.parent == tmp_path / "a" / "b"
    assert result.policy.is_file()


@pytest.mark.parametrize(
    ("users", "groups", "depth", "fragment"),
    [
        (0, None, 6, "--users 1 or more"),
        (10, None, 0, "--depth 1 or more"),
        (10, 4, 6, "--groups 6 or more"),
        (10, 0, 1, "--groups 1 or more"),
    ],
)
def test_bad_arguments_raise_config_error(
    tmp_path: Path, users: int, groups: int | None, depth: int, fragment: str
) -> None:
    """Sizes that describe no org raise `ConfigError` naming the option to fix."""
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        generate_org(tmp_path, users=users, seed=1, groups=groups, depth=depth)

    assert not any(tmp_path.iterdir())


def test_an_unwritable_output_raises_config_error(tmp_path: Path) -> None:
    """An output path that is a file raises `ConfigError`, not `OSError`."""
    blocker = tmp_path / "file"
    blocker.write_text("taken", encoding="utf-8")

    with pytest.raises(ConfigError, match="cannot create the output directory"):
        generate_org(blocker, users=5, seed=1)
