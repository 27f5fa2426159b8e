"""Security headers: a strict Content-Security-Policy (no inline script, nothing remote)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
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
