"""The store's contract, run on SQLite and (when configured) PostgreSQL with the same tests."""

from __future__ import annotations

import gc
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import Session
from sqlmodel import select

from data.errors import BatchFailed
from data.models import CrawlRun
from data.models import NoticeChange
from data.models import NoticeItemRow
from data.models import NoticeRow
from data.models import utcnow
from data.notice import Notice
from data.notice import NoticeItem
from data.process import this_process
from data.store import ABANDONED_AFTER
from data.store import AmbiguousNotice
from data.store import RunProgress
from data.store import StoredVersion
from data.store import SummaryRow
from data.store import UpsertResult
from data.store import advance_high_water
from data.store import close_abandoned_runs
from data.store import dedupe
from data.store import finish_crawl_run
from data.store import get_high_water
from data.store import get_notice
from data.store import notice_changes
from data.store import notice_id_of
from data.store import notice_summary
from data.store import plan_update
from data.store import start_crawl_run
from data.store import stored_versions
from data.store import upsert_notices
from data.store.batch import run_batch

MSK = timezone(timedelta(hours=3))
REG = "0373200138225001206"
KEY = ("44-FZ", REG)


def card(reg_number: str = REG, *, version: int | None = 1, **fields) -> Notice:
    values = dict(
        reg_number=reg_number,
        law="44-FZ",
        version=version,
        method_code="EZK2020",
        method="Запрос котировок в электронной форме",
        kind="quotation",
        title="Поставка ноутбуков",
        customer_name="ГБУЗ «Больница № 1»",
        customer_inn="7701234567",
        customer_region="77",
        delivery_places=["г. Москва, ул. Ленина, д. 1"],
        delivery_regions=["77"],
        nmck=Decimal("388050008.20"),
        currency="RUB",
        okpd2=["26.20.11.110"],
        items=[
            NoticeItem(
                name="Ноутбук",
                okpd2="26.20.11.110",
                quantity=Decimal("0.5"),
                unit="шт",
                price=Decimal("776100016.40"),
                sum=Decimal("388050008.20"),
            )
        ],
        published_at=datetime(2025, 3, 1, 10, 0, tzinfo=MSK),
        updated_at=datetime(2025, 3, 1, 10, 0, tzinfo=MSK),
        submission_deadline=datetime(2025, 3, 11, 9, 0, tzinfo=MSK),
        auction_date=date(2025, 3, 12),
        bid_security=Decimal("0.5"),
        contract_security_percent=Decimal("5"),
        smp_only=True,
        preferences=["SMP"],
        etp_name="РТС-тендер",
        url=f"https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?regNumber={reg_number}",
        source="test",
        completeness="card",
    )
    values.update(fields)
    return Notice(**values)


def listing(reg_number: str = REG, **fields) -> Notice:
    values = dict(
        reg_number=reg_number,
        law="44-FZ",
        title="Поставка ноутбуков",
        nmck=Decimal("388050008.20"),
        status="Подача заявок",
        source="rss",
        completeness="listing",
    )
    values.update(fields)
    return Notice(**values)


def count(session: Session, model) -> int:
    return session.connection().execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def changes(session: Session) -> list[tuple[str, object, object, int | None, int | None]]:
    return [
        (c.field, c.old_value, c.new_value, c.old_version, c.new_version)
        for c in notice_changes(session, law="44-FZ", reg_number=REG)
    ]


# --- storing and reading back -----------------------------------------------------------------


def test_new_notice_round_trips_exactly(session: Session) -> None:
    notice = card()
    result = upsert_notices(session, [notice])
    assert (result.new, result.changed, result.unchanged) == (1, 0, 0)
    assert result.new_keys == [KEY]
    assert result.new_ids == [notice_id_of(session, law="44-FZ", reg_number=REG)]

    stored = get_notice(session, reg_number=REG)
    assert stored == notice
    assert str(stored.nmck) == "388050008.20"
    assert str(stored.bid_security) == "0.5"
    assert str(stored.items[0].quantity) == "0.5"
    assert stored.submission_deadline == datetime(2025, 3, 11, 6, 0, tzinfo=UTC)
    assert stored.submission_deadline.utcoffset() == timedelta(0)
    assert stored.auction_date == date(2025, 3, 12)


