"""The group hierarchy a policy grants through, drawn as Mermaid, DOT or JSON.

The groups drawn are those related to the policy: every granting group, every
group it contains transitively (its descendants) and every group that contains
one (its ancestors). Edges run from a group to a group it contains, the
policy's `nesting` included. Edges inside a cycle are dashed and red, and the
groups of each cycle are boxed together as "cycle N". A granting group is drawn
bold and filled, labelled with what it grants ("grants Billing 3, English 5").
Every group shows its display name and its count of direct user members.
Groups sort by display name, then id, so one plan always draws the same text.

A picture of thousands of groups helps nobody, so at most `limit` are drawn:
the granting groups first, then descendants nearest first, then ancestors
nearest first. The output says how many related groups were left out. Mermaid
renderers also refuse more than 500 edges or 50,000 characters by default
(their `maxEdges` and `maxTextSize` settings); a dense directory may need a
lower limit, or DOT.

The JSON output is a stable schema for scripts:

    {
      "groups": [
        {"id": str, "name": str, "users": int, "granting": bool,
         "grants": {"skills":    [{"id": str, "name": str, "proficiency": float}],
                    "languages": [{"id": str, "name": str, "proficiency": int}]},
         "cycle": int | null}
      ],
      "edges": [{"parent": str, "child": str, "inCycle": bool}],
      "cycles": [[str, ...]],
      "omitted": int
    }

`users` counts direct user members only. `grants` holds each skill and
language once, at the highest proficiency the policy's rules give the group,
and is empty unless `granting`. `cycle` indexes `cycles`. Edges and cycles name
drawn groups only, so a cycle the limit cut lists only its drawn groups.
`omitted` counts the related groups the limit left out.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar, get_args

from skillsync.directory.interface import DirectoryGroup
from skillsync.errors import ConfigError
from skillsync.graph import GroupGraph
from skillsync.ids import DirectoryGroupId, LanguageId, SkillId
from skillsync.policy import Grant
from skillsync.world import Planned

logger = logging.getLogger(__name__)

Format = Literal["mermaid", "dot", "json"]
FORMATS: tuple[Format, ...] = get_args(Format)
DEFAULT_LIMIT = 300
CatalogId = TypeVar("CatalogId", SkillId, LanguageId)

# NOTE: a few hundred groups take Graphviz well under a second; a minute means
# something is wrong with the install, not that the picture is large.
DOT_TIMEOUT = 60.0

CYCLE_COLOUR = "#c62828"
GRANTING_FILL = "#fff3c4"
GRANTING_STROKE = "#8a6d00"
MERMAID_PLAIN = frozenset(" .,-_/:+@'")


@dataclass(frozen=True, slots=True)
class Granted:
    """A skill or language a group grants: its id, catalog name and proficiency."""

    id: str
    name: str
    proficiency: float


@dataclass(frozen=True, slots=True)
class Node:
    """A group as drawn; `cycle` indexes `Hierarchy.cycles`."""

    id: DirectoryGroupId
    name: str
    users: int
    granting: bool
    skills: tuple[Granted, ...]
    languages: tuple[Granted, ...]
    cycle: int | None


@dataclass(frozen=True, slots=True)
class Edge:
    """`parent` contains `child`; `in_cycle` when both are on one cycle."""

    parent: DirectoryGroupId
    child: DirectoryGroupId
    in_cycle: bool


@dataclass(frozen=True, slots=True)
class Hierarchy:
    """The groups related to a policy, ready to draw, in display order;
    `omitted` counts the related groups that `limit` left out."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    cycles: tuple[tuple[DirectoryGroupId, ...], ...]
    omitted: int
    limit: int


def render_hierarchy(planned: Planned, fmt: Format, limit: int = DEFAULT_LIMIT) -> str:
    """The hierarchy of the groups `planned`'s policy grants through, drawn as
    Mermaid, Graphviz DOT or JSON text, ending in a newline."""
    if fmt not in RENDERERS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {FORMATS}")

    drawn = hierarchy(planned, limit)
    logger.info(
        "drawing %s of %s groups related to the policy as %s",
        len(drawn.nodes),
        len(drawn.nodes) + drawn.omitted,
        fmt,
    )
    return RENDERERS[fmt](drawn)


def hierarchy(planned: Planned, limit: int = DEFAULT_LIMIT) -> Hierarchy:
    """The groups related to `planned`'s policy, at most `limit` of them, with
    the containment edges and cycles among them."""
    if limit < 1:
        raise ValueError(f"the limit of groups drawn must be at least 1, not {limit}")

    graph = planned.graph
    related = ranked(graph, planned.resolved.granting)
    drawn = sorted(related[:limit], key=graph.sort_key)
    cycles = cycles_among(graph, drawn)
    return Hierarchy(
        nodes=nodes_of(planned, drawn, cycles),
        edges=edges_among(graph, drawn),
        cycles=tuple(tuple(graph.groups[n].id for n in ring) for ring in cycles),
        omitted=len(related) - len(drawn),
        limit=limit,
    )


