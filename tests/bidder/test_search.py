"""Issue 17 item 2 (search): a query is a profile made on the spot, so a search finds what a
profile with those words would alert on; the CLI and the bot read it the same way."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from bidder.profiles import ProfileError
from bidder.search import filter_profile
from bidder.search import parse_query
from bidder.search import query_profile
from bidder.search import search
from data.db import make_engine
from data.db import session_scope
from data.db import upgrade
from data.store import upsert_notices
from tenderwatch.cli import app
from tests.bot.factories import NOW
from tests.bot.factories import make_notice

NOTICES = [
    make_notice(
        "0373200000026000001",
        title="Поставка ноутбуков для школы",
        submission_deadline=NOW + timedelta(days=9),
    ),
    make_notice(
        "0373200000026000002",
        title="Ремонт ноутбуков и принтеров",
        submission_deadline=NOW + timedelta(days=3),
    ),
    make_notice(
        "0373200000026000003",
        title="Поставка ноутбука и системного блока",
        submission_deadline=NOW + timedelta(days=4),
        nmck=Decimal("9000000"),
    ),
    make_notice("0373200000026000004", title="Поставка мебели", submission_deadline=NOW + timedelta(days=2)),
    make_notice(
        "0373200000026000005", title="Поставка ноутбуков", submission_deadline=NOW - timedelta(days=1)
    ),
]


def _rows(notices):
    """The open ones, as ``data.store.open_notices`` hands them (the last notice's deadline passed)."""
    return [(i, n) for i, n in enumerate(notices, 1) if n.submission_deadline > NOW]


def test_a_query_reads_words_phrases_and_minus_words():
    assert parse_query('ноутбук "системный блок" -ремонт') == (["ноутбук", "системный блок"], ["ремонт"])
    assert parse_query('ноутбук "незакрытая') == (["ноутбук", "незакрытая"], [])
    with pytest.raises(ProfileError, match="nothing to search for"):
        query_profile("-ремонт")
    with pytest.raises(ProfileError, match="Атлантида"):
        query_profile("ноутбук", {"regions": ["Атлантида"]})


def test_search_finds_with_morphology_minus_words_and_filters_best_match_then_soonest_deadline():
    hits = search(_rows(NOTICES), query_profile("ноутбук"), now=NOW)
    assert [h.notice.reg_number[-1] for h in hits] == ["2", "3", "1"]  # same score: soonest deadline first
    hits = search(_rows(NOTICES), query_profile('ноутбук "системный блок" -ремонт'), now=NOW)
    assert [h.notice.reg_number[-1] for h in hits] == ["3", "1"]  # both words first; repairs excluded
    assert any("системный блок" in r for r in hits[0].match.reasons)
    cheap = search(_rows(NOTICES), query_profile("ноутбук", {"price_max": 5_000_000}), now=NOW)
    assert "0373200000026000003" not in {h.notice.reg_number for h in cheap}
    assert len(search(_rows(NOTICES), query_profile("ноутбук"), now=NOW, limit=1)) == 1


def test_the_search_command_prints_the_stored_open_notices_it_finds(tmp_path, monkeypatch):
    db = tmp_path / "tw.db"
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[database]\nurl = "sqlite:///{db}"\n', encoding="utf-8")
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    open_ones = [
        n.model_copy(update={"submission_deadline": n.submission_deadline + timedelta(days=3650)})
        for n in NOTICES[:4]
    ]
    with session_scope(engine) as session:
        upsert_notices(session, [*open_ones, NOTICES[4]], source="test")  # the last one's deadline has passed
    engine.dispose()
    runner = CliRunner()
    result = runner.invoke(
        app, ["--settings", str(settings), "search", "ноутбук -ремонт", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["reg_number"] for r in rows] == ["0373200000026000003", "0373200000026000001"]
    assert rows[0]["law"] == "44-FZ" and "ноутбук" in rows[0]["reasons"]
    nothing = runner.invoke(app, ["--settings", str(settings), "search", "экскаватор"])
    assert nothing.exit_code == 0 and "nothing found" in nothing.stderr
    bad = runner.invoke(app, ["--settings", str(settings), "search", "ноутбук", "--region", "Атлантида"])
    assert bad.exit_code == 2 and "Атлантида" in bad.output


def test_a_filter_line_is_a_profile_validated_like_the_settings():
    profile = filter_profile(
        'Ноутбуки: ноутбук "системный блок" -ремонт; регион 77, Московская область; '
        "цена 100 000-3000000; закон 44",
        chat_id=11,
    )
    assert profile.name == "Ноутбуки" and profile.chats == [11]
    assert (profile.keywords, profile.exclude) == (["ноутбук", "системный блок"], ["ремонт"])
    assert profile.regions == ["77", "50"] and profile.laws == ["44-FZ"]
    assert (profile.price_min, profile.price_max) == (Decimal("100000"), Decimal("3000000"))
    for line, problem in [
        ("без двоеточия", "write it as"),
        ("Имя: ноутбук; цвет синий", "«цвет» is not a part of a filter"),
        ("Имя: ноутбук; цена дорого", "price_min"),
        ("Имя: ноутбук; регион Атлантида", "Атлантида"),
    ]:
        with pytest.raises(ProfileError, match=problem):
            filter_profile(line, chat_id=11)
