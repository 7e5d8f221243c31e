"""Near misses: notices whose title means what a profile's keywords say, in words no rule knows.

«Поставка планшетов» matches no rule of a profile with the keyword «ноутбук», but «планшет» lies
close to it in the word vectors (``bidder.embeddings``: cosine 0.73). Such a notice is a near miss of the
profile when every other condition of the profile holds (region, price, law, minus-words, ...):
only the words failed. Near misses are shown apart from matches (``report near-misses``, the
bot's «Возможно, интересно» digest) and never alert as matches.

How a notice is compared: each content word of its title (not in every title, three letters or
more) against each keyword of the active profiles (a phrase by the mean of its words); the
similarity is the best cosine, and the reason names both («планшетов» по смыслу близко к «ноутбук»
(0,73)).
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import numpy as np

from bidder import text
from bidder.embeddings import DIMENSIONS
from bidder.embeddings import Vector
from bidder.embeddings import mean_vector
from bidder.embeddings import word_vector
from bidder.keywords import KeywordPart
from bidder.keywords import KeywordPattern
from bidder.keywords import part_holds
from bidder.matcher import CompiledMatcher
from bidder.matcher import NoticeView
from bidder.matcher.rules import holds_but_capability

MAX_CACHED_WORDS = 50_000
"""Distinct title words whose close profiles a finder keeps (a few small tuples each)."""
DEFAULT_THRESHOLD = 0.55
"""Cosine at or above which a title word counts as close to a keyword (``matching.near_miss_threshold``).
On this model «планшет»/«ноутбук» is 0.73, «топливо»/«бензин» 0.65, «смартфон»/«ноутбук» 0.60, and
«ноутбук»/«принтер» 0.50, which a printer dealer would not want to see."""


@dataclass(frozen=True)
class NearMiss:
    """A profile a notice nearly matched: its closest keyword, the title word, and how close."""

    profile: str
    similarity: float
    keyword: str
    word: str
    chats: tuple[int, ...] = ()

    @property
    def reason(self) -> str:
        return f"«{self.word}» {closeness(self.keyword, self.similarity)}"


def near_miss_reasons(
    stored: Iterable[tuple[str, float, str, str]], profiles: Iterable[str]
) -> dict[str, list[object]]:
    """Profile -> why the notice came close, from the stored (profile, similarity, keyword, word)
    rows, for ``profiles`` only (a chat sees the near misses of its own profiles): what the
    «Возможно, интересно» digest and the card its «N ▸» opens show."""
    wanted = set(profiles)
    reasons: dict[str, list[object]] = {}
    for profile, similarity, keyword, word in stored:
        if profile in wanted:
            reasons.setdefault(profile, []).append(NearMiss(profile, similarity, keyword, word).reason)
    return reasons


def closeness(keyword: str, similarity: float) -> str:
    """«по смыслу близко к «ноутбук» (0,73)»: how every reason and suggestion words a near miss."""
    shown = f"{similarity:.2f}".replace(".", ",")
    return f"по смыслу близко к «{keyword}» ({shown})"


@lru_cache(maxsize=50_000)
def content_words(title: str) -> tuple[str, ...]:
    """The title's words that can carry a meaning: not in every title, three letters or more."""
    return tuple(
        w
        for w in dict.fromkeys(text.tokens(title))
        if len(w) >= 3 and w.isalpha() and text.lemma(w) not in text.GENERIC_WORDS
    )


def _pattern_vector(pattern: KeywordPattern) -> Vector | None:
    words = [part.value for part in pattern.parts if part.value not in text.GENERIC_WORDS]
    return mean_vector(words)


