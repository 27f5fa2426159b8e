"""BPE 2024–2025 layouts: QUALITE_XY codes, QUALITE_GEOLOC = 33, the Parquet file.

The rows are **invented** in the published layout: the 89 columns of INSEE's
``BPE24.parquet`` in their order, as a public loader of that file lists them (a public
capture of ``BPE25.csv`` reports 95 columns; the six others are not known here and the
reader does not need them); real commune codes and town-hall positions (DILA, shipped),
invented names. The national file (1.5 GB) is not at hand.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyproj import Transformer

from maillage.sources.bpe import read_bpe
from maillage.sources.dispatch import guess_format
from maillage.sources.mairies import town_hall_points

#: The columns of INSEE's BPE "ensemble" file (BPE24.parquet), in order.
BPE25_COLUMNS = (
    (Path(__file__).parents[1] / "data" / "bpe" / "bpe25-colonnes.txt")
    .read_text()
    .strip()
    .split(";")
)

#: (commune, TYPEQU, QUALITE_XY, QUALITE_GEOLOC, has coordinates)
ROWS = [
    ("73248", "D307", "A", "11", True),
    ("73248", "A206", "B", "12", True),
    ("73290", "D265", "M", "21", True),  # poor position: warning
    ("73157", "C108", "M", "22", True),  # poor position: warning
    ("73047", "D502", "A", "33", True),  # random in the commune: at the chef-lieu
    ("73248", "F101", "_U", "_U", False),  # no position: at the commune's point
    ("97101", "A104", "_Z", "_Z", False),  # the Antilles' gendarmerie: _Z everywhere
]


def bpe25_frame() -> pd.DataFrame:
    halls = town_hall_points()
    to_l93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    records = []
    for i, (code, kind, quality, geoloc, located) in enumerate(ROWS):
        row = dict.fromkeys(BPE25_COLUMNS, "")
        lon, lat = halls.loc[code, ["lon", "lat"]]
        x, y = to_l93.transform(lon + 0.004 * i, lat)  # near the town hall, not on it
        row |= {
            "AN": "2025",
            "NOMRS": f"EQUIPEMENT {i}",
            "DEPCOM": code,
            "DEP": code[:2] if code[:2] != "97" else code[:3],
            "TYPEQU": kind,
            "LAMBERT_X": f"{x:.1f}" if located else "",
            "LAMBERT_Y": f"{y:.1f}" if located else "",
            "QUALITE_XY": quality,
            "EPSG": "2154" if located else "_Z",
            "QUALITE_GEOLOC": geoloc,
        }
        records.append(row)
    return pd.DataFrame(records, columns=BPE25_COLUMNS)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("bpe25")
    frame = bpe25_frame()
    csv = folder / "BPE25.csv"
    frame.to_csv(csv, sep=";", index=False)
    parquet = folder / "BPE25.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), parquet)
    return csv, parquet


def test_quality_codes_of_2024_2025(published: tuple[Path, Path]) -> None:
    csv, _ = published
    result = read_bpe(csv)
    services = result.services.set_index("line")
    warnings = [str(w) for w in result.warnings]
    poor = [w for w in warnings if "QUALITE_XY" in w]
    assert len(poor) == 1 and "2 équipement(s)" in poor[0] and "lignes 4, 5" in poor[0]
    # A random position inside the commune is a commune-level point, at the town hall.
    halls = town_hall_points()
    random_row = services.loc[6]
    assert random_row["position"] == "commune"
    assert (random_row["lon"], random_row["lat"]) == tuple(halls.loc["73047", ["lon", "lat"]])
    assert any("QUALITE_GEOLOC = 33" in w for w in warnings)
    # No position (_U, _Z): at the commune's point; the others stay where INSEE put them.
    assert services.loc[7, "position"] == "commune"
    assert services.loc[8, "position"] == "commune"
    assert (services.loc[[2, 3, 4, 5], "position"] == "source").all()
    assert result.rejected.empty


def test_the_parquet_file_reads_as_the_csv(published: tuple[Path, Path]) -> None:
    csv, parquet = published
    assert guess_format(parquet) == "bpe" and guess_format(csv) == "bpe"
    from_csv = read_bpe(csv).services
    from_parquet = read_bpe(parquet).services
    columns = ["type", "commune", "lon", "lat", "position"]
    pd.testing.assert_frame_equal(from_csv[columns], from_parquet[columns])
    # Parquet rows are numbered from 1, CSV lines from 2 (the header).
    assert (from_parquet["line"].to_numpy() + 1 == from_csv["line"].to_numpy()).all()
