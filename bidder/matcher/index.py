"""The compiled matcher: profiles indexed by lemma and word prefix, code prefix and region, so a
notice is fully evaluated only against the profiles that share a capability with it."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from bidder import text
from bidder.keywords import MIN_PREFIX_LETTERS, KeywordPattern
from bidder.matcher.compiled import CompiledProfile
from bidder.matcher.reasons import Explanation, Match, MatcherError
from bidder.matcher.rules import evaluate, match_reasons, passes
from bidder.matcher.view import NoticeView, analyze
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


class CompiledMatcher:
    """All profiles compiled into indexes; see the module docstring for how a notice is matched."""

    def __init__(self, profiles: Sequence[Profile], synonyms: SynonymBook | None = None) -> None:
        self.profiles = [CompiledProfile.of(p, synonyms) for p in profiles]
        self._by_name = {cp.name: cp for cp in self.profiles}
        self._lemma_index: dict[str, set[int]] = {}
        self._prefix_index: dict[str, dict[str, set[int]]] = {}
        """First letters -> word-family prefix -> profiles: one lookup per word, then a few startswith."""
        self._code_index: dict[str, set[int]] = {}
        self._ktru_index: dict[str, set[int]] = {}
        self._region_index: dict[str, set[int]] = {}
        anywhere: set[int] = set()
        for pid, cp in enumerate(self.profiles):
            if cp.profile.active:
                self._index(pid, cp, anywhere)
        self._any_region = frozenset(anywhere)
        self._allowed = {code: self._any_region | pids for code, pids in self._region_index.items()}
        """Region -> profiles that accept a notice there (named it, or no region restriction)."""
        self._lemma_pids: dict[str, frozenset[int]] = {}
        self._word_pids: dict[str, frozenset[int]] = {}
        self._code_pids: dict[str, frozenset[int]] = {}
        self._ktru_pids: dict[str, frozenset[int]] = {}
        """Token or code key -> the profiles it selects through the indexes, filled as notices come."""

    def _index(self, pid: int, cp: CompiledProfile, anywhere: set[int]) -> None:
        for _, pattern in (*cp.keywords, *cp.synonym_keywords):
            if pattern.caps:  # an abbreviation: a notice's word and its lemmas select (ahead of ``find``)
                for lemma in text.lemma_set(pattern.parts[0].value) | {pattern.parts[0].value}:
                    self._lemma_index.setdefault(lemma, set()).add(pid)
                continue
            value, prefix = _anchor(pattern)
            if prefix:
                bucket = self._prefix_index.setdefault(value[:MIN_PREFIX_LETTERS], {})
                bucket.setdefault(value, set()).add(pid)
            else:
                self._lemma_index.setdefault(value, set()).add(pid)
        for _, key in cp.okpd2:
            self._code_index.setdefault(key, set()).add(pid)
        for _, key in cp.ktru:
            self._ktru_index.setdefault(key, set()).add(pid)
        named = [r for r in (cp.regions, cp.customer_regions, cp.delivery_regions) if r is not None]
        if not named:
            anywhere.add(pid)
        for code in set().union(*named) if named else ():
            self._region_index.setdefault(code, set()).add(pid)

    def __len__(self) -> int:
        return len(self.profiles)

    def _by_prefix(self, token: str, *, lemma: bool) -> frozenset[int]:
        """Profiles a notice token selects: by its lemma (``lemma``) and by the word families it starts."""
        found = set(self._lemma_index.get(token, ())) if lemma else set()
        for prefix, pids in self._prefix_index.get(token[:MIN_PREFIX_LETTERS], {}).items():
            if token.startswith(prefix):
                found |= pids
        return frozenset(found)

    @staticmethod
    def _by_code(index: dict[str, set[int]], key: str) -> frozenset[int]:
        """Profiles whose code prefix contains the code with this key (every prefix of the key looked up)."""
        found: set[int] = set()
        for size in range(2, len(key) + 1):
            found.update(index.get(key[:size], ()))
        return frozenset(found)

    @staticmethod
    def _remember(cache: dict[str, frozenset[int]], pids: frozenset[int]) -> frozenset[int]:
        """Keep a per-token cache bounded: a long run meets new words, but a few thousand recur."""
        if len(cache) >= _MAX_CACHED:
            cache.clear()
        return pids

    def candidates(self, view: NoticeView) -> set[int]:
        """Active profiles sharing a code prefix or an anchor word with the notice, in one of its regions."""
        found: set[int] = set()
        by_lemma = view.by_lemma
        lemma_pids, word_pids = self._lemma_pids, self._word_pids
        for lemma in by_lemma:
            pids = lemma_pids.get(lemma)
            if pids is None:
                pids = lemma_pids[lemma] = self._remember(lemma_pids, self._by_prefix(lemma, lemma=True))
            if pids:
                found |= pids
        for word in view.words:
            if word not in by_lemma:
                pids = word_pids.get(word)
                if pids is None:
                    pids = word_pids[word] = self._remember(word_pids, self._by_prefix(word, lemma=False))
                if pids:
                    found |= pids
        for lemma in view.name_lemmas:  # a keyword in the name of one of its codes (``rules.Capability``)
            pids = lemma_pids.get(lemma)
            if pids is None:
                pids = lemma_pids[lemma] = self._remember(lemma_pids, self._by_prefix(lemma, lemma=True))
            found |= pids
        for codes, index, cache in (
            (view.okpd2, self._code_index, self._code_pids),
            (view.ktru, self._ktru_index, self._ktru_pids),
        ):
            for _, key in codes:
                pids = cache.get(key)
                if pids is None:
                    pids = cache[key] = self._remember(cache, self._by_code(index, key))
                if pids:
                    found |= pids
        if not found:
            return found
        return found & self.accepting(view)

    def accepting(self, view: NoticeView) -> frozenset[int] | set[int]:
        """Active profiles whose region conditions can hold for the notice (named one of its regions,
        or restrict none): a superset of those the region conditions pass."""
        regions = {view.customer_region, *view.delivery_regions}
        if len(regions) == 1:
            return self.accepting_region(next(iter(regions)))
        return set().union(*map(self.accepting_region, regions))

    def accepting_region(self, region: str | None) -> frozenset[int]:
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
        for pid in self.candidates(view):
            cp = self.profiles[pid]
            if passes(cp, view, now=now):
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
