"""The org fixture: a Genesys Cloud org as one JSON file.

The simulator serves a fixture, `sim generate` writes one and `org export` reads a
real org into one. Loading validates every field and every reference, so a fixture
that loads is one the simulator can serve as it stands.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Annotated, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from skillsync.bulk import collector_paused
from skillsync.errors import ConfigError
from skillsync.ids import GenesysGroupId, GenesysUserId, LanguageId, SkillId

EntityState = Literal["active", "inactive", "deleted"]
SkillProficiency = Annotated[float, Field(ge=0.0, le=5.0)]
LanguageProficiency = Annotated[int, Field(ge=0, le=5, strict=True)]

DEFAULT_CLIENT_ID = "demo-client"
DEFAULT_CLIENT_SECRET = "demo-secret"


class FixtureModel(BaseModel):
    """Base of the fixture records: unknown keys are mistakes, not extensions."""

    model_config = ConfigDict(extra="forbid")


class Client(FixtureModel):
    """An OAuth client the simulator accepts; `permissions` of None means all."""

    id: str
    secret: str
    permissions: list[str] | None = None


class Skill(FixtureModel):
    """An entry of the org's routing skill catalog."""

    id: SkillId
    name: str
    state: EntityState = "active"


class Language(FixtureModel):
    """An entry of the org's routing language catalog."""

    id: LanguageId
    name: str
    state: EntityState = "active"


class HeldSkill(FixtureModel):
    """A skill a user holds, at a proficiency from 0.0 to 5.0."""

    id: SkillId
    proficiency: SkillProficiency


class HeldLanguage(FixtureModel):
    """A language a user holds, at a whole proficiency from 0 to 5."""

    id: LanguageId
    proficiency: LanguageProficiency


class User(FixtureModel):
    """A Genesys Cloud user with the skills and languages it holds."""

    id: GenesysUserId
    name: str
    email: str
    username: str = ""
    state: EntityState = "active"
    skills: list[HeldSkill] = []
    languages: list[HeldLanguage] = []

    @model_validator(mode="after")
    def default_username(self) -> User:
        """Take the email as username when none is given, as the contract says."""
        if not self.username:
            self.username = self.email

        return self


class Group(FixtureModel):
    """A Genesys Cloud group; its members are users, never groups."""

    id: GenesysGroupId
    name: str
    members: list[GenesysUserId] = []


def default_clients() -> list[Client]:
    """The client a fixture without `clients` accepts."""
    return [Client(id=DEFAULT_CLIENT_ID, secret=DEFAULT_CLIENT_SECRET)]


class Org(FixtureModel):
    """A whole org: OAuth clients, catalogs, users and groups."""

    clients: list[Client] = Field(default_factory=default_clients)
    skills: list[Skill] = []
    languages: list[Language] = []
    users: list[User] = []
    groups: list[Group] = []

    @model_validator(mode="after")
    def check_references(self) -> Org:
        """Refuse duplicate ids and references to skills, languages or users that
        the fixture does not define."""
        for kind, ids in (
            ("clients", [c.id for c in self.clients]),
            ("skills", [s.id for s in self.skills]),
            ("languages", [lang.id for lang in self.languages]),
            ("users", [u.id for u in self.users]),
            ("groups", [g.id for g in self.groups]),
        ):
            check_unique(kind, ids)

        skill_ids = {s.id for s in self.skills}
        language_ids = {lang.id for lang in self.languages}
        for index, user in enumerate(self.users):
            check_held(f"users[{index}].skills", [s.id for s in user.skills], skill_ids)
            check_held(
                f"users[{index}].languages",
                [lang.id for lang in user.languages],
                language_ids,
            )

        user_ids = {u.id for u in self.users}
        for index, group in enumerate(self.groups):
            for member in group.members:
                if member not in user_ids:
                    raise ValueError(
                        f"groups[{index}] ({group.name!r}) lists member {member!r}, "
                        "which is not the id of any user in the fixture; "
                        "Genesys Cloud groups hold users only"
                    )

        return self


def check_unique(kind: str, ids: Sequence[str]) -> None:
    """Raise naming the first id that appears twice in one section."""
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"{kind} lists id {item!r} more than once")

        seen.add(item)


def check_held(where: str, held: Sequence[str], catalog: AbstractSet[str]) -> None:
    """Raise when a user holds an id the catalog lacks, or holds one twice."""
    check_unique(where, held)
    for item in held:
        if item not in catalog:
            raise ValueError(f"{where} holds {item!r}, which the catalog does not list")


def parse_org(data: bytes, source: str = "the org fixture") -> Org:
    """Validate fixture JSON, raising `ConfigError` that names the field at fault."""
    try:
        with collector_paused():
            return Org.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}"
            for part in first["loc"]
        ).lstrip(".")
        message = first["msg"].removeprefix("Value error, ")
        more = exc.error_count() - 1
        raise ConfigError(
            f"{source} is not a valid org fixture: "
            + (f"{where}: " if where else "")
            + message
            + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")
        ) from exc


def load_org(path: Path) -> Org:
    """Read and validate an org fixture file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read the org fixture {path}: {exc.strerror}; "
            "pass the path of a JSON file written by `skillsync sim generate` "
            "or `skillsync org export`"
        ) from exc

    return parse_org(data, source=str(path))


def dump_org(org: Org, *, clients: bool = True) -> bytes:
    """Serialize an org as indented fixture JSON, in the fixture's own order.

    Without `clients` the file leaves them out, and whoever serves it accepts
    the demo client: an exported org never carries a secret.
    """
    return orjson.dumps(
        org.model_dump(mode="json", exclude=None if clients else {"clients"}),
        option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE,
    )


def save_org(path: Path, org: Org, *, clients: bool = True) -> None:
    """Write an org fixture whole or not at all: a crash leaves no half file."""
    partial = path.with_name(path.name + ".partial")
    try:
        partial.write_bytes(dump_org(org, clients=clients))
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ConfigError(
            f"cannot write the org fixture {path}: {exc.strerror}; choose a path "
            "in a directory that exists and that you may write to"
        ) from exc
