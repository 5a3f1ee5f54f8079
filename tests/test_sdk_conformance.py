"""The simulator answers as the real Genesys Cloud Platform API does.

The oracle is Genesys' own Python SDK, generated from the real API's OpenAPI
description. Every call goes through the SDK, which must accept and deserialize
the answer; the raw JSON behind it must hold only fields the SDK's models define,
each with the JSON type and (for enumerations) a value the model allows. Where the
API documentation leaves a behaviour open, the simulator's documented default
decides. State changes are read back through the API and through `/_sim/state`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import urllib3
from PureCloudPlatformClientV2 import (
    ApiClient,
    GroupsApi,
    OrganizationApi,
    RoutingApi,
    UserRoutingLanguage,
    UserRoutingLanguagePost,
    UserRoutingSkill,
    UserRoutingSkillPost,
    UsersApi,
    models,
)
from PureCloudPlatformClientV2.default_http_client import DefaultHttpClient
from PureCloudPlatformClientV2.rest import ApiException

from conftest import (
    CLIENT_CREDENTIALS,
    DEMO_CLIENT,
    JSONObject,
    ManualClock,
    Simulator,
    StartSimulator,
    build_org,
    large_org_data,
    person,
    serving,
    small_org_data,
)
from skillsync.fixture import Org
from skillsync.simulator.app import SimSettings

ALL_EXPANSIONS = ["skills", "languages", "groups"]
LISTING_KEYS = (
    "entities",
    "pageSize",
    "pageNumber",
    "total",
    "pageCount",
    "firstUri",
    "selfUri",
    "lastUri",
)
URI_KEYS = ("firstUri", "selfUri", "lastUri", "previousUri", "nextUri")
JSON_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
}
OUT_OF_ENUM = "outdated_sdk_version"  # what an SDK model stores for an unknown enum
ACTIVE_BY_NAME = [
    "Ada Lovelace",
    "Alan Turing",
    "Barbara Liskov",
    "Donald Knuth",
    "Edsger Dijkstra",
    "Frances Allen",
    "Grace Hopper",
    "Ken Thompson",
    "Margaret Hamilton",
]


# Driving the SDK.


@dataclass
class Sdk:
    """One official SDK client and the API classes bound to it."""

    client: Any
    users: Any
    groups: Any
    routing: Any
    organization: Any

    def last_json(self) -> JSONObject:
        """The raw JSON body of the last answer the SDK accepted."""
        body: JSONObject = json.loads(self.client.last_response.data)
        return body

    @property
    def token(self) -> str:
        """The access token the client sends."""
        token: str = self.client.access_token
        return token


def no_retry_http_client() -> Any:
    """The SDK's own HTTP client without urllib3's hidden retries.

    The stock client retries, up to ten times, any dropped connection and any
    413, 429 or 503 that carries `Retry-After`, sleeping as told; a test must see
    each answer as the simulator sent it.
    """
    http_client = DefaultHttpClient()
    http_client.rest_client.pool_manager = urllib3.PoolManager(retries=False)
    return http_client


def connect(base_url: str, token: str = "") -> Sdk:
    """A fresh SDK client for the simulator at `base_url`, holding `token`.

    Each client is built from scratch, so no test leans on the SDK's
    process-wide `Configuration` (whose token an empty client token falls back
    to).
    """
    client = ApiClient(host=base_url)
    client.set_http_client(no_retry_http_client())
    client.access_token = token
    return Sdk(
        client=client,
        users=UsersApi(client),
        groups=GroupsApi(client),
        routing=RoutingApi(client),
        organization=OrganizationApi(client),
    )


def login(simulator: Simulator, token: str | None = None) -> Sdk:
    """A fresh SDK client for `simulator`, holding `token` or a new one."""
    return connect(simulator.url, simulator.mint() if token is None else token)


@pytest.fixture(scope="module")
def shared() -> Iterator[Simulator]:
    """The dozen-user org, served once for this module's read-only tests.

    Its rate limit is raised so that those tests never run out of budget; when
    they are done, the org must be exactly as it started.
    """
    settings = SimSettings(rate_limit=1_000_000)
    with serving(build_org(small_org_data()), settings) as simulator:
        before = simulator.state()
        yield simulator
        assert simulator.state() == before, "a read-only test changed the org"


@pytest.fixture(scope="module")
def shared_token(shared: Simulator) -> str:
    """One token for every read-only test, so they stay under the mint limit."""
    return shared.mint()


@pytest.fixture
def sdk(shared: Simulator, shared_token: str) -> Sdk:
    """A fresh SDK client for the read-only dozen-user org."""
    return connect(shared.url, shared_token)


@pytest.fixture(scope="module")
def large() -> Iterator[Simulator]:
    """The 501-user org, served once for this module's paging tests."""
    with serving(build_org(large_org_data())) as simulator:
        yield simulator


@pytest.fixture
def large_sdk(large: Simulator) -> Sdk:
    """An SDK client for the 501-user org, logged in through the SDK."""
    client = connect(large.url)
    client.client.get_client_credentials_token(*DEMO_CLIENT)
    return client


# The field oracle.


def check_fields(value: object, swagger_type: str, where: str = "body") -> None:
    """Fail unless `value` is JSON the SDK type `swagger_type` describes exactly:
    no key the model lacks, no null, every JSON type right, enum values allowed."""
    assert value is not None, f"{where} is null; the API leaves empty fields out"
    if swagger_type.startswith("list["):
        assert isinstance(value, list), f"{where} should be a list"
        for index, item in enumerate(value):
            check_fields(item, swagger_type[5:-1], f"{where}[{index}]")

    elif swagger_type.startswith("dict("):
        assert isinstance(value, dict), f"{where} should be an object"
        item_type = swagger_type[5:-1].split(", ", 1)[1]
        for key, item in value.items():
            check_fields(item, item_type, f"{where}.{key}")

    elif swagger_type in JSON_TYPES:
        assert isinstance(value, JSON_TYPES[swagger_type]), (
            f"{where} = {value!r} should be JSON {swagger_type}"
        )
        assert not isinstance(value, bool) or swagger_type == "bool", (
            f"{where} = {value!r} should be a number, not a boolean"
        )

    elif swagger_type == "datetime":
        assert isinstance(value, str), f"{where} should be an ISO-8601 string"
        check_timestamp(value, where)

    elif swagger_type != "object":
        check_model(value, swagger_type, where)


def check_timestamp(value: str, where: str) -> None:
    """Fail unless `value` is an ISO-8601 date and time."""
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise AssertionError(f"{where} = {value!r} is not an ISO-8601 time") from None


def check_model(value: object, model_name: str, where: str) -> None:
    """Fail unless `value` is an object with only the fields of the SDK model."""
    assert isinstance(value, dict), f"{where} should be a {model_name} object"
    model = getattr(models, model_name)()
    attributes = {key: attr for attr, key in model.attribute_map.items()}
    for key, item in value.items():
        assert key in attributes, f"{where}.{key} is not a field of {model_name}"
        attribute = attributes[key]
        check_fields(item, model.swagger_types[attribute], f"{where}.{key}")
        if isinstance(item, str):
            setattr(model, attribute, item)
            assert getattr(model, attribute) != OUT_OF_ENUM, (
                f"{where}.{key} = {item!r} is not a value {model_name} allows"
            )


def check_headers(headers: Any) -> None:
    """Fail unless an answer carries a correlation id and no retired headers."""
    assert headers.get("ININ-Correlation-Id"), "every answer carries a correlation id"
    retired = [name for name in headers if name.lower().startswith("inin-ratelimit")]
    assert not retired, f"inin-ratelimit-* headers were removed in 2021: {retired}"


def conforming(sdk: Sdk, model_name: str) -> JSONObject:
    """The raw body of the SDK's last answer, checked against `model_name`."""
    body = sdk.last_json()
    check_fields(body, model_name)
    check_headers(sdk.client.last_response.getheaders())
    return body


