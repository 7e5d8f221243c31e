"""The notice side: a notice analysed once (words with all their lemmas, code keys, regions), so
every profile reads the same analysis however many look at it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from functools import lru_cache
from typing import Any

from bidder import text
from bidder.keywords import MIN_PREFIX_LETTERS
from bidder.keywords import KeywordPart
from bidder.keywords import KeywordPattern
from bidder.keywords import occurs_in
from bidder.keywords import part_holds
from bidder.matcher.reasons import _Hit
from bidder.matcher.reasons import _region_label
from bidder.places import places_in
from bidder.profiles import code_key
from data.formatting import KIND_LABELS
from data.formatting import LAW_LABELS
from data.formatting import format_money
from data.notice import Notice
from data.notice import days_left
from data.reference.okpd2 import normalize_okpd2
from data.reference.okpd2 import okpd2_name
from data.reference.regions import resolve_region
from data.store.places import PlaceFound

_UNSEEN: Any = object()


@dataclass(frozen=True, slots=True)
class _Notes:
    """Reasons worded from the notice alone («held» branches of ``evaluate``); "" where it lacks the value."""

    customer_region: str
    price: str
    law: str
    kind: str
    security: str
    customer_inn: str


@dataclass(frozen=True, slots=True)
class NamedPlace:
    """A delivery region as the notice's words name it."""

    words: str
    """As written («Новосибирске»)."""
    source: str
    """``title``, or ``position`` for a position's name (``data.store.places.PLACE_SOURCES``)."""


@dataclass(frozen=True, slots=True)
class CodeName:
    """An OKPD2 subclass or group with its name, analysed like a notice's text."""

    code: str
    name: str
    words: tuple[str, ...]
    forms: tuple[frozenset[str], ...]
    lemmas: frozenset[str]
    """Every lemma of ``forms``: a one-word keyword is in the name by one set lookup."""
    scan: str
    """The words and lemmas each behind a NUL: a word family is in the name when «\\0prefix» is."""

    def carries(self, pattern: KeywordPattern) -> bool:
        """Whether the keyword is in the name, as ``occurs_in`` finds it: one word by a set lookup or
        one C-level scan, a phrase searched only when each of its exact words is there."""
        parts = pattern.parts
        if len(parts) == 1:
            part = parts[0]
            return "\0" + part.value in self.scan if part.prefix else part.value in self.lemmas
        if not all(p.prefix or p.value in self.lemmas for p in parts):
            return False
        return occurs_in(pattern, self.words, self.forms)


@lru_cache(maxsize=4096)
def code_name(code: str) -> CodeName | None:
    """The analysed name of the most specific named level of ``code`` (``okpd2_name``), what it
    excepts («кроме …») left out; built once per code, however many notices carry it."""
    named = okpd2_name(code)
    if named is None:
        return None
    words, forms = text.word_forms(text.without_exceptions(named[1]))
    lemmas = frozenset(lemma for word_forms in forms for lemma in word_forms)
    scan = "\0" + "\0".join((*words, *(f for word_forms in forms for f in word_forms)))
    return CodeName(named[0], named[1], words, forms, lemmas, scan)


