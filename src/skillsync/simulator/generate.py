"""Generate a sample org: an org fixture, a matching directory snapshot and a policy.

`generate_org` writes three files that belong together: `org.json` is the Genesys
Cloud side in the org fixture format, `directory.json` holds SCIM users and nested
groups, and `policy.yaml` grants skills and languages from those groups. The same
seed gives the same bytes.

The users are streamed: each is drawn, written to both JSON files and forgotten,
so memory grows with the group memberships (one machine integer each) rather than
with the users' records. As the blueprint knows what the policy grants through
every group, the skills users already hold are a deliberate mix: most as
granted, some at another proficiency, some managed skills that no group grants
(a plan removes them) and some skills the policy does not manage at all.
"""

from __future__ import annotations

import logging
import random
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import orjson

from skillsync.errors import ConfigError
from skillsync.simulator.blueprint import (
    LANGUAGE_LEVELS,
    NO_GRANTS,
    SKILL_LEVELS,
    Blueprint,
    Grants,
    merge_grants,
    policy_text,
)

logger = logging.getLogger(__name__)

ORG_FILE = "org.json"
DIRECTORY_FILE = "directory.json"
POLICY_FILE = "policy.yaml"

FEWEST_GROUPS = 8
USERS_PER_GROUP = 10
MEMBERSHIPS_PER_ACCOUNT = (1, 9)  # direct groups of a directory user; mean 5

FIRST_NAMES = (
    "Ada", "Aisha", "Alan", "Amara", "Ana", "Andrei", "Arjun", "Astrid", "Ben",
    "Carlos", "Chen", "Chloe", "Daniel", "Diego", "Elena", "Emma", "Fatima", "Felix",
    "Grace", "Hana", "Hugo", "Ines", "Ivan", "Jamal", "Jia", "Jonas", "Kai", "Kofi",
    "Lars", "Leila", "Lucas", "Maya", "Mei", "Mohammed", "Nadia", "Noah", "Olga",
    "Omar", "Priya", "Rafael", "Rosa", "Sakura", "Samuel", "Sofia", "Tariq", "Tomas",
    "Yara", "Yusuf", "Zara", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Adeyemi", "Alvarez", "Andersson", "Bauer", "Becker", "Chowdhury", "Costa",
    "Dubois", "Eriksen", "Fischer", "Garcia", "Hansen", "Hughes", "Ibrahim", "Ito",
    "Jansen", "Kaur", "Kim", "Kowalski", "Larsen", "Lee", "Lopez", "Lovelace",
    "Mensah", "Moreau", "Muller", "Nakamura", "Nguyen", "Novak", "Okafor", "Olsen",
    "Patel", "Petrov", "Rossi", "Santos", "Schmidt", "Silva", "Singh", "Smith",
    "Sorensen", "Tanaka", "Turing", "Wang", "Weber", "Wilson", "Yilmaz", "Zhang",
)  # fmt: skip
GENESYS_GROUP_NAMES = (
    "All Agents",
    "Supervisors",
    "Night Shift",
    "Quality Review",
    "New Hires",
    "Escalation Desk",
)


@dataclass(frozen=True, slots=True)
class GeneratedOrg:
    """What `generate_org` wrote: the three paths and the counts worth telling.

    `users` counts Genesys Cloud users, split into `active_users`,
    `inactive_users` and `deleted_users`; `users_without_directory` of them no
    directory user matches. `directory_users` counts SCIM users, of which
    `inactive_directory_users` are not active, `unmatched_directory_users` have no
    Genesys Cloud account and `duplicate_directory_users` repeat another's
    userName in other letter case. `memberships` counts the member entries of the
    snapshot's groups, `untyped_members` those without a `type` and
    `dangling_members` those that resolve to nothing. `users_with_changes` counts
    the active Genesys Cloud users that a plan of this policy over this snapshot
    changes, and `users_with_removals` those among them who lose a skill or
    language: what the removal brake counts.
    """

    org: Path
    directory: Path
    policy: Path
    seed: int
    users: int
    active_users: int
    inactive_users: int
    deleted_users: int
    users_without_directory: int
    directory_users: int
    inactive_directory_users: int
    unmatched_directory_users: int
    duplicate_directory_users: int
    groups: int
    depth: int
    cycles: int
    memberships: int
    untyped_members: int
    dangling_members: int
    genesys_groups: int
    skills: int
    languages: int
    rules: int
    managed_skills: int
    managed_languages: int
    users_with_changes: int
    users_with_removals: int


