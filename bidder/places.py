"""Where the work really is, read from a notice's words: «для филиала … в г. Новосибирске»,
«Смоленской АЭС», «Белгородэнерго».

Large state companies publish from a Moscow head office for branches all over Russia, so the
customer's region says Moscow and the card often names no place of delivery; the place is in the
title or a position's name. ``places_in`` finds the subjects a text names, in any grammatical form
(lemmas, ``bidder.text``), from the reference list of subjects and their cities
(``data.reference.regions``):

* a subject's distinctive word: «Смоленской» (смоленский → Смоленская область), «Татарстана»;
* one of its cities: «в г. Новосибирске», «по г. Майкопу»;
* an energy company named after a city or subject: «Белгородэнерго», «Смоленскэнерго».

Not read: a federal district («(Дальний Восток)» names eleven subjects, no one place), a street or
district named after a place («Кировский район» of any city, «ул. Московская»).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from functools import lru_cache

from bidder import text
from data.reference.regions import all_regions

_TYPE_WORDS = frozenset(
    "область обл край республика респ автономный округ ао автономная город г федерального значения".split()
)
"""Words naming the kind of subject, not which one (left out of a subject's key)."""
_NOT_A_PLACE_AFTER = frozenset("район р-н улица ул проспект пр переулок шоссе площадь бульвар вокзал".split())
"""A place word followed by one of these names a street, a district or a station, not a subject."""
_STREETS = frozenset(
    "улица ул проспект пр переулок пер шоссе ш площадь пл бульвар набережная наб проезд".split()
)
"""A place word after one of these names a street («ул. Московской»), not a subject."""
_COMPANY_SUFFIXES = ("энерго",)
"""«Белгородэнерго»: a grid company named after its subject or its centre."""


@dataclass(frozen=True)
class Place:
    """A subject a text names: its code and the words as the text writes them."""

    code: str
    found: str


@cache
def _keys() -> dict[tuple[str, ...], str]:
    """Lemmas of each subject's distinctive words and of its cities -> its code."""
    keys: dict[tuple[str, ...], str] = {}
    for region in all_regions():
        names = [region.name, *region.aliases, *(c.removeprefix("г ").strip() for c in region.cities)]
        for name in names:
            key = tuple(text.lemma(w) for w in text.tokens(name.split("(")[0]) if w not in _TYPE_WORDS)
            if key and all(w.isalpha() for w in key):
                keys.setdefault(key, region.code)
    return keys


@lru_cache(maxsize=50_000)
def places_in(value: str) -> tuple[Place, ...]:
    """The subjects ``value`` names, in the order it names them, each once."""
    words = text.tokens(value)
    written = _written(value, len(words))
    lemmas = [text.lemma(w) for w in words]
    keys = _keys()
    longest = max(map(len, keys))
    found: dict[str, Place] = {}
    pos = 0
    while pos < len(words):
        hit = _hit_at(lemmas, pos, keys, longest)
        if hit is not None:
            size, code = hit
            after = lemmas[pos + size] if pos + size < len(words) else ""
            before = lemmas[pos - 1] if pos else ""
            if after not in _NOT_A_PLACE_AFTER and before not in _STREETS:
                found.setdefault(code, Place(code, " ".join(written[pos : pos + size])))
            pos += size
            continue
        company = _company(words[pos], keys)
        if company is not None:
            found.setdefault(company, Place(company, written[pos]))
        pos += 1
    return tuple(found.values())


def _hit_at(
    lemmas: list[str], pos: int, keys: dict[tuple[str, ...], str], longest: int
) -> tuple[int, str] | None:
    for size in range(min(longest, len(lemmas) - pos), 0, -1):
        code = keys.get(tuple(lemmas[pos : pos + size]))
        if code is not None:
            return size, code
    return None


def _company(word: str, keys: dict[tuple[str, ...], str]) -> str | None:
    for suffix in _COMPANY_SUFFIXES:
        stem = word.removesuffix(suffix)
        if stem != word and len(stem) >= 4:
            return keys.get((stem,)) or keys.get((text.lemma(stem),))
    return None


def _written(value: str, count: int) -> list[str]:
    """The words as the text writes them (case kept), position for position with ``text.tokens``."""
    shown = text.tokens_as_written(value)
    return shown if len(shown) == count else text.tokens(value)
