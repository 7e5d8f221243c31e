"""The extended-search results page and its RSS feed, in the markup the EIS serves.

The card markup follows the real ``search-registry-entry-block`` layout (header title «44-ФЗ /
method», number link, status, object, customer link, price with no-break spaces, the data blocks,
one of which is missing on some entries), and the RSS keeps the real quirks: no ``guid``, a relative
channel link, an HTML description escaped once, an unclosed highlight span, RFC 822 GMT dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from decimal import Decimal
from email.utils import format_datetime
from html import escape

from lxml import etree

from crawler.replay.model import Purchase
from crawler.replay.model import ru_money
from data.notice import MOSCOW

LAW_TITLE = {"44-FZ": "44-ФЗ", "223-FZ": "223-ФЗ"}


class Listing:
    """What one search entry shows: the latest version of a purchase plus its current stage."""

    def __init__(self, purchase: Purchase, status: str, updated_at: datetime) -> None:
        self.purchase = purchase
        self.version = purchase.latest
        self.status = status
        self.updated_at = updated_at
        # The names a Pp615Entry has, so that the page and the feed read either kind of entry alike.
        self.reg_number = purchase.reg_number
        self.card_url = purchase.card_url
        self.published_at = purchase.versions[0].published_at
        self.nmck = self.version.nmck
        self.has_deadline = self.version.has_deadline


@dataclass(frozen=True)
class Pp615Entry:
    """A «ПП РФ 615» capital-repair auction: listed by a search without law flags (or with
    ``ppRf615=on``) beside 44-FZ and 223-FZ purchases, but neither. Only its search entry and RSS
    item are served, as the EIS shows it: 18-digit number, the ``ea615`` card slug, no IKZ
    (the RSS shape is from BJCreslin/ZakupkiRSSReader's comments, see docs/eis-site.md)."""

    reg_number: str
    title: str
    customer: str
    nmck: Decimal
    published_at: datetime
    updated_at: datetime
    status: str = "Подача заявок"

    @property
    def card_url(self) -> str:
        return (
            f"https://zakupki.gov.ru/epz/order/notice/ea615/view/common-info.html?regNumber={self.reg_number}"
        )


Entry = Listing | Pp615Entry
PP615_TITLE = "ПП РФ 615"
PP615_METHOD = "Электронный аукцион"


def ru_date(value: datetime) -> str:
    return value.astimezone(MOSCOW).strftime("%d.%m.%Y")


def records_phrase(total: int) -> str:
    number = f"{total:,}".replace(",", "\xa0")
    if total % 10 == 1 and total % 100 != 11:
        word = "запись"
    elif total % 10 in (2, 3, 4) and total % 100 not in (12, 13, 14):
        word = "записи"
    else:
        word = "записей"
    return f"{number} {word}"


def _nbsp(text: str) -> str:
    """No-break spaces as the EIS writes them in its HTML source."""
    return escape(text).replace("\xa0", "&nbsp;")


def render_results(
    entries: Sequence[Entry], *, total: int, page: int, pages: int, query_string: str, sort_by: str
) -> bytes:
    parts = [
        '<!DOCTYPE html>\n<html lang="ru">\n<head>\n<meta charset="UTF-8">\n'
        "<title>Результаты поиска закупок</title>\n</head>\n<body>\n"
        '<div class="search-results">\n<div class="search-results__total">\n'
        f"    {_nbsp(records_phrase(total))}\n</div>\n</div>\n",
        _sort_block(query_string, total, sort_by),
        '<div class="search-registry-entrys-block">\n',
    ]
    parts.extend(
        _card(**(_listing_parts(entry) if isinstance(entry, Listing) else _pp615_parts(entry)))
        for entry in entries
    )
    parts.append("</div>\n")
    parts.append(_paginator(page, pages))
    parts.append("</body>\n</html>\n")
    return "".join(parts).encode("utf-8")


def _sort_block(query_string: str, total: int, sort_by: str) -> str:
    labels = {"UPDATE_DATE": "Дате обновления", "PUBLISH_DATE": "Дате размещения", "PRICE": "Цене"}
    qs = escape(query_string)
    return (
        '<div class="sort-by-block noselect">\n<div class="d-flex align-items-baseline sort-by-list">\n'
        '    <div class="dropdown__text sort-by-list__title">Сортировать по:</div>\n'
        '    <input type="text" name="search-filter" class="dropdown-select" '
        f'value="{labels.get(sort_by, "")}" readonly="" hidden="">\n'
        f'    <a href="#" class="downLoad-search" onclick="downloadCsv(\'?{qs}\', \'{total}\')"></a>\n'
        f'    <a target="_blank" class="rss-search cursorPointer" '
        f"onclick=\"rssSubscribe('/epz/order/extendedsearch/rss.html?{qs}', 256)\"></a>\n"
        "</div>\n</div>\n"
    )


def _paginator(page: int, pages: int) -> str:
    if pages <= 1:
        return ""
    out = ['<div class="paginator-block">\n<div class="paginator align-self-center m-0">\n']
    if page > 1:
        out.append(
            f'    <a class="paginator-button paginator-button-prev" data-pagenumber="{page - 1}"></a>\n'
        )
    out.append('    <ul class="pages">\n')
    for number in range(max(1, page - 2), min(pages, page + 2) + 1):
        active = " active" if number == page else ""
        out.append(
            f'        <li class="page"><a class="page__link{active}" data-pagenumber="{number}">'
            f'<span class="link-text">{number}</span></a></li>\n'
        )
    out.append("    </ul>\n")
    if page < pages:
        out.append(
            f'    <a class="paginator-button paginator-button-next" data-pagenumber="{page + 1}"></a>\n'
        )
    out.append("</div>\n</div>\n")
    return "".join(out)


def _listing_parts(entry: Listing) -> dict[str, str]:
    """What a purchase's entry shows, for ``_card``."""
    p = entry.purchase
    v = entry.version
    reg = p.reg_number
    if p.law == "44-FZ":
        icons = (
            f'<a data-modalup="" href="/epz/order/notice/printForm/listModal.html?regNumber={reg}">'
            '<img src="/epz/static/img/icons/icon_key.svg" alt=""></a>\n'
            f'<a href="/epz/order/notice/printForm/view.html?regNumber={reg}" target="_blank" class="m-0">'
            '<img src="/epz/static/img/icons/icon_print_small.svg" alt=""></a>'
        )
        customer_href = f"/epz/organization/view/info.html?organizationCode={p.customer.reg_num}"
        links = (
            '<div class="href d-flex">'
            f'<a href="/epz/order/notice/{p.method.slug}/view/documents.html?regNumber={reg}" '
            'target="_blank">Документы</a></div>\n'
            f'<div class="href d-flex"><a onclick="openContractUrl(\'{reg}\')">Контракт</a></div>\n'
            f'<div class="href align-self-center"><a class="cursorPointer" '
            f"onclick=\"openPlanGraphSearchUrl('{p.ikz()}')\">Позиция плана-графика</a></div>\n"
            '<div class="href d-flex">'
            f"<a onclick=\"openComplaintSearch('{reg}', false, false, true)\">Жалоба</a></div>"
        )
    else:
        guid_part = f"purchaseNoticeGuid={p.guid}&amp;purchaseNoticeNumber={reg}"
        icons = (
            f'<a href="/epz/order/notice/notice223/signview/listModal.html?{guid_part}" '
            'class="distancedText newExternalPopUpLink" data-modalup="">'
            '<img src="/epz/static/img/icons/icon_key.svg" alt=""></a>\n'
            f'<a href="/epz/order/notice/notice223/printForm/view.html?{guid_part}" '
            'target="_blank" class="m-0">'
            '<img src="/epz/static/img/icons/icon_print_small.svg" alt=""></a>'
        )
        c = p.customer
        customer_href = (
            f"/epz/organization/view223/info.html?&amp;inn={c.inn}&amp;kpp={c.kpp}&amp;ogrn={c.ogrn}"
        )
        links = (
            '<div class="href d-flex"><a href="/epz/order/notice/notice223/documents.html?'
            f'purchaseNoticeNumber={reg}&amp;noticeGuid={p.guid}" target="_blank">Документы</a></div>\n'
            '<div class="href d-flex">'
            f"<a onclick=\"openComplaintSearch('{reg}', false, true, false)\">Жалоба</a></div>"
        )
    # the ezt20 entries show only the customer (html_eis_list.html)
    object_block = _object_block(p.title) if p.publishes_object else ""
    deadline_block = ""
    if entry.has_deadline:
        deadline_block = (
            '                <div class="data-block__title">Окончание подачи заявок</div>\n'
            f'                <div class="data-block__value">{ru_date(v.deadline)}</div>\n'
        )
    return {
        "law_title": LAW_TITLE[p.law],
        "method": escape(p.method.name),
        "icons": icons,
        "card_url": escape(p.card_url),
        "reg_number": reg,
        "status": escape(entry.status),
        "object_block": object_block,
        "customer_href": customer_href,
        "customer": escape(p.customer.name),
        "price": f"{_nbsp(ru_money(v.nmck))} {p.currency.sign}",
        "published": ru_date(entry.published_at),
        "updated": ru_date(entry.updated_at),
        "deadline_block": deadline_block,
        "links": links,
    }


def _pp615_parts(entry: Pp615Entry) -> dict[str, str]:
    """A 615 auction's entry: the same layout with its header, no icons or links, no deadline."""
    return {
        "law_title": PP615_TITLE,
        "method": PP615_METHOD,
        "icons": "",
        "card_url": escape(entry.card_url),
        "reg_number": entry.reg_number,
        "status": escape(entry.status),
        "object_block": _object_block(entry.title),
        "customer_href": "",
        "customer": escape(entry.customer),
        "price": f"{_nbsp(ru_money(entry.nmck))} ₽",
        "published": ru_date(entry.published_at),
        "updated": ru_date(entry.updated_at),
        "deadline_block": "",
        "links": "",
    }


def _object_block(title: str) -> str:
    return (
        '                <div class="registry-entry__body-block">\n'
        '                    <div class="registry-entry__body-title">Объект закупки</div>\n'
        f'                    <div class="registry-entry__body-value">{escape(title)}</div>\n'
        "                </div>\n"
    )


def _card(
    *,
    law_title: str,
    method: str,
    icons: str,
    card_url: str,
    reg_number: str,
    status: str,
    object_block: str,
    customer_href: str,
    customer: str,
    price: str,
    published: str,
    updated: str,
    deadline_block: str,
    links: str,
) -> str:
    """One ``search-registry-entry-block`` in the EIS's markup."""
    return f"""<div class="search-registry-entry-block box-shadow-search-input">
    <div class="row no-gutters registry-entry__form mr-0">
        <div class="col-8 pr-0">
            <div class="registry-entry__header">
                <div class="row registry-entry__header-top m-0">
                    <div class="col p-0 d-flex">
                        <div class="col-9 p-0 registry-entry__header-top__title text-truncate">
                           {law_title}
                           {method}
                        </div>
                        <div class="w-space-nowrap ml-auto registry-entry__header-top__icon">{icons}
                        </div>
                    </div>
                </div>
                <div class="d-flex registry-entry__header-mid align-items-center">
                    <div class="registry-entry__header-mid__number">
                        <a target="_blank" href="{card_url}">
                            № {reg_number}
                        </a>
                    </div>
                    <div class="registry-entry__header-mid__title text-normal">
                        {status}
                    </div>
                </div>
            </div>
            <div class="registry-entry__body">
{object_block}                <div class="registry-entry__body-block">
                    <div class="registry-entry__body-title">Заказчик</div>
                    <div class="registry-entry__body-href">
                        <a target="_blank" href="{customer_href}">
                            {customer}
                        </a>
                    </div>
                </div>
            </div>
        </div>
        <div class="col col d-flex flex-column registry-entry__right-block b-left">
            <div class="price-block">
                <div class="price-block__title">Начальная цена
                </div>
                <div class="price-block__value" style="overflow-wrap:anywhere">
                    {price}
                </div>
            </div>
            <div class="data-block mt-auto">
                <div class="row">
                    <div class="col-6">
                        <div class="data-block__title">Размещено</div>
                        <div class="data-block__value">{published}</div>
                    </div>
                    <div class="col-6">
                        <div class="data-block__title">Обновлено</div>
                        <div class="data-block__value">{updated}</div>
                    </div>
                </div>
{deadline_block}            </div>
            <div class="href-block mt-auto d-none">
{links}
            </div>
        </div>
    </div>
</div>
"""


# ---- RSS -----------------------------------------------------------------------------------------------

RSS_TITLE = "Результаты поиска в реестре заказов и закупок"


def render_rss(entries: Sequence[Entry], *, query_string: str, search: str | None) -> bytes:
    rss = etree.Element("rss", version="2.0")
    channel = etree.SubElement(rss, "channel")
    etree.SubElement(channel, "title").text = RSS_TITLE
    etree.SubElement(channel, "link").text = f"/epz/order/extendedsearch/results.html?{query_string}"
    etree.SubElement(channel, "description").text = RSS_TITLE
    for entry in entries:
        item = etree.SubElement(channel, "item")
        if isinstance(entry, Listing):
            p = entry.purchase
            title, customer, description = p.method.name, p.customer.name, _rss_description(entry, search)
        else:
            title, customer, description = PP615_METHOD, entry.customer, _rss615_description(entry)
        etree.SubElement(item, "title").text = f"{title} №{entry.reg_number}"
        etree.SubElement(item, "link").text = entry.card_url
        etree.SubElement(item, "description").text = description
        etree.SubElement(item, "pubDate").text = format_datetime(
            entry.updated_at.astimezone(UTC), usegmt=True
        )
        etree.SubElement(item, "author").text = _highlight(customer, search, close=True)
    etree.indent(rss, space="  ")
    return etree.tostring(rss, xml_declaration=True, encoding="utf-8")


def _highlight(text: str, search: str | None, *, close: bool) -> str:
    """Wrap the first hit in the EIS highlight span; the description leaves it unclosed, as the EIS does."""
    if not search:
        return text
    at = text.lower().find(search.lower())
    if at < 0:
        return text
    hit = text[at : at + len(search)]
    tail = text[at + len(search) :]
    closing = "</span>" if close else ""
    return f"{text[:at]}<span class='highlightColor'>{hit}{closing}{tail}"


def _rss_description(entry: Listing, search: str | None) -> str:
    p = entry.purchase
    law = LAW_TITLE[p.law]
    params = "<b>Параметры поиска: </b><br/>"
    if search:
        params += f"<strong>Искомое слово (словосочетание): </strong>{search}<br/>"
    params += f"<strong>Закупки по: </strong>{law}<br/><br>"
    found = (
        f"<strong>Найденный результат:</strong><br/><strong>{p.method.name}</strong> "
        f"<a href='{p.card_url}' target='_blank' ><strong>№ </strong><strong>{p.reg_number}</strong></a><br/>"
    )
    ikz = p.ikz() if p.law == "44-FZ" else ""
    pairs = [
        (
            "Наименование объекта закупки",
            _highlight(p.title, search, close=False) if p.publishes_object else "null",
        ),
        ("Размещение выполняется по", law),
        ("Наименование Заказчика", _highlight(p.customer.name, search, close=False)),
    ]
    body = "".join(f"<strong>{label}: </strong>{value}<br/>" for label, value in pairs)
    body += (
        f"<strong>Начальная цена контракта: </strong>{entry.version.nmck:.2f}"
        f"<strong> Валюта: </strong>{p.currency.name}<br/>"
    )
    tail = [
        ("Размещено", ru_date(entry.published_at)),
        ("Обновлено", ru_date(entry.updated_at)),
        ("Этап размещения", entry.status),
        ("Идентификационный код закупки (ИКЗ)", ikz),
    ]
    body += "".join(f"<strong>{label}: </strong>{value}<br/>" for label, value in tail)
    return params + found + body


def _rss615_description(entry: Pp615Entry) -> str:
    pairs = [
        ("Наименование объекта закупки", entry.title),
        ("Размещение выполняется по", PP615_TITLE),
        ("Наименование Заказчика", entry.customer),
        ("Начальная цена контракта", f"{entry.nmck:.2f}"),
        ("Размещено", ru_date(entry.published_at)),
        ("Обновлено", ru_date(entry.updated_at)),
        ("Этап размещения", entry.status),
        ("Идентификационный код закупки (ИКЗ)", ""),
    ]
    return "".join(f"<strong>{label}: </strong>{value}<br/>" for label, value in pairs)
