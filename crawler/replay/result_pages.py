"""The EIS site's result pages of a finished auction: the results tab and the protocol's bid list.

Laid out after the three real pages in tests/crawler/eis_results (``blockInfo`` sections,
``tableBlock`` tables with titled columns, the hidden ``d-none`` row after each application,
«1 - Победитель», «Подано заявок N(из них соответствует требованиям: A ; отклонено: R )»),
reduced to what a reader of them needs. Like the real list, the bid list shows at most
``BID_LIST_PAGE_SIZE`` applications and states the totals above them.

Before its result the tab is served without a protocol link or participants: the real tab's
layout at that stage is not known (no saved page), and the reader takes any valid page without a
protocol link as «no result yet».
"""

from __future__ import annotations

from html import escape

from crawler.parsers.result_pages import BID_LIST_PAGE_SIZE
from crawler.replay.model import ru_money
from crawler.replay.pages import MOSCOW
from crawler.replay.pages import ru_date
from data.results import Bid
from data.results import ProtocolResult

PROTOCOL_TYPE = "iea"
"""The ``type`` of an e-auction's summary protocol in the site's links (the real ea20 page's)."""
_WINNER_WORDS = {1: " - Победитель", 2: " - Второй номер"}
TAB_TITLE = "Результат определения поставщика (подрядчика, исполнителя)"
SUMMARY_PROTOCOL = "Протокол подведения итогов определения поставщика (подрядчика, исполнителя)"


def protocol_url(slug: str, number: str, page: str) -> str:
    return f"/epz/order/notice/{slug}/view/protocol/{page}?regNumber={number}&type={PROTOCOL_TYPE}&version=1"


def results_tab_page(slug: str, number: str, protocol: ProtocolResult | None, customer: str) -> bytes:
    """``supplier-results.html``: the deciding protocol's link, the planned contract's participants
    and when the result was formed; without a protocol, the tab's title alone."""
    if protocol is None or protocol.published_at is None:
        return _page(_block(TAB_TITLE, ""))
    decided = protocol.published_at
    link = protocol_url(slug, number, "protocol-main-info.html")
    name = f"{SUMMARY_PROTOCOL} от {ru_date(decided)} №ИЭА"
    winner = protocol.winner
    rows = [_tab_row(winner)] if winner is not None else []
    body = (
        _section(
            "Наименование протокола определения поставщика (подрядчика, исполнителя)",
            f'<a href="{escape(link)}" target="_blank">{escape(name)}</a>',
        )
        + '<div id="supplier-def-result-customer-table-">'
        + _table(["Заказчик(и), с которыми планируется заключить контракт"], [[escape(customer)]])
        + "</div>\n"
        + '<div id="supplier-def-result-participant-table-">'
        + _section("Участники, с которыми планируется заключить контракт", None)
        + _table(
            [
                "Идентификационные номера участников, с которыми планируется заключить контракт",
                "Порядковые номера, полученные по результатам рассмотрения заявок",
                "Предложения участников, &#8381;",
            ],
            rows,
        )
        + "</div>\n"
        + _section(
            "Дата и время формирования результатов определения поставщика (подрядчика, исполнителя)",
            f"{decided.astimezone(MOSCOW):%d.%m.%Y %H:%M} <span class='timeZoneName'>(МСК)</span>",
        )
    )
    return _page(_block(f"{TAB_TITLE}, сформированный на основании размещенных протоколов", body))


