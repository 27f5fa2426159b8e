"""Progress bars of long steps (reading a PBF, travel times per type, report sections).

Bars go to stderr through :mod:`tqdm`, only when stderr is a terminal, so that logs,
pipes and ``--json`` outputs stay clean. ``MAILLAGE_PROGRESS=1`` forces them on (to show
them in a log) and ``MAILLAGE_PROGRESS=0`` turns them off.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


def enabled() -> bool:
    """Whether progress bars are shown (see the module's note).

    Examples
    --------
    >>> import os
    >>> os.environ["MAILLAGE_PROGRESS"] = "0"
    >>> enabled()
    False
    >>> del os.environ["MAILLAGE_PROGRESS"]
    """
    setting = os.environ.get("MAILLAGE_PROGRESS", "").strip()
    if setting in ("0", "1"):
        return setting == "1"
    return sys.stderr.isatty()


def progress(
    iterable: Iterable[T], *, description: str, total: int | None = None, unit: str = "it"
) -> Iterator[T]:
    """Iterate over ``iterable`` with a French-labelled progress bar on stderr.

    Parameters
    ----------
    iterable
        What to iterate over (returned untouched when bars are off: no overhead).
    description
        The step, in French (``"Lecture OpenStreetMap"``).
    total
        Number of items when ``iterable`` has no length.
    unit
        The items' unit (``"type"``, ``"objet"``...).

    Examples
    --------
    >>> import os
    >>> os.environ["MAILLAGE_PROGRESS"] = "0"
    >>> list(progress(range(3), description="Essai"))
    [0, 1, 2]
    >>> del os.environ["MAILLAGE_PROGRESS"]
    """
    if not enabled():
        yield from iterable
        return
    from tqdm import tqdm

    yield from tqdm(
        iterable,
        desc=description,
        total=total,
        unit=unit,
        file=sys.stderr,
        leave=False,
        dynamic_ncols=True,
        mininterval=0.25,
    )


@contextmanager
def byte_progress(total_bytes: int, *, description: str) -> Iterator[Callable[[int], None]]:
    """A progress bar over the bytes of a file: yields a function to call with each
    chunk's size (a no-op when bars are off).

    Examples
    --------
    >>> import os
    >>> os.environ["MAILLAGE_PROGRESS"] = "0"
    >>> with byte_progress(10, description="Essai") as advance:
    ...     advance(4)
    >>> del os.environ["MAILLAGE_PROGRESS"]
    """
    if not enabled():
        yield lambda size: None
        return
    from tqdm import tqdm

    with tqdm(
        total=total_bytes,
        desc=description,
        unit="o",
        unit_scale=True,
        file=sys.stderr,
        leave=False,
        dynamic_ncols=True,
        mininterval=0.25,
    ) as bar:
        yield bar.update
