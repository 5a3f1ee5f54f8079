"""OAuth client credentials: minting, checking and expiring access tokens."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from skillsync.fixture import Client
from skillsync.simulator.ratelimit import RollingLimit

TOKENS_PER_CLIENT_PER_MINUTE = 60


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A minted token: which client holds it and when it stops working."""

    value: str
    client: Client
    expires_at: float


class TokenRefused(Exception):
    """The token endpoint refuses; `body` is the OAuth error body to send."""

    def __init__(self, status: int, body: dict[str, str]) -> None:
        super().__init__(body["error"])
        self.status = status
        self.body = body


class TokenIssuer:
    """Mints tokens for the fixture's clients and resolves bearer tokens."""

    def __init__(
        self, clients: dict[str, Client], ttl: int, clock: Callable[[], float]
    ) -> None:
        self.clients = clients
        self.ttl = ttl
        self.clock = clock
        self.tokens: dict[str, AccessToken] = {}
        self.mint_limit = RollingLimit(TOKENS_PER_CLIENT_PER_MINUTE, clock)

    def mint(
        self, authorization: str | None, form: dict[str, str]
    ) -> tuple[AccessToken, int]:
        """Check the credentials and grant, and return a new token and its lifetime
        in seconds; raise `TokenRefused` with the OAuth error otherwise."""
        if form.get("grant_type") != "client_credentials":
            raise TokenRefused(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "grant_type must be client_credentials",
                },
            )

        client_id, secret = credentials(authorization, form)
        client = self.clients.get(client_id)
        if client is None or not secrets.compare_digest(client.secret, secret):
            raise TokenRefused(
                401,
                {
                    "error": "invalid_client",
                    "error_description": "client authentication failed",
                },
            )

        if self.mint_limit.acquire(client.id):
            raise TokenRefused(400, {"error": "rate limit exceeded"})

        token = AccessToken(
            value=secrets.token_urlsafe(32),
            client=client,
            expires_at=self.clock() + self.ttl,
        )
        self.tokens[token.value] = token
        return token, self.ttl

    def resolve(self, authorization: str | None) -> AccessToken | None:
        """The live token a `bearer` Authorization header carries, if any."""
        if authorization is None:
            return None

        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return None

        token = self.tokens.get(value.strip())
        if token is None:
            return None

        if token.expires_at <= self.clock():
            del self.tokens[token.value]
            return None

        return token


def credentials(authorization: str | None, form: dict[str, str]) -> tuple[str, str]:
    """The client id and secret from a Basic header, or else from form fields."""
    if authorization is not None:
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(encoded.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return "", ""

            client_id, _, secret = decoded.partition(":")
            return client_id, secret

    return form.get("client_id", ""), form.get("client_secret", "")
