"""The policy file: loading with defaults, errors placed at the file, line and
column at fault, names resolved against a directory and an org, and the schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conftest import build_org, small_org_data
from skillsync.directory.interface import (
    Directory,
    DirectoryGroup,
    DirectoryUser,
    Finding,
)
from skillsync.directory.snapshot import SnapshotSource
from skillsync.errors import ConfigError
from skillsync.fixture import Org, load_org
from skillsync.ids import DirectoryGroupId, DirectoryUserId, LanguageId, SkillId
from skillsync.policy import (
    LoadedPolicy,
    ResolvedPolicy,
    load_policy,
    policy_schema,
    resolve,
)
from skillsync.simulator.generate import generate_org

CONTRACT_EXAMPLE = """\
rules:
  - group: EMEA Support
    skills:
      - {name: Billing, proficiency: 3}
    languages:
      - {name: English, proficiency: 5}
  - group: Tier 2
    skills:
      - {name: Billing, proficiency: 5}

nesting:            # extra containment edges, for flat sources: parent -> children
  Tier 2: [Tier 1]

match:              # how directory users map to Genesys Cloud users
  directory: userName     # userName | email | externalId (email: the primary one)
  genesys: email          # email | username | id

prune: true         # remove managed skills and languages that no group grants any more
max_removals: 10%   # the brake: a count, or a percentage of the users in scope
"""

ONE_RULE = """\
rules:
  - group: EMEA Support
"""

SOURCE = "the snapshot directory.json"

ADA = DirectoryUserId("d-ada")


def group(
    group_id: str, name: str, *contains: str, users: tuple[DirectoryUserId, ...] = ()
) -> DirectoryGroup:
    """A directory group that contains the groups with ids `contains`."""
    return DirectoryGroup(
        DirectoryGroupId(group_id),
        name,
        users=users,
        groups=tuple(DirectoryGroupId(child) for child in contains),
    )


def snapshot() -> Directory:
    """A directory with the contract's groups and two groups named 'Sales'."""
    groups = [
        group("g-emea", "EMEA Support", users=(ADA,)),
        group("g-tier2", "Tier 2", "g-tier1"),
        group("g-tier1", "Tier 1", users=(ADA,)),
        group("g-sales-a", "Sales"),
        group("g-sales-b", "Sales"),
        group("g-apac", "APAC Support"),
    ]
    return Directory(
        source=SOURCE,
        users={ADA: DirectoryUser(ADA, "ada@example.com")},
        groups={g.id: g for g in groups},
    )


def write_policy(tmp_path: Path, text: str) -> Path:
    """`text` saved as `policy.yaml` in `tmp_path`."""
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str) -> LoadedPolicy:
    """The policy `text` loaded from a file."""
    return load_policy(write_policy(tmp_path, text))