def test_unknown_notice_is_none_and_law_narrows(session: Session) -> None:
    upsert_notices(session, [card(), card(law="223-FZ")])
    assert get_notice(session, reg_number="0000") is None
    assert get_notice(session, reg_number=REG, law="223-FZ").law == "223-FZ"
    with pytest.raises(AmbiguousNotice, match=f"{REG} exists under 223-FZ, 44-FZ"):
        get_notice(session, reg_number=REG)


def test_same_notice_twice_is_unchanged(session: Session) -> None:
    upsert_notices(session, [card()])
    result = upsert_notices(session, [card()])
    assert (result.new, result.changed, result.unchanged) == (0, 0, 1)
    assert result.changed_keys == []
    assert count(session, NoticeRow) == 1
    assert count(session, NoticeChange) == 0


def test_higher_version_replaces_and_records_each_changed_field(session: Session) -> None:
    upsert_notices(session, [card()])
    new_items = [NoticeItem(name="Ноутбук 15''", quantity=Decimal("2"), price=Decimal("100.10"))]
    v2 = card(
        version=2,
        nmck=Decimal("350000000.00"),
        submission_deadline=datetime(2025, 3, 14, 9, 0, tzinfo=MSK),
        items=new_items,
        updated_at=datetime(2025, 3, 5, 12, 0, tzinfo=MSK),
    )
    result = upsert_notices(session, [v2], source="import")
    notice_id = notice_id_of(session, law="44-FZ", reg_number=REG)
    assert (result.new, result.changed, result.unchanged) == (0, 1, 0)
    assert (result.changed_keys, result.changed_ids) == ([KEY], [notice_id])
    assert get_notice(session, reg_number=REG) == v2
    assert count(session, NoticeItemRow) == 1
    old_item = card().items[0].model_dump(mode="json")
    new_item = new_items[0].model_dump(mode="json")
    assert changes(session) == [
        ("nmck", "388050008.20", "350000000.00", 1, 2),
        ("items", [old_item], [new_item], 1, 2),
        ("submission_deadline", "2025-03-11T06:00:00Z", "2025-03-14T06:00:00Z", 1, 2),
    ]
    assert {c.source for c in notice_changes(session, law="44-FZ", reg_number=REG)} == {"import"}


def test_a_revision_of_the_positions_alone_is_a_change_of_the_row(session: Session) -> None:
    upsert_notices(session, [card()])
    row = session.connection().execute(sa.select(NoticeRow.changed_at, NoticeRow.first_seen_at)).one()
    v2 = card(version=2, items=[NoticeItem(name="Моноблок", quantity=Decimal("3"))])
    result = upsert_notices(session, [v2])
    assert (result.changed, result.changed_keys) == (1, [KEY])
    after = session.connection().execute(sa.select(NoticeRow.changed_at, NoticeRow.first_seen_at)).one()
    assert after.changed_at > row.changed_at and after.first_seen_at == row.first_seen_at
    assert get_notice(session, reg_number=REG) == v2
    assert [c[0] for c in changes(session)] == ["items"]


def test_a_revision_with_the_same_instant_in_another_offset_changes_nothing(session: Session) -> None:
    upsert_notices(session, [card()])
    deadline = card().submission_deadline
    assert deadline is not None
    moved = card(version=2, submission_deadline=deadline.astimezone(timezone(timedelta(hours=7))))
    result = upsert_notices(session, [moved])
    assert (result.changed, result.unchanged) == (0, 1)
    assert get_notice(session, reg_number=REG).submission_deadline == deadline
    assert count(session, NoticeChange) == 0


