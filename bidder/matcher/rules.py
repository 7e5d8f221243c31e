"""The conditions of a profile and how each is judged: ``evaluate`` (every rule, with what held and
what failed), the fast ``passes`` that decides, and the reasons of a match built on its own path."""

from __future__ import annotations

from datetime import datetime

from bidder.matcher.compiled import CompiledProfile
from bidder.matcher.reasons import (
    _MAX_LISTED,
    SCORE_CODE,
    SCORE_KEYWORD,
    SCORE_PHRASE,
    Explanation,
    _keyword_reason,
    _listed,
    _region_label,
)
from bidder.matcher.view import _UNSEEN, NoticeView
from bidder.profiles import Profile
from data.formatting import KIND_LABELS, LAW_LABELS, format_money
from data.notice import Notice, days_left


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
    nmck = format_money(n.nmck, n.currency)
    if p.price_min is not None and n.nmck < p.price_min:
        v.failures.append(f"НМЦК {nmck} меньше минимума {format_money(p.price_min)}")
    elif p.price_max is not None and n.nmck > p.price_max:
        v.failures.append(f"НМЦК {nmck} больше максимума {format_money(p.price_max)}")
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
        days = days_left(deadline, now)
        if days < p.min_days_left:
            v.failures.append(
                f"до окончания подачи заявок {days} полн. дн., нужно не менее {p.min_days_left}"
            )
        else:
            v.reasons.append(_days_reason(days))


def _days_reason(days: int | None) -> str:
    return f"до окончания подачи заявок {days} полн. дн."


def _check_security_and_customer(p: Profile, view: NoticeView, v: _Verdict) -> None:
    n = view.notice
    if p.max_bid_security is not None and n.bid_security is not None:
        if n.bid_security > p.max_bid_security:
            cap = format_money(p.max_bid_security)
            v.failures.append(f"обеспечение заявки {format_money(n.bid_security)} больше лимита {cap}")
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
