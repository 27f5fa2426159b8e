"""The web suite against a real PostgreSQL server, started for the test on loopback.

A throwaway cluster (:func:`maillage.web._postgres.throwaway_postgres`, shared with
``benchmarks/charge_web.py``: ``initdb`` in a temporary folder, ``pg_ctl`` on a free port,
listening on 127.0.0.1 only, trust authentication, no fsync) runs the rest of ``tests/web`` in a
child pytest with ``DATABASE_URL`` pointing at it. Debian's ``postgresql`` package gives
the binaries (``.ci/run`` installs it); without them the test is skipped and says why.
As root, the server runs as the ``postgres`` user (PostgreSQL refuses root).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from maillage.web._postgres import PostgresUnavailableError, throwaway_postgres

TESTS = Path(__file__).parent
ROOT = TESTS.parent.parent


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A running throwaway PostgreSQL server (:mod:`maillage.web._postgres`): its URL."""
    with ExitStack() as stack:
        try:
            url = stack.enter_context(throwaway_postgres())
        except PostgresUnavailableError as why:
            pytest.skip(str(why))
        yield url


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="la suite tourne déjà sur PostgreSQL (DATABASE_URL)",
)
def test_web_suite_on_postgresql(postgres_url: str, study_folder: Path) -> None:
    environment = {
        **os.environ,
        "DATABASE_URL": postgres_url,
        "MAILLAGE_TEST_ETUDE": str(study_folder),
    }
    for name in ("MAILLAGE_WEB_DATA", "DJANGO_SETTINGS_MODULE"):
        environment.pop(name, None)
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(TESTS),
            "--deselect",
            f"{TESTS / 'test_postgresql.py'}::test_web_suite_on_postgresql",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert child.returncode == 0, child.stdout[-6000:] + child.stderr[-3000:]
    assert " passed" in child.stdout and "failed" not in child.stdout
