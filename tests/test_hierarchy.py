"""The group hierarchy drawn as Mermaid, DOT, JSON and SVG: which groups are
drawn, their edges, cycles, grants and labels, escaping, order and the limit."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from conftest import build_org
from skillsync.directory.interface import Directory, DirectoryGroup, DirectoryUser
from skillsync.errors import ConfigError
from skillsync.hierarchy import (
    FORMATS,
    Format,
    hierarchy,
    render_hierarchy,
    to_svg,
)
from skillsync.ids import DirectoryGroupId, DirectoryUserId
from skillsync.policy import parse_policy
from skillsync.world import Planned, World, planned

POLICY = """\
rules:
  - group: EMEA Support
    skills:
      - {name: Billing, proficiency: 3}
    languages:
      - {name: English, proficiency: 5}
  - group: Tier 2
    skills:
      - {name: Billing, proficiency: 5}
      - {name: Claims, proficiency: 2.5}
  - group: Tier 2
    skills:
      - {name: Billing, proficiency: 4}
nesting:
  Tier 2: [Loop A]
  EMEA Support: [Tier 1]
"""

# A group's id, display name, direct users and the groups it contains.
GroupRow = tuple[str, str, list[str], list[str]]

GROUPS: list[GroupRow] = [
    ("dg-all", "All Staff", ["u-1"], ["dg-emea"]),
    ("dg-emea", "EMEA Support", ["u-1", "u-2"], ["dg-tier1", "dg-tier2"]),
    ("dg-tier1", "Tier 1", ["u-3"], ["dg-core", "dg-eu"]),
    ("dg-tier2", "Tier 2", [], ["dg-core"]),
    ("dg-core", "Core", ["u-4"], ["dg-mirror"]),
    ("dg-mirror", "Mirror", [], ["dg-mirror"]),
    ("dg-eu", 'Tier "1" [EU]', ["u-5"], []),
    ("dg-a", "Loop A", ["u-6"], ["dg-b"]),
    ("dg-b", "Loop B", [], ["dg-a"]),
    ("dg-other", "Unrelated", ["u-7"], []),
]


def gid(value: str) -> DirectoryGroupId:
    """A directory group id."""
    return DirectoryGroupId(value)


def directory(groups: Sequence[GroupRow]) -> Directory:
    """A directory of `groups`, whose users are those any group lists."""
    users = {
        DirectoryUserId(user): DirectoryUser(DirectoryUserId(user), f"{user}@x.test")
        for _, _, members, _ in groups
        for user in members
    }
    built = {
        gid(group_id): DirectoryGroup(
            gid(group_id),
            name,
            tuple(DirectoryUserId(user) for user in members),
            tuple(gid(child) for child in children),
        )
        for group_id, name, members, children in groups
    }
    return Directory("the test directory", users, built)


def plan_of(groups: Sequence[GroupRow], policy: str = POLICY) -> Planned:
    """A plan of `policy` over a directory of `groups` and a small org."""
    org = build_org(
        {
            "skills": [
                {"id": "s-billing", "name": "Billing"},
                {"id": "s-claims", "name": "Claims"},
            ],
            "languages": [{"id": "l-en", "name": "English"}],
        }
    )
    loaded = parse_policy(policy, Path("p.yaml"))
    return planned(loaded, World(org, directory(groups), own_groups=False))


def as_json(plan: Planned, limit: int = 300) -> Any:
    """The JSON drawing, parsed."""
    return json.loads(render_hierarchy(plan, "json", limit))


def test_draws_the_granting_groups_their_descendants_and_ancestors() -> None:
    """Every group related to the policy is drawn, in name order (by code point),
    and no other."""
    document = as_json(plan_of(GROUPS))
    assert [group["name"] for group in document["groups"]] == [
        "All Staff",
        "Core",
        "EMEA Support",
        "Loop A",
        "Loop B",
        "Mirror",
        'Tier "1" [EU]',
        "Tier 1",
        "Tier 2",
    ]
    assert document["omitted"] == 0


def test_edges_include_nesting_and_mark_cycles() -> None:
    """Containment edges, the policy's `nesting` among them, appear once each
    (a nesting edge the directory also has included), and only those inside a
    cycle are marked so."""
    edges = {
        (edge["parent"], edge["child"]): edge["inCycle"]
        for edge in as_json(plan_of(GROUPS))["edges"]
    }
    assert edges == {
        ("dg-all", "dg-emea"): False,
        ("dg-emea", "dg-tier1"): False,
        ("dg-emea", "dg-tier2"): False,
        ("dg-tier1", "dg-core"): False,
        ("dg-tier1", "dg-eu"): False,
        ("dg-tier2", "dg-core"): False,
        ("dg-tier2", "dg-a"): False,
        ("dg-core", "dg-mirror"): False,
        ("dg-mirror", "dg-mirror"): True,
        ("dg-a", "dg-b"): True,
        ("dg-b", "dg-a"): True,
    }


def test_cycles_are_listed_once_and_indexed_by_their_groups() -> None:
    """A two-group cycle and a self-containing group each form one cycle, and
    their groups point at it."""
    document = as_json(plan_of(GROUPS))
    assert document["cycles"] == [["dg-a", "dg-b"], ["dg-mirror"]]
    cycle_of = {group["id"]: group["cycle"] for group in document["groups"]}
    assert cycle_of["dg-a"] == cycle_of["dg-b"] == 0
    assert cycle_of["dg-mirror"] == 1
    assert cycle_of["dg-core"] is None


def test_grants_use_catalog_names_at_the_highest_proficiency() -> None:
    """A granting group lists its skills and languages by catalog name, each once
    at the highest proficiency its rules give; other groups grant nothing."""
    groups = {group["id"]: group for group in as_json(plan_of(GROUPS))["groups"]}
    assert groups["dg-emea"]["granting"] is True
    assert groups["dg-emea"]["grants"] == {
        "skills": [{"id": "s-billing", "name": "Billing", "proficiency": 3.0}],
        "languages": [{"id": "l-en", "name": "English", "proficiency": 5}],
    }
    assert groups["dg-tier2"]["grants"]["skills"] == [
        {"id": "s-billing", "name": "Billing", "proficiency": 5.0},
        {"id": "s-claims", "name": "Claims", "proficiency": 2.5},
    ]
    assert groups["dg-core"]["granting"] is False
    assert groups["dg-core"]["grants"] == {"skills": [], "languages": []}


def test_users_counts_direct_members_only() -> None:
    """A group's user count is its direct user members, not its nested ones."""
    users = {
        group["id"]: group["users"] for group in as_json(plan_of(GROUPS))["groups"]
    }
    assert users["dg-emea"] == 2
    assert users["dg-tier2"] == 0
    assert users["dg-all"] == 1


