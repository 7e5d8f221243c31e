"""Pure parsers: bytes from any EIS channel -> notices and results. No Scrapy, no database.

``parse_document`` is the one entry point: it sniffs the format (``detect_format``), parses XML
once with the hardened ``safe_xml_root`` and hands the result to the family's parser: notices
(``Notice``), 44-FZ protocols (``ProtocolResult``, also from the site's bid list page), 44-FZ
and 223-FZ contracts (``ContractRecord``), the register of unfair suppliers' search feed
(``UnfairSupplierEntry``). ``parse_notices`` is the same for a caller that wants notices only (a
spider fetching a card). Every failure is a ``ParseError`` naming the input (the ``url``
argument) and the problem.
"""

from __future__ import annotations

from lxml import etree

from crawler.parsers.common import NotANotice
from crawler.parsers.common import ParseError
from crawler.parsers.common import local
from crawler.parsers.common import safe_xml_root
from crawler.parsers.detect import FORMATS
from crawler.parsers.detect import detect_format
from crawler.parsers.detect import looks_like_html
from data.notice import Notice
from data.results import ContractRecord
from data.results import ProtocolResult
from data.results import UnfairSupplierEntry

__all__ = [
    "FORMATS",
    "Document",
    "NotANotice",
    "ParseError",
    "detect_format",
    "parse_document",
    "parse_notices",
]

Document = Notice | ProtocolResult | ContractRecord | UnfairSupplierEntry
"""What a document holds: notices, the protocols of a purchase, contracts, or entries of the
register of unfair suppliers."""


def parse_notices(data: bytes, *, url: str | None = None) -> list[Notice]:
    """The notices in ``data``; a result document (protocol, contract) is ``NotANotice``."""
    documents = parse_document(data, url=url)
    notices = [d for d in documents if isinstance(d, Notice)]
    if documents and not notices:
        kind = type(documents[0]).__name__
        raise NotANotice(url or "<bytes>", f"a result document ({kind}), not a notice")
    return notices


def parse_document(data: bytes, *, url: str | None = None) -> list[Document]:
    """What ``data`` holds: one notice for an XML card, several for a search page or an RSS feed;
    the protocols of a protocol document or of a protocol's bid list page; the contracts of a
    contract record.

    ``url`` is where the bytes came from (fetch URL or file path); errors name it, and parsers
    fall back to the registry number it carries when the document lacks one.
    """
    source = url or "<bytes>"
    fmt = detect_format(data, source=source)
    # The format modules are imported on first use: a crawl of one source loads one parser.
    if fmt == "json223":
        from crawler.parsers.mobile223 import parse_json223

        return list(parse_json223(data, source))
    if fmt == "html":
        from crawler.parsers.result_pages import RESULTS_TAB_MARKER
        from crawler.parsers.result_pages import is_result_page
        from crawler.parsers.result_pages import parse_bid_list

        if is_result_page(data):
            if RESULTS_TAB_MARKER in data:
                raise NotANotice(
                    source, "a purchase's results tab: it links the protocol, whose bid list holds the result"
                )
            return list(parse_bid_list(data, source, url))
        from crawler.parsers.html import parse_html

        try:
            return list(parse_html(data, source, url))
        except ParseError as exc:
            raise _as_malformed_xml(data, source) or exc from None
    root = safe_xml_root(data, source)
    if fmt == "xml44":
        return _parse_xml44(root, source)
    if fmt == "xml223":
        if local(root.tag) == "contract":
            from crawler.parsers.contracts223 import parse_contract223

            return list(parse_contract223(root, source))
        from crawler.parsers.eis223 import parse_xml223

        return list(parse_xml223(root, source))
    from crawler.parsers.rnp import is_register_feed
    from crawler.parsers.rnp import parse_rnp_rss

    if is_register_feed(root):
        return list(parse_rnp_rss(root, source))
    from crawler.parsers.rss import parse_rss  # the one format left: "rss"

    return list(parse_rss(root, source))


def _parse_xml44(root: etree._Element, source: str) -> list[Document]:
    """A 44-FZ document by what it holds: the ``export`` wrapper's first child, or the root."""
    from crawler.parsers.protocols44 import is_protocol

    first = next((child for child in root if isinstance(child.tag, str)), None)
    name = local(first.tag) if local(root.tag) == "export" and first is not None else local(root.tag)
    if is_protocol(name):
        from crawler.parsers.protocols44 import parse_protocol44

        return list(parse_protocol44(root, source))
    if name == "contract":
        from crawler.parsers.contracts44 import parse_contract44

        return list(parse_contract44(root, source))
    from crawler.parsers.eis44 import parse_xml44

    return list(parse_xml44(root, source))


def _as_malformed_xml(data: bytes, source: str) -> ParseError | None:
    """The XML error for a body the HTML parser rejected that has nothing of a web page.

    A truncated XML document whose first tag is an HTML name (``<a>``) is sniffed as a page
    fragment; "malformed XML" tells the user what is really wrong with it.
    """
    if looks_like_html(data):
        return None
    try:
        safe_xml_root(data, source)
    except ParseError as exc:
        return exc if exc.problem.startswith("malformed XML") else None
    return None
