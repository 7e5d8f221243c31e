"""``tenderwatch simulate`` through Typer's CliRunner: JSON keys, the chart, a stored notice, errors."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from data.db import make_engine
from data.db import session_scope
from data.db import upgrade
from data.notice import Notice
from data.store import upsert_notices
from tenderwatch.cli import app

REQUIRED_KEYS = {
    "nmck",
    "floor",
    "step",
    "steps_to_floor",
    "ladder",
    "antidumping_threshold",
    "antidumping_applies",
    "contract_security",
    "bid_security",
    "win_probability",
    "expected_price",
    "expected_profit",
    "recommended_walk_away",
}
MONEY = re.compile(r"^-?\d+\.\d{2}$")
REG = "0373200138225001206"


@pytest.fixture
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("TENDERWATCH_DATABASE__URL", raising=False)
    monkeypatch.delenv("TENDERWATCH_SETTINGS", raising=False)
    path = tmp_path / "settings.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "tw.db"}"\n', encoding="utf-8")
    return path


def run(settings_file: Path, *args: str):
    return CliRunner().invoke(app, ["--settings", str(settings_file), "simulate", *args])


def test_json_output_has_the_listed_keys_and_kopeck_strings(settings_file: Path) -> None:
    result = run(
        settings_file, "--nmck", "1000000", "--floor", "700000", "--runs", "2000", "--seed", "5", "--json"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert REQUIRED_KEYS <= data.keys()
    assert (data["nmck"], data["floor"], data["step"], data["steps_to_floor"]) == (
        "1000000.00",
        "700000.00",
        "5000.00",
        60,
    )
    assert (data["antidumping_threshold"], data["antidumping_applies"]) == ("750000.00", True)
    assert len(data["ladder"]) == 61
    assert data["ladder"][50] == {
        "step": 50,
        "price": "750000.00",
        "reduction_percent": "25.00",
        "elapsed_minutes": 500,
        "antidumping": True,
    }
    for key in ("expected_price", "expected_profit", "recommended_walk_away", "bid_security"):
        assert MONEY.match(data[key] or "0.00"), (key, data[key])
    assert data["bid_security"] is None  # nothing required up to 1 mln RUB
    assert data["contract_security"] is None  # not given without a notice
    assert 0 < data["win_probability"] < 1
    again = run(
        settings_file, "--nmck", "1000000", "--floor", "700000", "--runs", "2000", "--seed", "5", "--json"
    )
    assert json.loads(again.stdout) == data


def test_table_output_and_chart(settings_file: Path, tmp_path: Path) -> None:
    chart = tmp_path / "out" / "sim.png"
    chart.parent.mkdir()
    result = run(
        settings_file, "--nmck", "1000000", "--cost", "600000", "--margin", "10", "--runs", "2000",
        "--seed", "1", "--strategy", "aggressive", "--competitors", "2", "--chart", str(chart),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "660 000,00 ₽" in result.stdout and "recommended walk-away" in result.stdout
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _store(settings_file: Path, notice: Notice) -> None:
    url = f"sqlite:///{settings_file.parent / 'tw.db'}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as session:
        upsert_notices(session, [notice])
    engine.dispose()


def test_stored_notice_supplies_nmck_and_securities(settings_file: Path) -> None:
    notice = Notice(
        reg_number=REG,
        law="44-FZ",
        kind="auction",
        nmck=Decimal("20000000.00"),
        contract_security_percent=Decimal("10"),
        bid_security_percent=Decimal("1"),
    )
    _store(settings_file, notice)
    result = run(settings_file, REG, "--floor", "14000000", "--runs", "2000", "--seed", "2", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["reg_number"], data["nmck"], data["antidumping_applies"]) == (REG, "20000000.00", True)
    assert (data["contract_security"], data["extra_security"]) == ("3000000.00", "1000000.00")
    assert data["antidumping_good_faith_alternative"] is False
    assert data["bid_security"] == "200000.00"


def test_quotation_notice_has_no_auction(settings_file: Path) -> None:
    _store(settings_file, Notice(reg_number=REG, law="44-FZ", kind="quotation", nmck=Decimal("500000.00")))
    result = run(settings_file, REG, "--floor", "400000")
    assert result.exit_code == 2
    assert "quotation: no price bidding is held" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--nmck", "1000000", "--floor", "1000001"], "floor 1000001.00 is above NMCK 1000000.00"),
        (["--nmck", "1000000", "--cost", "-5"], "cost must not be negative, got -5"),
        (["--nmck", "1000000", "--floor", "1", "--kind", "quotation"], "quotation: no price bidding"),
        (["--nmck", "1000000", "--floor", "700000", "--step", "7"], "step 7% is outside the allowed band"),
        (["--nmck", "1000000"], "give --cost"),
        (["--nmck", "1000000", "--cost", "1", "--floor", "2"], "not both"),
        (["--nmck", "abc", "--floor", "2"], "--nmck: 'abc' is not a number"),
        ([REG, "--nmck", "1000000", "--floor", "2"], "not both or neither"),
        ([REG, "--floor", "2", "--law", "223-FZ"], "--law and --kind"),
        (
            ["--nmck", "1e30", "--floor", "700000"],
            "--nmck: 1E+30 is too large (at most 1 000 000 000 000 000)",
        ),
        (["--nmck", "1000000", "--floor", "700000", "--seed", "-1"], "--seed -1: must be a non-negative"),
        (["--nmck", "1000000", "--floor", "700000", "--margin", "5"], "--margin applies to --cost"),
        (["--nmck", "1000000", "--floor", "700000", "--guarantee-days", "0"], "term must be positive, got 0"),
        (["--nmck", "1000000", "--floor", "700000", "--contract-security", "x"], "--contract-security: 'x'"),
    ],
)
def test_impossible_input_is_a_clear_error(settings_file: Path, args: list[str], message: str) -> None:
    result = run(settings_file, *args)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.output


def test_unknown_registry_number(settings_file: Path) -> None:
    upgrade(f"sqlite:///{settings_file.parent / 'tw.db'}")
    result = run(settings_file, "0101500000623000049", "--floor", "1000")
    assert result.exit_code == 2
    assert "notice 0101500000623000049 is not stored" in " ".join(result.stderr.split())


def test_security_and_guarantee_options(settings_file: Path) -> None:
    args = ["--nmck", "20000000", "--floor", "14000000", "--contract-security", "10", "--runs", "2000"]
    result = run(settings_file, *args, "--guarantee-rate", "4.5", "--guarantee-days", "180", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["contract_security_base"], data["contract_security"], data["extra_security"]) == (
        "2000000.00",
        "3000000.00",
        "1000000.00",
    )
    # 1 000 000 x 4.5% x 180 / 365 = 22 191.78; 3 000 000 x 4.5% x 180 / 365 = 66 575.34
    assert (data["extra_security_guarantee_cost"], data["contract_security_guarantee_cost"]) == (
        "22191.78",
        "66575.34",
    )
    assert (data["contract_security_percent"], data["guarantee_rate_percent"], data["guarantee_days"]) == (
        "10",
        "4.5",
        180,
    )
    defaults = json.loads(run(settings_file, *args, "--json").stdout)
    assert (defaults["extra_security_guarantee_cost"], defaults["guarantee_days"]) == ("30000.00", 365)
    exempt = json.loads(run(settings_file, *args, "--smp-exempt", "--json").stdout)
    assert (exempt["smp_exempt"], exempt["contract_security"], exempt["extra_security"]) == (
        True,
        "0.00",
        "0.00",
    )


def test_contract_security_option_overrides_the_notice(settings_file: Path) -> None:
    notice = Notice(
        reg_number=REG, law="44-FZ", kind="auction", nmck=Decimal("10000000.00"), contract_security_percent=5
    )
    _store(settings_file, notice)
    args = [REG, "--floor", "7000000", "--runs", "2000", "--json"]
    stored = json.loads(run(settings_file, *args).stdout)
    assert (stored["contract_security"], stored["antidumping_good_faith_alternative"]) == ("750000.00", True)
    given = json.loads(run(settings_file, *args, "--contract-security", "20", "--good-faith").stdout)
    # NMCK <= 15 mln: proof of good faith replaces the x1.5 security (Art. 37 ч.2)
    assert (given["contract_security"], given["extra_security"], given["good_faith_proof"]) == (
        "2000000.00",
        "0.00",
        True,
    )


@pytest.mark.parametrize("command", [["simulate"], ["profiles", "test"], ["notify"], ["report", "matches"]])
def test_help_lists_flags_without_a_type(command: list[str]) -> None:
    """``--json``, not ``--json <bool>``: an on/off flag takes no value (issue 17 item 12)."""
    result = CliRunner().invoke(app, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "--" in result.output and "<bool>" not in result.output
    assert "<int>" in CliRunner().invoke(app, ["simulate", "--help"], terminal_width=200).output


def test_the_console_script_loads_the_module_of_the_command_it_runs_and_all_for_help() -> None:
    """`tenderwatch config check` should not wait seconds for Scrapy and Telegram to import: the
    console script registers one module's commands; the map must name every command of each."""
    import typer

    from tenderwatch.cli import COMMANDS
    from tenderwatch.cli import MODULES
    from tenderwatch.cli import ROOT_FLAGS
    from tenderwatch.cli import ROOT_OPTIONS_WITH_VALUE
    from tenderwatch.cli import build_app
    from tenderwatch.cli import modules_for

    # modules_for skips the root options by name: the names must be the ones the root declares
    root = typer.main.get_command(build_app(()))
    declared = {name for param in root.params for name in getattr(param, "opts", [])} - {"--help"}
    assert declared == {*ROOT_OPTIONS_WITH_VALUE, *ROOT_FLAGS}

    for module in MODULES:
        alone = build_app([module])
        names = {c.name for c in alone.registered_commands} | {g.name for g in alone.registered_groups}
        assert names == {name for name, home in COMMANDS.items() if home == module}, module
    assert modules_for(["config", "check"]) == ("config",)
    assert modules_for(["--settings", "report", "report", "matches"]) == ("report",)
    assert modules_for(["--settings=x.toml", "-v", "import", "a.zip"]) == ("storage",)
    assert modules_for([]) == modules_for(["--help"]) == modules_for(["nosuch"]) == MODULES
    result = CliRunner().invoke(build_app(modules_for(["config", "check"])), ["config", "--help"])
    assert result.exit_code == 0 and "check" in result.output
    assert isinstance(app, typer.Typer) and len(app.registered_commands) + len(app.registered_groups) == len(
        COMMANDS
    )
