"""The one method name/code -> kind mapping shared by every parser."""

from __future__ import annotations

import pytest

from crawler.parsers.methods import kind_for
from crawler.parsers.methods import smp_only_method


@pytest.mark.parametrize(
    ("method", "code", "kind"),
    [
        ("Электронный аукцион", None, "auction"),
        ("Аукцион в электронной форме", None, "auction"),
        ("Запрос котировок", None, "quotation"),
        ("Запрос котировок в электронной форме", None, "quotation"),
        ("Открытый запрос цен в электронной форме", None, "quotation"),
        ("Открытый конкурс в электронной форме", None, "competition"),
        ("Конкурс с ограниченным участием", None, "competition"),
        ("Запрос предложений в электронной форме", None, "competition"),
        ("Закупка у единственного поставщика (подрядчика, исполнителя)", None, "single_supplier"),
        ("Единственный поставщик", None, "single_supplier"),
        (
            "Закупка, осуществляемая в соответствии с частью 12 статьи 93 Закона № 44-ФЗ",
            None,
            "single_supplier",
        ),
        ("Иной способ", None, "other"),
        (None, None, "other"),
        (None, "EAP20", "auction"),
        (None, "EA44", "auction"),
        (None, "ZKP20", "quotation"),
        (None, "OKP20", "competition"),
        (None, "EP44", "single_supplier"),
        (None, "AESMBO", "auction"),
        (None, "ZKESMBO", "quotation"),
        (None, "ZPESMBO", "competition"),
        (None, "KESMBO", "competition"),
        (None, "IS", "other"),
        (None, "24576", "other"),  # 223-FZ customer-specific codes say nothing
        ("Иной способ", "AE", "auction"),  # the name says nothing, the notice type does
        ("Запрос котировок", "AE", "quotation"),  # the published name wins over the code
    ],
)
def test_kind_for(method, code, kind):
    assert kind_for(method, code) == kind


@pytest.mark.parametrize(
    ("method", "code", "expected"),
    [
        (
            "Аукцион в электронной форме, участниками которого могут быть только субъекты малого и "
            "среднего предпринимательства",
            None,
            True,
        ),
        ("Аукцион в электронной форме", "ZKESMBO", True),
        ("Аукцион в электронной форме", "AE", False),
        (None, None, False),
    ],
)
def test_smp_only_method(method, code, expected):
    assert smp_only_method(method, code) is expected