def test_mermaid_draws_nodes_edges_cycles_and_grants() -> None:
    """The Mermaid flowchart has a labelled node per group, a dashed edge per
    cycle edge, a subgraph per cycle and the granting groups styled."""
    text = render_hierarchy(plan_of(GROUPS), "mermaid")
    assert text.startswith("flowchart TD\n")
    assert len(re.findall(r"^\s+g\d+\[\"", text, re.MULTILINE)) == 9
    assert len(re.findall(r"^\s+g\d+ -\.-> g\d+$", text, re.MULTILINE)) == 3
    assert len(re.findall(r"^\s+g\d+ --> g\d+$", text, re.MULTILINE)) == 8
    assert 'subgraph cycle1 ["cycle 1"]' in text
    assert 'subgraph cycle2 ["cycle 2"]' in text
    assert "EMEA Support<br/>2 users<br/>grants Billing 3, English 5" in text
    assert "Tier 2<br/>0 users<br/>grants Billing 5, Claims 2.5" in text
    assert 'Core<br/>1 user"' in text
    assert re.search(r"^    class g\d+,g\d+ granting$", text, re.MULTILINE)
    assert re.search(r"^    linkStyle \d+,\d+,\d+ stroke:", text, re.MULTILINE)


def test_mermaid_escapes_quotes_and_brackets_in_names() -> None:
    """A name holding quotes and brackets becomes entity codes, so it can
    neither close the label nor start a new shape."""
    text = render_hierarchy(plan_of(GROUPS), "mermaid")
    assert "Tier #34;1#34; #91;EU#93;<br/>1 user" in text
    assert 'Tier "1"' not in text
    assert "[EU]" not in text


def test_dot_quotes_names_and_has_one_statement_per_edge() -> None:
    """The DOT text names nodes by quoted id, escapes quotes in labels, boxes
    each cycle in a cluster and has one `->` statement per edge."""
    text = render_hierarchy(plan_of(GROUPS), "dot")
    assert text.startswith("digraph hierarchy {\n")
    assert text.endswith("}\n")
    assert text.count("{") == text.count("}")
    edges = re.findall(r'^\s+"([^"]+)" -> "([^"]+)"(.*);$', text, re.MULTILINE)
    assert len(edges) == 11
    dashed = {(parent, child) for parent, child, style in edges if "dashed" in style}
    assert dashed == {("dg-a", "dg-b"), ("dg-b", "dg-a"), ("dg-mirror", "dg-mirror")}
    assert '"dg-eu" [label="Tier \\"1\\" [EU]\\n1 user"];' in text
    assert "subgraph cluster_cycle1 {" in text
    assert "subgraph cluster_cycle2 {" in text
    assert 'label="EMEA Support\\n2 users\\ngrants Billing 3, English 5"' in text
    assert text.count('style="rounded,filled,bold"') == 2


