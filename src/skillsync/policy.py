"""The policy file: which groups grant which skills and languages, and how.

YAML, checked on load. Every error points at the file, line and column of the
value at fault and says how to fix it. Names of groups, skills and languages
are checked later, against the directory and the org's catalogs, by `resolve`.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    field_validator,
)

from skillsync.directory.interface import Directory, Finding
from skillsync.errors import ConfigError
from skillsync.fixture import Org
from skillsync.ids import DirectoryGroupId, LanguageId, SkillId
from skillsync.words import listing, plural

Path_ = tuple[str | int, ...]
SkillLevel = Annotated[float, Field(ge=0.0, le=5.0, strict=True)]
LanguageLevel = Annotated[StrictInt, Field(ge=0, le=5)]


class PolicyModel(BaseModel):
    """Base of the policy's parts: unknown keys are mistakes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SkillGrant(PolicyModel):
    """A skill a rule grants, by Genesys Cloud name or id, at 0.0 to 5.0."""

    name: str = Field(min_length=1)
    proficiency: SkillLevel


class LanguageGrant(PolicyModel):
    """A language a rule grants, by name or id, at a whole 0 to 5."""

    name: str = Field(min_length=1)
    proficiency: LanguageLevel


class Rule(PolicyModel):
    """Members of `group`, direct or nested, are granted these."""

    group: str = Field(min_length=1)
    skills: tuple[SkillGrant, ...] = ()
    languages: tuple[LanguageGrant, ...] = ()


class Match(PolicyModel):
    """Which directory attribute meets which Genesys Cloud one."""

    directory: Literal["userName", "email", "externalId"] = "userName"
    genesys: Literal["email", "username", "id"] = "email"


class Policy(PolicyModel):
    """A whole policy file."""

    rules: tuple[Rule, ...] = Field(min_length=1)
    nesting: dict[str, tuple[str, ...]] = {}
    match: Match = Match()
    prune: bool = True
    max_removals: StrictInt | str = "10%"

    @field_validator("max_removals", mode="before")
    @classmethod
    def check_brake_type(cls, value: object) -> object:
        """Neither a fraction nor a flag is a count of users."""
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(brake_problem(value))

        return value

    @field_validator("max_removals")
    @classmethod
    def check_brake(cls, value: int | str) -> int | str:
        """A count of users, or a percentage such as `10%`."""
        if isinstance(value, int):
            if value < 0:
                raise ValueError("a count of users cannot be negative")

            return value

        number = value.strip().removesuffix("%")
        try:
            share = float(number)
        except ValueError:
            share = -1.0

        if not value.strip().endswith("%") or not 0 <= share <= 100:
            raise ValueError(brake_problem(value))

        return value.strip()

    def brake_limit(self, active_users: int) -> float:
        """The most users who may lose something before the brake trips."""
        if isinstance(self.max_removals, int):
            return float(self.max_removals)

        return active_users * float(self.max_removals.removesuffix("%")) / 100


def brake_problem(value: object) -> str:
    """Why `max_removals` is wrong, and what to write instead."""
    return (
        f"{value!r} is neither a count of users nor a percentage; "
        "write a whole number such as 25, or a percentage such as 10%"
    )


class LoadedPolicy(BaseModel):
    """A policy and where each of its values and keys sits in the file."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    path: Path
    policy: Policy
    marks: dict[Path_, tuple[int, int]]
    keys: dict[Path_, tuple[int, int]] = {}

    def at(self, *where: str | int) -> str:
        """`file:line:column` of a value, or of its nearest enclosing one."""
        line, column = position(self.marks, tuple(where))
        return f"{self.path}:{line}:{column}"

    def at_key(self, *where: str | int) -> str:
        """`file:line:column` of the key that holds a value, such as a parent
        group of `nesting`."""
        key = self.keys.get(tuple(where))
        return f"{self.path}:{key[0]}:{key[1]}" if key else self.at(*where)


def position(marks: Mapping[Path_, tuple[int, int]], where: Path_) -> tuple[int, int]:
    """The line and column of a value, or of its nearest enclosing one."""
    while where and where not in marks:
        where = where[:-1]

    return marks.get(where, (1, 1))


def text_position(text: str, index: int) -> str:
    """`line:column` of a character of `text`, counting from 1."""
    line = text.count("\n", 0, index) + 1
    column = index - text.rfind("\n", 0, index)
    return f"{line}:{column}"


def load_policy(path: Path) -> LoadedPolicy:
    """Read and check a policy file; a `ConfigError` names where it is wrong."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError(
            f"cannot read the policy {path}: {error.strerror or error}; pass the "
            "path of a YAML policy file (`skillsync sim generate` writes a sample)"
        ) from error

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start].decode("utf-8")
        raise ConfigError(
            f"{path}:{text_position(before, len(before))}: byte "
            f"{data[error.start]:#04x} is not UTF-8 text; save the policy as UTF-8"
        ) from error

    return parse_policy(text, path)