def problem(tmp_path: Path, text: str) -> str:
    """The error loading `text` raises, after the file's path and a colon, which
    every placed error starts with."""
    path = write_policy(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_policy(path)

    message = str(caught.value)
    assert message.startswith(f"{path}:")
    return message.removeprefix(f"{path}:")


def resolved(tmp_path: Path, text: str, org: Org) -> ResolvedPolicy:
    """The policy `text` resolved against the snapshot and `org`."""
    return resolve(load(tmp_path, text), snapshot(), org)


def resolve_problem(tmp_path: Path, text: str, org: Org) -> str:
    """The error resolving `text` raises, after the file's path and a colon."""
    loaded = load(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        resolve(loaded, snapshot(), org)

    message = str(caught.value)
    assert message.startswith(f"{loaded.path}:")
    return message.removeprefix(f"{loaded.path}:")


@pytest.fixture
def org() -> Org:
    """The dozen-user org, whose catalogs the policies name."""
    return build_org(small_org_data())


# Loading a valid policy.


def test_contract_example_loads_as_written(tmp_path: Path) -> None:
    """The policy example of contract section 5 loads with every value it gives."""
    policy = load(tmp_path, CONTRACT_EXAMPLE).policy

    assert [rule.group for rule in policy.rules] == ["EMEA Support", "Tier 2"]
    first, second = policy.rules
    assert [(g.name, g.proficiency) for g in first.skills] == [("Billing", 3.0)]
    assert [(g.name, g.proficiency) for g in first.languages] == [("English", 5)]
    assert [(g.name, g.proficiency) for g in second.skills] == [("Billing", 5.0)]
    assert second.languages == ()
    assert policy.nesting == {"Tier 2": ("Tier 1",)}
    assert (policy.match.directory, policy.match.genesys) == ("userName", "email")
    assert policy.prune is True
    assert policy.max_removals == "10%"


def test_defaults_fill_what_a_policy_leaves_out(tmp_path: Path) -> None:
    """A policy of one rule prunes, brakes at 10% and matches userName to email."""
    policy = load(tmp_path, ONE_RULE).policy

    assert policy.prune is True
    assert policy.max_removals == "10%"
    assert policy.match.directory == "userName"
    assert policy.match.genesys == "email"
    assert policy.nesting == {}
    assert policy.rules[0].skills == ()
    assert policy.rules[0].languages == ()


def test_language_proficiency_is_a_whole_number(tmp_path: Path) -> None:
    """A language proficiency loads as an int and a skill proficiency as a float."""
    policy = load(tmp_path, CONTRACT_EXAMPLE).policy

    assert type(policy.rules[0].languages[0].proficiency) is int
    assert type(policy.rules[0].skills[0].proficiency) is float


def test_a_utf8_file_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    """A policy saved with a UTF-8 byte order mark, as some editors do, loads."""
    path = tmp_path / "policy.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + ONE_RULE.encode())

    assert load_policy(path).policy.rules[0].group == "EMEA Support"


@pytest.mark.parametrize(
    ("max_removals", "active_users", "limit"),
    [
        ("10%", 940, 94.0),
        ("2.5%", 940, 23.5),
        ("10%", 5, 0.5),
        ("0%", 940, 0.0),
        ("100%", 940, 940.0),
        ("25", 940, 25.0),
        ("0", 940, 0.0),
    ],
)
def test_brake_limit_is_a_count_or_an_unrounded_share(
    tmp_path: Path, max_removals: str, active_users: int, limit: float
) -> None:
    """The brake's limit is the count as given, or the exact percentage of the
    active users without rounding."""
    text = f"{ONE_RULE}max_removals: {max_removals}\n"
    policy = load(tmp_path, text).policy

    assert policy.brake_limit(active_users) == limit


# Errors placed at the file, line and column at fault.


def test_skill_proficiency_out_of_range_points_at_the_value(tmp_path: Path) -> None:
    """A skill proficiency of 7 is refused at its value, giving the 0.0 to 5.0
    range."""
    text = ONE_RULE + "    skills:\n      - {name: Billing, proficiency: 7}\n"

    assert problem(tmp_path, text) == (
        "4:38: rules[0].skills[0].proficiency: 7 is not a skill proficiency; "
        "write a number from 0.0 to 5.0"
    )


def test_negative_skill_proficiency_is_refused(tmp_path: Path) -> None:
    """A negative skill proficiency is refused at its value."""
    text = ONE_RULE + "    skills:\n      - name: Billing\n        proficiency: -1\n"

    assert problem(tmp_path, text) == (
        "5:22: rules[0].skills[0].proficiency: -1 is not a skill proficiency; "
        "write a number from 0.0 to 5.0"
    )


@pytest.mark.parametrize("value", ["true", "'3'", ".nan", ".inf"])
def test_skill_proficiency_must_be_a_plain_number(tmp_path: Path, value: str) -> None:
    """A flag, a quoted number, NaN or infinity is not a skill proficiency."""
    text = ONE_RULE + f"    skills:\n      - {{name: Billing, proficiency: {value}}}\n"

    assert problem(tmp_path, text).startswith("4:38: rules[0].skills[0].proficiency: ")


def test_fractional_language_proficiency_asks_for_a_whole_number(
    tmp_path: Path,
) -> None:
    """A language proficiency of 2.5 is refused at its value, asking for a whole
    number from 0 to 5."""
    text = ONE_RULE + "    languages:\n      - {name: English, proficiency: 2.5}\n"

    assert problem(tmp_path, text) == (
        "4:38: rules[0].languages[0].proficiency: 2.5 is not a language "
        "proficiency; write a whole number from 0 to 5"
    )


@pytest.mark.parametrize("value", ["6", "-1", "'3'", "true"])
def test_language_proficiency_outside_0_to_5_is_refused(
    tmp_path: Path, value: str
) -> None:
    """A language proficiency out of range, quoted or a flag is refused at its
    value."""
    text = (
        ONE_RULE + f"    languages:\n      - {{name: English, proficiency: {value}}}\n"
    )

    assert problem(tmp_path, text) == (
        f"4:38: rules[0].languages[0].proficiency: {yaml.safe_load(value)!r} is "
        "not a language proficiency; write a whole number from 0 to 5"
    )


def test_unknown_key_points_at_the_key(tmp_path: Path) -> None:
    """A misspelt key such as `skils` is refused at the key itself, by name."""
    text = ONE_RULE + "    skils:\n      - {name: Billing, proficiency: 3}\n"

    assert problem(tmp_path, text) == (
        "3:5: rules[0].skils: unknown key 'skils'; check its spelling against "
        "the policy reference"
    )


def test_unknown_top_level_key_points_at_the_key(tmp_path: Path) -> None:
    """A misspelt top-level key is refused at the key, not at its value."""
    assert problem(tmp_path, ONE_RULE + "prnue:\n  - false\n") == (
        "3:1: prnue: unknown key 'prnue'; check its spelling against the policy "
        "reference"
    )


def test_missing_proficiency_points_at_its_grant(tmp_path: Path) -> None:
    """A grant without `proficiency` is refused at the grant that lacks it."""
    text = ONE_RULE + "    skills:\n      - {name: Billing}\n"

    assert problem(tmp_path, text) == (
        "4:9: rules[0].skills[0].proficiency: 'proficiency' is required here"
    )


def test_missing_group_points_at_its_rule(tmp_path: Path) -> None:
    """A rule without `group` is refused at the rule that lacks it."""
    text = "rules:\n  - skills:\n      - {name: Billing, proficiency: 3}\n"

    assert problem(tmp_path, text) == "2:5: rules[0].group: 'group' is required here"


def test_empty_rules_need_at_least_one_rule(tmp_path: Path) -> None:
    """`rules: []` is refused at the empty list: a policy needs a rule."""
    assert problem(tmp_path, "rules: []\n") == (
        "1:8: rules: the policy needs at least one rule"
    )


def test_missing_rules_are_required(tmp_path: Path) -> None:
    """A policy without `rules` says they are required."""
    assert problem(tmp_path, "prune: false\n") == "1:1: rules: 'rules' is required here"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("lots", "'lots' is neither a count of users nor a percentage"),
        ("150%", "'150%' is neither a count of users nor a percentage"),
        ("-5%", "'-5%' is neither a count of users nor a percentage"),
        ("-1", "a count of users cannot be negative"),
        ("2.5", "2.5 is neither a count of users nor a percentage"),
        ("true", "True is neither a count of users nor a percentage"),
        ("~", "None is neither a count of users nor a percentage"),
    ],
)
def test_max_removals_must_be_a_count_or_a_percentage(
    tmp_path: Path, value: str, reason: str
) -> None:
    """`max_removals` is refused at its value unless it is a whole count of users
    or a percentage from 0% to 100%."""
    message = problem(tmp_path, f"{ONE_RULE}max_removals: {value}\n")

    assert message.startswith(f"3:15: max_removals: {reason}")
    assert "(and" not in message


