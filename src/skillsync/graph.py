"""Which groups every user belongs to, through nesting of any depth and cycles.

Groups contain groups; a user is a member of a group when it is a direct member
or a member of any group that group contains, transitively. Cycles are legal:
every group on one has the same members. The groups are condensed into their
strongly connected components, which form a DAG; each component learns the
granting groups above it in one pass in topological order, carried as a bitset
(a Python int, one bit per granting group). A user's granting groups are then
the union over the groups it is directly in. The work is linear in groups plus
memberships, times the bitset's width in machine words, whatever the depth:
no step recurses.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from skillsync.bulk import collector_paused
from skillsync.directory.interface import Directory, DirectoryGroup
from skillsync.ids import DirectoryGroupId, DirectoryUserId


@dataclass(frozen=True, slots=True)
class Cycle:
    """Groups that contain each other, so that all have the same members;
    listed by display name, then id."""

    groups: tuple[DirectoryGroupId, ...]


@dataclass(frozen=True, slots=True)
class Memberships:
    """For each user, the granting groups it belongs to, as a bitset over
    `granting`; users in none are absent."""

    granting: tuple[DirectoryGroupId, ...]
    bits: Mapping[DirectoryUserId, int]

    def groups_of(self, user: DirectoryUserId) -> tuple[DirectoryGroupId, ...]:
        """The granting groups `user` is a member of, in `granting` order."""
        return tuple(members_of_bits(self.bits.get(user, 0), self.granting))


def members_of_bits(
    bits: int, granting: Sequence[DirectoryGroupId]
) -> Iterator[DirectoryGroupId]:
    """The granting groups whose bits are set in `bits`."""
    while bits:
        low = bits & -bits
        yield granting[low.bit_length() - 1]
        bits ^= low


class GroupGraph:
    """The containment graph of a directory's groups, plus any extra edges.

    Groups are numbered in the directory's order, and every walk works on those
    numbers; `extra` adds (parent, child) containment, as a policy's `nesting`
    section does for flat sources.
    """

    def __init__(
        self,
        directory: Directory,
        extra: Iterable[tuple[DirectoryGroupId, DirectoryGroupId]] = (),
    ) -> None:
        self.groups: list[DirectoryGroup] = list(directory.groups.values())
        self.number = {group.id: n for n, group in enumerate(self.groups)}
        self.children: list[list[int]] = [
            [self.number[child] for child in group.groups] for group in self.groups
        ]
        for parent, child in extra:
            self.children[self.number[parent]].append(self.number[child])

        with collector_paused():
            self.component, self.components = strongly_connected(self.children)
        self.parents: list[list[int]] | None = None

    def cycles(self) -> list[Cycle]:
        """Each cycle once: every component of two or more groups, and every
        group that contains itself; ordered by their first group's name."""
        found = []
        for members in self.components:
            first = members[0]
            if len(members) > 1 or first in self.children[first]:
                ordered = sorted(members, key=self.sort_key)
                found.append(Cycle(tuple(self.groups[n].id for n in ordered)))

        return sorted(found, key=lambda c: self.sort_key(self.number[c.groups[0]]))

    def sort_key(self, number: int) -> tuple[str, str]:
        """Groups sort by display name, then id."""
        group = self.groups[number]
        return group.display_name, group.id

    def resolve(self, granting: Sequence[DirectoryGroupId]) -> Memberships:
        """Every user's granting groups among `granting`."""
        granted = self.component_bits(granting)
        bits: dict[DirectoryUserId, int] = {}
        with collector_paused():
            for number, group in enumerate(self.groups):
                grant = granted[self.component[number]]
                if grant:
                    for user in group.users:
                        bits[user] = bits.get(user, 0) | grant

        return Memberships(tuple(granting), bits)

    def component_bits(self, granting: Sequence[DirectoryGroupId]) -> list[int]:
        """For each component, the bits of the granting groups that contain it."""
        granted = [0] * len(self.components)
        for bit, group_id in enumerate(granting):
            granted[self.component[self.number[group_id]]] |= 1 << bit

        # Components come out of `strongly_connected` children first, so walking
        # them backwards visits every container before what it contains.
        for index in range(len(self.components) - 1, -1, -1):
            grant = granted[index]
            if not grant:
                continue

            for number in self.components[index]:
                for child in self.children[number]:
                    target = self.component[child]
                    if target != index:
                        granted[target] |= grant

        return granted

    def chain(
        self, user: DirectoryUserId, target: DirectoryGroupId
    ) -> list[DirectoryGroupId] | None:
        """The shortest chain of groups from one `user` is directly in up to
        `target`, first group first; None when the user is not a member."""
        starts = [n for n, group in enumerate(self.groups) if user in group.users]
        goal = self.number[target]
        parents = self.parent_lists()
        came_from: dict[int, int | None] = dict.fromkeys(starts)
        queue = deque(starts)
        while queue:
            number = queue.popleft()
            if number == goal:
                return self.path_to(number, came_from)

            for parent in parents[number]:
                if parent not in came_from:
                    came_from[parent] = number
                    queue.append(parent)

        return None

    def path_to(
        self, end: int, came_from: Mapping[int, int | None]
    ) -> list[DirectoryGroupId]:
        """The chain that the breadth-first search reached `end` by."""
        path = []
        step: int | None = end
        while step is not None:
            path.append(self.groups[step].id)
            step = came_from[step]

        path.reverse()
        return path

    def parent_lists(self) -> list[list[int]]:
        """For each group, the groups that contain it; built on first use."""
        if self.parents is None:
            self.parents = [[] for _ in self.groups]
            for parent, children in enumerate(self.children):
                for child in children:
                    self.parents[child].append(parent)

        return self.parents

    def cycle_of(self, group_id: DirectoryGroupId) -> Cycle | None:
        """The cycle a group is on, if any."""
        number = self.number[group_id]
        members = self.components[self.component[number]]
        if len(members) == 1 and number not in self.children[number]:
            return None

        ordered = sorted(members, key=self.sort_key)
        return Cycle(tuple(self.groups[n].id for n in ordered))


def strongly_connected(
    children: Sequence[Sequence[int]],
) -> tuple[list[int], list[list[int]]]:
    """Tarjan's algorithm without recursion: each node's component number, and
    the components, every one listed after all the components it reaches."""
    count = len(children)
    index = [-1] * count
    low = [0] * count
    on_stack = [False] * count
    component = [-1] * count
    components: list[list[int]] = []
    stack: list[int] = []
    counter = 0
    for root in range(count):
        if index[root] != -1:
            continue

        work = [(root, 0)]
        while work:
            node, edge = work[-1]
            if edge == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack[node] = True

            edges = children[node]
            while edge < len(edges):
                child = edges[edge]
                edge += 1
                if index[child] == -1:
                    work[-1] = (node, edge)
                    work.append((child, 0))
                    break

                if on_stack[child]:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])

                if low[node] == index[node]:
                    members = pop_component(node, stack, on_stack)
                    for member in members:
                        component[member] = len(components)

                    components.append(members)

    return component, components


def pop_component(root: int, stack: list[int], on_stack: list[bool]) -> list[int]:
    """Take the nodes of `root`'s component off Tarjan's stack."""
    members = []
    while True:
        member = stack.pop()
        on_stack[member] = False
        members.append(member)
        if member == root:
            return members
