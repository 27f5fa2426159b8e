"""`maillage telecharger` against a loopback server serving official-format files.

Every failure must end with a French message giving the way forward, and a cache that
holds only verified files (no ``.part`` promoted, no half-written file at a final name).
"""

from __future__ import annotations

import json
import shutil
import socket
from collections import namedtuple
from pathlib import Path

import pytest
from click.testing import CliRunner

from maillage.cli.main import cli
from maillage.download import fetch

from .conftest import OfficialFiles, Route, Server, catalogue_for, serve_all

BPE_FINAL = Path("bpe/2025/BPE25.zip")
GRID_FINAL = Path("filosofi/2019/Filosofi2019_carreaux_200m_gpkg.zip")
PBF_FINAL = Path("osm/latest/rhone-alpes-latest.osm.pbf")


def run(*args: str | Path) -> object:
    return CliRunner().invoke(cli, ["telecharger", *map(str, args)])


def cache_files(cache: Path) -> list[str]:
    """Every file of the cache, relative, sorted (manifests included)."""
    return sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*") if p.is_file())


def test_whole_command_fills_the_cache_then_reuses_it(
    server: Server, official_files: OfficialFiles, tmp_path: Path
) -> None:
    serve_all(server, official_files)
    catalogue = catalogue_for(server.url(""), tmp_path)
    cache = tmp_path / "cache"
    result = run("--territoire", "maurienne", "--cache", cache, "--catalogue", catalogue, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["departements"] == ["05", "38", "73", "74"]
    assert [(f["jeu"], f["region"], f["etat"]) for f in summary["fichiers"]] == [
        ("bpe", None, "telecharge"),
        ("osm", "provence-alpes-cote-d-azur", "telecharge"),
        ("osm", "rhone-alpes", "telecharge"),
        ("filosofi", None, "telecharge"),
    ]
    assert (cache / BPE_FINAL).read_bytes() == official_files.bpe_zip.read_bytes()
    assert (cache / PBF_FINAL).read_bytes() == official_files.pbf["rhone-alpes"].read_bytes()
    assert (cache / GRID_FINAL).read_bytes() == official_files.grid_zip.read_bytes()
    assert not [name for name in cache_files(cache) if name.endswith(".part")]
    manifest = json.loads((cache / "bpe/2025/BPE25.zip.json").read_text(encoding="utf-8"))
    assert manifest["licence"] == "Licence Ouverte 2.0 (Etalab)"
    assert manifest["millesime"] == "2025" and manifest["url"].endswith("/insee/BPE25.zip")
    # Geofabrik's .md5 was fetched beside each PBF.
    assert ("/geofabrik/rhone-alpes-latest.osm.pbf.md5", None) in server.hits

    server.hits.clear()
    again = run("--territoire", "maurienne", "--cache", cache, "--catalogue", catalogue)
    assert again.exit_code == 0, again.output
    assert again.output.count("déjà en cache") == 4 and server.hits == []


def test_a_study_then_uses_the_cached_files(
    server: Server, official_files: OfficialFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from maillage.cli.options import cached_inputs
    from maillage.territory.builtin import pays_de_maurienne

    serve_all(server, official_files)
    cache = tmp_path / "cache"
    catalogue = catalogue_for(server.url(""), tmp_path)
    assert run("--cache", cache, "--catalogue", catalogue).exit_code == 0
    monkeypatch.setenv("MAILLAGE_CACHE", str(cache))
    used = cached_inputs(pays_de_maurienne(), niveau="carreau", reseau=None, user_sources=())
    # The PBF of the territory's own region comes first: it becomes --reseau.
    assert used.reseau == cache / PBF_FINAL
    assert [p.name for p in used.sources] == ["BPE25-05-38-73-74.csv"]
    assert used.sources[0].read_text(encoding="latin-1").count("\n") == 61  # header + 60 in 73
    assert used.origins["commune"].nunique() == 53
    assert "Données du cache utilisées" in used.lines[0]
    # --reseau given: the cached PBF is not used.
    assert (
        cached_inputs(
            pays_de_maurienne(), niveau="commune", reseau=Path("x.pbf"), user_sources=()
        ).reseau
        is None
    )


def test_diagnostic_picks_up_the_cache_without_options(
    server: Server, official_files: OfficialFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_all(server, official_files)
    cache = tmp_path / "cache"
    catalogue = catalogue_for(server.url(""), tmp_path)
    got = run("--cache", cache, "--catalogue", catalogue, "--jeux", "bpe,filosofi")
    assert got.exit_code == 0, got.output
    monkeypatch.setenv("MAILLAGE_CACHE", str(cache))
    result = CliRunner().invoke(
        cli,
        [
            "diagnostic",
            "--epci",
            "200070340",
            "--niveau",
            "carreau",
            "--tampon-km",
            "0",
            "--sortie",
            str(tmp_path / "etude"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "BPE : " in result.stderr and "BPE25.zip" in result.stderr
    assert "Grille de population : " in result.stderr
    summary = json.loads(result.stdout)
    assert "Diagnostic au carreau de 200 m" in " ".join(summary.get("notes", []))


def test_http_404_names_the_catalogue_entry(
    server: Server, official_files: OfficialFiles, tmp_path: Path
) -> None:
    serve_all(server, official_files)
    del server.routes["/insee/BPE25.zip"]
    cache = tmp_path / "cache"
    result = run("--cache", cache, "--catalogue", catalogue_for(server.url(""), tmp_path))
    assert result.exit_code == 2
    assert "BPE25.zip : introuvable chez INSEE (HTTP 404" in result.output
    assert "l'entrée « bpe » du catalogue est périmée" in result.output
    assert "--catalogue FICHIER" in result.output and "--depuis DOSSIER" in result.output
    assert cache_files(cache) == []


PBF_ROUTE = "/geofabrik/rhone-alpes-latest.osm.pbf"
ONE_REGION = ("--communes", "73248", "--tampon-km", "0", "--jeux", "osm")


def test_a_cut_connection_is_resumed_with_a_range_request(
    server: Server, official_files: OfficialFiles, tmp_path: Path
) -> None:
    """Geofabrik honours Range: the second attempt asks for the rest only."""
    serve_all(server, official_files)
    route = server.routes[PBF_ROUTE]
    route.cut_after, route.cuts = len(route.body) // 3, 1
    cache = tmp_path / "cache"
    catalogue = catalogue_for(server.url(""), tmp_path)
    result = run("--cache", cache, "--catalogue", catalogue, *ONE_REGION, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["fichiers"][0]["etat"] == "reprise"
    assert (PBF_ROUTE, f"bytes={len(route.body) // 3}-") in server.hits
    assert (cache / PBF_FINAL).read_bytes() == route.body


def test_cut_twice_keeps_the_part_file_and_the_next_run_resumes(
    server: Server, official_files: OfficialFiles, tmp_path: Path
) -> None:
    serve_all(server, official_files)
    route = server.routes[PBF_ROUTE]
    route.cut_after, route.cuts = len(route.body) // 4, 2
    cache = tmp_path / "cache"
    catalogue = catalogue_for(server.url(""), tmp_path)
    failed = run("--cache", cache, "--catalogue", catalogue, *ONE_REGION)
    assert failed.exit_code == 2
    assert "connexion coupée" in failed.output and "après 2 tentative(s)" in failed.output
    assert "relancez la même commande pour reprendre" in failed.output
    part = PBF_FINAL.as_posix() + ".part"
    assert cache_files(cache) == [part]
    assert (cache / part).stat().st_size == 2 * (len(route.body) // 4)
    resumed = run("--cache", cache, "--catalogue", catalogue, *ONE_REGION)
    assert resumed.exit_code == 0, resumed.output
    assert "téléchargé (reprise)" in resumed.output
    assert (cache / PBF_FINAL).read_bytes() == route.body
    assert cache_files(cache) == [PBF_FINAL.as_posix(), PBF_FINAL.as_posix() + ".json"]


def test_insee_without_length_nor_range_restarts_a_cut_file(
    server: Server, official_files: OfficialFiles, tmp_path: Path
) -> None:
    """INSEE sends no Content-Length and ignores Range: a cut file is caught by its ZIP
    check, deleted, and downloaded again whole; no size or checksum is pinned."""
    serve_all(server, official_files)
    route = server.routes["/insee/BPE25.zip"]
    assert route.no_length and route.no_range
    route.cut_after, route.cuts = len(route.body) // 3, 1
    cache = tmp_path / "cache"
    catalogue = catalogue_for(server.url(""), tmp_path)
    result = run("--cache", cache, "--catalogue", catalogue, "--jeux", "bpe", "--json")
    assert result.exit_code == 0, result.output
    assert (cache / BPE_FINAL).read_bytes() == route.body
    assert [hit[0] for hit in server.hits].count("/insee/BPE25.zip") == 2
    from maillage.download.catalogue import load_catalogue

    shipped = load_catalogue()
    for key in ("bpe", "filosofi"):
        entry = shipped.entries[key]
        assert entry.publisher == "INSEE" and entry.size is None and entry.sha256 is None


def test_a_wrong_checksum_is_retried_then_the_file_deleted(
    server: Server, official_files: OfficialFiles, tmp_path: Path
) -> None:
    serve_all(server, official_files)
    cache = tmp_path / "cache"
    catalogue = catalogue_for(server.url(""), tmp_path, extra=f'sha256 = "{"0" * 64}"')
    result = run("--cache", cache, "--catalogue", catalogue, "--jeux", "bpe")
    assert result.exit_code == 2
    assert "somme de contrôle SHA256 incorrecte" in result.output
    assert "le fichier reçu a été supprimé après 2 tentative(s)" in result.output
    assert [hit for hit in server.hits if hit[0] == "/insee/BPE25.zip"] == [
        ("/insee/BPE25.zip", None),
        ("/insee/BPE25.zip", None),
    ]
    assert cache_files(cache) == []


def test_a_wrong_geofabrik_md5_rejects_the_pbf(
    server: Server, official_files: OfficialFiles, tmp_path: Path
) -> None:
    serve_all(server, official_files)
    server.routes["/geofabrik/rhone-alpes-latest.osm.pbf.md5"] = Route(
        b"0123456789abcdef0123456789abcdef  rhone-alpes-latest.osm.pbf\n"
    )
    cache = tmp_path / "cache"
    catalogue = catalogue_for(server.url(""), tmp_path)
    result = run(
        "--communes",
        "73248",
        "--tampon-km",
        "0",
        "--cache",
        cache,
        "--catalogue",
        catalogue,
        "--jeux",
        "osm",
    )
    assert result.exit_code == 2
    assert "rhone-alpes-latest.osm.pbf : somme de contrôle MD5 incorrecte" in result.output
    assert cache_files(cache) == []


def test_slow_responses_past_the_timeout(
    server: Server, official_files: OfficialFiles, tmp_path: Path
) -> None:
    serve_all(server, official_files)
    server.routes["/insee/BPE25.zip"].delay_s = 1.0
    cache = tmp_path / "cache"
    catalogue = catalogue_for(server.url(""), tmp_path)
    result = run("--cache", cache, "--catalogue", catalogue, "--jeux", "bpe", "--delai", "0.3")
    assert result.exit_code == 2
    assert "le serveur ne répond pas dans le délai de 0.3 s après 2 tentative(s)" in result.output
    assert "--depuis DOSSIER" in result.output
    assert cache_files(cache) == []


def test_no_network_offers_to_import_from_a_folder(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cache = tmp_path / "cache"
    catalogue = catalogue_for(f"http://127.0.0.1:{port}", tmp_path)
    result = run("--cache", cache, "--catalogue", catalogue, "--jeux", "bpe")
    assert result.exit_code == 2
    assert "BPE25.zip : réseau injoignable" in result.output
    assert "https_proxy" in result.output
    assert "importez-le avec « maillage telecharger --depuis DOSSIER »" in result.output
    assert cache_files(cache) == []


def test_a_changed_format_is_refused(
    server: Server, official_files: OfficialFiles, tmp_path: Path
) -> None:
    serve_all(server, official_files)
    server.routes["/insee/BPE25.zip"] = Route(b"<html><body>Nouvelle page</body></html>")
    cache = tmp_path / "cache"
    catalogue = catalogue_for(server.url(""), tmp_path)
    result = run("--cache", cache, "--catalogue", catalogue, "--jeux", "bpe")
    assert result.exit_code == 2
    assert "format inattendu : ni CSV ou PARQUET ni archive ZIP" in result.output
    assert "l'éditeur a peut-être changé le format" in result.output
    assert cache_files(cache) == []


def test_a_full_disk_is_said_before_downloading(
    server: Server,
    official_files: OfficialFiles,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    serve_all(server, official_files)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(fetch.shutil, "disk_usage", lambda _: usage(10**9, 10**9, 100))
    cache = tmp_path / "cache"
    catalogue = catalogue_for(server.url(""), tmp_path)
    # Geofabrik announces the size (INSEE does not: there, a full disk is caught while writing).
    result = run("--cache", cache, "--catalogue", catalogue, *ONE_REGION)
    assert result.exit_code == 2
    assert "rhone-alpes-latest.osm.pbf : disque plein" in result.output
    assert "--cache DOSSIER" in result.output
    assert cache_files(cache) == []


def test_proxy_settings_are_honoured(
    server: Server, official_files: OfficialFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_all(server, official_files)
    monkeypatch.setenv("http_proxy", server.url(""))
    monkeypatch.setenv("no_proxy", "")
    cache = tmp_path / "cache"
    # A host that does not resolve: only the proxy can answer.
    catalogue = catalogue_for("http://www.insee.invalid", tmp_path)
    result = run("--cache", cache, "--catalogue", catalogue, "--jeux", "bpe")
    assert result.exit_code == 0, result.output
    assert (cache / BPE_FINAL).exists()


def test_depuis_imports_files_fetched_by_hand(
    official_files: OfficialFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "a-la-main"
    folder.mkdir()
    shutil.copy(official_files.bpe_zip, folder)
    shutil.copy(official_files.grid_csv, folder)  # the CSV variant of the grid
    pbf = official_files.pbf["rhone-alpes"]
    shutil.copy(pbf, folder)
    (folder / (pbf.name + ".md5")).write_text("f" * 32 + f"  {pbf.name}\n")
    cache = tmp_path / "cache"
    common = ["--communes", "73248", "--tampon-km", "0", "--cache", cache, "--depuis", folder]
    # The .md5 beside the PBF is checked: a wrong one refuses the file.
    refused = run(*common)
    assert refused.exit_code == 2, refused.output
    assert "somme de contrôle MD5 incorrecte" in refused.output
    assert "n'a pas été importé" in refused.output
    assert cache_files(cache) == ["bpe/2025/BPE25.zip", "bpe/2025/BPE25.zip.json"]
    (folder / (pbf.name + ".md5")).unlink()
    result = run(*common, "--json")
    assert result.exit_code == 0, result.output
    states = [(f["jeu"], f["etat"]) for f in json.loads(result.output)["fichiers"]]
    assert states == [("bpe", "en cache"), ("osm", "importe"), ("filosofi", "importe")]
    imported = cache / "filosofi/2019/Filosofi2019_carreaux_200m_met.csv"
    assert imported.read_bytes() == official_files.grid_csv.read_bytes()
    # ...and a study finds it there.
    from maillage.download.cache import find_cached
    from maillage.territory.territory import select_territory

    found = find_cached(select_territory(communes=["73248"], buffer_km=0), cache=cache)
    assert found.grid == imported and found.pbf == [cache / PBF_FINAL]


def test_depuis_refuses_a_truncated_file(official_files: OfficialFiles, tmp_path: Path) -> None:
    folder = tmp_path / "a-la-main"
    folder.mkdir()
    body = official_files.bpe_zip.read_bytes()
    (folder / "BPE25.zip").write_bytes(body[: len(body) // 2])
    cache = tmp_path / "cache"
    result = run("--cache", cache, "--depuis", folder, "--jeux", "bpe")
    assert result.exit_code == 2
    assert "archive ZIP" in result.output and "n'a pas été importé" in result.output
    assert cache_files(cache) == []
    missing = run("--cache", cache, "--depuis", folder, "--jeux", "filosofi")
    assert "aucun fichier pour « filosofi »" in missing.output
    assert "Filosofi2019_carreaux_200m_gpkg.zip" in missing.output


def test_catalogue_from_the_environment(
    server: Server, official_files: OfficialFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_all(server, official_files)
    monkeypatch.setenv("MAILLAGE_CATALOGUE", str(catalogue_for(server.url(""), tmp_path)))
    result = run("--cache", tmp_path / "cache", "--jeux", "bpe")
    assert result.exit_code == 0, result.output
    assert "Licence Ouverte 2.0" in result.output