def test_unknown_match_attribute_lists_the_choices(tmp_path: Path) -> None:
    """`match.directory: mail` is refused at its value, listing the attributes
    that may be matched."""
    text = ONE_RULE + "match:\n  directory: mail\n"

    assert problem(tmp_path, text) == (
        "4:14: match.directory: Input should be 'userName', 'email' or 'externalId'"
    )


def test_key_given_twice_is_named(tmp_path: Path) -> None:
    """A key given twice is refused at its second place, by name, where YAML alone
    would keep the last value silently."""
    text = ONE_RULE + "prune: true\nprune: false\n"

    assert problem(tmp_path, text) == "4:1: 'prune' is given twice here; keep one"


def test_key_given_twice_in_a_flow_mapping_is_named(tmp_path: Path) -> None:
    """A key given twice inside `{...}` is refused at its second place."""
    text = ONE_RULE + "    skills:\n      - {name: A, name: B, proficiency: 1}\n"

    assert problem(tmp_path, text) == "4:19: 'name' is given twice here; keep one"


def test_invalid_yaml_gives_line_and_column(tmp_path: Path) -> None:
    """YAML that does not parse is refused at the line and column of the problem."""
    text = "rules:\n  - group: EMEA Support\n    skills: [Billing\n"

    message = problem(tmp_path, text)

    assert message.startswith("4:1: not valid YAML: ")


