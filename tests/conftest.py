"""Shared fixtures: orgs built inline and simulators on free ports.

A test asks for `simulator` (the small org, default settings) or calls
`start_simulator(org, settings)` for its own; every server stops when the test
ends. A module that needs one server for all its tests uses `serving`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, cast

import httpx
import pytest

from skillsync.fixture import Org, parse_org
from skillsync.simulator.app import SimSettings, create_app
from skillsync.simulator.server import running_server

DEMO_CLIENT = ("demo-client", "demo-secret")
CLIENT_CREDENTIALS = {"grant_type": "client_credentials"}

JSONObject = dict[str, Any]


class ManualClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


class VirtualClock:
    """Time that passes only when someone sleeps, and never for real.

    Concurrent sleepers of the same length wake at the same virtual moment.
    """

    def __init__(self, start: float = 1_000.0) -> None:
        self.time = start

    def now(self) -> float:
        """The current virtual time."""
        return self.time

    async def sleep(self, seconds: float) -> None:
        """Let others run, then move time to when this sleep would end."""
        wake = self.time + seconds
        await asyncio.sleep(0)
        self.time = max(self.time, wake)

    def __call__(self) -> float:
        return self.time


@dataclass
class Simulator:
    """A running simulator: its base URL and the ways a test talks to it."""

    url: str
    http: httpx.Client

    def mint(
        self, client_id: str = DEMO_CLIENT[0], secret: str = DEMO_CLIENT[1]
    ) -> str:
        """A fresh access token for a fixture client, over plain HTTP."""
        answer = self.http.post(
            "/oauth/token", auth=(client_id, secret), data=CLIENT_CREDENTIALS
        )
        answer.raise_for_status()
        return cast(str, answer.json()["access_token"])

    def call(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        """A raw authenticated request, for what the SDK cannot send or hides."""
        headers = {"Authorization": f"bearer {token}"}
        return self.http.request(method, path, headers=headers, **kwargs)

    def state(self) -> JSONObject:
        """The org as the simulator holds it now, in the fixture format."""
        return cast(JSONObject, self.http.get("/_sim/state").json())

    def stats(self) -> JSONObject:
        """The simulator's request and status counts."""
        return cast(JSONObject, self.http.get("/_sim/stats").json())

    def held_skills(self, user_id: str) -> dict[str, float]:
        """A user's skills by id, as the simulator's state holds them."""
        return {s["id"]: s["proficiency"] for s in self.state_user(user_id)["skills"]}

    def held_languages(self, user_id: str) -> dict[str, int]:
        """A user's languages by id, as the simulator's state holds them."""
        user = self.state_user(user_id)
        return {lang["id"]: lang["proficiency"] for lang in user["languages"]}

    def state_user(self, user_id: str) -> JSONObject:
        """One user of the simulator's state."""
        return next(u for u in self.state()["users"] if u["id"] == user_id)


StartSimulator = Callable[..., Simulator]


def build_org(data: JSONObject) -> Org:
    """An `Org` from fixture data, through the same parser as a fixture file."""
    return parse_org(json.dumps(data).encode())


def held(*pairs: tuple[str, float]) -> list[JSONObject]:
    """Fixture entries for held skills or languages."""
    return [{"id": item, "proficiency": level} for item, level in pairs]


def person(
    user_id: str, name: str, state: str = "active", **held_items: Any
) -> JSONObject:
    """A fixture user whose email is derived from the name."""
    email = name.lower().replace(" ", ".") + "@example.com"
    return {"id": user_id, "name": name, "email": email, "state": state, **held_items}


