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
    _found: dict[str, _Hit | None] = field(default_factory=dict)
    _days: tuple[datetime, int | None] | None = None
    _heads: dict[str, set[int]] | None = None

    def days_left(self, now: datetime) -> int | None:
        """Calendar days (Moscow) to the submission deadline; ``None`` if unknown or already past."""
        if self._days is None or self._days[0] != now:
            deadline = self.notice.submission_deadline
            days = None if deadline is None or deadline <= now else _days_left(deadline, now)
            self._days = (now, days)
        return self._days[1]

    def find(self, pattern: KeywordPattern, key: str) -> _Hit | None:
        """First place where the pattern's parts meet consecutive words (memoized per notice by ``key``)."""
        if key in self._found:
            return self._found[key]
        parts = pattern.parts
        size = len(parts)
        hit = None
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
        if self._heads is None:
            heads: dict[str, set[int]] = {}
            for pos, (word, forms) in enumerate(zip(self.words, self.forms, strict=True)):
                for s in (word, *forms):
                    heads.setdefault(s[:MIN_PREFIX_LETTERS], set()).add(pos)
            self._heads = heads
        head = part.value[:MIN_PREFIX_LETTERS]
        return sorted(p for p in self._heads.get(head, ()) if self._part_at(part, p))

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
        code = value.strip() if value else ""
        if code and _on_hierarchy(code):
            seen.setdefault(code_key(code), code)
    return [(code, key) for key, code in seen.items()]


