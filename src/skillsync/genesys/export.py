"""`org export`: a whole org read into the fixture format, in the fewest calls.

The users' listing, expanded with skills, languages and groups, carries nearly
everything: the only other reads are the two catalogs and the group listing.
Where the API dropped an expansion (it may), the user's own skill or language
listing fills it in, and a group whose member count disagrees with what the
users said has its members read directly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from skillsync.fixture import (
    Group,
    HeldLanguage,
    HeldSkill,
    Language,
    Org,
    Skill,
    save_org,
)
from skillsync.fixture import User as FixtureUser
from skillsync.genesys.api import GenesysApi
from skillsync.genesys.client import GenesysClient, run_sync
from skillsync.genesys.connection import Connection
from skillsync.genesys.models import (
    Group as ApiGroup,
)
from skillsync.genesys.models import (
    User,
    UserRoutingLanguage,
    UserRoutingSkill,
)
from skillsync.ids import GenesysGroupId, GenesysUserId
from skillsync.progress import QUIET, Observer

logger = logging.getLogger(__name__)

Members = dict[GenesysGroupId, list[GenesysUserId]]
Nested = dict[GenesysGroupId, list[GenesysGroupId]]

EXPAND = ("skills", "languages", "groups")


@dataclass(frozen=True, slots=True)
class OrgRead:
    """A whole org as read, and any groups the API listed as members of groups.

    Genesys Cloud groups are flat, so `nested` is empty unless the API one day
    lists a group among a group's members; the fixture cannot hold such entries,
    but the Genesys directory source follows them.
    """

    org: Org
    nested: dict[GenesysGroupId, list[GenesysGroupId]]


async def export_org(api: GenesysApi, observer: Observer = QUIET) -> Org:
    """Read catalogs, users of every state and groups, and return them as an org."""
    return (await read_org(api, observer)).org


async def read_org(
    api: GenesysApi,
    observer: Observer = QUIET,
    *,
    state: str = "any",
    groups: bool = True,
) -> OrgRead:
    """Read the catalogs, the users in `state` and, with `groups`, the groups
    and their members, in the fewest calls."""
    observer.phase("reading Genesys Cloud")
    expand = EXPAND if groups else EXPAND[:2]
    listings = await asyncio.gather(
        api.skills(),
        api.languages(),
        api.users(state, expand),
        api.groups() if groups else no_groups(),
    )
    skills, languages, users, group_list = listings
    logger.info(
        "read %d users, %d groups, %d skills and %d languages from Genesys Cloud",
        len(users),
        len(group_list),
        len(skills),
        len(languages),
    )
    users = await fill_dropped_expansions(api, once_each(users), observer)
    members, nested = await group_members(api, users, group_list, observer)
    org = Org(
        skills=[Skill(id=s.id, name=s.name, state=s.state) for s in skills],
        languages=[Language(id=x.id, name=x.name, state=x.state) for x in languages],
        users=[fixture_user(user) for user in users],
        groups=[Group(id=g.id, name=g.name, members=members[g.id]) for g in group_list],
    )
    return OrgRead(org, nested)


async def no_groups() -> list[ApiGroup]:
    """The group listing of a read that does not need groups."""
    return []


def once_each(users: Sequence[User]) -> list[User]:
    """Users without repeats: pages read while the org changes may overlap."""
    seen: set[GenesysUserId] = set()
    unique = []
    for user in users:
        if user.id not in seen:
            seen.add(user.id)
            unique.append(user)

    return unique


async def fill_dropped_expansions(
    api: GenesysApi, users: Sequence[User], observer: Observer
) -> list[User]:
    """Users whose skills or languages are known, reading them where dropped."""
    dropped = [u for u in users if u.skills is None or u.languages is None]
    if not dropped:
        return list(users)

    logger.info("%d users came without skills or languages; reading them", len(dropped))
    observer.phase("reading dropped expansions", len(dropped))
    filled = await asyncio.gather(*(fill_user(api, u, observer) for u in dropped))
    replaced = {user.id: user for user in filled}
    return [replaced.get(user.id, user) for user in users]


async def fill_user(api: GenesysApi, user: User, observer: Observer) -> User:
    """The user with its skills and languages read from their own listings."""
    skills: list[UserRoutingSkill] | None = user.skills
    languages: list[UserRoutingLanguage] | None = user.languages
    if skills is None:
        skills = await api.user_skills(user.id)

    if languages is None:
        languages = await api.user_languages(user.id)

    observer.advance()
    return user.model_copy(update={"skills": skills, "languages": languages})


async def group_members(
    api: GenesysApi,
    users: Sequence[User],
    groups: Sequence[ApiGroup],
    observer: Observer,
) -> tuple[Members, Nested]:
    """Each group's members, from the users' `groups` expansion; a group whose
    `memberCount` disagrees with that (a user's expansion was dropped, or the
    count includes members the expansion does not show) is read directly."""
    members: Members = {g.id: [] for g in groups}
    nested: Nested = {}
    for user in users:
        for reference in user.groups or ():
            members.setdefault(reference.id, []).append(user.id)

    doubtful = [g for g in groups if g.memberCount != len(members[g.id])]
    if doubtful:
        logger.info("reading the members of %d groups directly", len(doubtful))
        observer.phase("reading group members", len(doubtful))
        listed = await asyncio.gather(
            *(api.group_individuals(group.id) for group in doubtful)
        )
        known = {user.id for user in users}
        group_ids: set[str] = set(members)
        for group, individuals in zip(doubtful, listed, strict=True):
            ids = [entity.id for entity in individuals]
            members[group.id] = [i for i in ids if i in known]
            children = [GenesysGroupId(i) for i in ids if i in group_ids]
            if children:
                nested[group.id] = children

            observer.advance()

    return members, nested


def fixture_user(user: User) -> FixtureUser:
    """A user as the fixture holds it."""
    return FixtureUser(
        id=user.id,
        name=user.name,
        email=user.email,
        username=user.username,
        state=user.state,
        skills=[
            HeldSkill(id=s.id, proficiency=s.proficiency) for s in user.skills or ()
        ],
        languages=[
            HeldLanguage(id=x.id, proficiency=round(x.proficiency))
            for x in user.languages or ()
        ],
    )


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What `export_org_file` wrote, and the API calls it took."""

    org: Org
    path: Path
    calls: int


def export_org_file(
    connection: Connection,
    path: Path,
    *,
    rate_limit: int | None = None,
    observer: Observer = QUIET,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ExportResult:
    """Export the org `connection` points at into the fixture file `path`.

    The file is written only once the whole org is read; it leaves out OAuth
    clients, so it holds no secret.
    """

    async def run() -> tuple[Org, int]:
        async with GenesysClient(
            connection, rate_limit=rate_limit, observer=observer, transport=transport
        ) as client:
            return await export_org(GenesysApi(client), observer), client.calls

    org, calls = run_sync(run)
    save_org(path, org, clients=False)
    return ExportResult(org, path, calls)