@dataclass(frozen=True)
class RawBody:
    """Just enough of an SDK response for the SDK to deserialize a raw body."""

    data: str

    def getheader(self, name: str, default: str | None = None) -> str | None:
        """Every raw body here is JSON."""
        return "application/json" if name.lower() == "content-type" else default


def as_model(body: object, model_name: str) -> Any:
    """A raw JSON body as the SDK deserializes it."""
    client = ApiClient(host="http://127.0.0.1")
    return client.deserialize(RawBody(json.dumps(body)), model_name)


def query_of(uri: str) -> dict[str, list[str]]:
    """The query parameters of a relative page URI."""
    return parse_qs(urlsplit(uri).query)


def check_envelope(
    page: JSONObject, path: str, *, size: int, number: int, total: int
) -> None:
    """Fail unless `page` is page `number` of `total` items in the API's envelope,
    with relative page URIs that keep the caller's other parameters."""
    missing = [key for key in LISTING_KEYS if key not in page]
    assert not missing, f"the listing lacks {missing}"
    count = math.ceil(total / size)
    assert (page["pageSize"], page["pageNumber"]) == (size, number)
    assert (page["total"], page["pageCount"]) == (total, count)
    assert len(page["entities"]) == max(0, min(size, total - (number - 1) * size))
    for key in URI_KEYS:
        if key in page:
            assert page[key].startswith(path + "?"), f"{key} should be relative"

    assert query_of(page["firstUri"])["pageNumber"] == ["1"]
    assert query_of(page["selfUri"])["pageNumber"] == [str(number)]
    assert query_of(page["selfUri"])["pageSize"] == [str(size)]
    if count:
        assert query_of(page["lastUri"])["pageNumber"] == [str(count)]

    assert ("previousUri" in page) == (number > 1), "previousUri only after page 1"
    assert ("nextUri" in page) == (number < count), "nextUri only before the last"
    if number < count:
        assert query_of(page["nextUri"])["pageNumber"] == [str(number + 1)]

    if 1 < number <= count:
        assert query_of(page["previousUri"])["pageNumber"] == [str(number - 1)]


def check_error(error: Any, status: int, code: str) -> JSONObject:
    """Fail unless an `ApiException` carries an `ErrorBody` with this status and
    code, and a correlation id header equal to its `contextId`."""
    assert error.status == status, error.body
    body: JSONObject = json.loads(error.body)
    check_fields(body, "ErrorBody")
    typed = as_model(body, "ErrorBody")
    assert (typed.status, typed.code) == (status, code)
    assert typed.message
    assert isinstance(body.get("details"), list)
    assert isinstance(body.get("errors"), list)
    assert typed.context_id
    assert error.headers.get("ININ-Correlation-Id") == typed.context_id
    check_headers(error.headers)
    return body


def refused(status: int, code: str, call: Callable[[], object]) -> JSONObject:
    """Make an SDK call that must fail, and check its error answer."""
    with pytest.raises(ApiException) as caught:
        call()

    return check_error(caught.value, status, code)


def raw_error(answer: Any, status: int, code: str) -> JSONObject:
    """Check a raw httpx error answer as `check_error` checks an SDK one."""
    assert answer.status_code == status, answer.text
    error = ApiException(status=answer.status_code)
    error.body = answer.text
    error.headers = answer.headers
    return check_error(error, status, code)


def skill_post(skill_id: str, proficiency: float) -> Any:
    """A `UserRoutingSkillPost` body."""
    body = UserRoutingSkillPost()
    body.id = skill_id
    body.proficiency = proficiency
    return body


def language_post(language_id: str, proficiency: float) -> Any:
    """A `UserRoutingLanguagePost` body."""
    body = UserRoutingLanguagePost()
    body.id = language_id
    body.proficiency = proficiency
    return body


def skill_update(proficiency: float) -> Any:
    """A `UserRoutingSkill` body that sets a proficiency."""
    body = UserRoutingSkill()
    body.proficiency = proficiency
    return body


def language_update(proficiency: float) -> Any:
    """A `UserRoutingLanguage` body that sets a proficiency."""
    body = UserRoutingLanguage()
    body.proficiency = proficiency
    return body


def wide_org() -> Org:
    """One user and 60 skills and 60 languages: room to pass the 50-item caps."""
    return build_org(
        {
            "skills": [
                {"id": f"s-{n:02d}", "name": f"Skill {n:02d}"} for n in range(60)
            ],
            "languages": [
                {"id": f"l-{n:02d}", "name": f"Language {n:02d}"} for n in range(60)
            ],
            "users": [person("u-wide", "Wide User")],
        }
    )


# The oracle itself.


@pytest.mark.parametrize(
    ("body", "model_name"),
    [
        ({"id": "u-1", "nickname": "Ada"}, "User"),
        ({"id": "u-1", "version": "3"}, "User"),
        ({"id": "u-1", "state": "suspended"}, "User"),
        ({"id": "u-1", "email": None}, "User"),
        ({"id": "s-1", "version": 1}, "RoutingSkill"),
        ({"id": "s-1", "proficiency": True}, "UserRoutingSkill"),
        ({"entities": [{"id": "g-1", "memberCount": "4"}]}, "GroupEntityListing"),
        ({"entities": [], "next": "/api/v2/users?pageNumber=2"}, "UserEntityListing"),
        ({"status": 404, "details": [{"field": "id"}]}, "ErrorBody"),
        ({"dateModified": "yesterday"}, "Group"),
    ],
)
def test_oracle_refuses_what_the_sdk_models_do_not_define(
    body: JSONObject, model_name: str
) -> None:
    """The field oracle fails on an invented key, a null, a wrong JSON type, a bad
    date or a value outside an enumeration, however deep."""
    with pytest.raises(AssertionError):
        check_fields(body, model_name)


def test_oracle_accepts_the_documented_user_example() -> None:
    """The field oracle accepts the API reference's own example of a `User`."""
    check_fields(
        {
            "id": "u-1",
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "username": "ada@example.com",
            "state": "active",
            "version": 12,
            "division": {"id": "d-1", "name": "Home", "selfUri": "/d-1"},
            "skills": [
                {
                    "id": "s-billing",
                    "name": "Billing",
                    "proficiency": 3.0,
                    "state": "active",
                    "skillUri": "/api/v2/routing/skills/s-billing",
                    "selfUri": "/api/v2/users/u-1/routingskills/s-billing",
                }
            ],
            "languages": [
                {
                    "id": "l-en",
                    "name": "English",
                    "proficiency": 5,
                    "state": "active",
                    "languageUri": "/api/v2/routing/languages/l-en",
                    "selfUri": "/api/v2/users/u-1/routinglanguages/l-en",
                }
            ],
            "groups": [{"id": "g-1", "selfUri": "/api/v2/groups/g-1"}],
            "selfUri": "/api/v2/users/u-1",
        },
        "User",
    )


# Tokens.


def test_sdk_client_credentials_login_reaches_the_same_host(shared: Simulator) -> None:
    """The SDK's own client-credentials login works against the simulator's host."""
    sdk = connect(shared.url)
    sdk.client.get_client_credentials_token(*DEMO_CLIENT)
    assert sdk.token

    user = sdk.users.get_user("u-ada")
    assert user.name == "Ada Lovelace"


def test_token_answer_has_the_oauth_shape(start_simulator: StartSimulator) -> None:
    """A fresh token answers `bearer` with `expires_in` one second under its life."""
    clock = ManualClock()
    sim = start_simulator(build_org({}), SimSettings(token_ttl=600, clock=clock))
    answer = sim.http.post("/oauth/token", auth=DEMO_CLIENT, data=CLIENT_CREDENTIALS)

    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 599
    assert isinstance(body["access_token"], str)
    assert body["access_token"]


def test_default_token_lives_a_day(shared: Simulator) -> None:
    """With default settings a fresh token reports 86,399 seconds left."""
    answer = shared.http.post("/oauth/token", auth=DEMO_CLIENT, data=CLIENT_CREDENTIALS)
    assert answer.json()["expires_in"] == 86_399


