"""The SCIM source against a real SCIM server: scim2-server on a free port in a
thread, or its WSGI application in-process.

The server is configured to answer small pages, so every listing takes several.
Replies it cannot give (a 503, a 429, a lying `totalResults`, an HTML page) come
from an `httpx.MockTransport` handler that answers itself or passes the request
on to the same in-process server. Retries wait on a clock that never sleeps.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from scim2_server.applications.wsgi import WSGIApplication

from skillsync.directory.interface import Directory, DirectoryGroup, DirectoryUser
from skillsync.directory.scim import ScimSource, scim_source_from_env
from skillsync.directory.snapshot import SnapshotSource
from skillsync.errors import SourceError
from skillsync.ids import DirectoryGroupId, DirectoryUserId
from skillsync.ratelimit import RetryPolicy
from skillsync.simulator.directory import (
    load,
    scim_app,
    serving,
)
from skillsync.simulator.generate import generate_org
from skillsync.simulator.server import free_port

JSONObject = dict[str, Any]
Loaded = tuple[WSGIApplication, dict[str, str]]
Server = Callable[[], httpx.Response]

BASE = "http://scim.test/v2"
TOKEN = "s3cret-scim-token"
PAGE = 3  # the most resources the test server puts in one page


# The server.


class Recorder(httpx.BaseTransport):
    """A transport that notes each request, then passes it on."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Note the request and pass it on."""
        self.sent.append(request)
        return self.inner.handle_request(request)

    def listed(self, path: str) -> list[dict[str, str]]:
        """The query parameters of each request sent to `path`."""
        return [dict(r.url.params) for r in self.sent if r.url.path.endswith(path)]


class StillClock:
    """A blocking clock that notes each sleep and moves time by it, never sleeping."""

    def __init__(self) -> None:
        self.time = 1_000.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        """The current virtual time."""
        return self.time

    def sleep(self, seconds: float) -> None:
        """Move time forward instead of waiting."""
        self.sleeps.append(seconds)
        self.time += seconds


# Loading a directory in the snapshot format into the server.


def as_served(
    directory: Directory, ids: dict[str, str]
) -> tuple[dict[str, DirectoryUser], dict[str, DirectoryGroup]]:
    """A directory's users and groups under the server's ids."""
    users = {
        ids[user_id]: replace(user, id=DirectoryUserId(ids[user_id]))
        for user_id, user in directory.users.items()
    }
    groups = {
        ids[group_id]: replace(
            group,
            id=DirectoryGroupId(ids[group_id]),
            users=tuple(DirectoryUserId(ids[m]) for m in group.users),
            groups=tuple(DirectoryGroupId(ids[m]) for m in group.groups),
        )
        for group_id, group in directory.groups.items()
    }
    return users, groups


def assert_read_alike(
    scim: Directory, snapshot: Directory, ids: dict[str, str]
) -> None:
    """The two sources read the same users, members and kinds of finding."""
    users, groups = as_served(snapshot, ids)
    assert dict(scim.users) == users
    assert dict(scim.groups) == groups
    kinds = Counter(finding.kind for finding in scim.findings)
    assert kinds == Counter(finding.kind for finding in snapshot.findings)


def nested_directory() -> JSONObject:
    """Users and groups nested every awkward way: a group containing a group, a
    3-cycle, a self-containing group, a diamond, members with and without
    `type`, one known only by its `$ref`, members naming nothing, inactive
    users and a user without `active`."""
    ada_emails = [
        {"value": "ada@home.example", "primary": False},
        {"value": "ada@example.com", "primary": True},
    ]
    tier2_ref = {
        "value": "dg-tier-2",
        "$ref": "https://idp.example/v2/Groups/dg-tier-2",
    }
    return {
        "Users": [
            person("ada", active=True, externalId="u-ada", emails=ada_emails),
            person("alan", active=True),
            person("grace", active=False),
            person("edsger"),
            person("barbara", active=False, externalId="u-barbara"),
        ],
        "Groups": [
            group("Support", member("Group", "Tier 1"), member("User", "ada")),
            group("Tier 1", member(None, "alan"), tier2_ref),
            group("Tier 2", member("User", "grace")),
            group("A", member("Group", "B"), member("User", "edsger")),
            group("B", member("Group", "C")),
            group("C", {"value": "dg-a"}),
            group("Loop", member("Group", "Loop"), member("User", "barbara")),
            group("Top", member("Group", "Left"), member("Group", "Right")),
            group("Left", member("Group", "Bottom")),
            group("Right", member("Group", "Bottom")),
            group("Bottom", member("User", "grace"), member("user", "ada")),
            group("Dangling", member("User", "ghost"), {"value": "nothing-at-all"}),
            group("Empty"),
        ],
    }


