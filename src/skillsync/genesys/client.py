"""Sending requests to Genesys Cloud: tokens, pacing, retries and errors.

`GenesysClient` is the only way skillsync talks to the API. Every request takes a
slot from its token's `RequestBudget`, so that a steady run stays under the
rate limit; 429s pause that token for their `Retry-After`; gateway errors,
timeouts and dropped connections are retried with backoff; any other error
status is raised at once as `ApiStatusError`, naming what to fix.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
import orjson

from skillsync.errors import ApiStatusError, AuthError, GenesysError, RateLimitExhausted
from skillsync.genesys.connection import CLIENT_ID, CLIENT_SECRET, Connection
from skillsync.progress import QUIET, Observer
from skillsync.ratelimit import (
    DEFAULT_RATE_LIMIT,
    RETRIED_ERRORS,
    RETRIED_STATUSES,
    Clock,
    RequestBudget,
    RetryPolicy,
    SystemClock,
    describe_transport_error,
    log_retry,
    retry_after,
)

logger = logging.getLogger(__name__)

ResultT = TypeVar("ResultT")

LIMITS_ROUTE = "/api/v2/organizations/limits/namespaces/platform.api"
TOKEN_RATE_KEY = "client.credentials.token.rate.per.minute"
MAX_CONCURRENCY = 8
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
USER_AGENT = "skillsync"

# The permission each write family needs, for 403 messages that name none.
PERMISSIONS = {
    "/routingskills": "routing:skill:assign",
    "/routinglanguages": "routing:language:assign",
    "/routing/skills": "routing:skill:view",
    "/limits/": "organization:limits:view",
}


@dataclass(slots=True)
class AccessToken:
    """A bearer token and when, on the client's clock, to stop using it."""

    value: str = field(repr=False)
    renew_at: float


@dataclass(frozen=True, slots=True)
class Call:
    """One request as sent: `route` is its template, for logs and errors."""

    method: str
    route: str
    url: str
    params: Mapping[str, str | int] | None
    content: bytes | None


@dataclass(slots=True)
class TokenSlot:
    """One token of the pool, with its own request budget."""

    number: int
    budget: RequestBudget
    token: AccessToken | None = None
    minting: asyncio.Lock = field(default_factory=asyncio.Lock)


