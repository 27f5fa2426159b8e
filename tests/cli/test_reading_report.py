"""Every command that reads a user's file says what it read, accepted and rejected (issue 18),
and a type without any data is said, not computed "as if none existed"."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from maillage.cli.main import cli

CORPUS = Path(__file__).parents[1] / "data" / "mauvais"
TWO_DEFECTS = str(CORPUS / "deux-defauts.csv")


def test_diagnostic_reports_the_files_it_read(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["diagnostic", "--sources", TWO_DEFECTS, "--sortie", str(tmp_path), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert "4 ligne(s) lue(s), 3 acceptée(s), 1 rejetée(s)" in result.stderr
    assert "Rejet ligne 4 : code commune inconnu" in result.stderr
    assert f"Lignes rejetées des fichiers lus : {tmp_path / 'rejets.csv'}" in result.stderr
    summary = json.loads(result.stdout)
    assert summary["fichiers_lus"] == [
        {"fichier": TWO_DEFECTS, "lues": 4, "acceptees": 3, "rejetees": 1, "avertissements": 0}
    ]
    with (tmp_path / "rejets.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    # The file's 4th line, read with the csv module alone, is the rejected one.
    with open(TWO_DEFECTS, encoding="utf-8") as handle:
        fourth = list(csv.DictReader(handle))[2]
    assert [(r["fichier"], r["ligne"]) for r in rows] == [(TWO_DEFECTS, "4")]
    assert fourth["insee_com"] in rows[0]["valeur"]
    assert "code commune inconnu" in rows[0]["raison"] and "en mètres" in rows[0]["raison"]


def test_diagnostic_lists_the_types_without_any_data(tmp_path: Path) -> None:
    import pandas as pd

    from maillage.services.typology import load_typology

    result = CliRunner().invoke(cli, ["diagnostic", "--sortie", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    missing = json.loads(result.stdout)["types_sans_donnees"]
    assert (tmp_path / "rejets.csv").read_text(encoding="utf-8").startswith("fichier;ligne")
    services = pd.read_parquet(tmp_path / "services.parquet")  # the study's own table
    present = set(services["type"])
    types = load_typology().types
    in_families = types[types["family"].notna()]
    expected = {
        family: sorted(set(group["type"]) - present)
        for family, group in in_families.groupby("family")
        if set(group["type"]) - present
    }
    assert {k: sorted(v) for k, v in missing.items()} == expected
    assert "D265" in missing["soins"]  # no BPE offline: no general practitioner at all


def test_implanter_says_the_type_has_no_data() -> None:
    result = CliRunner().invoke(
        cli, ["implanter", "D265", "--dans", "15", "--sites", "1", "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["types_sans_donnees"] == ["D265"] and summary["sites_existants"] == 0
    assert summary["notes"][0].startswith("Aucune donnée pour le type D265 (MÉDECIN")
    assert summary["population_couverte_avant"] == 0
    text = CliRunner().invoke(cli, ["implanter", "D265", "--dans", "15", "--sites", "1"])
    lines = text.output.splitlines()
    assert lines[1].startswith("Note : Aucune donnée pour le type D265")  # said first
    assert sum("Aucune donnée pour le type D265" in line for line in lines) == 1


def test_scenario_reports_files_and_opened_types_without_data(tmp_path: Path) -> None:
    plan = tmp_path / "scenario.toml"
    plan.write_text(
        'nom = "médecin à Val-Cenis"\n[[ouvrir]]\ntype = "D265"\ncommune = "73290"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        cli,
        [
            "scenario",
            str(plan),
            "--sources",
            TWO_DEFECTS,
            "--sortie",
            str(tmp_path / "sortie"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["types_sans_donnees"] == ["D265"]
    assert any(note.startswith("Aucune donnée pour le type D265") for note in summary["notes"])
    assert summary["fichiers_lus"][0]["rejetees"] == 1
    assert "1 rejetée(s)" in result.stderr
    rejects = Path(summary["rejets"]).read_text(encoding="utf-8").splitlines()
    assert len(rejects) == 2 and rejects[1].startswith(f"{TWO_DEFECTS};4;")
