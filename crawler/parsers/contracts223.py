"""223-FZ contract register records (``contract/body/item/contractData``) -> ``ContractRecord``.

Read from two real FTP records (2018 and 2019, TFF-7.5; tests/crawler/eis_results). The purchase
is ``purchaseNoticeInfo/purchaseNoticeNumber``; the supplier ``supplierInfo`` (``name``, ``inn``),
which a record may lack (the 2019 one names none: kept with no supplier). 223-FZ datetimes carry
no offset: they are read as Moscow time, with a note.
"""

from __future__ import annotations

from lxml import etree
from pydantic import ValidationError

from crawler.parsers.common import ASSUMED_MOSCOW_NOTE
from crawler.parsers.common import Clock
from crawler.parsers.common import ParseError
from crawler.parsers.common import XmlView
from crawler.parsers.common import currency_code
from crawler.parsers.common import parse_count
from crawler.parsers.common import parse_date
from crawler.parsers.common import parse_decimal
from crawler.parsers.common import party_of
from data.results import ContractRecord

SOURCE_ID = "contract223"


def parse_contract223(root: etree._Element, source: str) -> list[ContractRecord]:
    view = XmlView()
    records = [
        item for item in view.findall(root, "body/item") if view.find(item, "contractData") is not None
    ]
    if not records:
        raise ParseError(source, "223-FZ <contract> holds no contractData")
    try:
        return [_contract(view, view.find(item, "contractData"), source) for item in records]
    except ValidationError as exc:
        raise ParseError(source, f"223-FZ contract does not fit the ContractRecord model: {exc}") from None


def _contract(view: XmlView, data: etree._Element | None, source: str) -> ContractRecord:
    reg_number = view.text(data, "registrationNumber")
    if not reg_number:
        raise ParseError(source, "223-FZ contract has no registrationNumber")
    supplier_inn, supplier_name = party_of(view.find(data, "supplierInfo"))
    clock = Clock()
    published = clock.at(data, "publicationDate", "createDateTime")
    version = view.text(data, "version")
    return ContractRecord(
        law="223-FZ",
        reg_number=reg_number,
        purchase_number=view.text(data, "purchaseNoticeInfo/purchaseNoticeNumber"),
        version=parse_count(version),
        signed_on=parse_date(view.text(data, "contractDate")),
        published_at=published,
        price=parse_decimal(view.text(data, "price")),
        currency=currency_code(view.text(data, "currency/code")),
        customer_inn=view.text(data, "customer/mainInfo/inn"),
        customer_name=view.text(data, "customer/mainInfo/fullName"),
        supplier_inn=supplier_inn,
        supplier_name=supplier_name,
        url=view.text(data, "urlEIS") or view.text(data, "urlOOS"),
        notes=[ASSUMED_MOSCOW_NOTE] if clock.assumed_moscow else [],
    )
