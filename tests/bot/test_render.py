"""Message text: money, deadlines, escaping of hostile scraped strings, length limits, callback data."""

from __future__ import annotations

from datetime import date
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.render import AlertView
from bot.render import alert_keyboard
from bot.render import customer_line
from bot.render import decode_callback
from bot.render import digest_keyboard
from bot.render import encode_callback
from bot.render import format_deadline
from bot.render import format_money
from bot.render import plural
from bot.render import register_line
from bot.render import render_alert
from bot.render import render_change
from bot.render import render_digest
from data.notice import deadline_order
from data.store.chats import Decision
from data.store.customers import CustomerFigures
from data.store.customers import Winner
from data.store.places import PlaceFound
from data.store.unfair import RegisterStatus
from tests.bot.factories import NOW
from tests.bot.factories import make_notice


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("1234567.89"), "1 234 567,89 ₽"),
        (Decimal("1234567.885"), "1 234 567,89 ₽"),
        (Decimal("999"), "999,00 ₽"),
        (Decimal("1000"), "1 000,00 ₽"),
        (Decimal("0.5"), "0,50 ₽"),
        (Decimal("388050008.2"), "388 050 008,20 ₽"),
        (None, "не указана"),
    ],
)
def test_format_money(amount, text):
    assert format_money(amount) == text


def test_russian_plurals_and_deadline():
    assert [plural(n, "день", "дня", "дней") for n in (1, 2, 5, 11, 12, 21, 22, 25, 111)] == [
        "день",
        "дня",
        "дней",
        "дней",
        "дней",
        "день",
        "дня",
        "дней",
        "дней",
    ]
    three_days = format_deadline(NOW + timedelta(days=3, hours=2), NOW)
    assert three_days == "13.03.2026 14:00 МСК (осталось 3 полных дня)"
    assert format_deadline(NOW + timedelta(hours=5), NOW) == "10.03.2026 17:00 МСК (осталось 5 часов)"
    assert format_deadline(NOW - timedelta(hours=1), NOW) == "10.03.2026 11:00 МСК (срок истёк)"


def test_alert_has_every_fact_and_escapes_hostile_strings():
    notice = make_notice(
        title="<b>Ноутбуки</b> & мыши <script>alert(1)</script>",
        customer_name='ООО "Рога & Копыта" <i>',
    )
    view = AlertView(
        reasons={"ИТ <техника>": ["ОКПД2 26.20.11.110 входит в 26.20", "регион 77 & <b>"]},
        decisions=[Decision("Иван <b>", "take", NOW)],
    )

    text = render_alert(notice, view, now=NOW)

    assert text.split("\n") == [
        "<b>🔔 Новая закупка</b>",
        "<b>&lt;b&gt;Ноутбуки&lt;/b&gt; &amp; мыши &lt;script&gt;alert(1)&lt;/script&gt;</b>",
        "Заказчик: ООО &quot;Рога &amp; Копыта&quot; &lt;i&gt;",
        "Регион: 77 Москва",
        "НМЦК: <b>1 234 567,89 ₽</b>",
        "44-ФЗ · Электронный аукцион",
        "Подача заявок до: 15.03.2026 13:00 МСК (осталось 5 полных дней)",
        "Обеспечение заявки: 12 345,68 ₽",
        "Обеспечение контракта: 5% от цены контракта",
        "Только для СМП и СОНКО",
        "",
        "<i>Почему подходит:</i>",
        "Профиль «ИТ &lt;техника&gt;»: ОКПД2 26.20.11.110 входит в 26.20; регион 77 &amp; &lt;b&gt;",
        "",
        '<a href="https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?regNumber='
        '0373200138225001206">Карточка в ЕИС</a> · № 0373200138225001206',
        "",
        "✅ Взял(а): Иван &lt;b&gt; (10.03 12:00)",
    ]


def test_very_long_texts_stay_under_the_limit_without_cutting_entities():
    notice = make_notice(title="&" * 10_000, customer_name="<" * 5000)
    view = AlertView(reasons={f"профиль {i}": ["&" * 500] * 20 for i in range(40)})

    text = render_alert(notice, view, now=NOW)

    assert len(text) <= 4096
    assert "&amp;" * 300 in text
    assert "&am\n" not in text and not text.rstrip("…\n").endswith("&")
    assert text.count("<b>") == text.count("</b>")