@pytest.mark.parametrize("version", [1, 0])
def test_equal_or_older_version_changes_nothing(session: Session, version: int) -> None:
    upsert_notices(session, [card()])
    result = upsert_notices(session, [card(version=version, title="Другое", nmck=Decimal("1.00"))])
    assert (result.new, result.changed, result.unchanged) == (0, 0, 1)
    assert get_notice(session, reg_number=REG) == card()
    assert count(session, NoticeChange) == 0


def test_without_versions_a_newer_updated_at_wins(session: Session) -> None:
    t0 = datetime(2025, 3, 1, 10, 0, tzinfo=MSK)
    upsert_notices(session, [card(version=None, updated_at=t0)])
    older = upsert_notices(session, [card(version=None, updated_at=t0 - timedelta(hours=1), title="Старое")])
    assert (older.changed, older.unchanged) == (0, 1)
    newer = upsert_notices(session, [card(version=None, updated_at=t0 + timedelta(hours=1), title="Новое")])
    assert (newer.changed, newer.unchanged) == (1, 0)
    assert get_notice(session, reg_number=REG).title == "Новое"
    assert [c[:3] for c in changes(session)] == [("title", "Поставка ноутбуков", "Новое")]


def test_new_version_with_same_content_only_refreshes_bookkeeping(session: Session) -> None:
    upsert_notices(session, [card()])
    result = upsert_notices(session, [card(version=2, source="eis")])
    assert (result.changed, result.unchanged) == (0, 1)
    assert stored_versions(session, keys=[KEY])[KEY].version == 2
    assert get_notice(session, reg_number=REG).source == "eis"
    assert count(session, NoticeChange) == 0


# --- listings vs cards ------------------------------------------------------------------------


def test_listing_for_unknown_notice_is_stored_as_listing(session: Session) -> None:
    result = upsert_notices(session, [listing()])
    assert (result.new, result.new_keys) == (1, [KEY])
    assert stored_versions(session, keys=[KEY, ("44-FZ", "nope")]) == {
        KEY: StoredVersion(version=None, updated_at=None, completeness="listing")
    }


def test_listing_never_overwrites_a_card_but_fills_gaps_and_status(session: Session) -> None:
    upsert_notices(session, [card(etp_url=None, status=None)])
    later = datetime(2025, 3, 6, tzinfo=MSK)
    result = upsert_notices(
        session,
        [
            listing(
                title="Обрезанное название",
                nmck=Decimal("1.00"),
                etp_url="https://www.rts-tender.ru",
                status="Определение поставщика отменено",
                updated_at=later,
                version=None,
                smp_only=False,
                kind="other",
            )
        ],
    )
    assert (result.changed, result.changed_keys) == (1, [KEY])
    stored = get_notice(session, reg_number=REG)
    assert stored == card(etp_url="https://www.rts-tender.ru", status="Определение поставщика отменено")
    assert stored.cancelled
    assert stored_versions(session, keys=[KEY])[KEY] == StoredVersion(
        1, datetime(2025, 3, 1, 7, 0, tzinfo=UTC), "card", url=stored.url
    )
    assert stored.url is not None and "/ea20/view/common-info.html" in stored.url  # where its tabs are
    assert sorted(c[:3] for c in changes(session)) == [
        ("etp_url", None, "https://www.rts-tender.ru"),
        ("status", None, "Определение поставщика отменено"),
    ]


def test_older_listing_is_ignored(session: Session) -> None:
    upsert_notices(session, [card(status="Подача заявок")])
    stale = listing(status="Размещение", updated_at=datetime(2025, 2, 1, tzinfo=MSK))
    result = upsert_notices(session, [stale])
    assert (result.changed, result.unchanged) == (0, 1)
    assert get_notice(session, reg_number=REG).status == "Подача заявок"


