"""Everything a plan is computed from, read at once: the org and the directory.

Reading calls only read endpoints; the directory is read while the org is, and
with Genesys Cloud's own groups as the directory the org is read only once.
`planned` then turns what was read and a policy into a plan, without any I/O.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import httpx

from skillsync.directory.genesys import org_directory
from skillsync.directory.interface import Directory, DirectorySource
from skillsync.directory.scim import scim_source_from_env
from skillsync.directory.snapshot import SnapshotSource
from skillsync.fixture import Org
from skillsync.genesys.api import GenesysApi
from skillsync.genesys.client import GenesysClient, run_sync
from skillsync.genesys.connection import Connection
from skillsync.genesys.export import read_org
from skillsync.graph import GroupGraph
from skillsync.match import Matching, identity, match_users
from skillsync.plan import Plan, make_plan
from skillsync.policy import LoadedPolicy, ResolvedPolicy, load_policy, resolve
from skillsync.progress import QUIET, Observer


@dataclass(frozen=True, slots=True)
class World:
    """The org and the directory as read; `own_groups` when the directory is
    the org's own groups, whose users need no matching."""

    org: Org
    directory: Directory
    own_groups: bool


@dataclass(frozen=True, slots=True)
class Planned:
    """A plan with what it was made from, which `explain` and `graph` show."""

    plan: Plan
    world: World
    resolved: ResolvedPolicy
    graph: GroupGraph
    matching: Matching


def source_for(
    snapshot: Path | None, scim: str | None, environ: dict[str, str]
) -> DirectorySource | None:
    """The directory source the options name; None means the org's own groups."""
    if snapshot is not None:
        return SnapshotSource(snapshot)

    if scim is not None:
        return scim_source_from_env(scim, environ)

    return None


async def read_world(
    api: GenesysApi, source: DirectorySource | None, observer: Observer = QUIET
) -> World:
    """Read the org and the directory, side by side."""
    if source is None:
        read = await read_org(api, observer, state="any", groups=True)
        own = f"the Genesys Cloud groups of {api.client.connection.api_url}"
        return World(read.org, org_directory(read.org, read.nested, own), True)

    org_read, directory = await asyncio.gather(
        read_org(api, observer, state="active", groups=False),
        asyncio.to_thread(source.read, observer),
    )
    return World(org_read.org, directory, False)


def planned(loaded: LoadedPolicy, world: World) -> Planned:
    """The plan of `loaded` over `world`, with its working parts."""
    resolved = resolve(loaded, world.directory, world.org)
    graph = GroupGraph(world.directory, resolved.nesting)
    if world.own_groups:
        matching = identity(world.directory, world.org)
    else:
        matching = match_users(world.directory, world.org, loaded.policy.match)

    plan = make_plan(resolved, world.directory, world.org, matching, graph)
    return Planned(plan, world, resolved, graph, matching)


@dataclass(frozen=True, slots=True)
class Target:
    """The org to read and write, and how fast; `transport` is for tests."""

    connection: Connection
    rate_limit: int | None = None
    transport: httpx.AsyncBaseTransport | None = None

    def client(self, observer: Observer = QUIET) -> GenesysClient:
        """A client for this org."""
        return GenesysClient(
            self.connection,
            rate_limit=self.rate_limit,
            observer=observer,
            transport=self.transport,
        )


def plan_policy(
    policy: Path,
    source: DirectorySource | None,
    target: Target,
    observer: Observer = QUIET,
) -> Planned:
    """Load the policy, read the org and the directory, and plan."""
    loaded = load_policy(policy)

    async def run() -> Planned:
        async with target.client(observer) as client:
            world = await read_world(GenesysApi(client), source, observer)

        return planned(loaded, world)

    return run_sync(run)
