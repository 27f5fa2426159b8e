"""Write the corpus of bad files (``python tests/data/mauvais/fabriquer.py``).

Each file is made from real rows (the first Savoie rows of ANCT's France Services list
shipped with maillage, the BPE extract of ``tests/data/bpe``, the crèches of
``tests/data/generic``) broken in one way, as a territory's staff would hand them over.
The expected answer of each is in ``attendus.toml`` beside this script. Deterministic:
running it again writes the same bytes (ZIP and Parquet timestamps are fixed).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import random
import zipfile
from pathlib import Path

import geopandas as gpd
import pyarrow as pa
import pyarrow.parquet as pq
from pyproj import Transformer
from shapely.geometry import Point

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
FS = ROOT / "src/maillage/data/france-services/liste-france-services-2024-08-01.csv"
BPE = ROOT / "tests/data/bpe/bpe-maurienne-extrait.csv"
CRECHES = ROOT / "tests/data/generic/creches-maurienne.csv"
_DATE = (2024, 1, 1, 0, 0, 0)


def fs_rows(count: int = 4) -> tuple[list[str], list[dict[str, str]]]:
    with FS.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [r for r in reader if r["insee_dep"] == "73"][:count]
        return list(reader.fieldnames or []), rows


def fs_text(fields: list[str], rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, _DATE), data)
    return buffer.getvalue()


def main() -> None:
    fields, rows = fs_rows()
    text = fs_text(fields, rows)
    bpe = BPE.read_text(encoding="utf-8")
    bpe_header, *bpe_lines = bpe.splitlines()
    creches = CRECHES.read_text(encoding="utf-8")

    # Excel workbook renamed .csv (openpyxl writes a real .xlsx)
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in csv.reader(io.StringIO(text)):
        sheet.append(line)
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as source:  # rewrite with fixed dates: same bytes each run
        members = {i.filename: source.read(i.filename) for i in source.infolist()}
    (HERE / "excel-renomme.csv").write_bytes(zip_bytes(members))
    # LibreOffice workbook: a ZIP whose first member is its mimetype
    (HERE / "classeur-libreoffice.csv").write_bytes(
        zip_bytes(
            {
                "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                "content.xml": b"<office:document-content/>",
            }
        )
    )
    # Excel 97-2003: an OLE2 compound file header, then sectors
    (HERE / "excel-97.csv").write_bytes(
        bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504) + text.encode("utf-16-le")
    )
    (HERE / "archive.csv").write_bytes(zip_bytes({"france-services.csv": text.encode()}))
    table = pa.table({k: [r[k] for r in rows] for k in fields})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    (HERE / "parquet-renomme.csv").write_bytes(sink.getvalue())
    (HERE / "binaire.csv").write_bytes(random.Random(18).randbytes(4096))
    # Text exports in UTF-16 (Excel's "Unicode text") and UTF-32, with and without BOM
    (HERE / "texte-unicode-utf16.csv").write_bytes(text.encode("utf-16"))
    (HERE / "utf16-sans-bom.csv").write_bytes(text.encode("utf-16-le"))
    (HERE / "utf32.csv").write_bytes(text.encode("utf-32"))
    # One 1 MB field (a pasted document in the name), gzip-compressed to stay small
    long_name = "X" * 1_000_000
    first = bpe_lines[0].split(";")
    first[1] = long_name
    (HERE / "champ-long.csv.gz").write_bytes(
        gzip.compress(
            "\n".join([bpe_header, ";".join(first), *bpe_lines[1:4]]).encode() + b"\n", mtime=0
        )
    )
    # NUL byte and a control character inside a name
    nul = [dict(r) for r in rows]
    nul[1]["lib_fs"] = nul[1]["lib_fs"][:10] + "\x00" + nul[1]["lib_fs"][10:] + "\x07"
    (HERE / "nul-dans-nom.csv").write_text(fs_text(fields, nul), encoding="utf-8")
    # French numbers in the BPE's metre columns; the last row cannot be read
    french = [bpe_header]
    spellings = ["962 168,9", "962\u00a0393,4", "987\u202f662,8", "1.005.776,4"]
    for line, x in zip(bpe_lines, spellings, strict=False):
        parts = line.split(";")
        parts[8] = x
        french.append(";".join(parts))
    parts = bpe_lines[len(spellings)].split(";")
    parts[8] = "962 168 m"
    french.append(";".join(parts))
    (HERE / "nombres-francais.csv").write_text("\n".join(french) + "\n", encoding="utf-8")
    # A France Services row with two defects: unknown commune and Lambert metres
    two = [dict(r) for r in rows]
    two[2]["insee_com"] = "73999"
    two[2]["latitude"], two[2]["longitude"] = "6469703.8", "962168.9"
    (HERE / "deux-defauts.csv").write_text(fs_text(fields, two), encoding="utf-8")
    (HERE / "en-tete-seul.csv").write_text(text.splitlines()[0] + "\n", encoding="utf-8")
    header, *lines = creches.splitlines()
    (HERE / "colonne-double.csv").write_text(
        "\n".join([header + ";type", *(line + ";D502" for line in lines)]) + "\n",
        encoding="utf-8",
    )
    for name, wrong, right in [
        ("lattitude.csv", "lattitude", "lat"),
        ("capacte.csv", "capacte", "capacite"),
        ("horaire.csv", "horaire", "horaires"),
    ]:
        (HERE / name).write_text(
            creches.replace(f";{right};", f";{wrong};", 1).replace(f";{right}\n", f";{wrong}\n", 1),
            encoding="utf-8",
        )
    # A GeoPackage with two layers: crèches and France Services
    gpkg = HERE / "deux-couches.gpkg"
    gpkg.unlink(missing_ok=True)
    gpd.GeoDataFrame(
        {"type": ["D502"], "nom": ["Les Marmottons"]}, geometry=[Point(6.3486, 45.2769)], crs=4326
    ).to_file(gpkg, layer="creches")
    gpd.GeoDataFrame(
        {"type": ["A128"], "nom": ["France services Modane"]},
        geometry=[Point(6.6655, 45.199)],
        crs=4326,
    ).to_file(gpkg, layer="france_services")
    audit(fields, rows, creches)


def audit(fields: list[str], rows: list[dict[str, str]], creches: str) -> None:
    """Files a user would plausibly hand over that issue 18 did not list (its audit)."""
    header, *lines = creches.splitlines()
    good = [line for line in lines if line.split(";")[0] in ("C1", "C2")][:2]
    table = "\n".join([header, *good]) + "\n"
    # Parquet: truncated download, a CSV saved as .parquet, a BPE table without rows
    sink = io.BytesIO()
    pq.write_table(pa.table({k: [r[k] for r in rows] for k in fields}), sink)
    (HERE / "parquet-tronque.parquet").write_bytes(sink.getvalue()[:300])
    (HERE / "texte-nomme.parquet").write_text(table, encoding="utf-8")
    sink = io.BytesIO()
    empty = {c: pa.array([], pa.string()) for c in ["DEPCOM", "TYPEQU", "LAMBERT_X", "LAMBERT_Y"]}
    pq.write_table(pa.table(empty), sink)
    (HERE / "bpe-vide.parquet").write_bytes(sink.getvalue())
    # GIS files: a CSV named .gpkg, an empty GeoJSON, a GeoJSON in Web Mercator metres
    # written without a "crs" member (RFC 7946 says degrees)
    (HERE / "csv-nomme.gpkg").write_text(table, encoding="utf-8")
    (HERE / "vide.geojson").write_bytes(b"")
    to_mercator = Transformer.from_crs(4326, 3857, always_xy=True)
    features = []
    for line in good:
        ident, kind, name, commune, lon, lat, *_ = next(csv.reader([line], delimiter=";"))
        x, y = to_mercator.transform(float(lon), float(lat))
        features.append(
            {
                "type": "Feature",
                "properties": {"id": ident, "type": kind, "nom": name, "commune": commune},
                "geometry": {"type": "Point", "coordinates": [round(x, 1), round(y, 1)]},
            }
        )
    (HERE / "web-mercator.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8",
    )
    # A GeoJSON "collection" of mixed objects: a polygon, a geometry collection, no geometry
    lon, lat = (float(v) for v in next(csv.reader([good[0]], delimiter=";"))[4:6])
    square = [[lon, lat], [lon + 0.001, lat], [lon + 0.001, lat + 0.001], [lon, lat]]
    point = {"type": "Point", "coordinates": [lon, lat]}
    mixed = [
        {"type": "Polygon", "coordinates": [square]},
        {"type": "GeometryCollection", "geometries": [point]},
        None,
    ]
    (HERE / "geometries-mixtes.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"id": f"M{n}", "type": "D502", "commune": "73248"},
                        "geometry": geometry,
                    }
                    for n, geometry in enumerate(mixed, start=1)
                ],
            }
        ),
        encoding="utf-8",
    )
    # Spreadsheet exports: empty unnamed columns, empty cells past the last column, an
    # unnamed column holding a note, a title line above the header, Windows-1252 behind a
    # UTF-8 byte-order mark, Excel's "Unicode text" (UTF-16, tab-separated)
    (HERE / "colonnes-vides-excel.csv").write_text(
        "\n".join(f"{line};;;" for line in [header, *good]) + "\n", encoding="utf-8"
    )
    (HERE / "cellules-en-trop.csv").write_text(
        "\n".join([header, *(f"{line};;;" for line in good)]) + "\n", encoding="utf-8"
    )
    (HERE / "colonne-sans-nom.csv").write_text(
        "\n".join([f"{header};", f"{good[0]};à rappeler", f"{good[1]};"]) + "\n",
        encoding="utf-8",
    )
    (HERE / "titre-avant-entete.csv").write_text(
        "Export du 12/03/2024 - crèches\n" + table, encoding="utf-8"
    )
    (HERE / "bom-windows-1252.csv").write_bytes(
        codecs.BOM_UTF8 + table.replace("\n", "\r\n").encode("cp1252")
    )
    (HERE / "texte-unicode-tabulations.txt").write_bytes(
        "\r\n".join([header.replace(";", "\t"), good[0].replace(";", "\t")]).encode("utf-16")
    )
    # Commune codes as a spreadsheet writes them: integer (lost zero), decimal, Corsica's
    # code of before 1976 (20033 for Bastia, 2B033 today), lower-case 2a
    (HERE / "codes-communes.csv").write_text(
        "id;type;nom;commune\n"
        "A;D307;Pharmacie;1004\n"
        "B;D307;Pharmacie;73248.0\n"
        "C;D307;Pharmacie;2a004\n"
        "D;D307;Pharmacie;20033\n",
        encoding="utf-8",
    )
    # Points far from France: New York, (0, 0) as a GIS writes an empty point
    (HERE / "hors-france.csv").write_text(
        "id;type;nom;commune;lon;lat\n"
        "A;D307;Pharmacie;73248;-73.98;40.75\n"
        "B;D307;Pharmacie;73248;6.3486;45.2769\n"
        "C;D307;Pharmacie;73248;0;0\n",
        encoding="utf-8",
    )
    # Lambert-93 metres with x and y swapped (the file says --crs EPSG:2154)
    to_lambert = Transformer.from_crs(4326, 2154, always_xy=True)
    swapped = ["id;type;nom;commune;x;y"]
    for line in good:
        ident, kind, name, commune, lon, lat, *_ = next(csv.reader([line], delimiter=";"))
        x, y = to_lambert.transform(float(lon), float(lat))
        swapped.append(f"{ident};{kind};{name};{commune};{y:.1f};{x:.1f}")
    (HERE / "lambert-xy-inverses.csv").write_text("\n".join(swapped) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
