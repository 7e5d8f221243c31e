"""Pure parsers: bytes from any EIS channel -> ``Notice`` objects. No Scrapy, no database.

``parse_document`` is the one entry point: it sniffs the format (``detect_format``), parses XML
once with the hardened ``safe_xml_root`` and hands the result to the format's parser. Every
failure is a ``ParseError`` naming the input (the ``url`` argument) and the problem.
"""

from __future__ import annotations

from crawler.parsers.common import NotANotice, ParseError, safe_xml_root
from crawler.parsers.detect import FORMATS, detect_format, looks_like_html
from data.notice import Notice

__all__ = ["FORMATS", "NotANotice", "ParseError", "detect_format", "parse_document"]


def parse_document(data: bytes, *, url: str | None = None) -> list[Notice]:
    """The notices in ``data``: one for an XML card, several for a search page or an RSS feed.

    ``url`` is where the bytes came from (fetch URL or file path); errors name it, and parsers
    fall back to the registry number it carries when the document lacks one.
    """
    source = url or "<bytes>"
    fmt = detect_format(data, source=source)
    # The format modules are imported on first use: a crawl of one source loads one parser.
    if fmt == "json223":
        from crawler.parsers.mobile223 import parse_json223

        return parse_json223(data, source)
    if fmt == "html":
        from crawler.parsers.html import parse_html

        try:
            return parse_html(data, source, url)
        except ParseError as exc:
            raise _as_malformed_xml(data, source) or exc from None
    root = safe_xml_root(data, source)
    if fmt == "xml44":
        from crawler.parsers.eis44 import parse_xml44

        return parse_xml44(root, source)
    if fmt == "xml223":
        from crawler.parsers.eis223 import parse_xml223

        return parse_xml223(root, source)
    from crawler.parsers.rss import parse_rss  # the one format left: "rss"

    return parse_rss(root, source)


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
