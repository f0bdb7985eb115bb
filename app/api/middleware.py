"""ASGI middleware: the request body limit and request metrics.

Pure ASGI (not ``BaseHTTPMiddleware``) so bodies stream through untouched.
"""

import json
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import PROBLEM_JSON
from app.core.metrics import ServiceMetrics


class BodySizeLimit:
    """Refuse bodies over the limit with a 413 problem before they are parsed or spooled.

    Multipart bodies (images) may reach ``max_bytes``; any other body (JSON) only
    ``max_json_bytes``: no JSON this API takes is large, and every byte of a subject's
    metadata is returned by every listing. A declared ``Content-Length`` is checked up
    front; a chunked body is counted as it arrives, and once over the limit the app's
    response (whatever parsing failure it makes of the cut body) is replaced by the 413.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, max_json_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_json_bytes = max_json_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes if _is_multipart(scope) else self.max_json_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, send, limit)
            return
        received = 0
        exceeded = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                if not started and message["type"] == "http.response.start":
                    started = True
                    await self._refuse(scope, send, limit)
                return
            await send(message)

        await self.app(scope, counting_receive, guarded_send)

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        body = json.dumps(
            {
                "type": "/problems/upload-too-large",
                "title": "Upload too large",
                "status": 413,
                "detail": f"the request body exceeds {limit:,} bytes",
                "instance": scope.get("path", ""),
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of a request header (ASGI names them in lower case)."""
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value)
    return None


def _is_multipart(scope: Scope) -> bool:
    value = _header(scope, b"content-type")
    return value is not None and value.lower().startswith(b"multipart/form-data")


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


# Methods the API answers, each its own label value; any other method name a client sends
# (they are free-form tokens) counts as "other", so no client can grow the label set.
_METHOD_LABELS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_label(method: str) -> str:
    return method if method in _METHOD_LABELS else "other"


class RequestMetrics:
    """Counts and times requests by route template (never the raw path: ids would explode
    the label set) and by a closed set of methods."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = method_label(scope.get("method", ""))
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - start)


class NoStore:
    """``Cache-Control: no-store`` on every API response that does not set its own.

    Responses carry biometric decisions, personal metadata and, once, each new API key: no
    shared or browser cache may keep a copy.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_cache_control(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_cache_control)