def test_control_character_gives_line_and_column(tmp_path: Path) -> None:
    """A character YAML forbids is refused at its line and column."""
    text = "rules:\n  - group: EMEA\x07Support\n"

    assert problem(tmp_path, text) == (
        "2:16: not valid YAML: character #x0007 is not allowed in YAML; remove it"
    )


def test_a_list_at_the_top_is_not_a_policy(tmp_path: Path) -> None:
    """A policy that is a list rather than a mapping says what the top must be."""
    assert problem(tmp_path, "- group: EMEA Support\n") == (
        "1:1: the policy must be a mapping with `rules` at the top level"
    )


def test_a_single_skill_where_a_list_belongs_asks_for_a_list(tmp_path: Path) -> None:
    """A mapping where a list belongs asks for a list, in YAML's words."""
    text = ONE_RULE + "    skills: {name: Billing, proficiency: 3}\n"

    assert problem(tmp_path, text) == "3:13: rules[0].skills: write a list here"


def test_a_number_where_a_name_belongs_asks_for_quotes(tmp_path: Path) -> None:
    """A group named by a bare number, which YAML reads as one, asks for quotes."""
    assert problem(tmp_path, "rules:\n  - group: 2024\n") == (
        "2:12: rules[0].group: 2024 is not text; put it in quotes"
    )


def test_a_list_as_a_key_is_refused(tmp_path: Path) -> None:
    """A key that is a list is refused at the key rather than crashing."""
    assert problem(tmp_path, ONE_RULE + "? [prune]\n: true\n") == (
        "3:3: a key must be a name, not a list or map"
    )


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path: Path) -> None:
    """An alias used inside the value it names is refused rather than recursing
    forever."""
    text = ONE_RULE + "nesting: &loop\n  Tier 2: [*loop]\n"

    message = problem(tmp_path, text)

    assert message.startswith("3:10: ")
    assert "alias" in message


def test_an_alias_of_another_value_loads(tmp_path: Path) -> None:
    """An alias that repeats an earlier value, not one it sits inside, loads."""
    text = """\
rules:
  - group: EMEA Support
    skills: &shared
      - {name: Billing, proficiency: 3}
  - group: Tier 2
    skills: *shared
"""
    first, second = load(tmp_path, text).policy.rules

    assert first.skills == second.skills


def test_only_the_first_deepest_problem_is_told_with_the_rest_counted(
    tmp_path: Path,
) -> None:
    """With several problems, the first is told and the others are counted."""
    text = """\
rules:
  - group: EMEA Support
    skills:
      - {name: Billing, proficiency: 7}
      - {name: Claims, proficiency: 8}
  - skills: []
"""
    assert problem(tmp_path, text) == (
        "4:38: rules[0].skills[0].proficiency: 7 is not a skill proficiency; "
        "write a number from 0.0 to 5.0 (and 2 more problems)"
    )


