"""Procurement method name/code -> ``Notice.kind``: the one place that knows the mapping.

Names are matched before codes because 223-FZ method codes are customer-specific numbers
(``24576``) while the published names are stable; codes cover 44-FZ ``placingWay`` codes
(``EAP20``, ``ZKP20``, ``OKP20``, ``EP44``...) and the 223-FZ notice-type suffixes
(``AE``, ``ZKESMBO``...) for documents whose method name says nothing.
"""

from __future__ import annotations

import re

from data.notice import Kind

_NAME_RULES: tuple[tuple[re.Pattern[str], Kind], ...] = (
    # Art. 93 of 44-FZ is "purchase from a single supplier" (ezt20 small e-shop purchases, part 12).
    (re.compile(r"единствен|стать[ьи]\w*\s+93\b|ст\.\s*93\b"), "single_supplier"),
    (re.compile(r"аукцион"), "auction"),
    (re.compile(r"котиров|запрос\w*\s+цен"), "quotation"),
    (re.compile(r"конкурс|запрос\w*\s+предложени"), "competition"),
)

_CODE_RULES: tuple[tuple[re.Pattern[str], Kind], ...] = (
    (re.compile(r"^(EZT|EP)"), "single_supplier"),
    (re.compile(r"^(EA|EF|AE|OA)"), "auction"),
    (re.compile(r"^E?ZK"), "quotation"),
    (re.compile(r"^(E?OK|KE|E?ZP)"), "competition"),
)

_SMP_ONLY = re.compile(r"только\s+субъект\w*\s+мало|субъект\w*\s+мсп|smbo$", re.IGNORECASE)


def kind_for(method: str | None, code: str | None = None) -> Kind:
    """Classify a method by its published name, falling back to a 44-FZ/223-FZ code."""
    if method:
        lowered = method.lower()
        for pattern, kind in _NAME_RULES:
            if pattern.search(lowered):
                return kind
    if code:
        upper = code.strip().upper()
        for pattern, kind in _CODE_RULES:
            if pattern.match(upper):
                return kind
    return "other"


def smp_only_method(method: str | None, code: str | None = None) -> bool:
    """True when the method itself restricts bidding to small and medium businesses (SMP/MSP).

    223-FZ has dedicated SMP-only procedures: the ``*SMBO`` notice types and method names such as
    «Аукцион в электронной форме, участниками которого могут быть только субъекты малого и
    среднего предпринимательства».
    """
    return bool((method and _SMP_ONLY.search(method)) or (code and _SMP_ONLY.search(code.strip())))
