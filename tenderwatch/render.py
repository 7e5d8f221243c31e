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
import sys
import tempfile
import textwrap
import types
import typing
from collections.abc import Collection
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import fields
from dataclasses import is_dataclass
from datetime import date
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.console import JustifyMethod
from rich.table import Table

from data.formatting import KIND_LABELS
from data.formatting import LAW_LABELS
from data.formatting import format_money
from data.formatting import to_kopeck
from data.notice import MOSCOW

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

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
"""Single-word text up to this long (registry numbers, codes, names) is kept whole like a number."""
FREE_TEXT_MIN_WIDTH = 10
"""Free text (titles, reasons, customers) folds, but never into a column narrower than this."""
TABLE_FILE_WIDTH = 200
TABLE_CHARS_PER_COLUMN = 3
TABLE_EDGE_CHARS = 1
"""A Rich table with the default box and padding: a border and a space either side per column."""
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


HEADERS: dict[str, str] = {
    "antidumping_threshold": "Антидемпинг",
    "applications": "Заявок",
    "assumption": "Допущение",
    "auction_date": "Дата аукциона",
    "bid_security": "Обесп. заявки",
    "calibrated": "По результатам",
    "cancelled": "Отменено",
    "contract_security": "Обесп. контракта",
    "contract_security_antidumping": "Обесп. при демпинге",
    "currency": "Валюта",
    "customer": "Заказчик",
    "customer_inn": "ИНН заказчика",
    "days_left": "Дней",
    "days_to_auction": "Дней до аукц.",
    "deadline": "Срок подачи (МСК)",
    "delivery": "Поставка",
    "delivery_regions": "Регионы поставки",
    "dimension": "Разрез",
    "discount_mean": "Скидка средняя",
    "discount_median": "Скидка медиана",
    "discount_q1": "Скидка Q1",
    "discount_q3": "Скидка Q3",
    "discounts_bp": "Скидки б.п.",
    "duration_seconds": "Длит. с",
    "end": "Конец",
    "error_rate": "Доля ошибок",
    "errors": "Ошибок",
    "failed_share": "Доля несостоявшихся",
    "figure": "Показатель",
    "finished": "Завершено",
    "finished_at": "Завершён",
    "group": "Группа",
    "hours_left": "Осталось часов",
    "inn": "ИНН",
    "kind": "Вид",
    "law": "Закон",
    "market_price": "Рыночная цена",
    "match": "Совпадение",
    "matched_at": "Совпало (МСК)",
    "found_at": "Найдено (МСК)",
    "similarity": "Близость",
    "median_nmck": "НМЦК медиана",
    "method": "Способ",
    "name": "Наименование",
    "nmck": "НМЦК",
    "nmck_band": "Диапазон НМЦК",
    "nmck_range": "Диапазон НМЦК",
    "notice": "Закупка",
    "notices": "Закупок",
    "notices_changed": "Изменённых",
    "notices_new": "Новых",
    "okpd2": "ОКПД2",
    "outcome": "Итог",
    "pages": "Страниц",
    "platform": "Площадка",
    "participants_mean": "Участников в среднем",
    "participants_median": "Участников медиана",
    "person": "Сотрудник",
    "priced": "С ценой",
    "profile": "Профиль",
    "profiles": "Профили",
    "published_at": "Опубликовано (МСК)",
    "purchases": "Закупок",
    "reason": "Причина",
    "reasons": "Почему подходит",
    "reg_number": "Номер",
    "region": "Регион",
    "region_name": "Название региона",
    "register_checked": "РНП: проверен",
    "register_entries": "РНП: записей",
    "register_until": "РНП: до",
    "requests": "Запросов",
    "run_id": "Обход",
    "score": "Совпадение",
    "segment": "Сегмент",
    "single_share": "Доля с одним участником",
    "smp_only": "Только СМП",
    "source": "Источник",
    "start": "Начало",
    "started_at": "Начат (МСК)",
    "status": "Статус",
    "steps_to_antidumping": "Шагов до порога",
    "taken_at": "Взято (МСК)",
    "taken_by": "Взял(а)",
    "title": "Наименование закупки",
    "total_nmck": "НМЦК сумма",
    "url": "Ссылка",
    "value": "Значение",
    "week_start": "Неделя с",
    "win_probability_at_antidumping": "Победа на пороге",
    "win_rate": "Доля побед",
    "winners": "Победителей",
    "wins": "Побед",
    "with_discount": "Со скидкой",
}
"""Column headers as Russian users read them (tables, XLSX, CSV for Russian Excel); the field names
stay the keys of JSON and of the default CSV, which programs read. A field not listed shows its name."""
VALUE_LABELS: dict[str, dict[str, str]] = {
    "law": LAW_LABELS,
    "kind": KIND_LABELS,
    "outcome": {"ok": "успешно", "partial": "частично", "failed": "ошибка", "running": "идёт"},
    "status": {"new": "новое", "taken": "в работе", "skipped": "не интересно"},
    "dimension": {"total": "итого", "method": "способ", "week": "неделя"},
    "group": {"all": "все"},
}
"""Coded values shown in words to people (44-FZ -> 44-ФЗ, auction -> электронный аукцион...)."""


