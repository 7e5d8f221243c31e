"""44-FZ notices in the 2020 format (``epNotificationEF2020`` / ``EZK2020`` / ``EOK2020``, scheme 15.3).

Two channels, one body: the bulk export (``ns3:export`` wrapper, EPtypes as ``ns5``) and the
``printForm/viewXml.html`` card (root in the printform namespace, no wrapper, EPtypes as the default
namespace). The prefixes differ exactly as they do on the real site; the namespace URIs and the
element paths are the same.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from lxml import etree

from crawler.replay.catalog import ATTACHMENT_KINDS
from crawler.replay.catalog import NOTICE_ROOT_44
from crawler.replay.model import EIS
from crawler.replay.model import NoticeVersion
from crawler.replay.model import Organization
from crawler.replay.model import Security
from crawler.replay.model import iso_dt
from crawler.replay.model import plain_decimal
from crawler.replay.model import xs_date
from crawler.replay.xmlkit import Builder
from crawler.replay.xmlkit import nsmap
from crawler.replay.xmlkit import serialize

OOS = "http://zakupki.gov.ru/oos"
NS = {
    "TYPES": f"{OOS}/types/1",
    "BASE": f"{OOS}/base/1",
    "CMN": f"{OOS}/common/1",
    "EXP": f"{OOS}/export/1",
    "EP": f"{OOS}/EPtypes/1",
    "PRINT": f"{OOS}/printform/1",
}
EXPORT_NSMAP = nsmap(
    {
        None: NS["TYPES"],
        "ns2": NS["BASE"],
        "ns4": NS["CMN"],
        "ns3": NS["EXP"],
        "ns6": f"{OOS}/TPtypes/1",
        "ns5": NS["EP"],
        "ns8": f"{OOS}/CPtypes/1",
        "ns7": f"{OOS}/KOTypes/1",
        "ns13": NS["PRINT"],
        "ns9": f"{OOS}/pprf615types/1",
        "ns12": f"{OOS}/EATypes/1",
        "ns11": f"{OOS}/URTypes/1",
        "ns10": f"{OOS}/SMTypes/1",
        "ns14": f"{OOS}/control99/1",
    }
)
PRINTFORM_NSMAP = nsmap(
    {
        "ns5": NS["PRINT"],
        None: NS["EP"],
        "ns2": NS["BASE"],
        "ns4": NS["TYPES"],
        "ns3": NS["CMN"],
    }
)
SCHEME_VERSION = "15.3"

B = Builder(NS)


def root_name(version: NoticeVersion) -> str:
    return NOTICE_ROOT_44[version.purchase.method.code]


def render_export(version: NoticeVersion) -> bytes:
    """The document as the bulk export (getDocsIP / FTP zip) delivers it."""
    export = etree.Element(B.qname("EXP", "export"), nsmap=EXPORT_NSMAP)
    notice = B.add(export, "EXP", root_name(version))
    notice.set("schemeVersion", SCHEME_VERSION)
    _body(notice, version)
    return serialize(export, standalone=True)


def render_printform(version: NoticeVersion) -> bytes:
    """The document as ``/epz/order/notice/printForm/viewXml.html?regNumber=…`` serves it."""
    notice = etree.Element(B.qname("PRINT", root_name(version)), nsmap=PRINTFORM_NSMAP)
    notice.set("schemeVersion", SCHEME_VERSION)
    _body(notice, version)
    return serialize(notice)


def export_file_name(version: NoticeVersion) -> str:
    return f"{root_name(version)}_{version.purchase.reg_number}_{version.doc_id}.xml"


def _body(notice: etree._Element, v: NoticeVersion) -> None:
    p = v.purchase
    B.leaves(
        notice, "EP", [("id", v.doc_id), ("externalId", v.doc_id - 26_000_000), ("versionNumber", v.number)]
    )
    _common_info(notice, v)
    _responsible(notice, p.placer, "RA" if p.placer is not p.customer else "CU")
    B.add(
        B.add(notice, "EP", "printFormInfo"),
        "CMN",
        "url",
        f"{EIS}/epz/order/notice/printForm/view.html?regNumber={p.reg_number}",
    )
    _attachments(notice, v)
    signs = B.add(notice, "EP", "serviceSigns")
    B.leaves(signs, "EP", [("isIncludeKOKS", "false"), ("isControlP1Ch5St99", "false")])
    info = B.add(notice, "EP", "notificationInfo")
    if v.has_deadline:  # a small purchase states no application deadline (its listing shows none)
        _procedure(info, v)
    conditions = B.add(info, "EP", "contractConditionsInfo")
    price = B.add(conditions, "EP", "maxPriceInfo")
    B.add(price, "EP", "maxPrice", plain_decimal(v.nmck))
    currency = B.add(price, "EP", "currency")
    B.leaves(currency, "BASE", [("code", "RUB"), ("name", "РОССИЙСКИЙ РУБЛЬ")])
    if p.method.code == "OKP20":
        B.add(B.add(conditions, "EP", "contractMultiInfo"), "EP", "notProvided", "true")
    _customer_requirement(B.add(info, "EP", "customerRequirementsInfo"), v)
    _purchase_objects(B.add(info, "EP", "purchaseObjectsInfo"), v)
    if p.method.code == "OKP20":
        _criteria(info)
    if p.preferences:
        prefs = B.add(info, "EP", "preferensesInfo")
        for short, name, value in p.preferences:
            pref = B.add(prefs, "EP", "preferenseInfo")
            _requirement_ref(pref, short, name)
            B.add(pref, "CMN", "prefValue", plain_decimal_keep(value))
    requirements = B.add(info, "EP", "requirementsInfo")
    _requirement_ref(
        B.add(requirements, "EP", "requirementInfo"),
        "ET44",
        "Единые требования к участникам закупок в соответствии с ч. 1 ст. 31 Закона № 44-ФЗ",
    )
    B.add(B.add(info, "EP", "flags"), "EP", "purchaseObjectsCh9St37", "false")
    if v.modification:
        modification = B.add(notice, "EP", "modificationInfo")
        B.add(modification, "EP", "info", v.modification)
        decision = B.add(B.add(modification, "EP", "reasonInfo"), "EP", "responsibleDecisionInfo")
        B.add(decision, "EP", "decisionDate", xs_date(v.published_at.date(), p.tz))


def plain_decimal_keep(value: Decimal) -> str:
    """Shares are written with one decimal (``100.0``, ``0.5``) in the real documents."""
    return f"{value:.1f}"


def _common_info(notice: etree._Element, v: NoticeVersion) -> None:
    p = v.purchase
    common = B.add(notice, "EP", "commonInfo")
    B.add(common, "EP", "purchaseNumber", p.reg_number)
    B.add(common, "EP", "docNumber", f"№{p.reg_number}" if v.number == 1 else f"№ИИ{v.number - 1}")
    B.add(common, "EP", "plannedPublishDate", xs_date(v.published_at.date(), p.tz))
    B.add(common, "EP", "publishDTInEIS", iso_dt(v.published_at, millis=True))
    B.add(common, "EP", "href", p.card_url)
    B.add(common, "EP", "notPublishedOnEIS", "true")
    way = B.add(common, "EP", "placingWay")
    B.leaves(way, "BASE", [("code", p.method.code), ("name", p.method.name)])
    etp = B.add(common, "EP", "ETP")
    B.leaves(etp, "BASE", [("code", p.etp.code), ("name", p.etp.name), ("url", p.etp.url)])
    B.add(common, "EP", "contractConclusionOnSt83Ch2", "true")
    if not _small(v):  # the small purchases carry no purchaseObjectInfo (docs/eis-site.md)
        B.add(common, "EP", "purchaseObjectInfo", p.title)


def _responsible(notice: etree._Element, placer: Organization, role: str) -> None:
    responsible = B.add(notice, "EP", "purchaseResponsibleInfo")
    org = B.add(responsible, "EP", "responsibleOrgInfo")
    B.leaves(org, "EP", [("regNum", placer.reg_num), ("consRegistryNum", placer.cons_registry_num)])
    B.leaves(org, "EP", [("fullName", placer.name), ("shortName", placer.short_name)])
    B.leaves(org, "EP", [("postAddress", placer.post_address), ("factAddress", placer.post_address.upper())])
    B.leaves(org, "EP", [("INN", placer.inn), ("KPP", placer.kpp)])
    B.add(responsible, "EP", "responsibleRole", role)
    info = B.add(responsible, "EP", "responsibleInfo")
    B.leaves(
        info, "EP", [("orgPostAddress", placer.post_address), ("orgFactAddress", placer.post_address.upper())]
    )
    person = B.add(info, "EP", "contactPersonInfo")
    B.leaves(person, "CMN", [("lastName", "Иванова"), ("firstName", "Мария"), ("middleName", "Сергеевна")])
    B.leaves(info, "EP", [("contactEMail", placer.email), ("contactPhone", placer.phone)])


def _attachments(notice: etree._Element, v: NoticeVersion) -> None:
    attachments = B.add(notice, "EP", "attachmentsInfo")
    for index, (file_name, description, kind_code, kind_name) in enumerate(ATTACHMENT_KINDS):
        uid = f"{v.doc_id:08X}{index:04X}{v.purchase.reg_number[-12:]:0>12}{'F' * 8}"[:32]
        attachment = B.add(attachments, "CMN", "attachmentInfo")
        B.leaves(
            attachment,
            "CMN",
            [
                ("publishedContentId", uid),
                ("fileName", file_name),
                ("fileSize", 20_000 + (v.doc_id * (index + 3)) % 900_000),
                ("docDescription", description),
                ("docDate", iso_dt((v.published_at - timedelta(minutes=12)).replace(microsecond=0))),
                ("url", f"{EIS}/44fz/filestore/public/1.0/download/priz/file.html?uid={uid}"),
            ],
        )
        kind = B.add(attachment, "CMN", "docKindInfo")
        B.leaves(kind, "BASE", [("code", kind_code), ("name", kind_name)])


def _procedure(info: etree._Element, v: NoticeVersion) -> None:
    p = v.purchase
    procedure = B.add(info, "EP", "procedureInfo")
    collecting = B.add(procedure, "EP", "collectingInfo")
    B.add(collecting, "EP", "startDT", iso_dt(v.published_at.replace(microsecond=0)))
    B.add(collecting, "EP", "endDT", iso_dt(v.deadline))
    if p.method.code == "EAP20":
        B.add(procedure, "EP", "biddingDate", xs_date(v.deadline.date(), p.tz))
    B.add(procedure, "EP", "summarizingDate", xs_date(v.summarizing_date, p.tz))


def _account(parent: etree._Element, org: Organization) -> None:
    account = B.add(parent, "EP", "account")
    B.leaves(
        account,
        "CMN",
        [
            ("bik", f"0{org.region.code}{org.inn[-6:]}"),
            ("settlementAccount", f"032246430000000{org.inn[-5:]}"),
            ("personalAccount", f"2{org.inn[2:8]}{org.region.code}0000"),
            ("creditOrgName", f"ОТДЕЛЕНИЕ {org.region.city_plain.upper()} БАНКА РОССИИ"),
        ],
    )


_BID_TERMS = "В соответствии с правилами и порядком, определенными оператором электронной площадки"
_CONTRACT_TERMS = "Контракт заключается после предоставления заказчику обеспечения исполнения контракта"


def _guarantee(
    requirement: etree._Element, tag: str, security: Security, customer: Organization, terms: str
) -> None:
    """A bid or contract security: the amount (left out when only the share is published), the
    customer's account to pay it to, the terms, and the share of the NMCK."""
    guarantee = B.add(requirement, "EP", tag)
    if security.amount is not None:
        B.add(guarantee, "EP", "amount", plain_decimal(security.amount))
    _account(guarantee, customer)
    B.add(guarantee, "EP", "procedureInfo", terms)
    B.add(guarantee, "EP", "part", plain_decimal_keep(security.part))


