"""`maillage implanter` and `maillage scenario` on the built-in Maurienne, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from maillage.cli.main import cli

EXAMPLE = Path(__file__).parents[2] / "exemples" / "scenario-maurienne.toml"


def test_implanter_france_services_json() -> None:
    result = CliRunner().invoke(
        cli, ["implanter", "france-services", "--dans", "20", "--sites", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert len(summary["sites_choisis"]) == 2
    for site in summary["sites_choisis"]:
        assert {"id", "nom", "commune", "lon", "lat"} <= set(site)
        assert site["id"].startswith("mairie:")  # candidates: the territory's town halls
    before, after = summary["population_couverte_avant"], summary["population_couverte_apres"]
    assert 0 < before < after <= summary["population"] == 42946
    assert summary["population_nouvellement_couverte"] == after - before
    assert sum(s["population_nouvellement_couverte"] for s in summary["sites_choisis"]) == (
        after - before
    )
    assert summary["temps_trajet"] == "vol d'oiseau"
    assert summary["methode"]["temps_trajet"] == "vol d'oiseau"
    assert summary["methode"]["solveur"] == "HiGHS"
    assert summary["ecart_optimalite"] == 0.0
    assert summary["sites_existants"] == 38  # 5 in the territory, 33 in its ring


def test_implanter_greedy_text_is_french() -> None:
    result = CliRunner().invoke(
        cli,
        ["implanter", "france-services", "--dans", "20", "--sites", "2", "--heuristique"],
    )
    assert result.exit_code == 0, result.output
    assert "heuristique gloutonne" in result.output
    assert "Temps de trajet : vol d'oiseau." in result.output
    assert "borne LP par HiGHS" in result.output and "écart garanti ≤ 25,0 %" in result.output


def test_implanter_unknown_type_fails_with_a_message() -> None:
    result = CliRunner().invoke(
        cli, ["implanter", "boulangerie-xyz", "--dans", "20", "--sites", "1"]
    )
    assert result.exit_code == 2
    assert "Erreur : type de service « boulangerie-xyz » inconnu" in result.output


def test_scenario_json_and_output_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "scenario"
    result = CliRunner().invoke(cli, ["scenario", str(EXAMPLE), "--json", "--sortie", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["temps_trajet"] == "vol d'oiseau"
    assert {c["action"] for c in summary["changements"]} == {"fermeture", "fusion", "ouverture"}
    lost = [a for a in summary["acces"] if a["cle"] == "A128" and a["saison"] == "ete"]
    assert lost and all(
        a["population_apres"] - a["population_avant"]
        == a["population_gagnant_acces"] - a["population_perdant_acces"]
        for a in lost
    )
    assert any("Col du Galibier" in note for note in summary["notes"])
    names = {p.name for p in out.iterdir()}
    assert {
        "scenario_acces.parquet",
        "scenario_acces.csv",
        "scenario_communes.parquet",
        "scenario.gpkg",
    } <= names
