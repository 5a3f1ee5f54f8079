"""The simulator's behaviour beyond the shapes the SDK checks: limits, tokens,
faults, validation and concurrency, in-process and over a real port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import orjson
import pytest

from skillsync.fixture import Org, parse_org
from skillsync.simulator.app import SimSettings, Simulator, create_app
from skillsync.simulator.server import running_server

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    """Run the async tests on asyncio, as uvicorn does."""
    return "asyncio"


class FakeClock:
    """A clock tests move by hand, so nothing sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def small_org(users: int = 12, **extra: Any) -> Org:
    """An org of `users` active users, two skills, two languages, one group."""
    document: dict[str, Any] = {
        "skills": [
            {"id": "s-billing", "name": "Billing"},
            {"id": "s-sales", "name": "Sales"},
            {"id": "s-old", "name": "Old", "state": "deleted"},
        ],
        "languages": [
            {"id": "l-en", "name": "English"},
            {"id": "l-fr", "name": "French"},
        ],
        "users": [
            {
                "id": f"u-{i:04d}",
                "name": f"Agent {i:04d}",
                "email": f"agent{i}@example.com",
                "skills": [{"id": "s-billing", "proficiency": 3.0}],
                "languages": [{"id": "l-en", "proficiency": 5}],
            }
            for i in range(users)
        ],
        "groups": [{"id": "g-1", "name": "Support", "members": ["u-0000"]}],
        **extra,
    }
    return parse_org(orjson.dumps(document))


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """An authenticated client on an in-process simulator of `small_org`."""
    async with authorized(create_app(small_org())) as http:
        yield http


class authorized:  # noqa: N801 - used as a context manager, named like one
    """An httpx client for an app, carrying a fresh bearer token."""

    def __init__(self, app: Simulator) -> None:
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://sim"
        )

    async def __aenter__(self) -> httpx.AsyncClient:
        token = await mint(self.http)
        self.http.headers["Authorization"] = f"Bearer {token}"
        return self.http

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()


async def mint(http: httpx.AsyncClient) -> str:
    """A token for the demo client."""
    answer = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("demo-client", "demo-secret"),
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


async def state_of(http: httpx.AsyncClient) -> dict[str, Any]:
    """The org as `/_sim/state` reports it."""
    body: dict[str, Any] = (await http.get("/_sim/state")).json()
    return body


def user_in(state: dict[str, Any], user_id: str) -> dict[str, Any]:
    """One user of a `/_sim/state` document."""
    found: dict[str, Any] = next(u for u in state["users"] if u["id"] == user_id)
    return found


async def test_rate_limit_answers_429_with_whole_seconds() -> None:
    """Past the per-token limit the API answers 429 with the real body and a
    Retry-After in whole seconds, and no removed inin-ratelimit headers."""
    clock = FakeClock()
    app = create_app(small_org(), SimSettings(rate_limit=3, clock=clock))
    async with authorized(app) as http:
        for _ in range(3):
            assert (await http.get("/api/v2/users")).status_code == 200

        clock.now += 20.5
        refused = await http.get("/api/v2/users")
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "40"
        body = refused.json()
        assert body["code"] == "too.many.requests.retry.after"
        assert body["message"].endswith("[40] seconds")
        assert body["contextId"] == refused.headers["ININ-Correlation-Id"]
        assert not any(h.startswith("inin-ratelimit") for h in refused.headers)

        clock.now += 40
        assert (await http.get("/api/v2/users")).status_code == 200


async def test_each_token_has_its_own_budget() -> None:
    """A second token is not slowed by the first one's requests."""
    app = create_app(small_org(), SimSettings(rate_limit=1, clock=FakeClock()))
    async with authorized(app) as first, authorized(app) as second:
        assert (await first.get("/api/v2/users")).status_code == 200
        assert (await first.get("/api/v2/users")).status_code == 429
        assert (await second.get("/api/v2/users")).status_code == 200


async def test_token_expires_after_its_lifetime() -> None:
    """A token older than `token_ttl` is refused with 401 bad.credentials."""
    clock = FakeClock()
    app = create_app(small_org(), SimSettings(token_ttl=300, clock=clock))
    async with authorized(app) as http:
        assert (await http.get("/api/v2/users")).status_code == 200
        clock.now += 300
        refused = await http.get("/api/v2/users")
        assert refused.status_code == 401
        assert refused.json()["code"] == "bad.credentials"


