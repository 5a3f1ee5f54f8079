"""The plan: for every active Genesys Cloud user, what it holds against what the
policy grants it, as frozen data.

Planning is a pure function of what was read and the policy: no network, clock
or environment. `plan`, `explain` and `apply` all work from the same `Plan`,
which round-trips through `PLAN.json`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import orjson

from skillsync.directory.interface import Directory, Finding
from skillsync.fixture import Org, User
from skillsync.genesys.api import MAX_BULK
from skillsync.graph import GroupGraph, Memberships, members_of_bits
from skillsync.ids import DirectoryGroupId, GenesysUserId, LanguageId, SkillId
from skillsync.match import Matching
from skillsync.policy import ResolvedPolicy
from skillsync.words import plural

Kind = Literal["skill", "language"]
Action = Literal["add", "change", "remove"]


@dataclass(frozen=True, slots=True)
class Change:
    """One skill or language of one user: added, changed or removed."""

    kind: Kind
    id: str
    name: str
    action: Action
    before: float | None
    after: float | None
    granted_by: str | None = None


@dataclass(frozen=True, slots=True)
class UserPlan:
    """One user's changes, with the managed items it held when planned.

    `held` is what apply checks before writing: a user whose managed skills or
    languages differ by then is re-planned from its current state.
    """

    id: GenesysUserId
    name: str
    email: str
    held_skills: tuple[tuple[str, float], ...]
    held_languages: tuple[tuple[str, float], ...]
    changes: tuple[Change, ...]

    def removals(self) -> int:
        """How many items this user loses."""
        return sum(1 for change in self.changes if change.action == "remove")

    def writes(self) -> int:
        """The fewest calls that make these changes: a PATCH bulk per 50 skills
        and per 50 languages set, and a DELETE per item removed."""
        calls = self.removals()
        for kind in ("skill", "language"):
            sets = sum(
                1 for c in self.changes if c.kind == kind and c.after is not None
            )
            calls += -(-sets // MAX_BULK)

        return calls

    def wanted(self, kind: Kind) -> dict[str, float | None]:
        """For each managed item this plan touches, the proficiency it should end
        at, or None when it should go."""
        return {c.id: c.after for c in self.changes if c.kind == kind}


@dataclass(frozen=True, slots=True)
class Brake:
    """The removal brake: users who would lose something, against the limit."""

    users_with_removals: int
    limit: float
    setting: str

    @property
    def tripped(self) -> bool:
        """More users would lose something than the policy allows."""
        return self.users_with_removals > self.limit


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything apply would do, and everything worth telling about it."""

    policy: str
    source: str
    users: tuple[UserPlan, ...]
    findings: tuple[Finding, ...]
    active_users: int
    brake: Brake
    managed_skills: tuple[str, ...]
    managed_languages: tuple[str, ...]
    prune: bool
    fingerprint: str = field(default="")

    def writes(self) -> int:
        """The fewest write calls that carry out the whole plan."""
        return sum(user.writes() for user in self.users)

    def changes(self) -> int:
        """Every change over every user."""
        return sum(len(user.changes) for user in self.users)

    def summary(self) -> str:
        """One counted, pluralised sentence."""
        if not self.users:
            return (
                "No changes: every one of the "
                f"{plural(self.active_users, 'active user')} holds what the policy "
                "grants."
            )

        actions = [c.action for u in self.users for c in u.changes]
        words: dict[Action, str] = {
            "add": "to add",
            "change": "to change",
            "remove": "to remove",
        }
        parts = [
            f"{actions.count(action):,} {word}"
            for action, word in words.items()
            if actions.count(action)
        ]
        return (
            f"{plural(len(self.users), 'user')} of {self.active_users:,} active to "
            f"change: {', '.join(parts)}."
        )


@dataclass(frozen=True, slots=True)
class Wanted:
    """What the policy grants one user: proficiency and granting group per item."""

    skills: dict[str, tuple[float, DirectoryGroupId]]
    languages: dict[str, tuple[float, DirectoryGroupId]]


def make_plan(
    resolved: ResolvedPolicy,
    directory: Directory,
    org: Org,
    matching: Matching,
    graph: GroupGraph,
) -> Plan:
    """Compare what every active Genesys Cloud user holds with what its groups
    grant, and list the differences the policy manages."""
    memberships = graph.resolve(resolved.granting)
    names = CatalogNames.of(org)
    users: list[UserPlan] = []
    active = [u for u in org.users if u.state == "active"]
    for user in sorted(active, key=lambda u: (u.email.casefold(), u.id)):
        wanted = wanted_for(user.id, resolved, memberships, matching)
        user_plan = plan_user(user, wanted, resolved, names, directory)
        if user_plan.changes:
            users.append(user_plan)

    findings = [
        *cycle_findings(graph, directory),
        *directory.findings,
        *matching.findings,
        *resolved.findings,
    ]
    policy = resolved.policy
    brake = Brake(
        sum(1 for u in users if u.removals()),
        policy.brake_limit(len(active)),
        str(policy.max_removals),
    )
    plan = Plan(
        policy=str(resolved.loaded.path),
        source=directory.source,
        users=tuple(users),
        findings=tuple(findings),
        active_users=len(active),
        brake=brake,
        managed_skills=tuple(sorted(resolved.managed_skills)),
        managed_languages=tuple(sorted(resolved.managed_languages)),
        prune=policy.prune,
    )
    return with_fingerprint(plan)


