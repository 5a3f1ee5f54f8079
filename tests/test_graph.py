"""Nested membership against a brute-force closure, on random graphs with
cycles, self-containment and diamonds; and a chain too deep to recurse."""

from __future__ import annotations

import itertools
from collections import deque

from hypothesis import given, settings
from hypothesis import strategies as st

from skillsync.directory.interface import Directory, DirectoryGroup
from skillsync.graph import GroupGraph
from skillsync.ids import DirectoryGroupId, DirectoryUserId

Edges = list[tuple[int, int]]


def gid(number: int) -> DirectoryGroupId:
    """The id of group `number`."""
    return DirectoryGroupId(f"g{number}")


def uid(number: int) -> DirectoryUserId:
    """The id of user `number`."""
    return DirectoryUserId(f"u{number}")


def directory(groups: int, contains: Edges, members: Edges) -> Directory:
    """A directory of `groups` groups: `contains` holds (parent, child) pairs and
    `members` (group, user) pairs."""
    built = {
        gid(n): DirectoryGroup(
            gid(n),
            f"Group {n % 4}",  # names repeat, as real directories' do
            tuple(dict.fromkeys(uid(u) for g, u in members if g == n)),
            tuple(dict.fromkeys(gid(c) for p, c in contains if p == n)),
        )
        for n in range(groups)
    }
    return Directory("test", {}, built)


def reachable(start: int, contains: Edges) -> set[int]:
    """Groups `start` contains, itself included, by plain graph search."""
    seen = {start}
    todo = [start]
    while todo:
        node = todo.pop()
        for parent, child in contains:
            if parent == node and child not in seen:
                seen.add(child)
                todo.append(child)

    return seen


graphs = st.integers(1, 14).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=30),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, 9)), max_size=30),
        st.lists(st.integers(0, n - 1), min_size=1, max_size=6, unique=True),
    )
)


@settings(max_examples=300)
@given(graphs)
def test_memberships_equal_the_transitive_closure(
    graph: tuple[int, Edges, Edges, list[int]],
) -> None:
    """Each user's granting groups are exactly those whose closure holds a group
    the user is directly in."""
    groups, contains, members, granting = graph
    resolved = GroupGraph(directory(groups, contains, members)).resolve(
        [gid(g) for g in granting]
    )
    for user in range(10):
        expected = {
            gid(g)
            for g in granting
            if any((c, user) in members for c in reachable(g, contains))
        }
        assert set(resolved.groups_of(uid(user))) == expected


@settings(max_examples=300)
@given(graphs)
def test_groups_on_a_cycle_share_members_and_each_cycle_is_reported_once(
    graph: tuple[int, Edges, Edges, list[int]],
) -> None:
    """Cycles are exactly the sets of mutually containing groups (or a group
    containing itself), each reported once, and their groups share members."""
    groups, contains, members, _ = graph
    closure = {g: reachable(g, contains) for g in range(groups)}
    expected = set()
    for g in range(groups):
        mutual = frozenset(h for h in closure[g] if g in closure[h])
        if len(mutual) > 1 or (g, g) in contains:
            expected.add(frozenset(gid(h) for h in mutual))

    graph_ = GroupGraph(directory(groups, contains, members))
    cycles = graph_.cycles()
    assert len(cycles) == len(expected)
    assert {frozenset(c.groups) for c in cycles} == expected
    for cycle in cycles:
        granting = list(cycle.groups)
        resolved = graph_.resolve(granting)
        for user in range(10):
            held = set(resolved.groups_of(uid(user)))
            assert held in (set(), set(granting))


@settings(max_examples=300)
@given(graphs)
def test_a_chain_is_a_shortest_path_of_containment(
    graph: tuple[int, Edges, Edges, list[int]],
) -> None:
    """Explain's chain starts at a group the user is directly in, climbs one
    containment at a time and reaches the granting group in the fewest steps."""
    groups, contains, members, granting = graph
    graph_ = GroupGraph(directory(groups, contains, members))
    resolved = graph_.resolve([gid(g) for g in granting])
    for user in range(10):
        for target in granting:
            chain = graph_.chain(uid(user), gid(target))
            is_member = gid(target) in resolved.groups_of(uid(user))
            assert (chain is not None) == is_member
            if chain is None:
                continue

            numbers = [int(g[1:]) for g in chain]
            assert (numbers[0], user) in members
            assert numbers[-1] == target
            for child, parent in itertools.pairwise(numbers):
                assert (parent, child) in contains

            assert len(chain) == shortest(user, target, contains, members)


def shortest(user: int, target: int, contains: Edges, members: Edges) -> int:
    """Groups on the shortest chain from `user` up to `target`, by plain search."""
    starts = {g for g, u in members if u == user}
    distance = dict.fromkeys(starts, 1)
    queue = deque(starts)
    while queue:
        node = queue.popleft()
        for parent, child in contains:
            if child == node and parent not in distance:
                distance[parent] = distance[node] + 1
                queue.append(parent)

    return distance[target]


def test_a_chain_ten_thousand_groups_deep_resolves() -> None:
    """Depth costs no recursion: a user at the bottom of a 10,000-group chain,
    closed into one big cycle, belongs to the top group, and explain finds it."""
    depth = 10_000
    contains = [(n, n + 1) for n in range(depth - 1)]
    graph = GroupGraph(directory(depth, contains, [(depth - 1, 0)]))
    resolved = graph.resolve([gid(0)])
    assert resolved.groups_of(uid(0)) == (gid(0),)
    chain = graph.chain(uid(0), gid(0))
    assert chain is not None
    assert len(chain) == depth
    assert graph.cycles() == []

    looped = GroupGraph(directory(depth, [*contains, (depth - 1, 0)], []))
    assert len(looped.cycles()[0].groups) == depth


def test_extra_nesting_adds_containment() -> None:
    """An edge from the policy's nesting section makes one flat group contain
    another."""
    flat = directory(2, [], [(1, 0)])
    assert GroupGraph(flat).resolve([gid(0)]).groups_of(uid(0)) == ()
    nested = GroupGraph(flat, extra=[(gid(0), gid(1))])
    assert nested.resolve([gid(0)]).groups_of(uid(0)) == (gid(0),)