def generate_org(
    out: Path, *, users: int, seed: int, groups: int | None = None, depth: int = 6
) -> GeneratedOrg:
    """Write `org.json`, `directory.json` and `policy.yaml` into `out`.

    `groups` defaults to one directory group per ten users, at least eight and at
    least `depth`. The groups nest `depth` levels deep; when some level holds two
    groups or more, a few groups form cycles. Raises `ConfigError` for sizes that
    describe no org and for a directory that cannot be written.
    """
    group_count = check_arguments(users=users, groups=groups, depth=depth)
    rng = random.Random(seed)
    blueprint = Blueprint.draw(rng, group_count, depth)
    paths = OutputPaths.inside(out)
    policy = policy_text(blueprint, seed)
    population, snapshot = write_files(paths, rng, users, blueprint, policy)
    logger.info(
        "wrote %d users, %d directory users and %d groups to %s",
        users,
        population.directory_users,
        group_count,
        out,
    )

    return summarize(paths, seed, blueprint, population, snapshot)


def check_arguments(*, users: int, groups: int | None, depth: int) -> int:
    """Refuse sizes that describe no org, and return the number of groups."""
    if users < 1:
        raise ConfigError(
            f"an org needs at least 1 user, not {users}; pass --users 1 or more"
        )

    if depth < 1:
        raise ConfigError(
            f"the nesting depth must be at least 1, not {depth}; pass --depth 1 or more"
        )

    if groups is None:
        return max(FEWEST_GROUPS, users // USERS_PER_GROUP, depth)

    if groups < depth:
        raise ConfigError(
            f"a nesting depth of {depth} needs at least {depth} groups, one per level, "
            f"not {groups}; pass --groups {depth} or more, or a --depth of at most "
            f"{max(groups, 1)}"
        )

    return groups


@dataclass(frozen=True, slots=True)
class OutputPaths:
    """The three files `generate_org` writes."""

    org: Path
    directory: Path
    policy: Path

    @classmethod
    def inside(cls, out: Path) -> OutputPaths:
        """Create `out` if need be and name the files in it."""
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the output directory {out}: {exc.strerror}; "
                "pass --out with a directory you can write to"
            ) from exc

        return cls(out / ORG_FILE, out / DIRECTORY_FILE, out / POLICY_FILE)


@dataclass(frozen=True, slots=True)
class Roster:
    """The users picked up front for special treatment, by index and disjoint, so
    that an org of ten users or more has at least one of each (but for the
    `revoked`, who hold a managed skill or language no group grants them)."""

    inactive: frozenset[int]
    deleted: frozenset[int]
    without_directory: frozenset[int]
    disabled_in_directory: frozenset[int]
    duplicated: frozenset[int]
    revoked: frozenset[int]
    outsiders_after: frozenset[int]

    def state(self, index: int) -> str:
        """The Genesys Cloud state of the user at `index`."""
        if index in self.inactive:
            return "inactive"

        if index in self.deleted:
            return "deleted"

        return "active"

    def holds_ungranted(self, index: int) -> bool:
        """Tell whether the user at `index` holds a managed skill or language that
        no group grants: the revoked do, and so do those disabled in the
        directory, whom nothing is granted. So an org of 12 to 25 users has
        exactly one user to remove something from, which the sample policy's
        removal brake of 10% lets through."""
        return index in self.revoked or index in self.disabled_in_directory


