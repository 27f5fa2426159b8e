"""The root of maillage's cache (downloaded files, built road graphs)."""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable that moves the whole cache.
CACHE_ENV = "MAILLAGE_CACHE"


def cache_root() -> Path:
    """``$MAILLAGE_CACHE``, else ``$XDG_CACHE_HOME/maillage``, else ``~/.cache/maillage``.

    Examples
    --------
    >>> import os
    >>> previous = os.environ.get("MAILLAGE_CACHE")
    >>> os.environ["MAILLAGE_CACHE"] = "/tmp/cache-maillage"
    >>> str(cache_root())
    '/tmp/cache-maillage'
    >>> _ = os.environ.pop("MAILLAGE_CACHE") if previous is None else os.environ.update(
    ...     MAILLAGE_CACHE=previous)
    """
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "maillage"
