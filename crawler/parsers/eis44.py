"""44-FZ notice XML -> ``Notice``: every generation the EIS has published.

Two layouts, told apart by the presence of ``commonInfo`` under the notice element:

* "ep" layout, grouped: the 2020 notices (``export/epNotificationEF2020``, ``EZK2020``,
  ``EOK2020``, ``OK2020``...) and the 504-FZ transitional ones (``epNotificationEZK``,
  ``placingWay`` ``ZKP504``). Header fields sit in ``commonInfo``, the procedure, prices, customers
  and positions in ``notificationInfo``.
* "fcs" layout, flat: ``fcsNotificationEF``, ``fcsNotificationZK``... (2014-2021). Header fields
  sit directly under the notice, prices/customers/positions under ``lot``.

Either may come wrapped in ``export`` (FTP and SOAP bulk channel) or bare with the root in the
``oos/printform/1`` namespace (``printForm/viewXml.html``). Paths match by local name (prefixes
shift between schema versions) and are always anchored: ``purchaseNumber``, ``maxPrice``,
``customer`` and ``fullName`` each occur in several places of one document.

Field rules worth knowing:

* ``customer_inn``: when ``responsibleRole`` is ``CU`` the placing organisation is the customer
  and its ``INN``/``KPP`` are used. Otherwise (``RA`` authorised body, ``OA`` specialised
  organisation...) those belong to the placer, so the customer's INN/KPP are read from
  ``IKZInfo/customerCode`` (one digit + INN(10) + KPP(9)), else from IKZ digits 4-22.
* ``customer_region``: the customer's KPP wins (it names the tax office of the customer's
  registration), then its INN, then the customer's address (only known when it placed the notice
  itself). ``delivery_regions``: KLADR codes first (their first two digits are the subject code),
  else the classifier-made addresses (GAR address, KLADR full name), else the free-text delivery
  places; see ``data.reference.regions.derive_regions``.
* ``nmck``: the notice-wide ``maxPrice``; when only per-customer prices are given (joint
  purchases), their sum, with a note. XML money is ``xs:decimal`` (``388050008.2``), read with
  ``parse_decimal``: no thousands separators or currency signs to strip, unlike HTML.
* Securities: ``applicationGuarantee`` / ``contractGuarantee`` per customer; amounts are summed
  over customers, the percentage (``part``, % of NMCK) is the first customer's. A contract security
  may be given as a share only, then only ``contract_security_percent`` is set.
* ``smp_only``: a preference restricting participation to small businesses and socially oriented
  non-profits (art. 30 part 3 of 44-FZ). The 2020 samples use ``PVS33044``; old fcs documents use
  ``MP44`` (schema) or, in 2014, a numeric code named «Субъектам малого предпринимательства (в
  соответствии со Статьей 30 ...)», hence the name rule next to the code list.
* Positions classified by the old OKPD (ОК 034-2007, ``OKPD/code``, 2014 documents) are not OKPD2
  codes; they are left out of ``okpd2`` and named in a note.
* ``updated_at`` equals ``published_at``: every edit of a 44-FZ notice is republished as a whole
  new version with its own publication moment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lxml import etree
from pydantic import ValidationError

from crawler.parsers.common import ASSUMED_MOSCOW_NOTE
from crawler.parsers.common import Clock
from crawler.parsers.common import NotANotice
from crawler.parsers.common import ParseError
from crawler.parsers.common import XmlView
from crawler.parsers.common import clean
from crawler.parsers.common import currency_code
from crawler.parsers.common import inn_kpp_from_ikz
from crawler.parsers.common import local
from crawler.parsers.common import parse_date
from crawler.parsers.common import parse_decimal
from crawler.parsers.common import reg_number_from_url
from crawler.parsers.common import text_of
from crawler.parsers.common import unique
from crawler.parsers.methods import kind_for
from data.notice import Notice
from data.notice import NoticeItem
from data.notice import title_from_positions
from data.reference.regions import derive_regions
from data.reference.regions import region_from_address
from data.reference.regions import region_from_inn
from data.reference.regions import region_from_kpp

SOURCE_ID = "xml44"

_NOTICE_TYPE = re.compile(r"^(?:fcs|ep)Notification([A-Za-z0-9]*)$")
_NOT_A_NOTICE = re.compile(r"Cancel|OrgChange|LotChange")
_REG_NUMBER = re.compile(r"^\d{19}$")
_REG_NUMBER_IN_NAME = re.compile(r"(?<!\d)(\d{19})(?!\d)")
_CUSTOMER_CODE = re.compile(r"^\d(\d{10})(\d{9})$")
_DRUG_INFO = "{*}drugInfo"

CARD_URL = "https://zakupki.gov.ru/epz/order/notice/{slug}/view/common-info.html?regNumber={reg_number}"
PRINT_FORM_URL = "https://zakupki.gov.ru/epz/order/notice/printForm/view.html?regNumber={reg_number}"
_CARD_SLUGS = {
    "EAP20": "ea20",
    "ZKP20": "zk20",
    "OKP20": "ok20",
    "EA44": "ea44",
    "EAP44": "ea44",
    "ZK44": "zk44",
    "OK44": "ok44",
    "EP44": "ep44",
    "ZKP504": "zk504",
}
"""URL slug of the card page per ``placingWay`` code, for documents without ``href``; codes not
listed fall back to the print form, which the EIS serves for every registry number."""

SMP_ONLY_CODES = frozenset({"PVS33044", "MP44"})
_SMP_ONLY_NAME = re.compile(r"малого\s+предпринимательств|ч\.\s*3\s+ст\.\s*30\b", re.IGNORECASE)
_SUBCONTRACTING = re.compile(r"привлеч", re.IGNORECASE)


NO_TITLE_NOTE = "the notice has no purchaseObjectInfo: the title is made of its positions' names"


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where one layout keeps what the header does not: paths relative to the notice element,
    customer paths relative to one customer requirement."""

    responsible: str
    role: str
    procedure: str
    deadline: str
    bidding: str
    price: str
    customers: str
    customer_price: str
    ikz: tuple[str, ...]
    customer_code: str
    delivery: str
    objects: str
    positions: tuple[str, ...]
    """The 2020 small purchases (``epNotificationEZT2020``) keep their positions directly under
    ``purchaseObjectsInfo``; the other 2020 notices under ``notDrugPurchaseObjectsInfo``."""
    preferences: str
    preference_code: tuple[str, ...]
    preference_name: str

    @classmethod
    def both(cls, **paths: tuple[Any, Any]) -> tuple[_Layout, _Layout]:
        """Each field given as its (2020 ``ep``, pre-2020 ``fcs``) pair, so that a reader sees
        where the two generations of the format keep one thing side by side."""
        ep = cls(**{name: pair[0] for name, pair in paths.items()})
        return ep, cls(**{name: pair[1] for name, pair in paths.items()})


