"""Rate limiting of the public forms with Django's cache framework.

:func:`rate_limited` wraps a view: each client (its address, hashed) may submit the form
(``POST``) ``count`` times per ``seconds`` window (``settings.MAILLAGE_RATE_LIMIT`` by
default); beyond that the view answers ``429 Too Many Requests`` with a French page
telling when to retry. ``GET`` is never limited. The counter lives in the default cache
(per process with the local-memory cache: use a shared cache, e.g. Redis or the database
cache, when several processes serve the app).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

View = Callable[..., HttpResponse]


def client_key(request: HttpRequest) -> str:
    """A hash of the client's address (``REMOTE_ADDR``; proxies must set it right)."""
    address = str(request.META.get("REMOTE_ADDR", ""))
    return hashlib.sha256(address.encode()).hexdigest()[:32]


def rate_limited(
    scope: str, *, limit: tuple[int, int] | None = None, exempt_perm: str | None = None
) -> Callable[[View], View]:
    """Limit ``POST`` requests to the view per client: ``limit = (count, seconds)``.

    Parameters
    ----------
    scope
        Name of the counter (one per form).
    limit
        ``(count, seconds)``; ``settings.MAILLAGE_RATE_LIMIT`` when ``None``.
    exempt_perm
        A permission whose holders are never limited (staff entering paper surveys at a
        France Services desk).
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if request.method != "POST":
                return view(request, *args, **kwargs)
            user = getattr(request, "user", None)
            if exempt_perm and user is not None and user.has_perm(exempt_perm):
                return view(request, *args, **kwargs)
            count, seconds = limit or settings.MAILLAGE_RATE_LIMIT
            window = int(time.time() // seconds)
            key = f"maillage:rl:{scope}:{client_key(request)}:{window}"
            cache.add(key, 0, timeout=seconds)
            try:
                used = cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=seconds)
                used = 1
            if used > count:
                retry = int(seconds - time.time() % seconds) + 1
                response = render(
                    request,
                    "web/trop_de_requetes.html",
                    {"retry_minutes": max(1, retry // 60), "count": count},
                    status=429,
                )
                response["Retry-After"] = str(retry)
                return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
