"""docs/api.md's examples run (doctest), as the README promises."""

from __future__ import annotations

import doctest
from pathlib import Path

DOCS = Path(__file__).parents[1] / "docs"


def test_api_examples_run() -> None:
    result = doctest.testfile(
        str(DOCS / "api.md"),
        module_relative=False,
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
        raise_on_error=False,
        verbose=False,
    )
    assert result.attempted >= 10
    assert result.failed == 0