def parse_policy(text: str, path: Path) -> LoadedPolicy:
    """Check policy YAML text; `path` is only for messages."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.reader.ReaderError as error:
        raise ConfigError(
            f"{path}:{text_position(text, error.position)}: not valid YAML: character "
            f"#x{error.character:04x} is not allowed in YAML; remove it"
        ) from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError(f"{where}: not valid YAML: {problem}") from error

    if node is None:
        raise ConfigError(f"{path}: the policy is empty; it needs at least `rules`")

    marks: dict[Path_, tuple[int, int]] = {}
    keys: dict[Path_, tuple[int, int]] = {}
    data = to_python(node, (), marks, keys, path)
    try:
        policy = Policy.model_validate(data)
    except ValidationError as error:
        raise policy_error(error, path, marks, keys) from error

    return LoadedPolicy(path=path, policy=policy, marks=marks, keys=keys)


def to_python(
    node: yaml.Node,
    where: Path_,
    marks: dict[Path_, tuple[int, int]],
    keys: dict[Path_, tuple[int, int]],
    path: Path,
    *,
    inside: tuple[yaml.Node, ...] = (),
) -> Any:
    """Plain data from a YAML node, noting where each value and each key starts
    and refusing a key given twice (YAML itself would keep the last silently)."""
    start = node.start_mark
    marks[where] = (start.line + 1, start.column + 1)
    if any(node is outer for outer in inside):
        # NOTE: an alias of an anchor it sits inside would never end.
        raise ConfigError(
            f"{path}:{start.line + 1}:{start.column + 1}: this value's anchor is "
            "used by an alias inside the value itself; write the value out instead"
        )

    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key_start = key_node.start_mark
            spot = f"{path}:{key_start.line + 1}:{key_start.column + 1}"
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConfigError(f"{spot}: a key must be a name, not a list or map")

            key = yaml.SafeLoader(json.dumps("")).construct_object(key_node)
            if key in result:
                raise ConfigError(f"{spot}: {key!r} is given twice here; keep one")

            keys[(*where, key)] = (key_start.line + 1, key_start.column + 1)
            result[key] = to_python(
                value_node, (*where, key), marks, keys, path, inside=(*inside, node)
            )

        return result

    if isinstance(node, yaml.SequenceNode):
        return [
            to_python(item, (*where, index), marks, keys, path, inside=(*inside, node))
            for index, item in enumerate(node.value)
        ]

    return yaml.SafeLoader(json.dumps("")).construct_object(node)


def policy_error(
    error: ValidationError,
    path: Path,
    marks: dict[Path_, tuple[int, int]],
    keys: dict[Path_, tuple[int, int]],
) -> ConfigError:
    """The first validation problem, placed in the file, with the rest counted.

    A problem deep inside a value also makes the value as a whole fail (a rule
    with a bad skill leaves `rules` too short); only the deepest is told. An
    unknown key is placed at the key, any other problem at the value.
    """
    problems = error.errors()
    locs = [tuple(p["loc"]) for p in problems]
    problems = [
        p
        for p, loc in zip(problems, locs, strict=True)
        if not any(other[: len(loc)] == loc and other != loc for other in locs)
    ]
    first = problems[0]
    loc: Path_ = tuple(first["loc"])
    unknown = first["type"] == "extra_forbidden" and loc in keys
    line, column = keys[loc] if unknown else position(marks, loc)
    more = len(problems) - 1
    extra = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    field = f"{dotted(loc)}: " if loc else ""
    return ConfigError(
        f"{path}:{line}:{column}: {field}{explain_problem(first)}{extra}"
    )


def dotted(loc: Path_) -> str:
    """A location as `rules[0].skills[1].proficiency`."""
    return "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc
    ).lstrip(".")


SHAPES = {
    "model_type": "write a mapping of keys and values here",
    "dict_type": "write a mapping of keys and values here",
    "tuple_type": "write a list here",
}


def explain_problem(problem: Any) -> str:
    """A validation problem in the policy's own words."""
    kind = problem["type"]
    loc = problem["loc"]
    field = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        return f"unknown key {field!r}; check its spelling against the policy reference"

    if kind == "missing":
        return f"{field!r} is required here"

    if kind == "too_short" and loc == ("rules",):
        return "the policy needs at least one rule"

    if field == "proficiency" and "languages" in loc:
        return (
            f"{problem['input']!r} is not a language proficiency; write a whole "
            "number from 0 to 5"
        )

    if field == "proficiency":
        return (
            f"{problem['input']!r} is not a skill proficiency; write a number "
            "from 0.0 to 5.0"
        )

    return shape_problem(problem)