def analyze(notice: Notice) -> NoticeView:
    """Everything the rules need from a notice, computed once however many profiles look at it."""
    words: list[str] = []
    forms: list[frozenset[str]] = []
    empty: frozenset[str] = frozenset()
    for segment in (notice.title, *(item.name for item in notice.items)):
        if words:
            words.append("")
            forms.append(empty)
        for word in text.tokens(segment):
            words.append(word)
            forms.append(text.lemma_set(word))
    by_lemma: dict[str, list[int]] = {}
    for pos, lemmas in enumerate(forms):
        for lemma in lemmas:
            by_lemma.setdefault(lemma, []).append(pos)
    ktru_values = [*notice.ktru, *(item.ktru for item in notice.items)]
    okpd2_values = [
        *notice.okpd2,
        *(item.okpd2 for item in notice.items),
        *(k.split("-", 1)[0] for k in ktru_values if k),  # a KTRU code is an OKPD2 code + a suffix
    ]
    customer = _region_code(notice.customer_region) if notice.customer_region else None
    delivery = list(dict.fromkeys(c for c in map(_region_code, notice.delivery_regions) if c))
    fallback = not delivery and customer is not None
    return NoticeView(
        notice=notice,
        words=words,
        forms=forms,
        by_lemma=by_lemma,
        okpd2=_codes(okpd2_values),
        ktru=_codes(ktru_values),
        customer_region=customer,
        delivery_regions=delivery or ([customer] if customer else []),
        delivery_fallback=fallback,
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

    @classmethod
    def of(cls, profile: Profile) -> CompiledProfile:
        def regions(codes: list[str] | None) -> frozenset[str] | None:
            return frozenset(codes) if codes is not None else None

        return cls(
            profile=profile,
            keywords=_distinct(profile.keyword_patterns),
            exclude=_distinct(profile.exclude_patterns),
            okpd2=tuple((c, code_key(c)) for c in profile.okpd2),
            ktru=tuple((c, code_key(c)) for c in profile.ktru),
            regions=regions(profile.regions),
            customer_regions=regions(profile.customer_regions),
            delivery_regions=regions(profile.delivery_regions),
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
            v.reasons.append(f"регион заказчика {_region_label(customer)}")
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
            v.reasons.append(f"регион заказчика {_region_label(customer)}")
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


def _check_price(p: Profile, n: Notice, v: _Verdict) -> None:
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
        v.reasons.append(f"НМЦК {format_rub(n.nmck)} в ценовом диапазоне профиля")


def _check_enums(p: Profile, n: Notice, v: _Verdict) -> None:
    if p.laws:
        law = LAW_LABELS[n.law]
        if n.law in p.laws:
            v.reasons.append(f"закон {law}")
        else:
            v.failures.append(f"закон {law} не входит в профиль ({_listed([LAW_LABELS[x] for x in p.laws])})")
    if p.kinds:
        kind = KIND_LABELS[n.kind]
        if n.kind in p.kinds:
            v.reasons.append(f"способ: {kind}")
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
            v.reasons.append(f"до окончания подачи заявок {days} дн.")


def _check_security_and_customer(p: Profile, n: Notice, v: _Verdict) -> None:
    if p.max_bid_security is not None and n.bid_security is not None:
        if n.bid_security > p.max_bid_security:
            cap = format_rub(p.max_bid_security)
            v.failures.append(f"обеспечение заявки {format_rub(n.bid_security)} больше лимита {cap}")
        else:
            v.reasons.append(f"обеспечение заявки {format_rub(n.bid_security)} в пределах лимита")
    inn = n.customer_inn
    if p.customers_include:
        if inn is None:
            v.failures.append("ИНН заказчика не указан, а профиль берёт только своих заказчиков")
        elif inn in p.customers_include:
            v.reasons.append(f"заказчик ИНН {inn} в списке профиля")
        else:
            v.failures.append(f"заказчик ИНН {inn} не в списке заказчиков профиля")
    if inn is not None and inn in p.customers_exclude:
        v.failures.append(f"заказчик ИНН {inn} исключён профилем")


def _region_ok(cp: CompiledProfile, view: NoticeView) -> bool:
    customer, delivery = view.customer_region, view.delivery_regions
    if cp.regions is not None and customer not in cp.regions and not any(d in cp.regions for d in delivery):
        return False
    if cp.customer_regions is not None and customer not in cp.customer_regions:
        return False
    return cp.delivery_regions is None or any(d in cp.delivery_regions for d in delivery)


def _any_code(notice_codes: list[tuple[str, str]], prefixes: tuple[tuple[str, str], ...]) -> bool:
    return any(key.startswith(pkey) for _, key in notice_codes for _, pkey in prefixes)


def _terms_ok(p: Profile, view: NoticeView, now: datetime) -> bool:
    n = view.notice
    if p.price_min is not None or p.price_max is not None:
        if n.nmck is None or (p.price_min is not None and n.nmck < p.price_min):
            return False
        if p.price_max is not None and n.nmck > p.price_max:
            return False
    if (p.laws and n.law not in p.laws) or (p.kinds and n.kind not in p.kinds):
        return False
    if (p.smp == "only" and not n.smp_only) or (p.smp == "exclude" and n.smp_only):
        return False
    if p.min_days_left is not None:
        days = view.days_left(now)
        if days is None or days < p.min_days_left:
            return False
    if p.max_bid_security is not None and n.bid_security is not None and n.bid_security > p.max_bid_security:
        return False
    inn = n.customer_inn
    if p.customers_include and inn not in p.customers_include:
        return False
    return not (inn is not None and inn in p.customers_exclude)


def passes(cp: CompiledProfile, view: NoticeView, *, now: datetime) -> bool:
    """The verdict of ``evaluate`` without building any text, cheapest checks first.

    The hot path: ``match`` runs it on every candidate and explains only the ones that pass.
    """
    if not (cp.profile.active and _region_ok(cp, view) and _terms_ok(cp.profile, view, now)):
        return False
    if not (
        _any_code(view.okpd2, cp.okpd2)
        or _any_code(view.ktru, cp.ktru)
        or any(view.find(pattern, key) for key, pattern in cp.keywords)
    ):
        return False
    return not any(view.find(pattern, key) for key, pattern in cp.exclude)


def evaluate(cp: CompiledProfile, view: NoticeView, *, now: datetime) -> Explanation:
    """Every rule of one profile against one analysed notice; nothing short-circuits."""
    p, n, v = cp.profile, view.notice, _Verdict()
    if not p.active:
        v.failures.append("профиль выключен")
    _check_region(cp, view, v)
    _check_capability(cp, view, v)
    _check_exclude(cp, view, v)
    _check_price(p, n, v)
    _check_enums(p, n, v)
    _check_deadline(p, n, now, v)
    _check_security_and_customer(p, n, v)
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
        self._any_region: set[int] | frozenset[int] = set()
        for pid, cp in enumerate(self.profiles):
            if cp.profile.active:
                self._index(pid, cp)
        self._any_region = frozenset(self._any_region)
        self._allowed = {code: self._any_region | pids for code, pids in self._region_index.items()}
        """Region -> profiles that accept a notice there (named it, or no region restriction)."""

    def _index(self, pid: int, cp: CompiledProfile) -> None:
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
            self._any_region.add(pid)
        for code in set().union(*named) if named else ():
            self._region_index.setdefault(code, set()).add(pid)

    def __len__(self) -> int:
        return len(self.profiles)

    def candidates(self, view: NoticeView) -> set[int]:
        """Active profiles sharing a code prefix or an anchor word with the notice, in one of its regions."""
        found: set[int] = set()
        lemma_index, prefix_index = self._lemma_index, self._prefix_index
        for lemma in view.by_lemma:
            pids = lemma_index.get(lemma)
            if pids:
                found |= pids
        if prefix_index:
            for word in set(view.by_lemma).union(view.words):
                bucket = prefix_index.get(word[:MIN_PREFIX_LETTERS])
                if bucket:
                    for prefix, pids in bucket.items():
                        if word.startswith(prefix):
                            found |= pids
        for codes, index in ((view.okpd2, self._code_index), (view.ktru, self._ktru_index)):
            for _, key in codes:
                for size in range(2, len(key) + 1):
                    pids = index.get(key[:size])
                    if pids:
                        found |= pids
        if not found:
            return found
        allowed = self._allowed
        anywhere = self._any_region
        codes = {view.customer_region, *view.delivery_regions}
        if len(codes) == 1:
            return found & allowed.get(next(iter(codes)), anywhere)
        return set().union(*(found & allowed.get(code, anywhere) for code in codes))

    def match(self, notice: Notice, *, now: datetime) -> list[Match]:
        """Profiles that match ``notice``, best score first; ``now`` fixes the days-left clock."""
        _require_aware(now)
        view = analyze(notice)
        matches = []
        for pid in self.candidates(view):
            cp = self.profiles[pid]
            if passes(cp, view, now=now):
                verdict = evaluate(cp, view, now=now)
                matches.append(Match(cp.name, verdict.score, verdict.reasons, tuple(cp.profile.chats)))
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
