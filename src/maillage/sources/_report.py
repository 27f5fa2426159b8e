"""Collect, per input file, the rows that cannot be used and the warnings, with their lines.

Nothing is dropped silently: a reader records each rejected row here with the reason
and the fix, and returns the rejected-rows table next to the rows it accepted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from os import PathLike

import pandas as pd

from maillage._errors import AccountingError

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

    def rejected_rows(self) -> int:
        """How many rows were rejected: a row with several reasons counts once.

        A problem without a line (an OpenStreetMap object) is one row on its own.

        Examples
        --------
        >>> r = Rejections("fs.csv")
        >>> r.reject(line=3, reason="code commune inconnu")
        >>> r.reject(line=3, reason="coordonnées en mètres")
        >>> r.reject(line=5, reason="code commune inconnu")
        >>> len(r.rejected), r.rejected_rows()
        (3, 2)
        """
        lines = {p.line for p in self.rejected if p.line is not None}
        return len(lines) + sum(1 for p in self.rejected if p.line is None)

    def check_balance(self, accepted: int) -> None:
        """Check that every row read is either accepted or rejected, once.

        Raises
        ------
        AccountingError
            ``rows_read != accepted + rejected_rows()``: a row was lost or counted twice
            (a defect of maillage, not of the file).

        Examples
        --------
        >>> r = Rejections("f.csv", rows_read=3)
        >>> r.reject(line=2, reason="x")
        >>> r.check_balance(2)
        >>> r.check_balance(1)
        Traceback (most recent call last):
        ...
        maillage._errors.AccountingError: f.csv : comptage incohérent : 3 ligne(s) lue(s), 1 acceptée(s), 1 rejetée(s). Correction : signalez cette anomalie de maillage avec le fichier.
        """  # noqa: E501
        rejected = self.rejected_rows()
        if self.rows_read != accepted + rejected:
            raise AccountingError(
                f"comptage incohérent : {self.rows_read} ligne(s) lue(s), {accepted} "
                f"acceptée(s), {rejected} rejetée(s)",
                path=self.path,
                fix="signalez cette anomalie de maillage avec le fichier",
            )

    def frame(self) -> pd.DataFrame:
        """The rejected rows as a table with :data:`REJECTED_COLUMNS`, ordered by line.

        One row per rejected line of the file: when a line has several reasons, its
        columns, values, reasons and fixes are joined with `` ; ``.

        Examples
        --------
        >>> r = Rejections("fs.csv")
        >>> r.reject(line=3, column="insee_com", reason="code commune inconnu", fix="a")
        >>> r.reject(line=3, column="longitude/latitude", reason="en mètres", fix="b")
        >>> r.frame()[["ligne", "colonne", "raison", "correction"]].to_dict("records")
        [{'ligne': 3, 'colonne': 'insee_com ; longitude/latitude', 'raison': 'code commune inconnu ; en mètres', 'correction': 'a ; b'}]
        """  # noqa: E501
        groups: dict[object, list[Problem]] = {}
        for number, problem in enumerate(self.rejected):
            key = problem.line if problem.line is not None else ("sans-ligne", number)
            groups.setdefault(key, []).append(problem)
        rows = [
            {
                "fichier": problems[0].path,
                "ligne": problems[0].line,
                "colonne": _join(p.column for p in problems),
                "valeur": _join(p.value for p in problems),
                "raison": _join(p.reason for p in problems),
                "correction": _join(p.fix for p in problems),
            }
            for problems in groups.values()
        ]
        table = pd.DataFrame(rows, columns=REJECTED_COLUMNS)
        table["ligne"] = table["ligne"].astype("Int64")
        return table.sort_values("ligne", kind="stable").reset_index(drop=True)


def _join(values: Iterable[str | None]) -> str | None:
    """Distinct non-empty values joined with `` ; `` (``None`` when there are none)."""
    kept = list(dict.fromkeys(v for v in values if v not in (None, "")))
    return " ; ".join(str(v) for v in kept) if kept else None


def _text(value: object) -> str | None:
    if value is None:
        return None
    try:
        if pd.isna(value):  # type: ignore[call-overload]
            return None
    except (TypeError, ValueError):
        pass
    return str(value)