def shape_problem(problem: Any) -> str:
    """Any other problem, with a value of the wrong kind told in YAML's words."""
    if not problem["loc"]:
        return "the policy must be a mapping with `rules` at the top level"

    if problem["type"] == "string_type":
        return f"{problem['input']!r} is not text; put it in quotes"

    fallback = str(problem["msg"]).removeprefix("Value error, ")
    return SHAPES.get(problem["type"], fallback)


def policy_schema() -> str:
    """A JSON Schema of the policy file, for editors."""
    schema = Policy.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "skillsync policy"
    return json.dumps(schema, indent=2)


def grants(policy: Policy) -> Iterator[tuple[int, Rule]]:
    """The rules with their index, for messages that point back at them."""
    yield from enumerate(policy.rules)


# Names to ids, against the directory and the org's catalogs.


@dataclass(frozen=True, slots=True)
class Grant:
    """One rule with its names resolved: what members of `group` are granted."""

    group: DirectoryGroupId
    skills: tuple[tuple[SkillId, float], ...]
    languages: tuple[tuple[LanguageId, int], ...]


@dataclass(frozen=True, slots=True)
class ResolvedPolicy:
    """A policy whose groups, skills and languages are ids of this directory and
    this org; the managed skills and languages are exactly those it names."""

    loaded: LoadedPolicy
    grants: tuple[Grant, ...]
    granting: tuple[DirectoryGroupId, ...]
    nesting: tuple[tuple[DirectoryGroupId, DirectoryGroupId], ...]
    managed_skills: frozenset[SkillId]
    managed_languages: frozenset[LanguageId]
    findings: tuple[Finding, ...]

    @property
    def policy(self) -> Policy:
        """The policy as written."""
        return self.loaded.policy


def resolve(loaded: LoadedPolicy, directory: Directory, org: Org) -> ResolvedPolicy:
    """Resolve every name of the policy, or raise a `ConfigError` that points at
    the name and suggests the closest ones."""
    groups = GroupNames(directory, loaded)
    skills = CatalogNames("skill", [(s.id, s.name, s.state) for s in org.skills])
    languages = CatalogNames(
        "language", [(x.id, x.name, x.state) for x in org.languages]
    )
    grants = tuple(
        Grant(
            groups.find(rule.group, "rules", index, "group"),
            tuple(
                (
                    SkillId(skills.find(g.name, loaded, "rules", index, "skills", n)),
                    g.proficiency,
                )
                for n, g in enumerate(rule.skills)
            ),
            tuple(
                (
                    LanguageId(
                        languages.find(g.name, loaded, "rules", index, "languages", n)
                    ),
                    g.proficiency,
                )
                for n, g in enumerate(rule.languages)
            ),
        )
        for index, rule in enumerate(loaded.policy.rules)
    )
    nesting = tuple(
        (
            groups.find(parent, "nesting", parent, key=True),
            groups.find(child, "nesting", parent, n),
        )
        for parent, children in loaded.policy.nesting.items()
        for n, child in enumerate(children)
    )
    return ResolvedPolicy(
        loaded=loaded,
        grants=grants,
        granting=tuple(dict.fromkeys(grant.group for grant in grants)),
        nesting=nesting,
        managed_skills=frozenset(s for g in grants for s, _ in g.skills),
        managed_languages=frozenset(x for g in grants for x, _ in g.languages),
        findings=(*groups.findings(), *skills.findings(), *languages.findings()),
    )


