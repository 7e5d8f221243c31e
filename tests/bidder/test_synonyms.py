"""The synonym dictionary: its file format and errors, and how it widens keywords and minus-words."""

from __future__ import annotations

from pathlib import Path

import pytest

from bidder.keywords import parse_keyword
from bidder.matcher import compile_profiles
from bidder.matcher import match_naive
from bidder.profiles import ProfileError
from bidder.profiles import parse_profiles
from bidder.synonyms import SHIPPED
from bidder.synonyms import SynonymBook
from bidder.synonyms import SynonymError
from bidder.synonyms import load_groups
from bidder.synonyms import parse_groups
from bidder.synonyms import shipped_book
from tests.bidder.match_table import NOW
from tests.bidder.match_table import notice

IT = {"name": "it", "keywords": ["компьютер*"]}
SERVICE = {
    "name": "service",
    "keywords": ["техническое обслуживание"],
    "exclude": ["программное обеспечение"],
}


def matched(profiles: list[dict], title: str) -> dict[str, tuple[str, ...]]:
    matcher = compile_profiles(parse_profiles(profiles))
    n = notice(title)
    found = {m.profile: m.reasons for m in matcher.match(n, now=NOW)}
    assert sorted(found) == sorted(match_naive(matcher.profiles, n, now=NOW))  # the index loses nothing
    return found


def test_the_shipped_dictionary_reads_whole() -> None:
    groups = load_groups(SHIPPED)
    assert len(groups) >= 40
    written = {m.written for group in groups for m in group}
    assert {"ПК", "АРМ", "МФУ", "ГСМ", "СИЗ", "ТО", "ЖБИ", "ПО", "СКУД"} <= written
    assert all(m.pattern.caps for group in groups for m in group if m.written in {"ПК", "ТО", "СИЗ"})


def test_an_abbreviation_in_capitals_makes_the_match_and_the_reason_says_so() -> None:
    assert matched([IT], "Поставка ПК для нужд школы") == {
        "it": ("ключевое слово «компьютер*» — в тексте «ПК» (синоним: «ПК» → «персональный компьютер»)",)
    }


@pytest.mark.parametrize(
    "title",
    [
        "Поставка пк для нужд школы",  # not in capitals: not the abbreviation
        "ПОСТАВКА ПК ДЛЯ НУЖД ШКОЛЫ",  # a title in capitals throughout has no abbreviation in it
    ],
)
def test_an_abbreviation_counts_only_where_it_stands_out_in_capitals(title: str) -> None:
    assert matched([IT], title) == {}


def test_both_directions_and_phrases() -> None:
    # the keyword «ПК» finds the words it stands for
    assert matched([{"name": "pc", "keywords": ["ПК"]}], "Поставка персональных компьютеров") == {
        "pc": (
            "ключевое слово «ПК» — в тексте «персональных компьютеров» "
            "(синоним: «персональный компьютер» → «ПК»)",
        )
    }
    # a phrase keyword finds the abbreviation, and «то» the pronoun is not it
    assert matched([SERVICE], "ТО автомобилей УАЗ") == {
        "service": (
            "фраза «техническое обслуживание» — в тексте «ТО» (синоним: «ТО» → «техническое обслуживание»)",
        )
    }
    assert matched([SERVICE], "Поставка того, что нужно") == {}


def test_a_minus_word_vetoes_through_its_synonyms_too() -> None:
    matcher = compile_profiles(parse_profiles([SERVICE]))
    n = notice("Техническое обслуживание и поставка ПО")
    assert matcher.match(n, now=NOW) == []
    assert matcher.explain(n, now=NOW)["service"].failures == (
        "исключающая фраза «программное обеспечение» — в тексте «ПО» "
        "(синоним: «ПО» → «программное обеспечение»)",
    )


def test_a_synonym_makes_a_match_but_does_not_add_to_one_the_words_made() -> None:
    matcher = compile_profiles(parse_profiles([{"name": "it", "keywords": ["ноутбук", "компьютер*"]}]))
    [match] = matcher.match(notice("Поставка ноутбуков"), now=NOW)
    assert (match.score, match.reasons) == (0.25, ("ключевое слово «ноутбук» — в тексте «ноутбуков»",))


def test_a_profile_may_opt_out_and_explain_says_what_was_looked_for() -> None:
    off = {**IT, "name": "off", "synonyms": False}
    assert matched([IT, off], "Поставка ПК") == {
        "it": ("ключевое слово «компьютер*» — в тексте «ПК» (синоним: «ПК» → «персональный компьютер»)",)
    }
    explained = compile_profiles(parse_profiles([off])).explain(notice("Поставка ПК"), now=NOW)["off"]
    assert explained.failures == (
        "нет совпадений по ОКПД2/КТРУ и ключевым словам: ни одно ключевое слово не найдено (компьютер*)",
    )


def test_a_profile_adds_groups_of_its_own_even_when_it_opts_out_of_the_shipped_ones() -> None:
    own = {
        "name": "tablets",
        "keywords": ["планшет"],
        "synonyms": False,
        "synonyms_extra": ["планшет = ПЭВМ планшетная"],
    }
    assert matched([own], "Поставка ПЭВМ планшетных") == {
        "tablets": (
            "ключевое слово «планшет» — в тексте «пэвм планшетных» (синоним: «ПЭВМ планшетная» → «планшет»)",
        )
    }
    assert matched([own], "Поставка ПК") == {}


def test_a_bad_group_of_a_profile_names_the_profile_the_key_and_the_item() -> None:
    with pytest.raises(ProfileError) as caught:
        parse_profiles(
            [{**IT, "synonyms_extra": ["АРМ = автоматизированное рабочее место", "ПК персональный"]}]
        )
    assert str(caught.value) == (
        "profile «it»: synonyms_extra: item 2: «ПК персональный»: "
        "a group needs two or more members separated by ' = '"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the synonym dictionary has no groups"),
        ("# only a comment\n\n", "the synonym dictionary has no groups"),
        (
            "ПК = персональный компьютер\nГСМ горюче-смазочные материалы\n",
            ":2: «ГСМ горюче-смазочные материалы»: a group",
        ),
        ("# ok\nПК = = компьютер\n", ":2: «ПК = = компьютер»: an empty member"),
        ("ПК = компьютер*\n", ":1: «компьютер*»: '*' has no place in a synonym"),
        ("ПК = ПК\n", ":1: «ПК = ПК»: a member is repeated"),
    ],
)
def test_a_bad_dictionary_file_names_the_file_and_the_line(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "synonyms.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SynonymError) as caught:
        load_groups(path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)


def test_a_missing_dictionary_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SynonymError, match="cannot read the synonym dictionary"):
        load_groups(tmp_path / "absent.txt")


def test_a_book_widens_each_keyword_once_and_remembers_it() -> None:
    book = SynonymBook(parse_groups(["ПК = персональный компьютер = компьютер персональный"], where="test"))
    first = book.alternatives(parse_keyword("компьютер*"))
    assert [a.pattern.text for a in first] == ["ПК", "компьютер персональный"]
    assert book.alternatives(parse_keyword("компьютер*")) is first
    assert book.alternatives(parse_keyword("ноутбук")) == ()
    assert shipped_book() is shipped_book()