@dataclass(slots=True)
class NoticeView:
    """A notice analysed once: words with all their lemmas, code keys, regions.

    Title and item names are concatenated with an empty separator position between them, so a
    phrase never spans two of them.
    """

    notice: Notice
    words: list[str]
    forms: list[frozenset[str]]
    by_lemma: dict[str, list[int]]
    okpd2: list[tuple[str, str]]
    ktru: list[tuple[str, str]]
    customer_region: str | None
    delivery_regions: list[str]
    delivery_fallback: bool
    delivery_named: dict[str, NamedPlace] = field(default_factory=dict)
    """Delivery regions read from the title or a position's name (``bidder.places``): code -> where.
    Set when they replace the card's (none, or only the customer's own)."""
    okpd2_keys: list[str] = field(default_factory=list)
    ktru_keys: list[str] = field(default_factory=list)
    segments: list[tuple[int, str]] = field(default_factory=list)
    """(first position, text) of the title and of each item name."""
    code_names: tuple[CodeName, ...] = ()
    name_lemmas: frozenset[str] = frozenset()
    """Every lemma of ``code_names``: a one-word keyword is in them by one set lookup."""
    name_scan: str = ""
    """Their words and lemmas each behind a NUL: a word family is in them when «\\0prefix» is."""
    """The names of the notice's OKPD2 subclasses or groups (``data.reference.okpd2``): what its
    codes say it buys when its title does not («Поставка товара», code 26.20.11.110)."""
    capitals: dict[str, list[int]] = field(default_factory=dict)
    """Word -> positions where it is written in capitals (``text.capitals``): where an
    abbreviation of the synonym dictionary («ПК») may be found."""
    _found: dict[str, _Hit | None] = field(default_factory=dict)
    _days: tuple[datetime, int | None] | None = None
    _heads: dict[str, set[int]] | None = None
    _notes: _Notes | None = None
    _said: dict[str, str | None] = field(default_factory=dict)
    """Keyword text -> its reason in this notice (or ``None``): many matched profiles share keywords."""

    def places_found(self) -> list[PlaceFound]:
        """``delivery_named`` as stored and shown (``data.store.places``)."""
        return [PlaceFound(code, p.source, p.words) for code, p in self.delivery_named.items()]

    def notes(self) -> _Notes:
        """The reasons that depend on the notice alone, built once however many profiles it matches."""
        if self._notes is None:
            n, region = self.notice, self.customer_region
            self._notes = _Notes(
                customer_region=f"регион заказчика {_region_label(region)}" if region else "",
                price=f"НМЦК {format_money(n.nmck, n.currency)} в ценовом диапазоне профиля"
                if n.nmck is not None
                else "",
                law=f"закон {LAW_LABELS[n.law]}",
                kind=f"способ: {KIND_LABELS[n.kind]}",
                security=(
                    f"обеспечение заявки {format_money(n.bid_security)} в пределах лимита"
                    if n.bid_security is not None
                    else ""
                ),
                customer_inn=f"заказчик ИНН {n.customer_inn} в списке профиля" if n.customer_inn else "",
            )
        return self._notes

    def days_left(self, now: datetime) -> int | None:
        """Full days to the submission deadline (``data.notice.time_left``); ``None`` if unknown or past."""
        if self._days is None or self._days[0] != now:
            deadline = self.notice.submission_deadline
            days = None if deadline is None or deadline <= now else days_left(deadline, now)
            self._days = (now, days)
        return self._days[1]

    def find(self, pattern: KeywordPattern, key: str) -> _Hit | None:
        """First place where the pattern's parts meet consecutive words (memoized per notice by ``key``)."""
        hit = self._found.get(key, _UNSEEN)
        if hit is not _UNSEEN:
            return hit
        parts = pattern.parts
        size = len(parts)
        hit = None
        if size == 1:  # the common case: one word, a dict lookup or a few prefix tests
            part = parts[0]
            if pattern.caps:
                starts = self.capitals.get(part.value)
                start = starts[0] if starts else None
            elif part.prefix:
                start = self._first_with_prefix(part.value)
            else:
                starts = self.by_lemma.get(part.value)
                start = starts[0] if starts else None
            if start is not None:  # an abbreviation is shown as written: «ПК», not «пк»
                hit = _Hit(start, start + 1, pattern.text if pattern.caps else self.words[start])
            self._found[key] = hit
            return hit
        for start in self._starts(parts[0]):
            end = start + size
            if end > len(self.words):
                break
            pos = start + 1
            while pos < end and self._part_at(parts[pos - start], pos):
                pos += 1
            if pos == end:
                hit = _Hit(start, end, " ".join(self.words[start:end]))
                break
        self._found[key] = hit
        return hit

    def _starts(self, part: KeywordPart) -> list[int]:
        """Positions where ``part`` holds, ascending: a dict lookup for a lemma, a short scan for a prefix."""
        if not part.prefix:
            return self.by_lemma.get(part.value, [])
        return sorted(p for p in self._head_positions(part) if self._part_at(part, p))

    def _first_with_prefix(self, prefix: str) -> int | None:
        """The first position whose word or one of its lemmas starts with ``prefix`` (C-level scans)."""
        needle = "\0" + prefix
        for base, segment in self.segments:
            joined, positions = _prefix_scan(segment)
            at = joined.find(needle)
            if at >= 0:
                return base + positions[at]
        return None

    def _head_positions(self, part: KeywordPart) -> set[int] | tuple[()]:
        """Positions of the words or lemmas sharing the prefix's first letters: a superset to test."""
        if self._heads is None:
            heads: dict[str, set[int]] = {}
            for pos, (word, forms) in enumerate(zip(self.words, self.forms, strict=True)):
                for s in (word, *forms):
                    heads.setdefault(s[:MIN_PREFIX_LETTERS], set()).add(pos)
            self._heads = heads
        return self._heads.get(part.value[:MIN_PREFIX_LETTERS], ())

    def _part_at(self, part: KeywordPart, pos: int) -> bool:
        return part_holds(part, self.words[pos], self.forms[pos])


@lru_cache(maxsize=4096)
def _region_code(value: str) -> str | None:
    region = resolve_region(value)
    return region.code if region else None


