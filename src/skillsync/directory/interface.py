"""The directory as every source returns it: users, groups and containment.

A directory group's members are users or other groups; that nesting is what
skillsync resolves. Ids here are directory ids, never Genesys Cloud ids: the
`match` step is the only place one becomes the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from skillsync.ids import DirectoryGroupId, DirectoryUserId
from skillsync.progress import QUIET, Observer


@dataclass(frozen=True, slots=True)
class DirectoryUser:
    """A person in the directory; `emails` lists the primary address first."""

    id: DirectoryUserId
    user_name: str
    emails: tuple[str, ...] = ()
    external_id: str | None = None
    active: bool = True
    display_name: str = ""


@dataclass(frozen=True, slots=True)
class DirectoryGroup:
    """A group and its direct members: users, and groups it contains."""

    id: DirectoryGroupId
    display_name: str
    users: tuple[DirectoryUserId, ...] = ()
    groups: tuple[DirectoryGroupId, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """Something worth telling that stops nothing: `kind` groups alike findings,
    `message` names the users and groups concerned and what it means."""

    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class Directory:
    """What a source read; `source` says where from, for messages."""

    source: str
    users: Mapping[DirectoryUserId, DirectoryUser]
    groups: Mapping[DirectoryGroupId, DirectoryGroup]
    findings: tuple[Finding, ...] = ()

    def memberships(self) -> int:
        """Direct member entries over all groups, users and groups alike."""
        return sum(len(g.users) + len(g.groups) for g in self.groups.values())


class DirectorySource(Protocol):
    """A place skillsync reads a directory from."""

    def describe(self) -> str:
        """Where the directory is, for messages: a path or a URL."""
        ...

    def read(self, observer: Observer = QUIET) -> Directory:
        """Read every user and group, raising `SourceError` when that fails."""
        ...
