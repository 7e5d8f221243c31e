"""OKPD2 names: a keyword found in the name of a notice's code, and suggestions from the names."""

from __future__ import annotations

from pathlib import Path

import pytest

from bidder.matcher import compile_profiles
from bidder.matcher import match_naive
from bidder.profiles import parse_profiles
from bidder.suggest import code_suggestions
from data.reference import ReferenceDataError
from data.reference import okpd2
from data.reference.okpd2 import okpd2_name
from tests.bidder.match_table import NOW
from tests.bidder.match_table import notice

LAPTOPS = {"name": "laptops", "keywords": ["компьютер*"]}


def matched(profiles: list[dict], title: str, **fields) -> dict[str, tuple[str, ...]]:
    matcher = compile_profiles(parse_profiles(profiles))
    n = notice(title, **fields)
    found = {m.profile: m.reasons for m in matcher.match(n, now=NOW)}
    assert sorted(found) == sorted(match_naive(matcher.profiles, n, now=NOW))  # the index loses nothing
    return found


def test_the_names_are_the_most_specific_named_level() -> None:
    assert okpd2_name("26.20.11.110") == ("26.2", "Компьютеры и периферийное оборудование")
    assert okpd2_name("81.21.10.000") == ("81.21", "Услуги по общей уборке зданий")
    assert okpd2_name("26.20.18.000-00000068") == ("26.2", "Компьютеры и периферийное оборудование")
    assert okpd2_name("26") is None and okpd2_name("nonsense") is None


def test_a_vague_title_with_a_telling_code_matches_a_keyword_and_says_where_it_was_found() -> None:
    assert matched([LAPTOPS], "Поставка товара", okpd2=["26.20.11.110"]) == {
        "laptops": (
            "ключевое слово «компьютер*» — в названии ОКПД2 26.2 «Компьютеры и периферийное оборудование»",
        )
    }


def test_what_a_name_excepts_is_not_in_it() -> None:
    # 28.23 «Машины офисные и оборудование, кроме компьютеров и периферийного оборудования»
    assert matched([LAPTOPS], "Поставка товара", okpd2=["28.23.12.000"]) == {}


def test_a_name_adds_nothing_where_a_code_or_a_word_matched() -> None:
    both = {"name": "it", "okpd2": ["26.20"], "keywords": ["компьютер*"]}
    assert matched([both], "Поставка товара", okpd2=["26.20.11.110"]) == {
        "it": ("ОКПД2 26.20.11.110 входит в 26.20",)
    }
    assert matched([LAPTOPS], "Поставка компьютеров", okpd2=["26.20.11.110"]) == {
        "laptops": ("ключевое слово «компьютер*» — в тексте «компьютеров»",)
    }


def test_suggestions_from_the_names() -> None:
    [profile] = parse_profiles([{"name": "it", "okpd2": ["26.20"], "keywords": ["компьютер*", "уборка"]}])
    found = code_suggestions(profile)
    codes = dict(found.codes_for_keywords)
    assert [code for code, _ in codes["компьютер*"]] == ["46.51", "47.41", "58.21", "62.02", "62.03"]
    assert "28.23" not in [code for code, _ in codes["компьютер*"]]  # «кроме компьютеров»
    assert [code for code, _ in codes["уборка"]] == ["81.21", "81.22", "81.29", "81.2"]
    assert found.words_for_codes == (
        ("26.20", "26.2 «Компьютеры и периферийное оборудование»", ("периферийный", "оборудование")),
    )


def test_a_broken_names_table_names_the_file_and_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "okpd2_names.csv"
    bad.write_text("code,name\n26.2,Компьютеры\n26.2,Ещё раз\n", encoding="utf-8")
    monkeypatch.setattr(okpd2, "NAMES_CSV", bad)
    okpd2._names.cache_clear()
    try:
        with pytest.raises(
            ReferenceDataError, match=r"okpd2_names.csv:3: needs a new subclass or group code"
        ):
            okpd2.okpd2_names()
    finally:
        okpd2._names.cache_clear()