def test_digest_splits_at_tender_boundaries():
    entries = [
        (make_notice(f"0373200000026{i:06d}", title=f"Лот {i} " + "x" * 700), {"P": ["r"]}) for i in range(30)
    ]

    parts = render_digest(entries, now=NOW)

    assert [count for _, count in parts] and sum(count for _, count in parts) == 30
    assert all(len(text) <= 4000 for text, _ in parts)
    listed = [line.split(".")[0] for text, _ in parts for line in text.split("\n") if line[:1].isdigit()]
    assert listed == [str(i) for i in range(1, 31)]
    total = len(parts)
    assert total > 1
    assert [text.split("\n")[0] for text, _ in parts] == [
        f"<b>Подборка закупок: 30 новых (часть {i}/{total})</b>" for i in range(1, total + 1)
    ]


def test_a_digest_that_fits_one_message_has_no_part_marker_and_each_number_once():
    entries = [(make_notice(f"0373200000026{i:06d}", title=f"Лот {i}"), {"P": ["r"]}) for i in range(3)]

    [(text, count)] = render_digest(entries, now=NOW)

    assert (count, text.split("\n")[0]) == (3, "<b>Подборка закупок: 3 новые</b>")
    link_line = next(line for line in text.split("\n") if "0373200000026000001" in line)
    assert link_line == (
        '   <a href="https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?'
        'regNumber=0373200000026000001">Карточка в ЕИС</a> · № 0373200000026000001'
    )
    assert "/tender" not in text  # the digest's «N ▸» buttons open a tender, not a command to type


def test_a_digest_item_says_where_what_kind_and_why_and_the_buttons_number_them():
    notice = make_notice("0373200000026000007", title="Ноутбуки")
    reasons = {"IT": ["ключевое слово «ноутбук»", "ОКПД2 26.20", "регион 77", "НМЦК в диапазоне"]}
    [(text, _)] = render_digest([(notice, reasons)], now=NOW)
    item = text.split("\n\n")[1]
    assert "44-ФЗ · " in item and "Регион" not in item  # the region rides on the law line, unlabelled
    assert "Профиль «IT»: ключевое слово «ноутбук»; ОКПД2 26.20" in item and "регион 77" not in item
    keyboard = digest_keyboard(6, [101, 102, 103, 104, 105, 106])
    rows = [[(b.text, b.callback_data) for b in row] for row in keyboard.inline_keyboard]
    assert rows == [[(f"{n} ▸", f"t:{100 + n - 5}:open") for n in range(6, 11)], [("11 ▸", "t:106:open")]]
    soon, later = (make_notice(n, title=n) for n in ("0373200000026000001", "0373200000026000002"))
    later = later.model_copy(update={"submission_deadline": NOW + timedelta(days=9)})
    soon = soon.model_copy(update={"submission_deadline": NOW + timedelta(days=2)})
    undated = soon.model_copy(update={"submission_deadline": None})
    assert sorted([later, undated, soon], key=deadline_order) == [soon, later, undated]


def test_change_message_names_old_and_new_values():
    notice = make_notice(status="Определение поставщика отменено")
    changes = [
        {"field": "submission_deadline", "old": "2026-03-15T10:00:00Z", "new": "2026-03-20T10:00:00Z"},
        {"field": "nmck", "old": "1000000.00", "new": "950000.5"},
    ]

    text = render_change(notice, changes, now=NOW)

    assert text.split("\n")[:3] == [
        "<b>⛔ Закупка отменена</b>",
        "• срок подачи заявок: 15.03.2026 13:00 МСК → <b>20.03.2026 13:00 МСК</b>",
        "• НМЦК: 1 000 000,00 ₽ → <b>950 000,50 ₽</b>",
    ]


def test_callback_data_round_trip_and_forgeries():
    assert decode_callback(encode_callback(123456789012, "take")) == (123456789012, "take")
    for forged in ("t:1:drop", "t:-1:take", "t:1:take:extra", "p:1:pause", "", None, "t:1234567890123:take"):
        assert decode_callback(forged) is None
    datas = [b.callback_data for row in alert_keyboard(999_999_999_999).inline_keyboard for b in row]
    assert all(len(d.encode()) <= 64 for d in datas)
    with pytest.raises(ValueError, match="unknown alert action 'drop'"):
        encode_callback(1, "drop")


def test_a_zero_security_reads_not_required():
    from bot.render import _security

    assert _security(Decimal("0"), Decimal("0")) == "не требуется"
    assert _security(None, Decimal("0")) == "не требуется"
    assert _security(Decimal("5000"), None) == "5 000,00 ₽"