class RenderError(Exception):
    """Rows could not be rendered or written; the message names the file or the format."""


class CsvDialect(StrEnum):
    """``plain``: for programs (field names, ``1234567.89``, ISO times, ``,``). ``excel-ru``: for
    Russian Excel, which splits at ``;`` and reads ``,`` as the decimal sign: Russian headers,
    ``1234567,89``, ``03.12.2026 14:00`` (Moscow), words for coded values; files get a BOM either way."""

    plain = "plain"
    excel_ru = "excel-ru"


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
        return HEADERS.get(self.name, self.name.replace("_", " "))

    def shown(self, value: Any) -> str:
        """The cell a person reads: ``display``, with coded values in words."""
        text = display(value, self.kind)
        return VALUE_LABELS.get(self.name, {}).get(text, text)


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
        return "да" if value else "нет"
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


def _xlsx_cell(value: Any, column: Column) -> Any:
    if value is None:
        return None
    if column.kind == "money":
        return to_kopeck(value)
    if column.kind == "datetime":
        return _moscow(value).replace(tzinfo=None)  # Excel has no time zones: show the Moscow wall clock
    if column.kind == "text":
        return column.shown(value)
    return value  # numbers, dates and booleans stay typed cells


# --- formats ----------------------------------------------------------------------------------


def _values(row: Any, columns: Sequence[Column]) -> list[Any]:
    return [getattr(row, c.name) for c in columns]


@dataclass(frozen=True)
class _TableColumn:
    column: Column
    values: list[str]
    whole: bool
    """Money, dates, numbers, codes: shown whole on one line. Otherwise free text that folds."""

    @property
    def min_width(self) -> int:
        if not self.whole:
            return min(FREE_TEXT_MIN_WIDTH, max(map(cell_len, self.values), default=FREE_TEXT_MIN_WIDTH))
        return max([cell_len(v) for v in self.values] + [len(w) for w in self.column.header.split()])

    def add_to(self, table: Table) -> None:
        justify: JustifyMethod = "right" if self.column.kind in ("money", "int", "rate") else "left"
        if self.whole:
            # The header wraps at spaces so it never widens (or gets cut in) a column of short values.
            header = "\n".join(textwrap.wrap(self.column.header, self.min_width))
            table.add_column(header, justify=justify, no_wrap=True, min_width=self.min_width)
        else:
            table.add_column(self.column.header, justify=justify, overflow="fold", min_width=self.min_width)


