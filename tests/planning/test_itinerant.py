"""Itinerant services: TOML stops, ANCT's mobile France Services, hours within reach."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from maillage._errors import InputFileError
from maillage.network.model import StraightLineModel
from maillage.planning.itinerant import (
    itinerant_access,
    itinerant_from_france_services,
    read_itinerant,
)
from maillage.services.catalogue import builtin_services
from maillage.sources.france_services import MOBILE_FORMATS

# The example of exemples/: stops at real town halls of Haute Maurienne, invented hours.
TOML = (Path(__file__).parents[2] / "exemples" / "itinerance-haute-maurienne.toml").read_text(
    encoding="utf-8"
)


def test_mobile_france_services_are_read_as_itinerant(raw_france_services) -> None:  # type: ignore[no-untyped-def]
    stops = itinerant_from_france_services(builtin_services("france_services"))
    raw = {
        "fs:" + row["id_fs"] for row in raw_france_services if row["format_fs"] in MOBILE_FORMATS
    }
    assert set(stops["service_id"]) <= raw
    assert len(stops) >= 0.95 * len(raw) > 100  # a few rows of the list are rejected
    assert (stops["itinerant_id"] == stops["service_id"]).all()


def test_toml_stops_at_town_halls(tmp_path: Path) -> None:
    path = tmp_path / "bus.toml"
    path.write_text(TOML, encoding="utf-8")
    stops = read_itinerant(path)
    assert stops["hours_per_week"].tolist() == [5.0, 2.0]
    halls = builtin_services("mairies").set_index("commune")
    for stop in stops.itertuples():
        hall = halls.loc[stop.commune]
        assert (stop.geometry.x, stop.geometry.y) == (hall["lon"], hall["lat"])


HEAD = '[[itinerant]]\ntype = "A128"\n[[itinerant.arrets]]\n'


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        (
            '[[itinerant]]\nnom = "x"\n[[itinerant.arrets]]\ncommune = "73290"\n',
            "« type » manquant",
            1,
        ),
        (
            '[[itinerant]]\ntype = "A128"\n[[itinerant.arrets]]\nheures_par_semaine = 2\n',
            "ni commune ni lon/lat",
            3,
        ),
        (
            HEAD + 'commune = "73290"\nhoraires = "mardi matin"\n',
            "illisibles",
            5,
        ),
        # a TOML syntax error is said in French, at its line (issue 18)
        ('[[itinerant]\ntype = "A128"\n', "TOML illisible \\(« \\]\\] » attendu", 1),
        (
            HEAD + 'commune = "73999"\nheures_par_semaine = 1\n',
            "sans mairie connue",
            4,
        ),
    ],
)
def test_toml_errors_name_the_line(tmp_path: Path, text: str, message: str, line: int) -> None:
    path = tmp_path / "bus.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError, match=message) as error:
        read_itinerant(path)
    assert error.value.line == line


def test_missing_file_is_said_in_french(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="services itinérants introuvable"):
        read_itinerant(tmp_path / "absent.toml")


def test_hours_within_reach_equal_a_direct_count(tmp_path: Path, maurienne) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bus.toml"
    path.write_text(TOML, encoding="utf-8")
    stops = read_itinerant(path)
    origins = maurienne.communes.rename(columns={"commune": "origin_id"})
    table = itinerant_access(origins, stops, StraightLineModel(), threshold_minutes=20)
    # Direct: Lambert-93 distances × 1.4 at 45 km/h, each stop's hours added when within 20 min.
    a = origins.to_crs(2154).geometry
    b = gpd.GeoSeries(stops.geometry, crs=4326).to_crs(2154)
    minutes = np.array([[p.distance(q) * 1.4 / 45000 * 60 for q in b] for p in a])
    expected = (minutes <= 20) @ stops["hours_per_week"].to_numpy()
    assert table["hours_per_week"].to_numpy() == pytest.approx(expected)
    assert 0 < int((table["hours_per_week"] > 0).sum()) < len(origins)


def test_study_counts_the_hours_of_a_toml_with_its_own_model(tmp_path: Path) -> None:
    from maillage.indicators.diagnostic import territory_origins
    from maillage.schema import columns
    from maillage.study import Study

    path = tmp_path / "bus.toml"
    path.write_text(TOML, encoding="utf-8")
    study = Study.builtin(builtin_sources=["france_services"])
    table = study.itinerant(path)
    origins = territory_origins(study.territory)
    expected = itinerant_access(origins, read_itinerant(path), StraightLineModel())
    assert table.equals(expected)
    assert list(table.columns) == columns("itinerant")
    served = table.set_index("origin_id")["hours_per_week"]
    assert (served["73290"], served["73040"]) == (5.0, 2.0)  # each its own stop
    # The Maurienne has no mobile France Services in ANCT's list: no hours, no error.
    assert study.itinerant().empty
