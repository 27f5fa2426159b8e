"""The Python API: a Study's diagnostic, its tables' schema, the study folder's round trip."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import maillage
from maillage.indicators.diagnostic import Diagnostic
from maillage.outputs.french import notes_text
from maillage.outputs.study import TABLES, read_study, write_study
from maillage.schema import columns


@pytest.fixture(scope="module")
def small() -> tuple[maillage.Study, Diagnostic]:
    study = maillage.Study.builtin(buffer_km=5)
    return study, study.diagnostic()


def test_every_table_has_the_columns_of_the_schema(small) -> None:  # type: ignore[no-untyped-def]
    _, diagnostic = small
    for name in TABLES:
        table = getattr(diagnostic, name)
        assert list(table.columns) == columns(name), name
    # Access is long: every zone, family and season once per threshold.
    access = diagnostic.access
    per_group = access.groupby(["level", "zone", "family", "season"])["threshold_minutes"]
    assert (per_group.apply(list) == [[7.0, 15.0, 20.0, 30.0]] * per_group.ngroups).all()
    assert set(access["season"]) == {"summer", "winter"}


def test_population_beyond_is_the_population_of_communes_beyond(small) -> None:  # type: ignore[no-untyped-def]
    """An independent count from the per-commune times."""
    _, d = small
    times = d.family_times[(d.family_times["season"] == "summer")]
    population = d.communes.set_index("origin_id")["population"]
    access = d.access[(d.access["level"] == "territory") & (d.access["season"] == "summer")]
    for row in access.itertuples():
        part = times[times["family"] == row.family]
        beyond = part["minutes"].isna() | (part["minutes"] > row.threshold_minutes)
        assert row.population_beyond == population[part.loc[beyond, "origin_id"]].sum()


def test_write_then_read_gives_the_same_diagnostic(small, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _, diagnostic = small
    back = read_study(write_study(diagnostic, tmp_path / "etude"))
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(back, name), getattr(diagnostic, name), obj=name)
    pd.testing.assert_frame_equal(back.communes, diagnostic.communes)
    assert back.method is diagnostic.method
    assert back.settings == diagnostic.settings and back.notes == diagnostic.notes
    assert back.bassin_agreement == diagnostic.bassin_agreement
    assert back.territory.codes == diagnostic.territory.codes
    assert (
        back.territory.buffer["commune"].tolist() == diagnostic.territory.buffer["commune"].tolist()
    )
    # The summary of the folder read back is the one written.
    written = json.loads((tmp_path / "etude" / "resume.json").read_text(encoding="utf-8"))
    rewritten = write_study(back, tmp_path / "encore") / "resume.json"
    assert json.loads(rewritten.read_text(encoding="utf-8")) == written
    # A folder written when buffer_method was French ("polygones") reads back in English.
    assert back.territory.buffer_method == diagnostic.territory.buffer_method == "polygons"
    facts = tmp_path / "etude" / "etude.json"
    old = json.loads(facts.read_text(encoding="utf-8"))
    old["territory"]["buffer_method"] = "polygones"
    facts.write_text(json.dumps(old), encoding="utf-8")
    assert read_study(tmp_path / "etude").territory.buffer_method == "polygons"


def test_read_study_of_a_folder_without_etude_json_says_what_to_do(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(maillage.MaillageError, match="maillage diagnostic --sortie"):
        read_study(tmp_path)


def test_notes_are_data_said_in_french(small) -> None:  # type: ignore[no-untyped-def]
    _, diagnostic = small
    codes = [note.code for note in diagnostic.notes]
    assert codes[:3] == ["chef_lieu", "straight_line", "winter"]
    text = notes_text(diagnostic.notes)
    assert text[0].startswith("Origine de chaque commune : son chef-lieu")
    assert "vol d'oiseau" in text[1] and text[2].startswith("Hiver : population de pointe")


def test_models_implement_the_protocol_and_the_pair_switches_them(small) -> None:  # type: ignore[no-untyped-def]
    study, diagnostic = small
    assert isinstance(study.network.summer, maillage.TravelTimeModel)
    faster = study.replace(
        network=maillage.NetworkPair(maillage.StraightLineModel(speed_kph=90.0)),
        settings=maillage.DiagnosticSettings(comparison=False),
    ).diagnostic()
    slow = diagnostic.nearest.set_index(["origin_id", "type", "season"])["minutes"]
    fast = faster.nearest.set_index(["origin_id", "type", "season"])["minutes"]
    # Twice the speed, half the time: the model is the only thing that changed.
    pd.testing.assert_series_equal(fast.sort_index() * 2, slow.sort_index(), rtol=1e-12)


def test_a_road_study_folder_records_its_network(small, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The extract and winter closures written, and the same road model read back (the
    web app's workshop rebuilds it); the built-in study is straight-line, so its diagnostic
    is relabelled road here, with the Malta extract as its network (an edge case)."""
    import dataclasses
    from pathlib import Path

    from maillage.network.model import Method, NetworkPair, RoadModel
    from maillage.outputs.study import read_network

    _, diagnostic = small
    assert read_network(write_study(diagnostic, tmp_path / "ligne")).method is Method.STRAIGHT_LINE
    malta = Path(__file__).parent / "data" / "osm" / "malta-2018-08-29.osm.pbf"
    network = NetworkPair.from_pbf(malta, winter_closures=["Triq il-Kbira"])
    road = dataclasses.replace(diagnostic, method=Method.ROAD)
    folder = write_study(road, tmp_path / "route", network=network)
    facts = json.loads((folder / "etude.json").read_text(encoding="utf-8"))
    assert facts["network"] == {
        "extract": str(malta.resolve()),
        "winter_closures": ["Triq il-Kbira"],
    }
    back = read_network(folder)
    assert isinstance(back.summer, RoadModel) and isinstance(back.winter, RoadModel)
    assert back.summer.graph.n_edges == network.summer.graph.n_edges  # type: ignore[attr-defined]
    assert back.winter.graph.n_edges == network.winter.graph.n_edges  # type: ignore[attr-defined]
    assert back.source == network.source
    # A road study written without its network says how to get one.
    (folder / "etude.json").write_text(json.dumps({**facts, "network": None}), encoding="utf-8")
    with pytest.raises(maillage.MaillageError, match=r"--reseau EXTRAIT\.osm\.pbf"):
        read_network(folder)