def person(name: str, **fields: Any) -> JSONObject:
    """A snapshot user whose userName and primary email derive from `name`."""
    email = f"{name}@example.com"
    return {
        "id": f"d-{name}",
        "userName": email,
        "displayName": name.title(),
        "emails": [{"value": email, "primary": True}],
        **fields,
    }


def group(name: str, *members: JSONObject) -> JSONObject:
    """A snapshot group whose id derives from `name`."""
    return {"id": slug("dg", name), "displayName": name, "members": list(members)}


def member(kind: str | None, name: str) -> JSONObject:
    """A member entry naming a user or group by `name`, its `type` given only
    when `kind` is."""
    entry = {"value": slug("dg" if kind == "Group" else "d", name)}
    return entry | ({"type": kind} if kind else {})


def slug(prefix: str, name: str) -> str:
    """A snapshot id made from a name: `dg-tier-1` for group "Tier 1"."""
    return f"{prefix}-{name.lower().replace(' ', '-')}"


# Fixtures.


@pytest.fixture
def app() -> WSGIApplication:
    """An empty in-process server."""
    return scim_app(page=PAGE)


@pytest.fixture
def loaded(app: WSGIApplication) -> Loaded:
    """The in-process server holding the nested directory, and its ids."""
    transport = httpx.WSGITransport(app=app)
    with httpx.Client(transport=transport, base_url=BASE) as http:
        ids = load(http, nested_directory(), BASE)

    return app, ids


def through(
    app: WSGIApplication, handler: Callable[[httpx.Request, Server], httpx.Response]
) -> Recorder:
    """A transport whose `handler(request, server)` answers each request, where
    `server()` passes it on to the in-process app."""
    inner = httpx.WSGITransport(app=app)

    def handle(request: httpx.Request) -> httpx.Response:
        return handler(request, lambda: inner.handle_request(request))

    return Recorder(httpx.MockTransport(handle))


def rewritten(
    answer: httpx.Response, change: Callable[[JSONObject], None]
) -> httpx.Response:
    """The server's answer with its JSON body changed by `change`."""
    body = json.loads(answer.read())
    change(body)
    return httpx.Response(answer.status_code, json=body)


def names(directory: Directory, group: DirectoryGroup) -> set[str]:
    """The display names of the groups a group contains."""
    return {directory.groups[member].display_name for member in group.groups}


def by_name(directory: Directory, name: str) -> DirectoryGroup:
    """The group with this display name."""
    return next(g for g in directory.groups.values() if g.display_name == name)


def user_named(directory: Directory, user_name: str) -> DirectoryUser:
    """The user with this userName."""
    return next(u for u in directory.users.values() if u.user_name == user_name)


# Reading nested groups.


def test_reads_nested_and_cyclic_groups_from_a_server_on_a_port() -> None:
    """Over real HTTP, in pages of three, every kind of nesting, cycle, untyped
    or `$ref`-only member and dangling member comes back as the server holds it."""
    with serving(scim_app(page=PAGE)) as url, httpx.Client(base_url=url) as http:
        load(http, nested_directory(), url)
        recorder = Recorder(httpx.HTTPTransport())
        directory = ScimSource(url, transport=recorder).read()

    assert names(directory, by_name(directory, "Support")) == {"Tier 1"}
    assert names(directory, by_name(directory, "Tier 1")) == {"Tier 2"}
    assert names(directory, by_name(directory, "A")) == {"B"}
    assert names(directory, by_name(directory, "B")) == {"C"}
    assert names(directory, by_name(directory, "C")) == {"A"}
    assert names(directory, by_name(directory, "Loop")) == {"Loop"}
    assert names(directory, by_name(directory, "Top")) == {"Left", "Right"}
    assert names(directory, by_name(directory, "Left")) == {"Bottom"}
    assert names(directory, by_name(directory, "Right")) == {"Bottom"}
    tier1_users = by_name(directory, "Tier 1").users
    assert [directory.users[u].user_name for u in tier1_users] == ["alan@example.com"]
    assert len(by_name(directory, "Bottom").users) == 2
    assert [f.kind for f in directory.findings] == ["unresolved-member"] * 2
    assert [p["startIndex"] for p in recorder.listed("/Users")] == ["1", "4"]
    assert {r.method for r in recorder.sent} == {"GET"}


