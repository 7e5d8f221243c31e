"""Procurement synonyms and abbreviations: «ПК» is a personal computer, «ГСМ» fuel and lubricants.

The dictionary is a reviewable text file (``data/reference/synonyms.txt``, shipped), one group per
line, members separated by `` = ``::

    ПК = персональный компьютер
    ТО = техническое обслуживание = техобслуживание

Members are written like keywords (words, phrases, no ``*``). A member written in capitals alone
(«ПК», «СКУД») is an abbreviation: it stands for its group only where a notice writes it in
capitals (``bidder.text.capitals``), so «то есть» is not «техническое обслуживание».

How a group widens a keyword (``SynonymBook.alternatives``): when a profile's keyword occurs in one
member («компьютер*» in «персональный компьютер»), every other member of the group («ПК») also
satisfies it, and the reason says so («ПК» → «персональный компьютер»). Both directions hold, since
the keyword «ПК» occurs in the member «ПК». Minus-words widen the same way.

Every profile uses the shipped dictionary unless it says ``synonyms = false``, and may add groups
of its own (``synonyms_extra``, same line format).
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bidder import text
from bidder.errors import BidderError
from bidder.keywords import KeywordPart
from bidder.keywords import KeywordPattern
from bidder.keywords import occurs_in
from bidder.keywords import parse_keyword

SHIPPED = Path(__file__).resolve().parents[1] / "data" / "reference" / "synonyms.txt"
SEPARATOR = "="


class SynonymError(BidderError, ValueError):
    """A synonym line or file is unusable; the message names the file (or profile key) and the line."""


@dataclass(frozen=True)
class Member:
    """One way of saying the thing: its words as written, and the pattern a notice is searched with."""

    written: str
    pattern: KeywordPattern
    words: tuple[str, ...]
    forms: tuple[frozenset[str], ...]


@dataclass(frozen=True)
class Alternative:
    """Another member that satisfies a keyword: search the notice for ``pattern``; ``note`` is the
    reason's «ПК» → «персональный компьютер» (what the notice says → where the keyword was found)."""

    key: str
    pattern: KeywordPattern
    note: str


def _is_abbreviation(written: str) -> bool:
    words = text.tokens(written)
    return len(words) == 1 and written.isupper() and sum(c.isalpha() for c in written) >= 2


def _member(written: str) -> Member:
    if "*" in written:
        raise ValueError(f"«{written}»: '*' has no place in a synonym, write the words in full")
    words, forms = text.word_forms(written)
    if _is_abbreviation(written):
        pattern = KeywordPattern(written, (KeywordPart(words[0], prefix=False),), caps=True)
        return Member(written, pattern, words, forms)
    return Member(written, parse_keyword(written), words, forms)


def parse_line(line: str) -> tuple[Member, ...] | None:
    """The members of one dictionary line, ``None`` for a blank or ``#`` comment line; ``ValueError``
    saying what is wrong with it (the caller adds where)."""
    content = line.split("#", 1)[0].strip()
    if not content:
        return None
    written = [" ".join(part.split()) for part in content.split(SEPARATOR)]
    if len(written) < 2:
        raise ValueError(f"«{content}»: a group needs two or more members separated by ' {SEPARATOR} '")
    if not all(written):
        raise ValueError(f"«{content}»: an empty member (two '{SEPARATOR}' in a row, or one at an end)")
    members = tuple(_member(w) for w in written)
    keys = [m.pattern.key for m in members]
    if len(set(keys)) < len(keys):
        raise ValueError(f"«{content}»: a member is repeated")
    return members


def parse_groups(lines: Iterable[str], *, where: str) -> list[tuple[Member, ...]]:
    """Every group of ``lines``; a bad line raises ``SynonymError`` «``where``:LINE: why»."""
    groups = []
    for number, line in enumerate(lines, start=1):
        try:
            group = parse_line(line)
        except ValueError as exc:
            raise SynonymError(f"{where}:{number}: {exc}") from None
        if group is not None:
            groups.append(group)
    return groups


def load_groups(path: Path) -> list[tuple[Member, ...]]:
    """The groups of a dictionary file; a missing, unreadable or empty one is an error naming it."""
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SynonymError(f"{path}: cannot read the synonym dictionary ({exc})") from None
    groups = parse_groups(content.splitlines(), where=str(path))
    if not groups:
        raise SynonymError(
            f"{path}: the synonym dictionary has no groups (one per line: «ПК = персональный компьютер»)"
        )
    return groups


class SynonymBook:
    """Groups of synonyms, and for each keyword the alternatives they give it (computed once per
    keyword: a thousand profiles share a few hundred keywords)."""

    def __init__(self, groups: Sequence[tuple[Member, ...]]) -> None:
        self.groups = tuple(groups)
        self._alternatives: dict[str, tuple[Alternative, ...]] = {}

    def extended(self, groups: Sequence[tuple[Member, ...]]) -> SynonymBook:
        """This book plus a profile's own groups."""
        return SynonymBook([*self.groups, *groups]) if groups else self

    def alternatives(self, pattern: KeywordPattern) -> tuple[Alternative, ...]:
        """The other members of every group one of whose members contains ``pattern``."""
        found = self._alternatives.get(pattern.key)
        if found is None:
            found = self._alternatives[pattern.key] = tuple(self._find(pattern))
        return found

    def _find(self, pattern: KeywordPattern) -> Iterable[Alternative]:
        seen = {pattern.key}
        for group in self.groups:
            via = next((m for m in group if occurs_in(pattern, m.words, m.forms)), None)
            if via is None:
                continue
            for other in group:
                if other is not via and other.pattern.key not in seen:
                    seen.add(other.pattern.key)
                    yield Alternative(
                        other.pattern.key, other.pattern, f"«{other.written}» → «{via.written}»"
                    )


@cache
def shipped_book() -> SynonymBook:
    """The shipped dictionary, read once per process."""
    return SynonymBook(load_groups(SHIPPED))


NO_SYNONYMS = SynonymBook(())
"""What a profile with ``synonyms = false`` and no groups of its own uses."""