def test_a_folder_without_the_official_tables_still_reads(small, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Written before the official indicators were stored: read, those tables empty."""
    _, diagnostic = small
    assert len(diagnostic.official) == len(diagnostic.communes)
    assert set(diagnostic.official_zones["level"]) == {"territory", "epci"}
    folder = write_study(diagnostic, tmp_path / "ancienne")
    (folder / "official.parquet").unlink()
    (folder / "official_zones.parquet").unlink()
    back = read_study(folder)
    assert back.official.empty and back.official_zones.empty
    pd.testing.assert_frame_equal(back.enjeux, diagnostic.enjeux)


def test_a_study_without_any_service_says_so_in_french(small) -> None:  # type: ignore[no-untyped-def]
    """Invented edge case: every service removed (a scenario closing them all, a bare
    typology); a French message with its fix, not a pandas error."""
    study, _ = small
    bare = study.replace(services=study.services.iloc[0:0])
    with pytest.raises(maillage.MaillageError, match=r"aucun service localisé.*Correction"):
        bare.diagnostic()


def test_a_scenario_opens_a_service_in_a_study_without_services(small) -> None:  # type: ignore[no-untyped-def]
    """Invented edge case: opening the first service of an empty table places it at the
    commune's town hall of the shipped Annuaire (the independent reference)."""
    from maillage.planning.scenario import NewService, Scenario, apply_scenario
    from maillage.services.catalogue import builtin_services

    study, _ = small
    opened = Scenario(name="Bessans", open=(NewService("A128", "73040", "FS Bessans"),))
    services, changes = apply_scenario(opened, study.services.iloc[0:0], study.territory)
    assert services[["type", "commune", "name"]].to_dict("records") == [
        {"type": "A128", "commune": "73040", "name": "FS Bessans"}
    ]
    halls = builtin_services("mairies")
    hall = halls[halls["commune"] == "73040"].iloc[0]
    assert services.geometry.iloc[0].equals_exact(hall.geometry, 1e-9)
    assert list(services.columns) == list(study.services.columns)
    assert changes["action"].tolist() == ["open"]
