from __future__ import annotations

import csv
import re

import pytest

from data.reference import okpd2
from data.reference.okpd2 import is_within
from data.reference.okpd2 import normalize_okpd2
from data.reference.okpd2 import okpd2_class
from data.reference.okpd2 import okpd2_section
from tests.conftest import sample_bytes

SECTION_CLASSES = {
    "A": "01 02 03",
    "B": "05 06 07 08 09",
    "C": " ".join(f"{n:02d}" for n in range(10, 34)),
    "D": "35",
    "E": "36 37 38 39",
    "F": "41 42 43",
    "G": "45 46 47",
    "H": "49 50 51 52 53",
    "I": "55 56",
    "J": "58 59 60 61 62 63",
    "K": "64 65 66",
    "L": "68",
    "M": "69 70 71 72 73 74 75",
    "N": "77 78 79 80 81 82",
    "O": "84",
    "P": "85",
    "Q": "86 87 88",
    "R": "90 91 92 93",
    "S": "94 95 96",
    "T": "97 98",
    "U": "99",
}


def test_table_has_every_section_and_the_88_classes_in_their_sections():
    with okpd2.OKPD2_CSV.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    classes = {r["code"]: r["section"] for r in rows if r["code"].isdigit()}
    assert sorted(r["code"] for r in rows if not r["code"].isdigit()) == list("ABCDEFGHIJKLMNOPQRSTU")
    assert len(classes) == 88
    expected = {code: letter for letter, codes in SECTION_CLASSES.items() for code in codes.split()}
    assert classes == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("26.20.11.110", "26.20.11.110"),
        (" 26.20.11.110 ", "26.20.11.110"),
        ("26. 20. 11. 110", "26.20.11.110"),
        ("262011110", "26.20.11.110"),
        ("26201", "26.20.1"),
        ("26", "26"),
        ("26.2", "26.2"),
        ("26.20", "26.20"),
        ("26.20.1", "26.20.1"),
        ("26.20.15", "26.20.15"),
        ("22.29.29.190-00000057", "22.29.29.190"),
        ("26.20.18.000-00000068", "26.20.18.000"),
        ("21.20.10.181-00007", "21.20.10.181"),
        ("26.201", None),
        ("26.20.11.11", None),
        ("26.20.11.1100", None),
        ("2620111", None),
        ("04.11", None),  # class 04 does not exist
        ("00.00.00.000", None),
        ("26.20-00000057", None),
        ("26,20", None),
        ("", None),
        ("   ", None),
        (None, None),
        ("ноутбук", None),
    ],
)
def test_normalize_okpd2(raw, expected):
    assert normalize_okpd2(raw) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("26.20.11.110", ("26", "Оборудование компьютерное, электронное и оптическое")),
        ("22.29.29.190-00000057", ("22", "Изделия резиновые и пластмассовые")),
        ("80.10.12.000", ("80", "Услуги по обеспечению безопасности и проведению расследований")),
        ("01", ("01", "Продукция и услуги сельского хозяйства и охоты")),
        ("99.00.01.000", ("99", "Услуги, предоставляемые экстерриториальными организациями и органами")),
        ("04.11", None),
        ("bad", None),
    ],
)
def test_okpd2_class(code, expected):
    assert okpd2_class(code) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("26.20.11.110", ("C", "Продукция обрабатывающих производств")),
        ("33.12", ("C", "Продукция обрабатывающих производств")),
        ("35.11.10.110", ("D", "Электроэнергия, газ, пар и кондиционирование воздуха")),
        ("41.20.20.310", ("F", "Сооружения и строительные работы")),
        ("62.01.11.000", ("J", "Услуги в области информации и связи")),
        ("68", ("L", "Услуги, связанные с недвижимым имуществом")),
        ("85.11", ("P", "Услуги в области образования")),
        ("21.20.10.181-00007", ("C", "Продукция обрабатывающих производств")),
        ("c", ("C", "Продукция обрабатывающих производств")),
        ("U", ("U", "Услуги, предоставляемые экстерриториальными организациями и органами")),
        ("V", None),
        ("34.10", None),
        (None, None),
    ],
)
def test_okpd2_section(code, expected):
    assert okpd2_section(code) == expected


def test_section_o_name_is_the_classifier_one():
    assert okpd2_section("O") == (
        "O",
        "Услуги в сфере государственного управления и обеспечения военной безопасности; "
        "услуги по обязательному социальному обеспечению",
    )


@pytest.mark.parametrize(
    ("code", "prefix", "expected"),
    [
        ("26.20.11.110", "26.20", True),
        ("26.20.11.110", "26", True),
        ("26.20.11.110", "26.2", True),
        ("26.20.11.110", "26.20.11.110", True),
        ("26.20", "26.20", True),
        ("26.2", "26.20", False),  # the parent is not inside its child
        ("26.201", "26.20", False),  # not an OKPD2 shape
        ("26.20.11.110", "26.201", False),
        ("26.20.11", "26.20.1", True),  # 5th digit is a level of its own
        ("26.20.15", "26.20.1", True),
        ("26.20.15.000", "26.20.1", True),
        ("26.20.21", "26.20.1", False),
        ("26.30.11.110", "26.20", False),
        ("27.20.11.110", "26", False),
        ("28.30.31.121", "28.30.31.120", True),  # category contains its subcategories
        ("28.30.31.129", "28.30.31.120", True),
        ("28.30.31.130", "28.30.31.120", False),
        ("28.30.31.120", "28.30.31.121", False),
        ("28.30.31.122", "28.30.31.121", False),
        ("22.29.29.190-00000057", "22.29", True),  # KTRU reduces to its OKPD2 part
        ("22.29.29.190-00000057", "22.29.29.190", True),
        (" 262011110 ", "26.20", True),
        ("26.20.11.110", "", False),
        ("", "26.20", False),
        (None, "26", False),
        ("26.20.11.110", None, False),
    ],
)
def test_is_within(code, prefix, expected):
    assert is_within(code, prefix) is expected


def test_every_okpd2_and_ktru_code_in_the_samples_normalizes():
    """The real notices' codes must all be accepted, or matching silently loses positions."""
    raw = b"".join(
        sample_bytes(name)
        for name in (
            "44fz_epNotificationEZK2020_0373200624325000142.xml",
            "44fz_epNotificationEF2020_0373100084625000417_drugs.xml",
            "44fz_epNotificationEF2020_0173200001425001720.xml",
            "44fz_ftp_fcsNotificationEF_0318200041218000635_v8.3.xml",
            "223fz_purchaseNotice_31603913641.xml",
        )
    ).decode("utf-8")
    codes = sorted(set(re.findall(r">(\d{2}\.\d{2}\.\d{2}\.\d{3}(?:-\d+)?)<", raw)))
    normalized = {code: normalize_okpd2(code) for code in codes}
    assert normalized["22.29.29.190-00000057"] == "22.29.29.190"
    assert normalized["21.20.10.181-00007"] == "21.20.10.181"
    assert normalized["80.10.12.000"] == "80.10.12.000"
    assert normalized["41.20.20.310"] == "41.20.20.310"
    assert [c for c, n in normalized.items() if n is None] == []
