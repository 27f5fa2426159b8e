"""Collect, per input file, the rows that cannot be used and the warnings, with their lines.

Nothing is dropped silently: a reader records each rejected row here with the reason
and the fix, and returns the rejected-rows table next to the rows it accepted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from os import PathLike

import pandas as pd

#: Columns of every rejected-rows table (French: users read it).
REJECTED_COLUMNS = ["fichier", "ligne", "colonne", "valeur", "raison", "correction"]


@dataclass(frozen=True)
class Problem:
    """One rejected row or one warning, located in its file."""

    path: str
    reason: str
    line: int | None = None
    column: str | None = None
    value: str | None = None
    fix: str | None = None

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f", ligne {self.line}"
        if self.column is not None:
            where += f", colonne « {self.column} »"
        text = f"{where} : {self.reason}"
        if self.value not in (None, ""):
            text += f" (valeur : {self.value})"
        if self.fix:
            text += f". Correction : {self.fix.rstrip('.')}"
        return text + "."


@dataclass
class Rejections:
    """Rejected rows and warnings of one input file.

    Examples
    --------
    >>> r = Rejections("bpe.csv")
    >>> r.reject(line=3, column="DEPCOM", value="99999", reason="code commune inconnu")
    >>> r.frame()[["ligne", "colonne", "raison"]].to_dict("records")
    [{'ligne': 3, 'colonne': 'DEPCOM', 'raison': 'code commune inconnu'}]
    """

    path: str | PathLike[str]
    rows_read: int = 0
    rejected: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def reject(
        self,
        *,
        reason: str,
        line: int | None = None,
        column: str | None = None,
        value: object = None,
        fix: str | None = None,
    ) -> None:
        """Record one rejected row."""
        self.rejected.append(Problem(str(self.path), reason, line, column, _text(value), fix))

    def reject_rows(
        self,
        lines: Iterable[object],
        values: Iterable[object],
        *,
        reason: str,
        column: str | None = None,
        fix: str | None = None,
    ) -> None:
        """Record many rejected rows sharing one reason."""
        for line, value in zip(lines, values, strict=True):
            self.reject(
                line=None if pd.isna(line) else int(line),  # type: ignore[call-overload]
                column=column,
                value=value,
                reason=reason,
                fix=fix,
            )

    def warn(
        self,
        reason: str,
        *,
        line: int | None = None,
        column: str | None = None,
        value: object = None,
        fix: str | None = None,
    ) -> None:
        """Record a warning: the data is used, but the user should know."""
        self.warnings.append(Problem(str(self.path), reason, line, column, _text(value), fix))

    def frame(self) -> pd.DataFrame:
        """The rejected rows as a table with :data:`REJECTED_COLUMNS`, ordered by line."""
        rows = [
            {
                "fichier": p.path,
                "ligne": p.line,
                "colonne": p.column,
                "valeur": p.value,
                "raison": p.reason,
                "correction": p.fix,
            }
            for p in self.rejected
        ]
        table = pd.DataFrame(rows, columns=REJECTED_COLUMNS)
        table["ligne"] = table["ligne"].astype("Int64")
        return table.sort_values("ligne", kind="stable").reset_index(drop=True)


def _text(value: object) -> str | None:
    if value is None:
        return None
    try:
        if pd.isna(value):  # type: ignore[call-overload]
            return None
    except (TypeError, ValueError):
        pass
    return str(value)
