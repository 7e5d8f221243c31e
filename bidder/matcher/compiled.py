"""The profile side: a profile compiled for matching (lemma and prefix keys, code prefixes, regions as
sets), once, when the matcher is built."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import replace
from decimal import Decimal

from bidder.keywords import KeywordPattern
from bidder.matcher.reasons import SCORE_KEYWORD
from bidder.matcher.reasons import SCORE_PHRASE
from bidder.matcher.rules import Check
from bidder.matcher.rules import Condition
from bidder.matcher.rules import conditions_of
from bidder.profiles import Profile
from bidder.profiles import code_key
from bidder.synonyms import NO_SYNONYMS
from bidder.synonyms import Alternative
from bidder.synonyms import SynonymBook
from bidder.synonyms import parse_groups
from bidder.synonyms import shipped_book


def _distinct(patterns: list[KeywordPattern]) -> tuple[tuple[str, KeywordPattern], ...]:
    """(key, pattern) once per distinct pattern: «лоток водоотводный» and «лотков водоотводных» count once."""
    first: dict[str, KeywordPattern] = {}
    for pattern in patterns:
        first.setdefault(pattern.key, pattern)
    return tuple(first.items())


def _book(profile: Profile, shared: SynonymBook | None) -> SynonymBook:
    base = (shared or shipped_book()) if profile.synonyms else NO_SYNONYMS
    if not profile.synonyms_extra:
        return base
    return base.extended(
        parse_groups(profile.synonyms_extra, where=f"profile «{profile.name}»: synonyms_extra")
    )


def _flat(alternatives: Iterable[tuple[Alternative, ...]]) -> tuple[tuple[str, KeywordPattern], ...]:
    return tuple(dict.fromkeys((a.key, a.pattern) for alts in alternatives for a in alts))


def _is_lemma(pattern: KeywordPattern) -> bool:
    return len(pattern.parts) == 1 and not pattern.parts[0].prefix and not pattern.caps


Patterns = tuple[tuple[str, KeywordPattern], ...]


def _lemmas(own: Patterns, synonyms: Patterns) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p.parts[0].value for _, p in (*own, *synonyms) if _is_lemma(p)))


def _capitals(synonyms: Patterns) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p.parts[0].value for _, p in synonyms if p.caps))


def _others(own: Patterns, synonyms: Patterns) -> Patterns:
    return tuple((k, p) for k, p in (*own, *synonyms) if not _is_lemma(p) and not p.caps)


@dataclass(frozen=True, slots=True)
class CompiledProfile:
    """A profile with its keywords parsed and codes keyed, ready to evaluate against a view."""

    profile: Profile
    keywords: tuple[tuple[str, KeywordPattern], ...]
    exclude: tuple[tuple[str, KeywordPattern], ...]
    okpd2: tuple[tuple[str, str], ...]
    ktru: tuple[tuple[str, str], ...]
    regions: frozenset[str] | None
    customer_regions: frozenset[str] | None
    delivery_regions: frozenset[str] | None
    active: bool = True
    priced: bool = False
    """The profile has a price band: a notice with no NMCK then fails it (the band cannot be checked)
    instead of passing it."""
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    laws: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    smp_only: bool = False
    smp_excluded: bool = False
    min_days_left: int | None = None
    max_bid_security: Decimal | None = None
    customers_include: frozenset[str] = frozenset()
    customers_exclude: frozenset[str] = frozenset()
    okpd2_keys: tuple[str, ...] = ()
    ktru_keys: tuple[str, ...] = ()
    chats: tuple[int, ...] = ()
    keyword_lemmas: tuple[str, ...] = ()
    """For ``passes``, the keywords and their synonyms in three kinds: one-word exact ones hold
    exactly when the notice has the lemma, abbreviations when it writes the word in capitals
    (``keyword_capitals``), the rest (phrases, families) through ``NoticeView.find``."""
    keyword_capitals: tuple[str, ...] = ()
    keyword_others: tuple[tuple[str, KeywordPattern], ...] = ()
    exclude_lemmas: tuple[str, ...] = ()
    exclude_capitals: tuple[str, ...] = ()
    exclude_others: tuple[tuple[str, KeywordPattern], ...] = ()
    scored: tuple[tuple[str, KeywordPattern, float, tuple[Alternative, ...]], ...] = ()
    """``keywords`` with the score each adds and the synonyms that also satisfy it, in order (the
    float sum must add up as ``evaluate``'s)."""
    exclude_synonyms: tuple[tuple[Alternative, ...], ...] = ()
    """The synonyms of each of ``exclude``, in its order."""
    synonym_keywords: tuple[tuple[str, KeywordPattern], ...] = ()
    own_lemmas: frozenset[str] = frozenset()
    """The profile's own one-word exact keywords (no synonyms): looked up in the notice's code names."""
    own_prefixes: tuple[str, ...] = ()
    """Its one-word families («компьютер*»): a substring test on the names' words and lemmas."""
    own_phrases: tuple[KeywordPattern, ...] = ()
    """Its phrases, searched in the code names word by word."""
    """Every synonym of every keyword, once (the index selects the profile by them too)."""
    conditions: tuple[Condition, ...] = ()
    """The conditions this profile sets, in the order their reasons are written."""
    checks: tuple[Check, ...] = ()
    """Their ``holds``, cheapest first: the whole of ``passes``."""
    text_checks: tuple[Check, ...] = ()
    """``checks`` but the ``ValueCondition``s, which the compiled matcher settles for a whole group
    of profiles at once (``index``): what is left to ask of each candidate (``passes_the_rest``)."""

    @classmethod
    def of(cls, profile: Profile, synonyms: SynonymBook | None = None) -> CompiledProfile:
        """``synonyms``: the dictionary every profile shares (the shipped one by default); the
        profile's ``synonyms = false`` leaves it out, its ``synonyms_extra`` add to it."""

        def regions(codes: list[str] | None) -> frozenset[str] | None:
            return frozenset(codes) if codes is not None else None

        keywords = _distinct(profile.keyword_patterns)
        exclude = _distinct(profile.exclude_patterns)
        book = _book(profile, synonyms)
        keyword_alts = [book.alternatives(p) for _, p in keywords]
        exclude_alts = tuple(book.alternatives(p) for _, p in exclude)
        keyword_synonyms, exclude_synonyms = _flat(keyword_alts), _flat(exclude_alts)
        compiled = cls(
            profile=profile,
            keywords=keywords,
            exclude=exclude,
            okpd2=tuple((c, code_key(c)) for c in profile.okpd2),
            ktru=tuple((c, code_key(c)) for c in profile.ktru),
            regions=regions(profile.regions),
            customer_regions=regions(profile.customer_regions),
            delivery_regions=regions(profile.delivery_regions),
            active=profile.active,
            priced=profile.price_min is not None or profile.price_max is not None,
            price_min=profile.price_min,
            price_max=profile.price_max,
            laws=frozenset(profile.laws),
            kinds=frozenset(profile.kinds),
            smp_only=profile.smp == "only",
            smp_excluded=profile.smp == "exclude",
            min_days_left=profile.min_days_left,
            max_bid_security=profile.max_bid_security,
            customers_include=frozenset(profile.customers_include),
            customers_exclude=frozenset(profile.customers_exclude),
            okpd2_keys=tuple(code_key(c) for c in profile.okpd2),
            ktru_keys=tuple(code_key(c) for c in profile.ktru),
            chats=tuple(profile.chats),
            keyword_lemmas=_lemmas(keywords, keyword_synonyms),
            keyword_capitals=_capitals(keyword_synonyms),
            keyword_others=_others(keywords, keyword_synonyms),
            exclude_lemmas=_lemmas(exclude, exclude_synonyms),
            exclude_capitals=_capitals(exclude_synonyms),
            exclude_others=_others(exclude, exclude_synonyms),
            scored=tuple(
                (k, p, SCORE_PHRASE if p.is_phrase else SCORE_KEYWORD, alts)
                for (k, p), alts in zip(keywords, keyword_alts, strict=True)
            ),
            exclude_synonyms=exclude_alts,
            synonym_keywords=keyword_synonyms,
            own_lemmas=frozenset(p.parts[0].value for _, p in keywords if _is_lemma(p)),
            own_prefixes=tuple(
                "\0" + p.parts[0].value for _, p in keywords if len(p.parts) == 1 and p.parts[0].prefix
            ),
            own_phrases=tuple(p for _, p in keywords if len(p.parts) > 1),
        )
        conditions, checks, text_checks = conditions_of(compiled)
        return replace(compiled, conditions=conditions, checks=checks, text_checks=text_checks)

    @property
    def name(self) -> str:
        return self.profile.name
