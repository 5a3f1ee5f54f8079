"""Planning, as a pure function of what was read and the policy: the contract's
semantics, checked on small worlds and on random ones."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import build_org, held, person
from skillsync.directory.genesys import org_directory
from skillsync.directory.interface import Directory, DirectoryGroup, DirectoryUser
from skillsync.fixture import Org
from skillsync.ids import DirectoryGroupId, DirectoryUserId
from skillsync.plan import Plan, UserPlan
from skillsync.planfile import load_plan, plan_json
from skillsync.policy import parse_policy
from skillsync.world import Planned, World, planned

CATALOG: dict[str, Any] = {
    "skills": [
        {"id": "s-billing", "name": "Billing"},
        {"id": "s-chat", "name": "Chat"},
        {"id": "s-claims", "name": "Claims"},
        {"id": "s-legacy", "name": "Legacy", "state": "inactive"},
    ],
    "languages": [{"id": "l-en", "name": "English"}, {"id": "l-fr", "name": "French"}],
}


def dir_user(
    user_id: str, name: str, active: bool = True, **extra: Any
) -> DirectoryUser:
    """A directory user whose userName and email are `name`@example.com."""
    email = f"{name}@example.com"
    return DirectoryUser(
        DirectoryUserId(user_id), email, (email,), active=active, **extra
    )


def dir_group(
    group_id: str, name: str, users: str = "", groups: str = ""
) -> DirectoryGroup:
    """A directory group from space-separated member ids."""
    return DirectoryGroup(
        DirectoryGroupId(group_id),
        name,
        tuple(DirectoryUserId(u) for u in users.split()),
        tuple(DirectoryGroupId(g) for g in groups.split()),
    )


def directory(users: list[DirectoryUser], groups: list[DirectoryGroup]) -> Directory:
    """A directory of these users and groups."""
    return Directory(
        "the test directory", {u.id: u for u in users}, {g.id: g for g in groups}
    )


def org(*users: dict[str, Any]) -> Org:
    """An org with the test catalogs and these users."""
    return build_org({**CATALOG, "users": list(users)})


def plan_of(policy: str, world: World) -> Planned:
    """Plan `policy` (YAML text) over `world`."""
    return planned(parse_policy(policy, Path("policy.yaml")), world)


def changes(plan: Plan) -> dict[str, list[tuple[str, str, float | None, float | None]]]:
    """Each user's changes as (action, item, before, after), by email."""
    return {
        u.email: [(c.action, c.id, c.before, c.after) for c in u.changes]
        for u in plan.users
    }


NESTED = directory(
    [
        dir_user("d-ada", "ada"),
        dir_user("d-alan", "alan"),
        dir_user("d-old", "old", False),
    ],
    [
        dir_group("g-emea", "EMEA", groups="g-tier1"),
        dir_group("g-tier1", "Tier 1", users="d-ada", groups="g-tier2"),
        dir_group("g-tier2", "Tier 2", users="d-alan d-old", groups="g-tier1"),
    ],
)
AGENTS = (
    person("u-ada", "Ada", skills=held(("s-chat", 2.0))),
    person("u-alan", "Alan", skills=held(("s-billing", 1.0), ("s-claims", 4.0))),
    person("u-old", "Old", "inactive"),
)


def email(name: str) -> str:
    """The example email of `name`, as `person` makes it."""
    return f"{name.lower()}@example.com"


def test_the_highest_grant_wins_through_nesting_and_cycles() -> None:
    """Members of Tier 1 and Tier 2 (a cycle, inside EMEA) get the highest
    proficiency any of their groups grants, from the group that grants it."""
    policy = """
rules:
  - group: EMEA
    skills: [{name: Billing, proficiency: 2}]
  - group: Tier 2
    skills: [{name: Billing, proficiency: 4.5}]
  - group: Tier 1
    skills: [{name: Billing, proficiency: 3}]
match: {directory: email, genesys: email}
"""
    result = plan_of(policy, World(org(*AGENTS), NESTED, False)).plan
    found = changes(result)
    assert found[email("Ada")] == [("add", "s-billing", None, 4.5)]
    assert found[email("Alan")] == [("change", "s-billing", 1.0, 4.5)]
    granted_by = {c.granted_by for u in result.users for c in u.changes}
    assert granted_by == {"Tier 2"}
    assert [f.kind for f in result.findings].count("cycle") == 1


def test_unmanaged_items_are_never_touched() -> None:
    """Chat and Claims, which no rule names, are neither changed nor removed."""
    policy = "rules:\n  - group: EMEA\n    skills: [{name: Billing, proficiency: 1}]\n"
    result = plan_of(policy, World(org(*AGENTS), NESTED, False)).plan
    touched = {c.id for u in result.users for c in u.changes}
    assert touched == {"s-billing"}
    assert result.managed_skills == ("s-billing",)


