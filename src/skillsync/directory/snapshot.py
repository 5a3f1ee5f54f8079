"""A directory snapshot: SCIM 2.0 users and groups in one JSON file.

`{"Users": [...], "Groups": [...]}`, each resource as RFC 7643 writes it, so a
snapshot and a live SCIM server read alike. A file with one resource per line,
as `sim generate` writes and as most exports do, is read a line at a time, so a
million users never sit in memory as JSON; any other layout is parsed whole.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from skillsync.bulk import collector_paused
from skillsync.directory.interface import Directory, DirectoryUser
from skillsync.directory.members import MemberEntry, RawGroup, resolve_groups
from skillsync.errors import ConfigError
from skillsync.ids import DirectoryGroupId, DirectoryUserId
from skillsync.progress import QUIET, Observer

logger = logging.getLogger(__name__)

SECTIONS = ("Users", "Groups")


@dataclass(frozen=True, slots=True)
class Resource:
    """One resource of the file: its section, its JSON, and where it was."""

    section: str
    index: int
    line: int | None
    data: Any


class SnapshotSource:
    """A directory read from a snapshot file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        """The snapshot's path."""
        return f"the snapshot {self.path}"

    def read(self, observer: Observer = QUIET) -> Directory:
        """Read and check every user and group of the file."""
        observer.phase(f"reading {self.path.name}")
        with collector_paused():
            try:
                users, raw_groups = self.collect(self.lines())
            except LayoutNotLineByLine:
                logger.debug(
                    "%s is not one resource per line; parsing it whole", self.path
                )
                users, raw_groups = self.collect(whole(self.path))

            groups, findings = resolve_groups(raw_groups, users, self.describe())

        logger.info(
            "read %d users and %d groups from %s", len(users), len(groups), self.path
        )
        return Directory(self.describe(), users, groups, tuple(findings))

    def collect(
        self, resources: Iterator[Resource]
    ) -> tuple[dict[DirectoryUserId, DirectoryUser], list[RawGroup]]:
        """Users by id and raw groups, refusing bad fields and repeated ids."""
        users: dict[DirectoryUserId, DirectoryUser] = {}
        groups: list[RawGroup] = []
        group_ids: set[DirectoryGroupId] = set()
        for resource in resources:
            where = self.where(resource)
            if resource.section == "Users":
                user = parse_user(resource, where)
                if user.id in users:
                    raise ConfigError(f"{where}: user id {user.id!r} appears twice")

                users[user.id] = user
            else:
                group = parse_group(resource, where)
                if group.id in group_ids:
                    raise ConfigError(f"{where}: group id {group.id!r} appears twice")

                group_ids.add(group.id)
                groups.append(group)

        return users, groups

    def where(self, resource: Resource) -> str:
        """A resource's place in the file, for error messages."""
        at = f", line {resource.line}" if resource.line is not None else ""
        return f"{self.path}{at}: {resource.section}[{resource.index}]"

    def lines(self) -> Iterator[Resource]:
        """Every resource of a file laid out one per line."""
        try:
            with self.path.open("rb") as lines:
                yield from by_line(lines)
        except OSError as error:
            raise ConfigError(
                f"cannot read the snapshot {self.path}: {error.strerror}; pass the "
                "path of a JSON file with Users and Groups, as `sim generate` writes"
            ) from error


class LayoutNotLineByLine(Exception):
    """The file does not hold one resource per line; parse it whole instead."""


# Lines that open a section, once spaces and a trailing comma are dropped.
SECTION_LINES = {
    opener + b'"' + name.encode() + b'":[': name
    for name in SECTIONS
    for opener in (b"", b"{", b"],", b"]},")
}
# Lines that only close or open brackets.
BRACKET_LINES = {b"", b"{", b"}", b"]", b"]}", b'{"Users":[]', b'"Users":[]'}


