"""Shared fixtures: where the real EIS samples are, and throwaway databases."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# pytest-xdist workers get COLUMNS=80 and LINES=24; the CLI under test must see what a CI log is
# (no terminal, no COLUMNS: 160 wide), whichever way the suite is run.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLES_DIR = Path(os.environ.get("TENDERWATCH_EIS_SAMPLES", PROJECT_ROOT.parent / "shared" / "eis_samples"))


def sample_path(name: str) -> Path:
    """Path of a real EIS sample in ../shared/eis_samples; skip the test visibly if it is absent."""
    path = SAMPLES_DIR / name
    if not path.exists():
        pytest.skip(f"real EIS sample {name} not found in {SAMPLES_DIR} (shared/ is not beside the checkout)")
    return path


def sample_bytes(name: str) -> bytes:
    return sample_path(name).read_bytes()


@pytest.fixture
def samples_dir() -> Path:
    if not SAMPLES_DIR.is_dir():
        pytest.skip(f"real EIS samples folder {SAMPLES_DIR} not found (shared/ is not beside the checkout)")
    return SAMPLES_DIR


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under pytest-xdist each worker hands its fault-ledger rows to the controller."""
    from tests.faults.ledger import export

    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["fault_ledger"] = export()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    from tests.faults.ledger import merge

    merge(getattr(node, "workeroutput", {}).get("fault_ledger", []))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fault suite's table (tests/faults): tried / survived / lost / duplicated per case."""
    from tests.faults.ledger import table

    lines = table()
    if lines:
        terminalreporter.section("fault suite: what each fault put at risk and what became of it")
        for line in lines:
            terminalreporter.write_line(line)
