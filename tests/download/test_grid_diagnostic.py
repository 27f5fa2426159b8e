"""A grid-level diagnostic gives the commune-level population totals (Filosofi cells)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from maillage.indicators.diagnostic import run_diagnostic
from maillage.outputs.french import notes_text
from maillage.services.catalogue import territory_services
from maillage.sources.filosofi import read_filosofi
from maillage.territory.builtin import pays_de_maurienne

from .conftest import OfficialFiles


def test_grid_and_commune_levels_have_the_same_population(
    official_files: OfficialFiles, tmp_path: Path
) -> None:
    territory = pays_de_maurienne(buffer_km=5)
    services = territory_services(territory)
    grid = read_filosofi(official_files.grid_zip, communes=territory.codes)
    assert grid.rejected.empty and grid.cells["commune"].nunique() == 53
    by_commune = run_diagnostic(territory, services)
    by_cell = run_diagnostic(territory, services, origins=grid.cells)

    key = ["level", "zone", "family", "season", "threshold_minutes"]
    communes = by_commune.access.set_index(key)["population"]
    cells = by_cell.access.set_index(key)["population"]
    pd.testing.assert_series_equal(cells.sort_index(), communes.sort_index(), rtol=1e-9)
    whole = by_cell.access[(by_cell.access["level"] == "territory")]
    assert set(whole.loc[whole["season"] == "summer", "population"].round()) == {42946}
    # Commune-level tables stay per commune; the cells are kept beside them.
    assert set(by_cell.family_times["origin_id"]) == set(territory.codes)
    assert by_cell.cells is not None and len(by_cell.cells) == 159
    assert by_cell.cells["population"].sum() == by_commune.communes["population"].sum()
    assert by_commune.cells is None
    # Where people live changes the share beyond a threshold, not the totals.
    assert any("carreau de 200 m" in note for note in notes_text(by_cell.notes))
