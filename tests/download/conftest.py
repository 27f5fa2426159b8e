"""A loopback HTTP server serving official-format files, and those files (see README.md)."""

from __future__ import annotations

import hashlib
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import py7zr
import pytest
from pyproj import Transformer
from shapely.geometry import box

from maillage._data import data_path
from maillage.sources.population import population_by_commune

OSM = Path(__file__).parents[1] / "data" / "osm"
#: Filosofi's age bands and the share of each of maillage's bands they take (by years).
BANDS_0_19 = {"ind_0_3": 4, "ind_4_5": 2, "ind_6_10": 5, "ind_11_17": 7, "ind_18_24": 2}
BANDS_20_64 = {"ind_18_24": 5, "ind_25_39": 15, "ind_40_54": 15, "ind_55_64": 10}
BANDS_65 = {"ind_65_79": 15, "ind_80p": 10}


@dataclass
class Route:
    """What the server answers for one path."""

    body: bytes
    status: int = 200
    cut_after: int | None = None  # close the connection after this many bytes...
    cuts: int = 0  # ...this many times
    delay_s: float = 0.0  # wait before answering
    no_length: bool = False  # no Content-Length header (INSEE)
    no_range: bool = False  # Range requests ignored: the whole file again, 200 (INSEE)


@dataclass
class Server:
    """The loopback server: ``routes`` by path, ``hits`` = (path, Range header)."""

    port: int
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[tuple[str, str | None]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _handler(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def do_GET(self) -> None:
            # A proxy request carries the absolute URL: serve its path.
            path = urlsplit(self.path).path
            server.hits.append((path, self.headers.get("Range")))
            route = server.routes.get(path)
            if route is None or route.status == 404:
                self.send_error(404, "Not Found")
                return
            if route.delay_s:
                time.sleep(route.delay_s)
            body, status = route.body, 200
            start = 0
            asked = self.headers.get("Range")
            if asked and asked.startswith("bytes=") and not route.no_range:
                start = int(asked[6:].split("-")[0])
                status = 206
            self.send_response(status)
            if route.no_length:
                self.close_connection = True  # the end of the body is the end of the stream
            else:
                self.send_header("Content-Length", str(len(body) - start))
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            self.end_headers()
            if route.cuts > 0 and route.cut_after is not None:
                route.cuts -= 1
                self.wfile.write(body[start : start + route.cut_after])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body[start:])

    return Handler


@pytest.fixture
def server() -> Iterator[Server]:
    """A loopback HTTP server in a thread (no network needed)."""
    state = Server(port=0)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    httpd.block_on_close = False
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def no_proxy_no_user_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Loopback only, and never the user's own cache or catalogue."""
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("MAILLAGE_CACHE", str(tmp_path / "cache-par-defaut"))
    monkeypatch.delenv("MAILLAGE_CATALOGUE", raising=False)


def maurienne_communes() -> pd.DataFrame:
    from maillage.territory.builtin import pays_de_maurienne

    return pd.DataFrame(pays_de_maurienne(buffer_km=0).communes.drop(columns="geometry"))


BPE25_COLUMNS = (
    (Path(__file__).parents[1] / "data" / "bpe" / "bpe25-colonnes.txt")
    .read_text()
    .strip()
    .split(";")
)


def bpe_csv_text() -> str:
    """Real town halls (DILA) of Savoie and Ain, as rows of INSEE's BPE 2025 "ensemble" file.

    The 89 columns of the published header (``tests/data/bpe/bpe25-colonnes.txt``), the
    2024–2025 codes ``QUALITE_XY = A`` and ``QUALITE_GEOLOC = 11``; the other columns empty.
    """
    halls = pd.read_csv(
        data_path("communes", "mairies-france.csv.gz"),
        dtype={"code": str},
        usecols=["code", "nom", "mairie_lon", "mairie_lat"],
    ).dropna()
    halls = pd.concat(
        [
            halls[halls["code"].str.startswith("73")].head(60),
            halls[halls["code"].str.startswith("01")].head(5),
        ]
    )
    to_l93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    x, y = to_l93.transform(halls["mairie_lon"].to_numpy(), halls["mairie_lat"].to_numpy())
    lines = [";".join(BPE25_COLUMNS)]
    for code, name, east, north in zip(halls["code"], halls["nom"], x, y, strict=True):
        row = dict.fromkeys(BPE25_COLUMNS, "")
        row |= {
            "AN": "2025",
            "NOMRS": f"MAIRIE DE {name.upper()}",
            "DEPCOM": code,
            "DEP": code[:2],
            "REG": "84",
            "DOM": "A",
            "SDOM": "A1",
            "TYPEQU": "A129",
            "LAMBERT_X": f"{east:.1f}",
            "LAMBERT_Y": f"{north:.1f}",
            "QUALITE_XY": "A",
            "EPSG": "2154",
            "QUALITE_GEOLOC": "11",
            "DCIRIS": f"{code}_0000",
        }
        lines.append(";".join(row.values()))
    return "\n".join(lines) + "\n"


def filosofi_cells() -> gpd.GeoDataFrame:
    """200 m cells of the Maurienne in Filosofi 2019's layout (synthesized, see README).

    Each commune's real IRIS population 2021 is spread on three cells: the one holding its
    point (60 %), one 1.2 km north (25 %) and one 1 km west (15 %); the first cell of the
    first three communes straddles a neighbour (``lcog_geo`` = neighbour + commune).
    """
    communes = maurienne_communes()
    counts, _ = population_by_commune(communes["commune"])
    to_laea = Transformer.from_crs("EPSG:4326", "EPSG:3035", always_xy=True)
    east, north = to_laea.transform(communes["lon"].to_numpy(), communes["lat"].to_numpy())
    rows = []
    for i, code in enumerate(communes["commune"]):
        pop = counts.loc[code]
        for share, (de, dn) in ((0.6, (0, 0)), (0.25, (0, 1200)), (0.15, (-1000, 0))):
            e = np.floor((east[i] + de) / 200) * 200
            n = np.floor((north[i] + dn) / 200) * 200
            lcog = code
            if i < 3 and (de, dn) == (0, 0):
                lcog = communes["commune"].iloc[i + 10] + code
            young, adult, old = (
                pop[c] * share
                for c in ("population_0_19", "population_20_64", "population_65_plus")
            )
            row = {
                "idcar_200m": f"CRS3035RES200mN{int(n)}E{int(e)}",
                "idcar_1km": f"CRS3035RES1000mN{int(n // 1000 * 1000)}E{int(e // 1000 * 1000)}",
                "idcar_nat": "",
                "i_est_200": 0,
                "i_est_1km": 0,
                "lcog_geo": lcog,
                "ind": round(float(pop["population"]) * share, 1),
                "men": round(float(pop["main_residences"]) * share, 1),
            }
            for bands, total, years in (
                (BANDS_0_19, young, 20),
                (BANDS_20_64, adult, 45),
                (BANDS_65, old, 25),
            ):
                for band, count in bands.items():
                    row[band] = row.get(band, 0.0) + round(float(total) * count / years, 2)
            rows.append(row)
    table = pd.DataFrame(rows).drop_duplicates("idcar_200m")
    geometry = [
        box(e, n, e + 200, n + 200)
        for e, n in zip(
            table["idcar_200m"].str.extract(r"E(\d+)$")[0].astype(float),
            table["idcar_200m"].str.extract(r"N(\d+)E")[0].astype(float),
            strict=True,
        )
    ]
    return gpd.GeoDataFrame(table.reset_index(drop=True), geometry=geometry, crs="EPSG:3035")


def overseas_cell(code: str, epsg: int) -> gpd.GeoDataFrame:
    """One inhabited cell at commune ``code``'s point, in its overseas grid's CRS."""
    point = (
        pd.read_csv(data_path("communes", "communes-france.csv.gz"), dtype={"code": str})
        .set_index("code")
        .loc[code]
    )
    east, north = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True).transform(
        point["lon"], point["lat"]
    )
    e, n = east // 200 * 200, north // 200 * 200
    row = {"idcar_200m": f"CRS{epsg}RES200mN{int(n)}E{int(e)}", "lcog_geo": code, "ind": 50.0}
    row |= {band: 5.0 for band in (*BANDS_0_19, *BANDS_20_64, *BANDS_65)}
    return gpd.GeoDataFrame([row], geometry=[box(e, n, e + 200, n + 200)], crs=f"EPSG:{epsg}")


