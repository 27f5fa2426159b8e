"""Figures unchanged: the API's tables equal the reference tables of tests/data/reference/.

The references were written by ``maillage diagnostic`` before the "one study, one API"
redesign (built-in territory by straight line, ``--departements 05``, ``--france``); the
tables are compared in canonical form (long, English: ``regenerate.canonical``) to 1e-9.
After a change that alters the figures on purpose, regenerate them with
``flock /tmp/heavy.lock python tests/data/reference/regenerate.py`` (see its docstring).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from maillage.indicators.diagnostic import Diagnostic
from maillage.outputs.study import diagnostic_summary
from maillage.study import Study
from maillage.territory.spec import TerritorySpec

REFERENCE = Path(__file__).parent / "data" / "reference"
_spec = importlib.util.spec_from_file_location("regenerate", REFERENCE / "regenerate.py")
assert _spec is not None and _spec.loader is not None
regenerate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regenerate)


def _sorted(table: pd.DataFrame) -> pd.DataFrame:
    table = table[sorted(table.columns)]
    keys = [c for c in table.columns if not pd.api.types.is_float_dtype(table[c])]
    order = table[keys].astype(str).sort_values(keys, kind="stable").index
    return table.loc[order].reset_index(drop=True)


def assert_same_table(got: pd.DataFrame, expected: pd.DataFrame, name: str) -> None:
    """Same columns, rows and values; floats to 1e-9 (NaN equal to NaN)."""
    got, expected = _sorted(regenerate.canonical(got)), _sorted(expected)
    assert list(got.columns) == list(expected.columns), name
    assert len(got) == len(expected), name
    for column in expected.columns:
        a, b = got[column], expected[column]
        if pd.api.types.is_numeric_dtype(b) and pd.api.types.is_numeric_dtype(a):
            x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
            same = np.isclose(x, y, rtol=0.0, atol=1e-9) | (np.isnan(x) & np.isnan(y))
            assert same.all(), f"{name}.{column}: {(~same).sum()} value(s) differ"
        else:
            assert (
                a.astype(object).where(a.notna(), None).tolist()
                == b.astype(object).where(b.notna(), None).tolist()
            ), f"{name}.{column}"


def check_case(case: str, diagnostic: Diagnostic) -> None:
    for name in regenerate.TABLES[case]:
        expected = pd.read_parquet(REFERENCE / case / f"{name}.parquet")
        assert_same_table(getattr(diagnostic, name), expected, f"{case}/{name}")
    summary = diagnostic_summary(diagnostic)
    reference = json.loads((REFERENCE / case / "resume.json").read_text(encoding="utf-8"))
    for key in ("territoire", "methode", "population", "communes", "familles", "enjeux"):
        assert summary[key] == reference[key], key


@pytest.mark.parametrize(
    ("case", "spec"),
    [("builtin", TerritorySpec.builtin()), ("05", TerritorySpec(departements=("05",)))],
)
def test_tables_equal_the_references(case: str, spec: TerritorySpec) -> None:
    check_case(case, Study.load(spec).diagnostic())


def test_france_tables_equal_the_references(france_diagnostic: Diagnostic) -> None:
    check_case("france", france_diagnostic)
