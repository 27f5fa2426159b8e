"""The command line: `maillage territoire` and `maillage verifier`, as a user runs them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from maillage.cli.main import cli


def test_territoire_json_on_the_builtin_maurienne(raw_communes) -> None:
    result = CliRunner().invoke(cli, ["territoire", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert {"communes", "epci", "population", "services_par_famille", "services_par_source"} <= set(
        summary
    )
    assert summary["territoire"] == "Pays de Maurienne"
    assert len(summary["epci"]) == 5 and len(summary["communes"]) == 53
    assert summary["population"] == sum(c["population"] for c in summary["communes"])
    assert summary["services_par_source"] == {
        "comptages_bpe": 66,  # post offices 32, pharmacies 20, elderly 8 + 4 + 2
        "comptages_caf_places": 46,  # childminders in 30 communes, crèches in 16
        "comptages_ecoles": 32,  # 27 primary schools, 5 collèges
        "france_services": 5,
        "hopitaux": 7,
        "mairies": 53,
    }
    assert summary["services_par_famille"]["soins"] == 27  # 7 hospitals, 20 pharmacies


def test_territoire_text_is_french() -> None:
    result = CliRunner().invoke(cli, ["territoire", "--epci", "200070340", "--tampon-km", "0"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "Communauté de communes Haute Maurienne Vanoise : 10 communes, 1 EPCI"
    )
    assert "Services par famille" in result.output


def test_territoire_unknown_code_fails_with_a_message() -> None:
    result = CliRunner().invoke(cli, ["territoire", "--communes", "73999"])
    assert result.exit_code == 2
    assert "Erreur : code(s) inconnu(s) : commune 73999" in result.output


def test_verifier_json_lists_rejected_lines(tmp_path, raw_france_services) -> None:
    header = ",".join(f'"{k}"' for k in raw_france_services[0])
    good = ",".join(f'"{v}"' for v in raw_france_services[0].values())
    bad = dict(raw_france_services[1], insee_com="73999")
    path = tmp_path / "fs.csv"
    path.write_text(
        "\n".join([header, good, ",".join(f'"{v}"' for v in bad.values())]) + "\n", encoding="utf-8"
    )
    result = CliRunner().invoke(
        cli, ["verifier", str(path), "--format", "france-services", "--json"]
    )
    assert result.exit_code == 1, result.output
    summary = json.loads(result.output)
    assert (summary["lues"], summary["acceptees"]) == (2, 1)
    assert summary["rejetees"][0]["ligne"] == 3
    assert "code commune inconnu" in summary["rejetees"][0]["raison"]


def test_territoire_with_a_bpe_file_and_a_user_typology(tmp_path, maurienne) -> None:
    """The invented BPE extract adds services; a user typology moves pharmacies out of care."""
    from maillage.services.typology import DEFAULT_TYPOLOGY
    from maillage.sources.bpe import read_bpe

    bpe = "tests/data/bpe/bpe-maurienne-extrait.csv"
    accepted = read_bpe(bpe).services
    accepted = accepted[accepted["commune"].isin(maurienne.codes)]
    pharmacies = int((accepted["type"] == "D307").sum())
    assert pharmacies > 0
    text = DEFAULT_TYPOLOGY.read_text(encoding="utf-8")
    block = 'code = "D307"\nlibelle = "PHARMACIE"\nfamille = "soins"\n'
    assert block in text
    custom = tmp_path / "typologie.toml"
    custom.write_text(
        text.replace(block, 'code = "D307"\nlibelle = "PHARMACIE"\n'), encoding="utf-8"
    )
    runs = {}
    for name, extra in (("defaut", []), ("perso", ["--typologie", str(custom)])):
        result = CliRunner().invoke(cli, ["territoire", "--sources", bpe, "--json", *extra])
        assert result.exit_code == 0, result.output
        assert "14 ligne(s) lue(s), 7 acceptée(s), 7 rejetée(s)" in result.stderr
        runs[name] = json.loads(result.stdout)  # stderr says what the file gave
    assert runs["defaut"]["services_par_source"]["bpe"] == len(accepted)
    default = runs["defaut"]["services_par_famille"]
    custom_counts = runs["perso"]["services_par_famille"]
    assert default["soins"] - custom_counts["soins"] == pharmacies
    assert custom_counts["hors_famille"] - default["hors_famille"] == pharmacies
    assert runs["defaut"]["fichiers"][0]["rejetees"] == 7


def test_diagnostic_on_the_builtin_maurienne_writes_the_study(tmp_path, maurienne) -> None:
    import pyogrio

    result = CliRunner().invoke(cli, ["diagnostic", "--sortie", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    # The command adds what the study counts (its services) and the official APL.
    printed_only = {"ce_qui_est_compte", "indicateurs_officiels"}
    assert printed_only <= set(summary)
    written = json.loads((tmp_path / "resume.json").read_text(encoding="utf-8"))
    assert {k: v for k, v in summary.items() if k not in printed_only} == written
    assert summary["methode"] == "vol d'oiseau"
    assert 0 < summary["accord_bassins_de_vie"] <= 1  # compared with INSEE's BV2022
    assert any("vol d'oiseau" in note for note in summary["notes"])
    care = summary["familles"]["soins"]
    assert set(care["population_au_dela"]) == {"7", "15", "20", "30"}
    assert care["population_au_dela"]["30"] <= care["population_au_dela"]["7"] <= 42_946
    layers = [layer for layer, _ in pyogrio.list_layers(tmp_path / "diagnostic.gpkg")]
    assert layers[0] == "communes"
    communes = pyogrio.read_dataframe(tmp_path / "diagnostic.gpkg", layer="communes")
    assert sorted(communes["code_commune"]) == sorted(maurienne.codes)
    assert communes.crs.to_epsg() == 2154
    # On equal terms (built-in sources, straight line), the comparison's territory row
    # equals the diagnostic: the 30 km ring holds every nearest service.
    assert (
        summary["comparaison"]["soins"]["territoire"]["mediane_minutes"] == care["mediane_minutes"]
    )
    assert set(summary["comparaison"]["soins"]) == {"france", "departement:73", "territoire"}
    assert care["hiver"]["population_au_dela"]["30"] >= care["population_au_dela"]["30"]
    supply_demand = pd.read_parquet(tmp_path / "e2sfca.parquet")
    assert len(supply_demand) == 53 * supply_demand["family"].nunique()
    assert (supply_demand["accessibility_per_10000"] >= 0).all()
    # The summary's figure is the population of the communes beyond 30 minutes.
    beyond = communes.loc[communes["temps_soins_ete_min"] > 30, "population"].sum()
    assert care["population_au_dela"]["30"] == beyond


def test_diagnostic_with_a_road_network_reports_unreachable_points(tmp_path) -> None:
    """Real Monaco extract, with the French communes around it."""
    result = CliRunner().invoke(
        cli,
        [
            "diagnostic",
            "--communes",
            "06104,06150,06012,06032",
            "--tampon-km",
            "3",
            "--reseau",
            "tests/data/osm/monaco-2019-09-30.osm.pbf",
            "--forcer",  # the extract misses 06104: refused without it (test_mauvais)
            "--sortie",
            str(tmp_path),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "75,0 % des communes du territoire (3/4" in result.stderr
    assert "calcul forcé par --forcer" in result.stderr
    summary = json.loads(result.stdout)
    assert summary["methode"] == "réseau routier"
    # the first reading of the extract says how long it takes (stderr, not the JSON)
    assert "Lecture du réseau monaco-2019-09-30.osm.pbf" in result.stderr
    assert any("06104" in note and "2\u202f000 m" in note for note in summary["notes"])
    # The study folder says its extract, so the web app's workshop rebuilds the same graph.
    facts = json.loads((tmp_path / "etude.json").read_text(encoding="utf-8"))
    extract = Path("tests/data/osm/monaco-2019-09-30.osm.pbf").resolve()
    assert facts["network"] == {"extract": str(extract), "winter_closures": []}


def test_diagnostic_thresholds_are_configurable(tmp_path) -> None:
    result = CliRunner().invoke(
        cli, ["diagnostic", "--seuils", "45,10", "--sortie", str(tmp_path), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["seuils_minutes"] == [10.0, 45.0]
    care = summary["familles"]["soins"]["population_au_dela"]
    assert set(care) == {"10", "45"} and care["45"] <= care["10"]
    epci = summary["enjeux_epci"]
    assert sorted(row["rang"] for row in epci)[0] == 1 and len(epci) == 5
    bad = CliRunner().invoke(cli, ["diagnostic", "--seuils", "dix", "--sortie", str(tmp_path)])
    assert bad.exit_code == 2 and "--seuils" in bad.output


def test_diagnostic_exports_for_gis_and_elus(tmp_path) -> None:
    """GeoPackage layers open with GDAL, the workbook with openpyxl, figures agree."""
    import openpyxl
    import pyogrio

    result = CliRunner().invoke(cli, ["diagnostic", "--sortie", str(tmp_path)])
    assert result.exit_code == 0, result.output
    # French figures in the printed summary: "98 %", "4,2" (no "98%", no "4.2").
    assert not re.search(r"\d%|\d\.\d", result.output), result.output
    assert "\u202f% de la population dans le même bassin" in result.output
    layers = [name for name, _ in pyogrio.list_layers(tmp_path / "diagnostic.gpkg")]
    assert {"communes", "services", "acces_par_zone", "enjeux", "offre_demande_e2sfca"} <= set(
        layers
    )
    communes = pyogrio.read_dataframe(tmp_path / "diagnostic.gpkg", layer="communes")
    book = openpyxl.load_workbook(tmp_path / "diagnostic.xlsx")
    assert book.sheetnames == [
        "Territoire",
        "Services publics et emploi",
        "Accès aux soins",
        "Services à domicile",
        "Jeunesse et parents",
        "Petite enfance et famille",
        "Intercommunalités",
        "Bassins de services",
        "Territoires à enjeux",
        "Comparaison",
        "Dictionnaire des données",
    ]
    rows = list(book["Accès aux soins"].iter_rows(values_only=True))
    assert rows[0][:2] == ("Code commune", "Commune")
    sheet = {row[0]: row[5] for row in rows[1:]}
    expected = communes.set_index("code_commune")["temps_soins_ete_min"]
    assert set(sheet) == set(expected.index)
    for code, minutes in sheet.items():
        assert minutes == pytest.approx(expected[code], rel=1e-12)  # Excel keeps 15 digits
    csv = pd.read_csv(
        tmp_path / "csv" / "enjeux.csv",
        sep=";",
        decimal=",",
        encoding="utf-8-sig",
        dtype={"code_commune": str},
    )
    assert csv["code_commune"].tolist() == [
        r[1] for r in book["Territoires à enjeux"].iter_rows(min_row=2, values_only=True)
    ]
