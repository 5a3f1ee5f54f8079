"""The API's wire conventions: error bodies, listing envelopes, query parameters."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

import orjson
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

T = TypeVar("T")

MAX_PAGE_SIZE = 500
MAX_IDS = 100
JSON = dict[str, Any]

ERROR_MESSAGES = {
    400: "The request could not be understood by the server due to malformed syntax.",
    401: "Invalid login credentials.",
    403: "You are not authorized to perform the requested action.",
    404: "The requested resource was not found.",
    409: "The version supplied does not match the current version of the user.",
    413: "The request is over the size limit. Maximum bytes: 512000",
    502: "The server received an invalid response from an upstream server.",
    503: "The service is currently unavailable. Retry the request later.",
    504: "The server timed out waiting for an upstream server.",
}
ERROR_CODES = {
    400: "bad.request",
    401: "bad.credentials",
    403: "missing.permissions",
    404: "not.found",
    409: "conflict",
    413: "request.entity.too.large",
    429: "too.many.requests.retry.after",
    502: "bad.gateway",
    503: "service.unavailable",
    504: "gateway.timeout",
}


class ApiError(Exception):
    """An error answer, rendered as the API's `ErrorBody`."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        field: str = "",
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message or ERROR_MESSAGES.get(status, "error"))
        self.status = status
        self.message = message or ERROR_MESSAGES.get(status, "error")
        self.field = field
        self.params = params
        self.headers = headers or {}


def correlation_id() -> str:
    """A fresh id for the `ININ-Correlation-Id` header and `contextId`."""
    return str(uuid.uuid4())


def json_response(
    body: object, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON answer carrying a correlation id, as every API answer does."""
    all_headers = {"ININ-Correlation-Id": correlation_id()}
    all_headers.update(headers or {})
    return Response(
        orjson.dumps(body), status, all_headers, media_type="application/json"
    )


def empty_response() -> Response:
    """The 204 a DELETE answers with."""
    return Response(status_code=204, headers={"ININ-Correlation-Id": correlation_id()})


def error_response(error: ApiError) -> Response:
    """Render an `ApiError` as an `ErrorBody`, its contextId the correlation id."""
    context = correlation_id()
    body: JSON = {
        "message": error.message,
        "code": ERROR_CODES.get(error.status, "error"),
        "status": error.status,
        "contextId": context,
        "details": [{"fieldName": error.field}] if error.field else [],
        "errors": [],
    }
    if error.params:
        body["messageWithParams"] = error.message
        body["messageParams"] = error.params

    headers = {"ININ-Correlation-Id": context, **error.headers}
    return Response(orjson.dumps(body), error.status, headers, "application/json")


def list_param(query: QueryParams, name: str) -> list[str]:
    """A list parameter, accepted comma-joined, repeated, or both."""
    values: list[str] = []
    for raw in query.getlist(name):
        values.extend(part.strip() for part in raw.split(",") if part.strip())

    return values


def ids_param(query: QueryParams) -> list[str] | None:
    """The `id` list, or None when absent; more than 100 is refused."""
    if "id" not in query:
        return None

    ids = list_param(query, "id")
    if len(ids) > MAX_IDS:
        raise ApiError(400, f"at most {MAX_IDS} ids may be requested", field="id")

    return ids


def int_param(query: QueryParams, name: str, default: int) -> int:
    """A positive integer parameter."""
    raw = query.get(name)
    if raw is None:
        return default

    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer", field=name) from None

    if value < 1:
        raise ApiError(400, f"{name} must be at least 1", field=name)

    return value


def descending(query: QueryParams) -> bool:
    """Whether `sortOrder` asks for descending order; unknown values are refused."""
    raw = query.get("sortOrder")
    if raw is None:
        return False

    order = raw.lower()
    if order not in {"asc", "desc", "ascending", "descending"}:
        raise ApiError(400, "sortOrder must be ascending or descending", "sortOrder")

    return order.startswith("desc")


def paging(query: QueryParams, default_size: int = 25) -> tuple[int, int]:
    """`pageSize` (at most 500) and `pageNumber` from the query."""
    size = int_param(query, "pageSize", default_size)
    if size > MAX_PAGE_SIZE:
        raise ApiError(400, f"pageSize must be at most {MAX_PAGE_SIZE}", "pageSize")

    return size, int_param(query, "pageNumber", 1)


def page_uri(path: str, query: QueryParams, size: int, number: int) -> str:
    """A relative page URI: paging first, then the caller's other parameters."""
    rest = [
        (k, v) for k, v in query.multi_items() if k not in {"pageSize", "pageNumber"}
    ]
    pairs = [("pageSize", size), ("pageNumber", number), *rest]
    return path + "?" + urlencode(pairs, safe=",")


def envelope(items: Sequence[T], render: Callable[[T], JSON], request: Request) -> JSON:
    """One page of an entity listing, in the API's envelope.

    `previousUri` is absent on the first page and `nextUri` on the last; a page
    past the end is empty but keeps `total` and `pageCount`.
    """
    path, query = request.url.path, request.query_params
    size, number = paging(query)
    total = len(items)
    count = math.ceil(total / size)
    start = (number - 1) * size
    body: JSON = {
        "entities": [render(item) for item in items[start : start + size]],
        "pageSize": size,
        "pageNumber": number,
        "total": total,
        "firstUri": page_uri(path, query, size, 1),
        "selfUri": page_uri(path, query, size, number),
        "lastUri": page_uri(path, query, size, max(count, 1)),
        "pageCount": count,
    }
    if number > 1:
        body["previousUri"] = page_uri(
            path, query, size, min(number - 1, max(count, 1))
        )

    if number < count:
        body["nextUri"] = page_uri(path, query, size, number + 1)

    return body


def whole_listing(items: Sequence[T], render: Callable[[T], JSON], path: str) -> JSON:
    """An unpaged listing: every item on one page, as bulk writes and
    `/individuals` answer."""
    size = max(len(items), 1)
    uri = f"{path}?pageSize={size}&pageNumber=1"
    return {
        "entities": [render(item) for item in items],
        "pageSize": size,
        "pageNumber": 1,
        "total": len(items),
        "firstUri": uri,
        "selfUri": uri,
        "lastUri": uri,
        "pageCount": 1 if items else 0,
    }
