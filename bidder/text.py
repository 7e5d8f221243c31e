"""Russian text normalization: the one place where words become comparable.

The matcher, the reports and the bot must agree on what "the same word" means, otherwise a
keyword that matches in an alert would not match in a report. So lowercasing, ё→е, punctuation
and lemmas (pymorphy3) live here and nowhere else.

Ambiguity policy (recall first on the text side, precision on the keyword side):

* a word of a *notice* gets **all** normal forms of all its parses (``lemma_set``): «стали» is
  both «стать» and «сталь», so a profile about steel is not blind to «поставка стали»;
* a *keyword* written by a person gets **one** lemma (``lemma``): its own spelling when that is a
  dictionary form (people write «мыло», not «мыла»), otherwise the first parse's normal form. So
  the keyword «мыло» does not fire on «мыть полы» even though «мыла» can be a form of «мыть».

The analyzer loads its dictionaries once, lazily (about 0.1 s), and every word's analysis is
cached: notices repeat the same few thousand words, so after warm-up a word costs a dict lookup.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pymorphy3 import MorphAnalyzer

_WORD = re.compile(r"[0-9a-zа-я]+")
_WORD_AS_WRITTEN = re.compile(r"[0-9a-zа-яё]+", re.IGNORECASE)
"""``_WORD`` on the text before ``normalize``: the same words at the same positions."""
_SHOUTING = 0.5
"""A text with more than this share of its letters in capitals is written in capitals throughout
(«ПОСТАВКА ТОВАРОВ ПО СПИСКУ»): no word of it stands out as an abbreviation."""
_CYRILLIC = re.compile(r"[а-я]")
_CACHE_SIZE = 200_000

GENERIC_WORDS = frozenset(
    "поставка закупка приобретение оказание услуга выполнение работа нужда год для и на по в с к из".split()
)
"""Lemmas in almost every title: they tell one purchase from another no better than a comma (the
matcher does not index by them, suggestions never propose them)."""

_morph: MorphAnalyzer | None = None
_morph_lock = threading.Lock()


def _analyzer() -> MorphAnalyzer:
    global _morph
    if _morph is None:
        with _morph_lock:
            if _morph is None:
                from pymorphy3 import MorphAnalyzer

                _morph = MorphAnalyzer()
    return _morph


def normalize(text: str) -> str:
    """Lowercase with ё→е; the form every comparison of Russian text starts from."""
    return text.lower().replace("ё", "е")


def tokens(text: str) -> list[str]:
    """Words of ``text`` after ``normalize``: runs of letters and digits; punctuation and hyphens split.

    «Мини-ПК» gives ``["мини", "пк"]`` on both the keyword and the notice side, so hyphenated
    words still match as a phrase.
    """
    return _WORD.findall(normalize(text))


def tokens_as_written(text: str) -> list[str]:
    """The words of ``tokens`` as the text writes them (case and ё kept), position for position:
    for showing a reader what was found («Смоленской», not «смоленской»)."""
    return _WORD_AS_WRITTEN.findall(text)


@lru_cache(maxsize=_CACHE_SIZE)
def lemma_set(word: str) -> frozenset[str]:
    """Every normal form of a normalized word (all parses), for matching notice text with recall."""
    if not _CYRILLIC.search(word):
        return frozenset((word,))
    return frozenset(normalize(p.normal_form) for p in _analyzer().parse(word))


@lru_cache(maxsize=_CACHE_SIZE)
def lemma(word: str) -> str:
    """The one lemma of a normalized word as a person means it (see the module docstring)."""
    if not _CYRILLIC.search(word):
        return word
    forms = [normalize(p.normal_form) for p in _analyzer().parse(word)]
    if word in forms:
        return word
    return forms[0] if forms else word


@lru_cache(maxsize=_CACHE_SIZE // 4)
def word_forms(text: str) -> tuple[tuple[str, ...], tuple[frozenset[str], ...]]:
    """``tokens`` and ``lemma_set`` of each, for a whole title or item name at once.

    Notices repeat the same titles and item names far more often than new ones appear, so the
    matcher's hot path pays one cache lookup per text instead of one per word.
    """
    words = tuple(tokens(text))
    return words, tuple(map(lemma_set, words))


@lru_cache(maxsize=_CACHE_SIZE // 4)
def capitals(text: str) -> tuple[int, ...]:
    """Positions (as in ``tokens``) of the words written in capitals, two letters or more: where an
    abbreviation may stand («Поставка ПК», «ТО автомобилей»). Empty for a text in capitals
    throughout, where «ПО» is the preposition, not «программное обеспечение»."""
    letters = [c for c in text if c.isalpha()]
    if not letters or sum(c.isupper() for c in letters) > _SHOUTING * len(letters):
        return ()
    return tuple(
        pos
        for pos, word in enumerate(tokens_as_written(text))
        if word.isupper() and sum(c.isalpha() for c in word) >= 2
    )


@lru_cache(maxsize=_CACHE_SIZE)
def part_of_speech(word: str) -> str | None:
    """The most likely part of speech of a normalized word (pymorphy's ``NOUN``, ``ADJF``, ``INFN``, ...)."""
    if not _CYRILLIC.search(word):
        return None
    parses = _analyzer().parse(word)
    return str(parses[0].tag.POS) if parses and parses[0].tag.POS else None


_EXCEPT = re.compile(r"\bкроме\b[^,;)]*", re.IGNORECASE)


def without_exceptions(text: str) -> str:
    """The text with its «кроме …» clauses dropped: «Машины офисные и оборудование, кроме
    компьютеров» names no computers, and a search of it must not find any."""
    return _EXCEPT.sub("", text)


def lemmas(text: str) -> list[str]:
    """One lemma per word of ``text``: the compact form for reports, search keys and keywords."""
    return [lemma(w) for w in tokens(text)]


def lemma_sets(text: str) -> list[frozenset[str]]:
    """All normal forms per word of ``text``, position by position (for phrase matching)."""
    return [lemma_set(w) for w in tokens(text)]
