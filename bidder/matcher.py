"""The compiled rules engine: profiles -> indexes; a notice -> matches with reasons in Russian.

A profile matches a notice when (docs/profiles.md has the details and examples)

    region AND (OKPD2/KTRU OR keywords) AND NOT exclude AND every condition that is set.

``compile_profiles`` builds three indexes once: lemma/word-prefix -> keywords -> profiles,
code prefix -> profiles, region -> profiles. ``CompiledMatcher.match`` analyses the notice once,
walks its words and the prefixes of its own codes through the indexes, and fully evaluates only
the candidate profiles that share a capability with it. So the cost grows with the notice's text
and codes, not with the number of profiles. ``explain`` evaluates every profile (it is for people
asking "why not?", not for the hot path) and says what failed.

Text matched: the title and the item names. The customer's name is deliberately left out: «ГБУЗ
... больница» would make every medical keyword fire on every purchase of a hospital, and customers
are selected by INN (``customers_include``) instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from bidder import text
from bidder.errors import BidderError
from bidder.profiles import MIN_PREFIX_LETTERS, KeywordPart, KeywordPattern, Profile, code_key
from data.formatting import KIND_LABELS, LAW_LABELS
from data.notice import MOSCOW, Notice
from data.reference.okpd2 import normalize_okpd2
from data.reference.regions import region_name, resolve_region

log = logging.getLogger(__name__)


SCORE_CODE = 0.6
SCORE_KEYWORD = 0.25
SCORE_PHRASE = 0.35
_MAX_LISTED = 5


class MatcherError(BidderError, ValueError):
    """The matcher was called with something it cannot use (e.g. a naive ``now``)."""


@dataclass(frozen=True, slots=True)
class Match:
    """A profile that matched a notice: what the store keeps and the bot shows."""

    profile: str
    score: float
    reasons: tuple[str, ...]
    chats: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a profile does or does not match a notice: what held (reasons) and what failed."""

    profile: str
    matched: bool
    score: float
    reasons: tuple[str, ...]
    failures: tuple[str, ...]


# --------------------------------------------------------------------------- notice side


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    found: str


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
    okpd2_keys: list[str] = field(default_factory=list)
    ktru_keys: list[str] = field(default_factory=list)
    segments: list[tuple[int, str]] = field(default_factory=list)
    """(first position, text) of the title and of each item name."""
    _found: dict[str, _Hit | None] = field(default_factory=dict)
    _days: tuple[datetime, int | None] | None = None
    _heads: dict[str, set[int]] | None = None
    _notes: _Notes | None = None
    _said: dict[str, str | None] = field(default_factory=dict)
    """Keyword text -> its reason in this notice (or ``None``): many matched profiles share keywords."""

    def notes(self) -> _Notes:
        """The reasons that depend on the notice alone, built once however many profiles it matches."""
        if self._notes is None:
            n, region = self.notice, self.customer_region
            self._notes = _Notes(
                customer_region=f"регион заказчика {_region_label(region)}" if region else "",
                price=f"НМЦК {format_rub(n.nmck)} в ценовом диапазоне профиля" if n.nmck is not None else "",
                law=f"закон {LAW_LABELS[n.law]}",
                kind=f"способ: {KIND_LABELS[n.kind]}",
                security=(
                    f"обеспечение заявки {format_rub(n.bid_security)} в пределах лимита"
                    if n.bid_security is not None
                    else ""
                ),
                customer_inn=f"заказчик ИНН {n.customer_inn} в списке профиля" if n.customer_inn else "",
            )
        return self._notes

    def days_left(self, now: datetime) -> int | None:
        """Calendar days (Moscow) to the submission deadline; ``None`` if unknown or already past."""
        if self._days is None or self._days[0] != now:
            deadline = self.notice.submission_deadline
            days = None if deadline is None or deadline <= now else _days_left(deadline, now)
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
            if part.prefix:
                start = self._first_with_prefix(part.value)
            else:
                starts = self.by_lemma.get(part.value)
                start = starts[0] if starts else None
            if start is not None:
                hit = _Hit(start, start + 1, self.words[start])
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
        forms = self.forms[pos]
        if not part.prefix:
            return part.value in forms
        return self.words[pos].startswith(part.value) or any(f.startswith(part.value) for f in forms)


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
    fallback = not delivery and customer is not None
    okpd2, ktru = _codes(okpd2_values), _codes(ktru_values)
    return NoticeView(
        notice=notice,
        words=words,
        forms=forms,
        by_lemma=by_lemma,
        okpd2=okpd2,
        ktru=ktru,
        customer_region=customer,
        delivery_regions=delivery or ([customer] if customer else []),
        delivery_fallback=fallback,
        okpd2_keys=[key for _, key in okpd2],
        ktru_keys=[key for _, key in ktru],
        segments=segments,
    )


