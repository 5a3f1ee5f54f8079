"""The calls skillsync makes, typed: listings read whole, and the skill writes.

Listings ask for 500 entities a page, the most the API gives, read the first
page to learn the page count and then fetch the rest concurrently, so a listing
costs exactly its page count in calls.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

import httpx
from pydantic import ValidationError

from skillsync.errors import GenesysError
from skillsync.genesys.client import GenesysClient
from skillsync.genesys.models import (
    ApiModel,
    Group,
    Page,
    RoutingLanguage,
    RoutingSkill,
    User,
    UserRoutingLanguage,
    UserRoutingSkill,
)
from skillsync.ids import GenesysGroupId, GenesysUserId, LanguageId, SkillId

PAGE_SIZE = 500
MAX_IDS = 100  # ids one user listing takes
MAX_BULK = 50  # items one PATCH bulk may carry
USERS = "/api/v2/users"
USER = "/api/v2/users/{userId}"
USER_SKILLS = "/api/v2/users/{userId}/routingskills"
USER_LANGUAGES = "/api/v2/users/{userId}/routinglanguages"

EntityT = TypeVar("EntityT", bound=ApiModel)

Params = dict[str, str | int]


class GenesysApi:
    """Typed reads and writes over one `GenesysClient`."""

    def __init__(self, client: GenesysClient) -> None:
        self.client = client

    # Reads.

    async def skills(self) -> list[RoutingSkill]:
        """The org's whole skill catalog, every state."""
        return await self.listing("/api/v2/routing/skills", RoutingSkill)

    async def languages(self) -> list[RoutingLanguage]:
        """The org's whole language catalog."""
        return await self.listing("/api/v2/routing/languages", RoutingLanguage)

    async def groups(self) -> list[Group]:
        """Every group of the org."""
        return await self.listing("/api/v2/groups", Group)

    async def users(
        self, state: str = "any", expand: Sequence[str] = ("skills", "languages")
    ) -> list[User]:
        """Every user in `state`, with the expansions asked for (best effort:
        an expansion the API dropped is None on that user)."""
        params: Params = {"state": state}
        if expand:
            params["expand"] = ",".join(expand)

        return await self.listing(USERS, User, params)

    async def users_by_id(self, ids: Sequence[GenesysUserId]) -> list[User]:
        """The users of `ids`, any state, with skills and languages, 100 a call
        (the most ids one listing takes); dropped expansions are filled in."""
        chunks = [ids[i : i + MAX_IDS] for i in range(0, len(ids), MAX_IDS)]
        pages = await asyncio.gather(
            *(self.page(USERS, Page[User], 1, by_ids(chunk), None) for chunk in chunks)
        )
        users = [user for page in pages for user in page.entities]
        return list(await asyncio.gather(*(self.complete(u) for u in users)))

    async def complete(self, user: User) -> User:
        """The user with its skills and languages, read where the API dropped
        the expansion."""
        if user.skills is None:
            user = user.model_copy(update={"skills": await self.user_skills(user.id)})

        if user.languages is None:
            languages = await self.user_languages(user.id)
            user = user.model_copy(update={"languages": languages})

        return user

    async def user(self, user_id: GenesysUserId) -> User:
        """One user with its skills and languages as they stand now."""
        answer = await self.client.request(
            "GET", USER, {"userId": user_id}, {"expand": "skills,languages"}
        )
        return await self.complete(validated_entity(answer, USER, User))

    async def group_individuals(self, group_id: GenesysGroupId) -> list[User]:
        """Every user added to a group one by one; never paged."""
        route = "/api/v2/groups/{groupId}/individuals"
        answer = await self.client.request("GET", route, {"groupId": group_id})
        return validated(answer, route, Page[User]).entities

    async def user_skills(self, user_id: GenesysUserId) -> list[UserRoutingSkill]:
        """The skills one user holds, from the authoritative per-user listing."""
        path = {"userId": user_id}
        return await self.listing(USER_SKILLS, UserRoutingSkill, path=path)

    async def user_languages(self, user_id: GenesysUserId) -> list[UserRoutingLanguage]:
        """The languages one user holds."""
        path = {"userId": user_id}
        return await self.listing(USER_LANGUAGES, UserRoutingLanguage, path=path)

    async def listing(
        self,
        route: str,
        model: type[EntityT],
        params: Params | None = None,
        path: Mapping[str, str] | None = None,
    ) -> list[EntityT]:
        """Every entity of a paged listing, in the API's order."""
        shape = Page[model]  # type: ignore[valid-type]
        first = await self.page(route, shape, 1, params, path)
        count = first.pageCount
        if count is None:
            return await self.pages_until_empty(route, shape, first, params, path)

        rest = await asyncio.gather(
            *(self.page(route, shape, n, params, path) for n in range(2, count + 1))
        )
        return [entity for page in (first, *rest) for entity in page.entities]

    async def pages_until_empty(
        self,
        route: str,
        shape: type[Page[EntityT]],
        first: Page[EntityT],
        params: Params | None,
        path: Mapping[str, str] | None,
    ) -> list[EntityT]:
        """Page on one by one, for a listing that does not give its page count."""
        entities = list(first.entities)
        number = 1
        page = first
        while len(page.entities) == PAGE_SIZE:
            number += 1
            page = await self.page(route, shape, number, params, path)
            entities += page.entities

        return entities

    async def page(
        self,
        route: str,
        shape: type[Page[EntityT]],
        number: int,
        params: Params | None,
        path: Mapping[str, str] | None,
    ) -> Page[EntityT]:
        """One page of a listing."""
        query: Params = {**(params or {}), "pageSize": PAGE_SIZE, "pageNumber": number}
        answer = await self.client.request("GET", route, path, query)
        return validated(answer, route, shape)

    # Writes.

    async def patch_skills(
        self, user_id: GenesysUserId, skills: Iterable[tuple[SkillId, float]]
    ) -> int:
        """Add or update skills, keeping the rest; returns the calls made."""
        items = [{"id": s, "proficiency": p} for s, p in skills]
        return await self.patch_bulk(USER_SKILLS + "/bulk", user_id, items)

    async def patch_languages(
        self, user_id: GenesysUserId, languages: Iterable[tuple[LanguageId, int]]
    ) -> int:
        """Add or update languages, keeping the rest; returns the calls made."""
        items = [{"id": lang, "proficiency": p} for lang, p in languages]
        return await self.patch_bulk(USER_LANGUAGES + "/bulk", user_id, items)

    async def patch_bulk(
        self, route: str, user_id: GenesysUserId, items: list[dict[str, object]]
    ) -> int:
        """PATCH `items` in chunks of at most 50; a repeat sets the same values."""
        chunks = [items[i : i + MAX_BULK] for i in range(0, len(items), MAX_BULK)]
        for chunk in chunks:
            await self.client.request("PATCH", route, {"userId": user_id}, body=chunk)

        return len(chunks)

    async def remove_skill(self, user_id: GenesysUserId, skill_id: SkillId) -> None:
        """Remove one skill; one already gone counts as removed."""
        path = {"userId": user_id, "skillId": skill_id}
        route = USER_SKILLS + "/{skillId}"
        await self.client.request("DELETE", route, path, missing_ok=True)

    async def remove_language(
        self, user_id: GenesysUserId, language_id: LanguageId
    ) -> None:
        """Remove one language; one already gone counts as removed."""
        path = {"userId": user_id, "languageId": language_id}
        route = USER_LANGUAGES + "/{languageId}"
        await self.client.request("DELETE", route, path, missing_ok=True)


def by_ids(ids: Sequence[GenesysUserId]) -> Params:
    """Listing parameters for these users, in any state, fully expanded."""
    return {
        "id": ",".join(ids),
        "state": "any",
        "expand": "skills,languages",
    }


def validated_entity(
    answer: httpx.Response, route: str, model: type[EntityT]
) -> EntityT:
    """One entity, or a `GenesysError` naming the field at fault."""
    try:
        return model.model_validate_json(answer.content)
    except ValidationError as error:
        raise unreadable(route, model.__name__, error) from error


def unreadable(route: str, shape: str, error: ValidationError) -> GenesysError:
    """The error for an answer that does not have the shape skillsync needs."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return GenesysError(
        f"GET {route} answered with a {shape} that skillsync cannot read: "
        f"{where}: {first['msg']}"
    )


def validated(
    answer: httpx.Response, route: str, shape: type[Page[EntityT]]
) -> Page[EntityT]:
    """The answer as `shape`, or a `GenesysError` naming the field at fault."""
    try:
        return shape.model_validate_json(answer.content)
    except ValidationError as error:
        raise unreadable(route, shape.__name__, error) from error
