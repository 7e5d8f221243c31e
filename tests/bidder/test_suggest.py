"""Minus-words learnt from triage: common in skipped alerts, in no taken one, never the profile's own."""

from __future__ import annotations

from bidder.profiles import parse_profiles
from bidder.suggest import MinusWord
from bidder.suggest import NewKeyword
from bidder.suggest import suggest
from data.store.triage import TakenNearMiss
from tests.bidder.match_table import notice

[PROFILE] = parse_profiles([{"name": "it", "keywords": ["ноутбук", "компьютер*"], "exclude": ["б/у"]}])

SKIPPED = [
    "Ремонт ноутбуков и компьютерной техники",
    "Ремонт и обслуживание компьютеров бухгалтерии",
    "Оказание услуг по ремонту ноутбуков",
    "Заправка картриджей и ремонт принтеров, компьютеров",
    "Аренда ноутбуков для проведения экзамена",
    "Аренда компьютеров для выборов",
    "Поставка ноутбуков б/у",
]
TAKEN = [
    "Поставка ноутбуков для нужд школы",
    "Поставка компьютеров и мониторов",
    "Поставка персональных компьютеров для администрации",
]
TRIAGED = [(notice(t), "skip") for t in SKIPPED] + [(notice(t), "take") for t in TAKEN]


def test_a_word_common_in_skipped_alerts_and_in_no_taken_one_is_proposed() -> None:
    found = suggest(PROFILE, TRIAGED)
    assert (found.profile, found.skipped, found.taken) == ("it", 7, 3)
    assert found.minus_words == (
        MinusWord(
            "ремонт",
            4,
            ("Ремонт ноутбуков и компьютерной техники", "Ремонт и обслуживание компьютеров бухгалтерии"),
        ),
    )


def test_two_skips_are_chance_unless_asked_and_the_profiles_own_words_are_never_proposed() -> None:
    found = suggest(PROFILE, TRIAGED, min_skipped=2)
    assert [w.word for w in found.minus_words] == ["ремонт", "аренда"]
    every = suggest(PROFILE, TRIAGED, min_skipped=1)
    words = {w.word for w in every.minus_words}
    assert not words & {"ноутбук", "компьютер", "компьютерный", "поставка", "для"}  # own or generic
    assert "школа" not in words  # in a taken alert


def test_a_word_in_a_taken_alert_is_never_a_minus_word() -> None:
    taken_repair = [*TRIAGED, (notice("Поставка ноутбуков с ремонтом по гарантии"), "take")]
    assert suggest(PROFILE, taken_repair).minus_words == ()


def test_nothing_decided_suggests_nothing() -> None:
    assert suggest(PROFILE, []).minus_words == ()


def near(number: int, title: str, word: str, similarity: float) -> TakenNearMiss:
    return TakenNearMiss(notice(title, reg_number=f"03732000001250{number:05d}"), word, "ноутбук", similarity)


def test_the_word_that_brought_a_taken_near_miss_is_proposed_as_a_keyword() -> None:
    taken_near = [
        near(1, "Поставка планшетов для школы", "планшетов", 0.73),
        near(2, "Планшеты для библиотеки", "Планшеты", 0.71),
        near(3, "Поставка смартфонов", "смартфонов", 0.60),
        near(4, "Поставка компьютеров-моноблоков", "компьютеров", 0.68),  # the profile's own «компьютер*»
    ]
    found = suggest(PROFILE, TRIAGED, taken_near=taken_near)
    assert found.near_misses_taken == 4
    assert found.keywords == (
        NewKeyword(
            "планшет", 2, "ноутбук", 0.73, ("Поставка планшетов для школы", "Планшеты для библиотеки")
        ),
        NewKeyword("смартфон", 1, "ноутбук", 0.60, ("Поставка смартфонов",)),
    )
    assert found.minus_words == suggest(PROFILE, TRIAGED).minus_words  # the alerts' lesson is unchanged
    assert suggest(PROFILE, TRIAGED).keywords == ()