class GenesysClient:
    """An async client for the Platform API, used as `async with`.

    `rate_limit` is the requests per minute each token may send; None reads the
    effective limit from the org, falling back to 300 where the OAuth client may
    not read limits. `transport` replaces the network, for tests.
    """

    def __init__(
        self,
        connection: Connection,
        *,
        rate_limit: int | None = None,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_concurrency: int = MAX_CONCURRENCY,
        observer: Observer = QUIET,
    ) -> None:
        self.connection = connection
        self.clock = clock or SystemClock()
        self.retry = retry or RetryPolicy()
        self.observer = observer
        self.rate_limit = rate_limit
        self.http = httpx.AsyncClient(
            transport=transport,
            timeout=TIMEOUT,
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=max_concurrency * 2),
        )
        self.max_concurrency = max_concurrency
        self.concurrency = asyncio.Semaphore(max_concurrency)
        self.slots: list[TokenSlot] = []
        self.calls = 0

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.http.aclose()

    async def start(self) -> None:
        """Mint the first token and settle the rate limit each token may use."""
        first = self.new_slot(0, self.rate_limit or DEFAULT_RATE_LIMIT)
        self.slots = [first]
        await self.ensure_token(first)
        if self.rate_limit is None:
            self.rate_limit = await self.read_rate_limit()
            first.budget.limit = self.rate_limit

        pool = self.connection.token_pool_size
        self.slots += [self.new_slot(n, self.rate_limit) for n in range(1, pool)]
        self.concurrency = asyncio.Semaphore(self.max_concurrency * pool)

    def waited(self) -> float:
        """Seconds requests were held back by the rate limit, summed over tokens."""
        return sum(slot.budget.waited for slot in self.slots)

    def new_slot(self, number: int, limit: int) -> TokenSlot:
        """A pool slot with an empty budget and no token yet."""
        budget = RequestBudget(limit, self.clock, name=f"token {number + 1}")
        return TokenSlot(number, budget)

    async def read_rate_limit(self) -> int:
        """The org's per-token limit, or the default where it cannot be read."""
        try:
            answer = await self.request("GET", LIMITS_ROUTE)
        except ApiStatusError as error:
            if error.status not in {403, 404}:
                raise

            logger.info(
                "cannot read the org's rate limit (%s); assuming %d requests a minute",
                error.status,
                DEFAULT_RATE_LIMIT,
            )
            return DEFAULT_RATE_LIMIT

        for entry in parse_json(answer, LIMITS_ROUTE).get("entities", []):
            if entry.get("key") == TOKEN_RATE_KEY and isinstance(entry["value"], int):
                return max(1, entry["value"])

        return DEFAULT_RATE_LIMIT

    # Requests.

    async def get_json(
        self,
        route: str,
        path: Mapping[str, str] | None = None,
        params: Mapping[str, str | int] | None = None,
    ) -> Any:
        """GET `route` (a template such as `/api/v2/users/{userId}`) as JSON."""
        return parse_json(await self.request("GET", route, path, params), route)

    async def request(
        self,
        method: str,
        route: str,
        path: Mapping[str, str] | None = None,
        params: Mapping[str, str | int] | None = None,
        body: object = None,
        *,
        missing_ok: bool = False,
    ) -> httpx.Response:
        """Send one request, pacing and retrying it; raise on a final error.

        With `missing_ok`, a 404 is an answer rather than an error: a DELETE
        retried after its first try landed finds the item already gone.
        """
        url = self.connection.api_url + route.format_map(path or {})
        content = orjson.dumps(body) if body is not None else None
        call = Call(method, route, url, params, content)
        renewed = False
        waited = 0.0  # seconds spent on retries, not on pacing
        cause = ""
        for attempt in range(1, self.retry.attempts + 1):
            slot = self.pick_slot()
            token, outcome = await self.send_once(slot, call)
            if isinstance(outcome, httpx.Response):
                status = outcome.status_code
                if status < 400 or (status == 404 and missing_ok):
                    return outcome

                if status == 401 and not renewed:
                    renewed = True
                    self.forget(slot, token)
                    continue

                cause, paused = await self.judge(slot, method, route, outcome)
            else:
                cause, paused = outcome, 0.0

            # After a 429 the token's budget holds the wait; no backoff on top.
            wait = 0.0 if paused else self.retry.backoff(attempt)
            if waited + wait + paused > self.retry.max_seconds:
                break

            waited += wait + paused
            log_retry(method, route, attempt, wait + paused, cause)
            self.observer.waiting(wait + paused, f"retrying after {cause}")
            await self.clock.sleep(wait)

        raise give_up(method, route, attempt, waited, cause)

    async def send_once(
        self, slot: TokenSlot, call: Call
    ) -> tuple[str, httpx.Response | str]:
        """One try: a budget slot, a token valid now, the exchange; returns the
        token used and the answer, or the cause of a failed exchange."""
        async with self.concurrency:
            await slot.budget.acquire()
            token = await self.ensure_token(slot)
            sent = self.clock.now()
            try:
                answer = await self.http.request(
                    call.method,
                    call.url,
                    params=call.params,
                    content=call.content,
                    headers=headers(token, call.content),
                )
            except RETRIED_ERRORS as error:
                logger.debug("%s %s failed: %r", call.method, call.route, error)
                return token, describe_transport_error(error)
            finally:
                slot.budget.release()
                self.calls += 1

        logger.debug(
            "%s %s %d %.0fms",
            call.method,
            call.route,
            answer.status_code,
            (self.clock.now() - sent) * 1000,
        )
        return token, answer

    async def judge(
        self, slot: TokenSlot, method: str, route: str, answer: httpx.Response
    ) -> tuple[str, float]:
        """The retry cause of an error answer and the seconds its token is paused;
        raises when it must not be retried."""
        status = answer.status_code
        if status == 429:
            wait = retry_after(answer)
            if wait > self.retry.max_retry_after:
                raise RateLimitExhausted(
                    f"{method} {route} was refused with 429 and told to wait "
                    f"{wait:.0f} s, more than the {self.retry.max_retry_after:.0f} s "
                    "skillsync waits; another client may be spending this OAuth "
                    "client's budget; run again later"
                )

            slot.budget.pause(wait)
            logger.warning(
                "skillsync.ratelimit.wait: %s %s answered 429; pausing token %d "
                "for %.0f s",
                method,
                route,
                slot.number + 1,
                wait,
                extra={
                    "event": "skillsync.ratelimit.wait",
                    "route": route,
                    "wait": wait,
                    "reason": "429",
                },
            )
            return "429", wait

        if status in RETRIED_STATUSES:
            return str(status), 0.0

        if status == 401:
            raise AuthError(
                f"{method} {route} was refused with 401 even with a new token; "
                f"check that {CLIENT_ID} and {CLIENT_SECRET} name an active "
                "client-credentials OAuth client of this org and region"
            )

        raise status_error(method, route, answer)

    def pick_slot(self) -> TokenSlot:
        """The pool slot whose budget frees soonest."""
        if len(self.slots) == 1:
            return self.slots[0]

        def soonest(slot: TokenSlot) -> float:
            wait = slot.budget.wait_needed()
            return math.inf if wait is None else wait

        return min(self.slots, key=soonest)

    # Tokens.

    def forget(self, slot: TokenSlot, token: str) -> None:
        """Drop a refused token, unless a concurrent request already replaced it."""
        if slot.token is not None and slot.token.value == token:
            slot.token = None

    async def ensure_token(self, slot: TokenSlot) -> str:
        """The slot's token, minting a new one when absent or about to expire."""
        async with slot.minting:
            token = slot.token
            if token is None or self.clock.now() >= token.renew_at:
                token = await self.mint()
                slot.token = token

            return token.value

    async def mint(self) -> AccessToken:
        """A new token from the login host, retrying gateway errors and drops."""
        credentials = self.connection.credentials
        url = self.connection.login_url + "/oauth/token"
        started = self.clock.now()
        cause = ""
        for attempt in range(1, self.retry.attempts + 1):
            try:
                answer = await self.http.post(
                    url,
                    data={"grant_type": "client_credentials"},
                    auth=(credentials.client_id, credentials.secret),
                )
            except RETRIED_ERRORS as error:
                cause = describe_transport_error(error)
            else:
                if answer.status_code == 200:
                    return self.read_token(answer)

                cause = token_refusal(answer)

            wait = self.retry.backoff(attempt)
            if self.clock.now() + wait - started > self.retry.max_seconds:
                break

            log_retry("POST", "/oauth/token", attempt, wait, cause)
            await self.clock.sleep(wait)

        raise AuthError(
            f"could not get a token from {url} after {attempt} attempts: {cause}"
        )

    def read_token(self, answer: httpx.Response) -> AccessToken:
        """The token of a 200 answer, to be renewed well before it expires."""
        body = parse_json(answer, "/oauth/token")
        try:
            value = str(body["access_token"])
            lifetime = float(body.get("expires_in", 86_400))
        except (KeyError, TypeError, ValueError) as error:
            raise AuthError(
                "the token endpoint answered 200 without an access_token and "
                "expires_in; is --api-url the Genesys Cloud API?"
            ) from error

        margin = min(300.0, lifetime / 10)
        logger.info("got an access token valid for %.0f s", lifetime)
        return AccessToken(value, self.clock.now() + lifetime - margin)


