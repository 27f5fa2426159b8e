"""A throwaway PostgreSQL server on loopback, for the web tests and the load benchmark.

``initdb`` in a temporary folder, ``pg_ctl`` on a free port, listening on 127.0.0.1 only,
trust authentication, no fsync, a ``maillage`` database; as root, the server runs as the
``postgres`` user (PostgreSQL refuses root). Debian's ``postgresql`` package gives the
binaries. Used by ``tests/web/test_postgresql.py`` (the web suite re-run on PostgreSQL)
and ``benchmarks/charge_web.py`` (the load on PostgreSQL); not by the web app itself.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["PostgresUnavailableError", "throwaway_postgres"]


class PostgresUnavailableError(RuntimeError):
    """No PostgreSQL server can be started here (the message says why, in French)."""


def postgres_binaries() -> Path:
    """The folder of ``initdb`` and ``pg_ctl`` (on the PATH or Debian's versioned folder).

    Raises
    ------
    PostgresUnavailableError
        When the binaries are not installed.
    """
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if not candidates:
        raise PostgresUnavailableError(
            "PostgreSQL absent (initdb introuvable). Correction : apt-get install postgresql"
        )
    return Path(candidates[0]).parent


def _run_as() -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailableError(
            "PostgreSQL refuse root et l'utilisateur postgres n'existe pas. Correction : "
            "installez le paquet postgresql (il crée l'utilisateur) ou lancez sans être root"
        ) from None
    return ["runuser", "-u", "postgres", "--"]


@contextmanager
def throwaway_postgres(*, max_connections: int = 200) -> Iterator[str]:
    """Start a server, yield its ``DATABASE_URL``, then stop it and delete its folder.

    Parameters
    ----------
    max_connections
        PostgreSQL's ``max_connections`` (each server thread holds one).

    Raises
    ------
    PostgresUnavailableError
        When the binaries are missing, or as root without a ``postgres`` user.
    """
    binaries = postgres_binaries()
    prefix = _run_as()
    folder = Path(tempfile.mkdtemp(prefix="maillage-pg-"))
    if prefix:
        account = pwd.getpwnam("postgres")
        os.chown(folder, account.pw_uid, account.pw_gid)
    data = folder / "data"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])

    def run(*command: str) -> None:
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -k {folder} -c fsync=off "
        f"-c synchronous_commit=off -c full_page_writes=off -c max_connections={max_connections}"
    )
    try:
        run(
            str(binaries / "initdb"),
            *("-D", str(data), "-U", "maillage", "-A", "trust", "-E", "UTF8"),
            *("--locale=C", "--no-sync"),
        )
        run(
            str(binaries / "pg_ctl"),
            *("-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"),
        )
        run(
            str(binaries / "createdb"),
            *("-h", "127.0.0.1", "-p", str(port), "-U", "maillage", "maillage"),
        )
        yield f"postgres://maillage@127.0.0.1:{port}/maillage"
    finally:
        if data.is_dir():
            subprocess.run(
                [*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(folder, ignore_errors=True)