def wanted_for(
    user: GenesysUserId,
    resolved: ResolvedPolicy,
    memberships: Memberships,
    matching: Matching,
) -> Wanted:
    """The highest proficiency any of the user's groups grants, per item, and
    the first group (in rule order) that grants it at that level."""
    bits = 0
    for directory_user in matching.directory_users.get(user, ()):
        bits |= memberships.bits.get(directory_user, 0)

    groups = set(members_of_bits(bits, memberships.granting))
    wanted = Wanted({}, {})
    for grant in resolved.grants:
        if grant.group not in groups:
            continue

        for skill, level in grant.skills:
            keep_highest(wanted.skills, skill, level, grant.group)

        for language, whole in grant.languages:
            keep_highest(wanted.languages, language, whole, grant.group)

    return wanted


def keep_highest(
    wanted: dict[str, tuple[float, DirectoryGroupId]],
    item: str,
    level: float,
    group: DirectoryGroupId,
) -> None:
    """Record `level` from `group` unless an earlier grant is as high or higher."""
    if item not in wanted or level > wanted[item][0]:
        wanted[item] = (level, group)


@dataclass(frozen=True, slots=True)
class CatalogNames:
    """Skill and language names by id, for readable plans."""

    skills: Mapping[str, str]
    languages: Mapping[str, str]

    @classmethod
    def of(cls, org: Org) -> CatalogNames:
        """The names of an org's catalogs."""
        return cls(
            {s.id: s.name for s in org.skills}, {x.id: x.name for x in org.languages}
        )


def plan_user(
    user: User,
    wanted: Wanted,
    resolved: ResolvedPolicy,
    names: CatalogNames,
    directory: Directory,
) -> UserPlan:
    """One user's changes: managed items to add, change or remove."""
    held_skills: dict[str, float] = {s.id: s.proficiency for s in user.skills}
    held_languages: dict[str, float] = {x.id: x.proficiency for x in user.languages}
    prune = resolved.policy.prune
    skills = Side("skill", resolved.managed_skills, names.skills)
    languages = Side("language", resolved.managed_languages, names.languages)
    changes = [
        *diff(skills, held_skills, wanted.skills, directory, prune),
        *diff(languages, held_languages, wanted.languages, directory, prune),
    ]
    return UserPlan(
        id=user.id,
        name=user.name,
        email=user.email,
        held_skills=managed(held_skills, resolved.managed_skills),
        held_languages=managed(held_languages, resolved.managed_languages),
        changes=tuple(changes),
    )


def managed(
    held: Mapping[str, float], managed_ids: Iterable[str]
) -> tuple[tuple[str, float], ...]:
    """The managed items a user holds, by id."""
    keep = set(managed_ids)
    return tuple(sorted((item, level) for item, level in held.items() if item in keep))


@dataclass(frozen=True, slots=True)
class Side:
    """Skills or languages: which are managed, and their names."""

    kind: Kind
    managed: frozenset[SkillId] | frozenset[LanguageId]
    names: Mapping[str, str]


def diff(
    side: Side,
    held: Mapping[str, float],
    wanted: Mapping[str, tuple[float, DirectoryGroupId]],
    directory: Directory,
    prune: bool,
) -> list[Change]:
    """The changes that take `held` to `wanted` among managed items, sorted by
    name; removals only when pruning."""
    changes = []
    for item in side.managed:
        before = held.get(item)
        name = side.names.get(item, item)
        if item in wanted:
            after, group = wanted[item]
            if before != after:
                action: Action = "add" if before is None else "change"
                grantor = directory.groups[group].display_name
                changes.append(
                    Change(side.kind, item, name, action, before, after, grantor)
                )
        elif before is not None and prune:
            changes.append(Change(side.kind, item, name, "remove", before, None))

    return sorted(changes, key=lambda c: (c.name.casefold(), c.id))


def cycle_findings(graph: GroupGraph, directory: Directory) -> list[Finding]:
    """One finding per cycle, naming its groups."""
    findings = []
    for cycle in graph.cycles():
        names = [directory.groups[g].display_name for g in cycle.groups]
        if len(names) == 1:
            message = (
                f"group {names[0]!r} contains itself; harmless, but probably a mistake"
            )
        else:
            message = (
                f"groups {', '.join(repr(n) for n in names)} contain each other, so "
                f"each has the members of all {len(names)}"
            )

        findings.append(Finding("cycle", message))

    return findings


def with_fingerprint(plan: Plan) -> Plan:
    """The plan stamped with a digest of the state it was computed from: the
    managed items each changed user held, the policy and the source."""
    state = [(u.id, u.held_skills, u.held_languages) for u in plan.users]
    content = [
        plan.policy,
        plan.source,
        plan.managed_skills,
        plan.managed_languages,
        state,
    ]
    digest = hashlib.sha256(orjson.dumps(content)).hexdigest()[:16]
    return dataclasses.replace(plan, fingerprint=digest)


def level(proficiency: float | None) -> str:
    """A proficiency as people read it: `3`, `4.5`, or `-` for none."""
    if proficiency is None:
        return "-"

    return f"{proficiency:g}"
