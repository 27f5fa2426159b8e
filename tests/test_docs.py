"""docs/api.md's examples run (doctest), as the README promises."""

from __future__ import annotations

import doctest
import inspect
from pathlib import Path

import maillage

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


def _has_example(obj: object) -> bool:
    text = inspect.getdoc(obj) or ""
    return "Examples\n--------" in text or ">>>" in text


def test_every_public_name_of_the_api_has_an_example() -> None:
    """Every class, function and public method re-exported by ``maillage`` shows an example
    (its own, or a line of its class's example that calls it)."""
    missing = []
    for name in maillage.__all__:
        obj = getattr(maillage, name)
        if not callable(obj):
            continue
        if not _has_example(obj):
            missing.append(name)
        if not inspect.isclass(obj):
            continue
        shown = [
            line
            for line in (inspect.getdoc(obj) or "").splitlines()
            if line.lstrip().startswith((">>>", "..."))
        ]
        for attribute, member in vars(obj).items():
            function = member.fget if isinstance(member, property) else member
            function = getattr(function, "__func__", function)
            if attribute.startswith("_") or not inspect.isfunction(function):
                continue
            if not _has_example(function) and not any(
                f".{attribute}" in line or f"{attribute}(" in line for line in shown
            ):
                missing.append(f"{name}.{attribute}")
    assert not missing, missing
