"""The rules engine against the acceptance table, exact reasons, near misses and the index."""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal

import pytest

from bidder.matcher import Explanation
from bidder.matcher import Match
from bidder.matcher import MatcherError
from bidder.matcher import compile_profiles
from bidder.matcher import match_naive
from bidder.profiles import parse_profiles
from data.formatting import format_money
from tests.bidder.match_table import CASES
from tests.bidder.match_table import NOW
from tests.bidder.match_table import PROFILES
from tests.bidder.match_table import Case
from tests.bidder.match_table import notice

PARSED = parse_profiles(PROFILES)
MATCHER = compile_profiles(PARSED)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_table(case: Case) -> None:
    n = notice(case.title, **case.fields)
    got = {m.profile for m in MATCHER.match(n, now=NOW)}
    assert got == case.expected
    # the index never changes a verdict: the naive loop over every profile agrees
    assert set(match_naive(MATCHER.profiles, n, now=NOW)) == case.expected
    # and explain() says matched for exactly the same profiles
    explained = MATCHER.explain(n, now=NOW)
    assert {name for name, e in explained.items() if e.matched} == case.expected
    # and match()'s own fast path gives exactly explain()'s reasons and score
    for m in MATCHER.match(n, now=NOW):
        assert (m.reasons, m.score) == (explained[m.profile].reasons, explained[m.profile].score)


def test_match_reasons_exact() -> None:
    n = notice(
        "Поставка ноутбуков",
        customer_region="78",
        delivery_regions=["50"],
        okpd2=["26.20.15.000"],
        nmck=Decimal("1500000"),
    )
    assert MATCHER.match(n, now=NOW) == [
        Match(
            profile="it",
            score=0.85,
            reasons=(
                "регион поставки 50 — Московская область",
                "ОКПД2 26.20.15.000 входит в 26.20",
                "ключевое слово «ноутбук» — в тексте «ноутбуков»",
                "НМЦК 1 500 000,00 ₽ в ценовом диапазоне профиля",
                "закон 44-ФЗ",
            ),
            chats=(-100100,),
        )
    ]


def test_phrase_and_family_reasons() -> None:
    n = notice("На поставку компьютерной техники")
    (m,) = MATCHER.match(n, now=NOW)
    assert m.reasons[1:3] == (
        "ключевое слово «компьютер*» — в тексте «компьютерной»",
        "фраза «поставка компьютерной техники» — в тексте «поставку компьютерной техники»",
    )
    assert m.score == 0.6


def test_delivery_fallback_reason() -> None:
    n = notice("Копирование документов")
    (m,) = MATCHER.match(n, now=NOW)
    assert m.reasons == (
        "регион поставки 77 — Москва (место поставки не указано, взят регион заказчика)",
        "фраза «копирование документов» — в тексте «копирование документов»",
    )


def test_code_reasons_for_exact_ktru() -> None:
    n = notice("МНН - ОКТРЕОТИД", okpd2=["21.20.10.181"], ktru=["21.20.10.181-00000001"])
    (m,) = MATCHER.match(n, now=NOW)
    assert m.reasons[:2] == (
        "ОКПД2 21.20.10.181 входит в 21.20",
        "КТРУ 21.20.10.181-00000001 совпадает с профилем",
    )
    assert m.score == 0.6


def test_near_misses_name_what_failed() -> None:
    n = notice("Ремонт ноутбуков", customer_region="78", nmck=Decimal("99999.99"), law="223-FZ")
    e = MATCHER.explain(n, now=NOW)["it"]
    assert e == Explanation(
        profile="it",
        matched=False,
        score=0.0,
        reasons=("ключевое слово «ноутбук» — в тексте «ноутбуков»",),
        failures=(
            "регион 78 — Санкт-Петербург не входит в регионы профиля (50 — Московская область, 77 — Москва)",
            "исключающее слово «ремонт» — в тексте «ремонт»",
            "НМЦК 99 999,99 ₽ меньше минимума 100 000,00 ₽",
            "закон 223-ФЗ не входит в профиль (44-ФЗ)",
        ),
    )


def test_near_miss_without_capability_lists_what_was_looked_for() -> None:
    n = notice("Услуги охраны", okpd2=["80.10.12.000"])
    e = MATCHER.explain(n, now=NOW)["print"]
    assert e.failures == (
        "нет совпадений по ОКПД2/КТРУ и ключевым словам: коды извещения (80.10.12.000) не входят в 82.19; "
        "ни одно ключевое слово не найдено (копирование документов, бумажных копий)",
    )


