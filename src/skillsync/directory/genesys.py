"""Genesys Cloud's own groups as a directory: flat, but the org's own truth.

With `--genesys` the directory users are the Genesys Cloud users themselves, so
their directory ids are their Genesys ids and no matching is needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from skillsync.directory.interface import Directory, DirectoryGroup, DirectoryUser
from skillsync.fixture import Org
from skillsync.genesys.api import GenesysApi
from skillsync.genesys.client import GenesysClient, run_sync
from skillsync.genesys.connection import Connection
from skillsync.genesys.export import OrgRead, read_org
from skillsync.ids import DirectoryGroupId, DirectoryUserId, GenesysGroupId
from skillsync.progress import QUIET, Observer


class GenesysSource:
    """A directory read from the groups of the org `connection` points at."""

    def __init__(self, connection: Connection, rate_limit: int | None = None) -> None:
        self.connection = connection
        self.rate_limit = rate_limit

    def describe(self) -> str:
        """The org's API URL."""
        return f"the Genesys Cloud groups of {self.connection.api_url}"

    def read(self, observer: Observer = QUIET) -> Directory:
        """Read the org's users and groups."""

        async def run() -> OrgRead:
            async with GenesysClient(
                self.connection, rate_limit=self.rate_limit, observer=observer
            ) as client:
                return await read_org(GenesysApi(client), observer)

        read = run_sync(run)
        return org_directory(read.org, read.nested, self.describe())


def org_directory(
    org: Org,
    nested: Mapping[GenesysGroupId, Sequence[GenesysGroupId]],
    source: str,
) -> Directory:
    """An org's users and groups in the directory's terms; only `active` users
    count as active directory users."""
    users = {
        DirectoryUserId(u.id): DirectoryUser(
            id=DirectoryUserId(u.id),
            user_name=u.username,
            emails=(u.email,) if u.email else (),
            active=u.state == "active",
            display_name=u.name,
        )
        for u in org.users
    }
    groups = {
        DirectoryGroupId(g.id): DirectoryGroup(
            DirectoryGroupId(g.id),
            g.name,
            tuple(DirectoryUserId(m) for m in g.members),
            tuple(DirectoryGroupId(c) for c in nested.get(g.id, ())),
        )
        for g in org.groups
    }
    return Directory(source, users, groups)
