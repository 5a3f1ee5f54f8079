"""Turning SCIM member entries into containment, the same for every SCIM source.

Servers disagree on how they mark a member (RFC 7643 allows `type`, `$ref`,
both or neither), so each entry is resolved by the first of these that works:
its `type`, the resource kind its `$ref` points at, then looking its `value` up
among users and then groups. An entry that resolves to nothing is a finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from skillsync.directory.interface import DirectoryGroup, DirectoryUser, Finding
from skillsync.ids import DirectoryGroupId, DirectoryUserId


@dataclass(frozen=True, slots=True)
class MemberEntry:
    """One entry of a SCIM group's `members`, as the server sent it."""

    value: str
    type: str | None = None
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class RawGroup:
    """A SCIM group before its members are resolved."""

    id: DirectoryGroupId
    display_name: str
    members: tuple[MemberEntry, ...]


def kind_of(entry: MemberEntry) -> str | None:
    """ "User" or "Group" when the entry says which, else None."""
    declared = (entry.type or "").strip().lower()
    if declared in {"user", "group"}:
        return declared.capitalize()

    ref = (entry.ref or "").rstrip("/")
    for kind in ("Users", "Groups"):
        if f"/{kind}/" in ref or ref.endswith(f"/{kind}"):
            return kind.removesuffix("s")

    return None


def resolve_groups(
    raw_groups: Iterable[RawGroup],
    users: Mapping[DirectoryUserId, DirectoryUser],
    source: str,
) -> tuple[dict[DirectoryGroupId, DirectoryGroup], list[Finding]]:
    """Groups with their members split into users and groups, and a finding for
    each entry that names neither a known user nor a known group."""
    raw = {group.id: group for group in raw_groups}
    groups: dict[DirectoryGroupId, DirectoryGroup] = {}
    findings: list[Finding] = []
    for group in raw.values():
        member_users: list[DirectoryUserId] = []
        member_groups: list[DirectoryGroupId] = []
        for entry in group.members:
            kind = kind_of(entry) or lookup(entry.value, users, raw)
            if kind == "User" and entry.value in users:
                member_users.append(DirectoryUserId(entry.value))
            elif kind == "Group" and entry.value in raw:
                member_groups.append(DirectoryGroupId(entry.value))
            else:
                findings.append(unresolved(group, entry, kind, source))

        groups[group.id] = DirectoryGroup(
            group.id, group.display_name, tuple(member_users), tuple(member_groups)
        )

    return groups, findings


def lookup(
    value: str,
    users: Mapping[DirectoryUserId, DirectoryUser],
    groups: Mapping[DirectoryGroupId, RawGroup],
) -> str | None:
    """The kind of resource `value` is the id of; users first, as RFC 7643's
    examples list them first."""
    if value in users:
        return "User"

    if value in groups:
        return "Group"

    return None


def unresolved(
    group: RawGroup, entry: MemberEntry, kind: str | None, source: str
) -> Finding:
    """The finding for a member entry that names nothing in the directory."""
    what = f"a {kind.lower()} " if kind else ""
    return Finding(
        "unresolved-member",
        f"group {group.display_name!r} ({group.id}) lists member {entry.value!r}, "
        f"which is not {what or 'a user or group '}in {source}; it is ignored",
    )
