"""Suggestions that make a profile better: learnt from how people triaged its alerts and near
misses, and from the word vectors around its keywords.

Words common in the alerts people skipped («не интересно») and absent from every alert someone took
are proposed as minus-words: «ремонт» in 7 of 10 skipped alerts and in none of 4 taken is what a
sales person would have excluded had they thought of it. The words that brought a near miss people
took («планшетов», close to «ноутбук») are proposed as keywords: a person said the rules should
have caught it. A suggestion is only shown: nothing changes a profile without a person
(``keywords``/``exclude`` in settings.toml, or /filter for one's own).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bidder import text
from bidder.embeddings import EmbeddingError
from bidder.embeddings import nearest_words
from bidder.keywords import occurs_in
from bidder.keywords import parse_keyword
from bidder.keywords import part_holds
from bidder.matcher.view import code_name
from bidder.profiles import Profile
from bidder.profiles import code_key
from data.notice import Notice
from data.reference.okpd2 import okpd2_names
from data.store.triage import TakenNearMiss

MIN_SKIPPED = 3
"""A word must be in at least this many skipped alerts: two could be chance."""
MIN_SHARE = 0.2
"""…and in at least this share of them: a minus-word should explain a good part of the noise."""
MIN_LETTERS = 3
EXAMPLES = 2


@dataclass(frozen=True)
class MinusWord:
    """A proposed minus-word: the lemma, in how many skipped alerts it was, and two of their titles."""

    word: str
    skipped: int
    examples: tuple[str, ...]


@dataclass(frozen=True)
class NewKeyword:
    """A proposed keyword: the lemma of a word that brought near misses people took."""

    word: str
    taken: int
    """Tenders taken that it brought."""
    close_to: str
    """The profile's keyword it came closest to."""
    similarity: float
    """The best cosine between the word's vector and ``close_to``'s among the near misses it
    brought: the same figure the near-miss reason shows."""
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Suggestions:
    """What a profile's triage suggests, with the figures it rests on: minus-words from the alerts
    people skipped, keywords from the near misses they took."""

    profile: str
    skipped: int
    """Alerts of the profile somebody skipped: where minus-words come from."""
    taken: int
    """Alerts somebody took: their words are never proposed as minus-words."""
    minus_words: tuple[MinusWord, ...]
    near_misses_taken: int = 0
    """Distinct near misses of the profile somebody took: where new keywords come from."""
    keywords: tuple[NewKeyword, ...] = ()


def _words(notice: Notice) -> set[str]:
    """The distinct lemmas of the title and the positions' names that could be a minus-word."""
    found: set[str] = set()
    for line in (notice.title, *(item.name for item in notice.items)):
        found.update(
            w
            for w in text.lemmas(line)
            if len(w) >= MIN_LETTERS and w.isalpha() and w not in text.GENERIC_WORDS
        )
    return found


def _is_own(word: str, profile: Profile) -> bool:
    forms = frozenset((word,))
    return any(
        part_holds(part, word, forms)
        for raw in (*profile.keywords, *profile.exclude)
        for part in parse_keyword(raw).parts
    )


def suggest(
    profile: Profile,
    triaged: Sequence[tuple[Notice, str]],
    *,
    taken_near: Sequence[TakenNearMiss] = (),
    limit: int = 10,
    min_skipped: int = MIN_SKIPPED,
) -> Suggestions:
    """Minus-words from ``triaged`` (each alert of the profile with ``take`` or ``skip``), and
    keywords from ``taken_near`` (its near misses somebody took), most telling first."""
    skipped = [notice for notice, action in triaged if action == "skip"]
    taken = [notice for notice, action in triaged if action == "take"]
    in_taken: set[str] = set().union(*(_words(n) for n in taken)) if taken else set()
    counts: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for notice in skipped:
        for word in _words(notice) - in_taken:
            counts[word] += 1
            seen = examples.setdefault(word, [])
            if len(seen) < EXAMPLES:
                seen.append(notice.title)
    needed = max(min_skipped, MIN_SHARE * len(skipped))
    chosen = sorted(
        (w for w, n in counts.items() if n >= needed and not _is_own(w, profile)),
        key=lambda w: (-counts[w], w),
    )[:limit]
    return Suggestions(
        profile=profile.name,
        skipped=len(skipped),
        taken=len(taken),
        minus_words=tuple(MinusWord(w, counts[w], tuple(examples[w])) for w in chosen),
        near_misses_taken=len({near.notice.key for near in taken_near}),
        keywords=_new_keywords(profile, taken_near, limit),
    )


