"""223-FZ notices: the ``purchaseNotice{AE,ZK,OK,EP,IS,…}`` XML (TFF-5 layout) and the mobile-proxy JSON.

223 XML datetimes carry no offset: the EIS writes them in Moscow time, and so do we. The JSON
gives instants as epoch milliseconds plus the customer's ``timezoneId``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from datetime import timedelta
from decimal import Decimal

from lxml import etree

from crawler.replay.model import EIS
from crawler.replay.model import MOSCOW
from crawler.replay.model import NoticeVersion
from crawler.replay.model import Organization
from crawler.replay.model import Purchase
from crawler.replay.model import plain_decimal
from crawler.replay.xmlkit import Builder
from crawler.replay.xmlkit import nsmap
from crawler.replay.xmlkit import serialize

NS = {
    "T": "http://zakupki.gov.ru/223fz/types/1",
    "P": "http://zakupki.gov.ru/223fz/purchase/1",
    "XSI": "http://www.w3.org/2001/XMLSchema-instance",
}
NSMAP = nsmap(
    {
        None: NS["T"],
        "ns2": NS["P"],
        "ns3": "http://zakupki.gov.ru/223fz/reference/1",
        "ns4": "http://zakupki.gov.ru/223fz/purchasePlan/1",
        "xsi": NS["XSI"],
    }
)
SCHEMA_LOCATION = (
    "http://zakupki.gov.ru/223/integration/schema/TFF-5.0 "
    "http://zakupki.gov.ru/223/integration/schema/TFF-5.0/purchase.xsd"
)
B = Builder(NS)
SMP_TYPES = {"AE": "AESMBO", "ZK": "ZKESMBO"}


def notice_type(version: NoticeVersion) -> str:
    """``purchaseNoticeAE``…; SMP-only auctions and quotations use the SMP types of the FTP folders
    (``purchaseNoticeAESMBO``, ``purchaseNoticeZKESMBO``: docs/eis-site.md)."""
    p = version.purchase
    suffix = p.method.slug
    if p.smp_only and suffix in SMP_TYPES:
        suffix = SMP_TYPES[suffix]
    return f"purchaseNotice{suffix}"


def moscow(value: datetime) -> str:
    """A 223 XML datetime: Moscow wall time, no offset (``2016-08-05T18:00:00``)."""
    return value.astimezone(MOSCOW).replace(tzinfo=None).isoformat(timespec="seconds")


def render_notice(version: NoticeVersion) -> bytes:
    p = version.purchase
    kind = notice_type(version)
    root = etree.Element(B.qname("P", kind), nsmap=NSMAP)
    root.set(B.qname("XSI", "schemaLocation"), SCHEMA_LOCATION)
    header = B.add(root, "T", "header")
    B.leaves(header, "T", [("guid", p.guid), ("createDateTime", moscow(version.published_at))])
    item = B.add(B.add(root, "P", "body"), "P", "item")
    B.add(item, "T", "guid", p.guid)
    data = B.add(item, "P", f"{kind}Data")
    B.leaves(
        data,
        "P",
        [
            ("guid", p.guid),
            ("createDateTime", moscow(version.published_at - timedelta(minutes=3))),
            ("urlEIS", p.card_url),
            ("urlVSRZ", f"{p.etp.url}/procedure/{p.purchase_id}"),
            ("registrationNumber", p.reg_number),
            ("name", p.title),
        ],
    )
    _organization(B.add(data, "P", "customer"), p.customer)
    B.leaves(data, "P", [("purchaseMethodCode", p.method.code), ("purchaseCodeName", p.method.name)])
    _organization(B.add(data, "P", "placer"), p.placer)
    contact = B.add(data, "P", "contact")
    B.leaves(
        contact,
        "T",
        [
            ("firstName", "Ольга"),
            ("middleName", "Петровна"),
            ("lastName", "Смирнова"),
            ("phone", p.customer.phone),
            ("email", p.customer.email),
        ],
    )
    B.leaves(
        data,
        "P",
        [
            ("publicationDateTime", moscow(version.published_at)),
            ("status", "P"),
            ("version", version.number),
            ("modificationDescription", version.modification),
        ],
    )
    _attachments(data, version)
    B.add(data, "P", "modificationDate", moscow(version.published_at))
    place = B.add(data, "P", "electronicPlaceInfo")
    B.leaves(place, "T", [("name", p.etp.name), ("url", p.etp.url), ("electronicPlaceId", p.etp.code)])
    if version.has_deadline:
        B.add(data, "P", "submissionCloseDateTime", moscow(version.deadline))
    when = version.auction_at
    if when is not None:
        B.add(data, "P", "auctionTime", moscow(when))
    B.add(data, "P", "summingupTime", moscow(version.deadline + timedelta(days=2)))
    _lots(B.add(data, "P", "lots"), version)
    return serialize(root, standalone=True)


def _organization(parent: etree._Element, org: Organization) -> None:
    info = B.add(parent, "T", "mainInfo")
    B.leaves(info, "T", [("fullName", org.name), ("shortName", org.short_name)])
    B.leaves(info, "T", [("iko", f"{org.level}{org.inn}{org.kpp}"), ("inn", org.inn), ("kpp", org.kpp)])
    B.leaves(info, "T", [("ogrn", org.ogrn), ("legalAddress", org.post_address.upper())])
    B.leaves(info, "T", [("postalAddress", org.post_address), ("phone", org.phone), ("email", org.email)])
    B.leaves(info, "T", [("okato", org.okato)])


def _attachments(data: etree._Element, version: NoticeVersion) -> None:
    attachments = B.add(data, "P", "attachments")
    B.add(attachments, "T", "totalDocumentsCount", 2)
    for index, (file_name, description) in enumerate(
        (("Извещение.docx", "Извещение о закупке"), ("Документация.pdf", "Документация о закупке"))
    ):
        document = B.add(attachments, "T", "document")
        B.leaves(
            document,
            "T",
            [
                ("guid", f"{version.purchase.guid[:-4]}{index:04d}"),
                ("createDateTime", moscow(version.published_at - timedelta(minutes=20))),
                ("fileName", file_name),
                ("description", description),
                ("url", f"{EIS}/223/purchase/public/download/download.html?id={version.doc_id * 2 + index}"),
            ],
        )


def _lots(lots: etree._Element, version: NoticeVersion) -> None:
    p = version.purchase
    lot = B.add(lots, "T", "lot")
    B.leaves(lot, "T", [("guid", p.guid), ("ordinalNumber", 1)])
    data = B.add(lot, "T", "lotData")
    B.add(data, "T", "subject", p.title)
    currency = B.add(data, "T", "currency")
    money = p.currency
    B.leaves(currency, "T", [("code", money.code), ("digitalCode", money.digital_code), ("name", money.name)])
    B.add(data, "T", "initialSum", plain_decimal(version.nmck))
    for place in p.places:
        delivery = B.add(data, "T", "deliveryPlace")
        B.leaves(
            delivery,
            "T",
            [
                ("region", place.region.name),
                ("regionOkato", f"{place.region.okato}000000000"),
                ("address", place.text),
            ],
        )
    items = B.add(data, "T", "lotItems")
    for index, pos in enumerate(version.positions, start=1):
        item = B.add(items, "T", "lotItem")
        B.leaves(item, "T", [("guid", f"{p.guid[:-4]}{index + 10:04d}"), ("ordinalNumber", index)])
        okpd = B.add(item, "T", "okpd2")
        B.leaves(okpd, "T", [("code", pos.good.okpd2), ("name", pos.good.okpd2_name)])
        okei = B.add(item, "T", "okei")
        B.leaves(okei, "T", [("code", pos.unit.code), ("name", pos.unit.name)])
        B.add(item, "T", "qty", plain_decimal(pos.quantity))
    B.add(data, "T", "forSmallOrMiddle", "true" if p.smp_only else "false")


# ---- mobile proxy JSON ------------------------------------------------------------------------------

_DECIMAL = re.compile(r'"\\u0000(-?[0-9.]+)\\u0000"')


def _num(value: Decimal) -> str:
    """Marks a Decimal so it is written as a bare JSON number, never through float."""
    return f"\0{plain_decimal(value)}\0"


def _ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def timezone_id(utc_offset: int) -> int:
    """The EIS ``timeZones`` ids: 13 is Moscow (UTC+3), one id per hour east or west of it."""
    return 13 + (utc_offset - 3)


def render_json(version: NoticeVersion) -> bytes:
    p = version.purchase
    customer = p.customer
    lot = {
        "id": p.purchase_id + 3_000_000,
        "ordinalNumber": 1,
        "contractSubject": p.title,
        "startingContractPrice": _num(version.nmck),
        "currency": {
            "id": 1,
            "name": p.currency.name,
            "code": p.currency.code,
            "digitalCode": p.currency.digital_code,
            "actual": True,
        },
        "startingContractPriceRub": _num(version.nmck),
        "commoditiesWorkServiceses": [
            {
                "id": p.purchase_id * 10 + index,
                "okei": {"name": pos.unit.name, "localName": pos.unit.national, "digitalCode": pos.unit.code},
                "amountOfCommodities": _num(pos.quantity),
                "orderNumber": index,
                "deliveryPlace": None,
                "okpd2": {"id": 8_800_000 + index, "code": pos.good.okpd2, "name": pos.good.okpd2_name},
            }
            for index, pos in enumerate(version.positions, start=1)
        ],
        "jointLot": False,
        "deliveryPlace": {"regionId": 5_277_000 + int(p.places[0].region.code), "address": _json_address(p)},
        "deliveryPlaceIndication": "GL",
    }
    document = {
        "purchase": {"id": p.purchase_id, "customerId": int(customer.inn[2:8]), "contracts": []},
        "purchaseMethod": {
            "id": 379_000 + int(p.method.code) % 1000,
            "competitive": p.method.kind != "single_supplier",
            "digitalPurchase": True,
            "methodType": p.method.slug or "IS",
            "name": p.method.name,
            "status": "RELEVANT",
        },
        "noticeInfo": {
            "id": version.doc_id,
            "purchaseName": p.title,
            "email": customer.email,
            "phone": customer.phone,
            "applSubmissionCloseTime": _ms(version.deadline) if version.has_deadline else None,
            "timezoneId": timezone_id(customer.region.utc_offset),
            "customerName": customer.name,
            "customerInn": customer.inn,
            "customerKpp": customer.kpp,
            "customerOgrn": customer.ogrn,
            "customerFullAddress": customer.post_address.upper(),
            "customerPostalAddress": customer.post_address,
            "applSubmisionPlace": f"{p.etp.name} ({p.etp.url})",
            "applSubmisionStartDate": _ms(version.published_at),
            "summingupTime": _ms(version.deadline + timedelta(days=2)),
            "urlVsrz": f"{p.etp.url}/procedure/{p.purchase_id}",
            "auctionTime": _ms(version.auction_at),
            "lots": [lot],
        },
    }
    text = json.dumps(document, ensure_ascii=False, indent=4)
    return _DECIMAL.sub(r"\1", text).encode("utf-8")


def _json_address(purchase: Purchase) -> str:
    """The mobile API spells addresses GAR-like but in words: «Область Кемеровская, город Кемерово»."""
    place = purchase.places[0]
    words = place.region.name.split(" ")
    region = (
        f"{words[1].capitalize()} {words[0]}" if len(words) == 2 and words[1].islower() else place.region.name
    )
    return (
        place.text.replace(place.region.name, region, 1)
        .replace("г. ", "город ")
        .replace("ул. ", "улица ")
        .replace("д. ", "дом ")
    )