def test_bad_client_secret_is_invalid_client(shared: Simulator) -> None:
    """The SDK's login with a wrong secret fails with 401 `invalid_client`."""
    sdk = connect(shared.url)
    with pytest.raises(ApiException) as caught:
        sdk.client.get_client_credentials_token("demo-client", "wrong")

    assert caught.value.status == 401
    body = json.loads(caught.value.body)
    assert body["error"] == "invalid_client"
    assert isinstance(body.get("error_description"), str)


def test_unknown_client_is_invalid_client(shared: Simulator) -> None:
    """A client id the org does not know fails with 401 `invalid_client`."""
    answer = shared.http.post(
        "/oauth/token", auth=("nobody", "x"), data=CLIENT_CREDENTIALS
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


def test_form_field_credentials_are_accepted(shared: Simulator) -> None:
    """Client id and secret sent as form fields instead of Basic get a token."""
    client_id, secret = DEMO_CLIENT
    form = {**CLIENT_CREDENTIALS, "client_id": client_id, "client_secret": secret}
    answer = shared.http.post("/oauth/token", data=form)
    assert answer.status_code == 200

    sdk = connect(shared.url, answer.json()["access_token"])
    assert sdk.users.get_user("u-grace").id == "u-grace"


def test_unknown_grant_type_is_refused(shared: Simulator) -> None:
    """A grant other than client credentials is 400 `unsupported_grant_type`."""
    answer = shared.http.post(
        "/oauth/token", auth=DEMO_CLIENT, data={"grant_type": "password"}
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "unsupported_grant_type"


def test_expired_token_is_bad_credentials(start_simulator: StartSimulator) -> None:
    """A token past its lifetime is refused with 401 `bad.credentials`."""
    clock = ManualClock()
    sim = start_simulator(
        build_org({"users": [person("u-1", "One")]}),
        SimSettings(token_ttl=300, clock=clock),
    )
    sdk = login(sim)
    assert sdk.users.get_user("u-1").id == "u-1"

    clock.advance(299)
    assert sdk.users.get_user("u-1").id == "u-1"

    clock.advance(1)
    body = refused(401, "bad.credentials", lambda: sdk.users.get_user("u-1"))
    assert body["message"] == "Invalid login credentials."


def test_unknown_token_is_bad_credentials(shared: Simulator) -> None:
    """A bearer token the simulator never issued is 401 `bad.credentials`."""
    sdk = connect(shared.url, "not-a-token")
    body = refused(401, "bad.credentials", sdk.users.get_users)
    assert body["message"] == "Invalid login credentials."


def test_missing_token_is_bad_credentials(shared: Simulator) -> None:
    """A request without an Authorization header is 401 `bad.credentials`."""
    raw_error(shared.http.get("/api/v2/users"), 401, "bad.credentials")


def test_bearer_scheme_is_case_insensitive(
    shared: Simulator, shared_token: str
) -> None:
    """`Bearer`, `bearer` and `BEARER` all authenticate."""
    for scheme in ("Bearer", "bearer", "BEARER"):
        headers = {"Authorization": f"{scheme} {shared_token}"}
        assert shared.http.get("/api/v2/users", headers=headers).status_code == 200


def test_token_minting_has_its_own_limit(start_simulator: StartSimulator) -> None:
    """The 61st token in a minute is 400 `rate limit exceeded` without
    `Retry-After`, and minting works again once the minute has passed."""
    clock = ManualClock()
    sim = start_simulator(build_org({}), SimSettings(clock=clock))
    for _ in range(60):
        sim.mint()

    answer = sim.http.post("/oauth/token", auth=DEMO_CLIENT, data=CLIENT_CREDENTIALS)
    assert answer.status_code == 400
    assert answer.json()["error"] == "rate limit exceeded"
    assert "Retry-After" not in answer.headers

    clock.advance(60)
    assert sim.mint()


# Groups.


def test_groups_list_every_group_by_name(sdk: Sdk) -> None:
    """`GET /api/v2/groups` lists each group as a `Group`, by name, 25 a page."""
    listing = sdk.groups.get_groups()
    page = conforming(sdk, "GroupEntityListing")

    check_envelope(page, "/api/v2/groups", size=25, number=1, total=4)
    names = [group.name for group in listing.entities]
    assert names == ["Billing Team", "Empty", "Support", "Tier 1"]
    support = next(g for g in listing.entities if g.id == "g-support")
    assert support.member_count == 4
    assert support.state == "active"
    assert support.type in {"official", "social"}
    assert support.visibility in {"public", "owners", "members"}
    assert isinstance(page["entities"][2]["version"], int)
    assert support.self_uri == "/api/v2/groups/g-support"


def test_groups_page_through_with_relative_uris(sdk: Sdk, shared: Simulator) -> None:
    """Group pages link to each other with relative URIs that the API answers."""
    first = sdk.groups.get_groups(page_size=3, page_number=1)
    first_page = conforming(sdk, "GroupEntityListing")
    check_envelope(first_page, "/api/v2/groups", size=3, number=1, total=4)

    second = sdk.groups.get_groups(page_size=3, page_number=2)
    second_page = conforming(sdk, "GroupEntityListing")
    check_envelope(second_page, "/api/v2/groups", size=3, number=2, total=4)
    assert [g.name for g in first.entities + second.entities] == [
        "Billing Team",
        "Empty",
        "Support",
        "Tier 1",
    ]

    followed = shared.call("GET", first_page["nextUri"], sdk.token).json()
    assert followed["entities"] == second_page["entities"]


def test_groups_by_id(sdk: Sdk) -> None:
    """The `id` list of `GET /api/v2/groups` returns just those groups."""
    listing = sdk.groups.get_groups(id=["g-tier1", "g-empty"])
    page = conforming(sdk, "GroupEntityListing")

    check_envelope(page, "/api/v2/groups", size=25, number=1, total=2)
    assert sorted(g.id for g in listing.entities) == ["g-empty", "g-tier1"]


def test_one_group(sdk: Sdk) -> None:
    """`GET /api/v2/groups/{id}` returns one `Group`."""
    group = sdk.groups.get_group("g-tier1")
    conforming(sdk, "Group")

    assert (group.id, group.name, group.member_count) == ("g-tier1", "Tier 1", 2)


def test_unknown_group_is_not_found(sdk: Sdk) -> None:
    """An unknown group id is 404 `not.found` on every group endpoint."""
    refused(404, "not.found", lambda: sdk.groups.get_group("g-nope"))
    refused(404, "not.found", lambda: sdk.groups.get_group_members("g-nope"))
    refused(404, "not.found", lambda: sdk.groups.get_group_individuals("g-nope"))


def test_group_members_with_expansions(sdk: Sdk) -> None:
    """`GET .../members?expand=skills,languages,groups` lists the member users with
    their skills, languages and group references."""
    listing = sdk.groups.get_group_members("g-support", expand=ALL_EXPANSIONS)
    page = conforming(sdk, "UserEntityListing")

    check_envelope(page, "/api/v2/groups/g-support/members", size=25, number=1, total=4)
    names = [user.name for user in listing.entities]
    assert names == ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Ken Thompson"]
    ada = listing.entities[0]
    assert {s.id: s.proficiency for s in ada.skills} == {
        "s-billing": 3.0,
        "s-claims": 4.5,
    }
    assert {lang.id: lang.proficiency for lang in ada.languages} == {
        "l-en": 5,
        "l-fr": 3,
    }
    assert sorted(g.id for g in ada.groups) == ["g-support", "g-tier1"]
    for reference in page["entities"][0]["groups"]:
        assert set(reference) == {"id", "selfUri"}
        assert reference["selfUri"] == f"/api/v2/groups/{reference['id']}"


def test_group_members_without_expansions_leave_keys_out(
    sdk: Sdk,
) -> None:
    """Without `expand`, member users carry no skills, languages or groups keys."""
    sdk.groups.get_group_members("g-support")
    page = conforming(sdk, "UserEntityListing")

    for user in page["entities"]:
        assert not {"skills", "languages", "groups"} & set(user)


def test_group_members_page(sdk: Sdk) -> None:
    """Group members page like any listing, keeping `expand` in the page URIs."""
    listing = sdk.groups.get_group_members(
        "g-support", page_size=3, page_number=2, expand=["skills"]
    )
    page = conforming(sdk, "UserEntityListing")

    path = "/api/v2/groups/g-support/members"
    check_envelope(page, path, size=3, number=2, total=4)
    assert [user.id for user in listing.entities] == ["u-ken"]
    for key in ("firstUri", "selfUri", "lastUri", "previousUri"):
        assert query_of(page[key])["expand"] == ["skills"]


def test_empty_group_has_an_empty_listing(sdk: Sdk) -> None:
    """An empty group's members are an empty page with total and pageCount 0."""
    listing = sdk.groups.get_group_members("g-empty")
    page = conforming(sdk, "UserEntityListing")

    check_envelope(page, "/api/v2/groups/g-empty/members", size=25, number=1, total=0)
    assert listing.entities == []


def test_group_individuals_are_one_unpaged_listing(sdk: Sdk) -> None:
    """`GET .../individuals` lists every member user on one page."""
    listing = sdk.groups.get_group_individuals("g-billing")
    page = conforming(sdk, "UserEntityListing")

    assert sorted(user.id for user in listing.entities) == ["u-donald", "u-grace"]
    assert page["total"] == 2
    assert page["pageNumber"] == 1
    assert "nextUri" not in page
    assert "previousUri" not in page

    sdk.groups.get_group_individuals("g-empty")
    empty = conforming(sdk, "UserEntityListing")
    assert (empty["entities"], empty["total"]) == ([], 0)


# Users.


def test_users_default_to_active_by_name(sdk: Sdk) -> None:
    """`GET /api/v2/users` lists active users only, by name, 25 a page."""
    listing = sdk.users.get_users()
    page = conforming(sdk, "UserEntityListing")

    check_envelope(page, "/api/v2/users", size=25, number=1, total=9)
    assert [user.name for user in listing.entities] == ACTIVE_BY_NAME
    ada = listing.entities[0]
    assert (ada.email, ada.username) == ("ada.lovelace@example.com",) * 2
    assert ada.self_uri == "/api/v2/users/u-ada"
    assert isinstance(page["entities"][0]["version"], int)
    assert not {"skills", "languages", "groups"} & set(page["entities"][0])


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("active", set(ACTIVE_BY_NAME)),
        ("inactive", {"John Backus", "Kathleen Booth"}),
        ("deleted", {"Niklaus Wirth"}),
        ("any", {*ACTIVE_BY_NAME, "John Backus", "Kathleen Booth", "Niklaus Wirth"}),
    ],
)
def test_users_by_state(sdk: Sdk, state: str, expected: set[str]) -> None:
    """The `state` filter selects users of that state, or all of them for `any`."""
    listing = sdk.users.get_users(state=state)
    page = conforming(sdk, "UserEntityListing")

    check_envelope(page, "/api/v2/users", size=25, number=1, total=len(expected))
    assert {user.name for user in listing.entities} == expected
    if state != "any":
        assert {user.state for user in listing.entities} == {state}