_EP, _FCS = _Layout.both(
    responsible=("purchaseResponsibleInfo/responsibleOrgInfo", "purchaseResponsible/responsibleOrg"),
    role=("purchaseResponsibleInfo/responsibleRole", "purchaseResponsible/responsibleRole"),
    procedure=("notificationInfo/procedureInfo", "procedureInfo"),
    deadline=("collectingInfo/endDT", "collecting/endDate"),
    bidding=("biddingDate", "bidding/date"),
    price=("notificationInfo/contractConditionsInfo/maxPriceInfo", "lot"),
    customers=(
        "notificationInfo/customerRequirementsInfo/customerRequirementInfo",
        "lot/customerRequirements/customerRequirement",
    ),
    customer_price=("contractConditionsInfo/maxPriceInfo/maxPrice", "maxPrice"),
    ikz=(
        ("contractConditionsInfo/IKZInfo/purchaseCode", "contractConditionsInfo/purchaseCode"),
        ("purchaseCode", "IKZInfo/purchaseCode"),
    ),
    customer_code=("contractConditionsInfo/IKZInfo/customerCode", "IKZInfo/customerCode"),
    delivery=("contractConditionsInfo/deliveryPlacesInfo/*", "kladrPlaces/kladrPlace"),
    objects=("notificationInfo/purchaseObjectsInfo", "lot"),
    positions=(
        ("notDrugPurchaseObjectsInfo/purchaseObject", "purchaseObject"),
        ("purchaseObjects/purchaseObject",),
    ),
    preferences=("notificationInfo/preferensesInfo/preferenseInfo", "lot/preferenses/preferense"),
    preference_code=(("preferenseRequirementInfo/shortName",), ("shortName", "code")),
    preference_name=("preferenseRequirementInfo/name", "name"),
)


