"""Security middleware: a strict Content-Security-Policy (no inline script, nothing
remote) and a cap on request bodies (uploads)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import MemoryFileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse

DEFAULT_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; "
    "object-src 'none'"
)


class ContentSecurityPolicyMiddleware:
    """Add ``settings.MAILLAGE_CSP`` as the ``Content-Security-Policy`` of every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = str(getattr(settings, "MAILLAGE_CSP", DEFAULT_POLICY))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Set the header unless the view already did."""
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


def too_large_response(request: HttpRequest) -> HttpResponse:
    """French ``413`` page naming the limit."""
    from django.shortcuts import render

    limit = int(settings.MAILLAGE_MAX_REQUEST_BYTES)
    return render(
        request,
        "web/trop_volumineux.html",
        {"limit_mb": f"{limit / 1_048_576:g}".replace(".", ",")},
        status=413,
    )


class RequestSizeLimitMiddleware:
    """Refuse request bodies above ``settings.MAILLAGE_MAX_REQUEST_BYTES`` (413, in French).

    The declared ``Content-Length`` is checked before anything is read, so a large file
    part sent to any form (``/contribuer/`` takes none) never reaches the disk; a body
    sent without a length is cut by :class:`LimitedUploadHandler` and by waitress's
    ``max_request_body_size``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """413 when the body is declared too large, else the view's response."""
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > int(settings.MAILLAGE_MAX_REQUEST_BYTES):
            return too_large_response(request)
        return self.get_response(request)


class LimitedUploadHandler(MemoryFileUploadHandler):
    """Keep uploads in memory and stop reading past ``MAILLAGE_MAX_REQUEST_BYTES``."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.received = 0

    def handle_raw_input(self, *args: Any, **kwargs: Any) -> None:
        """Always in memory (the whole request is bounded)."""
        super().handle_raw_input(*args, **kwargs)
        self.activated = True

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        """Count the bytes; cut the connection past the limit."""
        self.received += len(raw_data)
        if self.received > int(settings.MAILLAGE_MAX_REQUEST_BYTES):
            raise StopUpload(connection_reset=True)
        return super().receive_data_chunk(raw_data, start)