def test_users_with_expansions(sdk: Sdk) -> None:
    """`expand=skills,languages,groups` adds full `UserRoutingSkill` and
    `UserRoutingLanguage` entries and group references, empty lists for none."""
    listing = sdk.users.get_users(expand=ALL_EXPANSIONS)
    page = conforming(sdk, "UserEntityListing")

    by_id = {user.id: user for user in listing.entities}
    raw = {user["id"]: user for user in page["entities"]}
    assert raw["u-ada"]["skills"][0] == {
        "id": "s-billing",
        "name": "Billing",
        "proficiency": 3.0,
        "state": "active",
        "skillUri": "/api/v2/routing/skills/s-billing",
        "selfUri": "/api/v2/users/u-ada/routingskills/s-billing",
    }
    assert raw["u-ada"]["languages"][0] == {
        "id": "l-en",
        "name": "English",
        "proficiency": 5,
        "state": "active",
        "languageUri": "/api/v2/routing/languages/l-en",
        "selfUri": "/api/v2/users/u-ada/routinglanguages/l-en",
    }
    assert by_id["u-ken"].skills[0].state == "inactive"
    assert by_id["u-donald"].skills[0].proficiency == 0.0
    edsger = raw["u-edsger"]
    assert (edsger["skills"], edsger["languages"], edsger["groups"]) == ([], [], [])
    assert [g.id for g in by_id["u-barbara"].groups] == ["g-tier1"]


def test_repeated_expand_parameters_are_accepted(
    shared: Simulator, shared_token: str
) -> None:
    """`expand=skills&expand=languages`, as the Java SDK sends it, expands both."""
    params = [("expand", "skills"), ("expand", "languages"), ("id", "u-ada")]
    answer = shared.call("GET", "/api/v2/users", shared_token, params=params)

    assert answer.status_code == 200
    body = answer.json()
    check_fields(body, "UserEntityListing")
    ada = as_model(body, "UserEntityListing").entities[0]
    assert len(ada.skills) == 2
    assert len(ada.languages) == 2
    assert "groups" not in body["entities"][0]


def test_unknown_expand_values_are_ignored(sdk: Sdk) -> None:
    """An `expand` value the simulator does not serve is ignored, not refused."""
    listing = sdk.users.get_users(id=["u-ada"], expand=["skills", "presence"])
    page = conforming(sdk, "UserEntityListing")

    assert len(listing.entities[0].skills) == 2
    assert "presence" not in page["entities"][0]


def test_users_by_id(sdk: Sdk) -> None:
    """The `id` list of `GET /api/v2/users` returns just those users."""
    listing = sdk.users.get_users(id=["u-grace", "u-ada"])
    page = conforming(sdk, "UserEntityListing")

    check_envelope(page, "/api/v2/users", size=25, number=1, total=2)
    assert sorted(user.id for user in listing.entities) == ["u-ada", "u-grace"]


def test_more_than_100_ids_is_bad_request(sdk: Sdk) -> None:
    """An `id` list longer than 100 is 400 `bad.request`."""
    ids = [f"u-{n}" for n in range(101)]
    refused(400, "bad.request", lambda: sdk.users.get_users(id=ids))


@pytest.mark.parametrize("order", ["descending", "DESC", "desc"])
def test_users_sort_descending(sdk: Sdk, order: str) -> None:
    """`sortOrder` descending, in any spelling, reverses the listing order."""
    listing = sdk.users.get_users(sort_order=order)
    conforming(sdk, "UserEntityListing")

    assert [user.name for user in listing.entities] == ACTIVE_BY_NAME[::-1]


def test_unknown_sort_order_is_bad_request(sdk: Sdk) -> None:
    """A `sortOrder` other than ascending or descending is 400 `bad.request`."""
    refused(400, "bad.request", lambda: sdk.users.get_users(sort_order="sideways"))


@pytest.mark.parametrize(("size", "number"), [(501, 1), (0, 1), (25, 0), (-1, 1)])
def test_paging_out_of_range_is_bad_request(sdk: Sdk, size: int, number: int) -> None:
    """A `pageSize` above 500 or below 1, or a `pageNumber` below 1, is 400."""
    refused(
        400,
        "bad.request",
        lambda: sdk.users.get_users(page_size=size, page_number=number),
    )


def test_page_past_the_end_is_empty(sdk: Sdk) -> None:
    """A page past the last is empty but keeps total and pageCount, no nextUri."""
    listing = sdk.users.get_users(page_size=4, page_number=7)
    page = conforming(sdk, "UserEntityListing")

    assert listing.entities == []
    assert (page["total"], page["pageCount"]) == (9, 3)
    assert "nextUri" not in page