# --------------------------------------------------------------------------- formatting


@lru_cache(maxsize=4096)
def format_rub(amount: Decimal) -> str:
    """«1 500 000,00 ₽»: how Russian procurement writes money (space-grouped, comma decimals)."""
    quantized = amount.quantize(Decimal("0.01"))
    whole, _, cents = f"{quantized:,.2f}".partition(".")
    return whole.replace(",", " ") + "," + cents + " ₽"


@lru_cache(maxsize=256)
def _region_label(code: str) -> str:
    name = region_name(code)
    return f"{code} — {name}" if name else code


def _listed(values: Sequence[str]) -> str:
    shown = ", ".join(values[:_MAX_LISTED])
    return shown + (f" и ещё {len(values) - _MAX_LISTED}" if len(values) > _MAX_LISTED else "")


def _keyword_reason(pattern: KeywordPattern, hit: _Hit, *, veto: bool) -> str:
    if veto:
        noun = "исключающая фраза" if pattern.is_phrase else "исключающее слово"
    else:
        noun = "фраза" if pattern.is_phrase else "ключевое слово"
    return f"{noun} «{pattern.text}» — в тексте «{hit.found}»"


def _days_left(deadline: datetime, now: datetime) -> int:
    return (deadline.astimezone(MOSCOW).date() - now.astimezone(MOSCOW).date()).days


