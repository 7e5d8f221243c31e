"""``tenderwatch report ...`` and ``tenderwatch export`` end to end: every format parses back typed."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from rich.console import Console
from sqlmodel import Session
from typer.testing import CliRunner

from bidder import reports
from bidder.reports import CrawlRunRow
from bidder.reports import MarketRow
from data.db import make_engine
from data.db import upgrade
from tenderwatch.cli import app
from tenderwatch.commands.report import TABLE_COLUMNS
from tenderwatch.render import XLSX_MONEY_FORMAT
from tenderwatch.render import OutputFormat
from tenderwatch.render import RenderError
from tenderwatch.render import columns_for
from tenderwatch.render import display
from tenderwatch.render import emit
from tenderwatch.render import to_csv
from tenderwatch.render import to_json
from tenderwatch.render import to_table
from tenderwatch.render import write_output
from tests.bidder import report_factory
from tests.bidder.report_factory import REG

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def settings_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database built around the real clock (the CLI reports on 'now')."""
    root = tmp_path_factory.mktemp("report_cli")
    url = f"sqlite:///{root / 'tw.db'}"
    engine = make_engine(url)
    upgrade(engine)
    report_factory.build(engine, datetime.now(UTC))
    engine.dispose()
    settings = root / "settings.toml"
    settings.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    return settings


@pytest.fixture
def invoke(settings_file: Path):
    runner = CliRunner()

    def run(*args: str):
        # A wide terminal: report tables have many columns (Rich reads COLUMNS).
        return runner.invoke(app, ["--settings", str(settings_file), *args], env={"COLUMNS": "220"})

    return run


def test_matches_csv_parses_back_with_machine_readable_values(invoke) -> None:
    result = invoke("report", "matches", "--format", "csv", "--profile", "laptops")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["reg_number"] for r in rows] == [REG["B"], REG["D"], REG["A"]]
    a = rows[2]
    assert (a["status"], a["taken_by"], a["nmck"], a["region_name"]) == (
        "taken",
        "Anna",
        "1000000.00",
        "Московская область",
    )
    assert a["reasons"] == "ОКПД2 26.20.11.110 в 26.20; регион заказчика 50"
    assert datetime.fromisoformat(a["deadline"]).utcoffset().total_seconds() == 3 * 3600
    assert rows[1]["nmck"] == ""


def test_market_xlsx_has_typed_cells_and_the_chart_is_a_png(invoke, tmp_path: Path) -> None:
    out, chart = tmp_path / "market.xlsx", tmp_path / "trend.png"
    result = invoke(
        "report", "market", "--okpd2", "26.20", "--format", "xlsx", "--out", str(out), "--chart", str(chart)
    )
    assert result.exit_code == 0, result.output
    assert f"8 rows written to {out}" in result.output
    assert chart.read_bytes()[:8] == PNG_MAGIC
    sheet = openpyxl.load_workbook(out).active
    header = [c.value for c in sheet[1]]
    assert header == ["Разрез", "Группа", "Неделя с", "Закупок", "С ценой", "НМЦК сумма", "НМЦК медиана"]
    total = sheet[2]
    assert [c.value for c in total[:2]] == ["итого", "все"]
    assert (total[3].value, total[4].value) == (3, 2)
    assert total[5].data_type == "n" and Decimal(str(total[5].value)) == Decimal("3500000.5")
    assert total[5].number_format == XLSX_MONEY_FORMAT
    assert Decimal(str(total[6].value)) == Decimal("1750000.25")
    week = sheet[9]
    assert week[1].value == "2026-W10"
    assert week[2].is_date and week[2].value.date() == date(2026, 3, 2)
    assert week[2].number_format == "DD.MM.YYYY"
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["F"].width == len("3 500 000,50 ₽") + 2


def test_pipeline_json_money_is_strings_to_the_kopeck(invoke) -> None:
    result = invoke("report", "pipeline", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["person"], r["reg_number"]) for r in rows] == [("Anna", REG["A"]), ("Boris", REG["C"])]
    a = rows[0]
    assert (a["nmck"], a["antidumping_threshold"], a["contract_security_antidumping"]) == (
        "1000000.00",
        "750000.00",
        "150000.00",
    )
    assert (a["days_left"], a["steps_to_antidumping"]) == (2, 50)
    assert a["days_to_auction"] == 4
    assert rows[1]["antidumping_threshold"] is None
    # The simulation summary: both auctions (A 44-FZ, C 223-FZ) get one, money as kopeck strings.
    for row in rows:
        assert Decimal(row["market_price"]) == Decimal(row["market_price"]).quantize(Decimal("0.01"))
        assert 0 < row["win_probability_at_antidumping"] < 1


