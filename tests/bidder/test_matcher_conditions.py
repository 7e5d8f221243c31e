"""Each matcher condition is one object that the fast path, the match's reasons and ``explain`` share."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from bidder.matcher import CompiledProfile
from bidder.matcher import NoticeView
from bidder.matcher import compile_profiles
from bidder.matcher import match_naive
from bidder.matcher import rules as rules_module
from bidder.matcher.rules import CONDITIONS
from bidder.matcher.rules import BidSecurity
from bidder.matcher.rules import Capability
from bidder.matcher.rules import Condition
from bidder.matcher.rules import CustomerRegion
from bidder.matcher.rules import CustomersExclude
from bidder.matcher.rules import CustomersInclude
from bidder.matcher.rules import DaysLeft
from bidder.matcher.rules import DeliveryRegion
from bidder.matcher.rules import Exclude
from bidder.matcher.rules import Inactive
from bidder.matcher.rules import Kind
from bidder.matcher.rules import Law
from bidder.matcher.rules import Price
from bidder.matcher.rules import Region
from bidder.matcher.rules import Smp
from bidder.matcher.rules import ValueCondition
from bidder.profiles import parse_profiles
from tests.bidder.match_table import NOW
from tests.bidder.match_table import notice

BASE: dict[str, Any] = {"name": "p", "keywords": ["ноутбук"]}

KEYS: list[tuple[dict[str, Any], type[Condition]]] = [
    ({"active": False}, Inactive),
    ({"regions": ["77"]}, Region),
    ({"customer_regions": ["77"]}, CustomerRegion),
    ({"delivery_regions": ["77"]}, DeliveryRegion),
    ({"exclude": ["ремонт"]}, Exclude),
    ({"price_min": 1}, Price),
    ({"price_max": 1}, Price),
    ({"laws": ["44-FZ"]}, Law),
    ({"kinds": ["auction"]}, Kind),
    ({"smp": "only"}, Smp),
    ({"smp": "exclude"}, Smp),
    ({"min_days_left": 1}, DaysLeft),
    ({"max_bid_security": 1}, BidSecurity),
    ({"customers_include": ["7702070139"]}, CustomersInclude),
    ({"customers_exclude": ["7702070139"]}, CustomersExclude),
]


def compiled(**keys: Any) -> CompiledProfile:
    return CompiledProfile.of(parse_profiles([{**BASE, **keys}])[0])


def test_a_profile_with_keywords_only_has_the_capability_condition_alone() -> None:
    assert [type(c) for c in compiled().conditions] == [Capability]


@pytest.mark.parametrize(("keys", "condition"), KEYS, ids=[str(keys) for keys, _ in KEYS])
def test_each_key_sets_its_condition(keys: dict[str, Any], condition: type[Condition]) -> None:
    cp = compiled(**keys)
    assert [type(c) for c in cp.conditions] == [
        type(c) for c in CONDITIONS if type(c) in (condition, Capability)
    ]
    assert len(cp.checks) == 2


def test_every_condition_is_listed_once_and_the_fast_path_tries_the_cheap_ones_first() -> None:
    assert len({type(c) for c in CONDITIONS}) == len(CONDITIONS)
    assert {type(c) for c in CONDITIONS} == {c for _, c in KEYS} | {Capability}
    cp = compiled(exclude=["ремонт"], min_days_left=1, price_min=1, regions=["77"])
    assert [type(c) for c in cp.conditions] == [Region, Capability, Exclude, Price, DaysLeft]
    owners = [getattr(check, "__self__", None) for check in cp.checks]
    assert [type(o) for o in owners] == [Region, Price, DaysLeft, Capability, Exclude]


class ShortTitle(Condition):
    """A made-up condition: the title has at most ``limit`` words (here, 3)."""

    def applies(self, cp: CompiledProfile) -> bool:
        return True

    def holds(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> bool:
        return len(view.notice.title.split()) <= 3

    def reasons(self, cp: CompiledProfile, view: NoticeView, now: datetime, out: list[str]) -> float:
        out.append("короткое название")
        return 0.0

    def failures(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> Sequence[str]:
        return (f"в названии {len(view.notice.title.split())} слов",)


def test_a_new_condition_is_one_object_that_match_and_explain_both_follow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rules_module, "CONDITIONS", (*CONDITIONS, ShortTitle()))
    matcher = compile_profiles(parse_profiles([BASE]))
    short, long = notice("Поставка ноутбуков"), notice("Поставка ноутбуков для нужд школы")

    [match] = matcher.match(short, now=NOW)
    assert match.reasons == ("ключевое слово «ноутбук» — в тексте «ноутбуков»", "короткое название")
    assert matcher.explain(short, now=NOW)["p"].reasons == match.reasons

    assert matcher.match(long, now=NOW) == []
    explained = matcher.explain(long, now=NOW)["p"]
    assert (explained.matched, explained.failures) == (False, ("в названии 5 слов",))


class InRoubles(ValueCondition):
    """A made-up condition on a value: the NMCK is in roubles (a notice without a currency is)."""

    def applies(self, cp: CompiledProfile) -> bool:
        return True

    def value(self, view: NoticeView, now: datetime) -> str | None:
        return view.notice.currency

    def accepts(self, cp: CompiledProfile, value: str | None) -> bool:
        return value in (None, "RUB")

    def failures(self, cp: CompiledProfile, view: NoticeView, now: datetime) -> Sequence[str]:
        return (f"валюта {view.notice.currency}",)


def test_a_new_value_condition_sorts_the_profiles_in_the_index_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules_module, "CONDITIONS", (*CONDITIONS, InRoubles()))
    matcher = compile_profiles(parse_profiles([BASE]))
    roubles, dollars = (
        notice("Поставка ноутбуков", currency="RUB"),
        notice("Поставка ноутбуков", currency="USD"),
    )
    assert [m.profile for m in matcher.match(roubles, now=NOW)] == ["p"]
    assert matcher.match(dollars, now=NOW) == []
    assert matcher.explain(dollars, now=NOW)["p"].failures == ("валюта USD",)
    cp = matcher.profiles[0]
    assert InRoubles().holds not in cp.text_checks and len(cp.checks) == len(cp.text_checks) + 1


BOUNDS = [
    {**BASE, "name": "band", "price_min": 100_000, "price_max": 300_000},
    {**BASE, "name": "from", "price_min": 300_000},
    {**BASE, "name": "cheap-security", "max_bid_security": 3_000},
    {**BASE, "name": "three-days", "min_days_left": 3},
    {**BASE, "name": "five-days", "min_days_left": 5, "laws": ["223-FZ"]},
    {**BASE, "name": "smp-no", "smp": "exclude", "kinds": ["competition", "auction"]},
    {**BASE, "name": "all"},
]


def test_values_at_and_around_every_bound_get_the_naive_verdict() -> None:
    """One matcher for every notice: a value class remembered from one notice must be right for the next."""
    matcher = compile_profiles(parse_profiles(BOUNDS))
    prices = [None, "99999.99", "100000", "100000.00", "100000.01", "300000", "300000.01", "1"]
    securities = [None, "2999.99", "3000", "3000.01"]
    hours = [-1, 47, 72, 72.01, 119.99, 120, 400]
    kinds = [("44-FZ", True, "auction"), ("223-FZ", False, "auction"), ("223-FZ", False, "other")]
    seen = set()
    for nmck, security, hour, (law, smp, kind) in itertools.product(prices, securities, hours, kinds):
        n = notice(
            "Поставка ноутбуков",
            law=law,
            kind=kind,
            smp_only=smp,
            nmck=None if nmck is None else Decimal(nmck),
            bid_security=None if security is None else Decimal(security),
            submission_deadline=NOW + timedelta(hours=hour),
        )
        compiled_names = sorted(m.profile for m in matcher.match(n, now=NOW))
        assert compiled_names == sorted(match_naive(matcher.profiles, n, now=NOW)), n
        seen.add(tuple(compiled_names))
    assert len(seen) > 20  # the bounds do split the profiles
