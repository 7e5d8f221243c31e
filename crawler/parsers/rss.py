"""The extended-search RSS 2.0 feed (``/epz/order/extendedsearch/rss.html``) -> listing notices.

Feed quirks (all seen in the real capture): items have no ``<guid>`` (the registry number comes
from ``<link>``); ``<title>`` is «<method> №<number>» and the method itself may contain «№»
(«... статьи 93 Закона № 44-ФЗ»); ``<description>`` is HTML escaped once inside the XML with
``highlightColor`` spans left unclosed, so it is entity-decoded and then stripped with a regex,
never parsed as an HTML tree (a tree would swallow the rest of the item into the open span).
"""

from __future__ import annotations

import html
import logging
import re
from datetime import datetime
from email.utils import parsedate_to_datetime

from lxml import etree
from pydantic import ValidationError

from crawler.parsers.common import DATE_ONLY_NOTE
from crawler.parsers.common import MOSCOW
from crawler.parsers.common import ParseError
from crawler.parsers.common import clean
from crawler.parsers.common import currency_code
from crawler.parsers.common import date_start
from crawler.parsers.common import inn_kpp_from_ikz
from crawler.parsers.common import law_from_label
from crawler.parsers.common import law_from_reg_number
from crawler.parsers.common import local
from crawler.parsers.common import parse_date
from crawler.parsers.common import parse_money
from crawler.parsers.common import reg_number_from_url
from crawler.parsers.methods import kind_for
from data.notice import Notice
from data.reference.regions import derive_regions

log = logging.getLogger(__name__)

SOURCE_ID = "rss"
EIS_BASE = "https://zakupki.gov.ru"

_TITLE = re.compile(r"^(?P<method>.*?)\s*№\s*(?P<number>\d{11,19})\s*$", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
# «<strong>Label: </strong>value»; the label may also be glued to the previous value
# («506000.00<strong> Валюта: </strong>Российский рубль»), so labels are found anywhere.
_LABEL = re.compile(r"<strong>\s*([^<:]+?)\s*:\s*</strong>", re.IGNORECASE)

_OBJECT = "Наименование объекта закупки"
_LAW = "Размещение выполняется по"
_CUSTOMER = "Наименование Заказчика"
_PRICE = "Начальная цена контракта"
_CURRENCY = "Валюта"
_PUBLISHED = "Размещено"
_UPDATED = "Обновлено"
_STAGE = "Этап размещения"
_IKZ = "Идентификационный код закупки (ИКЗ)"


def parse_rss(root: etree._Element, source: str) -> list[Notice]:
    """Every procurement item of the feed, in feed order (newest first)."""
    if local(root.tag) != "rss":
        raise ParseError(source, f"not an RSS feed: root element <{local(root.tag)}>")
    channel = root.find("channel")
    if channel is None:
        raise ParseError(source, "RSS feed without a <channel>")
    notices = []
    for index, item in enumerate(channel.iterfind("item"), 1):
        try:
            notice = _item(item, index, source)
        except ValidationError as exc:
            raise ParseError(source, f"RSS item {index} does not fit the Notice model: {exc}") from None
        if notice is not None:
            notices.append(notice)
    return notices


def _item(item: etree._Element, index: int, source: str) -> Notice | None:
    link = clean(item.findtext("link"))
    url = EIS_BASE + link if link and link.startswith("/") else link
    title = clean(item.findtext("title")) or ""
    m = _TITLE.match(title)
    reg_number = reg_number_from_url(url) or (m.group("number") if m else None)
    if reg_number is None:
        raise ParseError(source, f"RSS item {index} has no registry number in <link> or <title> ({title!r})")
    fields = description_fields(item.findtext("description") or "")
    law = law_from_label(fields.get(_LAW)) or law_from_reg_number(reg_number)
    if law is None:
        # «ПП РФ 615» capital-repair auctions share the feed but are neither 44-FZ nor 223-FZ.
        log.warning(
            "%s: RSS item %s (№ %s) skipped: placed under %r", source, index, reg_number, fields.get(_LAW)
        )
        return None
    method = clean(m.group("method")) if m else None
    ikz = fields.get(_IKZ) or None
    inn, kpp = inn_kpp_from_ikz(ikz)
    regions = derive_regions(inn=inn, kpp=kpp) if inn or kpp else []
    title_text = fields.get(_OBJECT)
    stamp = _rfc822(item.findtext("pubDate"))
    published_at, published_day_only = _moment(fields.get(_PUBLISHED), stamp)
    updated_at, updated_day_only = _moment(fields.get(_UPDATED), stamp)
    day_only = published_day_only or updated_day_only
    return Notice(
        reg_number=reg_number,
        law=law,
        method=method,
        kind=kind_for(method),
        title="" if title_text in (None, "null") else title_text,
        status=fields.get(_STAGE),
        customer_name=strip_tags(item.findtext("author")) or fields.get(_CUSTOMER),
        customer_inn=inn,
        customer_region=regions[0] if regions else None,
        nmck=parse_money(fields.get(_PRICE)),
        currency=currency_code(fields.get(_CURRENCY)),
        published_at=published_at,
        updated_at=updated_at,
        ikz=ikz,
        url=url,
        source=SOURCE_ID,
        completeness="listing",
        updated_day_only=updated_day_only,
        notes=[DATE_ONLY_NOTE] if day_only else [],
    )


def strip_tags(text: str | None) -> str | None:
    """Remove tags from already-decoded HTML with a regex (unclosed spans are harmless here)."""
    if text is None:
        return None
    return clean(html.unescape(_TAG.sub("", text)))


def description_fields(description: str) -> dict[str, str]:
    """Label -> value pairs of an item description (the XML layer has already decoded one level).

    Values are cut at the next label or ``<br>``; the tags left inside a value (the unclosed
    ``highlightColor`` span) are stripped afterwards.
    """
    fields: dict[str, str] = {}
    labels = list(_LABEL.finditer(description))
    for label, following in zip(labels, [*labels[1:], None][: len(labels)], strict=True):
        end = following.start() if following else len(description)
        raw = description[label.end() : end]
        raw = _BREAK.split(raw, maxsplit=1)[0]
        value = strip_tags(raw)
        name = clean(html.unescape(label.group(1)))
        if name and value and name not in fields:
            fields[name] = value
    return fields


def _moment(day_text: str | None, stamp: datetime | None) -> tuple[datetime | None, bool]:
    """A «dd.mm.yyyy» field made precise by ``pubDate`` when both name the same Moscow day.

    Returns (moment, day_only): the feed's ``pubDate`` is the item's timestamp, which equals the
    publication and/or update time on the day it matches; otherwise only the day is known.
    """
    day = parse_date(day_text)
    if day is None:
        return None, False
    if stamp is not None and stamp.astimezone(MOSCOW).date() == day:
        return stamp, False
    return date_start(day), True


def _rfc822(text: str | None) -> datetime | None:
    """``Wed, 29 Jul 2026 06:59:12 GMT`` -> aware datetime; junk -> None."""
    if not text:
        return None
    try:
        value = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return value if value.tzinfo is not None else None
