"""An XLSX workbook of French tables, streamed row by row with XlsxWriter.

The diagnostic's workbook holds, for all of France, about 2.3 million cells. XlsxWriter
in ``constant_memory`` mode writes each row to disk as it goes (a row's cells are kept,
not the sheet's), so time and memory grow with the row, not the workbook; the cells'
values are prepared column by column with pandas. Every sheet: its headers in bold on a
frozen first row, numbers formatted by column (:func:`number_format`), booleans as
``oui``/``non``, an unknown value written ``non renseigné`` (never 0), and each column as
wide as its longest cell, between 10 and 60 characters.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from os import PathLike

import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from maillage.outputs.french import UNKNOWN

#: Shortest and longest column width (characters).
WIDTH_RANGE = (10, 60)

#: From this many cells, :func:`workbook_writer` writes in a second process (France's
#: workbook: 2.3 million cells, ≈ 45 s; a département's: ≈ 20,000 cells, under a second,
#: less than starting a process).
BACKGROUND_CELLS = 300_000


@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook: a title, French headers and the table below them.

    Parameters
    ----------
    title
        The sheet's name (shortened to Excel's 31 characters, ``[]:*?/\\`` replaced).
    headers
        The first row, one per column of ``table`` (a shorter list leaves the last
        columns without a header, as the summary sheet does).
    table
        The rows, in order.
    booleans
        Columns whose values are written ``oui``/``non``.
    title_row
        The first row is a title (larger type) rather than column headers.
    """

    title: str
    headers: Sequence[str]
    table: pd.DataFrame
    booleans: frozenset[str] = field(default_factory=frozenset)
    title_row: bool = False


def write_workbook(path: str | PathLike[str], sheets: Sequence[Sheet]) -> None:
    """Write ``sheets`` into the XLSX file ``path``, in order.

    Parameters
    ----------
    path
        The ``.xlsx`` file (replaced if it exists).
    sheets
        The sheets, first one opened by default.

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> table = pd.DataFrame({"commune": ["Modane", "Bessans"], "population": [3270, None],
    ...                       "gare": [True, False]})
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "exemple.xlsx"
    >>> write_workbook(path, [Sheet("Communes", ["Commune", "Population", "Gare"], table,
    ...                             frozenset({"gare"}))])
    >>> for row in openpyxl.load_workbook(path)["Communes"].values:
    ...     print(row)
    ('Commune', 'Population', 'Gare')
    ('Modane', 3270, 'oui')
    ('Bessans', 'non renseigné', 'non')
    """
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "nan_inf_to_errors": True})
    try:
        bold = book.add_format({"bold": True})
        title = book.add_format({"bold": True, "font_size": 14})
        formats: dict[str, Format] = {}
        for sheet in sheets:
            header = title if sheet.title_row else bold
            _write_sheet(book.add_worksheet(sheet_title(sheet.title)), sheet, header, formats, book)
    finally:
        book.close()


@contextlib.contextmanager
def workbook_writer(
    path: str | PathLike[str], sheets: Sequence[Sheet], *, background_cells: int = BACKGROUND_CELLS
) -> Iterator[None]:
    """Write the workbook while the ``with`` block runs; done when the block ends.

    A workbook of ``background_cells`` cells or more is written by a second process
    (spawned: it shares nothing with this one), so that its XML, written cell by cell
    in Python, takes the machine's other core while this process writes the other files;
    a smaller one is written here, after the block. Should the second process fail to
    start (a script run without ``if __name__ == "__main__":``), the workbook is written
    here instead; an error while writing is raised here either way.

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "exemple.xlsx"
    >>> sheet = Sheet("Communes", ["Commune"], pd.DataFrame({"commune": ["Modane"]}))
    >>> with workbook_writer(path, [sheet]):
    ...     pass  # write the other files here
    >>> openpyxl.load_workbook(path)["Communes"]["A2"].value
    'Modane'
    """
    if sum(sheet.table.size for sheet in sheets) < background_cells:
        yield
        write_workbook(path, sheets)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        pending = pool.submit(write_workbook, path, sheets)
        yield
        try:
            pending.result()
        except BrokenProcessPool:
            write_workbook(path, sheets)