def _customer_requirement(parent: etree._Element, v: NoticeVersion) -> None:
    p = v.purchase
    requirement = B.add(parent, "EP", "customerRequirementInfo")
    customer = B.add(requirement, "EP", "customer")
    B.leaves(
        customer,
        "BASE",
        [
            ("regNum", p.customer.reg_num),
            ("consRegistryNum", p.customer.cons_registry_num),
            ("fullName", p.customer.name),
        ],
    )
    if v.bid_security and v.bid_security.amount is not None:
        _guarantee(requirement, "applicationGuarantee", v.bid_security, p.customer, _BID_TERMS)
    if v.contract_security:
        _guarantee(requirement, "contractGuarantee", v.contract_security, p.customer, _CONTRACT_TERMS)
    conditions = B.add(requirement, "EP", "contractConditionsInfo")
    B.add(B.add(conditions, "EP", "maxPriceInfo"), "EP", "maxPrice", plain_decimal(v.nmck))
    B.add(conditions, "EP", "mustPublicDiscussion", "false")
    _ikz(conditions, v)
    plan = B.add(conditions, "EP", "tenderPlan2020Info")
    year = p.versions[0].published_at.year
    B.leaves(
        plan,
        "CMN",
        [
            ("plan2020Number", f"{year}{p.customer.reg_num}001"),
            ("position2020Number", f"{year}{p.customer.reg_num}001000{p.plan_position[1:]}"),
        ],
    )
    _payment_plan(conditions, v)
    places = B.add(conditions, "EP", "deliveryPlacesInfo")
    for place in p.places:
        by_gar = B.add(places, "EP", "byGARInfo")
        country = B.add(by_gar, "CMN", "countryInfo")
        B.leaves(country, "BASE", [("countryCode", "643"), ("countryFullName", "Российская Федерация")])
        gar = B.add(by_gar, "CMN", "GARInfo")
        B.leaves(gar, "CMN", [("GARGuid", place.gar_guid), ("GARAddress", place.gar_address)])
        B.add(by_gar, "CMN", "deliveryPlace", place.text)
    B.add(conditions, "EP", "isOneSideRejectionSt95", "true")


