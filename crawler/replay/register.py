"""The register of unfair suppliers (РНП) of the replay: its search page and its search feed.

Laid out after the real feed in tests/crawler/eis_results (``rnp_rss_search_STROY.xml``): the
channel titled «Подписка на результаты поиска по РНП для …», one item «Запись №N в 44-ФЗ» per
entry with the entry's card as its link and the search parameters, then the entry's fields, as
«<strong>Label: </strong>value<br/>» pairs escaped once in ``<description>``.

Who is in it: every fifth INN, by a checksum of the INN (so the demo market's usual winners
include some), with one entry in force each: included up to 400 days before the replay's day,
for two years. The register answers a search for an INN with that INN's entry (the real search
matches words: a search for a name fragment here finds nothing). As the real site does (a public
project's live captures, crawler.spiders.eis_rnp), the feed answers a bare 404 without the search
page's session cookie or without a browser's User-Agent.
"""

from __future__ import annotations

import html
import zlib
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from email.utils import format_datetime
from urllib.parse import quote

from data.results import UnfairSupplierEntry

SESSION_COOKIE = "session-cookie"
NOT_FOUND_PAGE = (
    b"<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center>"
    b"<hr><center>nginx</center></body></html>\n"
)
SEARCH_PAGE = (
    '<!DOCTYPE html>\n<html lang="ru">\n<head><meta charset="UTF-8">'
    "<title>Реестр недобросовестных поставщиков</title></head>\n"
    '<body>\n<div class="search-results__total">Поиск по реестру</div>\n</body>\n</html>\n'
).encode()
_REGISTERS = (
    "Реестр недобросовестных поставщиков (подрядчиков, исполнителей) (44-ФЗ), Реестр недобросовестных "
    "поставщиков (223-ФЗ), Реестр недобросовестных подрядных организаций (ПП РФ 615)"
)


def entries_for(inn: str, today: date) -> list[UnfairSupplierEntry]:
    """The register's entries of one INN (none for four INNs in five)."""
    key = zlib.crc32(inn.encode())
    if not inn.isdigit() or key % 5:
        return []
    included = today - timedelta(days=key % 400)
    number = str(26_000_000 + key % 900_000)
    return [
        UnfairSupplierEntry(
            registry_number=number,
            listed_under="44-ФЗ",
            inn=inn,
            name=f'ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ "ПОСТАВЩИК {inn[-4:]}"',
            included_on=included,
            updated_on=included,
            exclusion_planned_on=included + timedelta(days=730),
            status="Размещено",
            eruz_number=str(20_000_000 + key % 9_000_000),
            url=f"/epz/dishonestsupplier/view/info.html?reestrNumber={number}&law=FZ44",
        )
    ]


def render_feed(search: str, query_string: str, entries: list[UnfairSupplierEntry]) -> bytes:
    """The feed of a search, in the real feed's layout."""
    items = "".join(_item(search, entry) for entry in entries)
    link = f"/epz/dishonestsupplier/search/results.html?searchString={quote(search)}&{query_string}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n  <channel>\n'
        f"    <title>Подписка на результаты поиска по РНП для {html.escape(search)}</title>\n"
        f"    <link>{html.escape(link)}</link>\n    <description />\n{items}  </channel>\n</rss>\n"
    ).encode()


def _item(search: str, entry: UnfairSupplierEntry) -> str:
    fields = [
        ("Параметры поиска", ""),
        ("Искомое слово (словосочетание)", search),
        ("Отображать сведения из", _REGISTERS + "<br/>"),
        ("Найденный результат", ""),
        ("Реестровый номер", entry.registry_number),
        ("Относится к", entry.listed_under),
        ("Наименование(ФИО) недобросовестного поставщика", entry.name or ""),
        ("ИНН (аналог ИНН)", entry.inn),
        ("Включено", _day(entry.included_on)),
        ("Обновлено", _day(entry.updated_on)),
        ("Планируемая дата исключения", _day(entry.exclusion_planned_on)),
        ("Статус записи", entry.status or ""),
        ("Номер реестровой записи ЕРУЗ", entry.eruz_number or ""),
    ]
    description = "".join(f"<strong>{label}: </strong>{value}<br/>" for label, value in fields)
    published = datetime.combine(entry.updated_on or date(2026, 1, 1), time(), UTC)
    return (
        "    <item>\n"
        f"      <title>Запись №{entry.registry_number} в {html.escape(entry.listed_under)}</title>\n"
        f"      <link>{html.escape(entry.url or '')}</link>\n"
        f"      <description>{html.escape(description, quote=False)}</description>\n"
        f"      <pubDate>{format_datetime(published, usegmt=True)}</pubDate>\n"
        "    </item>\n"
    )


def _day(value: date | None) -> str:
    return f"{value:%d.%m.%Y}" if value else ""
