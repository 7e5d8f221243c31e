"""Profile validation: forgiving spelling, strict meaning, errors naming the profile and the key."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bidder.keywords import KeywordPart
from bidder.keywords import parse_keyword
from bidder.profiles import Profile
from bidder.profiles import ProfileError
from bidder.profiles import code_key
from bidder.profiles import parse_profiles
from bidder.profiles import profile_warnings
from bidder.profiles import validate_profiles


def one(**spec: object) -> Profile:
    return parse_profiles([{"name": "p", "keywords": ["ноутбук"], **spec}])[0]


def error_of(**spec: object) -> str:
    with pytest.raises(ProfileError) as info:
        parse_profiles([{"name": "laptops", **spec}])
    return str(info.value)


def test_regions_by_name_or_code_become_codes() -> None:
    p = one(regions=["Москва", "50", "г. Санкт-Петербург", 77], customer_regions="Татарстан")
    assert p.regions == ["77", "50", "78"]
    assert p.customer_regions == ["16"]
    assert p.delivery_regions is None


def test_any_region() -> None:
    assert one(delivery_regions="any").delivery_regions is None
    assert one(regions=["ANY"]).regions is None
    assert "'any' cannot be combined" in error_of(keywords=["x"], regions=["any", "77"])


def test_unknown_region_names_profile_and_key() -> None:
    assert error_of(keywords=["ноутбук"], regions=["Мосва"]) == (
        "profile «laptops»: regions: unknown region 'Мосва' "
        "(use a subject code like '77' or a name like 'Москва')"
    )


@pytest.mark.parametrize("code", ["26", "26.2", "26.20", "26.20.1", "26.20.15", "26.20.15.1", "26.20.15.110"])
def test_okpd2_prefixes_on_the_hierarchy(code: str) -> None:
    assert one(okpd2=code).okpd2 == [code]


@pytest.mark.parametrize("code", ["26.201", "2", "26.2.1", "26.20.15.1100", "26,20", "abc", "26."])
def test_malformed_okpd2(code: str) -> None:
    assert error_of(okpd2=[code]).startswith(f"profile «laptops»: okpd2: {code!r} is not an OKPD2 code")


def test_ktru_full_code_or_okpd2_prefix() -> None:
    assert one(ktru=["26.20.15.000-00000012", "26.20"]).ktru == ["26.20.15.000-00000012", "26.20"]
    assert "'26.20.15.000-12' is not a KTRU code" in error_of(ktru=["26.20.15.000-12"])


def test_code_key_follows_the_hierarchy() -> None:
    assert code_key("26.20.15.000") == "262015000"
    assert code_key("26.20.15.000-00000012") == "262015000-00000012"
    assert code_key("26.20.15.000").startswith(code_key("26.20"))
    assert not code_key("26.2").startswith(code_key("26.20"))


def test_keyword_parsing() -> None:
    assert parse_keyword("Ноутбуков").parts == (KeywordPart("ноутбук", False),)
    assert parse_keyword("компьютер*").parts == (KeywordPart("компьютер", True),)
    assert parse_keyword("  поставка   компьютерной техники ").parts == (
        KeywordPart("поставка", False),
        KeywordPart("компьютерный", False),
        KeywordPart("техника", False),
    )
    assert parse_keyword("Wi-Fi роутер").parts == (
        KeywordPart("wi", False),
        KeywordPart("fi", False),
        KeywordPart("роутер", False),
    )
    assert parse_keyword("Ёлочн*").parts == (KeywordPart("елочн", True),)
    assert parse_keyword("поставка — ноутбуков").text == "поставка — ноутбуков"


@pytest.mark.parametrize(
    ("keyword", "message"),
    [
        ("ко*", "the word family 'ко*' is too short (at least 3 letters)"),
        ("*", "a bare '*' matches everything"),
        ("ком*пьютер", "'*' is allowed only at the end of a word"),
        ("«»", "no words in the keyword"),
    ],
)
def test_bad_keywords(keyword: str, message: str) -> None:
    assert message in error_of(keywords=[keyword])


def test_exclude_is_validated_like_keywords() -> None:
    assert "profile «laptops»: exclude: 'р*': the word family" in error_of(keywords=["ноутбук"], exclude="р*")


def test_no_capability_is_an_error() -> None:
    assert error_of(regions=["77"]) == (
        "profile «laptops»: (profile): no capability: set okpd2, ktru or keywords, "
        "otherwise nothing can match"
    )


def test_laws_and_kinds_accept_russian_spellings() -> None:
    p = one(laws=["44-ФЗ", "223", "44-FZ"], kinds=["Электронный аукцион", "quotation", "конкурс"])
    assert p.laws == ["44-FZ", "223-FZ"]
    assert p.kinds == ["auction", "quotation", "competition"]
    assert "unknown law '94-ФЗ'" in error_of(keywords=["x1"], laws=["94-ФЗ"])
    assert "unknown kind 'тендер'" in error_of(keywords=["x1"], kinds=["тендер"])


def test_money_is_decimal_even_from_toml_floats() -> None:
    p = one(price_min=1500.5, price_max="2000000", max_bid_security=10_000)
    assert (p.price_min, p.price_max, p.max_bid_security) == (
        Decimal("1500.5"),
        Decimal("2000000"),
        Decimal("10000"),
    )
    assert "price_min 5 is greater than price_max 1" in error_of(keywords=["x1"], price_min=5, price_max=1)
    assert "price_min: Input should be greater than or equal to 0" in error_of(keywords=["x1"], price_min=-1)
    assert "price_min: 1E+400 is too large (at most 1 000 000 000 000 000 rubles)" in error_of(
        keywords=["x1"], price_min="1e400"
    )
    assert "max_bid_security: 10000000000000000 is too large" in error_of(
        keywords=["x1"], max_bid_security=10**16
    )
    assert one(price_max="1e15").price_max == Decimal("1E+15")


def test_smp_and_customers() -> None:
    p = one(smp="Only", customers_include=["7702070139"], customers_exclude="770207013912")
    assert (p.smp, p.customers_include, p.customers_exclude) == ("only", ["7702070139"], ["770207013912"])
    assert "'77020701' is not an INN (10 or 12 digits)" in error_of(
        keywords=["x1"], customers_include=["77020701"]
    )
    assert "INN both included and excluded: 7702070139" in error_of(
        keywords=["x1"], customers_include=["7702070139"], customers_exclude=["7702070139"]
    )
    assert "smp: Input should be 'only', 'exclude' or 'any'" in error_of(keywords=["x1"], smp="maybe")


def test_unknown_key_is_refused() -> None:
    assert (
        error_of(keywords=["x1"], region=["77"])
        == "profile «laptops»: region: Extra inputs are not permitted"
    )


def test_every_problem_is_reported_with_its_profile() -> None:
    good, errors = validate_profiles(
        [
            {"name": "ok", "keywords": ["ноутбук"]},
            {"name": "bad-code", "okpd2": ["26.201"]},
            {"keywords": ["x1"]},
            {"name": "ok", "keywords": ["принтер"]},
            "not a table",
        ]
    )
    assert [p.name for p in good] == ["ok"]
    assert errors == [
        "profile «bad-code»: okpd2: '26.201' is not an OKPD2 code or prefix on its hierarchy "
        "(like 26, 26.2, 26.20, 26.20.1, 26.20.15, 26.20.15.110)",
        "profile «#3»: name: Field required",
        "profile «ok»: name: duplicate profile name",
        "profile #5: expected a table of keys, got str",
    ]


def test_parse_profiles_round_trips_validated_profiles() -> None:
    p = one(regions=["Москва"], price_min=100)
    assert parse_profiles([p]) == [p]


def test_warnings() -> None:
    p = one(exclude=["ноутбуков"], active=False)
    assert profile_warnings(p) == [
        "profile «p»: exclude «ноутбуков» vetoes its own keyword, so it can match only by code",
        "profile «p»: inactive, it is not matched",
        "profile «p»: no chats, its alerts go to the default chats",
    ]
    assert profile_warnings(one(chats=[-100])) == []