def _new_keywords(
    profile: Profile, taken_near: Sequence[TakenNearMiss], limit: int
) -> tuple[NewKeyword, ...]:
    """One taken tender is enough to propose a word (a person chose it; the proposal changes
    nothing), the words that brought more of them first."""
    by_word: dict[str, list[TakenNearMiss]] = {}
    for near in taken_near:
        word = text.lemma(text.normalize(near.word))
        if not _is_own(word, profile):
            by_word.setdefault(word, []).append(near)
    found = []
    for word, nears in by_word.items():
        best = max(nears, key=lambda n: n.similarity)
        titles = tuple(dict.fromkeys(n.notice.title for n in nears))[:EXAMPLES]
        taken = len({n.notice.key for n in nears})
        found.append(NewKeyword(word, taken, best.keyword, best.similarity, titles))
    found.sort(key=lambda k: (-k.taken, -k.similarity, k.word))
    return tuple(found[:limit])


NEIGHBOURS = 5


def keyword_neighbours(
    profile: Profile, *, limit: int = NEIGHBOURS
) -> list[tuple[str, list[tuple[str, float]]]]:
    """For each one-word keyword, the words closest to it in the word vectors that the profile does
    not have yet: candidates for keywords («ноутбук» → «планшет» 0.73, «компьютер» 0.68). Empty when
    the vectors cannot be loaded (suggestions are a help, never a failure)."""
    found = []
    try:
        for raw in profile.keywords:
            parts = parse_keyword(raw).parts
            if len(parts) != 1:
                continue
            near = [
                (w, sim)
                for w, sim in nearest_words(parts[0].value, limit=limit * 2)
                if not _is_own(w, profile)
            ]
            if near:
                found.append((raw, near[:limit]))
    except EmbeddingError:
        return []
    return found


CODES = 5
_CLASSIFIER_WORDS = text.GENERIC_WORDS | frozenset(
    "прочий прочее включенный включить другой группировка аналогичный подобный связанный услуга".split()
)
"""Words of the classifier's own phrasing («прочие, не включенные в другие группировки»)."""


@dataclass(frozen=True)
class CodeSuggestions:
    """OKPD2 prefixes whose names carry a keyword, and words the names of the profile's codes use."""

    codes_for_keywords: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    """keyword -> (code, name) of the subclasses and groups whose names carry it."""
    words_for_codes: tuple[tuple[str, str, tuple[str, ...]], ...]
    """(profile prefix, the name it is read from, its words the profile lacks)."""


def code_suggestions(profile: Profile, *, limit: int = CODES) -> CodeSuggestions:
    """From the OKPD2 names (``data.reference.okpd2``): prefixes for the profile's keywords it does
    not cover yet, and keywords for its codes. Only shown: nothing changes the profile."""
    names = okpd2_names()
    analysed = {code: code_name(code) for code in sorted(names, key=lambda code: (-len(code), code))}
    covered = tuple(code_key(c) for c in profile.okpd2)
    for_keywords = []
    for raw in profile.keywords:
        pattern = parse_keyword(raw)
        codes = [
            (code, names[code])
            for code, named in analysed.items()
            if named is not None
            and occurs_in(pattern, named.words, named.forms)
            and not code_key(code).startswith(covered or ("\0",))
        ]
        if codes:
            for_keywords.append((raw, tuple(codes[:limit])))
    for_codes = []
    for prefix in profile.okpd2:
        named = code_name(prefix)
        if named is None:
            continue
        words = tuple(
            dict.fromkeys(
                w
                for w in map(text.lemma, named.words)
                if len(w) >= 4 and w.isalpha() and w not in _CLASSIFIER_WORDS and not _is_own(w, profile)
            )
        )
        if words:
            for_codes.append((prefix, f"{named.code} «{named.name}»", words))
    return CodeSuggestions(tuple(for_keywords), tuple(for_codes))