def test_deadline_near_misses() -> None:
    deadline = datetime.fromisoformat("2025-03-05T23:59:00+03:00")
    short = notice("Поставка лотков водоотводных", kind="quotation", submission_deadline=deadline)
    assert MATCHER.explain(short, now=NOW)["drainage"].failures == (
        "до окончания подачи заявок 2 полн. дн., нужно не менее 3",
    )
    past = notice("Поставка лотков водоотводных", kind="quotation", submission_deadline=NOW)
    assert MATCHER.explain(past, now=NOW)["drainage"].failures == ("срок подачи заявок истёк",)


def test_smp_security_and_customer_near_misses() -> None:
    n = notice("Услуги охраны", smp_only=False, bid_security=Decimal("60000"))
    assert MATCHER.explain(n, now=NOW)["guards"].failures == (
        "закупка не только для СМП, а профиль берёт лишь закупки у СМП",
        "обеспечение заявки 60 000,00 ₽ больше лимита 50 000,00 ₽",
    )
    pens = notice("Ручки шариковые", customer_inn="7701234567", smp_only=False, nmck=Decimal("1000"))
    assert MATCHER.explain(pens, now=NOW)["stationery"].failures == (
        "заказчик ИНН 7701234567 не в списке заказчиков профиля",
    )


def test_inactive_profile_is_never_matched_but_explained() -> None:
    profiles = parse_profiles([{**PROFILES[0], "active": False}])
    matcher = compile_profiles(profiles)
    n = notice("Поставка ноутбуков")
    assert matcher.match(n, now=NOW) == []
    assert matcher.explain(n, now=NOW)["it"].failures == ("профиль выключен",)


def test_matches_sorted_by_score_then_name() -> None:
    profiles = parse_profiles(
        [
            {"name": "b-words", "keywords": ["ноутбук", "компьютер"]},
            {"name": "a-word", "keywords": ["ноутбук"]},
            {"name": "c-code", "okpd2": ["26.20"], "keywords": ["ноутбук"]},
        ]
    )
    n = notice("Поставка ноутбуков и компьютеров", okpd2=["26.20.11.110"])
    assert [(m.profile, m.score) for m in compile_profiles(profiles).match(n, now=NOW)] == [
        ("c-code", 0.85),
        ("b-words", 0.5),
        ("a-word", 0.25),
    ]


def test_phrase_does_not_span_title_and_item() -> None:
    profiles = parse_profiles([{"name": "p", "keywords": ["компьютерная техника"]}])
    n = notice("Поставка компьютерной", items=["Техника для офиса"])
    assert compile_profiles(profiles).match(n, now=NOW) == []


def test_customer_name_is_not_matched_text() -> None:
    profiles = parse_profiles([{"name": "p", "keywords": ["больница"]}])
    n = notice("Поставка перчаток", customer_name="ГБУЗ Городская клиническая больница № 29")
    assert compile_profiles(profiles).match(n, now=NOW) == []


def test_naive_now_is_refused() -> None:
    with pytest.raises(MatcherError, match="no time zone"):
        MATCHER.match(notice("Поставка ноутбуков"), now=datetime(2025, 3, 3, 12, 0))


def test_reasons_write_money_with_the_one_formatter() -> None:
    """Kopecks are rounded half up everywhere: the matcher once wrote 1,00 ₽ for 1.005 (half to
    even) where the bot and the reports wrote 1,01 ₽."""
    assert format_money(Decimal("1234567.8")) == "1 234 567,80 ₽"
    assert format_money(Decimal("1.005")) == "1,01 ₽"
    cheap = compile_profiles(parse_profiles([{"name": "cheap", "keywords": ["ноутбук"], "price_max": "1"}]))
    explained = cheap.explain(notice("Поставка ноутбуков", nmck=Decimal("1.005")), now=NOW)["cheap"]
    assert "НМЦК 1,01 ₽ больше максимума 1,00 ₽" in explained.failures