def test_one_user_with_expansions(sdk: Sdk) -> None:
    """`GET /api/v2/users/{id}?expand=...` returns one expanded `User`."""
    user = sdk.users.get_user("u-grace", expand=ALL_EXPANSIONS)
    body = conforming(sdk, "User")

    assert (user.id, user.name, user.state) == ("u-grace", "Grace Hopper", "active")
    assert {s.id: s.proficiency for s in user.skills} == {"s-billing": 5.0}
    assert {lang.id: lang.proficiency for lang in user.languages} == {
        "l-en": 5,
        "l-es": 2,
    }
    assert sorted(g.id for g in user.groups) == ["g-billing", "g-support"]
    assert isinstance(body["version"], int)


def test_one_user_without_expansions(sdk: Sdk) -> None:
    """`GET /api/v2/users/{id}` without `expand` leaves the expansion keys out."""
    sdk.users.get_user("u-grace")
    body = conforming(sdk, "User")
    assert not {"skills", "languages", "groups"} & set(body)


def test_unknown_user_is_not_found(sdk: Sdk) -> None:
    """An unknown user id is 404 `not.found` with a full `ErrorBody`."""
    refused(404, "not.found", lambda: sdk.users.get_user("u-nobody"))
    refused(404, "not.found", lambda: sdk.users.get_user_routingskills("u-nobody"))
    refused(404, "not.found", lambda: sdk.users.get_user_routinglanguages("u-nobody"))
    refused(
        404,
        "not.found",
        lambda: sdk.users.post_user_routingskills(
            "u-nobody", skill_post("s-billing", 1.0)
        ),
    )


# Paging edge cases on the 501-user org.


def test_501_users_make_two_pages_of_500(large_sdk: Sdk) -> None:
    """501 users at 500 a page are a full page, then one user, then nothing."""
    first = large_sdk.users.get_users(page_size=500, page_number=1)
    first_page = conforming(large_sdk, "UserEntityListing")
    check_envelope(first_page, "/api/v2/users", size=500, number=1, total=501)

    second = large_sdk.users.get_users(page_size=500, page_number=2)
    second_page = conforming(large_sdk, "UserEntityListing")
    check_envelope(second_page, "/api/v2/users", size=500, number=2, total=501)

    ids = [user.id for user in first.entities + second.entities]
    assert sorted(ids) == [f"u-{n:04d}" for n in range(501)]

    large_sdk.users.get_users(page_size=500, page_number=3)
    third_page = conforming(large_sdk, "UserEntityListing")
    assert (third_page["entities"], third_page["pageCount"]) == ([], 2)
    assert "nextUri" not in third_page


def test_following_next_uri_reads_every_user_once(
    large_sdk: Sdk, large: Simulator
) -> None:
    """Following `nextUri` from the first page visits every user exactly once."""
    large_sdk.users.get_users(page_size=200, expand=["skills"])
    page = conforming(large_sdk, "UserEntityListing")
    seen = [user["id"] for user in page["entities"]]
    while "nextUri" in page:
        page = large.call("GET", page["nextUri"], large_sdk.token).json()
        check_fields(page, "UserEntityListing")
        seen.extend(user["id"] for user in page["entities"])

    assert len(seen) == 501
    assert len(set(seen)) == 501


def test_no_users_of_a_state_is_an_empty_page(large_sdk: Sdk) -> None:
    """A state with no users gives total 0, pageCount 0 and no page links."""
    listing = large_sdk.users.get_users(state="inactive", page_size=500)
    page = conforming(large_sdk, "UserEntityListing")

    check_envelope(page, "/api/v2/users", size=500, number=1, total=0)
    assert listing.entities == []


@pytest.mark.parametrize(("group", "total"), [("g-500", 500), ("g-one", 1)])
def test_group_of_exactly_one_page(large_sdk: Sdk, group: str, total: int) -> None:
    """A group of 500 or 1 members fits one page of 500, with no `nextUri`."""
    listing = large_sdk.groups.get_group_members(group, page_size=500)
    page = conforming(large_sdk, "UserEntityListing")

    path = f"/api/v2/groups/{group}/members"
    check_envelope(page, path, size=500, number=1, total=total)
    assert len(listing.entities) == total


def test_individuals_of_500_are_one_listing(large_sdk: Sdk) -> None:
    """`/individuals` returns all 500 members of a group at once."""
    listing = large_sdk.groups.get_group_individuals("g-500")
    page = conforming(large_sdk, "UserEntityListing")

    assert len(listing.entities) == 500
    assert page["total"] == 500
    assert "nextUri" not in page


# Skill and language catalogs.


def test_skill_catalog(sdk: Sdk) -> None:
    """`GET /api/v2/routing/skills` lists `RoutingSkill`s by name, with string
    versions."""
    listing = sdk.routing.get_routing_skills()
    page = conforming(sdk, "SkillEntityListing")

    check_envelope(page, "/api/v2/routing/skills", size=25, number=1, total=6)
    assert [skill.name for skill in listing.entities] == [
        "Bilingual Sales",
        "Billing",
        "Chat Support",
        "Claims",
        "Escalations",
        "Legacy IVR",
    ]
    assert all(isinstance(entry["version"], str) for entry in page["entities"])
    ivr = next(skill for skill in listing.entities if skill.id == "s-ivr")
    assert ivr.state == "inactive"
    assert ivr.self_uri == "/api/v2/routing/skills/s-ivr"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Bil", ["s-bilingual", "s-billing"]),
        ("bil", ["s-bilingual", "s-billing"]),
        ("Billing", ["s-billing"]),
        ("Sales", []),
    ],
)
def test_skill_catalog_by_name_prefix(sdk: Sdk, name: str, expected: list[str]) -> None:
    """The skill `name` filter matches names that start with it, in any case."""
    listing = sdk.routing.get_routing_skills(name=name)
    conforming(sdk, "SkillEntityListing")

    assert [skill.id for skill in listing.entities] == expected


def test_skill_catalog_by_id(sdk: Sdk) -> None:
    """The skill `id` list returns just those skills."""
    listing = sdk.routing.get_routing_skills(id=["s-claims", "s-chat"])
    page = conforming(sdk, "SkillEntityListing")

    check_envelope(page, "/api/v2/routing/skills", size=25, number=1, total=2)
    assert sorted(skill.id for skill in listing.entities) == ["s-chat", "s-claims"]


def test_one_skill(sdk: Sdk) -> None:
    """`GET /api/v2/routing/skills/{id}` returns one `RoutingSkill`; unknown is 404."""
    skill = sdk.routing.get_routing_skill("s-escalation")
    conforming(sdk, "RoutingSkill")

    assert (skill.id, skill.name, skill.state) == (
        "s-escalation",
        "Escalations",
        "active",
    )
    assert isinstance(skill.version, str)
    refused(404, "not.found", lambda: sdk.routing.get_routing_skill("s-nope"))


def test_language_catalog(sdk: Sdk) -> None:
    """`GET /api/v2/routing/languages` lists `Language`s by name, either order."""
    listing = sdk.routing.get_routing_languages()
    page = conforming(sdk, "LanguageEntityListing")

    check_envelope(page, "/api/v2/routing/languages", size=25, number=1, total=4)
    names = ["English", "French", "German", "Spanish"]
    assert [language.name for language in listing.entities] == names
    assert all(isinstance(entry["version"], str) for entry in page["entities"])

    backwards = sdk.routing.get_routing_languages(sort_order="descending")
    conforming(sdk, "LanguageEntityListing")
    assert [language.name for language in backwards.entities] == names[::-1]


def test_language_catalog_filters(sdk: Sdk) -> None:
    """The language `name` prefix and `id` list filter the catalog."""
    by_name = sdk.routing.get_routing_languages(name="fr")
    conforming(sdk, "LanguageEntityListing")
    assert [language.id for language in by_name.entities] == ["l-fr"]

    by_id = sdk.routing.get_routing_languages(id=["l-de", "l-es"], page_size=1)
    page = conforming(sdk, "LanguageEntityListing")
    check_envelope(page, "/api/v2/routing/languages", size=1, number=1, total=2)
    assert [language.id for language in by_id.entities] == ["l-de"]


