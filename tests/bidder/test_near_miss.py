"""Near misses by meaning, on natasha's real navec vectors: what the words miss, apart from matches."""

from __future__ import annotations

import pytest

from bidder.embeddings import nearest_words
from bidder.embeddings import word_vector
from bidder.matcher import analyze
from bidder.matcher import compile_profiles
from bidder.near_miss import DEFAULT_THRESHOLD
from bidder.near_miss import NearMiss
from bidder.near_miss import NearMissFinder
from bidder.near_miss import content_words
from bidder.profiles import parse_profiles
from tests.bidder.match_table import NOW
from tests.bidder.match_table import notice

PROFILES = [
    {"name": "it", "keywords": ["ноутбук"], "regions": ["77"], "exclude": ["ремонт"]},
    {"name": "fuel", "keywords": ["бензин"]},
    {"name": "print", "keywords": ["принтер"]},
]
MATCHER = compile_profiles(parse_profiles(PROFILES))
FINDER = NearMissFinder(MATCHER)


def near(title: str, **fields) -> list[NearMiss]:
    n = notice(title, **{"customer_region": "77", **fields})
    matched = [m.profile for m in MATCHER.match(n, now=NOW)]
    return FINDER.find(analyze(n), now=NOW, matched=matched)


def test_a_title_close_in_meaning_is_a_near_miss_with_its_word_keyword_and_similarity() -> None:
    [miss] = near("Поставка планшетов для школы")
    assert (miss.profile, miss.keyword, miss.word) == ("it", "ноутбук", "планшетов")
    assert 0.7 < miss.similarity < 0.76
    assert miss.reason == f"«планшетов» по смыслу близко к «ноутбук» ({miss.similarity:.2f})".replace(
        ".", ","
    )
    [fuel] = near("Закупка дизельного топлива")
    assert (fuel.profile, fuel.keyword, fuel.word) == ("fuel", "бензин", "топлива")


def test_a_rule_match_is_never_also_a_near_miss_and_far_words_are_none() -> None:
    assert [
        m.profile for m in MATCHER.match(notice("Поставка ноутбуков", customer_region="77"), now=NOW)
    ] == ["it"]
    assert near("Поставка ноутбуков") == []  # «принтер» is 0.50 from «ноутбук»: under the threshold
    assert near("Уборка помещений и вывоз мусора") == []


@pytest.mark.parametrize(
    ("title", "fields"),
    [
        ("Поставка планшетов", {"customer_region": "50"}),  # the region fails: not «only the words»
        ("Ремонт планшетов", {}),  # a minus-word vetoes
    ],
)
def test_only_the_words_may_fail(title: str, fields: dict) -> None:
    assert near(title, **fields) == []


def test_the_threshold_decides() -> None:
    strict = NearMissFinder(MATCHER, threshold=0.9)
    loose = NearMissFinder(MATCHER, threshold=0.45)
    n = notice("Поставка ноутбуков", customer_region="77")
    assert strict.find(analyze(notice("Поставка планшетов", customer_region="77")), now=NOW) == []
    assert [m.profile for m in loose.find(analyze(n), now=NOW, matched=["it"])] == ["print"]
    assert DEFAULT_THRESHOLD == 0.55


def test_words_that_carry_no_meaning_are_left_out() -> None:
    assert content_words("Поставка и закупка для нужд ГБОУ № 5, 2026 год") == ("гбоу",)
    assert word_vector("zzzzqqq") is None
    assert [w for w, _ in nearest_words("ноутбук", limit=2)] == ["планшет", "компьютер"]


def test_a_word_of_the_keyword_itself_is_the_rules_business_not_a_near_miss() -> None:
    matcher = compile_profiles(
        parse_profiles(
            [
                {"name": "clean", "keywords": ["содержание помещений", "уборка"]},
                {"name": "med", "keywords": ["медицинское изделие"]},
            ]
        )
    )
    finder = NearMissFinder(matcher)

    def found(title: str) -> list[str]:
        return [m.reason for m in finder.find(analyze(notice(title)), now=NOW)]

    assert found("Выполнение работ по текущему ремонту помещений") == []  # half of a phrase
    assert found("Поставка хлебобулочных изделий") == []
    assert found("Очистка кровли от снега") == ["«очистка» по смыслу близко к «уборка» (0,60)"]
