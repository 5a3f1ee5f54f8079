"""The Genesys Cloud endpoints the simulator serves, one method each.

Handlers see a request that already passed authentication, the rate limit and
permission checks; they read or change the `OrgState` and return the answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from starlette.requests import Request
from starlette.responses import Response

from skillsync.fixture import Language, Skill
from skillsync.ids import GenesysGroupId, GenesysUserId, LanguageId, SkillId
from skillsync.simulator import render
from skillsync.simulator.faults import Faults
from skillsync.simulator.protocol import (
    JSON,
    ApiError,
    descending,
    empty_response,
    envelope,
    ids_param,
    json_response,
    list_param,
    paging,
    whole_listing,
)
from skillsync.simulator.state import InvalidWrite, OrgState, SimGroup, SimUser

T = TypeVar("T")
CatalogT = TypeVar("CatalogT", Skill, Language)
NamedT = TypeVar("NamedT", SimUser, SimGroup)
Handler = Callable[[Request], Awaitable[Response]]

MAX_BULK = 50
INACTIVE_RESULT_CAP = 10_000
USER_EXPANSIONS = frozenset({"skills", "languages", "groups"})
SKILL_ASSIGN = ("routing:skill:assign",)
LANGUAGE_ASSIGN = ("routing:skill:assign", "routing:language:assign")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A route: method, path template, handler, and the permissions of which
    the token's client needs any one (none needed when empty)."""

    method: str
    template: str
    handler: Handler
    permissions: tuple[str, ...] = ()
    writes: bool = False


def order(items: Sequence[T], request: Request) -> Sequence[T]:
    """Items in listing order, reversed when `sortOrder` asks for it."""
    return items[::-1] if descending(request.query_params) else items


async def read_json(request: Request) -> object:
    """The request body as JSON; malformed JSON is a 400."""
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise ApiError(400, "the request body is not valid JSON") from None


def proficiency_item(item: object, where: str) -> tuple[str, float]:
    """An `{id, proficiency}` object of a write body."""
    if not isinstance(item, dict):
        raise ApiError(400, "each item must be an object", field=where)

    item_id = item.get("id")
    proficiency = item.get("proficiency")
    if not isinstance(item_id, str) or not item_id:
        raise ApiError(400, "id is required", field=f"{where}.id")

    if isinstance(proficiency, bool) or not isinstance(proficiency, int | float):
        raise ApiError(400, "proficiency must be a number", f"{where}.proficiency")

    return item_id, float(proficiency)


async def bulk_items(request: Request) -> list[tuple[str, float]]:
    """The list body of a bulk write: at most 50 items, no id twice."""
    body = await read_json(request)
    if not isinstance(body, list):
        raise ApiError(400, "the body must be a list")

    if len(body) > MAX_BULK:
        raise ApiError(400, f"a bulk request may hold at most {MAX_BULK} items")

    items = [proficiency_item(item, f"[{i}]") for i, item in enumerate(body)]
    if len({item_id for item_id, _ in items}) != len(items):
        raise ApiError(400, "the same id appears twice in the body")

    return items


def by_name(
    entities: Mapping[Any, NamedT], ids: list[str], keep: Callable[[NamedT], bool]
) -> list[NamedT]:
    """The entities an `id` list names, in listing order, looked up directly so
    that a short list costs no scan of a large org."""
    found = {i: entities[i] for i in ids if i in entities}
    return sorted((e for e in found.values() if keep(e)), key=lambda e: (e.name, e.id))