def test_one_language(sdk: Sdk) -> None:
    """`GET /api/v2/routing/languages/{id}` returns one `Language`; unknown is 404."""
    language = sdk.routing.get_routing_language("l-de")
    conforming(sdk, "Language")

    assert (language.id, language.name) == ("l-de", "German")
    refused(404, "not.found", lambda: sdk.routing.get_routing_language("l-xx"))


# A user's skills.


def test_user_skills_listing(sdk: Sdk) -> None:
    """`GET .../routingskills` lists a user's `UserRoutingSkill`s, 25 a page."""
    listing = sdk.users.get_user_routingskills("u-ada")
    page = conforming(sdk, "UserSkillEntityListing")

    path = "/api/v2/users/u-ada/routingskills"
    check_envelope(page, path, size=25, number=1, total=2)
    assert [(s.id, s.name, s.proficiency) for s in listing.entities] == [
        ("s-billing", "Billing", 3.0),
        ("s-claims", "Claims", 4.5),
    ]

    second = sdk.users.get_user_routingskills("u-ada", page_size=1, page_number=2)
    check_envelope(
        conforming(sdk, "UserSkillEntityListing"), path, size=1, number=2, total=2
    )
    assert [skill.id for skill in second.entities] == ["s-claims"]

    sdk.users.get_user_routingskills("u-edsger")
    none = conforming(sdk, "UserSkillEntityListing")
    assert (none["entities"], none["total"], none["pageCount"]) == ([], 0, 0)


def test_post_skill_adds_one(simulator: Simulator) -> None:
    """`POST .../routingskills` adds a skill, answers the `UserRoutingSkill` and
    raises the user's version."""
    sdk = login(simulator)
    before = sdk.users.get_user("u-edsger").version
    added = sdk.users.post_user_routingskills("u-edsger", skill_post("s-chat", 2.5))
    conforming(sdk, "UserRoutingSkill")

    assert sdk.client.last_response.status == 200
    assert (added.id, added.name, added.proficiency) == ("s-chat", "Chat Support", 2.5)
    assert added.state == "active"
    assert added.self_uri == "/api/v2/users/u-edsger/routingskills/s-chat"
    assert simulator.held_skills("u-edsger") == {"s-chat": 2.5}
    listing = sdk.users.get_user_routingskills("u-edsger")
    assert [(s.id, s.proficiency) for s in listing.entities] == [("s-chat", 2.5)]
    assert sdk.users.get_user("u-edsger").version > before


def test_post_held_skill_updates_it(simulator: Simulator) -> None:
    """`POST` of a skill the user holds sets its proficiency and keeps the rest."""
    sdk = login(simulator)
    updated = sdk.users.post_user_routingskills("u-ada", skill_post("s-billing", 4.0))
    conforming(sdk, "UserRoutingSkill")

    assert updated.proficiency == 4.0
    assert simulator.held_skills("u-ada") == {"s-billing": 4.0, "s-claims": 4.5}


def test_put_skill_sets_its_proficiency(simulator: Simulator) -> None:
    """`PUT .../routingskills/{skillId}` sets one skill's proficiency."""
    sdk = login(simulator)
    updated = sdk.users.put_user_routingskill("u-ada", "s-billing", skill_update(1.5))
    conforming(sdk, "UserRoutingSkill")

    assert (updated.id, updated.proficiency) == ("s-billing", 1.5)
    assert simulator.held_skills("u-ada") == {"s-billing": 1.5, "s-claims": 4.5}


def test_put_unknown_skill_in_path_is_not_found(simulator: Simulator) -> None:
    """`PUT .../routingskills/{skillId}` naming no catalog skill is 404."""
    sdk = login(simulator)
    refused(
        404,
        "not.found",
        lambda: sdk.users.put_user_routingskill("u-ada", "s-nope", skill_update(2.0)),
    )
    assert simulator.held_skills("u-ada") == {"s-billing": 3.0, "s-claims": 4.5}


def test_delete_skill_removes_it(simulator: Simulator) -> None:
    """`DELETE .../routingskills/{skillId}` answers 204 and removes the skill;
    deleting it again is 404."""
    sdk = login(simulator)
    result = sdk.users.delete_user_routingskill("u-ada", "s-claims")

    assert result is None
    assert sdk.client.last_response.status == 204
    assert sdk.client.last_response.data == ""
    check_headers(sdk.client.last_response.getheaders())
    assert simulator.held_skills("u-ada") == {"s-billing": 3.0}
    listing = sdk.users.get_user_routingskills("u-ada")
    assert [skill.id for skill in listing.entities] == ["s-billing"]
    refused(
        404,
        "not.found",
        lambda: sdk.users.delete_user_routingskill("u-ada", "s-claims"),
    )


def test_patch_bulk_adds_and_updates(simulator: Simulator) -> None:
    """`PATCH .../routingskills/bulk` adds and updates, keeps the rest, and answers
    the user's whole skill list."""
    sdk = login(simulator)
    listing = sdk.users.patch_user_routingskills_bulk(
        "u-ada", [skill_post("s-billing", 5.0), skill_post("s-chat", 1.0)]
    )
    page = conforming(sdk, "UserSkillEntityListing")

    expected = {"s-billing": 5.0, "s-chat": 1.0, "s-claims": 4.5}
    assert {s.id: s.proficiency for s in listing.entities} == expected
    assert page["total"] == 3
    assert simulator.held_skills("u-ada") == expected


def test_put_bulk_replaces_every_skill(simulator: Simulator) -> None:
    """`PUT .../routingskills/bulk` makes the body the user's whole skill set."""
    sdk = login(simulator)
    listing = sdk.users.put_user_routingskills_bulk(
        "u-ada", [skill_post("s-escalation", 2.0)]
    )
    conforming(sdk, "UserSkillEntityListing")

    assert [(s.id, s.proficiency) for s in listing.entities] == [("s-escalation", 2.0)]
    assert simulator.held_skills("u-ada") == {"s-escalation": 2.0}


def test_put_bulk_of_nothing_removes_every_skill(simulator: Simulator) -> None:
    """`PUT .../routingskills/bulk` with an empty list leaves the user no skills."""
    sdk = login(simulator)
    listing = sdk.users.put_user_routingskills_bulk("u-ada", [])
    page = conforming(sdk, "UserSkillEntityListing")

    assert listing.entities == []
    assert page["total"] == 0
    assert simulator.held_skills("u-ada") == {}


@pytest.mark.parametrize("proficiency", [5.5, -0.5])
def test_skill_proficiency_out_of_range_changes_nothing(
    simulator: Simulator, proficiency: float
) -> None:
    """A skill proficiency outside 0.0-5.0 is 400 `bad.request` on every skill
    write, and the user keeps what it held."""
    sdk = login(simulator)
    held = simulator.held_skills("u-ada")
    body = skill_post("s-chat", proficiency)
    refused(
        400, "bad.request", lambda: sdk.users.post_user_routingskills("u-ada", body)
    )
    refused(
        400,
        "bad.request",
        lambda: sdk.users.put_user_routingskill(
            "u-ada", "s-billing", skill_update(proficiency)
        ),
    )
    refused(
        400,
        "bad.request",
        lambda: sdk.users.patch_user_routingskills_bulk(
            "u-ada", [skill_post("s-billing", 1.0), body]
        ),
    )
    refused(
        400,
        "bad.request",
        lambda: sdk.users.put_user_routingskills_bulk("u-ada", [body]),
    )
    assert simulator.held_skills("u-ada") == held


