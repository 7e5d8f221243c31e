"""``report segments``, ``report backtest`` and ``simulate`` on stored results, end to end."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from crawler.replay.market import simulated_auctions
from data.db import make_engine
from data.db import upgrade
from data.store import upsert_notices
from data.store import upsert_results
from tenderwatch.bot_setup import auction_summarizer
from tenderwatch.cli import app


@pytest.fixture
def market_cli(tmp_path: Path):
    """A database holding a simulated market (60 auctions in each of three segments)."""
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    engine = make_engine(url)
    upgrade(engine)
    auctions = simulated_auctions(per_segment=60)
    with Session(engine) as session:
        upsert_notices(session, [notice for notice, _ in auctions])
        upsert_results(session, [protocol for _, protocol in auctions])
    engine.dispose()
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, ["--settings", str(settings), *args])

    return run, auctions


def test_report_segments_lists_the_finished_purchases_per_segment(market_cli) -> None:
    invoke, _ = market_cli
    result = invoke("report", "segments", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["okpd2"], r["region"], r["kind"], r["nmck_range"], r["purchases"]) for r in rows] == [
        ("21.20", "41", "auction", "0.5–1 млн ₽", 60),
        ("26.20", "77", "auction", "0.5–1 млн ₽", 60),
        ("43.21", "50", "auction", "0.5–1 млн ₽", 60),
    ]


def test_report_backtest_shows_both_models(market_cli) -> None:
    invoke, _ = market_cli
    result = invoke("report", "backtest", "--limit", "30", "--draws", "300", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {row["figure"]: row for row in json.loads(result.output)}
    mae = rows["winning discount MAE, p.p."]
    assert float(mae["calibrated"]) < float(mae["assumption"])
    assert rows["calibrated on earlier results"]["calibrated"].startswith("30 ")


def test_simulate_a_stored_auction_with_calibrated_or_assumed_competitors(market_cli) -> None:
    invoke, auctions = market_cli
    notice, _ = auctions[-2]  # the newest electrical-works auction (31 % walk-aways)
    cost = str(int(notice.nmck * 6 / 10))
    calibrated = invoke(
        "simulate", notice.reg_number, "--cost", cost, "--runs", "2000", "--seed", "1", "--json"
    )
    assert calibrated.exit_code == 0, calibrated.output
    figures = json.loads(calibrated.output)
    assert figures["prior"].startswith("calibrated on «ОКПД2 43.21 · регион 50 · auction · 0.5–1 млн ₽»: 60")
    assumed = invoke(
        "simulate",
        notice.reg_number,
        "--cost",
        cost,
        "--runs",
        "2000",
        "--seed",
        "1",
        "--competitors",
        "3",
        "--json",
    )
    assert json.loads(assumed.output)["prior"].startswith("default prior")
    table = invoke("simulate", notice.reg_number, "--cost", cost, "--runs", "500", "--seed", "1")
    assert "competitor model" in table.output and "calibrated on" in table.output


def test_the_bots_sim_uses_the_calibrated_competitors(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    upgrade(engine)
    auctions = simulated_auctions(per_segment=30)
    notice = auctions[-2][0]  # an electrical-works auction
    summarize = auction_summarizer(engine)
    assert "Конкуренты: допущение" in summarize(notice, None)  # nothing stored yet
    with Session(engine) as session:
        upsert_notices(session, [n for n, _ in auctions])
        upsert_results(session, [p for _, p in auctions])
    text = summarize(notice, Decimal(int((notice.nmck or 0) * 6 / 10)))
    assert "Конкуренты: по 30 завершённым закупкам «ОКПД2 43.21 · регион 50 · auction · 0.5–1 млн ₽»" in text
    assert "Вероятность победы" in text
    engine.dispose()