def test_one_other_problem_is_counted_in_the_singular(tmp_path: Path) -> None:
    """A second problem is counted as "1 more problem"."""
    text = ONE_RULE + "prune: false\nmax_removals: lots\nmatch: {genesys: mail}\n"

    assert problem(tmp_path, text).endswith("(and 1 more problem)")


def test_an_empty_file_needs_rules(tmp_path: Path) -> None:
    """An empty policy file is refused by name, asking for `rules`."""
    path = write_policy(tmp_path, "")

    with pytest.raises(ConfigError, match="the policy is empty; it needs at least"):
        load_policy(path)


def test_a_file_of_comments_is_empty(tmp_path: Path) -> None:
    """A policy file holding only comments is as empty as an empty one."""
    path = write_policy(tmp_path, "# rules to come\n\n")

    with pytest.raises(ConfigError) as caught:
        load_policy(path)

    assert (
        str(caught.value) == f"{path}: the policy is empty; it needs at least `rules`"
    )


def test_a_missing_file_is_named_with_the_reason(tmp_path: Path) -> None:
    """A policy path that does not exist is refused by name, with the reason and
    the next step."""
    path = tmp_path / "nowhere.yaml"

    with pytest.raises(ConfigError) as caught:
        load_policy(path)

    assert str(caught.value) == (
        f"cannot read the policy {path}: No such file or directory; pass the path "
        "of a YAML policy file (`skillsync sim generate` writes a sample)"
    )
    assert isinstance(caught.value.__cause__, FileNotFoundError)


def test_a_non_utf8_file_points_at_the_first_bad_byte(tmp_path: Path) -> None:
    """A policy that is not UTF-8 is refused at the line and column of its first
    bad byte."""
    path = tmp_path / "policy.yaml"
    path.write_bytes("rules:\n  - group: Équipe\xe9\n".encode("latin-1"))

    with pytest.raises(ConfigError) as caught:
        load_policy(path)

    assert str(caught.value) == (
        f"{path}:2:12: byte 0xc9 is not UTF-8 text; save the policy as UTF-8"
    )
    assert isinstance(caught.value.__cause__, UnicodeDecodeError)


def test_at_finds_a_value_or_its_nearest_enclosing_one(tmp_path: Path) -> None:
    """`at` places a value, and a value the file leaves out at what encloses it."""
    loaded = load(tmp_path, CONTRACT_EXAMPLE)

    assert loaded.at("rules", 1, "group") == f"{loaded.path}:7:12"
    assert loaded.at("rules", 1, "languages", 0) == f"{loaded.path}:7:5"
    assert loaded.at_key("nesting", "Tier 2") == f"{loaded.path}:12:3"
    assert loaded.at("nesting", "Tier 2", 0) == f"{loaded.path}:12:12"


# Names resolved against the directory and the org.


def test_contract_example_resolves_to_ids(tmp_path: Path, org: Org) -> None:
    """The contract's example resolves its groups, skills, languages and nesting
    to ids, with nothing to report."""
    result = resolved(tmp_path, CONTRACT_EXAMPLE, org)

    emea, tier2 = result.grants
    assert emea.group == DirectoryGroupId("g-emea")
    assert emea.skills == ((SkillId("s-billing"), 3.0),)
    assert emea.languages == ((LanguageId("l-en"), 5),)
    assert tier2.group == DirectoryGroupId("g-tier2")
    assert tier2.skills == ((SkillId("s-billing"), 5.0),)
    assert result.granting == (DirectoryGroupId("g-emea"), DirectoryGroupId("g-tier2"))
    assert result.nesting == (
        (DirectoryGroupId("g-tier2"), DirectoryGroupId("g-tier1")),
    )
    assert [f.kind for f in result.findings] == ["duplicate-group-name"]
    assert "'Sales' (g-sales-a, g-sales-b)" in result.findings[0].message
    assert result.policy is result.loaded.policy