def test_compiled_agrees_with_naive_on_random_notices() -> None:
    """Random mixes of the table's words, codes and regions: the index must never lose a match."""
    rng = random.Random(7)
    words = " ".join(c.title for c in CASES).split()
    codes = ["26.20.15.000", "26.2", "82.19.11.000", "80.10.12.000", "21.20.10.181", "26.30.11.000"]
    regions = ["77", "50", "78", "25", "27", None]
    matched = 0
    for _ in range(300):
        n = notice(
            " ".join(rng.sample(words, k=rng.randint(2, 8))),
            okpd2=rng.sample(codes, k=rng.randint(0, 2)),
            customer_region=rng.choice(regions),
            delivery_regions=rng.sample(["77", "50", "25"], k=rng.randint(0, 1)),
            kind=rng.choice(["auction", "quotation", "other"]),
            smp_only=rng.random() < 0.5,
            customer_inn=rng.choice(["7702070139", "7701234567", "7700000000"]),
            nmck=rng.choice([None, Decimal("50000"), Decimal("300000"), Decimal("1000000")]),
        )
        found = MATCHER.match(n, now=NOW)
        compiled = sorted(m.profile for m in found)
        assert compiled == sorted(match_naive(MATCHER.profiles, n, now=NOW)), n.title
        # match() builds reasons on its own fast path: they must be exactly what explain() says
        explained = MATCHER.explain(n, now=NOW)
        for m in found:
            assert (m.reasons, m.score) == (explained[m.profile].reasons, explained[m.profile].score), n.title
        matched += len(compiled)
    assert matched >= 30  # the mix is rich enough to exercise matching, not only rejection


def test_ambiguous_words_recall_without_false_alarms() -> None:
    matcher = compile_profiles(
        parse_profiles([{"name": "steel", "keywords": ["сталь"]}, {"name": "soap", "keywords": ["мыло"]}])
    )
    assert [m.profile for m in matcher.match(notice("Поставка стали листовой"), now=NOW)] == ["steel"]
    assert [m.profile for m in matcher.match(notice("Поставка жидкого мыла"), now=NOW)] == ["soap"]
    assert matcher.match(notice("Услуги: мыть полы и окна"), now=NOW) == []


@pytest.mark.parametrize(
    ("okpd2", "matched"),
    [
        (["26.201"], []),  # malformed: its key 26201 would share a prefix with 26.20
        (["262011110"], ["codes"]),  # undotted, on the hierarchy
        (["26.20.11.110"], ["codes"]),
        (["04.11"], []),  # no such class
        (["26.201", "26.20.11.110"], ["codes"]),
        (["26.2"], []),  # the parent subclass is not within 26.20
    ],
)
def test_notice_codes_compare_on_the_hierarchy(okpd2: list[str], matched: list[str]) -> None:
    matcher = compile_profiles(parse_profiles([{"name": "codes", "okpd2": ["26.20"]}]))
    n = notice("Закупка", okpd2=okpd2)
    assert [m.profile for m in matcher.match(n, now=NOW)] == matched
    assert matcher.explain(n, now=NOW)["codes"].matched is bool(matched)


def test_malformed_ktru_on_the_notice_is_ignored() -> None:
    matcher = compile_profiles(parse_profiles([{"name": "ktru", "ktru": ["26.20"]}]))
    good = notice("Закупка", ktru=["26.20.15.000-00000001"])
    bad = notice("Закупка", ktru=["26.201.5.000-00000001"])
    assert [m.profile for m in matcher.match(good, now=NOW)] == ["ktru"]
    assert matcher.match(bad, now=NOW) == []


def test_days_left_mean_the_same_full_days_in_the_matcher_the_bot_and_the_reports() -> None:
    """Issue 15: a deadline of 24.03 10:00 MSK seen at 23.03 20:00 was 1 day to the matcher
    (calendar days), «14 часов» to the bot and 0 days to the reports. All three now count full
    24-hour days (``data.notice.time_left``)."""
    from bidder.reports.deadlines import _deadline_row
    from bot.render import format_deadline
    from data.notice import MOSCOW

    deadline = datetime(2026, 3, 24, 10, 0, tzinfo=MOSCOW)
    now = datetime(2026, 3, 23, 20, 0, tzinfo=MOSCOW)
    strict = compile_profiles(
        parse_profiles([{"name": "strict", "keywords": ["ноутбук"], "min_days_left": 1}])
    )
    late = notice("Поставка ноутбуков", submission_deadline=deadline)
    assert strict.explain(late, now=now)["strict"].failures == (
        "до окончания подачи заявок 0 полн. дн., нужно не менее 1",
    )
    assert format_deadline(deadline, now).endswith("(осталось 14 часов)")
    row = _deadline_row(late, "new", [], [], now)  # type: ignore[arg-type]  # a Notice reads like a row here
    assert (row.days_left, row.hours_left) == (0, 14)