def test_prune_removes_only_managed_items_no_group_grants() -> None:
    """With prune, a managed skill no group grants goes; without, it stays."""
    policy = """
rules:
  - group: EMEA
    skills: [{name: Chat, proficiency: 2}]
  - group: Nobody
    skills: [{name: Claims, proficiency: 1}]
"""
    world = World(
        org(*AGENTS),
        directory(
            [*NESTED.users.values()],
            [*NESTED.groups.values(), dir_group("g-none", "Nobody")],
        ),
        False,
    )
    pruned = changes(plan_of(policy, world).plan)
    assert ("remove", "s-claims", 4.0, None) in pruned[email("Alan")]
    assert email("Ada") not in pruned
    kept = plan_of(policy + "prune: false\n", world).plan
    assert all(c.action != "remove" for u in kept.users for c in u.changes)


def test_only_active_users_on_both_sides_take_part() -> None:
    """An inactive Genesys Cloud user is never changed, and an inactive directory
    user grants nothing."""
    policy = "rules:\n  - group: Tier 2\n    skills: [{name: Chat, proficiency: 5}]\n"
    result = plan_of(policy, World(org(*AGENTS), NESTED, False)).plan
    assert email("Old") not in changes(result)
    assert result.active_users == 2


def test_a_granted_item_moves_down_as_well_as_up_whatever_prune_says() -> None:
    """A managed skill held above its grant is lowered to it, even with prune off."""
    policy = (
        "rules:\n  - group: Tier 2\n    skills: [{name: Claims, proficiency: 2}]\n"
        "prune: false\n"
    )
    result = plan_of(policy, World(org(*AGENTS), NESTED, False)).plan
    assert ("change", "s-claims", 4.0, 2.0) in changes(result)[email("Alan")]


def test_matching_ignores_case_for_emails_but_not_for_external_ids() -> None:
    """ADA@EXAMPLE.COM matches ada@example.com; an externalId of another case
    does not match an id."""
    shouting = dataclasses.replace(
        NESTED.users[DirectoryUserId("d-ada")],
        user_name="ADA@EXAMPLE.COM",
        external_id="U-ADA",
    )
    users = {**NESTED.users, shouting.id: shouting}
    world = World(org(*AGENTS), dataclasses.replace(NESTED, users=users), False)
    policy = (
        "rules:\n  - group: Tier 1\n    languages: [{name: English, proficiency: 4}]\n"
    )
    by_name = changes(plan_of(policy, world).plan)
    assert by_name[email("Ada")] == [("add", "l-en", None, 4.0)]
    by_external = plan_of(
        policy + "match: {directory: externalId, genesys: id}\n", world
    ).plan
    assert email("Ada") not in changes(by_external)


def test_duplicate_directory_users_grant_together_and_are_reported() -> None:
    """Two directory users with one email both grant to the Genesys user."""
    twin = dir_user("d-ada2", "ada")
    world = World(
        org(*AGENTS),
        directory(
            [*NESTED.users.values(), twin],
            [*NESTED.groups.values(), dir_group("g-fr", "French", users="d-ada2")],
        ),
        False,
    )
    policy = """
rules:
  - group: French
    languages: [{name: French, proficiency: 5}]
  - group: EMEA
    languages: [{name: English, proficiency: 3}]
"""
    result = plan_of(policy, world).plan
    assert {c.id for c in next(u for u in result.users if u.id == "u-ada").changes} == {
        "l-en",
        "l-fr",
    }
    assert "duplicate-match" in {f.kind for f in result.findings}


def test_the_brake_counts_users_losing_anything_against_a_share_of_actives() -> None:
    """One of two active users losing a skill is 50%: over 10%, within 50%."""
    policy = "rules:\n  - group: Nobody\n    skills: [{name: Claims, proficiency: 1}]\n"
    world = World(
        org(*AGENTS),
        directory([*NESTED.users.values()], [dir_group("g-none", "Nobody")]),
        False,
    )
    assert plan_of(policy, world).plan.brake.tripped
    relaxed = plan_of(policy + "max_removals: 50%\n", world).plan
    assert relaxed.brake.users_with_removals == 1
    assert relaxed.brake.limit == 1.0
    assert not relaxed.brake.tripped


def test_inactive_catalog_entries_are_findings() -> None:
    """Granting an inactive skill is allowed and reported."""
    policy = "rules:\n  - group: EMEA\n    skills: [{name: Legacy, proficiency: 1}]\n"
    result = plan_of(policy, World(org(*AGENTS), NESTED, False)).plan
    assert "inactive-skill" in {f.kind for f in result.findings}


