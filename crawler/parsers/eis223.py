"""223-FZ notice XML (``ns2:purchaseNotice*``, 2012 TFF-2 to TFF-5 layouts) -> ``Notice``.

One generic parser serves every notice type (AE, AE94, AESMBO, EP, IS, KESMBO, OA, OK, ZK,
ZKESMBO, ZPESMBO and the plain ``purchaseNotice``): they share the ``body/item/purchaseNotice*Data``
envelope and differ only in a few procedure dates. Paths are anchored relative to the ``...Data``
element and match by local name, because the ``ns2``/default prefixes shift between versions.

The 2012 layout keeps lot fields directly under ``lot`` (``lots/lot/initialSum``, ``okdp``) and
spells attachments ``attachements``; TFF-5 wraps them in ``lotData`` and uses OKPD2.
"""

from __future__ import annotations

import re
from decimal import Decimal

from lxml import etree
from pydantic import ValidationError

from crawler.parsers.common import ASSUMED_MOSCOW_NOTE
from crawler.parsers.common import Clock
from crawler.parsers.common import ParseError
from crawler.parsers.common import any_ns
from crawler.parsers.common import clean
from crawler.parsers.common import currency_code
from crawler.parsers.common import find_text
from crawler.parsers.common import local
from crawler.parsers.common import parse_date
from crawler.parsers.common import parse_decimal
from crawler.parsers.common import parse_money
from crawler.parsers.common import unique
from crawler.parsers.methods import kind_for
from crawler.parsers.methods import smp_only_method
from data.notice import Notice
from data.notice import NoticeItem
from data.reference.regions import derive_regions

SOURCE_ID = "xml223"
CARD_URL = "https://zakupki.gov.ru/223/purchase/public/purchase/info/common-info.html?regNumber={}"

_ROOT = re.compile(r"^purchaseNotice([A-Z0-9]*)$")
_REG_NUMBER = re.compile(r"^\d{11}$")
STATUSES = {"P": "Размещено"}
"""223-FZ ``status`` codes -> the Russian wording every other source stores. ``P`` says only that the
notice is published (it names no stage such as «Подача заявок»); it is the one code in our samples."""


def _find(el: etree._Element, path: str) -> etree._Element | None:
    return el.find(any_ns(path))


def _findall(el: etree._Element, path: str) -> list[etree._Element]:
    return el.findall(any_ns(path))


def parse_xml223(root: etree._Element, source: str) -> list[Notice]:
    """Every notice item in a 223-FZ ``purchaseNotice*`` document (one per ``body/item``)."""
    m = _ROOT.match(local(root.tag))
    if m is None:
        raise ParseError(source, f"not a 223-FZ purchase notice: root element <{local(root.tag)}>")
    notice_type = m.group(1)
    data_elements = _findall(root, f"body/item/purchaseNotice{notice_type}Data")
    if not data_elements:
        raise ParseError(source, f"<{local(root.tag)}> has no body/item/purchaseNotice{notice_type}Data")
    try:
        return [_notice(data, notice_type, source) for data in data_elements]
    except ValidationError as exc:
        raise ParseError(source, f"223-FZ notice does not fit the Notice model: {exc}") from None


def _notice(data: etree._Element, notice_type: str, source: str) -> Notice:
    reg_number = find_text(data, "registrationNumber")
    if not reg_number or not _REG_NUMBER.match(reg_number):
        raise ParseError(source, f"223-FZ notice without a valid registrationNumber (got {reg_number!r})")
    clock = Clock()
    lots = _lots(data)
    method = find_text(data, "purchaseCodeName")
    code = find_text(data, "purchaseMethodCode")
    customer = _find(data, "customer/mainInfo")
    customer_inn = find_text(customer, "inn")
    nmck, currency, notes = _price(lots)
    items = [item for lot in lots for item in _lot_items(lot)]
    okdp = unique(find_text(item, "okdp/code") for lot in lots for item in _findall(lot, "lotItems/lotItem"))
    if okdp and not any(item.okpd2 for item in items):
        notes.append(f"positions carry only pre-2014 OKDP codes ({', '.join(okdp)}), no OKPD2")
    delivery_places, delivery_regions = _delivery(lots)
    notice = Notice(
        reg_number=reg_number,
        law="223-FZ",
        version=_int(find_text(data, "version")),
        method_code=code,
        method=method,
        kind=kind_for(method, notice_type),
        title=find_text(data, "name") or (_lot_text(lots[0], "subject") if lots else None) or "",
        status=_status(find_text(data, "status"), notes),
        customer_name=find_text(customer, "fullName") or find_text(customer, "shortName"),
        customer_inn=customer_inn,
        customer_region=_customer_region(customer, customer_inn),
        delivery_places=delivery_places,
        delivery_regions=delivery_regions,
        nmck=nmck,
        currency=currency,
        okpd2=unique(item.okpd2 for item in items),
        items=items,
        published_at=clock.at(data, "publicationDateTime", "createDateTime"),
        updated_at=clock.at(data, "modificationDate"),
        submission_deadline=clock.at(data, "submissionCloseDateTime"),
        auction_date=parse_date(find_text(data, "auctionTime")),
        smp_only=_smp_only(notice_type, method, lots),
        etp_name=find_text(data, "electronicPlaceInfo/name"),
        etp_url=find_text(data, "electronicPlaceInfo/url"),
        url=_public_url(data, reg_number),
        source=SOURCE_ID,
        completeness="card",
        notes=notes,
    )
    if clock.assumed_moscow:
        notice.notes.append(ASSUMED_MOSCOW_NOTE)
    return notice


