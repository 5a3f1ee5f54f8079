"""A generated directory served over SCIM 2.0, for the demo and the tests.

The server is scim2-server, a real SCIM implementation, run from memory on a
free local port. A snapshot is loaded into it the way an identity provider
would provision it: users and groups are created first, so that the server
assigns their ids, and then each group's members, child groups and cycles
included, are set. Member entries that name nothing are kept as they are.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import orjson
from scim2_models import ScimProvider, Uniqueness
from scim2_server.applications.wsgi import WSGIApplication
from scim2_server.memory import InMemoryStorage
from scim2_server.testserver.application import BearerTokenApplication
from scim2_server.utils import (
    load_default_resource_types,
    load_default_schemas,
    load_default_service_provider_config,
)

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"

JSONObject = dict[str, Any]


def scim_app(
    page: int = 100, tokens: tuple[str, ...] = (), unique_user_names: bool = True
) -> WSGIApplication:
    """A scim2-server application serving RFC 7643 users and groups from memory,
    at most `page` resources a page; `tokens`, when given, are the bearer tokens
    it accepts."""
    schemas = load_default_schemas()
    if not unique_user_names:
        for attribute in schemas[USER_SCHEMA].attributes or []:
            if attribute.name == "userName":
                attribute.uniqueness = Uniqueness.none

    config = load_default_service_provider_config()
    if config.filter is not None:
        config.filter.max_results = page

    provider = ScimProvider.from_discovery(
        schemas.values(), load_default_resource_types().values(), config=config
    )
    return BearerTokenApplication(InMemoryStorage(), provider, bearer_tokens=tokens)


class ThreadingServer(ThreadingMixIn, WSGIServer):
    """A WSGI server answering each request in its own thread."""

    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    """A request handler that logs nothing: one line per request is noise."""

    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing."""


@contextmanager
def serving(app: WSGIApplication) -> Iterator[str]:
    """Serve `app` on a free local port for the length of the block; yields the
    SCIM base URL."""
    server = make_server(
        "127.0.0.1", 0, app, server_class=ThreadingServer, handler_class=QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="scim2-server")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v2"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def load(http: httpx.Client, directory: JSONObject, base: str) -> dict[str, str]:
    """Create every user and group of a snapshot-format directory, then set the
    groups' members; returns the server's id for each snapshot id."""
    ids: dict[str, str] = {}
    for user in directory.get("Users", []):
        fields = {key: value for key, value in user.items() if key != "id"}
        ids[user["id"]] = created(http, "/Users", {"schemas": [USER_SCHEMA], **fields})

    for group in directory.get("Groups", []):
        body = {"schemas": [GROUP_SCHEMA], "displayName": group["displayName"]}
        ids[group["id"]] = created(http, "/Groups", body)

    for group in directory.get("Groups", []):
        members = [moved(member, ids, base) for member in group.get("members", [])]
        body = {
            "schemas": [GROUP_SCHEMA],
            "displayName": group["displayName"],
            "members": members,
        }
        http.put(f"/Groups/{ids[group['id']]}", json=body).raise_for_status()

    return ids


def created(http: httpx.Client, path: str, body: JSONObject) -> str:
    """The server's id for a resource it has just created."""
    answer = http.post(path, json=body)
    answer.raise_for_status()
    return str(answer.json()["id"])


def moved(member: JSONObject, ids: dict[str, str], base: str) -> JSONObject:
    """A member entry with the server's ids; a `$ref` is rebuilt to point at the
    server, and a value that names nothing is kept as it is."""
    value = ids.get(member["value"], member["value"])
    entry = {**member, "value": value}
    if "$ref" in member:
        kind = member["$ref"].rstrip("/").split("/")[-2]
        entry["$ref"] = f"{base}/{kind}/{value}"

    return entry


@contextmanager
def serving_snapshot(snapshot: Path) -> Iterator[str]:
    """A SCIM server holding the directory of `snapshot`, for the length of the
    block; yields its base URL. userName is not held unique, as generated
    directories repeat one in other letter case on purpose."""
    directory = orjson.loads(snapshot.read_bytes())
    with (
        serving(scim_app(unique_user_names=False)) as url,
        httpx.Client(base_url=url) as http,
    ):
        load(http, directory, url)
        yield url