def draw_roster(rng: random.Random, users: int) -> Roster:
    """Pick the inactive, deleted, unmatched, disabled, duplicated and revoked
    users, and those after whom comes a directory user without a Genesys Cloud
    account."""
    shares = (0.05, 0.01, 0.03, 0.01, 0.001)
    sizes = [portion(users, share) for share in shares] + [round(users * 0.02)]
    picked = rng.sample(range(users), sum(sizes))
    chosen: list[frozenset[int]] = []
    for size in sizes:
        chosen.append(frozenset(picked[:size]))
        picked = picked[size:]

    return Roster(
        inactive=chosen[0],
        deleted=chosen[1],
        without_directory=chosen[2],
        disabled_in_directory=chosen[3],
        duplicated=chosen[4],
        revoked=chosen[5],
        outsiders_after=frozenset(rng.sample(range(users), portion(users, 0.02))),
    )


def portion(total: int, share: float) -> int:
    """`share` of `total`, and at least one when there are ten or more."""
    return max(1, round(total * share)) if total >= 10 else 0


class JsonWriter:
    """Streams one JSON object whose values are arrays, one element per line."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.sections = 0
        self.items = 0
        file.write(b"{")

    def section(self, key: str, records: Iterable[object] = ()) -> None:
        """Open the array under `key`, starting with `records`."""
        separator = b",\n" if self.sections else b""
        self.file.write(separator + orjson.dumps(key) + b": [")
        self.sections += 1
        self.items = 0
        for record in records:
            self.add(record)

    def add(self, record: object) -> None:
        """Append one element to the open array."""
        self.file.write((b",\n" if self.items else b"\n") + orjson.dumps(record))
        self.items += 1

    def end(self) -> None:
        """Close the open array."""
        self.file.write(b"\n]")

    def close(self) -> None:
        """Close the object."""
        self.file.write(b"}\n")


class Population:
    """Draws the users one at a time and writes each to both files at once.

    It keeps only what the group records need afterwards: the directory users
    each group holds, and the users of each Genesys Cloud group.
    """

    def __init__(
        self,
        rng: random.Random,
        blueprint: Blueprint,
        roster: Roster,
        org: JsonWriter,
        directory: JsonWriter,
    ) -> None:
        self.rng = rng
        self.catalog = blueprint.catalog
        self.policy = blueprint.policy
        self.grants = blueprint.grants
        self.roster = roster
        self.org = org
        self.directory = directory
        self.members = [array("i") for _ in blueprint.hierarchy.names]
        self.genesys_members = [array("i") for _ in GENESYS_GROUP_NAMES]
        self.users = 0
        self.directory_users = 0
        self.inactive_directory_users = 0
        self.outsiders = 0
        self.users_with_changes = 0
        self.users_with_removals = 0

    def add_user(self) -> None:
        """Draw the next Genesys Cloud user, its directory accounts and what it
        holds, and write them."""
        index = self.users
        self.users += 1
        first, last = self.draw_name()
        user_id = f"u-{index + 1}"
        name = f"{first} {last}"
        email = f"{first.lower()}.{last.lower()}{index + 1}@example.com"
        state = self.roster.state(index)
        granted = self.add_accounts(index, user_id, name, email, state)
        held = self.draw_held(granted, self.roster.holds_ungranted(index))
        self.org.add(self.user_record(user_id, name, email, state, held))
        self.join_genesys_group(index, state)
        if state == "active":
            self.tally(granted, held)

        if index in self.roster.outsiders_after:
            self.add_outsider()

    def draw_name(self) -> tuple[str, str]:
        """A first and a last name."""
        rand = self.rng.random
        first = FIRST_NAMES[int(rand() * len(FIRST_NAMES))]

        return first, LAST_NAMES[int(rand() * len(LAST_NAMES))]

    def add_accounts(
        self, index: int, user_id: str, name: str, email: str, state: str
    ) -> Grants:
        """Write the directory users matching this user, and return what their
        active accounts are granted together.

        One in a hundred has a userName in other letter case; seven in ten carry
        the Genesys Cloud user id as externalId."""
        if index in self.roster.without_directory:
            return NO_GRANTS

        rand = self.rng.random
        user_name = email.title() if rand() < 0.01 else email
        external_id = user_id if rand() < 0.7 else None
        active = self.directory_active(index, state)
        sources = [self.add_account(user_name, name, email, active, external_id)]
        if index in self.roster.duplicated:
            sources.append(self.add_account(email.title(), name, email, True, None))

        return merge_grants(sources)

    def directory_active(self, index: int, state: str) -> bool:
        """Deleted users are off in the directory too, inactive ones half the
        time, and a few active users are off there alone."""
        if state == "deleted" or index in self.roster.disabled_in_directory:
            return False

        return state == "active" or self.rng.random() < 0.5

    def add_account(
        self,
        user_name: str,
        name: str,
        email: str,
        active: bool,
        external_id: str | None,
    ) -> Grants:
        """Write one directory user and its memberships; return its grants."""
        account = self.directory_users
        self.directory_users += 1
        groups = self.draw_groups()
        for group in groups:
            self.members[group].append(account)

        record = self.account_record(account, user_name, name, email, active)
        if external_id is not None:
            record["externalId"] = external_id

        self.directory.add(record)
        if not active:
            self.inactive_directory_users += 1
            return NO_GRANTS

        return merge_grants([self.grants[group] for group in groups])

    def account_record(
        self, account: int, user_name: str, name: str, email: str, active: bool
    ) -> dict[str, object]:
        """A SCIM user. Two in a hundred active ones leave `active` out, which
        means active; five in a hundred list another email before the primary."""
        rand = self.rng.random
        record: dict[str, object] = {"id": f"d-{account + 1}", "userName": user_name}
        if not active or rand() >= 0.02:
            record["active"] = active

        record["displayName"] = name
        primary = {"value": email, "type": "work", "primary": True}
        if rand() < 0.05:
            other = {"value": "alt." + email, "type": "other", "primary": False}
            record["emails"] = [other, primary]
        else:
            record["emails"] = [primary]

        return record

    def draw_groups(self) -> list[int]:
        """The distinct groups a directory user is a direct member of."""
        rand = self.rng.random
        count = len(self.members)
        fewest, most = MEMBERSHIPS_PER_ACCOUNT
        wanted = min(count, fewest + int(rand() * (most - fewest + 1)))
        groups: list[int] = []
        while len(groups) < wanted:
            group = int(rand() * count)
            if group not in groups:
                groups.append(group)

        return groups

    def draw_held(self, granted: Grants, ungranted: bool) -> dict[int, float]:
        """What the user holds now: half the users hold all they are granted; of
        the others' grants six in ten are held as granted, two at another
        proficiency and two not at all. Some hold skills and languages the policy
        does not manage; when `ungranted`, one managed that no group grants."""
        rand = self.rng.random
        held = dict(granted) if rand() < 0.5 else self.drift(granted)

        if ungranted:
            spare = [slot for slot in self.policy.managed_slots if slot not in granted]
            self.hold_one(held, spare, granted)

        if rand() < 0.3:
            self.hold_one(held, self.policy.unmanaged_skills, granted)

        if rand() < 0.15:
            self.hold_one(held, self.policy.unmanaged_languages, granted)

        return held

    def drift(self, granted: Grants) -> dict[int, float]:
        """The grants held with drift: some at another proficiency, some not."""
        rand = self.rng.random
        held: dict[int, float] = {}
        for slot, proficiency in granted.items():
            roll = rand()
            if roll < 0.6:
                held[slot] = proficiency
            elif roll < 0.8:
                held[slot] = self.other_level(slot, proficiency)

        return held

    def hold_one(
        self, held: dict[int, float], slots: Sequence[int], granted: Grants
    ) -> None:
        """Hold one of `slots` when it is neither granted nor held already."""
        if not slots:
            return

        slot = slots[int(self.rng.random() * len(slots))]
        if slot not in granted and slot not in held:
            held[slot] = self.any_level(slot)

    def any_level(self, slot: int) -> float:
        """A proficiency of the slot's kind."""
        levels = SKILL_LEVELS if self.catalog.is_skill(slot) else LANGUAGE_LEVELS

        return levels[int(self.rng.random() * len(levels))]

    def other_level(self, slot: int, proficiency: float) -> float:
        """A proficiency of the slot's kind, other than `proficiency`."""
        level = self.any_level(slot)
        while level == proficiency:
            level = self.any_level(slot)

        return level

    def user_record(
        self, user_id: str, name: str, email: str, state: str, held: Mapping[int, float]
    ) -> dict[str, object]:
        """The fixture record of a Genesys Cloud user, holdings in catalog order."""
        ids = self.catalog.ids
        slots = sorted(held)
        split = bisect_left(slots, self.catalog.skill_count)
        skills = [
            {"id": ids[slot], "proficiency": held[slot]} for slot in slots[:split]
        ]
        languages = [
            {"id": ids[slot], "proficiency": int(held[slot])} for slot in slots[split:]
        ]

        return {
            "id": user_id,
            "name": name,
            "email": email,
            "state": state,
            "skills": skills,
            "languages": languages,
        }

    def join_genesys_group(self, index: int, state: str) -> None:
        """Put three in ten users who are not deleted into one flat group."""
        rand = self.rng.random
        if state != "deleted" and rand() < 0.3:
            group = int(rand() * len(self.genesys_members))
            self.genesys_members[group].append(index)

    def tally(self, granted: Grants, held: Mapping[int, float]) -> None:
        """Count an active user when a plan changes it, and when it removes
        something from it."""
        removes = not self.policy.managed.isdisjoint(held.keys() - granted.keys())
        moves = any(held.get(slot) != level for slot, level in granted.items())
        self.users_with_removals += int(removes)
        self.users_with_changes += int(removes or moves)

    def add_outsider(self) -> None:
        """Write an active directory user whom no Genesys Cloud user matches."""
        self.outsiders += 1
        first, last = self.draw_name()
        email = f"{first.lower()}.{last.lower()}.{self.outsiders}@partner.example.com"
        external_id = f"contractor-{self.outsiders}"
        self.add_account(email, f"{first} {last}", email, True, external_id)