def test_unknown_skill_id_changes_nothing(simulator: Simulator) -> None:
    """A skill id the catalog lacks, alone or among valid items, is 400
    `bad.request`, and nothing of the request is applied."""
    sdk = login(simulator)
    held = simulator.held_skills("u-ada")
    unknown = skill_post("s-nope", 2.0)
    refused(
        400, "bad.request", lambda: sdk.users.post_user_routingskills("u-ada", unknown)
    )
    refused(
        400,
        "bad.request",
        lambda: sdk.users.patch_user_routingskills_bulk(
            "u-ada", [skill_post("s-chat", 1.0), unknown]
        ),
    )
    refused(
        400,
        "bad.request",
        lambda: sdk.users.put_user_routingskills_bulk(
            "u-ada", [skill_post("s-chat", 1.0), unknown]
        ),
    )
    assert simulator.held_skills("u-ada") == held


def test_bulk_of_more_than_50_changes_nothing(start_simulator: StartSimulator) -> None:
    """A bulk write of 51 valid items is 400 `bad.request` and changes nothing;
    50 items are accepted."""
    sim = start_simulator(wide_org())
    sdk = login(sim)
    skills = [skill_post(f"s-{n:02d}", 1.0) for n in range(51)]
    languages = [language_post(f"l-{n:02d}", 1) for n in range(51)]
    users = sdk.users
    refused(
        400,
        "bad.request",
        lambda: users.patch_user_routingskills_bulk("u-wide", skills),
    )
    refused(
        400, "bad.request", lambda: users.put_user_routingskills_bulk("u-wide", skills)
    )
    refused(
        400,
        "bad.request",
        lambda: users.patch_user_routinglanguages_bulk("u-wide", languages),
    )
    assert sim.state_user("u-wide")["skills"] == []
    assert sim.state_user("u-wide")["languages"] == []

    listing = users.patch_user_routingskills_bulk("u-wide", skills[:50])
    conforming(sdk, "UserSkillEntityListing")
    assert len(listing.entities) == 50


def test_a_user_holds_at_most_50_skills(start_simulator: StartSimulator) -> None:
    """A write that would give a user a 51st skill is 400 and changes nothing."""
    sim = start_simulator(wide_org())
    sdk = login(sim)
    sdk.users.patch_user_routingskills_bulk(
        "u-wide", [skill_post(f"s-{n:02d}", 1.0) for n in range(50)]
    )
    extra = skill_post("s-59", 1.0)
    refused(
        400, "bad.request", lambda: sdk.users.post_user_routingskills("u-wide", extra)
    )
    assert len(sim.held_skills("u-wide")) == 50
    assert "s-59" not in sim.held_skills("u-wide")


# A user's languages.


def test_user_languages_listing(sdk: Sdk) -> None:
    """`GET .../routinglanguages` lists `UserRoutingLanguage`s with whole-number
    proficiencies."""
    listing = sdk.users.get_user_routinglanguages("u-ada")
    page = conforming(sdk, "UserLanguageEntityListing")

    path = "/api/v2/users/u-ada/routinglanguages"
    check_envelope(page, path, size=25, number=1, total=2)
    assert [(lang.id, lang.proficiency) for lang in listing.entities] == [
        ("l-en", 5),
        ("l-fr", 3),
    ]
    assert all(isinstance(entry["proficiency"], int) for entry in page["entities"])
    assert page["entities"][1]["languageUri"] == "/api/v2/routing/languages/l-fr"


def test_post_language_adds_one(simulator: Simulator) -> None:
    """`POST .../routinglanguages` adds a language and answers it."""
    sdk = login(simulator)
    before = sdk.users.get_user("u-edsger").version
    added = sdk.users.post_user_routinglanguages("u-edsger", language_post("l-de", 3))
    conforming(sdk, "UserRoutingLanguage")

    assert (added.id, added.name, added.proficiency) == ("l-de", "German", 3)
    assert added.self_uri == "/api/v2/users/u-edsger/routinglanguages/l-de"
    assert simulator.held_languages("u-edsger") == {"l-de": 3}
    assert sdk.users.get_user("u-edsger").version > before


def test_patch_language_sets_its_proficiency(simulator: Simulator) -> None:
    """`PATCH .../routinglanguages/{languageId}` sets one proficiency."""
    sdk = login(simulator)
    updated = sdk.users.patch_user_routinglanguage("u-ada", "l-fr", language_update(4))
    conforming(sdk, "UserRoutingLanguage")

    assert (updated.id, updated.proficiency) == ("l-fr", 4)
    assert simulator.held_languages("u-ada") == {"l-en": 5, "l-fr": 4}


def test_patch_unknown_language_in_path_is_not_found(simulator: Simulator) -> None:
    """`PATCH .../routinglanguages/{languageId}` naming no catalog language is 404."""
    sdk = login(simulator)
    refused(
        404,
        "not.found",
        lambda: sdk.users.patch_user_routinglanguage(
            "u-ada", "l-xx", language_update(2)
        ),
    )
    assert simulator.held_languages("u-ada") == {"l-en": 5, "l-fr": 3}


def test_delete_language_removes_it(simulator: Simulator) -> None:
    """`DELETE .../routinglanguages/{languageId}` answers 204 and removes it;
    deleting it again is 404."""
    sdk = login(simulator)
    assert sdk.users.delete_user_routinglanguage("u-ada", "l-fr") is None
    assert sdk.client.last_response.status == 204
    check_headers(sdk.client.last_response.getheaders())

    assert simulator.held_languages("u-ada") == {"l-en": 5}
    refused(
        404,
        "not.found",
        lambda: sdk.users.delete_user_routinglanguage("u-ada", "l-fr"),
    )


def test_patch_language_bulk_rounds_half_up(simulator: Simulator) -> None:
    """`PATCH .../routinglanguages/bulk` adds and updates, keeps the rest, rounds
    fractions half up and answers every language as whole numbers."""
    sdk = login(simulator)
    listing = sdk.users.patch_user_routinglanguages_bulk(
        "u-ada", [language_post("l-en", 2.5), language_post("l-de", 2.4)]
    )
    page = conforming(sdk, "UserLanguageEntityListing")

    expected = {"l-de": 2, "l-en": 3, "l-fr": 3}
    assert {lang.id: lang.proficiency for lang in listing.entities} == expected
    assert all(isinstance(entry["proficiency"], int) for entry in page["entities"])
    assert simulator.held_languages("u-ada") == expected


def test_invalid_language_writes_change_nothing(simulator: Simulator) -> None:
    """An unknown language id or a proficiency above 5 is 400 and changes nothing."""
    sdk = login(simulator)
    held = simulator.held_languages("u-ada")
    unknown = language_post("l-xx", 2)
    too_high = language_post("l-de", 6)
    users = sdk.users
    refused(
        400, "bad.request", lambda: users.post_user_routinglanguages("u-ada", unknown)
    )
    refused(
        400, "bad.request", lambda: users.post_user_routinglanguages("u-ada", too_high)
    )
    refused(
        400,
        "bad.request",
        lambda: users.patch_user_routinglanguages_bulk(
            "u-ada", [language_post("l-de", 1), unknown]
        ),
    )
    refused(
        400,
        "bad.request",
        lambda: users.patch_user_routinglanguage("u-ada", "l-fr", language_update(6)),
    )
    assert simulator.held_languages("u-ada") == held


def test_put_language_bulk_does_not_exist(simulator: Simulator) -> None:
    """There is no `PUT .../routinglanguages/bulk`: the SDK has no method for it
    and the simulator answers 404."""
    assert not hasattr(UsersApi, "put_user_routinglanguages_bulk")

    token = simulator.mint()
    path = "/api/v2/users/u-ada/routinglanguages/bulk"
    answer = simulator.call("PUT", path, token, json=[{"id": "l-de", "proficiency": 1}])
    raw_error(answer, 404, "not.found")
    assert simulator.held_languages("u-ada") == {"l-en": 5, "l-fr": 3}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/routing/users/u-ada/routingprofile",
        "/api/v2/scim/v2/Users",
        "/api/v2/nothing",
    ],
)
def test_unserved_routes_are_not_found(
    shared: Simulator, shared_token: str, path: str
) -> None:
    """Routes the real API lacks, or the simulator does not serve, are 404."""
    raw_error(shared.call("GET", path, shared_token), 404, "not.found")