async def test_token_endpoint_refuses_bad_credentials_and_bursts() -> None:
    """Wrong secrets get 401 invalid_client; form-field credentials work; the
    61st token in a minute is refused with 400 rate limit exceeded."""
    app = create_app(small_org(), SimSettings(clock=FakeClock()))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as http:
        wrong = await http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("demo-client", "nope"),
        )
        assert wrong.status_code == 401
        assert wrong.json()["error"] == "invalid_client"

        grant = await http.post("/oauth/token", data={"grant_type": "password"})
        assert grant.status_code == 400
        assert grant.json()["error"] == "unsupported_grant_type"

        form = {
            "grant_type": "client_credentials",
            "client_id": "demo-client",
            "client_secret": "demo-secret",
        }
        for _ in range(60):
            assert (await http.post("/oauth/token", data=form)).status_code == 200

        burst = await http.post("/oauth/token", data=form)
        assert burst.status_code == 400
        assert burst.json() == {"error": "rate limit exceeded"}
        assert "Retry-After" not in burst.headers


async def test_missing_or_unknown_bearer_token_is_401() -> None:
    """Requests without a valid bearer token get the ErrorBody 401."""
    app = create_app(small_org())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as http:
        for headers in ({}, {"Authorization": "Bearer nonsense"}):
            refused = await http.get("/api/v2/users", headers=headers)
            assert refused.status_code == 401
            assert refused.json()["message"] == "Invalid login credentials."


async def test_missing_permission_names_it() -> None:
    """A client without routing:skill:assign gets 403 naming that permission,
    and nothing changes."""
    clients = [{"id": "reader", "secret": "s3", "permissions": ["routing:skill:view"]}]
    app = create_app(small_org(clients=clients))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as http:
        token = await http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("reader", "s3"),
        )
        http.headers["Authorization"] = "Bearer " + token.json()["access_token"]
        refused = await http.patch(
            "/api/v2/users/u-0001/routingskills/bulk",
            json=[{"id": "s-sales", "proficiency": 2}],
        )
        assert refused.status_code == 403
        body = refused.json()
        assert body["code"] == "missing.permissions"
        assert body["messageParams"] == {"permissions": "routing:skill:assign"}
        assert user_in(await state_of(http), "u-0001")["skills"] == [
            {"id": "s-billing", "proficiency": 3.0}
        ]


@pytest.mark.parametrize(
    "body",
    [
        [{"id": "s-sales", "proficiency": 2}] * 51,
        [{"id": "s-sales", "proficiency": 2}, {"id": "s-nope", "proficiency": 2}],
        [{"id": "s-sales", "proficiency": 5.5}],
        [{"id": "s-sales"}],
        [{"id": "s-old", "proficiency": 1}],
        {"id": "s-sales", "proficiency": 2},
    ],
    ids=["over-50", "unknown-id", "out-of-range", "no-proficiency", "deleted", "obj"],
)
async def test_invalid_bulk_write_changes_nothing(
    client: httpx.AsyncClient, body: object
) -> None:
    """An invalid bulk write is refused whole with 400 bad.request."""
    before = await state_of(client)
    answer = await client.patch("/api/v2/users/u-0001/routingskills/bulk", json=body)
    assert answer.status_code == 400
    assert answer.json()["code"] == "bad.request"
    assert await state_of(client) == before


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    """A body that is not JSON is refused with 400."""
    answer = await client.patch(
        "/api/v2/users/u-0001/routinglanguages/bulk", content=b"[{"
    )
    assert answer.status_code == 400


async def test_language_proficiency_rounds_half_up(client: httpx.AsyncClient) -> None:
    """Language proficiencies are stored as whole numbers, rounded half up."""
    answer = await client.patch(
        "/api/v2/users/u-0001/routinglanguages/bulk",
        json=[{"id": "l-fr", "proficiency": 2.5}, {"id": "l-en", "proficiency": 3.4}],
    )
    assert answer.status_code == 200
    held = {e["id"]: e["proficiency"] for e in answer.json()["entities"]}
    assert held == {"l-en": 3, "l-fr": 3}


async def test_bulk_put_replaces_and_patch_keeps(client: httpx.AsyncClient) -> None:
    """PATCH bulk keeps skills it does not name; PUT bulk drops them."""
    patched = await client.patch(
        "/api/v2/users/u-0001/routingskills/bulk",
        json=[{"id": "s-sales", "proficiency": 4.5}],
    )
    assert {e["id"] for e in patched.json()["entities"]} == {"s-billing", "s-sales"}
    replaced = await client.put(
        "/api/v2/users/u-0001/routingskills/bulk",
        json=[{"id": "s-sales", "proficiency": 1}],
    )
    assert [e["id"] for e in replaced.json()["entities"]] == ["s-sales"]


