"""223-FZ notice from the EIS mobile proxy JSON (``/api/mobile/proxy/223/.../common-info.html``).

The JSON carries no registry number: it is the ``regNumber`` of the URL that was fetched, so the
caller passes that URL (or a file name that keeps the number) as ``source``. Datetimes are epoch
milliseconds, i.e. absolute instants: no time-zone guess is needed.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from crawler.parsers.common import ParseError
from crawler.parsers.common import check_size
from crawler.parsers.common import clean
from crawler.parsers.common import currency_code
from crawler.parsers.common import datetime_from_epoch_ms
from crawler.parsers.common import reg_number_from_url
from crawler.parsers.common import unique
from crawler.parsers.eis223 import CARD_URL
from crawler.parsers.methods import kind_for
from crawler.parsers.methods import smp_only_method
from data.notice import Notice
from data.notice import NoticeItem
from data.reference.regions import derive_regions

SOURCE_ID = "json223"

_REG_NUMBER_IN_NAME = re.compile(r"(?<!\d)(3\d{10})(?!\d)")


def parse_json223(data: bytes, source: str, *, url: str | None = None) -> list[Notice]:
    """The one notice of a mobile-proxy common-info JSON document."""
    check_size(data, source)
    try:
        doc = json.loads(data, parse_float=Decimal)  # money never passes through a binary float
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and undecodable bytes are ValueErrors
        raise ParseError(source, f"malformed JSON: {exc}") from None
    if isinstance(doc, dict) and "noticeInfo" not in doc and isinstance(doc.get("data"), dict):
        # The newer proxy (``/api/mobile/proxy/917/223/…``) wraps the same object in ``data``
        # (a public C# client reads ``["data"]["noticeInfo"]["id"]``; docs/eis-site.md).
        doc = doc["data"]
    notice_info = _obj(doc, "noticeInfo", source) if isinstance(doc, dict) else None
    if notice_info is None:
        raise ParseError(source, "not a 223-FZ mobile common-info document: no noticeInfo object")
    reg_number = _reg_number(url, source)
    if reg_number is None:
        raise ParseError(
            source, "the mobile JSON carries no registry number and none is in the URL or name (regNumber=)"
        )
    try:
        return [_notice(doc, notice_info, reg_number, url, source)]
    except ValidationError as exc:
        raise ParseError(source, f"mobile JSON does not fit the Notice model: {exc}") from None


def _reg_number(url: str | None, source: str) -> str | None:
    for candidate in (url, source):
        number = reg_number_from_url(candidate)
        if number is None and candidate:
            m = _REG_NUMBER_IN_NAME.search(candidate)
            number = m.group(1) if m else None
        if number and len(number) == 11:
            return number
    return None


def _notice(doc: dict, info: dict, reg_number: str, url: str | None, source: str) -> Notice:
    lots = [lot for lot in _list(info, "lots", source) if isinstance(lot, dict)]
    method_obj = _obj(doc, "purchaseMethod", source) or {}
    method = _str(method_obj.get("name"))
    inn = _str(info.get("customerInn"))
    nmck, currency = _price(lots, source)
    items = [item for lot in lots for item in _items(lot, source)]
    places = unique(_str((_obj(lot, "deliveryPlace", source) or {}).get("address")) for lot in lots)
    customer_regions = derive_regions(
        addresses=unique([_str(info.get("customerFullAddress")), _str(info.get("customerPostalAddress"))]),
        inn=inn,
        kpp=_str(info.get("customerKpp")),
    )
    return Notice(
        reg_number=reg_number,
        law="223-FZ",
        method=method,
        kind=kind_for(method),
        title=_str(info.get("purchaseName"))
        or (_str(lots[0].get("contractSubject")) if lots else None)
        or "",
        customer_name=_str(info.get("customerName")),
        customer_inn=inn,
        customer_region=customer_regions[0] if customer_regions else None,
        delivery_places=places,
        delivery_regions=derive_regions(addresses=places),
        nmck=nmck,
        currency=currency,
        okpd2=unique(item.okpd2 for item in items),
        items=items,
        published_at=datetime_from_epoch_ms(info.get("applSubmisionStartDate")),
        submission_deadline=datetime_from_epoch_ms(info.get("applSubmissionCloseTime")),
        auction_date=_date(info.get("auctionTime")),
        smp_only=smp_only_method(method),
        etp_name=_etp_name(info.get("applSubmisionPlace")),
        etp_url=_str(info.get("urlVsrz")),
        url=url if url and "/api/mobile/" not in url else CARD_URL.format(reg_number),
        source=SOURCE_ID,
        completeness="card",
        notes=["published_at is the start of application submission (the JSON has no publication time)"],
    )


def _price(lots: list[dict], source: str) -> tuple[Decimal | None, str | None]:
    """NMCK = sum of the lots' starting prices when every lot has one in the same currency."""
    found = [_decimal(lot.get("startingContractPrice")) for lot in lots]
    prices = [price for price in found if price is not None]
    codes = (currency_code(_str((_obj(lot, "currency", source) or {}).get("code"))) for lot in lots)
    currencies = {code for code in codes if code}
    currency = next(iter(currencies)) if len(currencies) == 1 else None
    if not prices or len(prices) < len(found) or len(currencies) > 1:
        return None, currency
    return sum(prices, Decimal(0)), currency


def _items(lot: dict, source: str) -> list[NoticeItem]:
    items = []
    for entry in _list(lot, "commoditiesWorkServiceses", source):
        if not isinstance(entry, dict):
            continue
        okpd2 = _obj(entry, "okpd2", source) or {}
        okei = _obj(entry, "okei", source) or {}
        name = _str(okpd2.get("name")) or _str(lot.get("contractSubject"))
        if not name:
            continue
        items.append(
            NoticeItem(
                name=name,
                okpd2=_str(okpd2.get("code")),
                quantity=_decimal(entry.get("amountOfCommodities")),
                unit=_str(okei.get("localName")) or _str(okei.get("name")),
            )
        )
    return items


_ETP_URL_SUFFIX = re.compile(r"\s*\((?:https?://)?[^()]*\)\s*$")


def _etp_name(value: Any) -> str | None:
    """«Электронная площадка РТС-тендер (http://www.rts-tender.ru)» -> the name without the link."""
    text = _str(value)
    return clean(_ETP_URL_SUFFIX.sub("", text)) if text else None


def _date(value: Any) -> date | None:
    moment = datetime_from_epoch_ms(value)
    return moment.date() if moment else None


def _obj(container: dict, key: str, source: str) -> dict | None:
    value = container.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ParseError(source, f"mobile JSON field {key!r} should be an object, got {type(value).__name__}")
    return value


def _list(container: dict, key: str, source: str) -> list:
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParseError(source, f"mobile JSON field {key!r} should be a list, got {type(value).__name__}")
    return value


def _str(value: Any) -> str | None:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _decimal(value: Any) -> Decimal | None:
    """JSON numbers arrive as int or Decimal (``parse_float=Decimal``); NaN/Infinity are dropped."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        return None
    try:
        result = Decimal(str(value))
    except ArithmeticError:
        return None
    return result if result.is_finite() else None