def nodes_of(
    planned: Planned, drawn: Sequence[int], cycles: Sequence[Sequence[int]]
) -> tuple[Node, ...]:
    """The drawn groups, with what each grants and the cycle it is on."""
    cycle_of = {number: index for index, ring in enumerate(cycles) for number in ring}
    by_group = grants_by_group(planned.resolved.grants)
    org = planned.world.org
    names = (
        {skill.id: skill.name for skill in org.skills},
        {language.id: language.name for language in org.languages},
    )
    return tuple(
        node_of(
            planned.graph.groups[number],
            by_group.get(planned.graph.groups[number].id, []),
            names,
            cycle_of.get(number),
        )
        for number in drawn
    )


def node_of(
    group: DirectoryGroup,
    rules: Sequence[Grant],
    names: tuple[Mapping[SkillId, str], Mapping[LanguageId, str]],
    cycle: int | None,
) -> Node:
    """A group as drawn; `rules` are those naming it, `names` the org's skill
    and language catalogs by id."""
    skill_names, language_names = names
    return Node(
        id=group.id,
        name=group.display_name,
        users=len(set(group.users)),
        granting=bool(rules),
        skills=highest((pair for rule in rules for pair in rule.skills), skill_names),
        languages=highest(
            (pair for rule in rules for pair in rule.languages), language_names
        ),
        cycle=cycle,
    )


def ranked(graph: GroupGraph, granting: Iterable[DirectoryGroupId]) -> list[int]:
    """The groups related to the policy, most worth drawing first: granting
    groups, then descendants nearest first, then ancestors nearest first."""
    starts = sorted({graph.number[group] for group in granting}, key=graph.sort_key)
    below = distances(starts, graph.children)
    above = distances(starts, graph.parent_lists())

    def rank(number: int) -> tuple[int, int, str, str]:
        """Descendants (granting groups at distance 0) before ancestors."""
        if number in below:
            return 0, below[number], *graph.sort_key(number)

        return 1, above[number], *graph.sort_key(number)

    return sorted(below.keys() | above.keys(), key=rank)


def distances(
    starts: Iterable[int], neighbours: Sequence[Sequence[int]]
) -> dict[int, int]:
    """Steps from the nearest of `starts` to every group reachable from them
    along `neighbours`, by breadth-first search."""
    steps = dict.fromkeys(starts, 0)
    queue = deque(steps)
    while queue:
        number = queue.popleft()
        for neighbour in neighbours[number]:
            if neighbour not in steps:
                steps[neighbour] = steps[number] + 1
                queue.append(neighbour)

    return steps


def cycles_among(graph: GroupGraph, drawn: Sequence[int]) -> list[list[int]]:
    """The drawn groups of each cycle, ordered like `drawn`, the cycles by
    their first group."""
    rings: dict[int, list[int]] = {}
    for number in drawn:
        component = graph.component[number]
        if len(graph.components[component]) > 1 or number in graph.children[number]:
            rings.setdefault(component, []).append(number)

    return sorted(rings.values(), key=lambda ring: graph.sort_key(ring[0]))


def edges_among(graph: GroupGraph, drawn: Sequence[int]) -> tuple[Edge, ...]:
    """Each containment edge between drawn groups once, by parent then child."""
    shown = set(drawn)
    pairs = [
        (parent, child)
        for parent in drawn
        for child in dict.fromkeys(graph.children[parent])
        if child in shown
    ]
    pairs.sort(key=lambda pair: (graph.sort_key(pair[0]), graph.sort_key(pair[1])))
    return tuple(
        Edge(
            graph.groups[parent].id,
            graph.groups[child].id,
            graph.component[parent] == graph.component[child],
        )
        for parent, child in pairs
    )


def grants_by_group(grants: Iterable[Grant]) -> dict[DirectoryGroupId, list[Grant]]:
    """The policy's resolved rules, gathered by the group they name."""
    by_group: dict[DirectoryGroupId, list[Grant]] = {}
    for grant in grants:
        by_group.setdefault(grant.group, []).append(grant)

    return by_group


def highest(
    pairs: Iterable[tuple[CatalogId, float]], names: Mapping[CatalogId, str]
) -> tuple[Granted, ...]:
    """Each skill or language of `pairs` once, at its highest proficiency, by
    catalog name then id."""
    best: dict[CatalogId, float] = {}
    for item, level in pairs:
        best[item] = max(level, best.get(item, level))

    granted = [Granted(item, names[item], level) for item, level in best.items()]
    return tuple(sorted(granted, key=lambda entry: (entry.name, entry.id)))