async def test_user_version_rises_on_each_write(client: httpx.AsyncClient) -> None:
    """Every skill or language write raises the user's version by one."""
    first = (await client.get("/api/v2/users/u-0002")).json()["version"]
    await client.post(
        "/api/v2/users/u-0002/routingskills", json={"id": "s-sales", "proficiency": 1}
    )
    await client.delete("/api/v2/users/u-0002/routinglanguages/l-en")
    assert (await client.get("/api/v2/users/u-0002")).json()["version"] == first + 2


async def test_delete_of_missing_item_is_404(client: httpx.AsyncClient) -> None:
    """Deleting a skill the user lacks is 404, which clients count as done."""
    answer = await client.delete("/api/v2/users/u-0001/routingskills/s-sales")
    assert answer.status_code == 404
    assert answer.json()["code"] == "not.found"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/api/v2/users/u-0001/routinglanguages/bulk"),
        ("GET", "/api/v2/routing/users/u-0001/routingprofile"),
        ("GET", "/api/v2/users/u-9999"),
        ("GET", "/api/v2/groups/g-9"),
        ("GET", "/api/v2/organizations/limits/namespaces/other"),
    ],
)
async def test_unknown_routes_and_entities_are_404(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    """Routes the real API lacks and unknown ids answer 404 not.found."""
    answer = await client.request(method, path, json=[])
    assert answer.status_code == 404
    assert answer.json()["code"] == "not.found"


@pytest.mark.parametrize(
    "query",
    [
        {"pageSize": "501"},
        {"pageSize": "0"},
        {"pageNumber": "0"},
        {"pageSize": "ten"},
        {"sortOrder": "sideways"},
        {"state": "retired"},
        {"id": ",".join(f"u-{i}" for i in range(101))},
    ],
)
async def test_bad_listing_parameters_are_400(
    client: httpx.AsyncClient, query: dict[str, str]
) -> None:
    """Out-of-range paging, unknown sort orders and states, and over 100 ids
    are refused with 400."""
    assert (await client.get("/api/v2/users", params=query)).status_code == 400


async def test_expand_accepts_joined_and_repeated_forms(
    client: httpx.AsyncClient,
) -> None:
    """`expand` works comma-joined and repeated; unknown values are ignored."""
    joined = await client.get("/api/v2/users?expand=skills,languages,bogus")
    repeated = await client.get("/api/v2/users?expand=skills&expand=languages")
    for answer in (joined, repeated):
        user = answer.json()["entities"][0]
        assert set(user) >= {"skills", "languages"}
        assert "groups" not in user


async def test_id_lists_pick_entities_in_listing_order(
    client: httpx.AsyncClient,
) -> None:
    """An `id` list returns just those users (by state) and groups, in listing
    order, ignoring unknown ids and repeats."""
    wanted = "u-0003,u-0001,u-0003,u-nope"
    users = await client.get("/api/v2/users", params={"id": wanted})
    assert [u["id"] for u in users.json()["entities"]] == ["u-0001", "u-0003"]
    inactive = await client.get(
        "/api/v2/users", params={"id": wanted, "state": "inactive"}
    )
    assert inactive.json()["total"] == 0
    groups = await client.get("/api/v2/groups", params={"id": ["g-1", "g-2"]})
    assert [g["id"] for g in groups.json()["entities"]] == ["g-1"]


async def test_listing_without_expand_omits_the_keys(
    client: httpx.AsyncClient,
) -> None:
    """Without `expand`, skills, languages and groups are absent, not empty."""
    user = (await client.get("/api/v2/users")).json()["entities"][0]
    assert not {"skills", "languages", "groups"} & set(user)


async def test_expand_drop_rate_omits_keys_reproducibly() -> None:
    """With a drop rate, some users come back without an expansion, and the
    same seed drops the same ones."""

    async def dropped(seed: int) -> list[str]:
        settings = SimSettings(expand_drop_rate=0.5, seed=seed)
        async with authorized(create_app(small_org(40), settings)) as http:
            page = await http.get("/api/v2/users?pageSize=40&expand=skills")
            return [u["id"] for u in page.json()["entities"] if "skills" not in u]

    first, again = await dropped(3), await dropped(3)
    assert first == again
    assert 0 < len(first) < 40


async def test_inactive_listing_stops_at_ten_thousand(
    client: httpx.AsyncClient,
) -> None:
    """Inactive users cannot be paged beyond 10,000 results, as in the real API."""
    answer = await client.get("/api/v2/users?state=inactive&pageSize=500&pageNumber=21")
    assert answer.status_code == 400
    allowed = await client.get(
        "/api/v2/users?state=inactive&pageSize=500&pageNumber=20"
    )
    assert allowed.status_code == 200


async def test_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    """A body above 512,000 bytes is refused with 413."""
    answer = await client.patch(
        "/api/v2/users/u-0001/routingskills/bulk", content=b" " * 512_001
    )
    assert answer.status_code == 413


async def test_conflict_rate_refuses_writes_before_changing() -> None:
    """Injected 409 conflicts leave the user unchanged."""
    app = create_app(small_org(), SimSettings(conflict_rate=1.0))
    async with authorized(app) as http:
        before = await state_of(http)
        answer = await http.patch(
            "/api/v2/users/u-0001/routingskills/bulk",
            json=[{"id": "s-sales", "proficiency": 2}],
        )
        assert answer.status_code == 409
        assert answer.json()["code"] == "conflict"
        assert await state_of(http) == before
        assert (await http.get("/api/v2/users")).status_code == 200


async def test_error_rate_faults_are_seeded() -> None:
    """The same seed fails the same requests with 502, 503 or 504."""

    async def statuses(seed: int) -> list[int | str]:
        settings = SimSettings(error_rate=0.5, seed=seed)
        app = create_app(small_org(), settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://s") as h:
            return [await status(h) for _ in range(40)]

    first = await statuses(11)
    assert first == await statuses(11)
    assert {502, 503, 504, "dropped"} <= set(first)
    assert 401 in first


async def status(http: httpx.AsyncClient) -> int | str:
    """The status a request gets, or "dropped" when its connection drops."""
    try:
        return (await http.get("/api/v2/users")).status_code
    except httpx.RemoteProtocolError:
        return "dropped"


async def test_concurrent_writes_to_one_user_are_all_kept() -> None:
    """Fifty concurrent single-skill writes to one user all land."""
    org = small_org()
    skills = [{"id": f"s-{i}", "name": f"Skill {i:02d}"} for i in range(50)]
    document = orjson.loads(orjson.dumps(org.model_dump(mode="json")))
    document["skills"] += skills
    document["users"][1]["skills"] = []
    app = create_app(parse_org(orjson.dumps(document)))
    async with authorized(app) as http:
        await asyncio.gather(
            *(
                http.post(
                    "/api/v2/users/u-0001/routingskills",
                    json={"id": s["id"], "proficiency": 2},
                )
                for s in skills
            )
        )
        held = user_in(await state_of(http), "u-0001")["skills"]
        assert len(held) == 50


async def test_stats_count_requests_by_route_template(
    client: httpx.AsyncClient,
) -> None:
    """`/_sim/stats` counts every API request by method and route template,
    the token request included, and never itself."""
    await client.get("/api/v2/users/u-0001")
    await client.get("/api/v2/users/u-0002")
    await client.get("/_sim/stats")
    stats = (await client.get("/_sim/stats")).json()
    assert stats["requests"] == {
        "POST /oauth/token": 1,
        "GET /api/v2/users/{userId}": 2,
    }
    assert stats["statuses"] == {"200": 3}


@pytest.fixture
def served() -> Iterator[tuple[str, Simulator]]:
    """The simulator on a real local port, failing every request by dropping it."""
    app = create_app(small_org(), SimSettings(error_rate=1.0))
    app.faults.failure = lambda: "drop"  # type: ignore[method-assign]
    with running_server(app) as base_url:
        yield base_url, app


def test_dropped_connection_is_seen_by_a_real_client(
    served: tuple[str, Simulator],
) -> None:
    """Over a real socket, a dropped request reaches the client as a protocol
    error, never as an answer."""
    base_url, _ = served
    with httpx.Client(base_url=base_url) as http, pytest.raises(httpx.TransportError):
        http.get("/api/v2/users")


def test_served_on_a_port_answers_like_in_process() -> None:
    """Over HTTP on a free port, the token, a listing and `/_sim/state` work."""
    with (
        running_server(create_app(small_org())) as base_url,
        httpx.Client(base_url=base_url) as http,
    ):
        token = http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("demo-client", "demo-secret"),
        ).json()["access_token"]
        page = http.get(
            "/api/v2/users",
            params={"pageSize": 5},
            headers={"Authorization": f"bearer {token}"},
        ).json()
        assert page["total"] == 12
        assert page["pageCount"] == 3
        assert len(http.get("/_sim/state").json()["users"]) == 12
