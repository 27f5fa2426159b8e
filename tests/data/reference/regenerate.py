"""Regenerate the reference tables of the "figures unchanged" test (tests/test_reference.py).

Runs ``maillage diagnostic`` on the three reference studies (built-in territory by straight
line, ``--departements 05``, ``--france``) with an empty download cache, reads each study
folder back and writes its main tables, in canonical form (:func:`canonical`), as Parquet
under ``tests/data/reference/<case>/``. Run it from the repository root, after a change that
alters the figures on purpose::

    flock /tmp/heavy.lock python tests/data/reference/regenerate.py   # ~2 min, ~1.5 GB

``--cases builtin,05`` regenerates only some of them.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent

#: Command-line arguments of each reference study.
CASES: dict[str, list[str]] = {
    "builtin": [],
    "05": ["--departements", "05"],
    "france": ["--france"],
}
#: Tables kept per case (the France per-commune tables are left out to keep the files small).
TABLES: dict[str, tuple[str, ...]] = {
    "builtin": (
        "access",
        "nearest",
        "family_times",
        "density",
        "hours",
        "catchments",
        "bassins",
        "enjeux",
        "enjeux_epci",
        "e2sfca",
        "comparison",
    ),
    "05": (
        "access",
        "nearest",
        "family_times",
        "density",
        "hours",
        "catchments",
        "bassins",
        "enjeux",
        "enjeux_epci",
        "e2sfca",
        "comparison",
    ),
    "france": ("access", "density", "enjeux_epci", "comparison"),
}
_THRESHOLD = re.compile(r"^(population|share)_beyond_(\d+(?:\.\d+)?)min$")
_RENAMED = {"saison": "season", "niveau": "level", "methode": "method"}
_VALUES = {
    "season": {"ete": "summer", "hiver": "winter"},
    "method": {"vol d'oiseau": "straight_line", "réseau routier": "road"},
    "level": {"territoire": "territory"},
    "zone": {"territoire": "territory"},
}


def canonical(table: pd.DataFrame) -> pd.DataFrame:
    """A table in the long, English form of the library, rows in a stable order.

    Wide threshold columns (``population_beyond_15min``...) become rows
    (``threshold_minutes, population_beyond, share_beyond``); French column names and
    values of earlier versions are renamed.
    """
    table = table.rename(columns=_RENAMED)
    for column, values in _VALUES.items():
        if column in table:
            table[column] = table[column].replace(values)
    wide = [c for c in table.columns if _THRESHOLD.match(str(c))]
    if wide:
        keys = [c for c in table.columns if c not in wide]
        thresholds = sorted({float(_THRESHOLD.match(c).group(2)) for c in wide})  # type: ignore[union-attr]
        parts = []
        for t in thresholds:
            parts.append(
                table[keys].assign(
                    threshold_minutes=t,
                    population_beyond=table[f"population_beyond_{t:g}min"].to_numpy(),
                    share_beyond=table[f"share_beyond_{t:g}min"].to_numpy(),
                )
            )
        table = pd.concat(parts, ignore_index=True)
    table = table[sorted(table.columns)]
    keys = [c for c in table.columns if table[c].dtype == object or c == "threshold_minutes"]
    order = table[keys].astype(str) if keys else table
    return table.loc[order.sort_values(list(order.columns), kind="stable").index].reset_index(
        drop=True
    )


def run_case(case: str, folder: Path) -> None:
    """``maillage diagnostic`` of one reference case into ``folder``."""
    env = dict(os.environ, MAILLAGE_CACHE=str(folder / "cache"), MAILLAGE_PROGRESS="0")
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from maillage.cli.main import main; main()",
            "diagnostic",
            *CASES[case],
            "--sortie",
            str(folder / "etude"),
            "--json",
        ],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES))
    cases = parser.parse_args().cases.split(",")
    for case in cases:
        with tempfile.TemporaryDirectory(prefix=f"maillage-ref-{case}-") as tmp:
            run_case(case, Path(tmp))
            target = HERE / case
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            for name in TABLES[case]:
                table = canonical(pd.read_parquet(Path(tmp) / "etude" / f"{name}.parquet"))
                table.to_parquet(target / f"{name}.parquet", index=False, compression="zstd")
            shutil.copy(Path(tmp) / "etude" / "resume.json", target / "resume.json")
        print(case, "written", file=sys.stderr)


if __name__ == "__main__":
    main()
