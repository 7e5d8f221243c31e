"""The EIS search of the register of unfair suppliers (РНП) as RSS -> ``UnfairSupplierEntry``.

Read after a real feed captured from zakupki.gov.ru on 13 August 2026 (tests/crawler/eis_results,
``rnp_rss_search_STROY.xml``): ``/epz/dishonestsupplier/search/rss`` answers a search like the
notice feed, one ``<item>`` per entry, its ``<link>`` the entry's card
(``/epz/dishonestsupplier/view/info.html?reestrNumber=…&law=FZ44``) and its ``<description>`` the
entry's fields as «<strong>Label: </strong>value<br/>» pairs, after the search's own parameters:
«Реестровый номер», «Относится к» (the register: «44-ФЗ»…), «Наименование(ФИО) недобросовестного
поставщика», «ИНН (аналог ИНН)», «Включено», «Обновлено», «Планируемая дата исключения»,
«Статус записи», «Номер реестровой записи ЕРУЗ». No reason for the inclusion is given.

The search matches words, not INNs: a search for an INN may list other companies, so whoever
asks about one INN keeps the entries of that INN only (``entries_of``).
"""

from __future__ import annotations

from lxml import etree
from pydantic import ValidationError

from crawler.parsers.common import ParseError
from crawler.parsers.common import clean
from crawler.parsers.common import local
from crawler.parsers.common import parse_date
from crawler.parsers.rss import EIS_BASE
from crawler.parsers.rss import description_fields
from data.results import UnfairSupplierEntry

REGISTER_PATH = "/epz/dishonestsupplier/"
"""Every link of the register's feed starts with it (the channel's search, each entry's card)."""

_NUMBER = "Реестровый номер"
_REGISTER = "Относится к"
_NAME = "Наименование(ФИО) недобросовестного поставщика"
_INN = "ИНН (аналог ИНН)"
_INCLUDED = "Включено"
_UPDATED = "Обновлено"
_EXCLUSION = "Планируемая дата исключения"
_STATUS = "Статус записи"
_ERUZ = "Номер реестровой записи ЕРУЗ"
"""The labels of the fields of a register item's description (``description_fields``), as the EIS
writes them."""


def is_register_feed(root: etree._Element) -> bool:
    """Whether an RSS feed is the register's search (its links point into the register)."""
    channel = root.find("channel")
    links = [channel.findtext("link") or ""] if channel is not None else []
    links += [item.findtext("link") or "" for item in root.iterfind("channel/item")]
    return any(REGISTER_PATH in link for link in links)


def parse_rnp_rss(root: etree._Element, source: str) -> list[UnfairSupplierEntry]:
    """Every entry of the feed, in feed order; an item without a registry number or INN is an error
    (the feed always has both: a change of its layout must not pass silently)."""
    if local(root.tag) != "rss" or root.find("channel") is None:
        raise ParseError(source, "not an RSS feed with a <channel>")
    entries = []
    for index, item in enumerate(root.iterfind("channel/item"), 1):
        fields = description_fields(item.findtext("description") or "")
        number, inn = fields.get(_NUMBER), fields.get(_INN)
        if not number or not inn:
            raise ParseError(source, f"register entry {index} has no «{_NUMBER}» or «{_INN}»")
        link = clean(item.findtext("link"))
        try:
            entries.append(
                UnfairSupplierEntry(
                    registry_number=number,
                    listed_under=fields.get(_REGISTER) or "?",
                    inn=inn,
                    name=fields.get(_NAME),
                    included_on=parse_date(fields.get(_INCLUDED)),
                    updated_on=parse_date(fields.get(_UPDATED)),
                    exclusion_planned_on=parse_date(fields.get(_EXCLUSION)),
                    status=fields.get(_STATUS),
                    eruz_number=fields.get(_ERUZ),
                    url=EIS_BASE + link if link and link.startswith("/") else link,
                )
            )
        except ValidationError as exc:
            raise ParseError(source, f"register entry {index} does not fit the model: {exc}") from None
    return entries


def entries_of(entries: list[UnfairSupplierEntry], inn: str) -> list[UnfairSupplierEntry]:
    """The entries of one INN among what a search for it listed."""
    return [entry for entry in entries if entry.inn == inn]