# --------------------------------------------------------------------------- profile side


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

    @classmethod
    def of(cls, profile: Profile) -> CompiledProfile:
        def regions(codes: list[str] | None) -> frozenset[str] | None:
            return frozenset(codes) if codes is not None else None

        keywords = _distinct(profile.keyword_patterns)
        exclude = _distinct(profile.exclude_patterns)
        return cls(
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

    @property
    def name(self) -> str:
        return self.profile.name


class _Verdict:
    """Collects what held and what failed while one profile is evaluated."""

    __slots__ = ("failures", "reasons", "score")

    def __init__(self) -> None:
        self.reasons: list[str] = []
        self.failures: list[str] = []
        self.score = 0.0


def _delivery_reason(code: str, fallback: bool) -> str:
    suffix = " (место поставки не указано, взят регион заказчика)" if fallback else ""
    return f"регион поставки {_region_label(code)}{suffix}"


def _wanted(codes: frozenset[str]) -> str:
    return _listed([_region_label(c) for c in sorted(codes)])


def _check_region(cp: CompiledProfile, view: NoticeView, v: _Verdict) -> None:
    customer, delivery = view.customer_region, view.delivery_regions

    if cp.regions is not None:
        if customer in cp.regions:
            v.reasons.append(view.notes().customer_region)
        elif hit := next((d for d in delivery if d in cp.regions), None):
            v.reasons.append(_delivery_reason(hit, view.delivery_fallback))
        elif customer is None and not delivery:
            v.failures.append("регион не указан в извещении")
        else:
            seen = _listed(
                [_region_label(c) for c in dict.fromkeys([*([customer] if customer else []), *delivery])]
            )
            v.failures.append(f"регион {seen} не входит в регионы профиля ({_wanted(cp.regions)})")
    if cp.customer_regions is not None:
        if customer in cp.customer_regions:
            v.reasons.append(view.notes().customer_region)
        elif customer is None:
            v.failures.append("регион заказчика не указан в извещении")
        else:
            allowed = _wanted(cp.customer_regions)
            v.failures.append(f"регион заказчика {_region_label(customer)} не входит в профиль ({allowed})")
    if cp.delivery_regions is not None:
        if hit := next((d for d in delivery if d in cp.delivery_regions), None):
            v.reasons.append(_delivery_reason(hit, view.delivery_fallback))
        elif not delivery:
            v.failures.append("регион поставки не указан в извещении")
        else:
            v.failures.append(
                f"регион поставки {_listed([_region_label(d) for d in delivery])} не входит в профиль "
                f"({_wanted(cp.delivery_regions)})"
            )


def _code_hits(
    label: str, notice_codes: list[tuple[str, str]], prefixes: tuple[tuple[str, str], ...]
) -> list[str]:
    hits = []
    for code, key in notice_codes:
        for prefix, pkey in prefixes:
            if key.startswith(pkey):
                verb = "совпадает с профилем" if key == pkey else f"входит в {prefix}"
                hits.append(f"{label} {code} {verb}")
                break
    return hits


def _check_capability(cp: CompiledProfile, view: NoticeView, v: _Verdict) -> None:
    code_reasons = _code_hits("ОКПД2", view.okpd2, cp.okpd2) + _code_hits("КТРУ", view.ktru, cp.ktru)
    keyword_reasons = []
    for key, pattern in cp.keywords:
        hit = view.find(pattern, key)
        if hit is not None:
            keyword_reasons.append(_keyword_reason(pattern, hit, veto=False))
            v.score += SCORE_PHRASE if pattern.is_phrase else SCORE_KEYWORD
    if code_reasons:
        v.score += SCORE_CODE
    if code_reasons or keyword_reasons:
        v.reasons.extend(code_reasons[:_MAX_LISTED])
        v.reasons.extend(keyword_reasons)
        return
    wanted = [*cp.profile.okpd2, *cp.profile.ktru]
    have = [c for c, _ in (*view.okpd2, *view.ktru)]
    parts = []
    if wanted:
        parts.append(
            f"коды извещения ({_listed(have) if have else 'не указаны'}) не входят в {_listed(wanted)}"
        )
    if cp.profile.keywords:
        parts.append(f"ни одно ключевое слово не найдено ({_listed(cp.profile.keywords)})")
    v.failures.append("нет совпадений по ОКПД2/КТРУ и ключевым словам: " + "; ".join(parts))


def _check_exclude(cp: CompiledProfile, view: NoticeView, v: _Verdict) -> None:
    for key, pattern in cp.exclude:
        hit = view.find(pattern, key)
        if hit is not None:
            v.failures.append(_keyword_reason(pattern, hit, veto=True))


def _check_price(p: Profile, view: NoticeView, v: _Verdict) -> None:
    n = view.notice
    if p.price_min is None and p.price_max is None:
        return
    if n.nmck is None:
        v.failures.append("НМЦК не указана, а профиль ограничивает цену")
        return
    if p.price_min is not None and n.nmck < p.price_min:
        v.failures.append(f"НМЦК {format_rub(n.nmck)} меньше минимума {format_rub(p.price_min)}")
    elif p.price_max is not None and n.nmck > p.price_max:
        v.failures.append(f"НМЦК {format_rub(n.nmck)} больше максимума {format_rub(p.price_max)}")
    else:
        v.reasons.append(view.notes().price)


def _check_enums(p: Profile, view: NoticeView, v: _Verdict) -> None:
    n = view.notice
    if p.laws:
        law = LAW_LABELS[n.law]
        if n.law in p.laws:
            v.reasons.append(view.notes().law)
        else:
            v.failures.append(f"закон {law} не входит в профиль ({_listed([LAW_LABELS[x] for x in p.laws])})")
    if p.kinds:
        kind = KIND_LABELS[n.kind]
        if n.kind in p.kinds:
            v.reasons.append(view.notes().kind)
        else:
            v.failures.append(
                f"способ «{kind}» не входит в профиль ({_listed([KIND_LABELS[k] for k in p.kinds])})"
            )
    if p.smp == "only" and not n.smp_only:
        v.failures.append("закупка не только для СМП, а профиль берёт лишь закупки у СМП")
    elif p.smp == "exclude" and n.smp_only:
        v.failures.append("закупка только для СМП, а профиль их исключает")
    elif p.smp == "only":
        v.reasons.append("закупка только для СМП")


def _check_deadline(p: Profile, n: Notice, now: datetime, v: _Verdict) -> None:
    if p.min_days_left is None:
        return
    deadline = n.submission_deadline
    if deadline is None:
        v.failures.append("срок подачи заявок не указан")
    elif deadline <= now:
        v.failures.append("срок подачи заявок истёк")
    else:
        days = _days_left(deadline, now)
        if days < p.min_days_left:
            v.failures.append(f"до окончания подачи заявок {days} дн., нужно не менее {p.min_days_left}")
        else:
            v.reasons.append(_days_reason(days))


def _days_reason(days: int | None) -> str:
    return f"до окончания подачи заявок {days} дн."


def _check_security_and_customer(p: Profile, view: NoticeView, v: _Verdict) -> None:
    n = view.notice
    if p.max_bid_security is not None and n.bid_security is not None:
        if n.bid_security > p.max_bid_security:
            cap = format_rub(p.max_bid_security)
            v.failures.append(f"обеспечение заявки {format_rub(n.bid_security)} больше лимита {cap}")
        else:
            v.reasons.append(view.notes().security)
    inn = n.customer_inn
    if p.customers_include:
        if inn is None:
            v.failures.append("ИНН заказчика не указан, а профиль берёт только своих заказчиков")
        elif inn in p.customers_include:
            v.reasons.append(view.notes().customer_inn)
        else:
            v.failures.append(f"заказчик ИНН {inn} не в списке заказчиков профиля")
    if inn is not None and inn in p.customers_exclude:
        v.failures.append(f"заказчик ИНН {inn} исключён профилем")


def _region_ok(cp: CompiledProfile, view: NoticeView) -> bool:
    customer, delivery = view.customer_region, view.delivery_regions
    if cp.regions is not None and customer not in cp.regions and cp.regions.isdisjoint(delivery):
        return False
    if cp.customer_regions is not None and customer not in cp.customer_regions:
        return False
    return cp.delivery_regions is None or not cp.delivery_regions.isdisjoint(delivery)


def _any_code(keys: list[str], prefixes: tuple[str, ...]) -> bool:
    if prefixes:
        for key in keys:
            if key.startswith(prefixes):
                return True
    return False


def _terms_ok(cp: CompiledProfile, view: NoticeView, now: datetime) -> bool:
    n = view.notice
    if cp.priced:
        nmck = n.nmck
        if nmck is None or (cp.price_min is not None and nmck < cp.price_min):
            return False
        if cp.price_max is not None and nmck > cp.price_max:
            return False
    if (cp.laws and n.law not in cp.laws) or (cp.kinds and n.kind not in cp.kinds):
        return False
    if (cp.smp_only and not n.smp_only) or (cp.smp_excluded and n.smp_only):
        return False
    if cp.min_days_left is not None:
        days = view.days_left(now)
        if days is None or days < cp.min_days_left:
            return False
    cap = cp.max_bid_security
    if cap is not None and n.bid_security is not None and n.bid_security > cap:
        return False
    inn = n.customer_inn
    if cp.customers_include and inn not in cp.customers_include:
        return False
    return not (inn is not None and inn in cp.customers_exclude)


def passes(cp: CompiledProfile, view: NoticeView, *, now: datetime) -> bool:
    """The verdict of ``evaluate`` without building any text, cheapest checks first.

    The hot path: ``match`` runs it on every candidate and explains only the ones that pass.
    """
    if not (cp.active and _region_ok(cp, view) and _terms_ok(cp, view, now)):
        return False
    by_lemma = view.by_lemma
    if not (
        _any_code(view.okpd2_keys, cp.okpd2_keys)
        or _any_code(view.ktru_keys, cp.ktru_keys)
        or any(lemma in by_lemma for lemma in cp.keyword_lemmas)
        or any(view.find(pattern, key) for key, pattern in cp.keyword_others)
    ):
        return False
    return not (
        any(lemma in by_lemma for lemma in cp.exclude_lemmas)
        or any(view.find(pattern, key) for key, pattern in cp.exclude_others)
    )


def _match_reasons(cp: CompiledProfile, view: NoticeView, now: datetime) -> tuple[float, tuple[str, ...]]:
    """The score and reasons ``evaluate`` gives a profile that ``passes``, without the failure branches.

    ``match`` explains every profile it returns; once ``passes`` holds, each check of ``evaluate``
    can only take its «held» branch, so only those are built here, in the same order and words.
    """
    p, n = cp.profile, view.notice
    notes = view.notes()
    customer, delivery = view.customer_region, view.delivery_regions
    reasons: list[str] = []
    if cp.regions is not None:
        if customer in cp.regions:
            reasons.append(notes.customer_region)
        else:
            region = next(d for d in delivery if d in cp.regions)
            reasons.append(_delivery_reason(region, view.delivery_fallback))
    if cp.customer_regions is not None:
        reasons.append(notes.customer_region)
    if cp.delivery_regions is not None:
        region = next(d for d in delivery if d in cp.delivery_regions)
        reasons.append(_delivery_reason(region, view.delivery_fallback))

    code_reasons = []
    if cp.okpd2 and view.okpd2:
        code_reasons = _code_hits("ОКПД2", view.okpd2, cp.okpd2)
    if cp.ktru and view.ktru:
        code_reasons += _code_hits("КТРУ", view.ktru, cp.ktru)
    reasons += code_reasons[:_MAX_LISTED]
    score = 0.0
    said = view._said
    for key, pattern, gain in cp.scored:
        reason = said.get(pattern.text, _UNSEEN)
        if reason is _UNSEEN:
            hit = view.find(pattern, key)
            reason = said[pattern.text] = None if hit is None else _keyword_reason(pattern, hit, veto=False)
        if reason is not None:
            reasons.append(reason)
            score += gain
    if code_reasons:
        score += SCORE_CODE

    if cp.priced:
        reasons.append(notes.price)
    if p.laws:
        reasons.append(notes.law)
    if p.kinds:
        reasons.append(notes.kind)
    if cp.smp_only:
        reasons.append("закупка только для СМП")
    if p.min_days_left is not None:
        reasons.append(_days_reason(view.days_left(now)))
    if p.max_bid_security is not None and n.bid_security is not None:
        reasons.append(notes.security)
    if p.customers_include:
        reasons.append(notes.customer_inn)
    return round(min(score, 1.0), 2), tuple(reasons)


def evaluate(cp: CompiledProfile, view: NoticeView, *, now: datetime) -> Explanation:
    """Every rule of one profile against one analysed notice; nothing short-circuits."""
    p, n, v = cp.profile, view.notice, _Verdict()
    if not p.active:
        v.failures.append("профиль выключен")
    _check_region(cp, view, v)
    _check_capability(cp, view, v)
    _check_exclude(cp, view, v)
    _check_price(p, view, v)
    _check_enums(p, view, v)
    _check_deadline(p, n, now, v)
    _check_security_and_customer(p, view, v)
    matched = not v.failures
    score = round(min(v.score, 1.0), 2) if matched else 0.0
    return Explanation(p.name, matched, score, tuple(v.reasons), tuple(v.failures))


# --------------------------------------------------------------------------- the compiled matcher


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise MatcherError(f"now={now.isoformat()} has no time zone; pass an aware datetime")


_GENERIC = frozenset(
    "поставка закупка приобретение оказание услуга выполнение работа нужда для и на по в с к из".split()
)
"""Words in almost every title: a phrase indexed by one of them would be a candidate everywhere."""


def _anchor(pattern: KeywordPattern) -> tuple[str, bool]:
    """The part a pattern is indexed by: its most specific exact lemma (a dict hit), else its first prefix.

    Most specific = not a generic procurement word, then the longest; «поставка компьютерной
    техники» is indexed by «компьютерный», not by «поставка».
    """
    exact = [p.value for p in pattern.parts if not p.prefix]
    if exact:
        return max(exact, key=lambda v: (v not in _GENERIC, len(v))), False
    return pattern.parts[0].value, True


_MAX_CACHED = 200_000


class CompiledMatcher:
    """All profiles compiled into indexes; see the module docstring for how a notice is matched."""

    def __init__(self, profiles: Sequence[Profile]) -> None:
        self.profiles = [CompiledProfile.of(p) for p in profiles]
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
        for _, pattern in cp.keywords:
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
        allowed = self._allowed
        anywhere = self._any_region
        regions = {view.customer_region, *view.delivery_regions}
        if len(regions) == 1:
            return found & allowed.get(next(iter(regions)) or "", anywhere)
        return set().union(*(found & allowed.get(region or "", anywhere) for region in regions))

    def match(self, notice: Notice, *, now: datetime) -> list[Match]:
        """Profiles that match ``notice``, best score first; ``now`` fixes the days-left clock."""
        _require_aware(now)
        view = analyze(notice)
        matches = []
        for pid in self.candidates(view):
            cp = self.profiles[pid]
            if passes(cp, view, now=now):
                score, reasons = _match_reasons(cp, view, now)
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


def compile_profiles(profiles: Iterable[Profile]) -> CompiledMatcher:
    """Build the indexes once; reuse the matcher for every notice of a run."""
    return CompiledMatcher(list(profiles))


def match_naive(profiles: Sequence[CompiledProfile], notice: Notice, *, now: datetime) -> list[str]:
    """Every profile checked on the notice, no index: the baseline of the benchmark and of the tests."""
    _require_aware(now)
    view = analyze(notice)
    return [cp.name for cp in profiles if passes(cp, view, now=now)]
