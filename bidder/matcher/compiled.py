"""The profile side: a profile compiled for matching (lemma and prefix keys, code prefixes, regions as
sets), once, when the matcher is built."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from bidder.keywords import KeywordPattern
from bidder.matcher.reasons import SCORE_KEYWORD, SCORE_PHRASE
from bidder.matcher.rules import Check, Condition, conditions_of
from bidder.profiles import Profile, code_key


def _distinct(patterns: list[KeywordPattern]) -> tuple[tuple[str, KeywordPattern], ...]:
    """(key, pattern) once per distinct pattern: «лоток водоотводный» and «лотков водоотводных» count once."""
    first: dict[str, KeywordPattern] = {}
    for pattern in patterns:
        first.setdefault(pattern.key, pattern)
    return tuple(first.items())


def _is_lemma(pattern: KeywordPattern) -> bool:
    return len(pattern.parts) == 1 and not pattern.parts[0].prefix


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
    """One-word exact keywords: each holds exactly when the notice has the lemma (``passes``)."""
    keyword_others: tuple[tuple[str, KeywordPattern], ...] = ()
    exclude_lemmas: tuple[str, ...] = ()
    exclude_others: tuple[tuple[str, KeywordPattern], ...] = ()
    scored: tuple[tuple[str, KeywordPattern, float], ...] = ()
    """``keywords`` with the score each adds, in order (the float sum must add up as ``evaluate``'s)."""
    conditions: tuple[Condition, ...] = ()
    """The conditions this profile sets, in the order their reasons are written."""
    checks: tuple[Check, ...] = ()
    """Their ``holds``, cheapest first: the whole of ``passes``."""

    @classmethod
    def of(cls, profile: Profile) -> CompiledProfile:
        def regions(codes: list[str] | None) -> frozenset[str] | None:
            return frozenset(codes) if codes is not None else None

        keywords = _distinct(profile.keyword_patterns)
        exclude = _distinct(profile.exclude_patterns)
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
            keyword_lemmas=tuple(p.parts[0].value for _, p in keywords if _is_lemma(p)),
            keyword_others=tuple((k, p) for k, p in keywords if not _is_lemma(p)),
            exclude_lemmas=tuple(p.parts[0].value for _, p in exclude if _is_lemma(p)),
            exclude_others=tuple((k, p) for k, p in exclude if not _is_lemma(p)),
            scored=tuple((k, p, SCORE_PHRASE if p.is_phrase else SCORE_KEYWORD) for k, p in keywords),
        )
        conditions, checks = conditions_of(compiled)
        return replace(compiled, conditions=conditions, checks=checks)

    @property
    def name(self) -> str:
        return self.profile.name