def test_a_group_is_named_by_display_name_or_by_id(tmp_path: Path, org: Org) -> None:
    """A rule may name its group by display name or by id, and both resolve to
    the same group, granted once."""
    text = "rules:\n  - group: Tier 1\n  - group: g-tier1\n"

    result = resolved(tmp_path, text, org)

    assert [grant.group for grant in result.grants] == [DirectoryGroupId("g-tier1")] * 2
    assert result.granting == (DirectoryGroupId("g-tier1"),)


def test_an_unknown_group_points_at_its_name_and_suggests_close_ones(
    tmp_path: Path, org: Org
) -> None:
    """An unknown group is refused at the rule's `group` value, suggesting the
    directory's closest names."""
    text = "rules:\n  - group: Tier 1\n  - group: Tier 3\n"

    assert resolve_problem(tmp_path, text, org) == (
        f"3:12: {SOURCE} has no group named 'Tier 3', did you mean 'Tier 2' or "
        "'Tier 1'?; name a group by its display name or its id"
    )


def test_an_unknown_group_with_nothing_close_suggests_nothing(
    tmp_path: Path, org: Org
) -> None:
    """An unknown group unlike any other is refused without a suggestion."""
    text = "rules:\n  - group: Night Shift\n"

    assert resolve_problem(tmp_path, text, org) == (
        f"2:12: {SOURCE} has no group named 'Night Shift'; name a group by its "
        "display name or its id"
    )


def test_a_shared_display_name_asks_for_the_id(tmp_path: Path, org: Org) -> None:
    """A display name two groups share is refused, listing both ids and asking
    for the one meant."""
    text = "rules:\n  - group: Sales\n"

    assert resolve_problem(tmp_path, text, org) == (
        f"2:12: 2 groups of {SOURCE} are named 'Sales' (ids g-sales-a, g-sales-b); "
        "name the one you mean by its id"
    )


def test_a_shared_display_name_resolves_by_id(tmp_path: Path, org: Org) -> None:
    """One of two groups sharing a display name is named by its id."""
    result = resolved(tmp_path, "rules:\n  - group: g-sales-b\n", org)

    assert result.granting == (DirectoryGroupId("g-sales-b"),)


def test_an_unknown_skill_points_at_its_name_and_suggests_from_the_catalog(
    tmp_path: Path, org: Org
) -> None:
    """An unknown skill is refused at its name, suggesting the org's closest
    skill."""
    text = ONE_RULE + "    skills:\n      - {name: Biling, proficiency: 3}\n"

    assert resolve_problem(tmp_path, text, org) == (
        "4:16: the org has no skill named 'Biling', did you mean 'Billing'?; check "
        "the name in Genesys Cloud's skill list"
    )


def test_an_unknown_language_points_at_its_name(tmp_path: Path, org: Org) -> None:
    """An unknown language in a later rule is refused at its own name, suggesting
    the org's closest language."""
    text = CONTRACT_EXAMPLE.replace(
        "    skills:\n      - {name: Billing, proficiency: 5}\n",
        "    languages:\n      - name: Frnech\n        proficiency: 2\n",
    )

    assert resolve_problem(tmp_path, text, org) == (
        "9:15: the org has no language named 'Frnech', did you mean 'French'?; "
        "check the name in Genesys Cloud's language list"
    )


def test_skill_names_match_exactly_then_ignoring_case(tmp_path: Path) -> None:
    """A skill name matches its exact spelling first, then any spelling of
    letter case."""
    data = small_org_data()
    data["skills"] += [
        {"id": "s-vip", "name": "VIP"},
        {"id": "s-vip-lower", "name": "vip"},
    ]
    text = ONE_RULE + (
        "    skills:\n"
        "      - {name: vip, proficiency: 1}\n"
        "      - {name: VIP, proficiency: 2}\n"
        "      - {name: BILLING, proficiency: 3}\n"
        "      - {name: chat support, proficiency: 4}\n"
    )

    result = resolved(tmp_path, text, build_org(data))

    assert [skill for skill, _ in result.grants[0].skills] == [
        SkillId("s-vip-lower"),
        SkillId("s-vip"),
        SkillId("s-billing"),
        SkillId("s-chat"),
    ]