def to_table(
    rows: Sequence[Any], columns: Sequence[Column], *, title: str, width: int | None = None
) -> Table:
    """Money, dates, numbers and codes are never wrapped or cut; only free text folds to fit.

    Rich squeezes every column alike once the wrappable ones are at their minimum, which cut
    ``22.11.2026`` to ``22.11.202`` and left titles zero columns wide. So whole-value columns get
    the width of their widest value, free text at least ``FREE_TEXT_MIN_WIDTH``, and columns that
    do not fit in ``width`` (the terminal) are left out from the end of ``columns`` (put the
    important ones first) and named in the caption: a cut figure would be worse than none.
    """
    cells = [[c.shown(v) for v, c in zip(_values(row, columns), columns, strict=True)] for row in rows]
    planned = [
        _TableColumn(column, values := [line[i] for line in cells], _whole_values(column, values))
        for i, column in enumerate(columns)
    ]
    shown = _fitting(planned, width)
    left_out = [p.column.header for p in planned[len(shown) :]]
    caption = f"строк: {len(rows)}" if rows else "нет строк"
    if left_out:
        caption += f"; не поместились: {', '.join(left_out)} (все колонки: --format csv, xlsx или json)"
    table = Table(title=title, caption=caption)
    for column in shown:
        column.add_to(table)
    for line in cells:
        table.add_row(*line[: len(shown)])
    return table


def _fitting(planned: list[_TableColumn], width: int | None) -> list[_TableColumn]:
    """The leading columns whose minimum widths, padding and borders fit in ``width``."""
    if width is None:
        return planned
    used = TABLE_EDGE_CHARS
    for count, column in enumerate(planned):
        used += column.min_width + TABLE_CHARS_PER_COLUMN
        if used > width:
            return planned[: max(count, 1)]
    return planned


def _whole_values(column: Column, values: Sequence[str]) -> bool:
    """Everything but free text: typed values, and text that is one short word (a code, a number)."""
    if column.kind != "text":
        return True
    return all(len(v) <= NO_WRAP_CHARS and len(v.split()) <= 1 for v in values)


def to_csv(rows: Sequence[Any], columns: Sequence[Column], dialect: CsvDialect = CsvDialect.plain) -> str:
    buffer = io.StringIO()
    if dialect == CsvDialect.excel_ru:
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow([c.header for c in columns])
        for row in rows:
            writer.writerow(
                [_excel_ru_cell(v, c) for v, c in zip(_values(row, columns), columns, strict=True)]
            )
        return buffer.getvalue()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.name for c in columns])
    for row in rows:
        writer.writerow([_csv_cell(v, c.kind) for v, c in zip(_values(row, columns), columns, strict=True)])
    return buffer.getvalue()


def _excel_ru_cell(value: Any, column: Column) -> str:
    """A number Russian Excel reads as a number (``,`` decimals, no grouping), else the shown text."""
    if value is None:
        return ""
    if column.kind == "money":
        return str(to_kopeck(value)).replace(".", ",")
    if column.kind == "rate":
        return f"{value:.6g}".replace(".", ",")
    return column.shown(value)