def _public_url(data: etree._Element, reg_number: str) -> str:
    """``urlEIS``/``urlOOS`` unless it points into the customer's private cabinet (2016 exports do:
    ``/223/purchase/private/...``), which the public cannot open: then the canonical card URL."""
    for path in ("urlEIS", "urlOOS"):
        url = find_text(data, path)
        if url and "/private/" not in url:
            return url
    return CARD_URL.format(reg_number)


def _customer_region(customer: etree._Element | None, inn: str | None) -> str | None:
    regions = derive_regions(
        okato_codes=unique([find_text(customer, "okato")]),
        addresses=unique([find_text(customer, "legalAddress"), find_text(customer, "postalAddress")]),
        inn=inn,
        kpp=find_text(customer, "kpp"),
    )
    return regions[0] if regions else None


def _lots(data: etree._Element) -> list[etree._Element]:
    """Live lots (a cancelled lot no longer counts towards the price or the positions)."""
    return [lot for lot in _findall(data, "lots/lot") if find_text(lot, "cancelled") != "true"]


def _lot_text(lot: etree._Element, path: str) -> str | None:
    """A lot field in either layout: TFF-5 ``lot/lotData/<path>``, 2012 ``lot/<path>``."""
    return find_text(lot, f"lotData/{path}") or find_text(lot, path)


def _lot_find(lot: etree._Element, path: str) -> etree._Element | None:
    found = _find(lot, f"lotData/{path}")
    return found if found is not None else _find(lot, path)


def _price(lots: list[etree._Element]) -> tuple[Decimal | None, str | None, list[str]]:
    """NMCK = the sum of the lots' initial sums when they share a currency (one lot: its sum)."""
    found = [parse_money(_lot_text(lot, "initialSum")) for lot in lots]
    sums = [value for value in found if value is not None]
    currencies = {code for lot in lots if (code := currency_code(_lot_text(lot, "currency/code")))}
    notes: list[str] = []
    if not lots or len(sums) < len(found):
        return None, next(iter(currencies), None) if len(currencies) == 1 else None, notes
    if len(currencies) > 1:
        notes.append(f"lots are priced in different currencies ({', '.join(sorted(currencies))}): no NMCK")
        return None, None, notes
    if len(lots) > 1:
        notes.append(f"{len(lots)} lots: NMCK is the sum of the lots' initial sums")
    return sum(sums, Decimal(0)), next(iter(currencies), None), notes


_ITEM_NAMES = ("name", "okpd2/name", "okdp/name")


def _lot_items(lot: etree._Element) -> list[NoticeItem]:
    lot_items = _findall(lot, "lotData/lotItems/lotItem") or _findall(lot, "lotItems/lotItem")
    subject = _lot_text(lot, "subject")
    items = []
    for item in lot_items:
        okpd2 = find_text(item, "okpd2/code")
        name = (
            find_text(item, "name")
            or find_text(item, "okpd2/name")
            or find_text(item, "okdp/name")
            or subject
        )
        if not name:
            continue
        items.append(
            NoticeItem(
                name=name,
                okpd2=okpd2,
                quantity=parse_decimal(find_text(item, "qty")),
                unit=find_text(item, "okei/name"),
            )
        )
    return items


def _delivery(lots: list[etree._Element]) -> tuple[list[str], list[str]]:
    """Delivery addresses and subject codes: TFF-5 ``deliveryPlace/{region,regionOkato,address}``
    or the 2012 plain-text ``deliveryPlace``."""
    places: list[str | None] = []
    okato: list[str | None] = []
    region_names: list[str | None] = []
    for lot in lots:
        place = _lot_find(lot, "deliveryPlace")
        if place is None:
            continue
        if len(place) == 0:
            places.append(clean(place.text))
            continue
        places.append(find_text(place, "address"))
        okato.append(find_text(place, "regionOkato"))
        region_names.extend((find_text(place, "region"), find_text(place, "state")))
    addresses = unique(places)
    regions = derive_regions(okato_codes=unique(okato), addresses=unique([*region_names, *addresses]))
    return addresses, regions


def _smp_only(notice_type: str, method: str | None, lots: list[etree._Element]) -> bool:
    if smp_only_method(method, notice_type):
        return True
    flags = [_lot_text(lot, "forSmallOrMiddle") for lot in lots]
    return bool(flags) and all(flag == "true" for flag in flags)


def _status(code: str | None, notes: list[str]) -> str | None:
    """The status in words; an unknown code is left out (not stored raw) and noted for a human."""
    if code is None:
        return None
    if code in STATUSES:
        return STATUSES[code]
    notes.append(f"unknown 223-FZ status code {code!r}: status left empty")
    return None


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdecimal() else None
