"""Sending scim2-client's requests over httpx, retried as skillsync retries.

scim2-client builds every SCIM request and checks every answer; the engine
here only sends them, through skillsync's own `httpx.Client`, and retries rate
limits, gateway errors, timeouts and dropped connections with the Genesys
client's discipline. It is synchronous, as the directory is read in a thread.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from scim2_client import BaseSyncSCIMClient
from scim2_models import ScimPolicy, ScimProvider

from skillsync.errors import SourceError
from skillsync.progress import Observer
from skillsync.ratelimit import (
    RETRIED_ERRORS,
    RETRIED_STATUSES,
    RetryPolicy,
    describe_transport_error,
    log_retry,
    retry_after,
)

logger = logging.getLogger(__name__)

RETRIED_ANSWERS = RETRIED_STATUSES | {429}


# Attributes a server sends without declaring them in its schemas are dropped
# rather than refused: skillsync reads a handful of core attributes only.
POLICY = ScimPolicy(unknown=ScimPolicy.Unknown.ignore)


class BlockingClock(Protocol):
    """Time for code that waits without an event loop; tests pass one that
    never really sleeps."""

    def now(self) -> float:
        """Seconds on a monotonic scale."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait `seconds`."""
        ...


class SystemBlockingClock:
    """The real monotonic clock and `time.sleep`."""

    def now(self) -> float:
        """Seconds on the monotonic clock."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Sleep for real."""
        time.sleep(seconds)


class ScimExchange(BaseSyncSCIMClient):
    """scim2-client's requests, sent with httpx and retried as skillsync retries.

    scim2-client builds each request and checks each answer; this engine sends
    it, and raises `SourceError` for a failure that retrying did not cure.
    """

    def __init__(
        self,
        http: httpx.Client,
        retry: RetryPolicy,
        clock: BlockingClock,
        observer: Observer,
        *,
        url: str,
    ) -> None:
        super().__init__(provider=ScimProvider(policy=POLICY))
        self.http = http
        self.retry = retry
        self.clock = clock
        self.observer = observer
        self.url = url
        self.answered = False

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request, retrying named causes; raise `SourceError` when it
        cannot succeed."""
        route = route_of(url)
        waited = 0.0
        for attempt in range(1, self.retry.attempts + 1):
            outcome = self.send_once(method, url, route, kwargs)
            if isinstance(outcome, httpx.Response):
                if outcome.status_code not in RETRIED_ANSWERS:
                    return outcome

                cause = str(outcome.status_code)
            else:
                cause = describe_transport_error(outcome)

            wait = self.wait_after(outcome, method, route, attempt)
            if attempt == self.retry.attempts or waited + wait > self.retry.max_seconds:
                break

            log_retry(method, route, attempt, wait, cause)
            self.observer.waiting(wait, f"retrying after {cause}")
            self.clock.sleep(wait)
            waited += wait

        last = outcome if isinstance(outcome, Exception) else None
        raise gave_up(f"{method} {self.url}{route}", attempt, waited, cause) from last

    def send_once(
        self, method: str, url: str, route: str, kwargs: dict[str, Any]
    ) -> httpx.Response | httpx.TransportError:
        """One exchange: the answer, or the transport error worth retrying."""
        sent = self.clock.now()
        try:
            answer = self.http.request(method, url, **kwargs)
        except httpx.TransportError as error:
            logger.debug("%s %s failed: %r", method, route, error)
            if self.retryable(error):
                return error

            raise SourceError(
                f"cannot reach the SCIM server at {self.url} "
                f"({describe_unreachable(error)}); check the URL and that the "
                "server is running"
            ) from error

        self.answered = True
        logger.debug(
            "%s %s %d %.0fms",
            method,
            route,
            answer.status_code,
            (self.clock.now() - sent) * 1000,
        )
        return answer

    def retryable(self, error: httpx.TransportError) -> bool:
        """Whether a failed exchange is worth another try: timeouts and dropped
        connections are, and a refused connection is once the server answered."""
        # NOTE: a connection refused at the first request almost always means a
        # wrong URL or a stopped server; saying so at once beats minutes of
        # retries. Later, it is a server restarting, which retrying outlasts.
        if isinstance(error, httpx.ConnectError):
            return self.answered

        return isinstance(error, RETRIED_ERRORS)

    def wait_after(
        self,
        outcome: httpx.Response | httpx.TransportError,
        method: str,
        route: str,
        attempt: int,
    ) -> float:
        """Seconds to wait before the next try: a 429's `Retry-After`, else backoff."""
        if not isinstance(outcome, httpx.Response) or outcome.status_code != 429:
            return self.retry.backoff(attempt)

        wait = retry_after(outcome)
        if wait > self.retry.max_retry_after:
            raise SourceError(
                f"{method} {self.url}{route} was refused with 429 and told to wait "
                f"{wait:.0f} s, more than the {self.retry.max_retry_after:.0f} s "
                "skillsync waits; another client may be using the server's budget, "
                "run again later"
            )

        logger.warning(
            "skillsync.ratelimit.wait: %s %s answered 429; waiting %.0f s",
            method,
            route,
            wait,
            extra={
                "event": "skillsync.ratelimit.wait",
                "route": route,
                "wait": wait,
                "reason": "429",
            },
        )
        return wait


def route_of(url: str) -> str:
    """The route template of a request, for logs: `/Groups/{id}` for one group."""
    parts = urlsplit(url).path.split("/")
    if len(parts) > 2 and parts[2]:
        parts[2:] = ["{id}"]

    return "/".join(parts)


def describe_unreachable(error: httpx.TransportError) -> str:
    """Why no exchange happened, in a few words and with no request detail."""
    reason = str(error).strip()
    return reason or type(error).__name__


def gave_up(request: str, attempts: int, waited: float, cause: str) -> SourceError:
    """The error raised when retries run out."""
    return SourceError(
        f"{request} still failed ({cause}) after {attempts} attempts and "
        f"{waited:.1f} s of waiting; the SCIM server or the network is failing, "
        "try again later"
    )