def small_org_data() -> JSONObject:
    """A dozen users in four groups: active, inactive and deleted users, users with
    and without skills and languages, and an inactive catalog skill."""
    return {
        "clients": [
            {"id": "demo-client", "secret": "demo-secret"},
            {
                "id": "reader",
                "secret": "reader-secret",
                "permissions": ["routing:skill:view"],
            },
        ],
        "skills": [
            {"id": "s-billing", "name": "Billing"},
            {"id": "s-claims", "name": "Claims"},
            {"id": "s-chat", "name": "Chat Support"},
            {"id": "s-escalation", "name": "Escalations"},
            {"id": "s-ivr", "name": "Legacy IVR", "state": "inactive"},
            {"id": "s-bilingual", "name": "Bilingual Sales"},
        ],
        "languages": [
            {"id": "l-en", "name": "English"},
            {"id": "l-fr", "name": "French"},
            {"id": "l-de", "name": "German"},
            {"id": "l-es", "name": "Spanish"},
        ],
        "users": [
            person(
                "u-ada",
                "Ada Lovelace",
                skills=held(("s-billing", 3.0), ("s-claims", 4.5)),
                languages=held(("l-en", 5), ("l-fr", 3)),
            ),
            person(
                "u-alan",
                "Alan Turing",
                skills=held(("s-chat", 2.0)),
                languages=held(("l-en", 4)),
            ),
            person(
                "u-grace",
                "Grace Hopper",
                skills=held(("s-billing", 5.0)),
                languages=held(("l-en", 5), ("l-es", 2)),
            ),
            person("u-edsger", "Edsger Dijkstra"),
            person(
                "u-barbara",
                "Barbara Liskov",
                skills=held(("s-escalation", 1.0)),
                languages=held(("l-de", 4)),
            ),
            person("u-donald", "Donald Knuth", skills=held(("s-billing", 0.0))),
            person("u-frances", "Frances Allen"),
            person("u-ken", "Ken Thompson", skills=held(("s-ivr", 2.5))),
            person("u-margaret", "Margaret Hamilton"),
            person("u-john", "John Backus", "inactive", skills=held(("s-billing", 2))),
            person("u-kathleen", "Kathleen Booth", "inactive"),
            person("u-niklaus", "Niklaus Wirth", "deleted"),
        ],
        "groups": [
            {
                "id": "g-support",
                "name": "Support",
                "members": ["u-ada", "u-alan", "u-grace", "u-ken"],
            },
            {"id": "g-tier1", "name": "Tier 1", "members": ["u-ada", "u-barbara"]},
            {"id": "g-empty", "name": "Empty", "members": []},
            {
                "id": "g-billing",
                "name": "Billing Team",
                "members": ["u-grace", "u-donald"],
            },
        ],
    }


def large_org_data(users: int = 501) -> JSONObject:
    """An org with `users` active users, a group of the first 500 of them, a group
    of one and an empty group: the paging edge cases 0, 1, 500 and 501."""
    ids = [f"u-{n:04d}" for n in range(users)]
    return {
        "users": [person(user_id, f"Agent {user_id[2:]}") for user_id in ids],
        "groups": [
            {"id": "g-500", "name": "Five Hundred", "members": ids[:500]},
            {"id": "g-one", "name": "One", "members": ids[:1]},
            {"id": "g-none", "name": "None", "members": []},
        ],
    }


@pytest.fixture
def small_org() -> Org:
    """The dozen-user org."""
    return build_org(small_org_data())


@contextmanager
def serving(org: Org, settings: SimSettings | None = None) -> Iterator[Simulator]:
    """Serve `org` on a free port for the length of the block."""
    app = create_app(org, settings or SimSettings())
    with (
        running_server(app, host="127.0.0.1", port=0) as url,
        httpx.Client(base_url=url) as http,
    ):
        yield Simulator(url=url, http=http)


@pytest.fixture
def start_simulator() -> Iterator[StartSimulator]:
    """Start simulators on free ports; each stops when the test ends."""
    with ExitStack() as stack:

        def start(org: Org, settings: SimSettings | None = None) -> Simulator:
            return stack.enter_context(serving(org, settings))

        yield start


@pytest.fixture
def simulator(small_org: Org, start_simulator: StartSimulator) -> Simulator:
    """The dozen-user org served with default settings."""
    return start_simulator(small_org)