def test_reads_users_fields_as_the_snapshot_does(loaded: Loaded) -> None:
    """The primary email comes first, `active: false` is inactive, and a user
    without `active` is active."""
    app, _ = loaded
    directory = ScimSource(BASE, transport=httpx.WSGITransport(app=app)).read()

    ada = user_named(directory, "ada@example.com")
    assert ada.emails == ("ada@example.com", "ada@home.example")
    assert ada.external_id == "u-ada"
    assert ada.display_name == "Ada"
    assert not user_named(directory, "grace@example.com").active
    assert user_named(directory, "edsger@example.com").active


def test_nested_directory_reads_alike_from_snapshot_and_server(
    loaded: Loaded, tmp_path: Path
) -> None:
    """The hand-made nested directory reads the same from a snapshot file and
    from the in-process server, ids aside."""
    app, ids = loaded
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(nested_directory()))

    snapshot = SnapshotSource(path).read()
    scim = ScimSource(BASE, transport=httpx.WSGITransport(app=app)).read()

    assert_read_alike(scim, snapshot, ids)
    assert scim.source == f"the SCIM server {BASE}"


def test_generated_org_reads_alike_from_snapshot_and_server(tmp_path: Path) -> None:
    """A generated 200-user org, loaded into scim2-server over HTTP and read back
    in pages of seven, equals the snapshot `sim generate` wrote, ids aside."""
    generate_org(tmp_path, users=200, seed=3)
    path = tmp_path / "directory.json"
    data = json.loads(path.read_text())
    # NOTE: the generated directory repeats a userName in other letter case on
    # purpose; RFC 7643 makes userName unique, so this server is told not to care.
    app = scim_app(page=7, unique_user_names=False)
    with serving(app) as url, httpx.Client(base_url=url) as http:
        ids = load(http, data, url)
        scim = ScimSource(url).read()

    snapshot = SnapshotSource(path).read()
    assert len(scim.users) == len(data["Users"])
    assert_read_alike(scim, snapshot, ids)


# Paging.


def test_pages_continue_when_the_server_gives_fewer_than_asked(loaded: Loaded) -> None:
    """Asked for 500 a page and given three, the source keeps asking from where
    the last page ended until `totalResults` is reached."""
    app, _ = loaded
    recorder = Recorder(httpx.WSGITransport(app=app))
    directory = ScimSource(BASE, transport=recorder).read()

    assert len(directory.users) == 5
    assert len(directory.groups) == 13
    groups = recorder.listed("/Groups")
    assert [p["startIndex"] for p in groups] == ["1", "4", "7", "10", "13"]
    assert {p["count"] for p in groups} == {str(PAGE)}


def test_page_size_sets_the_count_asked_for(loaded: Loaded) -> None:
    """A page size below the server's limit is the `count` of every listing."""
    app, _ = loaded
    recorder = Recorder(httpx.WSGITransport(app=app))
    ScimSource(BASE, transport=recorder, page_size=2).read()

    users = recorder.listed("/Users")
    assert [(p["startIndex"], p["count"]) for p in users] == [
        ("1", "2"),
        ("3", "2"),
        ("5", "2"),
    ]


def test_user_listings_exclude_groups(loaded: Loaded) -> None:
    """User listings ask the server to leave out `groups` and other unread
    attributes."""
    app, _ = loaded
    recorder = Recorder(httpx.WSGITransport(app=app))
    ScimSource(BASE, transport=recorder).read()

    excluded = recorder.listed("/Users")[0]["excludedAttributes"].split(",")
    assert "groups" in excluded
    assert not {"userName", "emails", "active", "externalId"} & set(excluded)


def test_a_lying_total_stops_at_the_first_empty_page(loaded: Loaded) -> None:
    """A server claiming a million results ends the listing at its first empty
    page."""
    app, _ = loaded

    def handler(request: httpx.Request, server: Server) -> httpx.Response:
        answer = server()
        if request.url.path.endswith("/Users"):
            return rewritten(answer, lambda body: body.update(totalResults=1_000_000))

        return answer

    recorder = through(app, handler)
    directory = ScimSource(BASE, transport=recorder).read()

    assert len(directory.users) == 5
    assert len(recorder.listed("/Users")) == 3


