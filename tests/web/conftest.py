"""Fixtures of the web app's tests: Django configured on a throwaway data folder, the
built-in Maurienne study computed once per session and loaded into the test database,
one user per role.

The suite runs on SQLite; with ``DATABASE_URL`` set, on that database (PostgreSQL):
``test_postgresql.py`` starts a throwaway PostgreSQL cluster on loopback and re-runs the
suite there when Debian's ``postgresql`` binaries are installed.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

WEB_DEPENDENCIES = ("django", "pytest_django")
MISSING = [name for name in WEB_DEPENDENCIES if importlib.util.find_spec(name) is None]

if MISSING:
    # The web extra is optional: without it, these tests are not collected.
    collect_ignore_glob = ["*.py"]
else:
    _data = tempfile.mkdtemp(prefix="maillage-web-tests-")
    atexit.register(shutil.rmtree, _data, True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.web.settings")
    os.environ.setdefault("MAILLAGE_WEB_DATA", _data)
    os.environ.setdefault("MAILLAGE_SECRET_KEY", "tests-only-not-a-secret")
    # Playwright's sync API runs an event loop in the test thread.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    import django

    django.setup()
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        # A file, not Django's default in-memory test database: the live server answers
        # the browser's parallel requests (two maps at once) in threads, and an in-memory
        # database would make them share one connection (rows of one query read by another).
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(
            Path(_data) / "tests.sqlite3"
        )

ROLES = {"admin": "Administrateur", "editeur": "Éditeur", "lecteur": "Lecteur"}
PASSWORD = "Mot-de-passe-de-test-42"


@pytest.fixture(scope="session")
def study_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in Pays de Maurienne diagnostic (``MAILLAGE_TEST_ETUDE`` to reuse one)."""
    from maillage.web.server import builtin_study

    given = os.environ.get("MAILLAGE_TEST_ETUDE")
    if given:
        return Path(given)
    return builtin_study(tmp_path_factory.mktemp("etude"), echo=lambda _: None)


@pytest.fixture(scope="session")
def django_db_setup(
    django_db_setup: None, django_db_blocker: Any, study_folder: Path
) -> Iterator[None]:
    """The test database, with the study loaded once for the whole session."""
    from maillage.web.loading import load_study

    with django_db_blocker.unblock():
        load_study(study_folder)
    yield


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Rate-limit counters and cached dashboards never leak between tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def make_user(role: str) -> Any:
    """A staff user in the group of ``role`` (admin, editeur, lecteur)."""
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user(role, f"{role}@example.org", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=ROLES[role]))
    return user


@pytest.fixture
def client_as(db: None) -> Callable[[str], Any]:
    """A test client signed in with the given role."""
    from django.test import Client

    def make(role: str) -> Client:
        client = Client()
        client.force_login(make_user(role))
        return client

    return make
