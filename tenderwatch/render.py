"""Rows -> Rich table, CSV, XLSX or JSON, and the ``--out FILE`` writer every row-printing command uses.

Rows are dataclasses with typed fields (``Decimal`` money, aware ``datetime``, ``date``, ``int``,
``float`` rates, ``bool``, ``str``); the column kind comes from the field's type, so a new report
needs no rendering code. Each format keeps the types its readers need:

* table: money as ``1 234 567,89 ₽``, times in Moscow (the EIS calendar), rates as percents;
* CSV: machine-readable (money ``1234567.89``, ISO 8601 times with offset), UTF-8 with a BOM in
  files so Excel opens Cyrillic correctly;
* XLSX: money as numbers with a rouble number format, real date/datetime cells, fitted widths;
* JSON: money as strings to the kopeck (a float would lose them), ISO times.

Files are written to a temporary sibling and renamed, so a failed write never leaves half a file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import types
import typing
from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import typer
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from rich.console import Console
from rich.table import Table

from data.formatting import format_money, to_kopeck

MOSCOW = ZoneInfo("Europe/Moscow")
Kind = Literal["money", "datetime", "date", "int", "rate", "bool", "text"]

XLSX_MONEY_FORMAT = '#,##0.00\\ "₽"'
"""Shown as ``1 234 567,89 ₽`` by a Russian-locale Excel: format codes store the invariant
separators (``,`` groups, ``.`` decimals) and Excel substitutes the locale's own."""
XLSX_FORMATS: dict[str, str] = {
    "money": XLSX_MONEY_FORMAT,
    "datetime": "DD.MM.YYYY HH:MM",
    "date": "DD.MM.YYYY",
    "rate": "0.0%",
    "int": "0",
}
MAX_COLUMN_WIDTH = 60
MIN_COLUMN_WIDTH = 6
NO_WRAP_CHARS = 24
"""Table cells up to this long are kept on one line (registry numbers, money, dates)."""
SHEET_TITLE_CHARS = 31
"""Excel refuses longer sheet names."""
_KIND_OF_TYPE: dict[type, Kind] = {
    Decimal: "money",
    datetime: "datetime",
    date: "date",
    bool: "bool",
    int: "int",
    float: "rate",
    str: "text",
}


class RenderError(Exception):
    """Rows could not be rendered or written; the message names the file or the format."""


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    xlsx = "xlsx"
    json = "json"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind

    @property
    def header(self) -> str:
        return self.name.replace("_", " ")


def columns_for(row_type: type) -> list[Column]:
    """Columns of a row dataclass in field order, each typed from its annotation."""
    if not is_dataclass(row_type):
        raise RenderError(f"{row_type!r} is not a row dataclass")
    hints = typing.get_type_hints(row_type)
    return [Column(f.name, _kind(hints[f.name], f"{row_type.__name__}.{f.name}")) for f in fields(row_type)]


def _kind(hint: Any, where: str) -> Kind:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        concrete = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(concrete) != 1:
            raise RenderError(f"{where}: a column must have one type besides None, got {hint}")
        hint = concrete[0]
    for python_type, kind in _KIND_OF_TYPE.items():
        if hint is python_type:
            return kind
    raise RenderError(f"{where}: no column kind for type {hint!r}")


def _moscow(moment: datetime) -> datetime:
    return moment.astimezone(MOSCOW)


# --- cell values per format -------------------------------------------------------------------


def display(value: Any, kind: Kind) -> str:
    """The text a person reads (tables, and the width of XLSX columns)."""
    if value is None:
        return ""
    if kind == "money":
        return format_money(value)
    if kind == "datetime":
        return _moscow(value).strftime("%d.%m.%Y %H:%M")
    if kind == "date":
        return value.strftime("%d.%m.%Y")
    if kind == "rate":
        return f"{value:.1%}"
    if kind == "bool":
        return "yes" if value else "no"
    return str(value)


def plain(value: Any, kind: Kind) -> Any:
    """The JSON value: money as a kopeck string, times as ISO 8601 (Moscow offset), the rest native."""
    if value is None:
        return None
    if kind == "money":
        return str(to_kopeck(value))
    if kind == "datetime":
        return _moscow(value).isoformat()
    if kind == "date":
        return value.isoformat()
    return value