def test_a_name_matching_two_skills_ignoring_case_asks_for_the_id(
    tmp_path: Path,
) -> None:
    """A skill name that matches two skills only ignoring case is refused,
    listing both ids."""
    data = small_org_data()
    data["skills"] += [
        {"id": "s-vip", "name": "VIP"},
        {"id": "s-vip-lower", "name": "vip"},
    ]
    text = ONE_RULE + "    skills:\n      - {name: Vip, proficiency: 1}\n"

    assert resolve_problem(tmp_path, text, build_org(data)) == (
        "4:16: 2 skills of the org are named 'Vip' (ids s-vip, s-vip-lower); name "
        "the one you mean by its id"
    )


def test_skills_and_languages_are_named_by_id(tmp_path: Path, org: Org) -> None:
    """A skill or a language named by its id resolves to that id."""
    text = ONE_RULE + (
        "    skills:\n      - {name: s-claims, proficiency: 2.5}\n"
        "    languages:\n      - {name: l-de, proficiency: 4}\n"
    )

    grant = resolved(tmp_path, text, org).grants[0]

    assert grant.skills == ((SkillId("s-claims"), 2.5),)
    assert grant.languages == ((LanguageId("l-de"), 4),)


def test_an_inactive_skill_is_a_finding_not_an_error(tmp_path: Path, org: Org) -> None:
    """A policy granting an inactive skill resolves, with one finding naming it."""
    text = ONE_RULE + (
        "    skills:\n"
        "      - {name: Legacy IVR, proficiency: 1}\n"
        "  - group: Tier 1\n"
        "    skills:\n"
        "      - {name: s-ivr, proficiency: 2}\n"
    )

    result = resolved(tmp_path, text, org)

    assert result.managed_skills == {SkillId("s-ivr")}
    assert catalog_findings(result) == (
        Finding(
            "inactive-skill",
            "the policy grants the skill 'Legacy IVR' (s-ivr), which is inactive "
            "in Genesys Cloud; agents holding it are not routed by it",
        ),
    )


def catalog_findings(result: ResolvedPolicy) -> tuple[Finding, ...]:
    """The findings about skills and languages, without those about groups."""
    return tuple(f for f in result.findings if f.kind.endswith(("skill", "language")))


def test_a_deleted_language_is_a_finding_of_its_own_kind(tmp_path: Path) -> None:
    """A policy granting a deleted language reports it as a `deleted-language`."""
    data = small_org_data()
    data["languages"].append({"id": "l-la", "name": "Latin", "state": "deleted"})
    text = ONE_RULE + "    languages:\n      - {name: Latin, proficiency: 1}\n"

    result = resolved(tmp_path, text, build_org(data))

    assert [finding.kind for finding in catalog_findings(result)] == [
        "deleted-language"
    ]


def test_nesting_resolves_both_sides_by_name_or_id(tmp_path: Path, org: Org) -> None:
    """Each `nesting` edge resolves its parent and children, by name or by id."""
    text = (
        ONE_RULE + "nesting:\n  EMEA Support: [Tier 2, g-sales-a]\n  g-apac: [Tier 1]\n"
    )

    result = resolved(tmp_path, text, org)

    assert result.nesting == (
        (DirectoryGroupId("g-emea"), DirectoryGroupId("g-tier2")),
        (DirectoryGroupId("g-emea"), DirectoryGroupId("g-sales-a")),
        (DirectoryGroupId("g-apac"), DirectoryGroupId("g-tier1")),
    )


def test_an_unknown_nesting_parent_points_at_the_parent(
    tmp_path: Path, org: Org
) -> None:
    """An unknown parent in `nesting` is refused at the parent's name, which is
    a key."""
    text = ONE_RULE + "nesting:\n  Tier 2: [Tier 1]\n  Tier Two:\n    - Tier 1\n"

    assert resolve_problem(tmp_path, text, org) == (
        f"5:3: {SOURCE} has no group named 'Tier Two', did you mean 'Tier 2' or "
        "'Tier 1'?; name a group by its display name or its id"
    )


