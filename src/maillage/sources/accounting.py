"""What every command says about the user's files it read: read, accepted, rejected.

``maillage verifier`` lists the rejected rows of one file; the commands that run a study
(``diagnostic``, ``rapport``, ``scenario``, ``implanter``, ``territoire``) read the files of
``--sources`` too, and say the same: a line per file on the terminal, a ``fichiers_lus``
list in their JSON, and a ``rejets.csv`` table in the study folder with every rejected
row (file, line, column, value, reason, fix).
"""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from maillage.services.schema import SourceResult
from maillage.sources._report import REJECTED_COLUMNS

#: Name of the rejected-rows table in a study folder.
REJECTS_FILE = "rejets.csv"


def files_summary(results: Iterable[SourceResult]) -> list[dict[str, Any]]:
    """Per file: ``fichier``, ``lues``, ``acceptees``, ``rejetees``, ``avertissements``.

    Examples
    --------
    >>> from maillage.services.schema import empty_services
    >>> r = SourceResult(empty_services(), pd.DataFrame(columns=REJECTED_COLUMNS), [], 0,
    ...                  "vide.csv")
    >>> files_summary([r])
    [{'fichier': 'vide.csv', 'lues': 0, 'acceptees': 0, 'rejetees': 0, 'avertissements': 0}]
    """
    return [
        {
            "fichier": str(result.path),
            "lues": int(result.rows_read),
            "acceptees": len(result.services),
            "rejetees": len(result.rejected),
            "avertissements": len(result.warnings),
        }
        for result in results
    ]


def rejects_table(results: Iterable[SourceResult]) -> pd.DataFrame:
    """Every rejected row of every file, with :data:`REJECTED_COLUMNS`.

    Examples
    --------
    >>> from maillage.services.schema import empty_services
    >>> table = pd.DataFrame([["f.csv", 3, "type", "X", "type inconnu", "voir la typologie"]],
    ...                      columns=REJECTED_COLUMNS)
    >>> ok = SourceResult(empty_services(), pd.DataFrame(columns=REJECTED_COLUMNS), [], 2, "g.csv")
    >>> rejects_table([SourceResult(empty_services(), table, [], 1, "f.csv"), ok])[
    ...     ["fichier", "ligne", "raison"]].to_dict("records")
    [{'fichier': 'f.csv', 'ligne': 3, 'raison': 'type inconnu'}]
    """
    frames = [r.rejected for r in results if len(r.rejected)]
    if not frames:
        return pd.DataFrame(columns=REJECTED_COLUMNS)
    return pd.concat(frames, ignore_index=True)[REJECTED_COLUMNS]


def write_rejects(results: Iterable[SourceResult], folder: str | PathLike[str]) -> Path:
    """Write :data:`REJECTS_FILE` (``;``-separated, UTF-8) in ``folder``; empty but present
    when nothing was rejected, so that the study says so.

    Examples
    --------
    >>> import tempfile
    >>> path = write_rejects([], tempfile.mkdtemp())
    >>> path.name, path.read_text(encoding="utf-8")
    ('rejets.csv', 'fichier;ligne;colonne;valeur;raison;correction\\n')
    """
    path = Path(folder) / REJECTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    rejects_table(results).to_csv(path, sep=";", index=False, encoding="utf-8")
    return path


def reading_lines(results: Iterable[SourceResult], *, rejects: Path | None = None) -> list[str]:
    """French lines for the terminal: one per file, then where the rejected rows are.

    Examples
    --------
    >>> from maillage.services.schema import empty_services
    >>> table = pd.DataFrame([["f.csv", 3, None, None, "x", None]], columns=REJECTED_COLUMNS)
    >>> r = SourceResult(empty_services(), table, [], 1, "f.csv")
    >>> reading_lines([r])
    ['Fichier f.csv : 1 ligne(s) lue(s), 0 acceptée(s), 1 rejetée(s).', '  Rejet ligne 3 : x.']
    """
    results = list(results)
    lines = []
    for item in files_summary(results):
        lines.append(
            f"Fichier {item['fichier']} : {item['lues']} ligne(s) lue(s), "
            f"{item['acceptees']} acceptée(s), {item['rejetees']} rejetée(s)."
        )
    warnings = [w for r in results for w in r.warnings]
    for warning in warnings[:10]:
        lines.append(f"  Avertissement : {warning}")
    if len(warnings) > 10:
        lines.append(f"  … {len(warnings) - 10} autre(s) avertissement(s)")
    table = rejects_table(results)
    for row in table.head(10).itertuples(index=False):
        where = f"ligne {int(row.ligne)}" if pd.notna(row.ligne) else str(row.valeur)
        fix = f" Correction : {row.correction}." if isinstance(row.correction, str) else ""
        lines.append(f"  Rejet {where} : {row.raison}.{fix}")
    if len(table) > 10:
        lines.append(f"  … {len(table) - 10} autre(s) rejet(s)")
    if rejects is not None and len(table):
        lines.append(f"  Toutes les lignes rejetées : {rejects}")
    return lines