def bid_list_page(slug: str, protocol: ProtocolResult, title: str, nmck_text: str) -> bytes:
    """``protocol-bid-list.html``: the totals, the first ``BID_LIST_PAGE_SIZE`` admitted
    applications with rank and price, the rejected ones, and a failed procedure's section."""
    number = protocol.purchase_number
    admitted = [b for b in protocol.bids if b.admitted is not False]
    rejected = [b for b in protocol.bids if b.admitted is False]
    counts = f"соответствует требованиям: {len(admitted)} ; отклонено: {len(rejected)}"
    totals = f"{len(protocol.bids)}(из них {counts} )"
    head = (
        _section("Наименование объекта закупки", escape(title))
        + _section("Начальная (максимальная) цена контракта", f"{nmck_text} РОССИЙСКИЙ РУБЛЬ")
        + _section("Подано заявок", totals)
    )
    columns = [
        "",
        "Идентификационный номер участника",
        "Результат рассмотрения заявки",
        "Порядковый номер",
        "Предлагаемая цена",
    ]
    listed = [_bid_row(slug, number, bid) for bid in admitted[:BID_LIST_PAGE_SIZE]]
    body = head + _block(
        "Список заявок", '<div class="bidsListInnerHtml">' + _table(columns, listed) + "</div>\n"
    )
    if protocol.outcome != "winner":
        body += _section(
            "Электронный аукцион признан несостоявшимся",
            escape(protocol.reason or "Подана только одна заявка"),
        )
    if rejected:
        reject_columns = ["", "Идентификационный номер участника", "Результат рассмотрения заявки"]
        rows = [
            [_arrow(slug, number, bid), escape(bid.app_number or ""), "Отклонена"]
            for bid in rejected[:BID_LIST_PAGE_SIZE]
        ]
        body += _block("Отклоненные заявки", _table(reject_columns, rows))
    return _page(body)


def _tab_row(bid: Bid) -> list[str]:
    return [
        escape(bid.app_number or ""),
        f"{bid.rank or 1}{_WINNER_WORDS.get(bid.rank or 1, '')}",
        _money(bid),
    ]


def _bid_row(slug: str, number: str, bid: Bid) -> list[str]:
    rank = f"{bid.rank}{_WINNER_WORDS.get(bid.rank, '')}" if bid.rank else ""
    return [
        _arrow(slug, number, bid),
        escape(bid.app_number or ""),
        "Соответствует требованиям",
        rank,
        f"{_money(bid)} ₽",
    ]


def _arrow(slug: str, number: str, bid: Bid) -> str:
    link = protocol_url(slug, number, "protocol-bid-review.html") + f"&bidNumber={bid.app_number}"
    number_id = escape(bid.app_number or "")
    return f'<span class="chevronRight draftArrow" data-id="{number_id}" data-link="{escape(link)}"></span>'


def _money(bid: Bid) -> str:
    return ru_money(bid.price) if bid.price is not None else ""


def _section(title: str, info: str | None) -> str:
    shown = f'<span class="section__info">{info}</span>' if info is not None else ""
    heading = f'<span class="section__title">{escape(title)}</span>'
    return f'<section class="blockInfo__section section">{heading}{shown}</section>\n'


def _table(columns: list[str], rows: list[list[str]]) -> str:
    head = "".join(
        f'<th class="tableBlock__col tableBlock__col_header">{title}</th>' if title else "<th></th>"
        for title in columns
    )
    body = "".join(
        '<tr class="tableBlock__row">'
        + "".join(f'<td class="tableBlock__col">{cell}</td>' for cell in row)
        + f'</tr>\n<tr class="d-none"><td></td><td colspan="{len(columns)}"></td></tr>\n'
        for row in rows
    )
    return (
        '<table class="blockInfo__table tableBlock"><thead><tr class="tableBlock__row">'
        f'{head}</tr></thead><tbody class="tableBlock__body">\n{body}</tbody></table>\n'
    )


def _block(title: str, content: str) -> str:
    return (
        f'<div class="container"><div class="row blockInfo"><div class="col">'
        f'<h2 class="blockInfo__title">{escape(title)}</h2>\n{content}</div></div></div>\n'
    )


def _page(body: str) -> bytes:
    head = '<head><meta charset="UTF-8"></head>'
    return f'<!DOCTYPE html>\n<html lang="ru">\n{head}\n<body>\n{body}</body>\n</html>\n'.encode()
