"""A directory read from a live SCIM 2.0 server (RFC 7644), reading only.

`ScimSource` reads what `SnapshotSource` reads from a file: it discovers the
service as scim2-client asks for it (ResourceTypes and Schemas, then
ServiceProviderConfig), lists users and groups a page at a time with `startIndex`
and `count`, and resolves group members with `members.resolve_groups`, so a
server and a snapshot holding the same data give the same directory.

Servers differ, so the reading is forgiving wherever that loses nothing:

- a server that publishes no discovery, or one that does not add up, is read as
  RFC 7643's User and Group at `/Users` and `/Groups`;
- a page may hold fewer resources than asked for: the next one starts after
  what came, and an empty page ends a listing whatever `totalResults` said;
- a group listed without members is read again on its own, since some servers
  leave members out of listings.

Each request is retried as the Genesys Cloud client retries: 429 after its
`Retry-After`, 502, 503 and 504, timeouts and dropped connections, with backoff
and jitter, within the bounds of a `RetryPolicy`. Nothing is ever written.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx
from scim2_client import (
    InvalidServiceDescriptionException,
    ResponsePayloadValidationException,
    SCIMClientException,
)
from scim2_models import (
    Group,
    ListResponse,
    SCIMException,
    ScimProvider,
    SearchRequest,
    User,
)

from skillsync.directory.interface import Directory, DirectoryUser
from skillsync.directory.members import MemberEntry, RawGroup, resolve_groups
from skillsync.directory.scim_exchange import (
    POLICY,
    BlockingClock,
    ScimExchange,
    SystemBlockingClock,
)
from skillsync.errors import SourceError
from skillsync.ids import DirectoryGroupId, DirectoryUserId
from skillsync.progress import QUIET, Observer
from skillsync.ratelimit import (
    RetryPolicy,
)

logger = logging.getLogger(__name__)

TOKEN_VARIABLE = "SCIM_TOKEN"
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
USER_AGENT = "skillsync"
ACCEPT = "application/scim+json, application/json"
EXAMPLE_URL = "https://idp.example.com/scim/v2"

# Core User attributes skillsync never reads; `groups` is the heavy one, as a
# server computes it from every group.
USER_EXCLUDED = (
    "groups",
    "roles",
    "entitlements",
    "x509Certificates",
    "photos",
    "addresses",
    "phoneNumbers",
    "ims",
)

# Answers to a discovery request that mean "not published here", or not to this
# client, rather than "something is wrong": the directory is then read as RFC
# 7643 describes it, and a refusal that also covers users is reported there.
UNPUBLISHED_STATUSES = frozenset({400, 401, 403, 404, 405, 501})

ScimFailure = SCIMClientException | SCIMException


class ScimSource:
    """A directory read from a SCIM 2.0 server, its base URL ending before `/Users`.

    `token` is sent as a bearer token when given and appears in no message, log
    or repr. `transport` replaces the network, for tests; `page_size` is the
    `count` asked for, which the server may lower.
    """

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        page_size: int = 500,
        clock: BlockingClock | None = None,
        timeout: httpx.Timeout = TIMEOUT,
    ) -> None:
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, not {page_size}")

        self.url = url
        self.token = token
        self.transport = transport
        self.retry = retry or RetryPolicy()
        self.page_size = page_size
        self.clock = clock or SystemBlockingClock()
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"ScimSource({shown(self.url)!r})"

    def describe(self) -> str:
        """The server's base URL."""
        return f"the SCIM server {shown(self.url)}"

    def read(self, observer: Observer = QUIET) -> Directory:
        """Discover the service, then list every user and group."""
        with self.exchange(observer) as scim:
            try:
                discover(scim)
                users = self.read_users(scim, observer)
                raw_groups = self.read_groups(scim, observer)
            except (SCIMClientException, SCIMException) as error:
                raise self.failure(error) from error

        groups, findings = resolve_groups(raw_groups, users, self.describe())
        logger.info(
            "read %d users and %d groups from %s",
            len(users),
            len(groups),
            self.describe(),
        )
        return Directory(self.describe(), users, groups, tuple(findings))

    @contextmanager
    def exchange(self, observer: Observer) -> Iterator[ScimExchange]:
        """A scim2-client engine over an httpx client, closed after the block."""
        base = self.checked_url()
        headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"

        with httpx.Client(
            base_url=base,
            headers=headers,
            transport=self.transport,
            timeout=self.timeout,
            follow_redirects=True,
        ) as http:
            yield ScimExchange(
                http,
                self.retry,
                self.clock,
                observer,
                url=shown(base),
            )

    def checked_url(self) -> httpx.URL:
        """The base URL, refused unless it is an absolute http(s) URL."""
        try:
            url = httpx.URL(self.url)
        except httpx.InvalidURL as error:
            raise SourceError(self.bad_url_message()) from error

        if url.scheme not in {"http", "https"} or not url.host:
            raise SourceError(self.bad_url_message())

        return url

    def bad_url_message(self) -> str:
        """Why the base URL cannot be used, and what to pass instead."""
        return (
            f"{shown(self.url)!r} is not an http(s) URL; pass the SCIM server's "
            f"base URL, the part before /Users, such as {EXAMPLE_URL}"
        )

    def read_users(
        self, scim: ScimExchange, observer: Observer
    ) -> dict[DirectoryUserId, DirectoryUser]:
        """Every user by id."""
        users: dict[DirectoryUserId, DirectoryUser] = {}
        for resource in self.listing(scim, User, USER_EXCLUDED, observer):
            user = to_user(resource, self.describe())
            users[user.id] = user

        return users

    def read_groups(self, scim: ScimExchange, observer: Observer) -> list[RawGroup]:
        """Every group with its member entries, re-reading any listed without."""
        listed = list(self.listing(scim, Group, (), observer))
        bare = sum(1 for group in listed if not getattr(group, "members", None))
        if bare:
            logger.info(
                "%d groups were listed without members; reading each on its own",
                bare,
            )

        return [
            to_raw_group(complete(scim, group), self.describe()) for group in listed
        ]

    def listing(
        self,
        scim: ScimExchange,
        model: type[User[Any] | Group],
        excluded: tuple[str, ...],
        observer: Observer,
    ) -> Iterator[object]:
        """Every resource of a type, a page at a time, until `totalResults` is
        reached or a page comes back empty."""
        noun = f"{model.__name__.lower()}s"
        count = page_count(scim, self.page_size)
        start, total = 1, None
        seen: set[str] = set()
        while total is None or start <= total:
            page = list_page(scim, model, start, count, excluded)
            resources = page.resources or []
            if start == 1:
                observer.phase(
                    f"reading {noun} from {self.describe()}", page.total_results
                )

            if not resources:
                break

            self.check_progress(resources, seen, noun, start)
            yield from resources

            observer.advance(len(resources))
            start += len(resources)
            total = page.total_results

    def check_progress(
        self, resources: list[Any], seen: set[str], noun: str, start: int
    ) -> None:
        """Refuse a page holding only resources already listed: the server
        ignores `startIndex`, and reading on would never end or miss some."""
        ids = {str(getattr(resource, "id", "")) for resource in resources}
        if ids <= seen:
            raise SourceError(
                f"{self.describe()} answered startIndex={start} with {noun} it had "
                f"already listed, so it does not page by startIndex and skillsync "
                f"cannot read every one; read a snapshot export of the directory "
                "instead"
            )

        seen.update(ids)

    def failure(self, error: ScimFailure) -> SourceError:
        """The `SourceError` for an answer scim2-client could not accept."""
        answer = getattr(error, "source", None)
        if not isinstance(answer, httpx.Response):
            return SourceError(
                f"{self.describe()} does not describe a SCIM service skillsync can "
                f"read ({error}); check that {shown(self.url)} is its base URL"
            )

        url = shown(answer.request.url.copy_with(query=None))
        request = f"{answer.request.method} {url} answered {answer.status_code}"
        if answer.status_code in {401, 403}:
            return SourceError(self.refusal(request, answer.status_code))

        if answer.status_code == 404:
            return SourceError(
                f"{request}: no SCIM users or groups there; pass the SCIM base URL, "
                f"the part before /Users, such as {EXAMPLE_URL}"
            )

        if isinstance(error, SCIMException):
            return SourceError(
                f"{request}: {error.detail}; the SCIM server could not list its users "
                "and groups, so see its logs or ask its administrator"
            )

        content_type = answer.headers.get("Content-Type", "no content type")
        return SourceError(
            f"{request} with {content_type} that is not SCIM ({error}); check that "
            f"{shown(self.url)} is the SCIM base URL, the part before /Users"
        )

    def refusal(self, request: str, status: int) -> str:
        """The message for a 401 or 403, which depends on whether a token was sent."""
        if not self.token:
            return (
                f"{request} and no token was sent; set {TOKEN_VARIABLE} to a bearer "
                "token the SCIM server accepts"
            )

        if status == 401:
            return (
                f"{request}: the SCIM server does not accept the bearer token in "
                f"{TOKEN_VARIABLE}; check that it is current and meant for this server"
            )

        return (
            f"{request}: the token in {TOKEN_VARIABLE} is accepted but may not read "
            "users and groups; give its client read access to Users and Groups"
        )