@dataclass(frozen=True)
class OfficialFiles:
    """The files served, by name, and where they lie."""

    folder: Path
    bpe_zip: Path
    grid_zip: Path
    grid_csv: Path
    pbf: dict[str, Path]


@pytest.fixture(scope="session")
def official_files(tmp_path_factory: pytest.TempPathFactory) -> OfficialFiles:
    """BPE zip, Filosofi GeoPackage zip and CSV, regional PBFs, in a folder."""
    folder = tmp_path_factory.mktemp("editeurs")
    bpe_zip = folder / "BPE25.zip"
    with zipfile.ZipFile(bpe_zip, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("BPE25.csv", bpe_csv_text())
    cells = filosofi_cells()
    # As INSEE publishes it: a ZIP holding a 7-Zip archive holding three GeoPackages,
    # metropolitan France in EPSG:3035, Martinique in EPSG:5490, La Réunion in EPSG:2975.
    inner = folder / "7z"
    inner.mkdir()
    cells.to_file(inner / "carreaux_200m_met.gpkg", layer="carreaux_200m_met", driver="GPKG")
    for name, code, epsg in (("mart", "97209", 5490), ("reun", "97411", 2975)):
        overseas_cell(code, epsg).to_file(
            inner / f"carreaux_200m_{name}.gpkg", layer=f"carreaux_200m_{name}", driver="GPKG"
        )
    seven = folder / "Filosofi2019_carreaux_200m_gpkg.7z"
    with py7zr.SevenZipFile(seven, "w") as archive:
        for member in sorted(inner.iterdir()):
            archive.write(member, member.name)
    grid_zip = folder / "Filosofi2019_carreaux_200m_gpkg.zip"
    with zipfile.ZipFile(grid_zip, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(seven, seven.name)
    seven.unlink()
    grid_csv = folder / "Filosofi2019_carreaux_200m_met.csv"
    csv_table = pd.DataFrame(cells.drop(columns="geometry"))
    csv_table.columns = [c.capitalize() if c != "lcog_geo" else c for c in csv_table.columns]
    csv_table.to_csv(grid_csv, index=False)
    pbf = {
        "rhone-alpes": folder / "rhone-alpes-latest.osm.pbf",
        "provence-alpes-cote-d-azur": folder / "provence-alpes-cote-d-azur-latest.osm.pbf",
    }
    pbf["rhone-alpes"].write_bytes((OSM / "saint-barthelemy-2014.osm.pbf").read_bytes())
    pbf["provence-alpes-cote-d-azur"].write_bytes((OSM / "monaco-2019-09-30.osm.pbf").read_bytes())
    return OfficialFiles(folder, bpe_zip, grid_zip, grid_csv, pbf)


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def serve_all(server: Server, files: OfficialFiles) -> None:
    """Publish every file at its publisher's path, Geofabrik's .md5 beside each PBF."""
    # INSEE's server sends no Content-Length and ignores Range requests.
    server.routes["/insee/BPE25.zip"] = Route(
        files.bpe_zip.read_bytes(), no_length=True, no_range=True
    )
    server.routes["/insee/Filosofi2019_carreaux_200m_gpkg.zip"] = Route(
        files.grid_zip.read_bytes(), no_length=True, no_range=True
    )
    for region, path in files.pbf.items():
        server.routes[f"/geofabrik/{region}-latest.osm.pbf"] = Route(path.read_bytes())
        server.routes[f"/geofabrik/{region}-latest.osm.pbf.md5"] = Route(
            f"{md5(path)}  {path.name}\n".encode()
        )


def catalogue_for(base: str, folder: Path, extra: str = "") -> Path:
    """A user catalogue pointing the three datasets at ``base`` (the loopback server)."""
    path = folder / "catalogue-local.toml"
    path.write_text(
        f"""
[bpe]
url = "{base}/insee/BPE25.zip"
{extra}
[osm]
url = "{base}/geofabrik/{{region}}-latest.osm.pbf"
url_md5 = "{base}/geofabrik/{{region}}-latest.osm.pbf.md5"

[filosofi]
url = "{base}/insee/Filosofi2019_carreaux_200m_gpkg.zip"
""",
        encoding="utf-8",
    )
    return path
