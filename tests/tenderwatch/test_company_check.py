"""Our own company in the register of unfair suppliers: said at start and after every look-up,
and admins told when the register lists it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime

from data.db import make_engine
from data.db import session_scope
from data.db import upgrade
from data.results import UnfairSupplierCheck
from data.results import UnfairSupplierEntry
from data.store import upsert_results
from tests.tenderwatch.serve_helpers import ADMIN
from tests.tenderwatch.serve_helpers import FakeCrawl
from tests.tenderwatch.serve_helpers import RecordingSender
from tests.tenderwatch.serve_helpers import make_pipeline

OURS = "7701000002"


def _pipeline(tmp_path, company_inn: str | None):
    engine = make_engine(f"sqlite:///{tmp_path / 'company.db'}")
    upgrade(engine)
    sender = RecordingSender()
    pipeline = make_pipeline(engine, FakeCrawl(engine), sender)
    pipeline.crawl_config = replace(pipeline.crawl_config, company_inn=company_inn)
    lines: list[str] = []
    pipeline.announce = lines.append
    return engine, pipeline, sender, lines


def _look_up(engine, entries: list[UnfairSupplierEntry]) -> None:
    check = UnfairSupplierCheck(inn=OURS, checked_at=datetime(2026, 12, 4, 9, tzinfo=UTC), entries=entries)
    with session_scope(engine) as session:
        upsert_results(session, [check], source="eis_rnp")


def test_our_company_is_reported_not_looked_up_then_not_listed_then_listed(tmp_path) -> None:
    engine, pipeline, sender, lines = _pipeline(tmp_path, OURS)
    asyncio.run(pipeline.report_company())
    _look_up(engine, [])
    asyncio.run(pipeline.report_company())
    entry = UnfairSupplierEntry(
        registry_number="26009999",
        listed_under="44-ФЗ",
        inn=OURS,
        status="Размещено",
        included_on=date(2026, 12, 1),
        exclusion_planned_on=date(2028, 12, 1),
    )
    _look_up(engine, [entry])
    asyncio.run(pipeline.report_company())
    engine.dispose()
    said = f"our company (INN {OURS}) in the register of unfair suppliers: "
    assert lines == [
        said + "not looked up yet (eis_rnp looks it up first)",
        said + "not listed (looked up 04.12.2026)",
        said + "LISTED, 1 entry in force until 01.12.2028",
    ]
    assert sender.to(ADMIN) == [f"Наша компания (ИНН {OURS}): ⚠️ В РНП до 01.12.2028: 1 запись"]


def test_without_a_company_inn_nothing_is_said(tmp_path) -> None:
    engine, pipeline, sender, lines = _pipeline(tmp_path, None)
    asyncio.run(pipeline.report_company())
    engine.dispose()
    assert lines == [] and sender.sent == []
