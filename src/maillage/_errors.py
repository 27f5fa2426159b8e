"""Exception hierarchy of maillage; messages are in French, for the end user."""

from __future__ import annotations

from os import PathLike


class MaillageError(ValueError):
    """Base class of every error maillage raises on bad input.

    Its message is French and ends with the fix; the command line prints it without a
    traceback.

    Examples
    --------
    >>> import maillage
    >>> try:
    ...     maillage.TerritorySpec(communes=("00000",)).build()
    ... except maillage.MaillageError as error:
    ...     print(type(error).__name__, str(error).split(". Correction")[0])
    UnknownTerritoryError code(s) inconnu(s) : commune 00000
    """


class UnknownTerritoryError(MaillageError):
    """A territory was asked for with codes that match no commune, EPCI or zoning.

    Examples
    --------
    >>> issubclass(UnknownTerritoryError, ValueError)
    True
    """


class InputFileError(MaillageError):
    """An input file cannot be read at all.

    The message names the file, and where known the line and the column, then the fix.

    Examples
    --------
    >>> str(InputFileError("fichier vide", path="bpe.csv", fix="exportez de nouveau la table"))
    'bpe.csv : fichier vide. Correction : exportez de nouveau la table.'
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | PathLike[str],
        line: int | None = None,
        column: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.column = column
        self.reason = message
        self.fix = fix
        super().__init__(self._format())

    def _format(self) -> str:
        where = self.path
        if self.line is not None:
            where += f", ligne {self.line}"
        if self.column is not None:
            where += f", colonne « {self.column} »"
        text = f"{where} : {self.reason}"
        if self.fix:
            text += f". Correction : {self.fix.rstrip('.')}."
        return text


class AccountingError(InputFileError):
    """A reader lost or double-counted a row: read ≠ accepted + rejected (a maillage defect)."""


class ConfigError(InputFileError):
    """A configuration file (typology, scenario, catalogue) has problems; all are listed.

    ``problems`` holds one French sentence per problem, each naming its key and line;
    ``lines`` their lines (``line`` is the first known one).
    """

    def __init__(
        self,
        problems: list[str],
        *,
        path: str | PathLike[str],
        fix: str,
        lines: list[int | None] | None = None,
    ) -> None:
        self.problems = [p.rstrip(".") for p in problems]
        self.lines = list(lines) if lines is not None else [None] * len(problems)
        count = len(self.problems)
        head = f"{count} problème(s) de configuration" if count > 1 else "configuration invalide"
        super().__init__(head, path=path, fix=fix, line=next((n for n in self.lines if n), None))

    def _format(self) -> str:
        listed = "".join(f"\n  - {p}" for p in self.problems)
        return (
            f"{self.path} : {self.reason} :{listed}\nCorrection : {(self.fix or '').rstrip('.')}."
        )