def test_a_same_day_cancellation_on_a_date_only_listing_is_kept(session: Session) -> None:
    """Search pages date entries by day (00:00 Moscow): same day as the card is not "older"."""
    upsert_notices(
        session, [card(status="Подача заявок", updated_at=datetime(2025, 3, 1, 15, 30, tzinfo=MSK))]
    )
    cancelled = listing(status="Определение поставщика отменено", updated_at=datetime(2025, 3, 1, tzinfo=MSK))
    result = upsert_notices(session, [cancelled])
    assert (result.changed, result.unchanged) == (1, 0)
    assert get_notice(session, reg_number=REG).status == "Определение поставщика отменено"
    assert changes(session) == [("status", "Подача заявок", "Определение поставщика отменено", 1, 1)]
    earlier_day = listing(status="Подача заявок", updated_at=datetime(2025, 2, 28, tzinfo=MSK))
    assert upsert_notices(session, [earlier_day]).unchanged == 1  # a day before is still older


def test_a_new_version_keeps_the_first_publication_time(session: Session) -> None:
    """Each version's XML carries its own publication moment; that is ``updated_at``, not a change."""
    upsert_notices(session, [card()])
    v2 = card(
        version=2,
        nmck=Decimal("350000000.00"),
        published_at=datetime(2025, 3, 5, 12, 0, tzinfo=MSK),
        updated_at=datetime(2025, 3, 5, 12, 0, tzinfo=MSK),
    )
    upsert_notices(session, [v2])
    stored = get_notice(session, reg_number=REG)
    assert stored.published_at == datetime(2025, 3, 1, 10, 0, tzinfo=MSK)
    assert stored.updated_at == datetime(2025, 3, 5, 12, 0, tzinfo=MSK)
    assert [c[0] for c in changes(session)] == ["nmck"]


def test_card_replaces_listing_and_keeps_its_stage(session: Session) -> None:
    upsert_notices(session, [listing(status="Подача заявок", title="Поставка ноутб...")])
    result = upsert_notices(session, [card(status=None)])
    assert (result.new, result.changed) == (0, 1)
    stored = get_notice(session, reg_number=REG)
    assert stored == card(status="Подача заявок")
    assert stored.completeness == "card"
    assert ("title", "Поставка ноутб...", "Поставка ноутбуков", None, 1) in changes(session)


def test_newer_listing_overwrites_an_older_listing(session: Session) -> None:
    t0 = datetime(2025, 3, 1, tzinfo=MSK)
    upsert_notices(session, [listing(updated_at=t0, customer_name="ГБУ А")])
    result = upsert_notices(session, [listing(updated_at=t0 + timedelta(days=1), nmck=Decimal("5.55"))])
    assert result.changed == 1
    stored = get_notice(session, reg_number=REG)
    assert (stored.nmck, stored.customer_name, stored.updated_at) == (
        Decimal("5.55"),
        "ГБУ А",
        t0 + timedelta(days=1),
    )


# --- batches ----------------------------------------------------------------------------------


def test_duplicates_in_one_batch_keep_the_highest_version(session: Session) -> None:
    result = upsert_notices(session, [card(version=3, title="v3"), card(version=5, title="v5"), listing()])
    assert (result.new, result.changed, result.unchanged) == (1, 0, 0)
    assert get_notice(session, reg_number=REG).title == "v5"


def test_a_failing_batch_stores_nothing(session: Session) -> None:
    upsert_notices(session, [card()])
    broken = card("0000000000000000002").model_copy(update={"nmck": Decimal("NaN")})
    batch = [card(version=2, title="v2"), card("0000000000000000001"), broken]
    with pytest.raises(BatchFailed, match=r"batch of 3 notices \(first 44-FZ 0000000000000000001\)") as info:
        upsert_notices(session, batch)
    assert "NaN" in str(info.value)
    assert count(session, NoticeRow) == 1
    assert get_notice(session, reg_number=REG).title == "Поставка ноутбуков"
    assert count(session, NoticeChange) == 0
    # the session is usable again afterwards
    assert upsert_notices(session, [card("0000000000000000001")]).new == 1