class GroupNames:
    """Directory groups by id and by display name, for the policy's names."""

    def __init__(self, directory: Directory, loaded: LoadedPolicy) -> None:
        self.directory = directory
        self.loaded = loaded
        self.by_name: dict[str, list[DirectoryGroupId]] = {}
        for group in directory.groups.values():
            self.by_name.setdefault(group.display_name, []).append(group.id)

    def find(self, name: str, *where: str | int, key: bool = False) -> DirectoryGroupId:
        """The group a policy name means: an id, else a unique display name.
        `where` leads to the name, or with `key` to the key that is the name."""
        if name in self.directory.groups:
            return DirectoryGroupId(name)

        found = self.by_name.get(name, [])
        if len(found) == 1:
            return found[0]

        place = self.loaded.at_key(*where) if key else self.loaded.at(*where)
        source = self.directory.source
        if found:
            ids = ", ".join(sorted(found))
            raise ConfigError(
                f"{place}: {len(found)} groups of {source} are named {name!r} "
                f"(ids {ids}); name the one you mean by its id"
            )

        raise ConfigError(
            f"{place}: {source} has no group named {name!r}"
            + suggestions(name, self.by_name)
            + "; name a group by its display name or its id"
        )

    def findings(self) -> list[Finding]:
        """One finding for the display names several groups share."""
        shared = {n: ids for n, ids in self.by_name.items() if len(ids) > 1}
        if not shared:
            return []

        named = [
            f"{n!r} ({', '.join(sorted(ids))})" for n, ids in sorted(shared.items())
        ]
        return [
            Finding(
                "duplicate-group-name",
                f"{plural(len(shared), 'display name')} of {self.directory.source} "
                f"{'is' if len(shared) == 1 else 'are'} shared by several groups: "
                f"{listing(named)}; a policy must name those groups by id",
            )
        ]


class CatalogNames:
    """An org catalog by id and by name, noting inactive entries the policy uses."""

    def __init__(self, noun: str, entries: Sequence[tuple[str, str, str]]) -> None:
        self.noun = noun
        self.states = {entry_id: state for entry_id, _, state in entries}
        self.names = {entry_id: name for entry_id, name, _ in entries}
        self.by_name: dict[str, list[str]] = {}
        self.by_folded: dict[str, list[str]] = {}
        for entry_id, name, _ in entries:
            self.by_name.setdefault(name, []).append(entry_id)
            self.by_folded.setdefault(name.casefold(), []).append(entry_id)

        self.used: set[str] = set()

    def find(self, name: str, loaded: LoadedPolicy, *where: str | int) -> str:
        """The catalog id a policy name means: an id, else a unique name (exact,
        then ignoring case)."""
        found = [name] if name in self.states else self.by_name.get(name, [])
        if not found:
            found = self.by_folded.get(name.casefold(), [])

        if len(found) == 1:
            self.used.add(found[0])
            return found[0]

        place = loaded.at(*where, "name")
        if found:
            raise ConfigError(
                f"{place}: {len(found)} {self.noun}s of the org are named {name!r} "
                f"(ids {', '.join(sorted(found))}); name the one you mean by its id"
            )

        raise ConfigError(
            f"{place}: the org has no {self.noun} named {name!r}"
            + suggestions(name, self.by_name)
            + f"; check the name in Genesys Cloud's {self.noun} list"
        )

    def findings(self) -> list[Finding]:
        """One finding per inactive or deleted entry the policy grants."""
        return [
            Finding(
                f"{self.state_of(entry)}-{self.noun}",
                f"the policy grants the {self.noun} {self.names[entry]!r} ({entry}), "
                f"which is {self.state_of(entry)} in Genesys Cloud; "
                "agents holding it are not routed by it",
            )
            for entry in sorted(self.used)
            if self.state_of(entry) != "active"
        ]

    def state_of(self, entry: str) -> str:
        """An entry's state in the catalog."""
        return self.states[entry]


def suggestions(name: str, known: Mapping[str, object]) -> str:
    """ ", did you mean 'A' or 'B'?" for the closest known names, else nothing."""
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    if not close:
        return ""

    return ", did you mean " + " or ".join(repr(c) for c in close) + "?"