def _ikz(conditions: etree._Element, v: NoticeVersion) -> None:
    p = v.purchase
    ikz = B.add(conditions, "EP", "IKZInfo")
    B.add(ikz, "EP", "purchaseCode", p.ikz())
    B.add(ikz, "EP", "publishYear", p.versions[0].published_at.year)
    okpd = B.add(ikz, "EP", "OKPD2Info")
    group = p.ikz_okpd2
    if group == "0000":
        B.add(okpd, "CMN", "undefined", "0000")
    else:
        code = B.add(okpd, "CMN", "OKPD2")
        first = p.versions[0].positions[0].good
        B.leaves(code, "BASE", [("OKPDCode", f"{group[:2]}.{group[2:]}"), ("OKPDName", first.okpd2_name)])
    kvr = B.add(B.add(ikz, "EP", "KVRInfo"), "CMN", "KVR")
    B.leaves(kvr, "BASE", [("code", "244"), ("name", "Прочая закупка товаров, работ и услуг")])
    B.leaves(
        ikz,
        "EP",
        [
            ("customerCode", p.customer.customer_code),
            ("purchaseNumber", p.plan_position),
            ("purchaseOrderNumber", "001"),
        ],
    )


def _payment_plan(conditions: etree._Element, v: NoticeVersion) -> None:
    plan = B.add(conditions, "EP", "contractExecutionPaymentPlan")
    terms = B.add(B.add(plan, "EP", "contractExecutionTermsInfo"), "CMN", "notRelativeTermsInfo")
    start = v.summarizing_date + timedelta(days=14)
    B.leaves(
        terms,
        "CMN",
        [
            ("startDate", xs_date(start, v.purchase.tz)),
            ("endDate", xs_date(start + timedelta(days=180), v.purchase.tz)),
        ],
    )
    sources = B.add(plan, "EP", "financingSourcesInfo")
    B.add(B.add(sources, "EP", "nonbudgetFinancingsInfo"), "EP", "selfFunds", "true")
    B.add(sources, "EP", "currentYear", v.published_at.year)
    finance = B.add(sources, "EP", "financeInfo")
    total = plain_decimal(v.nmck)
    B.leaves(
        finance,
        "EP",
        [
            ("total", total),
            ("currentYear", total),
            ("firstYear", "0"),
            ("secondYear", "0"),
            ("subsecYears", "0"),
        ],
    )


