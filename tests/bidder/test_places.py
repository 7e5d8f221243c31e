"""Where the work really is, from the words: subjects named in titles, and the matcher using them."""

from __future__ import annotations

import pytest

from bidder.matcher import compile_profiles
from bidder.places import places_in
from bidder.profiles import parse_profiles
from tests.bidder.match_table import NOW
from tests.bidder.match_table import notice

# (EIS): copied by hand from ../shared/eis_samples (purchaseObjectInfo, search pages, RSS); the rest
# are the examples, written the way state companies write them.
NAMED = [
    ("Приобретение бумаги для офисной технике Отдела МВД России по г. Майкопу", {"01": "Майкопу"}),  # EIS
    (
        "Поставка хозяйственных товаров для нужд Арбитражного суда Камчатского края",
        {"41": "Камчатского"},
    ),  # EIS
    (
        "Выполнение работ по восстановлению земляного полотна на участках с пучинистыми грунтами на "
        "автомобильной дороге Тымовское - Александровск-Сахалинский",  # EIS
        {"65": "Сахалинский"},
    ),
    ("Поставка оборудования для филиала ПАО «Россети» в г. Новосибирске", {"54": "Новосибирске"}),
    ("Ремонт оборудования Смоленской АЭС", {"67": "Смоленской"}),
    ("Услуги связи для филиала Белгородэнерго", {"31": "Белгородэнерго"}),
    (
        "Услуги для филиала в Санкт-Петербурге и Ленинградской области",
        {"78": "Санкт Петербурге", "47": "Ленинградской"},
    ),
]
UNNAMED = [
    "Оказание услуг по технической охране объектов с помощью технических средств охраны",  # EIS
    "закупка запаховых имитаторов",  # EIS
    "Поставка ГСМ (Дальний Восток)",  # a federal district is no one place
    "Ремонт подъезда в Кировском районе",  # a district named after a subject
    "Ремонт здания на ул. Московской",  # a street
]


@pytest.mark.parametrize(("title", "expected"), NAMED, ids=[t[:40] for t, _ in NAMED])
def test_a_title_names_its_subjects_in_any_form(title: str, expected: dict[str, str]) -> None:
    assert {p.code: p.found for p in places_in(title)} == expected


@pytest.mark.parametrize("title", UNNAMED)
def test_no_subject_where_none_is_named(title: str) -> None:
    assert places_in(title) == ()


PROFILES = parse_profiles(
    [
        {"name": "siberia", "keywords": ["оборудование"], "delivery_regions": ["54"]},
        {"name": "moscow-only", "keywords": ["оборудование"], "delivery_regions": ["77"]},
    ]
)
MATCHER = compile_profiles(PROFILES)
BRANCH = "Поставка оборудования для филиала ПАО «Россети» в г. Новосибирске"


def test_the_title_overrides_the_head_office_and_the_reason_says_so() -> None:
    # a Moscow head office, no place of delivery on the card: the title says Novosibirsk
    [match] = MATCHER.match(notice(BRANCH, customer_region="77"), now=NOW)
    assert match.profile == "siberia"
    assert match.reasons[0] == "регион поставки 54 — Новосибирская область (из названия: «Новосибирске»)"
    # the card naming only the head office's own region is overridden the same way
    assert [
        m.profile
        for m in MATCHER.match(notice(BRANCH, customer_region="77", delivery_regions=["77"]), now=NOW)
    ] == ["siberia"]


def test_a_place_of_delivery_on_the_card_is_kept() -> None:
    card = notice(BRANCH, customer_region="77", delivery_regions=["77", "50"])
    assert [m.profile for m in MATCHER.match(card, now=NOW)] == ["moscow-only"]
    plain = notice("Поставка оборудования", customer_region="77")
    assert [m.profile for m in MATCHER.match(plain, now=NOW)] == ["moscow-only"]