def test_a_batch_pauses_the_cyclic_collector_and_gives_it_back_as_it_found_it(session: Session) -> None:
    seen: list[bool] = []

    def apply(conn: sa.Connection) -> None:
        seen.append(gc.isenabled())
        raise sa.exc.IntegrityError("INSERT", {}, Exception("CHECK constraint failed"))

    with pytest.raises(BatchFailed, match="CHECK constraint failed"):
        run_batch(session, "a test batch", apply)
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        run_batch(session, "a test batch", lambda conn: None)
        assert not gc.isenabled()  # a caller that turned it off keeps it off
    finally:
        gc.enable()


def test_empty_batch_does_nothing(session: Session) -> None:
    assert upsert_notices(session, []) == UpsertResult()


def test_many_notices_across_query_chunks(session: Session) -> None:
    notices = [card(f"03732001382250{i:05d}", items=[]) for i in range(1200)]
    assert upsert_notices(session, notices).new == 1200
    again = upsert_notices(session, [n.model_copy(update={"version": 2, "title": "x"}) for n in notices])
    assert (again.new, again.changed) == (0, 1200)
    assert count(session, NoticeChange) == 1200
    assert len(stored_versions(session, keys=[n.key for n in notices])) == 1200


# --- summaries, crawl runs, high-water mark ---------------------------------------------------


def test_notice_summary_totals_are_exact(session: Session) -> None:
    upsert_notices(
        session,
        [
            card("1", nmck=Decimal("0.10")),
            card("2", nmck=Decimal("0.20"), customer_region="50"),
            card("3", nmck=Decimal("388050008.20"), kind="auction"),
            card("4", nmck=None, law="223-FZ", kind="other"),
        ],
    )
    summary = notice_summary(session, top_regions=2)
    assert summary.by_law_kind == [
        SummaryRow(("223-FZ", "other"), 1, Decimal("0")),
        SummaryRow(("44-FZ", "auction"), 1, Decimal("388050008.20")),
        SummaryRow(("44-FZ", "quotation"), 2, Decimal("0.30")),
    ]
    assert summary.top_regions == [
        SummaryRow(("77",), 3, Decimal("388050008.30")),
        SummaryRow(("50",), 1, Decimal("0.20")),
    ]


def test_crawl_run_lifecycle(session: Session) -> None:
    started = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    run_id = start_crawl_run(session, source="eis", arguments={"pages": 3}, started_at=started)
    assert session.get(CrawlRun, run_id).outcome == "running"
    finish_crawl_run(
        session,
        run_id=run_id,
        outcome="partial",
        requests=12,
        pages=3,
        result=UpsertResult(new=5, changed=2, unchanged=4),
        errors_by_kind={"parse": 2, "http_503": 1},
        reason="3 of 12 requests failed",
        finished_at=started + timedelta(minutes=2),
    )
    session.expire_all()
    run = session.exec(select(CrawlRun).where(CrawlRun.id == run_id)).one()
    assert (run.source, run.arguments, run.outcome, run.requests, run.pages) == (
        "eis",
        {"pages": 3},
        "partial",
        12,
        3,
    )
    assert (run.notices_new, run.notices_changed, run.notices_unchanged) == (5, 2, 4)
    assert (run.errors, run.errors_by_kind) == (3, {"parse": 2, "http_503": 1})
    assert (run.started_at, run.finished_at) == (started, started + timedelta(minutes=2))


def test_finish_crawl_run_rejects_bad_input(session: Session) -> None:
    run_id = start_crawl_run(session, source="eis")
    with pytest.raises(Exception, match="outcome must be ok, partial or failed, not 'done'"):
        finish_crawl_run(session, run_id=run_id, outcome="done")
    with pytest.raises(Exception, match="crawl run 999 does not exist"):
        finish_crawl_run(session, run_id=999, outcome="ok")


