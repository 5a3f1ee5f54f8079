"""The Genesys Cloud client against the simulator, in-process: paging, pacing,
retries, tokens and errors.

The client and the simulator share one virtual clock, so minutes of rate
limiting pass in milliseconds while both sides agree on what time it is.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from conftest import VirtualClock, build_org, person, small_org_data
from skillsync.errors import ApiStatusError, AuthError, GenesysError
from skillsync.fixture import Org
from skillsync.genesys.api import GenesysApi
from skillsync.genesys.client import GenesysClient
from skillsync.genesys.connection import Connection, Credentials
from skillsync.ids import GenesysUserId, LanguageId, SkillId
from skillsync.ratelimit import RetryPolicy
from skillsync.simulator.app import SimSettings, Simulator, create_app

pytestmark = pytest.mark.anyio

BASE = "http://sim.test"
USER_ADA = GenesysUserId("u-ada")


@pytest.fixture
def anyio_backend() -> str:
    """Run these tests on asyncio, as skillsync does."""
    return "asyncio"


def connection(secret: str = "demo-secret", pool: int = 1) -> Connection:
    """A connection to the in-process simulator."""
    return Connection(BASE, BASE, Credentials("demo-client", secret), pool)


class Recorder(httpx.AsyncBaseTransport):
    """A transport that notes each API request's virtual time, then passes it on."""

    def __init__(self, inner: httpx.AsyncBaseTransport, clock: VirtualClock) -> None:
        self.inner = inner
        self.clock = clock
        self.sent: list[tuple[float, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/api/"):
            self.sent.append((self.clock.now(), request.url.path))

        return await self.inner.handle_async_request(request)


def simulated(
    org: Org,
    settings: SimSettings | None = None,
    clock: VirtualClock | None = None,
) -> tuple[Recorder, VirtualClock, Simulator]:
    """A recording transport into a simulator of `org` on a shared clock."""
    clock = clock or VirtualClock()
    settings = dataclasses.replace(settings or SimSettings(), clock=clock)
    app = create_app(org, settings)
    return Recorder(httpx.ASGITransport(app=app), clock), clock, app


def client(
    transport: httpx.AsyncBaseTransport,
    clock: VirtualClock,
    *,
    rate_limit: int | None = None,
    secret: str = "demo-secret",
    pool: int = 1,
    attempts: int = 8,
) -> GenesysClient:
    """A client with a seeded retry policy on the virtual clock."""
    retry = RetryPolicy(attempts=attempts, rng=random.Random(7))
    return GenesysClient(
        connection(secret, pool),
        rate_limit=rate_limit,
        clock=clock,
        retry=retry,
        transport=transport,
    )


def org_of_users(count: int) -> Org:
    """An org of `count` users named so that their listing order is their number."""
    users = [person(f"u-{n:05}", f"User {n:05}") for n in range(count)]
    return build_org({"users": users})


def most_in_a_window(times: list[float], window: float = 60.0) -> int:
    """The most requests sent within any rolling `window` seconds."""
    ordered = sorted(times)
    start = 0
    most = 0
    for end, moment in enumerate(ordered):
        while ordered[start] <= moment - window:
            start += 1

        most = max(most, end - start + 1)

    return most


@pytest.mark.parametrize("count", [0, 1, 500, 501])
async def test_listings_page_at_500_and_read_every_entity(count: int) -> None:
    """0, 1, 500 and 501 users take 1, 1, 1 and 2 page calls and all come back."""
    transport, clock, _ = simulated(org_of_users(count))
    async with client(transport, clock, rate_limit=300) as genesys:
        users = await GenesysApi(genesys).users("active", ())

    assert [u.id for u in users] == [f"u-{n:05}" for n in range(count)]
    pages = [path for _, path in transport.sent if path == "/api/v2/users"]
    assert len(pages) == max(1, -(-count // 500))


async def test_the_org_rate_limit_is_read_from_the_limits_endpoint() -> None:
    """Without a configured limit the client paces at the org's own limit."""
    transport, clock, _ = simulated(org_of_users(1), SimSettings(rate_limit=42))
    async with client(transport, clock) as genesys:
        assert genesys.rate_limit == 42


async def test_a_client_that_may_not_read_limits_assumes_300(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A 403 on the limits endpoint falls back to the default and says so."""
    data = small_org_data()
    data["clients"] = [
        {"id": "demo-client", "secret": "demo-secret", "permissions": []}
    ]
    transport, clock, _ = simulated(build_org(data))
    with caplog.at_level(logging.INFO, "skillsync"):
        async with client(transport, clock) as genesys:
            assert genesys.rate_limit == 300

    assert "assuming 300 requests a minute" in caplog.text


async def test_steady_pacing_never_meets_a_429() -> None:
    """Three minutes' worth of requests at the limit get no 429, and no rolling
    minute ever holds more than the limit."""
    transport, clock, app = simulated(org_of_users(3), SimSettings(rate_limit=20))
    async with client(transport, clock, rate_limit=20) as genesys:
        api = GenesysApi(genesys)
        await asyncio.gather(*(api.users("active", ()) for _ in range(60)))

    statuses = app.stats.statuses
    assert "429" not in statuses
    assert most_in_a_window([moment for moment, _ in transport.sent]) <= 20
    assert clock.now() - 1_000.0 >= 120.0


async def test_a_429_storm_pauses_the_token_and_every_request_lands() -> None:
    """A client that believes in a higher limit than the org's meets 429s, waits
    their Retry-After, and still gets every answer."""
    transport, clock, app = simulated(org_of_users(2), SimSettings(rate_limit=5))
    async with client(transport, clock, rate_limit=50, attempts=20) as genesys:
        api = GenesysApi(genesys)
        results = await asyncio.gather(*(api.users("active", ()) for _ in range(30)))

    assert all(len(users) == 2 for users in results)
    assert app.stats.statuses["429"] > 0
    assert most_in_a_window([m for m, _ in transport.sent]) <= 5 + 50


async def test_gateway_errors_and_drops_are_retried_until_they_pass() -> None:
    """With half of all requests failing (502, 503, 504 or dropped), every
    listing still completes with the right users."""
    settings = SimSettings(error_rate=0.5, seed=11)
    transport, clock, app = simulated(org_of_users(1200), settings)
    async with client(transport, clock, rate_limit=1000, attempts=12) as genesys:
        users = await GenesysApi(genesys).users("active", ())

    assert len(users) == 1200
    failures = sum(app.stats.statuses.get(s, 0) for s in ("502", "503", "504"))
    assert failures > 0


async def test_retries_stop_at_the_attempt_cap_with_the_cause() -> None:
    """When every try fails with 503, the client gives up after its attempts and
    says why."""
    tries: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 900})

        tries.append(request.url.path)
        return httpx.Response(503, json={"code": "service.unavailable"})

    clock = VirtualClock()
    transport = httpx.MockTransport(handler)
    async with client(transport, clock, rate_limit=9, attempts=3) as genesys:
        with pytest.raises(GenesysError, match=r"\(503\) after 3 attempts"):
            await GenesysApi(genesys).skills()

    assert len(tries) == 3


async def test_a_token_endpoint_that_keeps_failing_is_an_auth_error() -> None:
    """When every token request fails, the error says so after the attempt cap."""
    transport, clock, _ = simulated(org_of_users(1), SimSettings(error_rate=1.0))
    with pytest.raises(AuthError, match="could not get a token"):
        async with client(transport, clock, attempts=3):
            pass


async def test_latency_is_survived_and_answers_are_unchanged() -> None:
    """Injected latency slows answers but changes nothing in them."""
    transport, clock, _ = simulated(org_of_users(10), SimSettings(latency_ms=5))
    async with client(transport, clock, rate_limit=300) as genesys:
        users = await GenesysApi(genesys).users("active", ())

    assert len(users) == 10


async def test_a_token_that_expires_mid_run_is_renewed_before_it_fails() -> None:
    """Tokens living two minutes are replaced in time during a four-minute run:
    no request is refused with 401."""
    settings = SimSettings(rate_limit=10, token_ttl=120)
    transport, clock, app = simulated(org_of_users(1), settings)
    async with client(transport, clock, rate_limit=10) as genesys:
        api = GenesysApi(genesys)
        await asyncio.gather(*(api.users("active", ()) for _ in range(45)))

    assert "401" not in app.stats.statuses
    assert app.stats.requests["POST /oauth/token"] >= 2


async def test_a_401_renews_the_token_once_then_gives_up() -> None:
    """A token refused mid-run is replaced once; refused again, it is an AuthError
    naming the credential variables."""
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 900})

        return httpx.Response(401, json={"code": "bad.credentials"})

    clock = VirtualClock()
    async with client(httpx.MockTransport(handler), clock, rate_limit=10) as genesys:
        with pytest.raises(AuthError, match="GENESYSCLOUD_OAUTHCLIENT_ID"):
            await GenesysApi(genesys).skills()

    assert calls.count("/oauth/token") == 2


async def test_bad_credentials_are_refused_without_revealing_the_secret() -> None:
    """A wrong secret is an AuthError naming the variables, never the secret."""
    transport, clock, _ = simulated(org_of_users(1))
    with pytest.raises(AuthError) as caught:
        async with client(transport, clock, secret="wrong-secret-value"):
            pass

    message = str(caught.value)
    assert "GENESYSCLOUD_OAUTHCLIENT_SECRET" in message
    assert "wrong-secret-value" not in message


async def test_a_missing_permission_is_named_in_the_error() -> None:
    """A 403 says which permission the OAuth client's role lacks."""
    data = small_org_data()
    data["clients"] = [
        {"id": "demo-client", "secret": "demo-secret", "permissions": []}
    ]
    transport, clock, _ = simulated(build_org(data))
    async with client(transport, clock, rate_limit=100) as genesys:
        with pytest.raises(ApiStatusError, match="routing:skill:view") as caught:
            await GenesysApi(genesys).skills()

    assert caught.value.status == 403
    assert caught.value.route == "/api/v2/routing/skills"


async def test_other_client_errors_are_not_retried() -> None:
    """A 400 is raised at once, after one request."""
    transport, clock, _ = simulated(build_org(small_org_data()))
    async with client(transport, clock, rate_limit=100) as genesys:
        with pytest.raises(ApiStatusError) as caught:
            await GenesysApi(genesys).patch_skills(USER_ADA, [(SkillId("s-nope"), 1.0)])

    assert caught.value.status == 400
    writes = [p for _, p in transport.sent if p.endswith("/bulk")]
    assert len(writes) == 1


async def test_a_repeated_delete_counts_as_done() -> None:
    """Deleting a skill or language twice succeeds both times: the second finds
    it already gone, which is what a retried DELETE must accept."""
    transport, clock, app = simulated(build_org(small_org_data()))
    async with client(transport, clock, rate_limit=100) as genesys:
        api = GenesysApi(genesys)
        for _ in range(2):
            await api.remove_skill(USER_ADA, SkillId("s-claims"))
            await api.remove_language(USER_ADA, LanguageId("l-fr"))

    ada = app.state.users[USER_ADA]
    assert "s-claims" not in ada.skills
    assert "l-fr" not in ada.languages


async def test_bulk_writes_go_in_chunks_of_50() -> None:
    """120 skills are sent as PATCH bulk bodies of 50, 50 and 20."""
    sizes: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 900})

        sizes.append(len(httpx.Response(200, content=request.content).json()))
        return httpx.Response(200, json={"entities": []})

    clock = VirtualClock()
    skills = [(SkillId(f"s-{n}"), 1.0) for n in range(120)]
    async with client(httpx.MockTransport(handler), clock, rate_limit=10) as genesys:
        calls = await GenesysApi(genesys).patch_skills(USER_ADA, skills)

    assert calls == 3
    assert sizes == [50, 50, 20]


async def test_a_repeated_bulk_patch_sets_the_same_proficiencies() -> None:
    """Sending the same PATCH bulk twice leaves the user as sending it once."""
    transport, clock, app = simulated(build_org(small_org_data()))
    body = [(SkillId("s-chat"), 2.5), (SkillId("s-billing"), 4.0)]
    async with client(transport, clock, rate_limit=100) as genesys:
        for _ in range(2):
            await GenesysApi(genesys).patch_skills(USER_ADA, body)

    held = app.state.users[USER_ADA].skills
    assert held == {"s-billing": 4.0, "s-claims": 4.5, "s-chat": 2.5}


def mock_listing(entities: list[dict[str, Any]]) -> Callable[..., httpx.Response]:
    """A handler that answers a token and then one fixed listing page."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 900})

        return httpx.Response(200, json={"entities": entities, "pageCount": 1})

    return handler


async def test_unknown_fields_are_tolerated() -> None:
    """A field the API added later is ignored."""
    handler = mock_listing([{"id": "s-1", "name": "Billing", "newField": [1, 2]}])
    async with client(httpx.MockTransport(handler), VirtualClock(), rate_limit=5) as c:
        skills = await GenesysApi(c).skills()

    assert [s.name for s in skills] == ["Billing"]


async def test_a_missing_required_field_is_a_clear_error() -> None:
    """An entity without its id is an error naming the route and the field."""
    handler = mock_listing([{"name": "Billing"}])
    async with client(httpx.MockTransport(handler), VirtualClock(), rate_limit=5) as c:
        with pytest.raises(GenesysError, match=r"routing/skills.*entities\.0\.id"):
            await GenesysApi(c).skills()


async def test_a_token_pool_spreads_requests_over_its_tokens() -> None:
    """With three tokens of 10 requests a minute, 30 requests go out in the first
    minute, none refused."""
    transport, clock, app = simulated(org_of_users(1), SimSettings(rate_limit=10))
    async with client(transport, clock, rate_limit=10, pool=3) as genesys:
        api = GenesysApi(genesys)
        await asyncio.gather(*(api.users("active", ()) for _ in range(30)))

    assert "429" not in app.stats.statuses
    assert clock.now() - 1_000.0 < 60.0
    assert app.stats.requests["POST /oauth/token"] == 3