def _write_sheet(
    worksheet: Worksheet,
    sheet: Sheet,
    header: Format,
    formats: dict[str, Format],
    book: xlsxwriter.Workbook,
) -> None:
    table = sheet.table
    columns = [column_cells(table[c], c in sheet.booleans) for c in table.columns]
    for position in range(len(table.columns)):
        headers = list(sheet.headers[position : position + 1])
        longest = max((len(str(v)) for v in [*headers, *columns[position]]), default=0)
        width = min(max(WIDTH_RANGE[0], longest + 2), WIDTH_RANGE[1])
        worksheet.set_column(position, position, width)
    column_formats: list[Format | None] = []
    for column in table.columns:
        pattern = number_format(str(column), table[column])
        if pattern is not None and pattern not in formats:
            formats[pattern] = book.add_format({"num_format": pattern})
        column_formats.append(None if pattern is None else formats[pattern])
    worksheet.freeze_panes(1, 0)
    for position, text in enumerate(sheet.headers):
        worksheet.write_string(0, position, text, header)
    for row, values in enumerate(zip(*columns, strict=True), start=1):
        for position, value in enumerate(values):
            if isinstance(value, str):
                worksheet.write_string(row, position, value)
            elif isinstance(value, bool):
                worksheet.write_boolean(row, position, value)
            elif isinstance(value, (int, float)):
                worksheet.write_number(row, position, value, column_formats[position])
            else:
                worksheet.write_string(row, position, str(value))


def column_cells(values: pd.Series, boolean: bool = False) -> list[str | bool | int | float]:
    """A column's cells as Python values: unknown as ``non renseigné``, booleans in words.

    Parameters
    ----------
    values
        The column.
    boolean
        Write truth values ``oui``/``non``.

    Returns
    -------
    list
        Strings, Python numbers and (outside ``boolean`` columns) Python booleans.

    Examples
    --------
    >>> column_cells(pd.Series([1.5, None]))
    [1.5, 'non renseigné']
    >>> column_cells(pd.Series([True, None], dtype="boolean"), boolean=True)
    ['oui', 'non renseigné']
    """
    missing = values.isna().to_numpy()
    if boolean:
        return [
            UNKNOWN if gone else ("oui" if bool(v) else "non")
            for v, gone in zip(values.tolist(), missing, strict=True)
        ]
    return [
        UNKNOWN if gone else (v.item() if hasattr(v, "item") else v)
        for v, gone in zip(values.tolist(), missing, strict=True)
    ]


def number_format(column: str, values: pd.Series) -> str | None:
    """The Excel number format of a numeric column, from its name and values.

    Shares (``part…``, ``share…``) as percentages, counts and populations with a
    thousands separator, scores with two decimals, other numbers with one.

    Examples
    --------
    >>> number_format("population", pd.Series([1200, 35]))
    '# ##0'
    >>> number_format("part_a_30_min", pd.Series([0.25]))
    '0.0%'
    >>> number_format("commune", pd.Series(["Modane"])) is None
    True
    """
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    if "part" in column or column.startswith("share"):
        return "0.0%"
    if pd.api.types.is_integer_dtype(values) or column in ("population", "Population"):
        return "# ##0"
    return "0.0" if "score" not in column.lower() else "0.00"


def sheet_title(label: str) -> str:
    """Excel sheet titles: at most 31 characters, no ``[]:*?/\\``.

    Examples
    --------
    >>> sheet_title("Services publics / emploi")
    'Services publics   emploi'
    """
    for character in "[]:*?/\\":
        label = label.replace(character, " ")
    return label[:31]
