"""44-FZ contract registry records (``export/contract``) -> ``ContractRecord``.

Read from the real records of 2014 (scheme 1.0, flat: ``price``, ``suppliers/supplier``) and 2025
(scheme 15.3: ``priceInfo/price``, ``suppliersInfo/supplierInfo/...``); tests/crawler/eis_results.

* The purchase a contract came from is ``foundation/fcsOrder/order/notificationNumber`` (2020+)
  or ``foundation/fcsOrder/notificationNumber`` (2014), never a ``purchaseNumber`` (there is none;
  the ``purchaseCode`` is the 36-digit IKZ). A contract with a single supplier may name no
  purchase at all: it is kept with ``purchase_number`` None.
* The supplier is the first ``supplierInfo`` / ``supplier`` (joint suppliers are rare; the others
  are named in a note).
"""

from __future__ import annotations

from lxml import etree
from pydantic import ValidationError

from crawler.parsers.common import ASSUMED_MOSCOW_NOTE
from crawler.parsers.common import Clock
from crawler.parsers.common import ParseError
from crawler.parsers.common import XmlView
from crawler.parsers.common import currency_code
from crawler.parsers.common import local
from crawler.parsers.common import parse_count
from crawler.parsers.common import parse_date
from crawler.parsers.common import parse_decimal
from crawler.parsers.common import party_of
from data.results import ContractRecord

SOURCE_ID = "contract44"

_PURCHASE_PATHS = ("foundation/fcsOrder/order/notificationNumber", "foundation/fcsOrder/notificationNumber")
_SUPPLIER_PATHS = ("suppliersInfo/supplierInfo", "suppliers/supplier")


def parse_contract44(root: etree._Element, source: str) -> list[ContractRecord]:
    elements = (
        [child for child in root if local(child.tag) == "contract"] if local(root.tag) == "export" else [root]
    )
    if not elements:
        raise ParseError(source, "44-FZ <export> holds no contract")
    try:
        return [_contract(element, source) for element in elements]
    except ValidationError as exc:
        raise ParseError(source, f"44-FZ contract does not fit the ContractRecord model: {exc}") from None


def _contract(el: etree._Element, source: str) -> ContractRecord:
    view = XmlView()
    reg_number = view.text(el, "regNum")
    if not reg_number:
        raise ParseError(source, "44-FZ contract has no regNum")
    suppliers = [s for path in _SUPPLIER_PATHS for s in view.findall(el, path)]
    supplier_inn, supplier_name = party_of(suppliers[0] if suppliers else None)
    customer = view.find(el, "customer")
    clock = Clock()
    notes = [f"{len(suppliers)} suppliers: the first is kept"] if len(suppliers) > 1 else []
    version = view.text(el, "versionNumber")
    return ContractRecord(
        law="44-FZ",
        reg_number=reg_number,
        purchase_number=next((n for path in _PURCHASE_PATHS if (n := view.text(el, path))), None),
        version=parse_count(version),
        signed_on=parse_date(view.text(el, "signDate")),
        published_at=clock.at(el, "publishDate"),
        price=parse_decimal(view.text(el, "priceInfo/price") or view.text(el, "price")),
        currency=currency_code(view.text(el, "priceInfo/currency/code") or view.text(el, "currency/code")),
        customer_inn=view.text(customer, "inn"),
        customer_name=view.text(customer, "fullName"),
        supplier_inn=supplier_inn,
        supplier_name=supplier_name,
        url=view.text(el, "href"),
        notes=notes + ([ASSUMED_MOSCOW_NOTE] if clock.assumed_moscow else []),
    )