def _csv_cell(value: Any, kind: Kind) -> str:
    if value is None:
        return ""
    if kind == "bool":
        return "yes" if value else "no"
    return str(plain(value, kind))


def _xlsx_cell(value: Any, kind: Kind) -> Any:
    if value is None:
        return None
    if kind == "money":
        return to_kopeck(value)
    if kind == "datetime":
        return _moscow(value).replace(tzinfo=None)  # Excel has no time zones: show the Moscow wall clock
    return value


# --- formats ----------------------------------------------------------------------------------


def _values(row: Any, columns: Sequence[Column]) -> list[Any]:
    return [getattr(row, c.name) for c in columns]


def to_table(rows: Sequence[Any], columns: Sequence[Column], *, title: str) -> Table:
    """Short values (numbers, codes, registry numbers) never wrap; long text folds to fit the terminal."""
    table = Table(title=title, caption=f"{len(rows)} rows" if rows else "no rows")
    cells = [
        [display(v, c.kind) for v, c in zip(_values(row, columns), columns, strict=True)] for row in rows
    ]
    for i, column in enumerate(columns):
        numeric = column.kind in ("money", "int", "rate")
        short = all(len(line[i]) <= NO_WRAP_CHARS for line in cells)
        table.add_column(
            column.header, justify="right" if numeric else "left", overflow="fold", no_wrap=numeric or short
        )
    for line in cells:
        table.add_row(*line)
    return table


def to_csv(rows: Sequence[Any], columns: Sequence[Column]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.name for c in columns])
    for row in rows:
        writer.writerow([_csv_cell(v, c.kind) for v, c in zip(_values(row, columns), columns, strict=True)])
    return buffer.getvalue()


def to_json(rows: Sequence[Any], columns: Sequence[Column]) -> str:
    data = [{c.name: plain(getattr(row, c.name), c.kind) for c in columns} for row in rows]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def to_xlsx(rows: Sequence[Any], columns: Sequence[Column], *, title: str) -> bytes:
    """One sheet: bold frozen header with a filter, typed cells, widths fitted to the shown text."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title(title)
    sheet.append([c.header for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(c.header) for c in columns]
    for row in rows:
        values = _values(row, columns)
        sheet.append([_xlsx_cell(v, c.kind) for v, c in zip(values, columns, strict=True)])
        for i, (value, column) in enumerate(zip(values, columns, strict=True)):
            widths[i] = max(widths[i], len(display(value, column.kind)))
    for i, column in enumerate(columns, start=1):
        letter = get_column_letter(i)
        number_format = XLSX_FORMATS.get(column.kind)
        if number_format and rows:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = number_format
        sheet.column_dimensions[letter].width = min(
            MAX_COLUMN_WIDTH, max(MIN_COLUMN_WIDTH, widths[i - 1] + 2)
        )
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    return (cleaned or "report")[:SHEET_TITLE_CHARS]


# --- output -----------------------------------------------------------------------------------


def write_output(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (temporary sibling, then rename)."""
    payload = data.encode("utf-8-sig") if isinstance(data, str) and path.suffix.lower() == ".csv" else data
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise RenderError(f"cannot write {path}: folder {directory} does not exist")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(payload)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise RenderError(f"cannot write {path}: {exc.strerror or exc}") from exc


def emit(
    rows: Sequence[Any],
    row_type: type,
    *,
    fmt: OutputFormat,
    title: str,
    out: Path | None = None,
    console: Console,
    table_hide: Collection[str] = (),
) -> None:
    """Render ``rows`` in ``fmt`` to ``out`` or the console; ``table_hide`` drops wide columns from tables."""
    columns = columns_for(row_type)
    if fmt == OutputFormat.table:
        shown = [c for c in columns if c.name not in table_hide]
        table = to_table(rows, shown, title=title)
        if out is None:
            console.print(table)
            return
        buffer = Console(file=io.StringIO(), width=200, color_system=None)
        buffer.print(table)
        write_output(out, buffer.file.getvalue())  # type: ignore[attr-defined]
        return
    if fmt == OutputFormat.xlsx:
        if out is None:
            raise RenderError("--format xlsx writes a binary file: give --out FILE.xlsx")
        write_output(out, to_xlsx(rows, columns, title=title))
        return
    text = to_csv(rows, columns) if fmt == OutputFormat.csv else to_json(rows, columns)
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_output(out, text)