@dataclass(slots=True)
class SnapshotCounts:
    """The member entries written into the snapshot's groups."""

    memberships: int = 0
    untyped_members: int = 0
    dangling_members: int = 0

    def add(self, members: Sequence[Mapping[str, str]], dangling: int) -> None:
        """Count one group's members, `dangling` of which resolve to nothing."""
        self.memberships += len(members)
        self.untyped_members += sum("type" not in member for member in members)
        self.dangling_members += dangling


def write_files(
    paths: OutputPaths,
    rng: random.Random,
    users: int,
    blueprint: Blueprint,
    policy: str,
) -> tuple[Population, SnapshotCounts]:
    """Stream the users into both JSON files, then write the groups and the
    policy."""
    roster = draw_roster(rng, users)
    try:
        with (
            open_output(paths.org) as org_file,
            open_output(paths.directory) as directory_file,
        ):
            org = JsonWriter(org_file)
            directory = JsonWriter(directory_file)
            start_org(org, blueprint)
            directory.section("Users")
            population = Population(rng, blueprint, roster, org, directory)
            for _ in range(users):
                population.add_user()

            finish_org(org, population)
            snapshot = finish_directory(rng, directory, blueprint, population)

        paths.policy.write_text(policy, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot write the generated org into {paths.org.parent}: {exc}; "
            "pass --out with a directory you can write to"
        ) from exc

    return population, snapshot


