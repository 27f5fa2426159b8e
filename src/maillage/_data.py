"""Paths to the real public data shipped inside the package (see ``data/README.md``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_path(*parts: str) -> Path:
    """Return the path of a file shipped in ``maillage/data``.

    Examples
    --------
    >>> data_path("communes", "departements.csv").name
    'departements.csv'
    """
    root = Path(str(resources.files("maillage") / "data"))
    return root.joinpath(*parts)
