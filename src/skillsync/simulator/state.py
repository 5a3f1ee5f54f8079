"""The org as the simulator holds it while serving: catalogs, users and groups.

Every change goes through a method here, and no method awaits, so writes to one
user made by concurrent requests are applied one after another and none is lost.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from skillsync.fixture import (
    Client,
    EntityState,
    Group,
    HeldLanguage,
    HeldSkill,
    Language,
    Org,
    Skill,
    User,
)
from skillsync.ids import GenesysGroupId, GenesysUserId, LanguageId, SkillId

MAX_HELD = 50  # skills, and separately languages, one user may hold


class InvalidWrite(Exception):
    """A write the API refuses as a whole; `field` names the offending item."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(slots=True)
class SimUser:
    """A user and what it holds; dicts keep the order items were first assigned."""

    id: GenesysUserId
    name: str
    email: str
    username: str
    state: EntityState
    version: int = 1
    skills: dict[SkillId, float] = field(default_factory=dict)
    languages: dict[LanguageId, int] = field(default_factory=dict)


@dataclass(slots=True)
class SimGroup:
    """A flat group: its members are user ids."""

    id: GenesysGroupId
    name: str
    members: list[GenesysUserId]


def round_language(proficiency: float) -> int:
    """Round a language proficiency half up, as the API stores whole numbers."""
    return math.floor(proficiency + 0.5)


class OrgState:
    """The live org: loaded from a fixture, changed by writes, dumped back to one."""

    def __init__(self, org: Org) -> None:
        self.clients: dict[str, Client] = {c.id: c for c in org.clients}
        self.skills: dict[SkillId, Skill] = {s.id: s for s in org.skills}
        self.languages: dict[LanguageId, Language] = {
            lang.id: lang for lang in org.languages
        }
        self.users: dict[GenesysUserId, SimUser] = {
            u.id: to_sim_user(u) for u in org.users
        }
        self.groups: dict[GenesysGroupId, SimGroup] = {
            g.id: SimGroup(g.id, g.name, list(g.members)) for g in org.groups
        }
        self.skills_by_name = sorted(self.skills.values(), key=lambda s: (s.name, s.id))
        self.languages_by_name = sorted(
            self.languages.values(), key=lambda lang: (lang.name, lang.id)
        )
        self.groups_by_name = sorted(self.groups.values(), key=lambda g: (g.name, g.id))
        self.users_by_state = index_users_by_state(self.users.values())
        self.groups_of_user = index_groups_of_users(self.groups_by_name)

    def to_org(self) -> Org:
        """The org as it stands now, in the fixture format."""
        return Org(
            clients=list(self.clients.values()),
            skills=list(self.skills.values()),
            languages=list(self.languages.values()),
            users=[to_fixture_user(u) for u in self.users.values()],
            groups=[
                Group(id=g.id, name=g.name, members=list(g.members))
                for g in self.groups.values()
            ],
        )

    def sorted_skills(self, user: SimUser) -> list[tuple[Skill, float]]:
        """A user's skills in listing order: by name, then id."""
        held = [(self.skills[s], p) for s, p in user.skills.items()]
        return sorted(held, key=lambda item: (item[0].name, item[0].id))

    def sorted_languages(self, user: SimUser) -> list[tuple[Language, int]]:
        """A user's languages in listing order: by name, then id."""
        held = [(self.languages[lang], p) for lang, p in user.languages.items()]
        return sorted(held, key=lambda item: (item[0].name, item[0].id))

    def set_skills(
        self, user: SimUser, items: list[tuple[SkillId, float]], *, replace: bool
    ) -> None:
        """Add or update skills, or with `replace` make them the user's whole set.

        Every item is checked before anything changes, so a refused write
        leaves the user as it was.
        """
        for index, (skill_id, proficiency) in enumerate(items):
            skill = self.skills.get(skill_id)
            if skill is None or skill.state == "deleted":
                raise InvalidWrite(f"skill {skill_id} does not exist", f"[{index}].id")

            if not 0.0 <= proficiency <= 5.0:
                raise InvalidWrite(
                    f"proficiency {proficiency} is outside 0.0 to 5.0",
                    f"[{index}].proficiency",
                )

        updated = {} if replace else dict(user.skills)
        updated.update(items)
        if len(updated) > MAX_HELD:
            raise InvalidWrite(f"a user may hold at most {MAX_HELD} skills")

        user.skills = updated
        user.version += 1

    def set_languages(
        self, user: SimUser, items: list[tuple[LanguageId, float]]
    ) -> None:
        """Add or update languages, rounding proficiencies to whole numbers.

        Every item is checked before anything changes.
        """
        for index, (language_id, proficiency) in enumerate(items):
            language = self.languages.get(language_id)
            if language is None or language.state == "deleted":
                raise InvalidWrite(
                    f"language {language_id} does not exist", f"[{index}].id"
                )

            if not 0.0 <= proficiency <= 5.0:
                raise InvalidWrite(
                    f"proficiency {proficiency} is outside 0 to 5",
                    f"[{index}].proficiency",
                )

        updated = dict(user.languages)
        updated.update((lang, round_language(p)) for lang, p in items)
        if len(updated) > MAX_HELD:
            raise InvalidWrite(f"a user may hold at most {MAX_HELD} languages")

        user.languages = updated
        user.version += 1

    def remove_skill(self, user: SimUser, skill_id: SkillId) -> bool:
        """Remove one skill; False when the user does not hold it."""
        if user.skills.pop(skill_id, None) is None:
            return False

        user.version += 1
        return True

    def remove_language(self, user: SimUser, language_id: LanguageId) -> bool:
        """Remove one language; False when the user does not hold it."""
        if user.languages.pop(language_id, None) is None:
            return False

        user.version += 1
        return True


def to_sim_user(user: User) -> SimUser:
    """Copy a fixture user into the live state."""
    return SimUser(
        id=user.id,
        name=user.name,
        email=user.email,
        username=user.username,
        state=user.state,
        skills={s.id: s.proficiency for s in user.skills},
        languages={lang.id: lang.proficiency for lang in user.languages},
    )


def to_fixture_user(user: SimUser) -> User:
    """Copy a live user back into the fixture format."""
    return User(
        id=user.id,
        name=user.name,
        email=user.email,
        username=user.username,
        state=user.state,
        skills=[HeldSkill(id=s, proficiency=p) for s, p in user.skills.items()],
        languages=[
            HeldLanguage(id=lang, proficiency=p) for lang, p in user.languages.items()
        ],
    )


def index_users_by_state(users: Iterable[SimUser]) -> dict[str, list[SimUser]]:
    """Users in listing order (name, then id) for each `state` filter value."""
    ordered = sorted(users, key=lambda u: (u.name, u.id))
    index: dict[str, list[SimUser]] = {"any": ordered}
    for state in ("active", "inactive", "deleted"):
        index[state] = [u for u in ordered if u.state == state]

    return index


def index_groups_of_users(
    groups: Iterable[SimGroup],
) -> dict[GenesysUserId, list[GenesysGroupId]]:
    """For each user, the groups it is a member of, in group listing order."""
    index: dict[GenesysUserId, list[GenesysGroupId]] = {}
    for group in groups:
        for member in group.members:
            index.setdefault(member, []).append(group.id)

    return index