# Limits.


def test_platform_api_limits(start_simulator: StartSimulator, small_org: Org) -> None:
    """`GET .../limits/namespaces/platform.api` reports the token rate limit the
    simulator enforces and the other documented defaults."""
    sim = start_simulator(small_org, SimSettings(rate_limit=120))
    sdk = login(sim)
    listing = sdk.organization.get_organizations_limits_namespace("platform.api")
    conforming(sdk, "LimitsEntityListing")

    values = {limit.key: limit.value for limit in listing.entities}
    assert values["client.credentials.token.rate.per.minute"] == 120
    assert values["org.app.user.rate.per.minute"] == 300
    assert values["org.user.rate.per.minute"] == 3000
    assert {limit.namespace for limit in listing.entities} == {"platform.api"}


def test_other_limit_namespaces_are_not_found(sdk: Sdk) -> None:
    """A limits namespace other than `platform.api` is 404."""
    refused(
        404,
        "not.found",
        lambda: sdk.organization.get_organizations_limits_namespace("routing"),
    )


# Rate limits.


def test_429_after_the_limit_with_retry_after(start_simulator: StartSimulator) -> None:
    """Past `rate_limit` requests a minute a token gets the normalized 429: whole
    seconds in `Retry-After` and the message, until the oldest request ages out."""
    clock = ManualClock()
    sim = start_simulator(build_org({}), SimSettings(rate_limit=3, clock=clock))
    sdk = login(sim)
    for _ in range(3):
        sdk.users.get_users()

    clock.advance(20)
    with pytest.raises(ApiException) as caught:
        sdk.users.get_users()

    body = check_error(caught.value, 429, "too.many.requests.retry.after")
    retry_after = caught.value.headers.get("Retry-After")
    assert re.fullmatch(r"[0-9]+", retry_after)
    assert retry_after == "40"
    assert body["message"] == (
        "Rate limit exceeded the maximum. Retry the request in [40] seconds"
    )

    clock.advance(40)
    assert sdk.users.get_users().total == 0


def test_rate_limit_is_per_token(start_simulator: StartSimulator) -> None:
    """A second token has its own budget when the first is spent."""
    sim = start_simulator(build_org({}), SimSettings(rate_limit=2, clock=ManualClock()))
    spent = login(sim)
    spent.users.get_users()
    spent.users.get_users()
    refused(429, "too.many.requests.retry.after", spent.users.get_users)

    fresh = login(sim)
    assert fresh.users.get_users().total == 0


def test_tokens_and_simulator_endpoints_are_not_rate_limited(
    start_simulator: StartSimulator,
) -> None:
    """Minting tokens and reading `/_sim/*` spend none of a token's budget."""
    sim = start_simulator(build_org({}), SimSettings(rate_limit=2, clock=ManualClock()))
    token = sim.mint()
    for _ in range(5):
        sim.mint()
        sim.state()
        sim.stats()

    sdk = connect(sim.url, token)
    sdk.users.get_users()
    sdk.users.get_users()
    refused(429, "too.many.requests.retry.after", sdk.users.get_users)


# Permissions, faults and sizes.


def test_missing_permission_is_forbidden(simulator: Simulator) -> None:
    """A client without `routing:skill:assign` gets 403 `missing.permissions`
    naming it, changes nothing, and still reads what needs no permission."""
    sdk = login(simulator, simulator.mint("reader", "reader-secret"))
    body = refused(
        403,
        "missing.permissions",
        lambda: sdk.users.post_user_routingskills("u-ada", skill_post("s-chat", 1.0)),
    )
    assert any("routing:skill:assign" in v for v in body["messageParams"].values())
    assert simulator.held_skills("u-ada") == {"s-billing": 3.0, "s-claims": 4.5}

    assert sdk.users.get_users().total == 9
    assert sdk.routing.get_routing_skills().total == 6


def test_injected_errors_are_gateway_failures_or_drops(
    start_simulator: StartSimulator,
) -> None:
    """With an error rate of 1, every request, the token request included, is
    answered 502, 503 or 504 without `Retry-After`, or its connection is dropped;
    over enough requests each of the four happens."""
    codes = {502: "bad.gateway", 503: "service.unavailable", 504: "gateway.timeout"}
    sim = start_simulator(build_org({}), SimSettings(error_rate=1.0, seed=3))
    seen: set[int | str] = set()
    for _ in range(60):
        try:
            answer = sim.http.post(
                "/oauth/token", auth=DEMO_CLIENT, data=CLIENT_CREDENTIALS
            )
        except (httpx.RemoteProtocolError, httpx.ReadError):
            seen.add("drop")
            continue
        assert answer.status_code in codes, answer.text
        raw_error(answer, answer.status_code, codes[answer.status_code])
        assert "Retry-After" not in answer.headers
        seen.add(answer.status_code)
    assert seen == {502, 503, 504, "drop"}


def test_injected_conflicts_refuse_writes_only(
    start_simulator: StartSimulator, small_org: Org
) -> None:
    """With a conflict rate of 1, every write is 409 `conflict` and changes nothing,
    while reads still answer."""
    sim = start_simulator(small_org, SimSettings(conflict_rate=1.0))
    sdk = login(sim)
    users = sdk.users
    body = [skill_post("s-chat", 1.0)]
    refused(409, "conflict", lambda: users.patch_user_routingskills_bulk("u-ada", body))
    refused(
        409, "conflict", lambda: users.delete_user_routingskill("u-ada", "s-claims")
    )
    refused(
        409,
        "conflict",
        lambda: users.patch_user_routinglanguages_bulk(
            "u-ada", [language_post("l-de", 2)]
        ),
    )
    assert sim.held_skills("u-ada") == {"s-billing": 3.0, "s-claims": 4.5}
    assert sim.held_languages("u-ada") == {"l-en": 5, "l-fr": 3}
    assert len(users.get_user_routingskills("u-ada").entities) == 2


def test_dropped_expansions_leave_the_key_out(
    start_simulator: StartSimulator, small_org: Org
) -> None:
    """A dropped expansion is an absent key, never null or an empty list."""
    sim = start_simulator(small_org, SimSettings(expand_drop_rate=1.0))
    sdk = login(sim)
    listing = sdk.users.get_users(expand=ALL_EXPANSIONS)
    page = conforming(sdk, "UserEntityListing")

    for user in page["entities"]:
        assert not {"skills", "languages", "groups"} & set(user)

    assert all(user.skills is None for user in listing.entities)
    assert len(sdk.users.get_user_routingskills("u-ada").entities) == 2


def test_body_over_512000_bytes_is_too_large(simulator: Simulator) -> None:
    """A request body above 512,000 bytes is 413 with an `ErrorBody`."""
    token = simulator.mint()
    padding = "x" * 520_000
    body = [{"id": "s-chat", "proficiency": 1.0, "selfUri": padding}]
    answer = simulator.call(
        "PATCH", "/api/v2/users/u-ada/routingskills/bulk", token, json=body
    )

    assert answer.status_code == 413
    check_fields(answer.json(), "ErrorBody")
    assert simulator.held_skills("u-ada") == {"s-billing": 3.0, "s-claims": 4.5}


def test_statistics_count_sdk_requests(simulator: Simulator) -> None:
    """`/_sim/stats` counts SDK requests by method and route, tokens included,
    and never counts itself."""
    sdk = connect(simulator.url)
    sdk.client.get_client_credentials_token(*DEMO_CLIENT)
    sdk.users.get_users()
    sdk.users.get_users(page_number=2)
    simulator.stats()
    stats = simulator.stats()

    assert stats["requests"]["POST /oauth/token"] == 1
    assert stats["requests"]["GET /api/v2/users"] == 2
    assert stats["statuses"] == {"200": 3}
    assert not [key for key in stats["requests"] if "/_sim/" in key]