def _purchase_objects(parent: etree._Element, v: NoticeVersion) -> None:
    if v.purchase.category.drugs:
        _drug_objects(parent, v)
        return
    # EZT2020 keeps its positions directly under purchaseObjectsInfo, the others in a wrapper.
    objects = parent if _small(v) else B.add(parent, "EP", "notDrugPurchaseObjectsInfo")
    for index, pos in enumerate(v.positions):
        obj = B.add(objects, "CMN", "purchaseObject")
        B.add(obj, "CMN", "sid", v.doc_id * 10 + index)
        good = pos.good
        if good.ktru:
            ktru = B.add(obj, "CMN", "KTRU")
            B.leaves(
                ktru,
                "BASE",
                [
                    ("code", good.ktru),
                    ("name", good.name),
                    ("versionId", 150_000 + index),
                    ("versionNumber", 2),
                ],
            )
            okpd = B.add(ktru, "CMN", "OKPD2")
        else:
            okpd = B.add(obj, "CMN", "OKPD2")
        B.leaves(okpd, "BASE", [("OKPDCode", good.okpd2), ("OKPDName", good.okpd2_name)])
        B.add(obj, "CMN", "name", good.name)
        okei = B.add(obj, "CMN", "OKEI")
        B.leaves(
            okei,
            "BASE",
            [("code", pos.unit.code), ("nationalCode", pos.unit.national), ("name", pos.unit.name)],
        )
        B.add(obj, "CMN", "price", plain_decimal(pos.price))
        B.add(obj, "CMN", "volumeSpecifyingMethod", "QF")
        B.add(B.add(obj, "CMN", "quantity"), "CMN", "value", plain_decimal(pos.quantity))
        B.add(obj, "CMN", "sum", plain_decimal(pos.sum))
        B.add(obj, "CMN", "type", good.kind)
        B.add(obj, "CMN", "hierarchyType", "ND")
    if not _small(v):
        B.add(objects, "CMN", "totalSum", plain_decimal(v.nmck))
        B.add(objects, "EP", "quantityUndefined", "false")