def to_json(rows: Sequence[Any], columns: Sequence[Column]) -> str:
    data = [{c.name: plain(getattr(row, c.name), c.kind) for c in columns} for row in rows]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def to_xlsx(rows: Sequence[Any], columns: Sequence[Column], *, title: str) -> bytes:
    """One sheet: bold frozen header with a filter, typed cells, widths fitted to the shown text."""
    # openpyxl takes 0.4 s to import: every command renders through this module, few write XLSX.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook's one sheet (openpyxl types it loosely)
    sheet.title = _sheet_title(title)
    sheet.append([c.header for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(c.header) for c in columns]
    for row in rows:
        values = _values(row, columns)
        sheet.append([_xlsx_cell(v, c) for v, c in zip(values, columns, strict=True)])
        for i, (value, column) in enumerate(zip(values, columns, strict=True)):
            widths[i] = max(widths[i], len(column.shown(value)))
    for i, column in enumerate(columns, start=1):
        letter = get_column_letter(i)
        number_format = XLSX_FORMATS.get(column.kind)
        if number_format and rows:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = number_format
        sheet.column_dimensions[letter].width = min(
            MAX_COLUMN_WIDTH, max(MIN_COLUMN_WIDTH, widths[i - 1] + 2)
        )
    _link_cells(sheet, columns)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


LINK_COLUMNS = frozenset({"url"})


def _link_cells(sheet: Worksheet, columns: Sequence[Column]) -> None:
    """EIS links open with a click: each http(s) URL cell becomes a hyperlink to itself."""
    for i, column in enumerate(columns, start=1):
        if column.name not in LINK_COLUMNS:
            continue
        for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
            if isinstance(cell.value, str) and cell.value.startswith(("http://", "https://")):
                cell.hyperlink = cell.value
                cell.style = "Hyperlink"


def _sheet_title(title: str) -> str:
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    return (cleaned or "report")[:SHEET_TITLE_CHARS]


def _chosen(columns: list[Column], names: Sequence[str] | None, row_type: type) -> list[Column]:
    if names is None:
        return columns
    by_name = {c.name: c for c in columns}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise RenderError(f"{row_type.__name__} has no column {', '.join(unknown)}")
    return [by_name[n] for n in names]


# --- output -----------------------------------------------------------------------------------


STDOUT = Path("-")
"""``--out -``: the report goes to standard output, as Unix tools read a lone dash."""


def write_output(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path``: a regular file whole or not at all (a temporary sibling, then a
    rename, with the mode a new file gets or the one the old file had); through a symlink to the
    file it names (the link stays); straight into anything else (``/dev/stdout``, a pipe), which a
    rename would have replaced with a regular file."""
    payload = data.encode("utf-8-sig") if isinstance(data, str) and path.suffix.lower() == ".csv" else data
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    target = path.resolve() if path.is_symlink() else path
    try:
        if target.exists() and not target.is_file():
            with target.open("wb") as stream:
                stream.write(payload)
            return
        _replace_atomically(target, payload)
    except OSError as exc:
        raise RenderError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _replace_atomically(path: Path, payload: bytes) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise RenderError(f"cannot write {path}: folder {directory} does not exist")
    mode = path.stat().st_mode & 0o777 if path.exists() else _new_file_mode()
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(payload)
        os.chmod(temporary, mode)  # mkstemp makes it 0600: a report is as readable as any new file
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def emit(
    rows: Sequence[Any],
    row_type: type,
    *,
    fmt: OutputFormat,
    title: str,
    out: Path | None = None,
    console: Console,
    table_columns: Sequence[str] | None = None,
    table_hide: Collection[str] = (),
    csv_dialect: CsvDialect = CsvDialect.plain,
) -> None:
    """Render ``rows`` in ``fmt`` to ``out`` or the console.

    A terminal fits a dozen columns, a file any number: ``table_columns`` (in that order) and
    ``table_hide`` choose what a table shows; CSV, XLSX and JSON always keep every column.
    """
    columns = columns_for(row_type)
    if out == STDOUT:
        if fmt == OutputFormat.xlsx:
            sys.stdout.buffer.write(to_xlsx(rows, columns, title=title))
            sys.stdout.flush()
            return
        out = None
    if fmt == OutputFormat.table:
        shown = [c for c in _chosen(columns, table_columns, row_type) if c.name not in table_hide]
        if out is None:
            console.print(to_table(rows, shown, title=title, width=console.width))
            return
        buffer = io.StringIO()
        Console(file=buffer, width=TABLE_FILE_WIDTH, color_system=None).print(
            to_table(rows, shown, title=title, width=TABLE_FILE_WIDTH)
        )
        write_output(out, buffer.getvalue())
        return
    if fmt == OutputFormat.xlsx:
        if out is None:
            raise RenderError("--format xlsx writes a binary file: give --out FILE.xlsx")
        write_output(out, to_xlsx(rows, columns, title=title))
        return
    text = to_csv(rows, columns, csv_dialect) if fmt == OutputFormat.csv else to_json(rows, columns)
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_output(out, text)