def _figures(**kw) -> CustomerFigures:
    values = {
        "inn": "7701234567",
        "purchases": 14,
        "cancelled": 1,
        "finished": 10,
        "discount_mean": Decimal("12.5"),
        "participants_mean": 3.2,
        "winners": [
            Winner("7700000001", "ООО <Ромашка>", 3),
            Winner("7700000002", None, 3),
            Winner("77003", None, 2),
        ],
    }
    return CustomerFigures(**(values | kw))


def test_the_customer_line_sums_up_its_year() -> None:
    assert (
        customer_line(_figures())
        == "У заказчика 14 закупок за год, средняя скидка 12,5 %, обычно 3 участника"
    )
    assert customer_line(_figures(purchases=1, discount_mean=None, participants_mean=None)) == (
        "У заказчика 1 закупка за год"
    )
    assert customer_line(_figures(purchases=5, finished=0, discount_mean=None, winners=[])) is None


def test_a_customer_whose_purchases_one_supplier_wins_gets_a_warning_with_the_name_escaped() -> None:
    line = customer_line(
        _figures(winners=[Winner("7700000001", "ООО <Ромашка>", 6), Winner("7700000002", None, 2)])
    )
    assert line is not None
    assert line.endswith("\n⚠️ 75% побед у одного поставщика: ООО &lt;Ромашка&gt;")
    two_wins = _figures(winners=[Winner("7700000001", "ООО", 2)])
    assert "⚠️" not in (customer_line(two_wins) or "")  # too few to say «usually»


def test_a_usual_winner_in_the_register_of_unfair_suppliers_is_a_warning_in_the_customer_line() -> None:
    listed = RegisterStatus(entries=1, until=date(2028, 8, 14), checked_on=date(2026, 12, 4))
    looked_up = RegisterStatus(entries=0, checked_on=date(2026, 12, 4))
    winners = [
        Winner("7700000001", "ООО <Ромашка>", 3, register=looked_up),
        Winner("7700000002", "ООО «Лютик»", 2, register=listed),
        Winner("7700000003", "ООО «Мак»", 1),
        Winner("7700000004", "ООО «Далеко»", 1, register=listed),  # not one of the usual three
    ]
    line = customer_line(_figures(winners=winners)) or ""
    assert line.endswith("\n⚠️ В РНП: ООО «Лютик» (ИНН 7700000002), из обычных победителей заказчика")
    assert "Далеко" not in line and "Ромашка" not in line


def test_a_competitor_says_what_the_register_says_of_it() -> None:
    assert register_line(2, date(2028, 8, 14), date(2026, 12, 4)) == "⚠️ В РНП до 14.08.2028: 2 записи"
    assert register_line(0, None, date(2026, 12, 4)) == "В РНП не найден (проверено 04.12.2026)"
    assert register_line(None, None, None).startswith("В РНП не проверялся")


def test_an_alert_carries_the_customer_line() -> None:
    text = render_alert(make_notice(), AlertView(customer=_figures()), now=NOW)
    assert "<i>У заказчика 14 закупок за год, средняя скидка 12,5 %, обычно 3 участника</i>" in text
    assert "У заказчика" not in render_alert(make_notice(), AlertView(), now=NOW)


def test_the_region_line_shows_the_places_read_from_the_words_escaped():
    notice = make_notice(customer_region="77", delivery_regions=[])
    places = [PlaceFound("54", "title", "Новосибирске"), PlaceFound("67", "position", "<Смоленской>")]
    lines = render_alert(notice, AlertView(places=places), now=NOW).split("\n")
    assert lines[3] == (
        "Регион: 77 Москва; поставка: 54 Новосибирская область (из названия: «Новосибирске»), "
        "67 Смоленская область (из названия позиции: «&lt;Смоленской&gt;»)"
    )
    # a place the card names already is not said twice
    card = make_notice(customer_region="77", delivery_regions=["54"])
    assert render_alert(card, AlertView(places=places[:1]), now=NOW).split("\n")[3] == (
        "Регион: 77 Москва; 54 Новосибирская область"
    )


def test_a_digest_item_shows_the_places_read_from_the_words():
    notice = make_notice(customer_region="77", delivery_regions=[])
    places = {notice.key: [PlaceFound("54", "title", "Новосибирске")]}
    [(text, _)] = render_digest([(notice, {})], now=NOW, places=places)
    assert "· 77 Москва; поставка: 54 Новосибирская область (из названия: «Новосибирске»)" in text
    [(plain, _)] = render_digest([(notice, {})], now=NOW)
    assert "поставка:" not in plain