@lru_cache(maxsize=16384)
def _on_hierarchy(code: str) -> bool:
    return normalize_okpd2(code) is not None


def _codes(values: Iterable[str | None]) -> list[tuple[str, str]]:
    """(code, key) of the notice's codes that lie on the OKPD2 hierarchy (KTRU: its OKPD2 part).

    Keys compare by prefix, which is the hierarchy only for well-formed codes: a malformed
    «26.201» has the key 26201 and would fall «within» 26.20. Such codes are ignored here (and
    so never match a code condition), as are codes of classes that do not exist.
    """
    seen: dict[str, str] = {}
    for value in values:
        entry = _code_entry(value) if value else None
        if entry is not None:
            seen.setdefault(entry[1], entry[0])
    return [(code, key) for key, code in seen.items()]


@lru_cache(maxsize=16384)
def _code_entry(value: str) -> tuple[str, str] | None:
    """(code, key) of one written code, or ``None`` when it is blank or off the hierarchy."""
    code = value.strip()
    return (code, code_key(code)) if code and _on_hierarchy(code) else None


_NO_FORMS: frozenset[str] = frozenset()


@lru_cache(maxsize=50_000)
def _prefix_scan(segment: str) -> tuple[str, dict[int, int]]:
    """A text's words and lemmas joined behind NULs, and where each one starts -> its word position.

    ``joined.find("\\0" + prefix)`` then finds the first word of a family in one C-level scan; a
    title or item name recurs across notices, so this is built once per text.
    """
    words, forms = text.word_forms(segment)
    chunks: list[str] = []
    positions: dict[int, int] = {}
    at = 0
    for pos, (word, lemmas) in enumerate(zip(words, forms, strict=True)):
        for token in (word, *lemmas):
            positions[at] = pos
            chunks.append(token)
            at += len(token) + 1
    return "\0" + "\0".join(chunks), positions


def _named_places(notice: Notice) -> dict[str, NamedPlace]:
    """Subjects the title and the positions' names name: code -> where (first mention)."""
    found: dict[str, NamedPlace] = {}
    for source, value in (("title", notice.title), *(("position", item.name) for item in notice.items)):
        for place in places_in(value):
            if place.code not in found:
                found[place.code] = NamedPlace(place.found, source)
    return found


def analyze(notice: Notice) -> NoticeView:
    """Everything the rules need from a notice, computed once however many profiles look at it."""
    title_words, title_forms = text.word_forms(notice.title)
    words, forms = list(title_words), list(title_forms)
    segments = [(0, notice.title)]
    for item in notice.items:
        item_words, item_forms = text.word_forms(item.name)
        if words:
            words.append("")
            forms.append(_NO_FORMS)
        segments.append((len(words), item.name))
        words += item_words
        forms += item_forms
    capitals: dict[str, list[int]] = {}
    for base, segment in segments:
        for pos in text.capitals(segment):
            capitals.setdefault(words[base + pos], []).append(base + pos)
    by_lemma: dict[str, list[int]] = {}
    for pos, lemmas in enumerate(forms):
        for lemma in lemmas:
            if lemma in by_lemma:
                by_lemma[lemma].append(pos)
            else:
                by_lemma[lemma] = [pos]
    ktru_values = [*notice.ktru, *(item.ktru for item in notice.items)]
    okpd2_values = [
        *notice.okpd2,
        *(item.okpd2 for item in notice.items),
        *(k.split("-", 1)[0] for k in ktru_values if k),  # a KTRU code is an OKPD2 code + a suffix
    ]
    customer = _region_code(notice.customer_region) if notice.customer_region else None
    delivery = list(dict.fromkeys(c for c in map(_region_code, notice.delivery_regions) if c))
    named = _named_places(notice)
    if named and delivery in ([], [customer]) and set(named) != {customer}:
        delivery = list(named)  # a head office buying for a branch: the words say where
    else:
        named = {}
    fallback = not delivery and customer is not None
    okpd2, ktru = _codes(okpd2_values), _codes(ktru_values)
    names = tuple({n.code: n for n in map(code_name, (code for code, _ in okpd2)) if n}.values())
    return NoticeView(
        notice=notice,
        words=words,
        forms=forms,
        by_lemma=by_lemma,
        okpd2=okpd2,
        okpd2_keys=[key for _, key in okpd2],
        ktru=ktru,
        ktru_keys=[key for _, key in ktru],
        customer_region=customer,
        delivery_regions=delivery or ([customer] if customer else []),
        delivery_fallback=fallback,
        delivery_named=named,
        segments=segments,
        capitals=capitals,
        code_names=names,
        name_lemmas=frozenset().union(*(n.lemmas for n in names)),
        name_scan="".join(n.scan for n in names),
    )