class Endpoints:
    """Request handlers over one org state."""

    def __init__(self, state: OrgState, faults: Faults, rate_limit: int) -> None:
        self.state = state
        self.faults = faults
        self.rate_limit = rate_limit

    def table(self) -> list[Endpoint]:
        """Every route the simulator answers, most specific first."""
        users = "/api/v2/users/{userId}"
        skills = users + "/routingskills"
        languages = users + "/routinglanguages"
        return [
            Endpoint("GET", "/api/v2/groups", self.list_groups),
            Endpoint("GET", "/api/v2/groups/{groupId}", self.get_group),
            Endpoint("GET", "/api/v2/groups/{groupId}/members", self.group_members),
            Endpoint("GET", "/api/v2/groups/{groupId}/individuals", self.individuals),
            Endpoint("GET", "/api/v2/users", self.list_users),
            Endpoint("GET", users, self.get_user),
            Endpoint("GET", skills, self.list_user_skills),
            Endpoint("POST", skills, self.add_skill, SKILL_ASSIGN, True),
            Endpoint("PATCH", skills + "/bulk", self.patch_skills, SKILL_ASSIGN, True),
            Endpoint("PUT", skills + "/bulk", self.replace_skills, SKILL_ASSIGN, True),
            Endpoint("PUT", skills + "/{skillId}", self.put_skill, SKILL_ASSIGN, True),
            Endpoint(
                "DELETE", skills + "/{skillId}", self.delete_skill, SKILL_ASSIGN, True
            ),
            Endpoint("GET", languages, self.list_user_languages),
            Endpoint("POST", languages, self.add_language, LANGUAGE_ASSIGN, True),
            Endpoint(
                "PATCH",
                languages + "/bulk",
                self.patch_languages,
                LANGUAGE_ASSIGN,
                True,
            ),
            Endpoint(
                "PATCH",
                languages + "/{languageId}",
                self.patch_language,
                LANGUAGE_ASSIGN,
                True,
            ),
            Endpoint(
                "DELETE",
                languages + "/{languageId}",
                self.delete_language,
                LANGUAGE_ASSIGN,
                True,
            ),
            Endpoint(
                "GET",
                "/api/v2/routing/skills",
                self.list_skills,
                ("routing:skill:view",),
            ),
            Endpoint(
                "GET",
                "/api/v2/routing/skills/{skillId}",
                self.get_skill,
                ("routing:skill:view",),
            ),
            Endpoint("GET", "/api/v2/routing/languages", self.list_languages),
            Endpoint(
                "GET", "/api/v2/routing/languages/{languageId}", self.get_language
            ),
            Endpoint(
                "GET",
                "/api/v2/organizations/limits/namespaces/{namespaceName}",
                self.limits,
                ("organization:limits:view",),
            ),
        ]

    # Lookups shared by the handlers.

    def user(self, request: Request) -> SimUser:
        """The user the path names; 404 when there is none."""
        user = self.state.users.get(GenesysUserId(request.path_params["userId"]))
        if user is None:
            raise ApiError(404, "user not found", field="userId")

        return user

    def group(self, request: Request) -> SimGroup:
        """The group the path names; 404 when there is none."""
        group = self.state.groups.get(GenesysGroupId(request.path_params["groupId"]))
        if group is None:
            raise ApiError(404, "group not found", field="groupId")

        return group

    def render_user(self, user: SimUser, expand: frozenset[str]) -> JSON:
        """A `User` with the requested expansions, each of which the API may omit."""
        entry = render.user_entry(user)
        if "skills" in expand and not self.faults.drop_expansion():
            entry["skills"] = self.skills_of(user)

        if "languages" in expand and not self.faults.drop_expansion():
            entry["languages"] = self.languages_of(user)

        if "groups" in expand and not self.faults.drop_expansion():
            groups = self.state.groups_of_user.get(user.id, [])
            entry["groups"] = [render.group_reference(g) for g in groups]

        return entry

    def skills_of(self, user: SimUser) -> list[JSON]:
        """A user's skills as `UserRoutingSkill` entries."""
        return [
            render.user_skill(user.id, skill, proficiency)
            for skill, proficiency in self.state.sorted_skills(user)
        ]

    def languages_of(self, user: SimUser) -> list[JSON]:
        """A user's languages as `UserRoutingLanguage` entries."""
        return [
            render.user_language(user.id, language, proficiency)
            for language, proficiency in self.state.sorted_languages(user)
        ]

    def user_listing(self, users: Sequence[SimUser], request: Request) -> Response:
        """A page of users with the expansions the query asks for."""
        query = request.query_params
        expand = frozenset(list_param(query, "expand")) & USER_EXPANSIONS
        return json_response(
            envelope(
                order(users, request),
                lambda user: self.render_user(user, expand),
                request,
            )
        )

    # Groups.

    async def list_groups(self, request: Request) -> Response:
        """`GET /api/v2/groups`."""
        groups: Sequence[SimGroup] = self.state.groups_by_name
        ids = ids_param(request.query_params)
        if ids is not None:
            groups = by_name(self.state.groups, ids, lambda g: True)

        return json_response(
            envelope(
                order(groups, request),
                render.group_entry,
                request,
            )
        )

    async def get_group(self, request: Request) -> Response:
        """`GET /api/v2/groups/{groupId}`."""
        return json_response(render.group_entry(self.group(request)))

    def members_of(self, group: SimGroup) -> list[SimUser]:
        """A group's member users in listing order."""
        users = [self.state.users[member] for member in group.members]
        return sorted(users, key=lambda u: (u.name, u.id))

    async def group_members(self, request: Request) -> Response:
        """`GET /api/v2/groups/{groupId}/members`, paged, with expansions."""
        return self.user_listing(self.members_of(self.group(request)), request)

    async def individuals(self, request: Request) -> Response:
        """`GET /api/v2/groups/{groupId}/individuals`: every member, never paged."""
        members = self.members_of(self.group(request))
        return json_response(
            whole_listing(members, render.user_entry, request.url.path)
        )

    # Users.

    async def list_users(self, request: Request) -> Response:
        """`GET /api/v2/users`, by state (active unless asked) and optional ids."""
        query = request.query_params
        state = query.get("state", "active")
        if state not in self.state.users_by_state:
            raise ApiError(
                400, "state must be active, inactive, deleted or any", "state"
            )

        users: Sequence[SimUser] = self.state.users_by_state[state]
        ids = ids_param(query)
        if ids is not None:
            users = by_name(self.state.users, ids, lambda u: state in {"any", u.state})

        size, number = paging(query)
        if state == "inactive" and (number - 1) * size >= INACTIVE_RESULT_CAP:
            raise ApiError(
                400,
                f"inactive users can be listed up to {INACTIVE_RESULT_CAP} results",
                field="pageNumber",
            )

        return self.user_listing(users, request)

    async def get_user(self, request: Request) -> Response:
        """`GET /api/v2/users/{userId}`, with optional expansions."""
        expand = frozenset(list_param(request.query_params, "expand"))
        return json_response(self.render_user(self.user(request), expand))

    # A user's skills.

    async def list_user_skills(self, request: Request) -> Response:
        """`GET .../routingskills`, paged."""
        user = self.user(request)
        held = self.state.sorted_skills(user)
        return json_response(
            envelope(
                order(held, request),
                lambda item: render.user_skill(user.id, *item),
                request,
            )
        )

    def write_skills(
        self, user: SimUser, items: list[tuple[str, float]], *, replace: bool
    ) -> None:
        """Apply a skill write, turning a refusal into a 400."""
        try:
            self.state.set_skills(
                user, [(SkillId(s), p) for s, p in items], replace=replace
            )
        except InvalidWrite as exc:
            raise ApiError(400, str(exc), field=exc.field) from None

    def one_skill(self, user: SimUser, skill_id: str) -> Response:
        """The `UserRoutingSkill` a single-skill write answers with."""
        skill = self.state.skills[SkillId(skill_id)]
        proficiency = user.skills[SkillId(skill_id)]
        return json_response(render.user_skill(user.id, skill, proficiency))

    async def add_skill(self, request: Request) -> Response:
        """`POST .../routingskills`: add one skill, or update it if held."""
        user = self.user(request)
        item = proficiency_item(await read_json(request), "body")
        self.write_skills(user, [item], replace=False)
        return self.one_skill(user, item[0])

    async def put_skill(self, request: Request) -> Response:
        """`PUT .../routingskills/{skillId}`: set one skill's proficiency."""
        user = self.user(request)
        skill_id = request.path_params["skillId"]
        if SkillId(skill_id) not in self.state.skills:
            raise ApiError(404, f"skill {skill_id} not found", field="skillId")

        body = await read_json(request)
        if isinstance(body, dict):
            body = {**body, "id": skill_id}

        item = proficiency_item(body, "body")
        self.write_skills(user, [item], replace=False)
        return self.one_skill(user, skill_id)

    async def delete_skill(self, request: Request) -> Response:
        """`DELETE .../routingskills/{skillId}`; 404 when the user lacks it."""
        user = self.user(request)
        if not self.state.remove_skill(user, SkillId(request.path_params["skillId"])):
            raise ApiError(404, "the user does not hold this skill", field="skillId")

        return empty_response()

    async def patch_skills(self, request: Request) -> Response:
        """`PATCH .../routingskills/bulk`: add or update, keep the rest."""
        user = self.user(request)
        self.write_skills(user, await bulk_items(request), replace=False)
        return json_response(
            whole_listing(self.skills_of(user), lambda e: e, request.url.path)
        )

    async def replace_skills(self, request: Request) -> Response:
        """`PUT .../routingskills/bulk`: the body becomes the user's whole set."""
        user = self.user(request)
        self.write_skills(user, await bulk_items(request), replace=True)
        return json_response(
            whole_listing(self.skills_of(user), lambda e: e, request.url.path)
        )

    # A user's languages.

    async def list_user_languages(self, request: Request) -> Response:
        """`GET .../routinglanguages`, paged."""
        user = self.user(request)
        held = self.state.sorted_languages(user)
        return json_response(
            envelope(
                order(held, request),
                lambda item: render.user_language(user.id, *item),
                request,
            )
        )

    def write_languages(self, user: SimUser, items: list[tuple[str, float]]) -> None:
        """Apply a language write, turning a refusal into a 400."""
        try:
            self.state.set_languages(user, [(LanguageId(i), p) for i, p in items])
        except InvalidWrite as exc:
            raise ApiError(400, str(exc), field=exc.field) from None

    def one_language(self, user: SimUser, language_id: str) -> Response:
        """The `UserRoutingLanguage` a single-language write answers with."""
        language = self.state.languages[LanguageId(language_id)]
        proficiency = user.languages[LanguageId(language_id)]
        return json_response(render.user_language(user.id, language, proficiency))

    async def add_language(self, request: Request) -> Response:
        """`POST .../routinglanguages`: add one language, or update it if held."""
        user = self.user(request)
        item = proficiency_item(await read_json(request), "body")
        self.write_languages(user, [item])
        return self.one_language(user, item[0])

    async def patch_language(self, request: Request) -> Response:
        """`PATCH .../routinglanguages/{languageId}`: set one proficiency."""
        user = self.user(request)
        language_id = request.path_params["languageId"]
        if LanguageId(language_id) not in self.state.languages:
            raise ApiError(404, f"language {language_id} not found", "languageId")

        body = await read_json(request)
        if isinstance(body, dict):
            body = {**body, "id": language_id}

        self.write_languages(user, [proficiency_item(body, "body")])
        return self.one_language(user, language_id)

    async def delete_language(self, request: Request) -> Response:
        """`DELETE .../routinglanguages/{languageId}`; 404 when the user lacks it."""
        user = self.user(request)
        language_id = LanguageId(request.path_params["languageId"])
        if not self.state.remove_language(user, language_id):
            raise ApiError(404, "the user does not hold this language", "languageId")

        return empty_response()

    async def patch_languages(self, request: Request) -> Response:
        """`PATCH .../routinglanguages/bulk`: add or update, keep the rest."""
        user = self.user(request)
        self.write_languages(user, await bulk_items(request))
        return json_response(
            whole_listing(self.languages_of(user), lambda e: e, request.url.path)
        )

    # Catalogs and limits.

    async def list_skills(self, request: Request) -> Response:
        """`GET /api/v2/routing/skills`, by name prefix and optional ids."""
        skills = self.filtered_catalog(self.state.skills_by_name, request)
        return json_response(
            envelope(
                skills,
                render.skill_entry,
                request,
            )
        )

    async def get_skill(self, request: Request) -> Response:
        """`GET /api/v2/routing/skills/{skillId}`."""
        skill = self.state.skills.get(SkillId(request.path_params["skillId"]))
        if skill is None:
            raise ApiError(404, "skill not found", field="skillId")

        return json_response(render.skill_entry(skill))

    async def list_languages(self, request: Request) -> Response:
        """`GET /api/v2/routing/languages`, by name prefix, ids and sort order."""
        languages = self.filtered_catalog(self.state.languages_by_name, request)
        return json_response(
            envelope(
                order(languages, request),
                render.language_entry,
                request,
            )
        )

    async def get_language(self, request: Request) -> Response:
        """`GET /api/v2/routing/languages/{languageId}`."""
        language_id = LanguageId(request.path_params["languageId"])
        language = self.state.languages.get(language_id)
        if language is None:
            raise ApiError(404, "language not found", field="languageId")

        return json_response(render.language_entry(language))

    def filtered_catalog(
        self, entries: Sequence[CatalogT], request: Request
    ) -> list[CatalogT]:
        """Catalog entries whose name starts with `name` (any case), by ids."""
        query = request.query_params
        prefix = query.get("name", "").lower()
        ids = ids_param(query)
        wanted = set(ids) if ids is not None else None
        return [
            entry
            for entry in entries
            if entry.name.lower().startswith(prefix)
            and (wanted is None or entry.id in wanted)
        ]

    async def limits(self, request: Request) -> Response:
        """`GET /api/v2/organizations/limits/namespaces/platform.api`."""
        namespace = request.path_params["namespaceName"]
        if namespace != "platform.api":
            raise ApiError(404, f"namespace {namespace} not found", "namespaceName")

        values = {
            "client.credentials.token.rate.per.minute": self.rate_limit,
            "org.app.user.rate.per.minute": 300,
            "org.user.rate.per.minute": 3000,
        }
        return json_response(
            {
                "entities": [
                    {"key": key, "namespace": namespace, "value": value}
                    for key, value in values.items()
                ]
            }
        )
