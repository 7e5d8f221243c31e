"""The compiled matcher: profiles indexed by lemma and word prefix, code prefix and region, and
sorted by the values of their ``ValueCondition``s, so a notice is fully evaluated only against the
profiles that share a capability with it and accept its law, method, price, ... .

Sets of profiles are bit masks (bit ``pid`` of a Python int): joining the profiles of a notice's
twenty words and narrowing them by its region and values is a few dozen integer operations.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from datetime import datetime

from bidder import text
from bidder.keywords import MIN_PREFIX_LETTERS
from bidder.keywords import KeywordPattern
from bidder.matcher.compiled import CompiledProfile
from bidder.matcher.reasons import Explanation
from bidder.matcher.reasons import Match
from bidder.matcher.reasons import MatcherError
from bidder.matcher.rules import ValueCondition
from bidder.matcher.rules import evaluate
from bidder.matcher.rules import match_reasons
from bidder.matcher.rules import passes
from bidder.matcher.rules import passes_the_rest
from bidder.matcher.view import NoticeView
from bidder.matcher.view import analyze
from bidder.profiles import Profile
from bidder.synonyms import SynonymBook
from data.notice import Notice

log = logging.getLogger(__name__)


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise MatcherError(f"now={now.isoformat()} has no time zone; pass an aware datetime")


def _anchor(pattern: KeywordPattern) -> tuple[str, bool]:
    """The part a pattern is indexed by: its most specific exact lemma (a dict hit), else its first prefix.

    Most specific = not a generic procurement word, then the longest; «поставка компьютерной
    техники» is indexed by «компьютерный», not by «поставка».
    """
    exact = [p.value for p in pattern.parts if not p.prefix]
    if exact:
        return max(exact, key=lambda v: (v not in text.GENERIC_WORDS, len(v))), False
    return pattern.parts[0].value, True


_MAX_CACHED = 200_000


def _bits(mask: int) -> Iterator[int]:
    """The profile ids in a mask, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


class _ValueSort:
    """The profiles accepting a notice by one ``ValueCondition``: a mask per class of its value."""

    def __init__(self, condition: ValueCondition, profiles: Sequence[CompiledProfile], everyone: int) -> None:
        self.condition = condition
        self.judged = [(1 << pid, cp) for pid, cp in enumerate(profiles) if condition in cp.conditions]
        self.free = everyone & ~sum(bit for bit, _ in self.judged)
        """Active profiles that do not set the condition: they accept every value."""
        self.bounds = sorted({b for _, cp in self.judged for b in condition.bounds(cp)})
        self._bound_set = frozenset(self.bounds)

    def key(self, value: object) -> object:
        """The class of ``value``: two values of one class get the same verdict from every profile."""
        if not self.condition.ordered or value is None:
            return value
        return (bisect_left(self.bounds, value), value in self._bound_set)

    def accepting(self, value: object) -> int:
        mask = self.free
        for bit, cp in self.judged:
            if self.condition.accepts(cp, value):
                mask |= bit
        return mask