def test_a_server_ignoring_start_index_is_refused(loaded: Loaded) -> None:
    """A server that answers every page with the first one is refused, rather than
    read forever or read short."""
    app, _ = loaded

    def handler(request: httpx.Request, server: Server) -> httpx.Response:
        if request.url.path.endswith("/Users"):
            first = request.url.copy_set_param("startIndex", "1")
            request = httpx.Request("GET", first, headers=request.headers)

        return httpx.WSGITransport(app=app).handle_request(request)

    with pytest.raises(SourceError, match="does not page by startIndex"):
        ScimSource(BASE, transport=through(app, handler)).read()


# Servers that differ.


def test_groups_listed_without_members_are_read_one_by_one(loaded: Loaded) -> None:
    """When a server leaves members out of group listings, each group is read on
    its own and the directory is complete."""
    app, _ = loaded

    def strip(body: JSONObject) -> None:
        for group in body.get("Resources", []):
            group.pop("members", None)

    def handler(request: httpx.Request, server: Server) -> httpx.Response:
        if request.url.path.endswith("/Groups"):
            return rewritten(server(), strip)

        return server()

    recorder = through(app, handler)
    directory = ScimSource(BASE, transport=recorder).read()
    complete = ScimSource(BASE, transport=httpx.WSGITransport(app=app)).read()

    assert directory.groups == complete.groups
    one_by_one = [r for r in recorder.sent if "/Groups/" in r.url.path]
    assert len(one_by_one) == 13


def test_a_server_without_discovery_is_read_as_rfc_7643(loaded: Loaded) -> None:
    """A server answering 404 to ResourceTypes, Schemas and ServiceProviderConfig
    is read at /Users and /Groups all the same."""
    app, _ = loaded
    discovery = ("/ResourceTypes", "/Schemas", "/ServiceProviderConfig")

    def handler(request: httpx.Request, server: Server) -> httpx.Response:
        if request.url.path.endswith(discovery):
            return httpx.Response(404, text="Not Found")

        return server()

    directory = ScimSource(BASE, transport=through(app, handler)).read()
    assert len(directory.users) == 5
    assert len(directory.groups) == 13


# Errors.


def test_a_refused_connection_names_the_url() -> None:
    """Nothing listening on the port gives a `SourceError` naming the URL, at once."""
    url = f"http://127.0.0.1:{free_port('127.0.0.1')}/v2"
    clock = StillClock()
    with pytest.raises(SourceError, match="cannot reach the SCIM server") as caught:
        ScimSource(url, clock=clock).read()

    assert url in str(caught.value)
    assert clock.sleeps == []


def test_a_url_ending_in_users_is_told_to_stop_before_it(loaded: Loaded) -> None:
    """A base URL ending in /Users, whose requests all 404, is told to pass the
    part before /Users."""
    app, _ = loaded
    source = ScimSource(f"{BASE}/Users", transport=httpx.WSGITransport(app=app))
    with pytest.raises(SourceError, match="the part before /Users"):
        source.read()


@pytest.mark.parametrize("url", ["ftp://idp.example/scim", "idp.example/scim"])
def test_a_url_that_is_not_http_is_refused(url: str) -> None:
    """A base URL that is not an absolute http(s) URL is refused before any request."""
    with pytest.raises(SourceError, match="is not an http"):
        ScimSource(url).read()


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, html="<html><body>Welcome</body></html>"),
        httpx.Response(200, json={"hello": "world"}),
        httpx.Response(200, json=[1, 2, 3]),
    ],
    ids=["html", "json-not-scim", "json-array"],
)
def test_a_body_that_is_not_scim_is_refused(answer: httpx.Response) -> None:
    """A server answering something other than SCIM gives a `SourceError` saying so."""
    transport = httpx.MockTransport(lambda request: answer)
    with pytest.raises(SourceError, match="SCIM"):
        ScimSource(BASE, transport=transport).read()


def test_a_scim_error_other_than_404_is_reported_with_its_detail(
    loaded: Loaded,
) -> None:
    """A 400 with a SCIM error body is reported with the server's detail and never
    retried."""
    app, _ = loaded
    error = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "400",
        "detail": "excludedAttributes is not supported",
    }

    def handler(request: httpx.Request, server: Server) -> httpx.Response:
        if request.url.path.endswith("/Users"):
            return httpx.Response(400, json=error)

        return server()

    recorder = through(app, handler)
    with pytest.raises(SourceError, match="excludedAttributes is not supported"):
        ScimSource(BASE, transport=recorder, clock=StillClock()).read()

    assert len(recorder.listed("/Users")) == 1


# Tokens.