def open_output(path: Path) -> IO[bytes]:
    """Open a file for writing through a large buffer."""
    return path.open("wb", buffering=1 << 20)


def start_org(org: JsonWriter, blueprint: Blueprint) -> None:
    """Write the client and the catalogs, and open the users' array."""
    catalog = blueprint.catalog
    org.section("clients", [{"id": "demo-client", "secret": "demo-secret"}])
    org.end()
    for key, skills in (("skills", True), ("languages", False)):
        entries = [
            {
                "id": catalog.ids[slot],
                "name": catalog.names[slot],
                "state": catalog.states[slot],
            }
            for slot in catalog.slots(skills=skills)
        ]
        org.section(key, entries)
        org.end()

    org.section("users")


def finish_org(org: JsonWriter, population: Population) -> None:
    """Close the users' array and write the flat Genesys Cloud groups."""
    org.end()
    org.section("groups")
    named = zip(GENESYS_GROUP_NAMES, population.genesys_members, strict=True)
    for number, (name, users) in enumerate(named, start=1):
        members = [f"u-{user + 1}" for user in users]
        org.add({"id": f"g-{number}", "name": name, "members": members})

    org.end()
    org.close()


def finish_directory(
    rng: random.Random,
    directory: JsonWriter,
    blueprint: Blueprint,
    population: Population,
) -> SnapshotCounts:
    """Close the users' array and write the nested groups. One group in thirty
    leaves out the type of its members, and a few members resolve to nothing."""
    directory.end()
    directory.section("Groups")
    hierarchy = blueprint.hierarchy
    count = len(hierarchy.names)
    untyped = frozenset(
        rng.sample(range(count), max(1, count // 30) if count >= 4 else 0)
    )
    dangling = dangling_members(rng, count)
    counts = SnapshotCounts()
    for group, name in enumerate(hierarchy.names):
        typed = group not in untyped
        members = [
            member_record(f"dg-{child + 1}", "Group" if typed else "")
            for child in hierarchy.contains[group]
        ]
        members += [
            member_record(f"d-{account + 1}", "User" if typed else "")
            for account in population.members[group]
        ]
        lost = dangling.get(group, [])
        members += lost
        counts.add(members, len(lost))
        directory.add(
            {"id": f"dg-{group + 1}", "displayName": name, "members": members}
        )

    directory.end()
    directory.close()

    return counts


def member_record(value: str, kind: str) -> dict[str, str]:
    """A SCIM group member; an empty `kind` leaves its `type` out."""
    return {"value": value, "type": kind} if kind else {"value": value}


def dangling_members(rng: random.Random, count: int) -> dict[int, list[dict[str, str]]]:
    """A handful of members that are neither a user nor a group, by group: in
    turn a departed user, a retired group and one without a type. Their values
    end in `-gone-N`."""
    dangling: dict[int, list[dict[str, str]]] = {}
    for number in range(1, min(10, 2 + count // 20000) + 1):
        kind = ("", "User", "Group")[number % 3]
        prefix = {"": "x", "User": "d", "Group": "dg"}[kind]
        member = member_record(f"{prefix}-gone-{number}", kind)
        dangling.setdefault(int(rng.random() * count), []).append(member)

    return dangling


def summarize(
    paths: OutputPaths,
    seed: int,
    blueprint: Blueprint,
    population: Population,
    snapshot: SnapshotCounts,
) -> GeneratedOrg:
    """Gather the counts the files were written with."""
    roster = population.roster
    catalog = blueprint.catalog
    managed = blueprint.policy.managed
    users = population.users
    inactive, deleted = len(roster.inactive), len(roster.deleted)

    return GeneratedOrg(
        org=paths.org,
        directory=paths.directory,
        policy=paths.policy,
        seed=seed,
        users=users,
        active_users=users - inactive - deleted,
        inactive_users=inactive,
        deleted_users=deleted,
        users_without_directory=len(roster.without_directory),
        directory_users=population.directory_users,
        inactive_directory_users=population.inactive_directory_users,
        unmatched_directory_users=population.outsiders,
        duplicate_directory_users=len(roster.duplicated),
        groups=len(blueprint.hierarchy.names),
        depth=blueprint.hierarchy.depth,
        cycles=len(blueprint.hierarchy.cycles),
        memberships=snapshot.memberships,
        untyped_members=snapshot.untyped_members,
        dangling_members=snapshot.dangling_members,
        genesys_groups=len(GENESYS_GROUP_NAMES),
        skills=len(catalog.slots(skills=True)),
        languages=len(catalog.slots(skills=False)),
        rules=len(blueprint.policy.rules),
        managed_skills=sum(catalog.is_skill(slot) for slot in managed),
        managed_languages=sum(not catalog.is_skill(slot) for slot in managed),
        users_with_changes=population.users_with_changes,
        users_with_removals=population.users_with_removals,
    )
