"""The simulator as an ASGI application.

`create_app` gives one app that uvicorn serves on a port and that tests drive
in-process through `httpx.ASGITransport`. Each request passes, in order: the
statistics, injected latency and failures, authentication, the per-token rate
limit, the permission check and, for writes, injected version conflicts, before
its handler runs.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import Message, Receive, Scope, Send

from skillsync.bulk import collector_paused, freeze_heap
from skillsync.fixture import Org, dump_org, load_org
from skillsync.simulator.endpoints import Endpoint, Endpoints
from skillsync.simulator.faults import Faults, FaultSettings
from skillsync.simulator.protocol import (
    ApiError,
    error_response,
    json_response,
)
from skillsync.simulator.ratelimit import RollingLimit
from skillsync.simulator.state import OrgState
from skillsync.simulator.tokens import AccessToken, TokenIssuer, TokenRefused

MAX_BODY_BYTES = 512_000


@dataclass(frozen=True, slots=True)
class SimSettings:
    """How the simulator behaves; the defaults are those of a healthy real org."""

    rate_limit: int = 300
    token_ttl: int = 86_400
    latency_ms: float = 0.0
    error_rate: float = 0.0
    conflict_rate: float = 0.0
    expand_drop_rate: float = 0.0
    seed: int = 0
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)

    def faults(self) -> FaultSettings:
        """The fault-injection part of the settings."""
        return FaultSettings(
            latency_ms=self.latency_ms,
            error_rate=self.error_rate,
            conflict_rate=self.conflict_rate,
            expand_drop_rate=self.expand_drop_rate,
            seed=self.seed,
        )


@dataclass(slots=True)
class Statistics:
    """Requests by method and route template, and answers by status."""

    requests: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)

    def as_json(self) -> dict[str, dict[str, int]]:
        """The body of `/_sim/stats`."""
        return {"requests": dict(self.requests), "statuses": dict(self.statuses)}


@dataclass(frozen=True, slots=True)
class Route:
    """An endpoint with its compiled path pattern."""

    endpoint: Endpoint
    pattern: re.Pattern[str]


class Simulator:
    """The ASGI application: a simulated Genesys Cloud org."""

    def __init__(self, org: Org, settings: SimSettings) -> None:
        self.settings = settings
        with collector_paused():
            self.state = OrgState(org)
        self.faults = Faults(settings.faults())
        self.tokens = TokenIssuer(
            self.state.clients, settings.token_ttl, settings.clock
        )
        self.limit = RollingLimit(settings.rate_limit, settings.clock)
        self.stats = Statistics()
        endpoints = Endpoints(self.state, self.faults, settings.rate_limit)
        self.routes = [Route(e, compile_path(e.template)[0]) for e in endpoints.table()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return

        if scope["type"] != "http":
            return

        path: str = scope["path"]
        if path.startswith("/_sim/"):
            await self.own_endpoint(path)(scope, receive, send)
            return

        route, params = self.match(scope["method"], path)
        template = route.endpoint.template if route else "(unknown route)"
        self.stats.requests[f"{scope['method']} {template}"] += 1

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.stats.statuses[str(message["status"])] += 1

            await send(message)

        await self.serve(scope, receive, counting_send, route, params)

    async def serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        route: Route | None,
        params: dict[str, str],
    ) -> None:
        """Answer one counted request, injecting whatever faults are due."""
        delay = self.faults.latency()
        if delay:
            await asyncio.sleep(delay)

        failure = self.faults.failure()
        if failure == "drop":
            await drop_connection(send)
            return

        if failure is not None:
            await error_response(ApiError(failure))(scope, receive, send)
            return

        request = Request({**scope, "path_params": params}, receive)
        try:
            response = await self.answer(request, route)
        except ApiError as error:
            response = error_response(error)

        await response(scope, receive, send)

    async def answer(self, request: Request, route: Route | None) -> Response:
        """Authenticate, limit and check the request, then run its handler."""
        if request.url.path == "/oauth/token" and request.method == "POST":
            return await self.mint_token(request)

        token = self.tokens.resolve(request.headers.get("authorization"))
        if token is None:
            raise ApiError(401)

        wait = self.limit.acquire(token.value)
        if wait:
            raise ApiError(
                429,
                "Rate limit exceeded the maximum. "
                f"Retry the request in [{wait}] seconds",
                headers={"Retry-After": str(wait)},
            )

        if route is None:
            raise ApiError(404, f"no route for {request.method} {request.url.path}")

        check_permission(token, route.endpoint.permissions)
        if len(await request.body()) > MAX_BODY_BYTES:
            raise ApiError(413)

        if route.endpoint.writes and self.faults.conflict():
            raise ApiError(409)

        return await route.endpoint.handler(request)

    async def mint_token(self, request: Request) -> Response:
        """`POST /oauth/token`: the client credentials grant."""
        form = dict(parse_qsl((await request.body()).decode(errors="replace")))
        try:
            token, ttl = self.tokens.mint(request.headers.get("authorization"), form)
        except TokenRefused as refusal:
            return json_response(refusal.body, refusal.status)

        return json_response(
            {"access_token": token.value, "token_type": "bearer", "expires_in": ttl - 1}
        )

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        """The route for a request and its path parameters."""
        if path == "/oauth/token" and method == "POST":
            return TOKEN_ROUTE, {}

        for route in self.routes:
            if route.endpoint.method != method:
                continue

            found = route.pattern.match(path)
            if found:
                return route, found.groupdict()

        return None, {}

    def own_endpoint(self, path: str) -> Response:
        """`/_sim/stats` and `/_sim/state`: never limited, failed or counted."""
        if path == "/_sim/stats":
            return json_response(self.stats.as_json())

        if path == "/_sim/state":
            body = dump_org(self.state.to_org())
            return Response(body, media_type="application/json")

        return error_response(ApiError(404, f"no simulator endpoint {path}"))


async def refuse(request: Request) -> Response:
    """Never called: the token route is answered before routing."""
    raise ApiError(404)


TOKEN_ROUTE = Route(
    Endpoint("POST", "/oauth/token", refuse), re.compile("/oauth/token")
)


def check_permission(token: AccessToken, needed: tuple[str, ...]) -> None:
    """Refuse with 403 when the token's client holds none of `needed`."""
    granted = token.client.permissions
    if not needed or granted is None or any(p in granted for p in needed):
        return

    names = " or ".join(needed)
    raise ApiError(
        403,
        f"Unable to perform the requested action. You are missing the following "
        f"permission(s): {names}",
        params={"permissions": names},
    )


class ConnectionDropped(httpx.RemoteProtocolError):
    """The simulator abandoned an answer part way, as a failing network does.

    In-process, `httpx.ASGITransport` hands this to the client as the transport
    error a real dropped connection raises; under uvicorn the connection closes.
    """


async def drop_connection(send: Send) -> None:
    """Start an answer, send part of it, and abandon the connection."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"64"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"{", "more_body": True})
    raise ConnectionDropped("the simulator dropped the connection")


async def lifespan(receive: Receive, send: Send) -> None:
    """Accept startup and shutdown; the simulator holds nothing to open or close."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app(org: Org, settings: SimSettings | None = None) -> Simulator:
    """An ASGI app serving `org`, behaving as `settings` say."""
    return Simulator(org, settings or SimSettings())


def open_fixture(path: Path, settings: SimSettings | None = None) -> Simulator:
    """Load a fixture file and build the app serving it, ready for a long run."""
    app = create_app(load_org(path), settings)
    freeze_heap()
    return app