def test_high_water_mark_only_moves_forward(session: Session) -> None:
    t0 = datetime(2025, 3, 1, 12, 0, tzinfo=MSK)
    assert get_high_water(session, source="eis", search_key="44fz") is None
    assert advance_high_water(session, source="eis", search_key="44fz", seen=t0) == t0
    assert advance_high_water(session, source="eis", search_key="44fz", seen=t0 - timedelta(hours=1)) == t0
    later = t0 + timedelta(minutes=5)
    assert advance_high_water(session, source="eis", search_key="44fz", seen=later) == later
    assert get_high_water(session, source="eis", search_key="223fz") is None


# --- the pure rules (no database) -------------------------------------------------------------


def test_dedupe_prefers_version_then_card_then_recency() -> None:
    t0 = datetime(2025, 3, 1, tzinfo=UTC)
    picked = dedupe(
        [
            listing(version=2, title="listing v2"),
            card(version=2, title="card v2 old", updated_at=t0),
            card(version=2, title="card v2 new", updated_at=t0 + timedelta(hours=1)),
            card(version=1, title="card v1"),
        ]
    )
    assert [n.title for n in picked.values()] == ["card v2 new"]


def test_plan_update_card_over_card_rules() -> None:
    stored = card(status="Подача заявок")
    assert plan_update(stored, card(version=1, title="x")) is stored
    assert plan_update(stored, card(version=2, title="x")) == card(
        version=2, title="x", status="Подача заявок"
    )
    assert plan_update(stored, card(version=2, status="Отменена")).status == "Отменена"


def test_plan_update_listing_does_not_fill_card_authoritative_fields() -> None:
    stored = card(smp_only=False, kind="other")
    planned = plan_update(stored, listing(smp_only=True, kind="auction"))
    assert (planned.smp_only, planned.kind, planned.status) == (False, "other", "Подача заявок")


def test_a_listing_never_lends_its_notes_to_a_card(session: Session) -> None:
    upsert_notices(session, [card(notes=[])])
    dated_by_day = listing(updated_at=datetime(2025, 3, 1, tzinfo=MSK), notes=["the source gives dates only"])
    upsert_notices(session, [dated_by_day])
    assert get_notice(session, reg_number=REG).notes == []


def test_batches_count_themselves_into_their_run_and_a_close_keeps_those_counts(session: Session) -> None:
    run_id = start_crawl_run(session, source="eis")
    notices = [card(f"0373200138225{i:06d}") for i in range(3)]
    upsert_notices(session, notices[:2], run=RunProgress(run_id, requests=5, pages=1))
    upsert_notices(session, notices, run=RunProgress(run_id, requests=4, pages=1))  # figures never go back
    finish_crawl_run(session, run_id=run_id, outcome="failed", reason="killed")
    session.expire_all()
    run = session.get(CrawlRun, run_id)
    assert (run.notices_new, run.notices_unchanged, run.requests, run.pages) == (3, 2, 5, 1)


def test_runs_of_gone_or_silent_processes_are_closed_and_live_ones_kept(session: Session) -> None:
    host, pid, started = this_process().rsplit(":", 2)
    gone = start_crawl_run(session, source="eis", owner=f"{host}:{pid}:{int(started) + 1}")  # pid reused
    live = start_crawl_run(session, source="eis")
    elsewhere = start_crawl_run(session, source="eis_rss", owner="another-host:42:1")
    silent = start_crawl_run(
        session, source="eis", owner="another-host:43:1", started_at=utcnow() - ABANDONED_AFTER * 2
    )
    closed = close_abandoned_runs(session)
    assert sorted(run.id for run in closed) == sorted([gone, silent])
    session.expire_all()
    outcomes = {run_id: session.get(CrawlRun, run_id).outcome for run_id in (gone, live, elsewhere, silent)}
    assert outcomes == {gone: "failed", live: "running", elsewhere: "running", silent: "failed"}
    assert session.get(CrawlRun, gone).reason.startswith("abandoned: the crawl process")
    assert session.get(CrawlRun, silent).reason.startswith("abandoned: no sign of life since")