def test_the_token_is_sent_as_a_bearer_header() -> None:
    """A server that accepts only one bearer token lets the source read."""
    with serving(scim_app(page=PAGE, tokens=(TOKEN,))) as url:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=url, headers=headers) as http:
            load(http, nested_directory(), url)

        directory = ScimSource(url, TOKEN).read()

    assert len(directory.users) == 5


def test_a_missing_token_names_scim_token() -> None:
    """Without a token, the server's 401 becomes a `SourceError` naming SCIM_TOKEN."""
    with (
        serving(scim_app(page=PAGE, tokens=(TOKEN,))) as url,
        pytest.raises(SourceError, match="no token was sent; set SCIM_TOKEN"),
    ):
        scim_source_from_env(url, {}).read()


def test_a_refused_token_is_never_repeated(caplog: pytest.LogCaptureFixture) -> None:
    """A wrong token's 401 names SCIM_TOKEN, and the token appears in no message,
    log line or repr."""
    wrong = "wrong-token-6f1c"
    caplog.set_level(logging.DEBUG)
    with serving(scim_app(page=PAGE, tokens=(TOKEN,))) as url:
        source = scim_source_from_env(url, {"SCIM_TOKEN": wrong})
        with pytest.raises(SourceError, match="bearer token in SCIM_TOKEN") as caught:
            source.read()

    assert wrong not in str(caught.value)
    assert wrong not in repr(source)
    assert wrong not in source.describe()
    assert caplog.records
    assert wrong not in caplog.text


def test_a_forbidden_token_names_scim_token(loaded: Loaded) -> None:
    """A 403 says the token in SCIM_TOKEN may not read users and groups."""
    app, _ = loaded

    def handler(request: httpx.Request, server: Server) -> httpx.Response:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        return httpx.Response(403) if request.url.path.endswith("/Groups") else server()

    with pytest.raises(SourceError, match="SCIM_TOKEN is accepted but may not read"):
        ScimSource(BASE, TOKEN, transport=through(app, handler)).read()


def test_scim_token_is_read_from_the_environment_only_when_set() -> None:
    """`scim_source_from_env` takes SCIM_TOKEN when set and non-empty, else no token."""
    assert scim_source_from_env(BASE, {"SCIM_TOKEN": TOKEN}).token == TOKEN
    assert scim_source_from_env(BASE, {"SCIM_TOKEN": ""}).token is None
    assert scim_source_from_env(BASE, {}).token is None


def test_credentials_in_the_url_are_kept_out_of_messages() -> None:
    """A user name and password written into the URL appear in no repr or
    description."""
    source = ScimSource("https://reader:pa55word@idp.example/scim/v2")
    assert "pa55word" not in repr(source)
    assert source.describe() == "the SCIM server https://idp.example/scim/v2"


# Retries.


def failing_first(
    app: WSGIApplication, failures: list[httpx.Response | Exception]
) -> Recorder:
    """A transport whose first /Users requests fail as listed, then pass."""

    def handler(request: httpx.Request, server: Server) -> httpx.Response:
        if request.url.path.endswith("/Users") and failures:
            failure = failures.pop(0)
            if isinstance(failure, Exception):
                raise failure

            return failure

        return server()

    return through(app, handler)


def test_a_503_is_retried_after_a_backoff(
    loaded: Loaded, caplog: pytest.LogCaptureFixture
) -> None:
    """A 503 is retried after a backoff, with one `skillsync.retry` event."""
    app, _ = loaded
    clock = StillClock()
    transport = failing_first(app, [httpx.Response(503)])
    with caplog.at_level(logging.INFO, "skillsync"):
        directory = ScimSource(BASE, transport=transport, clock=clock).read()

    assert len(directory.users) == 5
    assert len(clock.sleeps) == 1
    assert 0.25 <= clock.sleeps[0] <= 0.5
    retries = [
        r for r in caplog.records if getattr(r, "event", "") == "skillsync.retry"
    ]
    assert [(r.__dict__["attempt"], r.__dict__["cause"]) for r in retries] == [
        (1, "503")
    ]


def test_a_429_waits_its_retry_after(
    loaded: Loaded, caplog: pytest.LogCaptureFixture
) -> None:
    """A 429 waits exactly its `Retry-After`, logged as a warning."""
    app, _ = loaded
    clock = StillClock()
    limited = httpx.Response(429, headers={"Retry-After": "7"})
    transport = failing_first(app, [limited])
    with caplog.at_level(logging.INFO, "skillsync"):
        ScimSource(BASE, transport=transport, clock=clock).read()

    assert clock.sleeps == [7.0]
    waits = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.__dict__["event"] for r in waits] == ["skillsync.ratelimit.wait"]


