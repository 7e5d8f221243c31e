"""A few lines over lxml so renderers read like the document they write."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from lxml import etree


class Builder:
    """Appends namespaced children: ``b.add(parent, "EP", "purchaseNumber", "0373…")``."""

    def __init__(self, namespaces: dict[str, str]) -> None:
        self.ns = namespaces

    def qname(self, ns: str, tag: str) -> str:
        return f"{{{self.ns[ns]}}}{tag}"

    def add(self, parent: etree._Element, ns: str, tag: str, text: object = None) -> etree._Element:
        child = etree.SubElement(parent, self.qname(ns, tag))
        if text is not None:
            child.text = str(text)
        return child

    def leaves(self, parent: etree._Element, ns: str, pairs: list[tuple[str, object]]) -> None:
        """Several text children in one namespace, skipping ``None`` values."""
        for tag, text in pairs:
            if text is not None:
                self.add(parent, ns, tag, text)


def serialize(root: etree._Element, *, standalone: bool | None = None) -> bytes:
    """Indented UTF-8 with the declaration spelled as the EIS spells it (double quotes)."""
    etree.indent(root, space="    ")
    flag = ' standalone="yes"' if standalone else ""
    declaration = f'<?xml version="1.0" encoding="UTF-8"{flag}?>\n'.encode()
    return declaration + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def nsmap(prefixes: dict[str | None, str]) -> Mapping[str, str]:
    """A namespace map for ``etree.Element``; the ``None`` key is the default namespace.

    lxml takes ``None`` for it; lxml-stubs type the map as ``Mapping[str, str]``, hence the cast.
    """
    return cast(Mapping[str, str], prefixes)