def by_line(lines: Iterator[bytes]) -> Iterator[Resource]:
    """Resources of a file laid out a resource per line, between lines that
    open and close the `Users` and `Groups` arrays (`{"Users": [`, `],`,
    `"Groups": [`, `]}` and the like)."""
    section = ""
    index = 0
    for number, raw in enumerate(lines, start=1):
        text = raw.strip().removesuffix(b",")
        bare = text.replace(b" ", b"")
        if bare in SECTION_LINES:
            section = SECTION_LINES[bare]
            index = 0
        elif bare in BRACKET_LINES:
            continue
        elif section and text.startswith(b"{") and text.endswith(b"}"):
            try:
                data = orjson.loads(text)
            except orjson.JSONDecodeError as error:
                raise LayoutNotLineByLine from error

            yield Resource(section, index, number, data)
            index += 1
        else:
            raise LayoutNotLineByLine


def whole(path: Path) -> Iterator[Resource]:
    """Resources of a file parsed in one go."""
    try:
        document = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as error:
        raise ConfigError(
            f"{path} is not valid JSON: {error}; a snapshot is an object with "
            '"Users" and "Groups" arrays'
        ) from error

    if not isinstance(document, dict) or not set(document) <= set(SECTIONS):
        found = sorted(document) if isinstance(document, dict) else "something else"
        raise ConfigError(
            f'{path}: a snapshot is an object whose only keys are "Users" and '
            f'"Groups"; found {found}'
        )

    for section in SECTIONS:
        entries = document.get(section, [])
        if not isinstance(entries, list):
            raise ConfigError(f'{path}: "{section}" must be an array of resources')

        for index, data in enumerate(entries):
            yield Resource(section, index, None, data)


def parse_user(resource: Resource, where: str) -> DirectoryUser:
    """A SCIM user resource as a `DirectoryUser`, refusing bad fields."""
    data = record(resource, where)
    emails = data.get("emails") or []
    if not isinstance(emails, list) or not all(
        isinstance(e, dict) and isinstance(e.get("value"), str) for e in emails
    ):
        raise ConfigError(
            f'{where}: "emails" must be a list of {{"value": ...}} objects'
        )

    ordered = sorted(emails, key=lambda e: not e.get("primary", False))
    active = data.get("active", True)
    if not isinstance(active, bool):
        raise ConfigError(f'{where}: "active" must be true or false, not {active!r}')

    return DirectoryUser(
        id=DirectoryUserId(text_field(data, "id", where)),
        user_name=text_field(data, "userName", where),
        emails=tuple(e["value"] for e in ordered),
        external_id=optional_text(data, "externalId", where),
        active=active,
        display_name=optional_text(data, "displayName", where) or "",
    )


def parse_group(resource: Resource, where: str) -> RawGroup:
    """A SCIM group resource, its members not yet resolved."""
    data = record(resource, where)
    members = data.get("members") or []
    if not isinstance(members, list):
        raise ConfigError(f'{where}: "members" must be a list')

    entries = []
    for number, member in enumerate(members):
        if not isinstance(member, dict) or not isinstance(member.get("value"), str):
            raise ConfigError(
                f'{where}.members[{number}] must be an object with a string "value"'
            )

        entries.append(
            MemberEntry(member["value"], member.get("type"), member.get("$ref"))
        )

    return RawGroup(
        DirectoryGroupId(text_field(data, "id", where)),
        text_field(data, "displayName", where),
        tuple(entries),
    )


def record(resource: Resource, where: str) -> dict[str, Any]:
    """The resource's JSON object, or an error saying it is not one."""
    if not isinstance(resource.data, dict):
        raise ConfigError(f"{where} must be a JSON object")

    return resource.data


def text_field(data: dict[str, Any], name: str, where: str) -> str:
    """A required, non-empty string field."""
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise ConfigError(f'{where} needs "{name}", a non-empty string')

    return value


def optional_text(data: dict[str, Any], name: str, where: str) -> str | None:
    """An optional string field."""
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f'{where}: "{name}" must be a string')

    return value