def scim_source_from_env(url: str, environ: Mapping[str, str]) -> ScimSource:
    """A `ScimSource` for `url` whose bearer token, if any, is `SCIM_TOKEN`."""
    return ScimSource(url, environ.get(TOKEN_VARIABLE) or None)


def discover(scim: ScimExchange) -> None:
    """Learn the server's resource types and schemas, then its configuration;
    what it does not publish is taken from RFC 7643."""
    try:
        scim.discover(service_provider_config=False)
    except (SCIMClientException, SCIMException) as error:
        if not unpublished(error):
            raise

        logger.info(
            "could not read the SCIM server's ResourceTypes and Schemas (%s); "
            "reading RFC 7643 users and groups at /Users and /Groups",
            error,
        )
        scim.provider = rfc_7643_provider()

    try:
        scim.discover(schemas=False, resource_types=False)
    except (SCIMClientException, SCIMException) as error:
        if not unpublished(error):
            raise

        logger.info(
            "could not read the SCIM server's ServiceProviderConfig (%s); asking "
            "for pages of the size given",
            error,
        )


def rfc_7643_provider() -> ScimProvider:
    """RFC 7643's User and Group at `/Users` and `/Groups`, their models built
    from the RFC's schemas as a server's own would be."""
    # NOTE: scim2-models' static User checks every email address; models built
    # from schemas take any string, as a snapshot does.
    schemas = [User.to_schema(), Group.to_schema()]
    models = ScimProvider.from_discovery(schemas, []).models
    return ScimProvider(models=models, policy=POLICY)