def parse_xml44(root: etree._Element, source: str) -> list[Notice]:
    """The notices of a 44-FZ document: one per notice element (an ``export`` holds one in practice)."""
    elements = _notice_elements(root, source)
    try:
        return [_Reader(element, source).notice() for element in elements]
    except ValidationError as exc:
        raise ParseError(source, f"44-FZ notice does not fit the Notice model: {exc}") from None


def _notice_elements(root: etree._Element, source: str) -> list[etree._Element]:
    if local(root.tag) == "export":
        elements = [child for child in root if isinstance(child.tag, str)]
        if not elements:
            raise ParseError(source, "44-FZ <export> holds no document")
    else:
        elements = [root]
    notices = [e for e in elements if _is_notice(local(e.tag))]
    if not notices:
        name = local(elements[0].tag)
        raise NotANotice(source, f"<{name}> is not a 44-FZ notice (fcsNotification*/epNotification*)")
    return notices


def _is_notice(name: str) -> bool:
    return bool(_NOTICE_TYPE.match(name)) and not _NOT_A_NOTICE.search(name)


class _Reader:
    """One notice element -> ``Notice``. Holds the document's ``XmlView`` and the layout in use."""

    def __init__(self, element: etree._Element, source: str) -> None:
        self.x = XmlView()
        self.source = source
        self.element = element
        common_info = self.x.find(element, "commonInfo")
        self.layout = _EP if common_info is not None else _FCS
        self.head = common_info if common_info is not None else element
        self.clock = Clock()
        self.notes: list[str] = []

    def notice(self) -> Notice:
        x, layout, element, head = self.x, self.layout, self.element, self.head
        reg_number = self._reg_number()
        role = x.text(element, layout.role)
        responsible = x.find(element, layout.responsible)
        customers = x.findall(element, layout.customers)
        first = customers[0] if customers else None
        inn, kpp = self._customer_inn_kpp(responsible, role, first)
        method_code = x.text(head, "placingWay/code")
        method = x.text(head, "placingWay/name")
        procedure = x.find(element, layout.procedure)
        items = self._items()
        places, regions = self._delivery(customers)
        bid_security, bid_percent = self._guarantee(customers, "applicationGuarantee")
        contract_security, contract_percent = self._guarantee(customers, "contractGuarantee")
        preferences, smp_only = self._preferences()
        published_at = self.clock.read(x.text(head, "publishDTInEIS") or x.text(head, "docPublishDate"))
        if len(customers) > 1:
            self.notes.append(
                f"joint purchase by {len(customers)} customers: customer fields are the first one's"
            )
        nmck = self._nmck(customers)
        notice = Notice(
            reg_number=reg_number,
            law="44-FZ",
            version=_int(x.text(element, "versionNumber")),
            method_code=method_code,
            method=method,
            kind=kind_for(method, method_code or self._document_type()),
            title=self._title(items),
            customer_name=self._customer_name(first, responsible, role),
            customer_inn=inn,
            customer_region=self._customer_region(inn, kpp, responsible if _is_customer(role) else None),
            delivery_places=places,
            delivery_regions=regions,
            nmck=nmck,
            currency=currency_code(x.text(element, f"{layout.price}/currency/code")),
            okpd2=unique(item.okpd2 for item in items),
            ktru=unique(item.ktru for item in items),
            items=items,
            published_at=published_at,
            updated_at=published_at,
            submission_deadline=self.clock.read(x.text(procedure, layout.deadline)),
            auction_date=parse_date(x.text(procedure, layout.bidding)),
            bid_security=bid_security,
            bid_security_percent=bid_percent,
            contract_security=contract_security,
            contract_security_percent=contract_percent,
            etp_name=x.text(head, "ETP/name"),
            etp_url=x.text(head, "ETP/url"),
            smp_only=smp_only,
            preferences=preferences,
            ikz=self._first_text(first, layout.ikz),
            url=x.text(head, "href") or _card_url(reg_number, method_code),
            source=SOURCE_ID,
            completeness="card",
            notes=self.notes,
        )
        if self.clock.assumed_moscow:
            notice.notes.append(ASSUMED_MOSCOW_NOTE)
        return notice

    def _document_type(self) -> str:
        """``EF2020``, ``EZK``, ``ZK``...: what the element name says about the method."""
        m = _NOTICE_TYPE.match(local(self.element.tag))
        return m.group(1) if m else ""

    def _reg_number(self) -> str:
        """``purchaseNumber`` of the header (never ``IKZInfo/purchaseNumber``), else the source's."""
        reg_number = self.x.text(self.head, "purchaseNumber")
        if reg_number and _REG_NUMBER.match(reg_number):
            return reg_number
        fallback = _reg_number_from_source(self.source)
        if fallback:
            return fallback
        raise ParseError(
            self.source, f"44-FZ notice without a valid 19-digit purchaseNumber (got {reg_number!r})"
        )

    def _customer_inn_kpp(
        self, responsible: etree._Element | None, role: str | None, customer: etree._Element | None
    ) -> tuple[str | None, str | None]:
        code_inn, code_kpp = _inn_kpp_from_customer_code(self.x.text(customer, self.layout.customer_code))
        if code_inn is None:
            code_inn, code_kpp = inn_kpp_from_ikz(self._first_text(customer, self.layout.ikz))
        if _is_customer(role):
            return (
                self.x.text(responsible, "INN") or code_inn,
                self.x.text(responsible, "KPP") or code_kpp,
            )
        return code_inn, code_kpp

    def _customer_name(
        self, customer: etree._Element | None, responsible: etree._Element | None, role: str | None
    ) -> str | None:
        """The customer's name; 2014 documents give the customer's ``regNum`` only, and when the
        customer placed the notice itself its name is the responsible organisation's."""
        name = self.x.text(customer, "customer/fullName")
        if name is None and _is_customer(role):
            name = self.x.text(responsible, "fullName")
        return name

    def _customer_region(
        self, inn: str | None, kpp: str | None, own_org: etree._Element | None
    ) -> str | None:
        region = region_from_kpp(kpp) or region_from_inn(inn)
        if region is None and own_org is not None:
            region = region_from_address(self.x.text(own_org, "postAddress")) or region_from_address(
                self.x.text(own_org, "factAddress")
            )
        return region

    def _nmck(self, customers: list[etree._Element]) -> Decimal | None:
        """The notice-wide max price; for joint purchases that publish only per-customer prices,
        their sum (with a note)."""
        nmck = parse_decimal(self.x.text(self.element, f"{self.layout.price}/maxPrice"))
        if nmck is not None or not customers:
            return nmck
        found = [parse_decimal(self.x.text(customer, self.layout.customer_price)) for customer in customers]
        prices = [price for price in found if price is not None]
        if len(prices) < len(found):
            return None
        if len(prices) > 1:
            self.notes.append(f"NMCK is the sum of {len(prices)} per-customer max prices")
        return sum(prices, Decimal(0))

    def _guarantee(self, customers: list[etree._Element], name: str) -> tuple[Decimal | None, Decimal | None]:
        """(amount summed over customers, the first customer's percentage of NMCK)."""
        amounts = []
        percent = None
        for customer in customers:
            guarantee = self.x.find(customer, name)
            if guarantee is None:
                continue
            amount = parse_decimal(self.x.text(guarantee, "amount"))
            if amount is not None:
                amounts.append(amount)
            if percent is None:
                percent = parse_decimal(self.x.text(guarantee, "part"))
        return (sum(amounts, Decimal(0)) if amounts else None), percent

    def _preferences(self) -> tuple[list[str], bool]:
        codes = []
        smp_only = False
        for preference in self.x.findall(self.element, self.layout.preferences):
            code = self._first_text(preference, self.layout.preference_code)
            name = self.x.text(preference, self.layout.preference_name) or ""
            codes.append(code)
            if code in SMP_ONLY_CODES or (_SMP_ONLY_NAME.search(name) and not _SUBCONTRACTING.search(name)):
                smp_only = True
        return unique(codes), smp_only

    def _delivery(self, customers: list[etree._Element]) -> tuple[list[str], list[str]]:
        """Delivery places for display, and the subjects they lie in.

        A place is the free-text ``deliveryPlace`` (prefixed with the KLADR full name when that
        text alone lacks the locality), else the GAR address; old documents list several addresses
        in one element, one per line. Regions come from the KLADR codes when given, else from the
        classifier-made addresses (GAR address, KLADR full name), else from the free text: typed
        text is read only when nothing structured exists, so it cannot add noise.
        """
        x = self.x
        places: list[str | None] = []
        kladr_codes: list[str | None] = []
        structured: list[str | None] = []
        for customer in customers:
            for place in x.findall(customer, self.layout.delivery):
                fields = x.children(place)  # hot: joint purchases list dozens of places
                kladr = x.children(fields.get("kladr"))
                gar = x.text(fields.get("GARInfo"), "GARAddress")
                kladr_name = text_of(kladr.get("fullName"))
                kladr_codes.append(text_of(kladr.get("kladrCode")) or text_of(kladr.get("code")))
                structured.extend((gar, kladr_name))
                free_text = fields.get("deliveryPlace")
                lines = _lines(free_text.text if free_text is not None else None)
                if kladr_name:
                    lines = [
                        line if line.startswith(kladr_name) else f"{kladr_name}, {line}" for line in lines
                    ]
                places.extend(lines or [gar or kladr_name])
            places.extend(_lines(x.raw_text(customer, "deliveryPlace")))  # 2014: plain text only
        shown = unique(places)
        regions = derive_regions(kladr_codes=unique(kladr_codes), addresses=unique(structured) or shown)
        return shown, regions

    def _items(self) -> list[NoticeItem]:
        """Positions: goods/works/services, then medicines. The 2020 parent objects
        (``notDrugPurchaseParentObjectsInfo``) only group these positions and are not repeated."""
        objects = self.x.find(self.element, self.layout.objects)
        if objects is None:
            return []
        positions = [found for path in self.layout.positions for found in self.x.findall(objects, path)]
        items = [self._position(position) for position in positions]
        drugs = self.x.findall(objects, "drugPurchaseObjectsInfo/drugPurchaseObjectInfo")
        items.extend(self._drug_position(position) for position in drugs)
        old_okpd = unique(self.x.text(position, "OKPD/code") for position in positions)
        if old_okpd:
            self.notes.append(f"positions are classified by the old OKPD (not OKPD2): {', '.join(old_okpd)}")
        return [item for item in items if item is not None]

    def _position(self, position: etree._Element) -> NoticeItem | None:
        # Hot: one call per position, so fields are read from the child index directly.
        x = self.x
        fields = x.children(position)
        ktru = x.children(fields.get("KTRU"))
        okpd2 = fields.get("OKPD2")
        name = text_of(fields.get("name")) or text_of(ktru.get("name")) or x.text(okpd2, "OKPDName")
        if name is None:
            return None
        return NoticeItem(
            name=name,
            okpd2=self._okpd2(okpd2) or self._okpd2(ktru.get("OKPD2")),
            ktru=text_of(ktru.get("code")),
            quantity=parse_decimal(x.text(fields.get("quantity"), "value")),
            unit=self._okei_name(fields.get("OKEI")),
            price=parse_decimal(text_of(fields.get("price"))),
            sum=parse_decimal(text_of(fields.get("sum"))),
        )

    def _drug_position(self, position: etree._Element) -> NoticeItem | None:
        """A medicine: the first (reference) drug describes the position; the others are
        interchangeable substitutes. The drug entry nests at different depths per generation
        (``drugsInfo/drugInfo``, ``drugsInfo/drugInterchangeInfo/.../drugInfo``), so it is the one
        element found by descendant search; its reference data may sit one level further down."""
        x = self.x
        drug = next(position.iter(_DRUG_INFO), None)
        info = x.find(drug, "drugInfoUsingReferenceInfo")
        if info is None:
            info = x.find(drug, "drugInfoUsingTextForm")
        if info is None:
            info = drug
        name = x.text(position, "name") or self._drug_name(info)
        if name is None:
            return None
        okei = x.find(info, "manualUserOKEI")
        if okei is None:
            okei = x.find(info, "dosageInfo/dosageUserOKEI")
        quantity = x.text(position, "drugQuantityCustomersInfo/total") or x.text(drug, "drugQuantity")
        return NoticeItem(
            name=name,
            okpd2=self._okpd2(x.find(info, "OKPD2")),
            ktru=x.text(info, "KTRU/code"),
            quantity=parse_decimal(quantity),
            unit=self._okei_name(okei),
            price=parse_decimal(x.text(position, "pricePerUnit")),
            sum=parse_decimal(x.text(position, "positionPrice")),
        )

    def _drug_name(self, info: etree._Element | None) -> str | None:
        """«МНН, лекарственная форма дозировка», the way the EIS itself names a medicine position."""
        mnn = self.x.text(info, "MNNInfo/MNNName")
        if mnn is None:
            return None
        form = self.x.text(info, "medicamentalFormInfo/medicamentalFormName")
        dosage = self.x.text(info, "dosageInfo/dosageGRLSValue")
        if dosage == "~":  # the EIS writes "~" for "no dosage"
            dosage = None
        tail = " ".join(part for part in (form, dosage) if part)
        return f"{mnn}, {tail}" if tail else mnn

    def _title(self, items: list[NoticeItem]) -> str:
        """``purchaseObjectInfo``, or for a notice without one (the EZT2020 small purchases carry
        none, or the literal ``null``) the names of its positions, which is what a reader sees."""
        title = self.x.text(self.head, "purchaseObjectInfo")
        if title and title != "null":
            return title
        derived = title_from_positions([item.name for item in items])
        if derived:
            self.notes.append(NO_TITLE_NOTE)
        return derived

    def _okpd2(self, okpd2: etree._Element | None) -> str | None:
        """``OKPD2/OKPDCode`` (2020, 504), ``OKPD2/code`` (fcs)."""
        return self.x.text(okpd2, "OKPDCode") or self.x.text(okpd2, "code")

    def _okei_name(self, okei: etree._Element | None) -> str | None:
        """Unit name; the EIS marks line breaks in some OKEI names with ``^`` (``сантиметр;^миллилитр``)."""
        name = self.x.text(okei, "name") or self.x.text(okei, "fullName") or self.x.text(okei, "nationalCode")
        return clean(name.replace("^", " ")) if name else None

    def _first_text(self, element: etree._Element | None, paths: tuple[str, ...]) -> str | None:
        for path in paths:
            value = self.x.text(element, path)
            if value:
                return value
        return None


