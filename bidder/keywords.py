"""Keywords as the matcher reads them: consecutive parts, each a lemma to meet exactly or a prefix
of a word family (``компьютер*``). Profiles, the synonym dictionary and the matcher share them.

The syntax is in docs/profiles.md ("Keywords and minus-words").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from bidder import text

MIN_PREFIX_LETTERS = 3
"""A ``*`` family needs at least this many characters: «ко*» would match half the dictionary."""


class KeywordPart(NamedTuple):
    """One word of a keyword: a lemma to meet exactly, or (``*``) a prefix of a word family.

    A tuple rather than a dataclass: the matcher memoizes finds by parts per notice, and tuple
    hashing is done in C.
    """

    value: str
    prefix: bool


@dataclass(frozen=True, slots=True)
class KeywordPattern:
    """A keyword or phrase as the matcher uses it: consecutive parts, each a lemma or a prefix."""

    text: str
    parts: tuple[KeywordPart, ...]

    @property
    def is_phrase(self) -> bool:
        return len(self.parts) > 1

    caps: bool = False
    """An abbreviation from the synonym dictionary («ПК», «ТО»): one word, matched only where the
    notice writes it in capitals, as it is (no lemma: «СИЗ» is not «сизый», «ТО» is not «тот»)."""

    @property
    def key(self) -> str:
        """One string per distinct pattern («поставка компьютерный техника», «компьютер*», «пк^»)."""
        written = " ".join(p.value + "*" if p.prefix else p.value for p in self.parts)
        return written + "^" if self.caps else written


@lru_cache(maxsize=8192)
def parse_keyword(raw: str) -> KeywordPattern:
    """Turn «поставка компьютер* техники» into lemma/prefix parts; raise ``ValueError`` if unusable.

    Cached (a pattern is immutable): the same keyword is parsed by validation, by every compile of
    the matcher and by each suggestion that asks whether a word is the profile's own."""
    written = " ".join(raw.split())
    parts: list[KeywordPart] = []
    for chunk in written.split(" "):
        family = chunk.endswith("*")
        words = text.tokens(chunk.rstrip("*"))
        if "*" in chunk.rstrip("*"):
            raise ValueError(f"{raw!r}: '*' is allowed only at the end of a word")
        if not words:
            if chunk.strip("*"):
                continue  # pure punctuation such as «—» between words
            raise ValueError(f"{raw!r}: a bare '*' matches everything")
        for word in words[:-1]:
            parts.append(KeywordPart(text.lemma(word), prefix=False))
        last = words[-1]
        if family:
            if len(last) < MIN_PREFIX_LETTERS:
                raise ValueError(
                    f"{raw!r}: the word family '{last}*' is too short (at least {MIN_PREFIX_LETTERS} letters)"
                )
            parts.append(KeywordPart(last, prefix=True))
        else:
            parts.append(KeywordPart(text.lemma(last), prefix=False))
    if not parts:
        raise ValueError(f"{raw!r}: no words in the keyword")
    return KeywordPattern(written, tuple(parts))


def part_holds(part: KeywordPart, word: str, forms: frozenset[str]) -> bool:
    """Whether one keyword part meets one analysed word (its normalized spelling and all its lemmas)."""
    if not part.prefix:
        return part.value in forms
    return word.startswith(part.value) or any(f.startswith(part.value) for f in forms)


def occurs_in(pattern: KeywordPattern, words: Sequence[str], forms: Sequence[frozenset[str]]) -> bool:
    """Whether the pattern's parts meet consecutive words of a short text (a synonym, a code's name),
    as a notice's text is searched."""
    parts = pattern.parts
    for start in range(len(words) - len(parts) + 1):
        if all(part_holds(part, words[start + i], forms[start + i]) for i, part in enumerate(parts)):
            return True
    return False