def test_an_unknown_nesting_child_points_at_the_child(tmp_path: Path, org: Org) -> None:
    """An unknown child in `nesting` is refused at the child's own place."""
    text = ONE_RULE + "nesting:\n  Tier 2:\n    - Tier 1\n    - APAC Suport\n"

    assert resolve_problem(tmp_path, text, org) == (
        f"6:7: {SOURCE} has no group named 'APAC Suport', did you mean "
        "'APAC Support' or 'EMEA Support'?; name a group by its display name or "
        "its id"
    )


def test_managed_skills_and_languages_are_exactly_those_named(
    tmp_path: Path, org: Org
) -> None:
    """The managed skills and languages are exactly those the rules name, even
    at proficiency 0, and none of the rest of the catalogs."""
    text = """\
rules:
  - group: EMEA Support
    skills:
      - {name: Billing, proficiency: 3}
      - {name: Claims, proficiency: 0}
    languages:
      - {name: English, proficiency: 5}
  - group: Tier 2
    skills:
      - {name: billing, proficiency: 5}
    languages:
      - {name: l-fr, proficiency: 0}
nesting:
  Tier 2: [Tier 1]
"""
    result = resolved(tmp_path, text, org)

    assert result.managed_skills == {SkillId("s-billing"), SkillId("s-claims")}
    assert result.managed_languages == {LanguageId("l-en"), LanguageId("l-fr")}


def test_a_rule_without_grants_manages_nothing(tmp_path: Path, org: Org) -> None:
    """A rule that grants nothing resolves its group but manages nothing."""
    result = resolved(tmp_path, ONE_RULE, org)

    assert result.granting == (DirectoryGroupId("g-emea"),)
    assert result.managed_skills == frozenset()
    assert result.managed_languages == frozenset()


# The schema for editors.

POLICY_KEYS = {"rules", "nesting", "match", "prune", "max_removals"}


def test_schema_is_json_describing_the_policy_keys() -> None:
    """The schema is JSON naming the policy's keys, requiring `rules` and
    refusing others."""
    schema = json.loads(policy_schema())

    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "skillsync policy"
    assert set(schema["properties"]) == POLICY_KEYS
    assert schema["required"] == ["rules"]
    assert schema["additionalProperties"] is False
    assert set(schema["$defs"]["Rule"]["properties"]) == {
        "group",
        "skills",
        "languages",
    }
    assert set(schema["$defs"]["Match"]["properties"]) == {"directory", "genesys"}


def test_schema_gives_the_proficiency_ranges() -> None:
    """The schema bounds skill proficiency to 0.0 to 5.0 and language proficiency
    to whole numbers 0 to 5."""
    defs = json.loads(policy_schema())["$defs"]
    skill = defs["SkillGrant"]["properties"]["proficiency"]
    language = defs["LanguageGrant"]["properties"]["proficiency"]

    assert (skill["type"], skill["minimum"], skill["maximum"]) == ("number", 0, 5)
    assert (language["type"], language["minimum"], language["maximum"]) == (
        "integer",
        0,
        5,
    )


def test_generated_sample_policy_loads_and_resolves(tmp_path: Path) -> None:
    """The sample policy `generate_org` writes uses only the schema's keys, loads,
    and resolves against the directory and org written with it."""
    generated = generate_org(tmp_path, users=50, seed=1)
    raw = yaml.safe_load(generated.policy.read_text(encoding="utf-8"))
    properties = json.loads(policy_schema())["properties"]

    assert set(raw) <= set(properties)
    assert "rules" in raw
    loaded = load_policy(generated.policy)
    directory = SnapshotSource(generated.directory).read()
    result = resolve(loaded, directory, load_org(generated.org))
    assert len(result.grants) == generated.rules
    assert len(result.managed_skills) == generated.managed_skills
    assert len(result.managed_languages) == generated.managed_languages
