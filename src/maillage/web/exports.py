"""CSV and XLSX exports of the staff side (French headers, ``;`` and decimal comma).

Free text that a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@`` first) is
prefixed with an apostrophe (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: Any) -> Any:
    """A value a spreadsheet shows as text, never runs as a formula.

    Examples
    --------
    >>> safe_cell("=HYPERLINK(1)"), safe_cell("Mairie"), safe_cell(2.5)
    ("'=HYPERLINK(1)", 'Mairie', 2.5)
    """
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + value
    return value


def _french_number(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:.6g}".replace(".", ",")
    return value


def csv_response(
    filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    """A CSV download for French spreadsheets (UTF-8 with BOM, ``;``, decimal comma)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_french_number(safe_cell(v)) for v in row])
    response = HttpResponse(buffer.getvalue(), content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(
    filename: str, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    """An XLSX download: one sheet, bold headers."""
    workbook = Workbook()
    sheet = workbook.active or workbook.create_sheet()
    sheet.title = title[:31]
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