def _small(v: NoticeVersion) -> bool:
    return not v.purchase.publishes_object


def _drug_objects(parent: etree._Element, v: NoticeVersion) -> None:
    objects = B.add(parent, "EP", "drugPurchaseObjectsInfo")
    for index, pos in enumerate(v.positions):
        good = pos.good
        obj = B.add(objects, "CMN", "drugPurchaseObjectInfo")
        B.add(obj, "CMN", "sid", v.doc_id * 10 + index)
        drugs = B.add(B.add(obj, "CMN", "objectInfoUsingReferenceInfo"), "CMN", "drugsInfo")
        manual = B.add(B.add(drugs, "CMN", "drugInterchangeInfo"), "CMN", "drugInterchangeManualInfo")
        B.add(manual, "CMN", "isInterchange", "true")
        drug = B.add(manual, "CMN", "drugInfo")
        reference = B.add(drug, "CMN", "drugInfoUsingReferenceInfo")
        mnn = B.add(reference, "CMN", "MNNInfo")
        B.leaves(
            mnn, "CMN", [("MNNExternalCode", v.purchase.guid), ("MNNName", (good.mnn or good.name).upper())]
        )
        okpd = B.add(reference, "CMN", "OKPD2")
        B.leaves(okpd, "BASE", [("OKPDCode", good.okpd2), ("OKPDName", good.okpd2_name)])
        if good.ktru:
            B.add(B.add(reference, "CMN", "KTRU"), "BASE", "code", good.ktru)
        form = B.add(reference, "CMN", "medicamentalFormInfo")
        B.add(form, "CMN", "medicamentalFormName", good.name.split(", ", 1)[-1].upper())
        B.add(reference, "CMN", "basicUnit", "true")
        B.leaves(
            drug,
            "CMN",
            [
                ("drugQuantity", plain_decimal(pos.quantity)),
                ("quantityMultiplier", "1"),
                ("averagePriceValue", plain_decimal(pos.price)),
            ],
        )
        B.add(obj, "CMN", "name", good.name.upper())
        B.add(obj, "CMN", "isZNVLP", "true")
        B.add(obj, "CMN", "isNarcotic", "false")
        quantities = B.add(obj, "CMN", "drugQuantityCustomersInfo")
        per_customer = B.add(quantities, "CMN", "drugQuantityCustomerInfo")
        customer = B.add(per_customer, "CMN", "customer")
        c = v.purchase.customer
        B.leaves(
            customer,
            "BASE",
            [("regNum", c.reg_num), ("consRegistryNum", c.cons_registry_num), ("fullName", c.name)],
        )
        B.add(per_customer, "CMN", "quantity", plain_decimal(pos.quantity))
        B.add(quantities, "CMN", "total", plain_decimal(pos.quantity))
        B.add(obj, "CMN", "pricePerUnit", plain_decimal(pos.price))
        B.add(obj, "CMN", "positionPrice", f"{pos.sum:.2f}")
    B.add(objects, "CMN", "total", f"{v.nmck:.2f}")
    B.add(objects, "EP", "quantityUndefined", "false")


def _criteria(info: etree._Element) -> None:
    criteria = B.add(info, "EP", "criteriaInfo")
    cost = B.add(B.add(criteria, "EP", "criterionInfo"), "EP", "costCriterionInfo")
    B.add(cost, "EP", "code", "CP")
    B.add(B.add(cost, "EP", "valueInfo"), "EP", "value", "60")
    quality = B.add(B.add(criteria, "EP", "criterionInfo"), "EP", "qualitativeCriterionInfo")
    B.add(quality, "EP", "code", "QO")
    B.add(B.add(quality, "EP", "valueInfo"), "EP", "value", "40")


def _requirement_ref(parent: etree._Element, short: str, name: str) -> None:
    ref = B.add(parent, "CMN", "preferenseRequirementInfo")
    B.leaves(ref, "BASE", [("shortName", short), ("name", name)])
