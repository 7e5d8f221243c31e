"""Match runs against a real (SQLite) database: stored once, re-runs write nothing, changes recorded."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from bidder.embeddings import EmbeddingError
from bidder.matcher import compile_profiles
from bidder.profiles import parse_profiles
from bidder.reports import Period
from bidder.reports import market_report
from bidder.reports import matches_export
from bidder.reports import matches_report
from bidder.reports import notices_export
from bidder.search import query_profile
from bidder.search import search_rows
from data.db import make_engine
from data.db import session_scope
from data.db import upgrade
from data.models import CrawlState
from data.models import MatchRow
from data.models import NearMissRow
from data.models import NoticeRow
from data.models import ProfileRow
from data.store import upsert_notices
from data.store.places import PlaceFound
from data.store.places import places_of
from tenderwatch.cli import app
from tenderwatch.matching import _complete_up_to
from tenderwatch.matching import run_match
from tests.bidder.match_table import NOW
from tests.bidder.match_table import PROFILES
from tests.bidder.match_table import notice

PROFILES_PARSED = parse_profiles(PROFILES)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    eng = make_engine(f"sqlite:///{tmp_path / 'tw.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


def store(engine: Engine, *notices) -> None:
    with session_scope(engine) as session:
        upsert_notices(session, notices)


def matches(engine: Engine) -> list[tuple[str, str, bool, list, list]]:
    query = (
        sa.select(
            NoticeRow.reg_number, ProfileRow.name, MatchRow.matched, MatchRow.reasons, MatchRow.near_miss
        )
        .join(ProfileRow, ProfileRow.id == MatchRow.profile_id)
        .join(NoticeRow, NoticeRow.id == MatchRow.notice_id)
        .order_by(NoticeRow.reg_number, ProfileRow.name)
    )
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query)]


LAPTOPS = notice("Поставка ноутбуков", reg_number="0373200000125000001", version=1)
COPIES = notice("Копирование документов", reg_number="0373200000125000002", okpd2=["82.19.11.000"], version=1)
ROADS = notice("Ремонт дорог", reg_number="0373200000125000003", version=1)


def test_first_run_stores_each_match_once(engine: Engine) -> None:
    store(engine, LAPTOPS, COPIES, ROADS)
    report = run_match(engine, PROFILES_PARSED, now=NOW)
    assert (report.notices, report.new, report.updated, report.unmatched) == (3, 2, 0, 0)
    assert [(reg, name, ok) for reg, name, ok, _, _ in matches(engine)] == [
        ("0373200000125000001", "it", True),
        ("0373200000125000002", "print", True),
    ]
    assert matches(engine)[0][3] == [
        "регион заказчика 77 — Москва",
        "ключевое слово «ноутбук» — в тексте «ноутбуков»",
        "НМЦК 1 000 000,00 ₽ в ценовом диапазоне профиля",
        "закон 44-ФЗ",
    ]


def test_rerun_writes_nothing(engine: Engine) -> None:
    store(engine, LAPTOPS, COPIES, ROADS)
    run_match(engine, PROFILES_PARSED, now=NOW)
    before = matches(engine)
    again = run_match(engine, PROFILES_PARSED, now=NOW)
    # the overlap window re-reads every notice; none is new and no verdict changes
    assert (again.notices, again.scanned, again.new, again.updated, again.unmatched) == (0, 3, 0, 0, 0)
    assert again.summary().startswith("0 notice(s) new or changed since ")
    full = run_match(engine, PROFILES_PARSED, now=NOW, rematch_all=True)
    assert (full.notices, full.new, full.updated, full.unmatched, full.unchanged) == (3, 0, 0, 0, 2)
    assert matches(engine) == before


def test_changed_notice_that_no_longer_matches_is_recorded(engine: Engine) -> None:
    store(engine, LAPTOPS, COPIES)
    run_match(engine, PROFILES_PARSED, now=NOW)
    store(engine, LAPTOPS.model_copy(update={"version": 2, "nmck": Decimal("9000000.00")}))
    report = run_match(engine, PROFILES_PARSED, now=NOW + timedelta(minutes=5))
    # the changed notice; the previous run's notices are re-read (the overlap) but did not change
    assert (report.notices, report.scanned, report.new, report.unmatched, report.unchanged) == (1, 2, 0, 1, 1)
    reg, name, ok, reasons, near_miss = matches(engine)[0]
    assert (reg, name, ok) == ("0373200000125000001", "it", False)
    assert reasons == [
        "регион заказчика 77 — Москва",
        "ключевое слово «ноутбук» — в тексте «ноутбуков»",
        "закон 44-ФЗ",
    ]
    assert near_miss == ["НМЦК 9 000 000,00 ₽ больше максимума 5 000 000,00 ₽"]
    # and when it matches again, the same row flips back
    store(engine, LAPTOPS.model_copy(update={"version": 3, "nmck": Decimal("2000000.00")}))
    report = run_match(engine, PROFILES_PARSED, now=NOW + timedelta(minutes=10))
    assert (report.new, report.updated) == (0, 1)
    assert matches(engine)[0][2] is True


def test_profiles_are_synced_and_removed_ones_deactivated(engine: Engine) -> None:
    store(engine, LAPTOPS)
    run_match(engine, PROFILES_PARSED, now=NOW)
    run_match(engine, PROFILES_PARSED[1:], now=NOW)
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.select(ProfileRow.name, ProfileRow.active)).all())
        spec = conn.execute(sa.select(ProfileRow.spec).where(ProfileRow.name == "print")).scalar_one()
    assert rows == {p.name: p.name != "it" for p in PROFILES_PARSED}
    assert spec["delivery_regions"] == ["77"]


def test_bot_made_profile_is_matched_and_bad_spec_reported(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(ProfileRow).values(
                name="bot-laptops",
                spec={"keywords": ["ноутбук"]},
                origin="db",
                active=True,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        conn.execute(
            sa.insert(ProfileRow).values(
                name="bot-broken",
                spec={"okpd2": ["26.201"]},
                origin="db",
                active=True,
                created_at=NOW,
                updated_at=NOW,
            )
        )
    store(engine, LAPTOPS)
    report = run_match(engine, [], now=NOW)
    assert [(name, ok) for _, name, ok, _, _ in matches(engine)] == [("bot-laptops", True)]
    assert report.profile_errors == [
        "profile «bot-broken»: okpd2: '26.201' is not an OKPD2 code or prefix on its hierarchy "
        "(like 26, 26.2, 26.20, 26.20.1, 26.20.15, 26.20.15.110)"
    ]


def _mark(engine: Engine):
    with engine.connect() as conn:
        return conn.execute(sa.select(CrawlState.high_water).where(CrawlState.source == "match")).scalar_one()


def test_late_commit_older_than_the_mark_is_matched_and_counted(engine: Engine) -> None:
    store(engine, ROADS)
    run_match(engine, PROFILES_PARSED, now=NOW)
    mark = _mark(engine)
    # a parallel crawl stamped LAPTOPS before the mark but committed it only now
    store(engine, LAPTOPS)
    with engine.begin() as conn:
        conn.execute(
            sa.update(NoticeRow)
            .where(NoticeRow.reg_number == LAPTOPS.reg_number)
            .values(changed_at=mark - timedelta(minutes=5))
        )
    report = run_match(engine, PROFILES_PARSED, now=NOW)
    assert (report.notices, report.scanned, report.new) == (1, 2, 1)
    assert [(reg, name, ok) for reg, name, ok, _, _ in matches(engine)] == [
        ("0373200000125000001", "it", True)
    ]
    assert _mark(engine) == mark
    again = run_match(engine, PROFILES_PARSED, now=NOW)
    assert (again.notices, again.new, again.unchanged) == (0, 0, 1)


def test_mark_stays_below_a_group_split_by_a_batch() -> None:
    t1, t2 = NOW, NOW + timedelta(seconds=1)
    changed = [(1, LAPTOPS, t1), (2, COPIES, t2), (3, ROADS, t2)]
    assert [_complete_up_to(changed, done) for done in (1, 2, 3)] == [t1, t1, t2]
    assert _complete_up_to([(1, LAPTOPS, t1), (2, COPIES, t1)], 1) is None


TABLETS = notice("Поставка планшетов", reg_number="0373200000125000004", nmck=Decimal("900000"), version=1)


def near_misses(engine: Engine) -> list[tuple[str, str, str, str]]:
    query = (
        sa.select(NoticeRow.reg_number, ProfileRow.name, NearMissRow.keyword, NearMissRow.word)
        .join(ProfileRow, ProfileRow.id == NearMissRow.profile_id)
        .join(NoticeRow, NoticeRow.id == NearMissRow.notice_id)
        .order_by(NoticeRow.reg_number, ProfileRow.name)
    )
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query)]


def test_near_misses_are_stored_apart_from_matches_once_and_dropped_when_the_words_match(
    engine: Engine,
) -> None:
    store(engine, LAPTOPS, TABLETS)
    first = run_match(engine, PROFILES_PARSED, now=NOW, near_miss_threshold=0.55)
    assert (first.new, first.near_misses) == (1, 1)
    assert "1 new match(es)" in first.summary() and "1 new near miss(es)" in first.summary()
    assert near_misses(engine) == [("0373200000125000004", "it", "ноутбук", "планшетов")]
    assert [reg for reg, *_ in matches(engine)] == ["0373200000125000001"]  # the near miss is no match
    again = run_match(engine, PROFILES_PARSED, now=NOW, near_miss_threshold=0.55, rematch_all=True)
    assert again.near_misses == 0 and len(near_misses(engine)) == 1
    # the customer now writes the word the profile knows: a match, and no longer a near miss
    store(
        engine,
        notice("Поставка планшетов и ноутбуков", reg_number=TABLETS.reg_number, nmck=TABLETS.nmck, version=2),
    )
    run_match(engine, PROFILES_PARSED, now=NOW + timedelta(minutes=20), near_miss_threshold=0.55)
    assert near_misses(engine) == []


def test_without_the_word_vectors_a_run_matches_by_its_rules_and_says_why(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def missing(*_args, **_kwargs):
        raise EmbeddingError("cannot load the word vectors natasha/data/emb/…: no such file")

    monkeypatch.setattr("tenderwatch.matching.NearMissFinder", missing)
    store(engine, LAPTOPS, TABLETS)
    report = run_match(engine, PROFILES_PARSED, now=NOW, near_miss_threshold=0.55)
    assert (report.new, report.near_misses) == (1, 0)
    assert "near misses skipped in this run: cannot load the word vectors" in caplog.text


def test_report_near_misses_lists_them_with_their_reason(engine: Engine, tmp_path: Path) -> None:
    store(engine, LAPTOPS, TABLETS)
    run_match(engine, PROFILES_PARSED, now=NOW, near_miss_threshold=0.55)
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "tw.db"}"\n', encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["--settings", str(settings), "report", "near-misses", "--since", "2025-01-01", "--format", "csv"],
    )
    assert result.exit_code == 0, result.output
    [row] = list(csv.DictReader(io.StringIO(result.output)))
    assert (row["profile"], row["reg_number"], row["title"]) == (
        "it",
        TABLETS.reg_number,
        "Поставка планшетов",
    )
    assert row["reason"].startswith("«планшетов» по смыслу близко к «ноутбук» (0,7")
    assert 0.7 < float(row["similarity"]) < 0.76
    unknown = CliRunner().invoke(
        app, ["--settings", str(settings), "report", "near-misses", "--profile", "x"]
    )
    assert unknown.exit_code != 0 and "--profile 'x' is not a stored profile" in unknown.output


def stored_places(engine: Engine) -> dict[str, list[PlaceFound]]:
    with engine.connect() as conn:
        ids = dict(conn.execute(sa.select(NoticeRow.id, NoticeRow.reg_number)).all())
        return {ids[notice_id]: found for notice_id, found in places_of(conn, ids).items() if found}


BRANCH = notice(
    "Поставка оборудования для филиала в г. Новосибирске",
    reg_number="0373200000125000009",
    customer_region="77",
    version=1,
    items=["Трансформатор для Смоленской АЭС"],
)


def test_a_place_read_from_the_words_is_stored_with_where_it_was_read(engine: Engine) -> None:
    store(engine, BRANCH, LAPTOPS)
    run_match(engine, PROFILES_PARSED, now=NOW)
    assert stored_places(engine) == {
        "0373200000125000009": [
            PlaceFound("54", "title", "Новосибирске"),
            PlaceFound("67", "position", "Смоленской"),
        ]
    }
    run_match(engine, PROFILES_PARSED, now=NOW, rematch_all=True)  # the same words: the same rows
    assert len(stored_places(engine)["0373200000125000009"]) == 2
    # a revision whose card names the place of delivery: the card decides, the rows go
    store(engine, BRANCH.model_copy(update={"version": 2, "delivery_regions": ["54", "50"]}))
    run_match(engine, PROFILES_PARSED, now=NOW + timedelta(minutes=5))
    assert stored_places(engine) == {}


def test_a_place_from_a_position_says_so_in_the_reason() -> None:
    matcher = compile_profiles(
        parse_profiles([{"name": "smolensk", "keywords": ["трансформатор"], "delivery_regions": ["67"]}])
    )
    [match] = matcher.match(BRANCH.model_copy(update={"title": "Поставка оборудования"}), now=NOW)
    assert match.reasons[0] == "регион поставки 67 — Смоленская область (из названия позиции: «Смоленской»)"


def test_reports_exports_and_search_place_a_tender_where_its_words_say_it_delivers(engine: Engine) -> None:
    """A Moscow head office buying for its Novosibirsk branch is in 54 for every region filter and
    shows the place in every sheet, as the matcher and the alert read it."""
    grid = parse_profiles([{"name": "grid", "keywords": ["трансформатор"]}])
    store(engine, BRANCH, LAPTOPS)
    run_match(engine, grid, now=NOW)
    read = "54 (из названия: «Новосибирске»), 67 (из названия позиции: «Смоленской»)"
    with session_scope(engine) as session:
        [row] = matches_report(session, region="Новосибирская область", now=NOW)
        assert (row.reg_number, row.region, row.delivery) == (BRANCH.reg_number, "77", read)
        assert [r.reg_number for r in matches_report(session, region="77", now=NOW)] == [BRANCH.reg_number]
        assert matches_report(session, region="50", now=NOW) == []
        [total] = [r for r in market_report(session, region="54", now=NOW) if r.dimension == "total"]
        assert total.notices == 1  # LAPTOPS, a Moscow notice that names no place, is not in 54
        exported = {r.reg_number: r.delivery_regions for r in notices_export(session, period=Period())}
        assert exported == {BRANCH.reg_number: read, LAPTOPS.reg_number: ""}
        [match_row] = matches_export(session, period=Period(), now=NOW)
        assert match_row.delivery_regions == read
        [hit] = search_rows(session, query_profile("трансформатор", {"regions": ["67"]}), now=NOW)
        assert hit.delivery == read
