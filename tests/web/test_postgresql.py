"""The web suite against a real PostgreSQL server, started for the test on loopback.

A throwaway cluster (``initdb`` in a temporary folder, ``pg_ctl`` on a free port, listening
on 127.0.0.1 only, trust authentication, no fsync) runs the rest of ``tests/web`` in a
child pytest with ``DATABASE_URL`` pointing at it. Debian's ``postgresql`` package gives
the binaries (``.ci/run`` installs it); without them the test is skipped and says why.
As root, the server runs as the ``postgres`` user (PostgreSQL refuses root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
ROOT = TESTS.parent.parent


def _pg_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A running throwaway PostgreSQL server: its ``DATABASE_URL``."""
    binaries = _pg_bin()
    if binaries is None:
        pytest.skip("PostgreSQL absent (initdb introuvable) : apt-get install postgresql")
    prefix: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="maillage-pg-"))
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(folder, ignore_errors=True)
            pytest.skip("PostgreSQL refuse root et l'utilisateur postgres n'existe pas")
        os.chown(folder, account.pw_uid, account.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data = folder / "data"
    port = _free_port()

    def run(*command: str) -> None:
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    run(
        str(binaries / "initdb"),
        "-D",
        str(data),
        "-U",
        "maillage",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    )
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -k {folder} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off"
    )
    try:
        run(
            str(binaries / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(folder / "log"),
            "-w",
            "start",
        )
        yield f"postgres://maillage@127.0.0.1:{port}/maillage"
    finally:
        subprocess.run(
            [*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(folder, ignore_errors=True)


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