def run_sync(work: Callable[[], Awaitable[ResultT]]) -> ResultT:
    """Run `work` to completion on a new event loop and return its result.

    The result leaves through a list rather than as the main task's result: on
    Python 3.11 and 3.12 `asyncio.run` formats the repr of that result, which for
    a large org costs seconds and a string of the org's whole size.
    """
    results: list[ResultT] = []

    async def main() -> None:
        results.append(await work())

    asyncio.run(main())
    return results[0]


def headers(token: str, content: bytes | None) -> dict[str, str]:
    """Request headers: the bearer token and, with a body, its type."""
    sent = {"Authorization": f"Bearer {token}"}
    if content is not None:
        sent["Content-Type"] = "application/json"

    return sent


def parse_json(answer: httpx.Response, route: str) -> Any:
    """The answer's JSON body, or a `GenesysError` saying it was not JSON."""
    try:
        return orjson.loads(answer.content)
    except orjson.JSONDecodeError as error:
        raise GenesysError(
            f"{answer.request.method} {route} answered {answer.status_code} with a "
            "body that is not JSON; is the API URL right?"
        ) from error


def token_refusal(answer: httpx.Response) -> str:
    """Why the token endpoint refused; raises when retrying cannot help."""
    try:
        error = str(orjson.loads(answer.content).get("error", ""))
    except (orjson.JSONDecodeError, AttributeError):
        error = ""

    if answer.status_code in RETRIED_STATUSES:
        return str(answer.status_code)

    if answer.status_code == 400 and "rate limit" in error:
        return "token rate limit"

    raise AuthError(
        f"Genesys Cloud refused the OAuth client credentials "
        f"({answer.status_code} {error or 'without a reason'}); check "
        f"{CLIENT_ID} and {CLIENT_SECRET}, and that the client uses the client "
        "credentials grant in this region"
    )


def status_error(method: str, route: str, answer: httpx.Response) -> ApiStatusError:
    """An `ApiStatusError` whose message says what the API said and what to do."""
    try:
        body = orjson.loads(answer.content)
        message = str(body.get("message") or body.get("code") or "")
    except (orjson.JSONDecodeError, AttributeError):
        message = answer.text[:200]

    if answer.status_code == 403:
        message = missing_permission(route, message)

    correlation = answer.headers.get("ININ-Correlation-Id")
    if correlation:
        message += f" (correlation id {correlation})"

    return ApiStatusError(method, route, answer.status_code, message)


def missing_permission(route: str, message: str) -> str:
    """A 403 message naming the permission the OAuth client's role lacks."""
    known = next((p for part, p in PERMISSIONS.items() if part in route), "")
    if known and known not in message:
        message = f"{message}; this call needs {known}".lstrip("; ")

    return (
        f"{message}. Add the permission to a role of the OAuth client "
        "(Admin > Roles / Permissions) and try again"
    )


def give_up(
    method: str, route: str, attempts: int, seconds: float, cause: str
) -> GenesysError:
    """The error raised when retries run out."""
    message = (
        f"{method} {route} still failed ({cause}) after {attempts} attempts "
        f"and {seconds:.0f} s of waiting; Genesys Cloud or the network is failing, "
        "try again later"
    )
    if cause == "429":
        return RateLimitExhausted(message)

    return GenesysError(message)