def test_dot_escapes_backslashes_and_newlines() -> None:
    """A backslash in a name is doubled and a newline becomes a space, so the
    name can neither end the string nor break the line."""
    groups: list[GroupRow] = [("dg-x", "Back\\slash\nline\\", [], [])]
    policy = "rules:\n  - group: dg-x\n    skills: [{name: Billing, proficiency: 1}]\n"
    text = render_hierarchy(plan_of(groups, policy), "dot")
    assert 'label="Back\\\\slash line\\\\\\n0 users' in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_is_the_same_whatever_order_the_directory_lists(fmt: Format) -> None:
    """Listing the directory's groups in reverse draws exactly the same text."""
    forwards = render_hierarchy(plan_of(GROUPS), fmt)
    backwards = render_hierarchy(plan_of(GROUPS[::-1]), fmt)
    assert forwards == backwards


def test_duplicate_names_are_told_apart_by_id() -> None:
    """Two drawn groups of one name are labelled with their ids as well."""
    groups: list[GroupRow] = [
        ("dg-top", "Top", [], ["dg-1", "dg-2"]),
        ("dg-1", "Team", [], []),
        ("dg-2", "Team", [], []),
    ]
    policy = "rules:\n  - group: Top\n    skills: [{name: Billing, proficiency: 1}]\n"
    text = render_hierarchy(plan_of(groups, policy), "mermaid")
    assert "Team #40;dg-1#41;<br/>" in text
    assert "Team #40;dg-2#41;<br/>" in text


def wide_directory(children: int) -> list[GroupRow]:
    """A granting root above `children` groups that each contain one more, under
    one ancestor: 2 * children + 2 related groups."""
    groups: list[GroupRow] = [("dg-above", "Above", [], ["dg-root"])]
    groups.append(("dg-root", "Root", [], [f"dg-c{n:03d}" for n in range(children)]))
    for n in range(children):
        groups.append((f"dg-c{n:03d}", f"Child {n:03d}", [], [f"dg-d{n:03d}"]))
        groups.append((f"dg-d{n:03d}", f"Deep {n:03d}", [], []))

    return groups


def test_limit_keeps_the_nearest_groups_and_counts_the_rest() -> None:
    """With a limit, the granting group and its nearest descendants are drawn
    first, and the number left out is reported in every format."""
    plan = plan_of(wide_directory(20), "rules:\n  - group: Root\n")
    drawn = hierarchy(plan, limit=10)
    assert len(drawn.nodes) == 10
    assert drawn.omitted == 32
    names = {node.name for node in drawn.nodes}
    assert names == {"Root"} | {f"Child {n:03d}" for n in range(9)}
    assert all(edge.parent == "dg-root" for edge in drawn.edges)
    assert as_json(plan, 10)["omitted"] == 32
    note = "32 related groups left out: at most 10 are drawn"
    assert f"    %% {note}\n" in render_hierarchy(plan, "mermaid", 10)
    assert f"  // {note}\n" in render_hierarchy(plan, "dot", 10)


def test_limit_reaches_ancestors_after_every_descendant() -> None:
    """Ancestors of a granting group are drawn once all its descendants fit."""
    plan = plan_of(wide_directory(3), "rules:\n  - group: Root\n")
    assert "Above" not in {node.name for node in hierarchy(plan, limit=7).nodes}
    assert "Above" in {node.name for node in hierarchy(plan, limit=8).nodes}


def test_unknown_format_is_refused() -> None:
    """A format no renderer draws is a programming error that names the choices."""
    with pytest.raises(ValueError, match="mermaid"):
        render_hierarchy(plan_of(GROUPS), "png")  # type: ignore[arg-type]


def test_limit_below_one_is_refused() -> None:
    """A limit that would draw nothing is a programming error."""
    with pytest.raises(ValueError, match="at least 1"):
        hierarchy(plan_of(GROUPS), limit=0)


@pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed"
)
def test_svg_is_drawn_by_graphviz() -> None:
    """Graphviz reads the DOT text as meant: one node per group, one edge per
    edge and the escaped name shown as written."""
    svg = to_svg(render_hierarchy(plan_of(GROUPS), "dot")).decode()
    assert svg.lstrip().startswith("<?xml")
    assert svg.count('class="node"') == 9
    assert svg.count('class="edge"') == 11
    assert "Tier &quot;1&quot; [EU]" in svg


def test_svg_without_graphviz_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With no `dot` on PATH, drawing SVG raises a `ConfigError` naming the
    install and the formats that need nothing."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError, match=r"install Graphviz.*--format dot"):
        to_svg("digraph {}")


@pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed"
)
def test_svg_failure_carries_graphviz_message() -> None:
    """DOT that Graphviz refuses raises a `ConfigError` with Graphviz's reason."""
    with pytest.raises(ConfigError, match="failed with exit status"):
        to_svg("digraph { -> }")
