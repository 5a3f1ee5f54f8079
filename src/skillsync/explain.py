"""Why an agent holds, or would hold, each of its skills and languages.

For one Genesys Cloud user: every skill and language it holds or is granted,
managed or not; for each granted one, the shortest chain of groups from the
user up to the group that grants it, cycles shown as such; and what apply would
change. It reads the same `Planned` as `plan`, so the two always agree.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from skillsync.errors import ConfigError
from skillsync.fixture import User
from skillsync.ids import DirectoryGroupId, DirectoryUserId
from skillsync.plan import Change, Kind, Wanted, level, wanted_for
from skillsync.world import Planned


@dataclass(frozen=True, slots=True)
class Item:
    """One skill or language of the user, and why it is what it is."""

    kind: Kind
    id: str
    name: str
    held: float | None
    granted: float | None
    managed: bool
    chain: tuple[str, ...]
    cycles: tuple[str, ...]
    change: Change | None


@dataclass(frozen=True, slots=True)
class Explanation:
    """Everything `explain` says about one user."""

    user: User
    directory_users: tuple[str, ...]
    items: tuple[Item, ...]

    def changes(self) -> list[Change]:
        """What apply would do to this user."""
        return [item.change for item in self.items if item.change is not None]


def find_user(planned: Planned, query: str) -> User:
    """The Genesys Cloud user `query` names: an id, an email or a username."""
    users = planned.world.org.users
    exact = [u for u in users if u.id == query]
    folded = query.strip().casefold()
    found = exact or [
        u for u in users if folded in {u.email.casefold(), u.username.casefold()}
    ]
    if len(found) == 1:
        return found[0]

    if found:
        ids = ", ".join(u.id for u in found)
        raise ConfigError(f"{query!r} names {len(found)} users ({ids}); give an id")

    raise ConfigError(
        f"no Genesys Cloud user has the id, email or username {query!r}; "
        "check the spelling, or use the id from `skillsync plan --format json`"
    )


def explain(planned: Planned, query: str) -> Explanation:
    """Explain one user's skills and languages."""
    user = find_user(planned, query)
    memberships = planned.graph.resolve(planned.resolved.granting)
    wanted = wanted_for(user.id, planned.resolved, memberships, planned.matching)
    directory_users = planned.matching.directory_users.get(user.id, ())
    changes = {
        (c.kind, c.id): c
        for u in planned.plan.users
        if u.id == user.id
        for c in u.changes
    }
    items = tuple(items_of(planned, user, wanted, directory_users, changes))
    names = tuple(label(planned, d) for d in directory_users)
    return Explanation(user, names, items)


def label(planned: Planned, user: DirectoryUserId) -> str:
    """A directory user as people know it."""
    found = planned.world.directory.users.get(user)
    return found.user_name or user if found else user


def items_of(
    planned: Planned,
    user: User,
    wanted: Wanted,
    directory_users: tuple[DirectoryUserId, ...],
    changes: Mapping[tuple[Kind, str], Change],
) -> Iterator[Item]:
    """The user's skills, then its languages, each sorted by name."""
    org = planned.world.org
    sides: list[tuple[Kind, dict[str, float], dict[str, str], frozenset[str]]] = [
        (
            "skill",
            {s.id: s.proficiency for s in user.skills},
            {s.id: s.name for s in org.skills},
            frozenset(planned.resolved.managed_skills),
        ),
        (
            "language",
            {x.id: float(x.proficiency) for x in user.languages},
            {x.id: x.name for x in org.languages},
            frozenset(planned.resolved.managed_languages),
        ),
    ]
    for kind, held, names, managed in sides:
        grants = wanted.skills if kind == "skill" else wanted.languages
        ids = sorted(set(held) | set(grants), key=lambda i: (names.get(i) or i).lower())
        for item in ids:
            granted = grants.get(item)
            chain, cycles = chain_to(planned, directory_users, granted)
            yield Item(
                kind,
                item,
                names.get(item, item),
                held.get(item),
                granted[0] if granted else None,
                item in managed,
                chain,
                cycles,
                changes.get((kind, item)),
            )


def chain_to(
    planned: Planned,
    directory_users: tuple[DirectoryUserId, ...],
    granted: tuple[float, DirectoryGroupId] | None,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The shortest chain of group names from the user up to the granting group,
    and a description of each cycle on it."""
    if granted is None:
        return (), ()

    groups = planned.world.directory.groups
    chains = [planned.graph.chain(d, granted[1]) for d in directory_users]
    found = [c for c in chains if c is not None]
    if not found:
        return (), ()

    chain = min(found, key=len)
    cycles = []
    for group in chain:
        cycle = planned.graph.cycle_of(group)
        if cycle is not None:
            names = " <-> ".join(groups[g].display_name for g in cycle.groups)
            cycles.append(f"{groups[group].display_name} is on the cycle {names}")

    return tuple(groups[g].display_name for g in chain), tuple(dict.fromkeys(cycles))


def explanation_text(explanation: Explanation) -> str:
    """The explanation as the terminal shows it."""
    user = explanation.user
    who = ", ".join(explanation.directory_users) or "no directory user"
    lines = [
        f"{user.name} <{user.email}> ({user.id}), {user.state}",
        f"Matched directory users: {who}",
    ]
    for kind in ("skill", "language"):
        items = [i for i in explanation.items if i.kind == kind]
        lines += ["", f"{kind.capitalize()}s:"]
        if not items:
            lines.append("  none")

        lines += [line for item in items for line in item_lines(item)]

    changes = explanation.changes()
    lines += ["", "Apply would:" if changes else "Apply would change nothing."]
    lines += [
        f"  {c.action} {c.kind} {c.name}: {level(c.before)} -> {level(c.after)}"
        for c in changes
    ]
    return "\n".join(lines)


def item_lines(item: Item) -> Iterator[str]:
    """The lines of one skill or language."""
    held = f"holds {level(item.held)}" if item.held is not None else "not held"
    if not item.managed:
        yield f"  {item.name}: {held}; not managed by the policy, never touched"
        return

    if item.granted is None:
        yield f"  {item.name}: {held}; managed, but no group of the user grants it"
        return

    yield f"  {item.name}: {held}; granted {level(item.granted)} via"
    yield "    " + " -> ".join(item.chain) + " (grants it)"
    for cycle in item.cycles:
        yield f"    ({cycle})"
