"""Sign-in throttling: after N failures for a user name from one address, a 15-minute lock.

The counter is kept in Django's cache per (user name, client address), both hashed; it
counts failed attempts in a sliding 15-minute window (``settings.MAILLAGE_LOGIN_LIMIT``,
``MAILLAGE_LOGIN_ECHECS`` failures, 5 by default). While locked, even the right password
is refused with a French message; a successful sign-in clears the counter. Locking per
(name, address) rather than per name keeps an attacker from locking a colleague out
from elsewhere.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import cache
from django.http import HttpRequest

from maillage.web.ratelimit import client_key


def _key(request: HttpRequest | None, username: str) -> str:
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:24]
    where = client_key(request) if request is not None else "-"
    return f"maillage:login:{name}:{where}"


def failures(request: HttpRequest | None, username: str) -> int:
    """Failed attempts in the current window."""
    return int(cache.get(_key(request, username), 0))


def is_locked(request: HttpRequest | None, username: str) -> bool:
    """Whether this user name is locked for this address."""
    count, _ = settings.MAILLAGE_LOGIN_LIMIT
    return failures(request, username) >= int(count)


def record_failure(request: HttpRequest | None, username: str) -> None:
    """Count one failure (the window restarts at each failure)."""
    _, seconds = settings.MAILLAGE_LOGIN_LIMIT
    key = _key(request, username)
    cache.set(key, int(cache.get(key, 0)) + 1, timeout=int(seconds))


def clear(request: HttpRequest | None, username: str) -> None:
    """Forget the failures after a successful sign-in."""
    cache.delete(_key(request, username))


class ThrottledAuthenticationForm(AdminAuthenticationForm):
    """The admin's sign-in form, refusing a locked (user name, address) first."""

    def clean(self) -> dict[str, Any]:
        """Refuse when locked; count failures; clear on success."""
        username = str(self.data.get("username") or "")
        if username and is_locked(self.request, username):
            _, seconds = settings.MAILLAGE_LOGIN_LIMIT
            raise forms.ValidationError(
                f"Trop de tentatives de connexion manquées pour ce compte : réessayez dans "
                f"{int(seconds) // 60} minutes, ou demandez à un administrateur de "
                "réinitialiser votre mot de passe.",
                code="locked",
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                record_failure(self.request, username)
            raise
        clear(self.request, username)
        return cleaned
