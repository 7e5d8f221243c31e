"""The EIS site's result pages of a 44-FZ purchase -> the protocol's applications, without a token.

Two pages, read after three real ones saved in September 2026 (tests/crawler/eis_results/SOURCES.md):

* the notice's results tab, ``/epz/order/notice/<kind>/view/supplier-results.html?regNumber=N``:
  the link to the protocol that decided the purchase («Протокол подведения итогов…», a
  ``protocol-main-info.html?regNumber=N&type=izk&version=1`` URL), the participants a contract
  is planned with and the time the result was formed. It names only the winner, so it is read
  into a ``ResultsTab`` (where the protocol is), never stored as the purchase's result;
* the protocol's list of applications, ``…/view/protocol/protocol-bid-list.html`` with the same
  query: how many applications came and how many were admitted («Подано заявок: 5(из них
  соответствует требованиям: 5 ; отклонено: 0 )»), each admitted application's number, rank
  («1 - Победитель») and price, the rejected ones in a table of their own, and, for a procedure
  that did not take place, the section «… признан несостоявшимся» with the reason. It becomes a
  ``ProtocolResult`` like an XML protocol (``parse_document`` routes it here).

What the pages do not give: participants' INN and names (the 2020 procedures are anonymous, as
in the XML), and the list's further pages: the page lists 10 applications (its script pages the
list by 10 and asks ``protocol-bid-list-table.html`` for more, with parameters no saved page
shows). Applications beyond the listed ones are kept as applications without a number or price,
counted from the page's own totals, so participant counts stay right; the result says so.

That the bid list lives at ``protocol-bid-list.html`` beside ``protocol-main-info.html`` rests on
the page's own script (``pathname.replace("protocol-bid-list", …)``) and on the public project the
pages come from, which builds the URL the same way; the tab's layout before any protocol exists is
not known (no saved page): a valid EIS page without a protocol link is read as «no result yet».
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs
from urllib.parse import urljoin
from urllib.parse import urlsplit

import lxml.html
from pydantic import ValidationError

from crawler.parsers.common import ParseError
from crawler.parsers.common import parse_count
from crawler.parsers.common import parse_money
from crawler.parsers.common import reg_number_from_url
from crawler.parsers.html import EIS_BASE
from crawler.parsers.html import Elements
from crawler.parsers.html import card_datetime
from crawler.parsers.html import checked_root
from crawler.parsers.html import has_class
from crawler.parsers.html import node_text
from crawler.parsers.html import reaches_html_end
from crawler.parsers.html import section_fields
from data.results import Bid
from data.results import Outcome
from data.results import ProtocolResult

RESULTS_TAB_MARKER = b"supplier-def-result-"
BID_LIST_MARKER = b"bidsListInnerHtml"
BID_LIST_PAGE_SIZE = 10
"""Applications a bid list page shows (its script: ``RenderPagination(10, 'bidsList')``)."""
PAGE_DOCUMENT_PREFIX = "eisPage:"
"""A page-read protocol's ``document``: the prefix and the protocol's ``type`` (``eisPage:izk``),
so it never takes the key of an XML protocol of the same purchase."""

_X_TABLES = Elements(f"//table[{has_class('tableBlock')}]")
_X_HEADERS = Elements(".//thead//th")
_X_ROWS = Elements(f".//tbody/tr[not({has_class('d-none')})]")
_X_CELLS = Elements("./td")
_X_PROTOCOL_LINKS = Elements("//a[contains(@href, 'protocol-main-info.html')]")
_X_BID_LINKS = Elements("//*[@data-link and contains(@data-link, 'regNumber=')]")
_X_TAB_PARTICIPANTS = Elements("//div[starts-with(@id, 'supplier-def-result-participant-table')]")

_TOTALS = re.compile(r"(\d+)\s*\(\s*из них соответствует требованиям:\s*(\d+)\s*;\s*отклонено:\s*(\d+)")
_RANK = re.compile(r"^\s*(\d+)")
_FAILED_TITLE = "признан несостоявш"


@dataclass(frozen=True)
class ProtocolLink:
    """A protocol the results tab links to."""

    url: str
    name: str
    kind: str | None
    """The link's ``type`` (``izk``: the quotation's summary protocol, ``iea``: the auction's)."""
    version: int | None

    @property
    def bid_list_url(self) -> str:
        return self.url.replace("protocol-main-info.html", "protocol-bid-list.html")


@dataclass(frozen=True)
class ResultsTab:
    """What a purchase's results tab says: where its deciding protocol is and when it was formed."""

    purchase_number: str | None
    protocols: tuple[ProtocolLink, ...]
    formed_at: datetime | None
    winners: tuple[Bid, ...]

    @property
    def deciding(self) -> ProtocolLink | None:
        """The summary protocol («подведения итогов») when the tab links several, else the last one."""
        summaries = [p for p in self.protocols if "итог" in p.name.lower()]
        chosen = summaries or list(self.protocols)
        return chosen[-1] if chosen else None


def is_result_page(data: bytes) -> bool:
    """Whether an HTML body is a results tab or a protocol's bid list (not a notice card)."""
    head = data[: 512 * 1024]
    return RESULTS_TAB_MARKER in head or BID_LIST_MARKER in head