# Text shared by the drawings.


def plural(count: int, noun: str) -> str:
    """`1 user`, `3 users`."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def titles(nodes: Sequence[Node]) -> dict[DirectoryGroupId, str]:
    """Each group's title: its display name, followed by its id where another
    drawn group has the same name; its id alone where the name is empty."""
    counts: dict[str, int] = {}
    for node in nodes:
        counts[node.name] = counts.get(node.name, 0) + 1

    return {node.id: title_of(node, counts[node.name]) for node in nodes}


def title_of(node: Node, same_name: int) -> str:
    """A group's title, given how many drawn groups share its name."""
    if not node.name:
        return node.id

    if same_name > 1:
        return f"{node.name} ({node.id})"

    return node.name


def label_lines(node: Node, title: str) -> list[str]:
    """A group's label: its title, its direct user count, what it grants."""
    lines = [title, plural(node.users, "user")]
    if node.granting:
        granted = [
            f"{g.name} {g.proficiency:g}" for g in (*node.skills, *node.languages)
        ]
        lines.append("grants " + (", ".join(granted) or "nothing"))

    return lines


def omission(drawn: Hierarchy) -> str | None:
    """What the limit left out, for a comment; None when it left out nothing."""
    if not drawn.omitted:
        return None

    return (
        f"{plural(drawn.omitted, 'related group')} left out: "
        f"at most {drawn.limit} are drawn"
    )


def one_line(text: str) -> str:
    """`text` with every control character, newlines included, as a space."""
    return "".join(" " if unicodedata.category(char) == "Cc" else char for char in text)


# Mermaid.


def to_mermaid(drawn: Hierarchy) -> str:
    """The hierarchy as a Mermaid `flowchart TD`."""
    ids = {node.id: f"g{number}" for number, node in enumerate(drawn.nodes, 1)}
    lines = ["flowchart TD"]
    note = omission(drawn)
    if note:
        lines.append(f"    %% {note}")

    lines.append(
        f"    classDef granting font-weight:bold,fill:{GRANTING_FILL},"
        f"stroke:{GRANTING_STROKE},stroke-width:2px"
    )
    lines.extend(mermaid_nodes(drawn, ids))
    lines.extend(mermaid_edges(drawn, ids))
    granting = [ids[node.id] for node in drawn.nodes if node.granting]
    if granting:
        lines.append(f"    class {','.join(granting)} granting")

    return "\n".join(lines) + "\n"


def mermaid_nodes(drawn: Hierarchy, ids: Mapping[DirectoryGroupId, str]) -> list[str]:
    """Node lines: groups on no cycle first, then a subgraph per cycle."""
    named = titles(drawn.nodes)
    by_id = {node.id: node for node in drawn.nodes}

    def line(node: Node, indent: str) -> str:
        """One node with its escaped, quoted label."""
        label = "<br/>".join(
            mermaid_text(text) for text in label_lines(node, named[node.id])
        )
        return f'{indent}{ids[node.id]}["{label}"]'

    lines = [line(node, "    ") for node in drawn.nodes if node.cycle is None]
    for number, ring in enumerate(drawn.cycles, 1):
        lines.append(f'    subgraph cycle{number} ["cycle {number}"]')
        lines.extend(line(by_id[group], "        ") for group in ring)
        lines.append("    end")
        lines.append(
            f"    style cycle{number} stroke:{CYCLE_COLOUR},stroke-dasharray:5 5"
        )

    return lines


def mermaid_edges(drawn: Hierarchy, ids: Mapping[DirectoryGroupId, str]) -> list[str]:
    """Edge lines, dashed inside a cycle, and the style that reddens those."""
    lines = [
        f"    {ids[edge.parent]} {'-.->' if edge.in_cycle else '-->'} {ids[edge.child]}"
        for edge in drawn.edges
    ]
    cyclic = [str(index) for index, edge in enumerate(drawn.edges) if edge.in_cycle]
    if cyclic:
        lines.append(
            f"    linkStyle {','.join(cyclic)} stroke:{CYCLE_COLOUR},stroke-width:2px"
        )

    return lines


def mermaid_text(text: str) -> str:
    """`text` safe inside a quoted Mermaid label: anything but letters, digits
    and plain punctuation becomes an entity code such as `#34;`."""
    return "".join(
        char if char.isalnum() or char in MERMAID_PLAIN else f"#{ord(char)};"
        for char in one_line(text)
    )


# Graphviz DOT.


