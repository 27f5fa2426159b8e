"""The five families on real official data, as `maillage territoire/diagnostic --json` say them.

Counts are checked against the raw per-commune files read with pyarrow alone.
"""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from maillage._data import data_path
from maillage.cli.main import cli
from maillage.services.typology import FAMILIES, load_typology
from maillage.sources.indicateurs import COMMUNE_FILES


def _raw(name: str) -> dict[str, dict[str, object]]:
    path = data_path("indicateurs-communaux", COMMUNE_FILES[name].filename)
    return {str(r["id"]).zfill(5): r for r in pq.read_table(path).to_pylist() if r["id"]}


@pytest.fixture(scope="module")
def diagnostic(tmp_path_factory: pytest.TempPathFactory) -> dict:  # type: ignore[type-arg]
    folder = tmp_path_factory.mktemp("etude")
    result = CliRunner().invoke(cli, ["diagnostic", "--json", "--sortie", str(folder)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_the_five_families_have_data(diagnostic) -> None:  # type: ignore[no-untyped-def]
    assert list(diagnostic["familles"]) == FAMILIES
    counted = diagnostic["ce_qui_est_compte"]
    for family in FAMILIES:
        assert counted[family], family
        assert diagnostic["familles"][family]["mediane_minutes"] is not None
    assert all(entry["source"] and entry["forme"] for e in counted.values() for entry in e)


def test_each_count_based_type_equals_the_source_files_sum(diagnostic) -> None:  # type: ignore[no-untyped-def]
    communes = [c["code"] for c in territory_json()["communes"]]
    assert len(communes) == 53
    counted = {
        entry["type"]: entry["services"]
        for entries in diagnostic["ce_qui_est_compte"].values()
        for entry in entries
        if entry["forme"] == "comptages communaux"
    }
    for rule in load_typology().counts:
        raw = _raw(rule.file)
        if rule.count:
            expected = sum(round(sum(float(raw[c][k]) for k in rule.count)) for c in communes)
        else:
            expected = sum(1 for c in communes if sum(float(raw[c][k]) for k in rule.places) > 0)
        assert counted.get(rule.type, 0) == expected, rule.type
    pharmacies = sum(int(float(_raw("bpe")[c]["pharma"])) for c in communes)
    assert counted["D307"] == pharmacies == 20


def test_apl_per_epci_is_drees_weighted_by_its_population(diagnostic) -> None:  # type: ignore[no-untyped-def]
    raw = _raw("apl")
    members: dict[str, list[str]] = {}
    for commune in territory_json()["communes"]:
        members.setdefault(commune["epci"], []).append(commune["code"])
    for epci in diagnostic["indicateurs_officiels"]["epci"]:
        rows = [raw[c] for c in members[epci["code"]]]
        weight = sum(float(r["pop_apl"]) for r in rows)  # type: ignore[arg-type]
        expected = sum(float(r["apl_gen"]) * float(r["pop_apl"]) for r in rows) / weight  # type: ignore[arg-type]
        assert epci["apl_generalistes"] == round(expected, 2)


_TERRITORY: dict = {}  # type: ignore[type-arg]


def territory_json() -> dict:  # type: ignore[type-arg]
    if not _TERRITORY:
        result = CliRunner().invoke(cli, ["territoire", "--json"])
        assert result.exit_code == 0, result.output
        _TERRITORY.update(json.loads(result.stdout))
    return _TERRITORY


def test_territoire_prints_what_each_family_counts() -> None:
    result = CliRunner().invoke(cli, ["territoire"])
    assert result.exit_code == 0, result.output
    assert "Ce qui est compté, par famille (territoire)" in result.output
    assert "comptages communaux  INSEE, BPE 2024 (comptages par commune)" in result.output
    summary = territory_json()["ce_qui_est_compte"]
    assert {e["type"] for e in summary["soins"]} >= {"D101", "D307"}
