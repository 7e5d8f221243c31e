"""The conditions of a profile, each written once as a ``Condition``: whether a profile sets it
(``applies``), whether a notice meets it (``holds``), and its Russian words either way (``reasons``,
which also returns what the condition adds to the score, and ``failures``).

Three paths read the same objects, so they cannot drift apart:

* ``passes``, the hot path ``match`` runs on every candidate: only ``holds``, cheapest first
  (``cost``), stopping at the first failure, no strings built;
* the reasons of a profile that passed: ``reasons`` of each condition, in the declared order;
* ``evaluate`` (``explain``, ``profiles test``): every condition, ``reasons`` or ``failures``.

A new condition is one subclass here, added to ``CONDITIONS``, plus its profile key
(docs/profiles.md, "Adding a condition").
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from typing import Any
from typing import ClassVar

from bidder.keywords import KeywordPattern
from bidder.matcher.reasons import _MAX_LISTED
from bidder.matcher.reasons import SCORE_CODE
from bidder.matcher.reasons import Explanation
from bidder.matcher.reasons import _keyword_reason
from bidder.matcher.reasons import _listed
from bidder.matcher.reasons import _region_label
from bidder.matcher.view import _UNSEEN
from bidder.matcher.view import NoticeView
from bidder.synonyms import Alternative
from data.formatting import KIND_LABELS
from data.formatting import LAW_LABELS
from data.formatting import format_money
from data.formatting import read_from

if TYPE_CHECKING:
    from bidder.matcher.compiled import CompiledProfile

Check = Callable[["CompiledProfile", NoticeView, datetime], bool]
_NOWHERE: frozenset[str] = frozenset()


class Condition:
    """One condition of a profile. Subclasses are stateless: one instance serves every profile.

    ``reasons`` is asked only when ``holds`` is true and ``failures`` only when it is false, so
    each may assume its side (a failure text may name the value that failed).
    """

    cost: ClassVar[int] = 1
    """Order on the fast path: set membership 1, a clock 2, the text 3, the minus-words 4."""

    def applies(self, cp: CompiledProfile) -> bool:
        raise NotImplementedError

    def holds(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> bool:
        raise NotImplementedError

    def reasons(self, cp: CompiledProfile, view: NoticeView, now: datetime, out: list[str]) -> float:
        """Append what held to ``out``; return what it adds to the match's score (only codes and
        keywords score). One call for both: the keyword reasons and their scores are one search."""
        return 0.0

    def failures(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> Sequence[str]:
        raise NotImplementedError


class ValueCondition(Condition):
    """A condition on one value of the notice, not on its text (law, method, SMP, price, security,
    days left). ``value`` reads it, ``accepts`` judges it, and ``holds`` is the two together.

    The compiled matcher sorts all profiles by such a value at once, with bit masks, before any
    ``holds`` runs (``bidder.matcher.index``): a notice's value lands in a class, and every value of
    a class gets the same verdict from every profile. For a condition on an ``ordered`` value the
    classes are its places among every profile's ``bounds`` (below, at or above each threshold);
    otherwise they are the values themselves, so those must be few (a law, a method, a flag).
    """

    ordered: ClassVar[bool] = False

    def value(self, view: NoticeView, now: datetime) -> Any:
        raise NotImplementedError

    def accepts(self, cp: CompiledProfile, value: Any) -> bool:
        raise NotImplementedError

    def bounds(self, cp: CompiledProfile) -> tuple[Any, ...]:
        """The thresholds ``accepts`` compares an ordered value with (none for the others)."""
        return ()

    def holds(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> bool:
        return self.accepts(cp, self.value(view, now))


def _delivery_reason(code: str, view: NoticeView) -> str:
    if view.delivery_fallback:
        suffix = " (место поставки не указано, взят регион заказчика)"
    elif code in view.delivery_named:
        named = view.delivery_named[code]
        suffix = f" ({read_from(named.source, named.words)})"
    else:
        suffix = ""
    return f"регион поставки {_region_label(code)}{suffix}"


def _wanted(codes: frozenset[str]) -> str:
    return _listed([_region_label(c) for c in sorted(codes)])


def _first_delivery(view: NoticeView, allowed: frozenset[str]) -> str:
    region = next(d for d in view.delivery_regions if d in allowed)
    return _delivery_reason(region, view)


class Inactive(Condition):
    """``active = false``: the profile matches nothing, and ``explain`` still lists the rest."""

    cost = 0

    def applies(self, cp: CompiledProfile) -> bool:
        return not cp.active

    def holds(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> bool:
        return False

    def failures(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> Sequence[str]:
        return ("профиль выключен",)


class Region(Condition):
    """``regions``: the customer's region or a place of delivery is one of them."""

    def applies(self, cp: CompiledProfile) -> bool:
        return cp.regions is not None

    def holds(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> bool:
        allowed = cp.regions or _NOWHERE
        return view.customer_region in allowed or not allowed.isdisjoint(view.delivery_regions)

    def reasons(self, cp: CompiledProfile, view: NoticeView, now: datetime, out: list[str]) -> float:
        allowed = cp.regions or _NOWHERE
        held = view.customer_region in allowed
        out.append(view.notes().customer_region if held else _first_delivery(view, allowed))
        return 0.0

    def failures(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> Sequence[str]:
        customer, delivery = view.customer_region, view.delivery_regions
        if customer is None and not delivery:
            return ("регион не указан в извещении",)
        seen = _listed(
            [_region_label(c) for c in dict.fromkeys([*([customer] if customer else []), *delivery])]
        )
        return (f"регион {seen} не входит в регионы профиля ({_wanted(cp.regions or _NOWHERE)})",)


class CustomerRegion(Condition):
    """``customer_regions``: the customer's own region, whatever the place of delivery."""

    def applies(self, cp: CompiledProfile) -> bool:
        return cp.customer_regions is not None

    def holds(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> bool:
        return view.customer_region in (cp.customer_regions or _NOWHERE)

    def reasons(self, cp: CompiledProfile, view: NoticeView, now: datetime, out: list[str]) -> float:
        out.append(view.notes().customer_region)
        return 0.0

    def failures(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> Sequence[str]:
        customer = view.customer_region
        if customer is None:
            return ("регион заказчика не указан в извещении",)
        allowed = _wanted(cp.customer_regions or _NOWHERE)
        return (f"регион заказчика {_region_label(customer)} не входит в профиль ({allowed})",)


class DeliveryRegion(Condition):
    """``delivery_regions``: a place of delivery (the customer's region when the notice names none)."""

    def applies(self, cp: CompiledProfile) -> bool:
        return cp.delivery_regions is not None

    def holds(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> bool:
        return not (cp.delivery_regions or _NOWHERE).isdisjoint(view.delivery_regions)

    def reasons(self, cp: CompiledProfile, view: NoticeView, now: datetime, out: list[str]) -> float:
        out.append(_first_delivery(view, cp.delivery_regions or _NOWHERE))
        return 0.0

    def failures(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> Sequence[str]:
        delivery = view.delivery_regions
        if not delivery:
            return ("регион поставки не указан в извещении",)
        seen = _listed([_region_label(d) for d in delivery])
        return (f"регион поставки {seen} не входит в профиль ({_wanted(cp.delivery_regions or _NOWHERE)})",)


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


def _code_reasons(cp: CompiledProfile, view: NoticeView) -> list[str]:
    hits = _code_hits("ОКПД2", view.okpd2, cp.okpd2) if cp.okpd2 and view.okpd2 else []
    if cp.ktru and view.ktru:
        hits += _code_hits("КТРУ", view.ktru, cp.ktru)
    return hits


def _any_code(keys: list[str], prefixes: tuple[str, ...]) -> bool:
    if prefixes:
        for key in keys:
            if key.startswith(prefixes):
                return True
    return False


def _keyword_reasons(cp: CompiledProfile, view: NoticeView) -> list[tuple[str, float]]:
    """(reason, score) of each keyword found itself (worded once per notice: matched profiles share
    keywords); when none is, of each keyword found through a synonym. A synonym makes a match the
    words missed, it does not add to one they made («ноутбуков» is «ноутбук», and not also
    «компьютер*» through «портативный компьютер»)."""
    found = []
    said = view._said
    for key, pattern, gain, _ in cp.scored:
        reason = said.get(pattern.text, _UNSEEN)
        if reason is _UNSEEN:
            hit = view.find(pattern, key)
            reason = said[pattern.text] = None if hit is None else _keyword_reason(pattern, hit, veto=False)
        if reason is not None:
            found.append((reason, gain))
    if found or not cp.synonym_keywords:
        return found
    for key, pattern, gain, synonyms in cp.scored:
        reason = _found(view, key, pattern, synonyms, veto=False) if synonyms else None
        if reason is not None:
            found.append((reason, gain))
    return found


def _named_by_codes(cp: CompiledProfile, view: NoticeView) -> bool:
    """``_in_code_names`` as a yes/no, a set lookup per one-word keyword."""
    if not view.code_names:
        return False
    if not cp.own_lemmas.isdisjoint(view.name_lemmas):
        return True
    scan = view.name_scan
    if any(prefix in scan for prefix in cp.own_prefixes):
        return True
    lemmas = view.name_lemmas
    return any(
        all(part.prefix or part.value in lemmas for part in p.parts)  # cheap: most phrases stop here
        and any(n.carries(p) for n in view.code_names)
        for p in cp.own_phrases
    )


def _in_code_names(cp: CompiledProfile, view: NoticeView) -> list[tuple[str, float]]:
    """(reason, score) of each keyword found in the name of one of the notice's OKPD2 subclasses or
    groups: what makes «Поставка товара» with code 26.20.11.110 a match of «компьютер*». Asked only
    when no code of the profile and no keyword in the text (or through a synonym) matched."""
    found = []
    for _, pattern, gain, _ in cp.scored:
        named = next((n for n in view.code_names if n.carries(pattern)), None)
        if named is not None:
            noun = "фраза" if pattern.is_phrase else "ключевое слово"
            found.append((f"{noun} «{pattern.text}» — в названии ОКПД2 {named.code} «{named.name}»", gain))
    return found


def _found(
    view: NoticeView, key: str, pattern: KeywordPattern, synonyms: tuple[Alternative, ...], *, veto: bool
) -> str | None:
    """The reason a keyword or minus-word is in the notice, itself first, else through its first
    synonym found; ``None`` when neither is."""
    hit = view.find(pattern, key)
    if hit is not None:
        return _keyword_reason(pattern, hit, veto=veto)
    for synonym in synonyms:
        hit = view.find(synonym.pattern, synonym.key)
        if hit is not None:
            return _keyword_reason(pattern, hit, veto=veto, synonym=synonym.note)
    return None


class Capability(Condition):
    """``okpd2``/``ktru``/``keywords``: a code within one of the profile's, or a keyword in the text.

    Every profile has it (a profile with neither codes nor keywords matches nothing).
    """

    cost = 3

    def applies(self, cp: CompiledProfile) -> bool:
        return True

    def holds(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> bool:
        return (
            _any_code(view.okpd2_keys, cp.okpd2_keys)
            or _any_code(view.ktru_keys, cp.ktru_keys)
            or not view.by_lemma.keys().isdisjoint(cp.keyword_lemmas)
            or not view.capitals.keys().isdisjoint(cp.keyword_capitals)
            or any(view.find(pattern, key) for key, pattern in cp.keyword_others)
            or _named_by_codes(cp, view)
        )

    def reasons(self, cp: CompiledProfile, view: NoticeView, now: datetime, out: list[str]) -> float:
        codes = _code_reasons(cp, view)
        out += codes[:_MAX_LISTED]
        score = 0.0
        found = _keyword_reasons(cp, view) or ([] if codes else _in_code_names(cp, view))
        for reason, gain in found:
            out.append(reason)
            score += gain
        return score + SCORE_CODE if codes else score

    def failures(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> Sequence[str]:
        p = cp.profile
        wanted = [*p.okpd2, *p.ktru]
        have = [c for c, _ in (*view.okpd2, *view.ktru)]
        parts = []
        if wanted:
            parts.append(
                f"коды извещения ({_listed(have) if have else 'не указаны'}) не входят в {_listed(wanted)}"
            )
        if p.keywords:
            parts.append(f"ни одно ключевое слово не найдено ({_listed(p.keywords)})")
        return ("нет совпадений по ОКПД2/КТРУ и ключевым словам: " + "; ".join(parts),)


class Exclude(Condition):
    """``exclude``: no minus-word or minus-phrase in the text; each one found is its own failure."""

    cost = 4

    def applies(self, cp: CompiledProfile) -> bool:
        return bool(cp.exclude)

    def holds(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> bool:
        return not (
            not view.by_lemma.keys().isdisjoint(cp.exclude_lemmas)
            or not view.capitals.keys().isdisjoint(cp.exclude_capitals)
            or any(view.find(pattern, key) for key, pattern in cp.exclude_others)
        )

    def failures(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> Sequence[str]:
        vetoes = []
        for (key, pattern), synonyms in zip(cp.exclude, cp.exclude_synonyms, strict=True):
            reason = _found(view, key, pattern, synonyms, veto=True)
            if reason is not None:
                vetoes.append(reason)
        return vetoes


class Price(ValueCondition):
    """``price_min``/``price_max``: the NMCK within the band, both ends included; no NMCK fails."""

    ordered = True

    def applies(self, cp: CompiledProfile) -> bool:
        return cp.priced

    def value(self, view: NoticeView, now: datetime) -> Decimal | None:
        return view.notice.nmck

    def accepts(self, cp: CompiledProfile, value: Decimal | None) -> bool:
        if value is None or (cp.price_min is not None and value < cp.price_min):
            return False
        return cp.price_max is None or value <= cp.price_max

    def bounds(self, cp: CompiledProfile) -> tuple[Decimal, ...]:
        return tuple(b for b in (cp.price_min, cp.price_max) if b is not None)

    def reasons(self, cp: CompiledProfile, view: NoticeView, now: datetime, out: list[str]) -> float:
        out.append(view.notes().price)
        return 0.0

    def failures(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> Sequence[str]:
        n = view.notice
        if n.nmck is None:
            return ("НМЦК не указана, а профиль ограничивает цену",)
        nmck = format_money(n.nmck, n.currency)
        if cp.price_min is not None and n.nmck < cp.price_min:
            return (f"НМЦК {nmck} меньше минимума {format_money(cp.price_min)}",)
        return (f"НМЦК {nmck} больше максимума {format_money(cp.price_max)}",)


class OneOf(ValueCondition):
    """A value of the notice that the profile lists the accepted values of: it must be one of them.

    A subclass names the notice's field (also its note in ``NoticeView.notes()``), the profile key
    (also the compiled set), the labels its values are written with, and the failure's wording.
    """

    field: ClassVar[str]
    key: ClassVar[str]
    labels: ClassVar[Mapping[str, str]]
    failure: ClassVar[str]
    """With ``{value}`` (the notice's, labelled) and ``{wanted}`` (the profile's, labelled)."""

    def applies(self, cp: CompiledProfile) -> bool:
        return bool(getattr(cp, self.key))

    def value(self, view: NoticeView, now: datetime) -> str:
        value: str = getattr(view.notice, self.field)
        return value

    def accepts(self, cp: CompiledProfile, value: str) -> bool:
        return value in getattr(cp, self.key)

    def reasons(self, cp: CompiledProfile, view: NoticeView, now: datetime, out: list[str]) -> float:
        out.append(getattr(view.notes(), self.field))
        return 0.0

    def failures(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> Sequence[str]:
        wanted = _listed([self.labels[x] for x in getattr(cp.profile, self.key)])
        return (self.failure.format(value=self.labels[self.value(view, now)], wanted=wanted),)


class Law(OneOf):
    """``laws``: 44-FZ or 223-FZ."""

    field, key, labels = "law", "laws", LAW_LABELS
    failure = "закон {value} не входит в профиль ({wanted})"


class Kind(OneOf):
    """``kinds``: the procurement method (auction, competition, quotation, ...)."""

    field, key, labels = "kind", "kinds", KIND_LABELS
    failure = "способ «{value}» не входит в профиль ({wanted})"


class Smp(ValueCondition):
    """``smp``: only purchases reserved for small business (``only``), or none of them (``exclude``)."""

    def applies(self, cp: CompiledProfile) -> bool:
        return cp.smp_only or cp.smp_excluded

    def value(self, view: NoticeView, now: datetime) -> bool:
        return view.notice.smp_only

    def accepts(self, cp: CompiledProfile, value: bool) -> bool:
        return value if cp.smp_only else not value

    def reasons(self, cp: CompiledProfile, view: NoticeView, now: datetime, out: list[str]) -> float:
        if cp.smp_only:
            out.append("закупка только для СМП")
        return 0.0

    def failures(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> Sequence[str]:
        if cp.smp_only:
            return ("закупка не только для СМП, а профиль берёт лишь закупки у СМП",)
        return ("закупка только для СМП, а профиль их исключает",)


class DaysLeft(ValueCondition):
    """``min_days_left``: full 24-hour days to the submission deadline (``data.notice.days_left``)."""

    cost = 2
    ordered = True

    def applies(self, cp: CompiledProfile) -> bool:
        return cp.min_days_left is not None

    def value(self, view: NoticeView, now: datetime) -> int | None:
        return view.days_left(now)

    def accepts(self, cp: CompiledProfile, value: int | None) -> bool:
        return value is not None and value >= (cp.min_days_left or 0)

    def bounds(self, cp: CompiledProfile) -> tuple[int, ...]:
        return (cp.min_days_left or 0,)

    def reasons(self, cp: CompiledProfile, view: NoticeView, now: datetime, out: list[str]) -> float:
        out.append(f"до окончания подачи заявок {view.days_left(now)} полн. дн.")
        return 0.0

    def failures(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> Sequence[str]:
        deadline = view.notice.submission_deadline
        if deadline is None:
            return ("срок подачи заявок не указан",)
        days = view.days_left(now)
        if days is None:
            return ("срок подачи заявок истёк",)
        return (f"до окончания подачи заявок {days} полн. дн., нужно не менее {cp.min_days_left}",)


class BidSecurity(ValueCondition):
    """``max_bid_security``: the application security within the cap; a notice without one passes."""

    ordered = True

    def applies(self, cp: CompiledProfile) -> bool:
        return cp.max_bid_security is not None

    def value(self, view: NoticeView, now: datetime) -> Decimal | None:
        return view.notice.bid_security

    def accepts(self, cp: CompiledProfile, value: Decimal | None) -> bool:
        cap = cp.max_bid_security
        return value is None or cap is None or value <= cap

    def bounds(self, cp: CompiledProfile) -> tuple[Decimal, ...]:
        return () if cp.max_bid_security is None else (cp.max_bid_security,)

    def reasons(self, cp: CompiledProfile, view: NoticeView, now: datetime, out: list[str]) -> float:
        if view.notice.bid_security is not None:
            out.append(view.notes().security)
        return 0.0

    def failures(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> Sequence[str]:
        security = format_money(view.notice.bid_security)
        return (f"обеспечение заявки {security} больше лимита {format_money(cp.max_bid_security)}",)


class CustomersInclude(Condition):
    """``customers_include``: only these customers (by INN)."""

    def applies(self, cp: CompiledProfile) -> bool:
        return bool(cp.customers_include)

    def holds(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> bool:
        return view.notice.customer_inn in cp.customers_include

    def reasons(self, cp: CompiledProfile, view: NoticeView, now: datetime, out: list[str]) -> float:
        out.append(view.notes().customer_inn)
        return 0.0

    def failures(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> Sequence[str]:
        inn = view.notice.customer_inn
        if inn is None:
            return ("ИНН заказчика не указан, а профиль берёт только своих заказчиков",)
        return (f"заказчик ИНН {inn} не в списке заказчиков профиля",)


class CustomersExclude(Condition):
    """``customers_exclude``: never these customers (by INN)."""

    def applies(self, cp: CompiledProfile) -> bool:
        return bool(cp.customers_exclude)

    def holds(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> bool:
        return view.notice.customer_inn not in cp.customers_exclude

    def failures(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> Sequence[str]:
        return (f"заказчик ИНН {view.notice.customer_inn} исключён профилем",)


CONDITIONS: tuple[Condition, ...] = (
    Inactive(),
    Region(),
    CustomerRegion(),
    DeliveryRegion(),
    Capability(),
    Exclude(),
    Price(),
    Law(),
    Kind(),
    Smp(),
    DaysLeft(),
    BidSecurity(),
    CustomersInclude(),
    CustomersExclude(),
)
"""Every condition, in the order reasons and failures are written."""


def conditions_of(cp: CompiledProfile) -> tuple[tuple[Condition, ...], tuple[Check, ...], tuple[Check, ...]]:
    """The conditions a profile sets, in the declared order; their ``holds`` cheapest first; and the
    same without the ``ValueCondition``s."""
    applied = tuple(c for c in CONDITIONS if c.applies(cp))
    cheapest_first = sorted(applied, key=lambda c: c.cost)
    return (
        applied,
        tuple(c.holds for c in cheapest_first),
        tuple(c.holds for c in cheapest_first if not isinstance(c, ValueCondition)),
    )


def holds_but_capability(cp: CompiledProfile, view: NoticeView, now: datetime) -> bool:
    """Every condition but the codes and keywords holds: what makes a near miss by meaning."""
    return all(c.holds(cp, view, now) for c in cp.conditions if type(c) is not Capability)


def passes(cp: CompiledProfile, view: NoticeView, *, now: datetime) -> bool:
    """The verdict of ``evaluate`` without building any text, cheapest checks first.

    The hot path: ``match`` runs it on every candidate and explains only the ones that pass.
    """
    return _all_hold(cp.checks, cp, view, now)


def passes_the_rest(cp: CompiledProfile, view: NoticeView, *, now: datetime) -> bool:
    """``passes`` for a profile whose ``ValueCondition``s are known to hold (the compiled matcher
    sorts profiles by them before it asks this)."""
    return _all_hold(cp.text_checks, cp, view, now)


def _all_hold(checks: tuple[Check, ...], cp: CompiledProfile, view: NoticeView, now: datetime) -> bool:
    for holds in checks:
        if not holds(cp, view, now):
            return False
    return True


def match_reasons(cp: CompiledProfile, view: NoticeView, now: datetime) -> tuple[float, tuple[str, ...]]:
    """The score and reasons of a profile that ``passes``: each condition's ``reasons``, as ``evaluate``."""
    reasons: list[str] = []
    score = 0.0
    for condition in cp.conditions:
        score += condition.reasons(cp, view, now, reasons)
    return round(min(score, 1.0), 2), tuple(reasons)


def evaluate(cp: CompiledProfile, view: NoticeView, *, now: datetime) -> Explanation:
    """Every condition of one profile against one analysed notice; nothing short-circuits."""
    reasons: list[str] = []
    failures: list[str] = []
    score = 0.0
    for condition in cp.conditions:
        if condition.holds(cp, view, now):
            score += condition.reasons(cp, view, now, reasons)
        else:
            failures += condition.failures(cp, view, now)
    matched = not failures
    return Explanation(
        cp.name, matched, round(min(score, 1.0), 2) if matched else 0.0, tuple(reasons), tuple(failures)
    )