def to_dot(drawn: Hierarchy) -> str:
    """The hierarchy as a Graphviz `digraph`, its nodes named by group id."""
    named = titles(drawn.nodes)
    lines = ["digraph hierarchy {"]
    note = omission(drawn)
    if note:
        lines.append(f"  // {note}")

    lines.extend(
        [
            "  rankdir=TB;",
            '  node [shape=box, style=rounded, fontname="Helvetica"];',
            '  edge [color="#555555"];',
        ]
    )
    lines.extend(
        dot_node(node, named[node.id], "  ")
        for node in drawn.nodes
        if node.cycle is None
    )
    by_id = {node.id: node for node in drawn.nodes}
    for number, ring in enumerate(drawn.cycles, 1):
        lines.extend(dot_cluster(number, [by_id[group] for group in ring], named))

    lines.extend(dot_edge(edge) for edge in drawn.edges)
    lines.append("}")
    return "\n".join(lines) + "\n"


def dot_cluster(
    number: int, nodes: Sequence[Node], named: Mapping[DirectoryGroupId, str]
) -> list[str]:
    """A cycle's groups boxed in a red, dashed cluster labelled "cycle N"."""
    return [
        f"  subgraph cluster_cycle{number} {{",
        f'    label="cycle {number}";',
        f'    color="{CYCLE_COLOUR}";',
        f'    fontcolor="{CYCLE_COLOUR}";',
        "    style=dashed;",
        *(dot_node(node, named[node.id], "    ") for node in nodes),
        "  }",
    ]


def dot_node(node: Node, title: str, indent: str) -> str:
    """One node statement; a granting group is bold and filled."""
    label = "\\n".join(dot_escape(text) for text in label_lines(node, title))
    attributes = f'label="{label}"'
    if node.granting:
        attributes += (
            f', style="rounded,filled,bold", fillcolor="{GRANTING_FILL}", '
            f'color="{GRANTING_STROKE}", penwidth=2'
        )

    return f"{indent}{dot_string(node.id)} [{attributes}];"


def dot_edge(edge: Edge) -> str:
    """One edge statement, dashed and red inside a cycle."""
    style = f' [style=dashed, color="{CYCLE_COLOUR}"]' if edge.in_cycle else ""
    return f"  {dot_string(edge.parent)} -> {dot_string(edge.child)}{style};"


def dot_string(text: str) -> str:
    """`text` as a quoted DOT string."""
    return f'"{dot_escape(text)}"'


def dot_escape(text: str) -> str:
    """`text` safe between DOT's double quotes: backslashes and quotes escaped,
    so a name never reads as `\\n` or ends the string early."""
    return one_line(text).replace("\\", "\\\\").replace('"', '\\"')


# JSON.


def to_json(drawn: Hierarchy) -> str:
    """The hierarchy in the JSON schema of this module's docstring."""
    document = {
        "groups": [
            {
                "id": node.id,
                "name": node.name,
                "users": node.users,
                "granting": node.granting,
                "grants": {
                    "skills": [granted_json(entry) for entry in node.skills],
                    "languages": [granted_json(entry) for entry in node.languages],
                },
                "cycle": node.cycle,
            }
            for node in drawn.nodes
        ],
        "edges": [
            {"parent": edge.parent, "child": edge.child, "inCycle": edge.in_cycle}
            for edge in drawn.edges
        ],
        "cycles": [list(ring) for ring in drawn.cycles],
        "omitted": drawn.omitted,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def granted_json(entry: Granted) -> dict[str, object]:
    """One granted skill or language as JSON."""
    return {"id": entry.id, "name": entry.name, "proficiency": entry.proficiency}


RENDERERS: dict[str, Callable[[Hierarchy], str]] = {
    "mermaid": to_mermaid,
    "dot": to_dot,
    "json": to_json,
}


# SVG, through Graphviz.


def to_svg(dot_text: str) -> bytes:
    """The SVG that Graphviz's `dot` program draws from `dot_text`; a
    `ConfigError` says what to do when Graphviz is missing or fails."""
    program = shutil.which("dot")
    if program is None:
        raise ConfigError(
            "drawing SVG needs Graphviz's `dot` program, which is not on PATH; "
            "install Graphviz (https://graphviz.org/download/), or use "
            "--format dot or --format mermaid and draw the text elsewhere"
        )

    try:
        done = subprocess.run(
            [program, "-Tsvg"],
            input=dot_text.encode(),
            capture_output=True,
            check=False,
            timeout=DOT_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ConfigError(
            f"Graphviz's {program} could not draw the hierarchy: {error}; check "
            "the install with `dot -V`, or use --format dot or --format mermaid"
        ) from error

    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip() or "no message"
        raise ConfigError(
            f"Graphviz's {program} failed with exit status {done.returncode}: "
            f"{reason}; check the install with `dot -V`, or use --format dot "
            "or --format mermaid"
        )

    return done.stdout