def test_a_429_asking_too_long_a_wait_is_refused(loaded: Loaded) -> None:
    """A `Retry-After` beyond the policy's `max_retry_after` fails at once."""
    app, _ = loaded
    clock = StillClock()
    limited = httpx.Response(429, headers={"Retry-After": "3600"})
    transport = failing_first(app, [limited])
    with pytest.raises(SourceError, match="told to wait 3600 s"):
        ScimSource(BASE, transport=transport, clock=clock).read()

    assert clock.sleeps == []


def test_timeouts_and_dropped_connections_are_retried(loaded: Loaded) -> None:
    """A read timeout and a dropped connection are each retried, then the read
    succeeds."""
    app, _ = loaded
    clock = StillClock()
    failures: list[httpx.Response | Exception] = [
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("dropped"),
    ]
    transport = failing_first(app, failures)
    directory = ScimSource(BASE, transport=transport, clock=clock).read()

    assert len(directory.users) == 5
    assert len(clock.sleeps) == 2


def test_retries_stop_after_the_policy_attempts(loaded: Loaded) -> None:
    """A server that keeps answering 502 is tried `attempts` times, then reported."""
    app, _ = loaded
    clock = StillClock()
    transport = failing_first(app, [httpx.Response(502) for _ in range(10)])
    policy = RetryPolicy(attempts=3)
    with pytest.raises(SourceError, match=r"still failed \(502\) after 3 attempts"):
        ScimSource(BASE, transport=transport, retry=policy, clock=clock).read()

    assert len(clock.sleeps) == 2


def test_retries_stop_when_their_time_runs_out(loaded: Loaded) -> None:
    """Retries stop once the next wait would pass the policy's `max_seconds`."""
    app, _ = loaded
    clock = StillClock()
    transport = failing_first(app, [httpx.ReadTimeout("slow") for _ in range(10)])
    policy = RetryPolicy(attempts=10, base=4.0, max_seconds=10.0)
    with pytest.raises(SourceError, match=r"still failed \(timeout\)") as caught:
        ScimSource(BASE, transport=transport, retry=policy, clock=clock).read()

    assert sum(clock.sleeps) <= 10.0
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)


def test_a_refused_connection_after_an_answer_is_retried(loaded: Loaded) -> None:
    """Once the server has answered, a refused connection is a restart, and is
    retried."""
    app, _ = loaded
    clock = StillClock()
    transport = failing_first(app, [httpx.ConnectError("refused")])
    directory = ScimSource(BASE, transport=transport, clock=clock).read()

    assert len(directory.users) == 5
    assert len(clock.sleeps) == 1


# What servers send beyond the RFC.


@pytest.mark.parametrize("discovery", [True, False], ids=["discovered", "rfc-7643"])
def test_undeclared_attributes_and_odd_emails_are_read(
    loaded: Loaded, discovery: bool
) -> None:
    """A user carrying an attribute no schema declares and an address that RFC 5321
    would refuse is read all the same, with or without the server's schemas."""
    app, _ = loaded

    def odd(body: JSONObject) -> None:
        for user in body.get("Resources", []):
            user["vendorFlavour"] = "extra"
            user["emails"] = [{"value": "ops@localhost", "primary": True}]

    def handler(request: httpx.Request, server: Server) -> httpx.Response:
        path = request.url.path
        if path.endswith(("/ResourceTypes", "/Schemas")) and not discovery:
            return httpx.Response(404)

        return rewritten(server(), odd) if path.endswith("/Users") else server()

    directory = ScimSource(BASE, transport=through(app, handler)).read()
    emails = {user.emails for user in directory.users.values()}
    assert emails == {("ops@localhost",)}


def test_a_group_without_display_name_is_refused(loaded: Loaded) -> None:
    """A listed group without `displayName` gives a `SourceError` naming the
    attribute and the group."""
    app, ids = loaded

    def nameless(body: JSONObject) -> None:
        for group in body.get("Resources", []):
            if group["id"] == ids["dg-support"]:
                del group["displayName"]

    def handler(request: httpx.Request, server: Server) -> httpx.Response:
        if request.url.path.endswith("/Groups"):
            return rewritten(server(), nameless)

        return server()

    with pytest.raises(SourceError, match="without displayName") as caught:
        ScimSource(BASE, transport=through(app, handler)).read()

    assert ids["dg-support"] in str(caught.value)