def test_deadlines_and_crawls_print_tables(invoke) -> None:
    deadlines = invoke("report", "deadlines", "--days", "7")
    assert deadlines.exit_code == 0, deadlines.output
    assert "Сроки подачи в ближайшие 7 дн." in deadlines.output
    assert REG["A"] in deadlines.output and REG["C"] in deadlines.output and REG["B"] not in deadlines.output
    assert "строк: 2" in deadlines.output
    crawls = invoke("report", "crawls", "--last", "1", "--format", "csv")
    assert crawls.exit_code == 0, crawls.output
    rows = list(csv.DictReader(io.StringIO(crawls.output)))
    assert [(r["source"], r["outcome"], r["error_rate"]) for r in rows] == [
        ("eis-rss", "failed", ""),
        ("eis-search", "running", "0.0"),
    ]


def test_export_notices_xlsx_and_matches_csv(invoke, tmp_path: Path) -> None:
    xlsx, csv_path = tmp_path / "notices.xlsx", tmp_path / "matches.csv"
    result = invoke(
        "export", "--since", "2026-02-23", "--until", "2026-03-03", "--format", "xlsx", "--out", str(xlsx)
    )
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(xlsx).active
    header = [c.value for c in sheet[1]]
    got = {
        row[0]: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert list(got) == [REG["C"], REG["A"], REG["E"]]
    assert got[REG["C"]]["Опубликовано (МСК)"] == datetime(2026, 2, 23, 10, 0)  # Moscow wall clock
    assert got[REG["A"]]["Только СМП"] is False
    assert got[REG["A"]]["Закон"] == "44-ФЗ"  # coded values in words for people
    url_column = header.index("Ссылка") + 1
    links = [
        row[0] for row in sheet.iter_rows(min_row=2, min_col=url_column, max_col=url_column) if row[0].value
    ]
    assert links and all(c.hyperlink.target == c.value for c in links)  # the EIS card opens with a click
    result = invoke(
        "export", "--since", "2020-01-01", "--format", "csv", "--out", str(csv_path), "--what", "matches"
    )
    assert result.exit_code == 0, result.output
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Cyrillic as UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    # 5 matches of 4 tenders: one row per tender, the profiles that matched it joined
    assert len(rows) == 4 and len({r["reg_number"] for r in rows}) == 4
    assert sorted(p for r in rows for p in r["profiles"].split(", ")).count("laptops") >= 1
    assert sum(len(r["profiles"].split(", ")) for r in rows) == 5
    result = invoke(
        "export",
        "--since",
        "2020-01-01",
        "--format",
        "csv",
        "--csv-dialect",
        "excel-ru",
        "--out",
        str(csv_path),
    )
    assert result.exit_code == 0, result.output
    text = csv_path.read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert rows and {r["Закон"] for r in rows} <= {"44-ФЗ", "223-ФЗ"}
    prices = [r["НМЦК"] for r in rows if r["НМЦК"]]
    assert prices and all("," in p and "." not in p for p in prices)  # Russian Excel's decimal comma


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("report", "matches", "--format", "xlsx"),
            "--format xlsx writes a binary file: give --out FILE.xlsx",
        ),
        (
            ("report", "matches", "--days", "3", "--since", "2026-01-01"),
            "give either --days or --since/--until",
        ),
        (
            ("report", "market", "--since", "2026-02-01", "--until", "2026-01-01"),
            "--until 2026-01-01 is before --since 2026-02-01",
        ),
        (("report", "near-misses", "--days", "0"), "--days must be a positive number of days, got 0"),
        (
            ("report", "matches", "--region", "Атлантида"),
            "--region 'Атлантида' is not a known region code or name",
        ),
        (("report", "matches", "--profile", "nope"), "--profile 'nope' is not a stored profile"),
        (("report", "market", "--okpd2", "26.201"), "--okpd2 '26.201' is not an OKPD2 code"),
        (("report", "crawls", "--last", "0"), "--last must be a positive number of runs, got 0"),
        (
            ("report", "crawls", "--source", "nosuch"),
            "--source 'nosuch' is not a crawl source "
            "(known: eis, eis-rss, eis-search, eis_export, eis_follow, eis_results, eis_rnp, eis_rss, "
            "eis_site_results)",
        ),
        (("report", "market", "--okpd2", "01.11", "--chart", "x.png"), "no dated notices for OKPD2 01.11"),
        (
            ("export", "--since", "2026-03-01", "--format", "csv", "--out", "/nonexistent-dir/x.csv"),
            "cannot write /nonexistent-dir/x.csv: folder /nonexistent-dir does not exist",
        ),
    ],
)
def test_bad_options_fail_cleanly(invoke, args: tuple[str, ...], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert "error:" in result.output and message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_export_requires_a_start_day(invoke) -> None:
    result = invoke("export", "--format", "csv", "--out", "x.csv")
    assert result.exit_code == 2
    assert "--since" in result.output


# --- tables on a 120-column terminal ----------------------------------------------------------

WHOLE_KINDS = ("money", "datetime", "date", "int", "rate")


def _report_rows(url: str) -> dict[type, list]:
    now = datetime.now(UTC)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return {
                reports.MatchReportRow: reports.matches_report(session, now=now),
                reports.PipelineRow: reports.pipeline_report(session, include_closed=True, now=now),
                reports.DeadlineRow: reports.deadlines_report(session, days=30, now=now),
                reports.CrawlRunRow: reports.crawls_report(session),
                reports.MarketRow: reports.market_report(session, now=now),
            }
    finally:
        engine.dispose()


def test_every_report_table_shows_its_figures_whole_at_120_columns(settings_file: Path) -> None:
    """Money, dates, numbers and registry numbers are never cut; what does not fit is left out whole."""
    url = f"sqlite:///{settings_file.parent / 'tw.db'}"
    shown_names: dict[type, list[str]] = {}
    for row_type, rows in _report_rows(url).items():
        assert rows, row_type
        console = Console(width=120, file=io.StringIO(), color_system=None)
        emit(
            rows,
            row_type,
            fmt=OutputFormat.table,
            title="t",
            console=console,
            table_columns=TABLE_COLUMNS.get(row_type),
        )
        text = console.file.getvalue()
        assert max(len(line) for line in text.splitlines()) <= 120
        by_name = {c.name: c for c in columns_for(row_type)}
        names = list(TABLE_COLUMNS.get(row_type, by_name))
        caption = " ".join(text.split()).partition("не поместились: ")[2].partition(" (все колонки")[0]
        left_out = set(caption.split(", ")) if caption else set()
        shown = [n for n in names if by_name[n].header not in left_out]
        shown_names[row_type] = shown
        for row in rows:
            for name in shown:
                column = by_name[name]
                if column.kind in WHOLE_KINDS or name == "reg_number":
                    value = display(getattr(row, name), column.kind)
                    assert value in text, f"{row_type.__name__}.{name}: {value!r} cut or missing"
    assert shown_names[reports.PipelineRow][:8] == [
        "person",
        "reg_number",
        "title",
        "nmck",
        "deadline",
        "days_left",
        "auction_date",
        "antidumping_threshold",
    ]
    assert "nmck" in shown_names[reports.MatchReportRow]
    assert shown_names[reports.MarketRow] == [c.name for c in columns_for(reports.MarketRow)]


def test_a_table_too_wide_for_the_terminal_leaves_columns_out_and_says_so() -> None:
    rows = [MarketRow("week", "2026-W10", date(2026, 3, 2), 2, 2, Decimal("123456789.01"), Decimal("3.00"))]
    console = Console(width=80, file=io.StringIO(), color_system=None)
    console.print(to_table(rows, columns_for(MarketRow), title="m", width=80))
    text = " ".join(console.file.getvalue().split())
    assert "02.03.2026" in text and "123 456 789,01 ₽" in text
    assert "не поместились: НМЦК медиана (все колонки: --format csv, xlsx или json)" in text


# --- render on its own ------------------------------------------------------------------------


def test_columns_are_typed_from_the_row_annotations() -> None:
    kinds = {c.name: c.kind for c in columns_for(CrawlRunRow)}
    assert (kinds["started_at"], kinds["finished_at"], kinds["requests"], kinds["error_rate"]) == (
        "datetime",
        "datetime",
        "int",
        "rate",
    )
    assert {c.name: c.kind for c in columns_for(MarketRow)}["median_nmck"] == "money"


def test_csv_and_json_of_no_rows() -> None:
    columns = columns_for(MarketRow)
    assert to_csv([], columns) == "dimension,group,week_start,notices,priced,total_nmck,median_nmck\n"
    assert to_json([], columns) == "[]\n"


def test_json_money_rounds_half_up_to_the_kopeck() -> None:
    row = MarketRow("total", "all", None, 1, 1, Decimal("10.125"), Decimal("3"))
    assert json.loads(to_json([row], columns_for(MarketRow)))[0]["total_nmck"] == "10.13"
    assert json.loads(to_json([row], columns_for(MarketRow)))[0]["median_nmck"] == "3.00"


def test_write_output_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    target.write_text("old", encoding="utf-8")
    write_output(target, "[]\n")
    assert target.read_text(encoding="utf-8") == "[]\n"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
    with pytest.raises(RenderError, match="does not exist"):
        write_output(tmp_path / "missing" / "r.json", "[]")


def test_out_never_replaces_a_device_or_a_symlink_and_dash_is_stdout(invoke, tmp_path: Path) -> None:
    """Issue 17: `--out /dev/stdout` once replaced /dev/stdout with a regular file and `--out -`
    wrote a file named `-`; report files were 0600."""
    args = ("export", "--since", "2020-01-01", "--format", "csv", "--what", "matches")
    dashed = invoke(*args, "--out", "-")
    assert dashed.exit_code == 0, dashed.output
    assert dashed.stdout.startswith("reg_number,law,method,platform,")  # the CSV itself, alone
    assert "rows written" not in dashed.stdout and not (Path.cwd() / "-").exists()

    real = tmp_path / "real.csv"
    real.write_text("old", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    assert invoke(*args, "--out", str(link)).exit_code == 0
    assert link.is_symlink() and real.read_text(encoding="utf-8-sig").startswith("reg_number,")
    assert real.stat().st_mode & 0o777 == 0o640  # an existing file keeps its mode

    fresh = tmp_path / "fresh.csv"
    assert invoke(*args, "--out", str(fresh)).exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask  # not 0600

    write_output(Path("/dev/null"), "data")  # a device is written into, never replaced
    assert Path("/dev/null").is_char_device()


def test_a_database_failure_reads_as_one_line_without_sqlalchemy_links(tmp_path: Path) -> None:
    """Issue 17: user messages carried «(Background on this error at: https://sqlalche.me/…)»."""
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database" * 100)
    result = CliRunner().invoke(
        app, ["report", "crawls"], env={"TENDERWATCH_DATABASE__URL": f"sqlite:///{broken}"}
    )
    assert result.exit_code != 0
    assert "sqlalche.me" not in result.output and "Traceback" not in result.output
    assert "file is not a database" in result.output


def test_piped_output_takes_the_width_of_the_terminal_still_on_the_other_streams(monkeypatch):
    """Issue 17 item 8: `report … | less` is as wide as the person's terminal; only with no terminal
    anywhere is it the fixed width for files and CI logs."""
    from tenderwatch import clikit

    class Tty:
        def __init__(self, tty: bool) -> None:
            self.tty = tty

        def isatty(self) -> bool:
            return self.tty

        def fileno(self) -> int:
            return 2

    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr(clikit.sys, "stdout", Tty(False))
    monkeypatch.setattr(clikit.sys, "__stdout__", Tty(False))
    monkeypatch.setattr(clikit.sys, "__stderr__", Tty(True))
    monkeypatch.setattr(clikit.os, "get_terminal_size", lambda fd: os.terminal_size((97, 30)))
    assert clikit._console().width == 97
    monkeypatch.setattr(clikit, "terminal_width", lambda: None)
    assert clikit._console().width == clikit.NO_TERMINAL_WIDTH


def test_chart_numbers_read_as_russian_text_and_every_line_has_its_legend(tmp_path):
    """Issue 17 item 8: axes in Russian digit grouping (no 1e6), one legend for the lines of twin axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tenderwatch.clikit import legend_of
    from tenderwatch.clikit import money_axis
    from tenderwatch.clikit import ru_axis_number

    assert ru_axis_number(1250000) == "1\u00a0250\u00a0000"
    assert ru_axis_number(12.5, 1) == "12,5"
    fig, left = plt.subplots()
    left.bar(["02.03.26", "09.03.26"], [3, 5], label="закупок за неделю")
    right = left.twinx()
    right.plot(["02.03.26", "09.03.26"], [1500000.0, 2750000.0], label="НМЦК, ₽")
    money_axis(right.yaxis)
    legend_of(left, right)
    fig.canvas.draw()
    assert [t.get_text() for t in left.get_legend().get_texts()] == ["закупок за неделю", "НМЦК, ₽"]
    ticks = [t.get_text() for t in right.get_yticklabels() if t.get_text()]
    assert ticks and all("e" not in t and "," not in t for t in ticks) and any("\u00a0" in t for t in ticks)
    plt.close(fig)