def _is_customer(role: str | None) -> bool:
    """``CU``: the placing organisation is the customer itself (no role given reads the same way)."""
    return role is None or role == "CU"


def _inn_kpp_from_customer_code(code: str | None) -> tuple[str | None, str | None]:
    m = _CUSTOMER_CODE.match(code) if code else None
    return (m.group(1), m.group(2)) if m else (None, None)


def _reg_number_from_source(source: str | None) -> str | None:
    """A 19-digit registry number in the fetch URL (``regNumber=``) or the file name."""
    found = reg_number_from_url(source)
    if found is None and source:
        m = _REG_NUMBER_IN_NAME.search(source.rsplit("/", 1)[-1])
        found = m.group(1) if m else None
    return found if found and _REG_NUMBER.match(found) else None


def _lines(text: str | None) -> list[str]:
    """One address per line (old documents); a trailing «;» is a list separator, not content."""
    if not text:
        return []
    return unique(clean(line.rstrip().rstrip(";")) for line in text.splitlines())


def _card_url(reg_number: str, method_code: str | None) -> str:
    slug = _CARD_SLUGS.get(method_code or "")
    if slug:
        return CARD_URL.format(slug=slug, reg_number=reg_number)
    return PRINT_FORM_URL.format(reg_number=reg_number)


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdecimal() and len(text) < 10 else None