def test_genesys_groups_need_no_matching() -> None:
    """With the org's own groups as the directory, each user is itself: Ada
    is granted Claims, and Alan, in no group, loses his."""
    genesys = build_org(
        {
            **CATALOG,
            "users": list(AGENTS),
            "groups": [{"id": "g-1", "name": "Support", "members": ["u-ada"]}],
        }
    )
    world = World(genesys, org_directory(genesys, {}, "the org"), True)
    policy = (
        "rules:\n  - group: Support\n    skills: [{name: Claims, proficiency: 2}]\n"
    )
    assert changes(plan_of(policy, world).plan) == {
        email("Ada"): [("add", "s-claims", None, 2.0)],
        email("Alan"): [("remove", "s-claims", 4.0, None)],
    }


def test_a_saved_plan_round_trips(tmp_path: Path) -> None:
    """PLAN.json read back is the plan that was written."""
    policy = """
rules:
  - group: EMEA
    skills: [{name: Billing, proficiency: 2.5}]
    languages: [{name: French, proficiency: 1}]
"""
    result = plan_of(policy, World(org(*AGENTS), NESTED, False)).plan
    path = tmp_path / "plan.json"
    path.write_bytes(plan_json(result))
    assert load_plan(path) == result


# Random worlds: applying a plan in memory leaves nothing to plan.

SKILLS = ["s-billing", "s-chat", "s-claims"]
levels = st.sampled_from([0.0, 1.0, 2.5, 3.0, 5.0])
held_sets = st.dictionaries(st.sampled_from(SKILLS), levels, max_size=3)


@st.composite
def worlds(draw: st.DrawFn) -> tuple[World, str]:
    """A random nested directory with cycles, agents holding random skills, and
    a policy over some of its groups."""
    count = draw(st.integers(1, 6))
    edges = draw(
        st.lists(
            st.tuples(st.integers(0, count - 1), st.integers(0, count - 1)), max_size=8
        )
    )
    members = draw(
        st.lists(st.tuples(st.integers(0, count - 1), st.integers(0, 5)), max_size=12)
    )
    groups = [
        dir_group(
            f"g{n}",
            f"Group {n}",
            " ".join(sorted({f"d{u}" for g, u in members if g == n})),
            " ".join(sorted({f"g{c}" for p, c in edges if p == n})),
        )
        for n in range(count)
    ]
    users = [dir_user(f"d{u}", f"agent{u}") for u in range(6)]
    agents = [
        person(f"u{u}", f"Agent{u}", skills=held(*draw(held_sets).items()))
        for u in range(6)
    ]
    rules = draw(
        st.lists(
            st.tuples(st.integers(0, count - 1), st.sampled_from(SKILLS[:2]), levels),
            min_size=1,
            max_size=5,
        )
    )
    prune = draw(st.booleans())
    policy = "rules:\n" + "".join(
        f"  - group: g{g}\n    skills: [{{name: {s}, proficiency: {p}}}]\n"
        for g, s, p in rules
    )
    policy += (
        f"prune: {str(prune).lower()}\nmatch: {{directory: email, genesys: email}}\n"
    )
    return World(org(*agents), directory(users, groups), False), policy


def applied(world: World, users: tuple[UserPlan, ...]) -> World:
    """The world after every change of the plan landed."""
    plans = {u.id: u for u in users}
    agents = []
    for agent in world.org.users:
        skills: dict[str, float] = {s.id: s.proficiency for s in agent.skills}
        for change in plans[agent.id].changes if agent.id in plans else ():
            if change.after is None:
                skills.pop(change.id, None)
            else:
                skills[change.id] = change.after

        agents.append(person(agent.id, agent.name, skills=held(*skills.items())))

    return dataclasses.replace(world, org=org(*agents))


@settings(max_examples=150, deadline=None)
@given(worlds())
def test_a_plan_after_applying_is_empty_and_never_touches_unmanaged(
    drawn: tuple[World, str],
) -> None:
    """Applying a plan's changes leaves nothing to plan; unmanaged skills never
    appear in a plan; with prune off nothing is ever removed."""
    world, policy = drawn
    result = plan_of(policy, world).plan
    managed = set(result.managed_skills)
    assert all(c.id in managed for u in result.users for c in u.changes)
    if not result.prune:
        assert all(c.action != "remove" for u in result.users for c in u.changes)

    assert plan_of(policy, applied(world, result.users)).plan.users == ()


def test_shared_display_names_are_a_finding_not_an_error() -> None:
    """Two groups called Tier 1 are reported; a policy that names neither plans."""
    world = World(
        org(*AGENTS),
        directory(
            [*NESTED.users.values()],
            [*NESTED.groups.values(), dir_group("g-other", "Tier 1")],
        ),
        False,
    )
    policy = "rules:\n  - group: EMEA\n    skills: [{name: Chat, proficiency: 1}]\n"
    found = [
        f
        for f in plan_of(policy, world).plan.findings
        if f.kind == "duplicate-group-name"
    ]
    assert len(found) == 1
    assert "'Tier 1' (g-other, g-tier1)" in found[0].message