def unpublished(error: ScimFailure) -> bool:
    """Whether a discovery failure means the server does not publish that part,
    or publishes something scim2-client cannot compose, rather than a fault."""
    if isinstance(
        error, InvalidServiceDescriptionException | ResponsePayloadValidationException
    ):
        return True

    answer = getattr(error, "source", None)
    return (
        isinstance(answer, httpx.Response)
        and answer.status_code in UNPUBLISHED_STATUSES
    )


def page_count(scim: ScimExchange, page_size: int) -> int:
    """The `count` to ask for: the page size, within the server's `maxResults`."""
    config = scim.provider.config
    limit = config.filter.max_results if config and config.filter else None
    return min(page_size, limit) if limit else page_size


def list_page(
    scim: ScimExchange,
    model: type[User[Any] | Group],
    start: int,
    count: int,
    excluded: tuple[str, ...],
) -> ListResponse[Any]:
    """One page of a listing."""
    search: SearchRequest[Any] = SearchRequest(
        start_index=start,
        count=count,
        excluded_attributes=list(excluded) or None,
    )
    answer = scim.query(model, query_parameters=search)
    if not isinstance(answer, ListResponse):
        raise SourceError(
            f"{scim.url} answered a listing of {model.__name__}s with something "
            "other than a ListResponse; check that it is the SCIM base URL"
        )

    return answer


def complete(scim: ScimExchange, group: object) -> object:
    """A listed group, read again on its own when listed without members; as
    listed when it has no members or has gone since."""
    if getattr(group, "members", None):
        return group

    try:
        return scim.query(Group, str(getattr(group, "id", "")))
    except (SCIMClientException, SCIMException) as error:
        answer = getattr(error, "source", None)
        if isinstance(answer, httpx.Response) and answer.status_code == 404:
            return group

        raise


def to_user(resource: object, source: str) -> DirectoryUser:
    """A listed SCIM user as a `DirectoryUser`: primary email first, and active
    unless it says otherwise."""
    user_id = required(resource, "id", "user", source)
    emails = sorted(
        getattr(resource, "emails", None) or [],
        key=lambda email: not getattr(email, "primary", False),
    )
    return DirectoryUser(
        id=DirectoryUserId(user_id),
        user_name=required(resource, "user_name", "user", source, user_id),
        emails=tuple(email.value for email in emails if text(email, "value")),
        external_id=text(resource, "external_id"),
        active=getattr(resource, "active", None) is not False,
        display_name=text(resource, "display_name") or "",
    )


def to_raw_group(resource: object, source: str) -> RawGroup:
    """A listed SCIM group, its member entries as the server marked them."""
    group_id = required(resource, "id", "group", source)
    members = getattr(resource, "members", None) or []
    return RawGroup(
        DirectoryGroupId(group_id),
        required(resource, "display_name", "group", source, group_id),
        tuple(
            MemberEntry(
                text(member, "value") or "",
                text(member, "type"),
                text(member, "ref"),
            )
            for member in members
        ),
    )


def required(
    resource: object, name: str, kind: str, source: str, resource_id: str = ""
) -> str:
    """A field every resource of its kind must have, or a `SourceError`."""
    value = text(resource, name)
    if value is None:
        which = f" {resource_id!r}" if resource_id else ""
        raise SourceError(
            f"{source} listed a {kind}{which} without {scim_name(name)}; every "
            f"{kind} needs one, so fix the {kind} on the server"
        )

    return value


def text(resource: object, name: str) -> str | None:
    """A string attribute of a SCIM object, None when absent or empty."""
    value = getattr(resource, name, None)
    return str(value) if isinstance(value, str) and value else None


def scim_name(name: str) -> str:
    """The SCIM spelling of a scim2-models attribute name: `user_name` is
    `userName`."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def shown(url: str | httpx.URL) -> str:
    """A URL fit for messages: without a user name or password in it."""
    try:
        return str(httpx.URL(url).copy_with(userinfo=b"")).rstrip("/")
    except httpx.InvalidURL:
        return str(url).rpartition("@")[2]
