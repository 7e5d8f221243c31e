"""Each matcher condition is one object that the fast path, the match's reasons and ``explain`` share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pytest

from bidder.matcher import CompiledProfile, NoticeView, compile_profiles
from bidder.matcher import rules as rules_module
from bidder.matcher.rules import (
    CONDITIONS,
    BidSecurity,
    Capability,
    Condition,
    CustomerRegion,
    CustomersExclude,
    CustomersInclude,
    DaysLeft,
    DeliveryRegion,
    Exclude,
    Inactive,
    Kind,
    Law,
    Price,
    Region,
    Smp,
)
from bidder.profiles import parse_profiles
from tests.bidder.match_table import NOW, notice

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