class CompiledMatcher:
    """All profiles compiled into indexes; see the module docstring for how a notice is matched."""

    def __init__(self, profiles: Sequence[Profile], synonyms: SynonymBook | None = None) -> None:
        self.profiles = [CompiledProfile.of(p, synonyms) for p in profiles]
        self._by_name = {cp.name: cp for cp in self.profiles}
        self._lemma_index: dict[str, int] = {}
        self._prefix_index: dict[str, dict[str, int]] = {}
        """First letters -> word-family prefix -> profiles: one lookup per word, then a few startswith."""
        self._code_index: dict[str, int] = {}
        self._ktru_index: dict[str, int] = {}
        self._region_index: dict[str, int] = {}
        self._any_region = 0
        """Active profiles that restrict no region."""
        for pid, cp in enumerate(self.profiles):
            if cp.profile.active:
                self._index(pid, cp)
        self._allowed = {code: self._any_region | pids for code, pids in self._region_index.items()}
        """Region -> profiles that accept a notice there (named it, or no region restriction)."""
        everyone = sum(1 << pid for pid, cp in enumerate(self.profiles) if cp.profile.active)
        set_by_some = (c for cp in self.profiles for c in cp.conditions)
        valued = dict.fromkeys(c for c in set_by_some if isinstance(c, ValueCondition))
        self._sorts = [_ValueSort(c, self.profiles, everyone) for c in valued]
        self._sorted: dict[tuple[object, ...], int] = {}
        """The classes of a notice's values -> the profiles accepting all of them."""
        self._lemma_pids: dict[str, int] = {}
        self._word_pids: dict[str, int] = {}
        self._code_pids: dict[str, int] = {}
        self._ktru_pids: dict[str, int] = {}
        """Token or code key -> the profiles it selects through the indexes, filled as notices come."""

    @staticmethod
    def _add(index: dict[str, int], key: str, pid: int) -> None:
        index[key] = index.get(key, 0) | 1 << pid

    def _index(self, pid: int, cp: CompiledProfile) -> None:
        for _, pattern in (*cp.keywords, *cp.synonym_keywords):
            if pattern.caps:  # an abbreviation: a notice's word and its lemmas select (ahead of ``find``)
                for lemma in text.lemma_set(pattern.parts[0].value) | {pattern.parts[0].value}:
                    self._add(self._lemma_index, lemma, pid)
                continue
            value, prefix = _anchor(pattern)
            if prefix:
                self._add(self._prefix_index.setdefault(value[:MIN_PREFIX_LETTERS], {}), value, pid)
            else:
                self._add(self._lemma_index, value, pid)
        for _, key in cp.okpd2:
            self._add(self._code_index, key, pid)
        for _, key in cp.ktru:
            self._add(self._ktru_index, key, pid)
        named = [r for r in (cp.regions, cp.customer_regions, cp.delivery_regions) if r is not None]
        if not named:
            self._any_region |= 1 << pid
        for code in set().union(*named) if named else ():
            self._add(self._region_index, code, pid)

    def __len__(self) -> int:
        return len(self.profiles)

    def _by_prefix(self, token: str, *, lemma: bool) -> int:
        """Profiles a notice token selects: by its lemma (``lemma``) and by the word families it starts."""
        found = self._lemma_index.get(token, 0) if lemma else 0
        for prefix, pids in self._prefix_index.get(token[:MIN_PREFIX_LETTERS], {}).items():
            if token.startswith(prefix):
                found |= pids
        return found

    @staticmethod
    def _by_code(index: dict[str, int], key: str) -> int:
        """Profiles whose code prefix contains the code with this key (every prefix of the key looked up)."""
        found = 0
        for size in range(2, len(key) + 1):
            found |= index.get(key[:size], 0)
        return found

    @staticmethod
    def _remember(cache: dict[str, int], pids: int) -> int:
        """Keep a per-token cache bounded: a long run meets new words, but a few thousand recur."""
        if len(cache) >= _MAX_CACHED:
            cache.clear()
        return pids

    def candidates(self, view: NoticeView, now: datetime) -> int:
        """Active profiles sharing a code prefix or an anchor word with the notice, in one of its
        regions, accepting its values (``ValueCondition``): a mask."""
        found = 0
        by_lemma = view.by_lemma
        lemma_pids, word_pids = self._lemma_pids, self._word_pids
        for lemma in (*by_lemma, *view.name_lemmas):  # name lemmas: a keyword in its codes' names
            pids = lemma_pids.get(lemma)
            if pids is None:
                pids = lemma_pids[lemma] = self._remember(lemma_pids, self._by_prefix(lemma, lemma=True))
            found |= pids
        for word in view.words:
            if word not in by_lemma:
                pids = word_pids.get(word)
                if pids is None:
                    pids = word_pids[word] = self._remember(word_pids, self._by_prefix(word, lemma=False))
                found |= pids
        for codes, index, cache in (
            (view.okpd2, self._code_index, self._code_pids),
            (view.ktru, self._ktru_index, self._ktru_pids),
        ):
            for _, key in codes:
                pids = cache.get(key)
                if pids is None:
                    pids = cache[key] = self._remember(cache, self._by_code(index, key))
                found |= pids
        if not found:
            return 0
        found &= self.accepting(view)
        return found & self.accepting_values(view, now) if found else 0

    def accepting_values(self, view: NoticeView, now: datetime) -> int:
        """Active profiles whose ``ValueCondition``s all accept the notice's values: exactly those."""
        key = tuple(sort.key(sort.condition.value(view, now)) for sort in self._sorts)
        mask = self._sorted.get(key)
        if mask is None:
            mask = -1
            for sort in self._sorts:
                mask &= sort.accepting(sort.condition.value(view, now))
            if len(self._sorted) >= _MAX_CACHED:
                self._sorted.clear()
            self._sorted[key] = mask
        return mask

    def accepting(self, view: NoticeView) -> int:
        """Active profiles whose region conditions can hold for the notice (named one of its regions,
        or restrict none): a superset of those the region conditions pass, as a mask."""
        accepting = self.accepting_region(view.customer_region)
        for region in view.delivery_regions:
            accepting |= self.accepting_region(region)
        return accepting

    def accepting_region(self, region: str | None) -> int:
        """Active profiles that accept a notice in ``region`` (they name it or restrict no region)."""
        return self._allowed.get(region or "", self._any_region)

    def match(self, notice: Notice, *, now: datetime) -> list[Match]:
        """Profiles that match ``notice``, best score first; ``now`` fixes the days-left clock."""
        return self.match_view(analyze(notice), now=now)

    def match_view(self, view: NoticeView, *, now: datetime) -> list[Match]:
        """``match`` on a notice already analysed (a match run reads the same view for near misses)."""
        _require_aware(now)
        notice = view.notice
        matches = []
        for pid in _bits(self.candidates(view, now)):
            cp = self.profiles[pid]
            if passes_the_rest(cp, view, now=now):
                score, reasons = match_reasons(cp, view, now)
                matches.append(Match(cp.profile.name, score, reasons, cp.chats))
        matches.sort(key=lambda m: (-m.score, m.profile))
        log.debug("notice %s: %d match(es)", notice.reg_number, len(matches))
        return matches

    def explain(self, notice: Notice, *, now: datetime) -> dict[str, Explanation]:
        """Every profile's verdict on ``notice``, with what failed for the near misses."""
        _require_aware(now)
        view = analyze(notice)
        return {cp.name: evaluate(cp, view, now=now) for cp in self.profiles}

    def profile(self, name: str) -> CompiledProfile | None:
        return self._by_name.get(name)


def compile_profiles(profiles: Iterable[Profile], synonyms: SynonymBook | None = None) -> CompiledMatcher:
    """Build the indexes once; reuse the matcher for every notice of a run. ``synonyms``: the shared
    dictionary (default: the shipped one, ``bidder.synonyms``)."""
    return CompiledMatcher(list(profiles), synonyms)


def match_naive(profiles: Sequence[CompiledProfile], notice: Notice, *, now: datetime) -> list[str]:
    """Every profile checked on the notice, no index: the baseline of the benchmark and of the tests."""
    _require_aware(now)
    view = analyze(notice)
    return [cp.name for cp in profiles if passes(cp, view, now=now)]
