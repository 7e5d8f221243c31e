"""OKPD2 (ОК 034-2014) codes: their canonical shape, their class and section, their hierarchy.

Matching a notice to a profile is mostly "is this position's code inside the profile's code",
so the hierarchy rule lives here once. OKPD2 levels, by digit count:

====================  ==================  =======
level                 shape               digits
====================  ==================  =======
класс                 ``XX``              2
подкласс              ``XX.X``            3
группа                ``XX.XX``           4
подгруппа             ``XX.XX.X``         5
вид                   ``XX.XX.XX``        6
категория             ``XX.XX.XX.XX0``    9
подкатегория          ``XX.XX.XX.XXX``    9
====================  ==================  =======

A category and its subcategories share the first eight digits; the category's ninth digit is
0 (28.30.31.120 contains 28.30.31.121 … 129). Sections (A … U) are letters grouping classes and
are not part of a code. A KTRU code is an OKPD2 subcategory plus «-» and a position number
(22.29.29.190-00000057; drugs: 21.20.10.181-00007); it reduces to its OKPD2 part.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from data.reference import ReferenceDataError

OKPD2_CSV = Path(__file__).with_name("okpd2_classes.csv")
NAMES_CSV = Path(__file__).with_name("okpd2_names.csv")
"""Names of OKPD2 subclasses (XX.X) and groups (XX.XX), as ОК 034-2014 publishes them: 755 of
them, not every group (26.20 is missing; its subclass 26.2 «Компьютеры и периферийное
оборудование» is there). Source: rexologue/evo-ai-agents-labs, ``okpd2.csv`` at commit
4fec7bb2abec8ce462a9bb332508cd0a1440cf47 (columns code, category), whitespace folded; checked by
hand against the classifier for the classes the example profiles use (26, 32, 58, 62, 81, 82)."""

_DOTTED = re.compile(r"\d{2}(?:\.\d(?:\d(?:\.\d(?:\d(?:\.\d{3})?)?)?)?)?")
"""XX, XX.X, XX.XX, XX.XX.X, XX.XX.XX or XX.XX.XX.XXX: exactly the OKPD2 levels."""
_KTRU = re.compile(r"(\d{2}\.\d{2}\.\d{2}\.\d{3})-\d+(?:-\d+)*")
"""OKPD2 subcategory + position: 8 digits for goods, 5 for drugs (21.20.10.181-00007)."""
_LEVEL_DIGITS = frozenset({2, 3, 4, 5, 6, 9})
_DOT_AFTER = (2, 4, 6)
"""Digit positions followed by a dot in the canonical form (the 5th digit has none)."""
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class _Classes:
    sections: dict[str, str]
    classes: dict[str, tuple[str, str]]
    """class code → (section letter, class name)"""


@cache
def _classes() -> _Classes:
    sections: dict[str, str] = {}
    classes: dict[str, tuple[str, str]] = {}
    with OKPD2_CSV.open(encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            code, section, name = (row.get(k, "").strip() for k in ("code", "section", "name"))
            if not name or not re.fullmatch(r"[A-U]", section):
                raise ReferenceDataError(f"{OKPD2_CSV.name}:{line}: needs a section letter A-U and a name")
            if code == section:
                sections[code] = name
            elif re.fullmatch(r"\d{2}", code) and code not in classes:
                classes[code] = (section, name)
            else:
                raise ReferenceDataError(f"{OKPD2_CSV.name}:{line}: bad or repeated code {code!r}")
    unknown = {s for s, _ in classes.values()} - sections.keys()
    if unknown:
        raise ReferenceDataError(f"{OKPD2_CSV.name}: classes refer to unknown sections {sorted(unknown)}")
    return _Classes(sections=sections, classes=classes)


def _digits(code: str | None) -> str | None:
    """The code's digits when it has a valid OKPD2 (or KTRU) shape and an existing class."""
    if code is None:
        return None
    text = _WHITESPACE.sub("", code)
    ktru = _KTRU.fullmatch(text)
    if ktru:
        text = ktru.group(1)
    if _DOTTED.fullmatch(text):
        digits = text.replace(".", "")
    elif text.isdigit() and len(text) in _LEVEL_DIGITS:
        digits = text
    else:
        return None
    return digits if digits[:2] in _classes().classes else None


def _dotted(digits: str) -> str:
    parts = []
    for i, ch in enumerate(digits, start=1):
        parts.append(ch)
        if i in _DOT_AFTER and i < len(digits):
            parts.append(".")
    return "".join(parts)


def normalize_okpd2(code: str | None) -> str | None:
    """Canonical dotted OKPD2 code, or ``None`` if the input is not one.

    Accepts spaces anywhere, undotted digits of a valid level («262011110») and KTRU codes
    (reduced to their OKPD2 part); refuses shapes outside the hierarchy («26.201», «26.20.11.11»)
    and classes that do not exist («04.11»).
    """
    digits = _digits(code)
    return _dotted(digits) if digits else None


def okpd2_class(code: str | None) -> tuple[str, str] | None:
    """(two-digit class, its name) of any valid OKPD2 or KTRU code."""
    digits = _digits(code)
    if digits is None:
        return None
    return digits[:2], _classes().classes[digits[:2]][1]


def okpd2_section(code: str | None) -> tuple[str, str] | None:
    """(section letter, its name) of a code, or of a section letter itself («C» or «c»)."""
    table = _classes()
    letter = (code or "").strip().upper()
    if letter in table.sections:
        return letter, table.sections[letter]
    digits = _digits(code)
    if digits is None:
        return None
    letter = table.classes[digits[:2]][0]
    return letter, table.sections[letter]


def is_within(code: str | None, prefix: str | None) -> bool:
    """Whether ``code`` lies in the hierarchy under ``prefix`` (or is it).

    Levels are whole: «26.20» contains 26.20.11.110 but not 26.2 (its parent); «26.20.1»
    contains 26.20.11 and 26.20.15. A category (nine digits ending in 0) contains its
    subcategories. Anything that is not a valid code is inside nothing.
    """
    inner, outer = _digits(code), _digits(prefix)
    if inner is None or outer is None or len(inner) < len(outer):
        return False
    if len(outer) == 9 and outer.endswith("0"):
        return inner[:8] == outer[:8]
    return inner.startswith(outer)


@cache
def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    with NAMES_CSV.open(encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            code, name = (row.get(k, "").strip() for k in ("code", "name"))
            if not re.fullmatch(r"\d{2}\.\d{1,2}", code) or not name or code in names:
                raise ReferenceDataError(
                    f"{NAMES_CSV.name}:{line}: needs a new subclass or group code, a name"
                )
            names[code] = name
    return names


def okpd2_name(code: str | None) -> tuple[str, str] | None:
    """(group or subclass, its name) of the most specific named level at or above ``code``, from
    the group (XX.XX) up to the subclass (XX.X); ``None`` when neither is named (a class name is
    too broad to say what a position is)."""
    digits = _digits(code)
    if digits is None:
        return None
    names = _names()
    for size in (4, 3):
        if len(digits) >= size:
            prefix = _dotted(digits[:size])
            if prefix in names:
                return prefix, names[prefix]
    return None


def okpd2_names() -> dict[str, str]:
    """Every named subclass and group: code -> name (for looking a word up across the classifier)."""
    return dict(_names())