class NearMissFinder:
    """The keywords of a matcher's active profiles as one matrix of vectors, built once per run.

    A distinct title word costs one product with the keyword matrix and one ``maximum.reduceat``
    that gives every profile its closest keyword at once; its profiles above the threshold are
    kept, so a notice costs a few dictionary merges and a check of the profiles that came close.
    """

    def __init__(self, matcher: CompiledMatcher, *, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.matcher = matcher
        self.threshold = threshold
        index: dict[str, int] = {}
        vectors: list[Vector] = []
        self.keywords: list[str] = []
        self._parts: list[tuple[KeywordPart, ...]] = []
        profile_ids: list[int] = []
        indices: list[int] = []
        starts: list[int] = []
        for pid, cp in enumerate(matcher.profiles):
            if not cp.active:
                continue
            own: list[int] = []
            for _, pattern in cp.keywords:
                at = index.get(pattern.key)
                if at is None:
                    vector = _pattern_vector(pattern)
                    if vector is None:
                        continue
                    at = index[pattern.key] = len(vectors)
                    vectors.append(vector)
                    self.keywords.append(pattern.text)
                    self._parts.append(pattern.parts)
                own.append(at)
            if own:
                profile_ids.append(pid)
                starts.append(len(indices))
                indices += own
        self.matrix = np.stack(vectors) if vectors else np.zeros((0, DIMENSIONS), dtype=np.float32)
        self._profile_ids = profile_ids
        self._indices = np.array(indices, dtype=np.intp)
        self._starts = np.array(starts, dtype=np.intp)
        """Profile i's keywords are ``_indices[_starts[i]:_starts[i + 1]]`` (never empty)."""
        self._by_word: dict[str, tuple[tuple[int, float, int], ...]] = {}

    def _close(self, word: str) -> tuple[tuple[int, float, int], ...]:
        """(profile index, similarity, keyword) of every profile with a keyword close to ``word``.

        Computed once per distinct word (titles reuse a few thousand words), so a notice costs a
        few dictionary merges, not a matrix product."""
        found = self._by_word.get(word)
        if found is None:
            vector = word_vector(word)
            found = () if vector is None else self._close_to(word, vector)
            if len(self._by_word) >= MAX_CACHED_WORDS:
                self._by_word.clear()
            self._by_word[word] = found
        return found

    def _close_to(self, word: str, vector: Vector) -> tuple[tuple[int, float, int], ...]:
        similarity = self.matrix @ vector  # one per keyword
        # a word of the keyword itself is the rules' business: «помещений» half-matches the phrase
        # «содержание помещений», it does not mean it
        forms = text.lemma_set(word)
        for k, parts in enumerate(self._parts):
            if any(part_holds(part, word, forms) for part in parts):
                similarity[k] = -1.0
        per_profile = np.maximum.reduceat(similarity[self._indices], self._starts)
        found = []
        for i in np.flatnonzero(per_profile >= self.threshold):
            end = self._starts[i + 1] if i + 1 < len(self._starts) else len(self._indices)
            own = self._indices[self._starts[i] : end]
            k = int(own[int(np.argmax(similarity[own]))])
            found.append((int(i), float(similarity[k]), k))
        return tuple(found)

    def find(self, view: NoticeView, *, now: datetime, matched: Collection[str] = ()) -> list[NearMiss]:
        """The profiles ``view`` nearly matches, closest first; ``matched``: the profiles it matched."""
        if not self._profile_ids:
            return []
        closest: dict[int, tuple[float, int, str]] = {}
        for word in content_words(view.notice.title):
            for i, score, k in self._close(word):
                if score > closest.get(i, (0.0, 0, ""))[0]:
                    closest[i] = (score, k, word)
        if not closest:
            return []
        accepting = self.matcher.accepting(view)
        found = []
        for i, (score, k, word) in closest.items():
            pid = self._profile_ids[i]
            cp = self.matcher.profiles[pid]
            accepted = accepting >> pid & 1 and cp.profile.name not in matched
            if accepted and holds_but_capability(cp, view, now):
                found.append(NearMiss(cp.profile.name, round(score, 2), self.keywords[k], word, cp.chats))
        return sorted(found, key=lambda m: (-m.similarity, m.profile))