def read_results_tab(data: bytes, source: str) -> ResultsTab:
    """The tab's protocol links, result time and planned-contract participants. A valid EIS page
    without a protocol link is a purchase without a result yet (no protocols, nothing else)."""
    root = _whole_page(data, source)
    protocols = tuple(_protocol_link(a) for a in _X_PROTOCOL_LINKS(root))
    fields = section_fields(root)
    formed_text = next((v for t, v in fields.items() if t.startswith("Дата и время формирования")), None)
    formed_at, _ = card_datetime(formed_text)
    winners: list[Bid] = []
    for block in _X_TAB_PARTICIPANTS(root):
        winners.extend(bid for table in _X_TABLES(block) for bid in _table_bids(table, admitted=True))
    number = next((reg_number_from_url(p.url) for p in protocols), None) or reg_number_from_url(source)
    return ResultsTab(number, protocols, formed_at, tuple(winners))


def parse_bid_list(data: bytes, source: str, url: str | None = None) -> list[ProtocolResult]:
    """The protocol a bid list page shows; ``url`` (the page's address) names the purchase and the
    protocol's type and version when the page's own links do not."""
    root = _whole_page(data, source)
    links = [str(a.get("data-link")) for a in _X_BID_LINKS(root)]
    page_url = url if url and url.startswith(("http://", "https://")) else None
    number = reg_number_from_url(page_url) or next((reg_number_from_url(link) for link in links), None)
    if not number:
        raise ParseError(source, "bid list page names no purchase (no regNumber in its address or links)")
    query = _query(page_url or "") or _query(next(iter(links), ""))
    listed = [bid for table in _X_TABLES(root) if _is_bid_table(table) for bid in _table_bids(table)]
    fields = section_fields(root)
    bids, notes = _with_unlisted(listed, fields.get("Подано заявок"))
    failed = next((v for t, v in fields.items() if _FAILED_TITLE in t.lower()), None)
    try:
        return [
            ProtocolResult(
                law="44-FZ",
                purchase_number=number,
                document=PAGE_DOCUMENT_PREFIX + (query.get("type") or "protocol"),
                version=parse_count(query.get("version")),
                outcome=_outcome(bids, failed is not None),
                reason=failed,
                bids=bids,
                url=page_url,
                notes=notes,
            )
        ]
    except ValidationError as exc:
        raise ParseError(source, f"bid list does not fit the ProtocolResult model: {exc}") from None


def _whole_page(data: bytes, source: str) -> lxml.html.HtmlElement:
    """The page's tree; an error page, a block page or a page cut before ``</html>`` is a
    ``ParseError`` (a cut list would lose applications without a trace)."""
    root = checked_root(data, source)
    if not reaches_html_end(data):
        raise ParseError(source, "result page cut off before </html>")
    return root


def _protocol_link(anchor: lxml.html.HtmlElement) -> ProtocolLink:
    url = urljoin(EIS_BASE, str(anchor.get("href")))
    query = _query(url)
    return ProtocolLink(url, node_text(anchor) or "", query.get("type"), parse_count(query.get("version")))


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _is_bid_table(table: lxml.html.HtmlElement) -> bool:
    return any("номер участника" in (node_text(th) or "") for th in _X_HEADERS(table))


def _table_bids(table: lxml.html.HtmlElement, *, admitted: bool | None = None) -> list[Bid]:
    """One bid per visible row, each cell read by its column's title, never by position."""
    titles = [(node_text(th) or "").lower() for th in _X_HEADERS(table)]
    bids = []
    for row in _X_ROWS(table):
        cells = {title: node_text(cell) for title, cell in zip(titles, _X_CELLS(row), strict=False)}
        number = _cell(cells, "номер участника", "номера участников")
        if number is None:
            continue
        decision = _cell(cells, "результат рассмотрения")
        rank = _RANK.match(_cell(cells, "порядков") or "")
        bids.append(
            Bid(
                app_number=number,
                price=parse_money(_cell(cells, "цена", "предложения участников")),
                admitted=_admitted(decision) if decision is not None else admitted,
                rank=int(rank.group(1)) if rank else None,
            )
        )
    return bids


def _cell(cells: dict[str, str | None], *titles: str) -> str | None:
    return next((value for title, value in cells.items() for t in titles if t in title and value), None)


def _admitted(decision: str) -> bool | None:
    words = decision.lower()
    if "отклон" in words or "не соответствует" in words:
        return False
    if "соответствует" in words or "допущ" in words:
        return True
    return None


def _with_unlisted(listed: list[Bid], totals_text: str | None) -> tuple[list[Bid], list[str]]:
    """The listed bids plus one bid without number or price for each application the page counts
    but does not list (past its first 10 rows)."""
    totals = _TOTALS.search(totals_text or "")
    if totals is None:
        return listed, []
    total, admitted, rejected = (int(g) for g in totals.groups())
    more_admitted = max(0, admitted - sum(1 for b in listed if b.admitted is not False))
    more_rejected = max(0, rejected - sum(1 for b in listed if b.admitted is False))
    unlisted = [Bid(admitted=True)] * more_admitted + [Bid(admitted=False)] * more_rejected
    if not unlisted:
        return listed, []
    note = (
        f"the page lists {len(listed)} of {total} applications (the EIS pages the list by "
        f"{BID_LIST_PAGE_SIZE}): {len(unlisted)} are counted without their number and price"
    )
    return [*listed, *unlisted], [note]


def _outcome(bids: list[Bid], failed: bool) -> Outcome:
    admitted = sum(1 for b in bids if b.admitted is not False)
    if not bids:
        return "no_applications"
    if admitted == 0:
        return "all_rejected"
    if failed and admitted == 1:
        return "single_application"
    if any(b.rank == 1 for b in bids):
        return "winner"
    return "single_application" if admitted == 1 else "offers"
