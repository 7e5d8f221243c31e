"""The fault suite's ledger: per case, how many units were tried, survived, lost or duplicated.

Each fault test records one row and asserts 0 lost and 0 duplicated; ``tests/conftest.py``
prints the table at the end of the run, so the figures of every run are there to read (and
for the issue note). A "unit" is what the case puts at risk: notices for the crawler, alert
rows for the notifier, command outputs for the token checks, documents for the import.
"""

from __future__ import annotations

from dataclasses import asdict
from dataclasses import dataclass
from typing import Any


@dataclass
class FaultCase:
    item: int
    name: str
    unit: str
    tried: int
    survived: int
    lost: int
    duplicated: int


LEDGER: dict[str, FaultCase] = {}


def record(
    item: int, name: str, *, unit: str, tried: int, survived: int, lost: int = 0, duplicated: int = 0
) -> FaultCase:
    """Add (or grow) the row of one case; the test asserts on the returned figures."""
    case = LEDGER.get(name)
    if case is None:
        case = LEDGER[name] = FaultCase(item, name, unit, 0, 0, 0, 0)
    case.tried += tried
    case.survived += survived
    case.lost += lost
    case.duplicated += duplicated
    return case


def export() -> list[dict[str, Any]]:
    """The ledger as plain data, for a pytest-xdist worker to hand to the controller."""
    return [asdict(case) for case in LEDGER.values()]


def merge(cases: list[dict[str, Any]]) -> None:
    """Add a worker's rows (the controller prints one table for the whole run)."""
    for data in cases:
        case = FaultCase(**data)
        record(
            case.item,
            case.name,
            unit=case.unit,
            tried=case.tried,
            survived=case.survived,
            lost=case.lost,
            duplicated=case.duplicated,
        )


def table() -> list[str]:
    """The ledger as text lines, in issue order."""
    if not LEDGER:
        return []
    rows = sorted(LEDGER.values(), key=lambda c: (c.item, c.name))
    width = max(len(c.name) for c in rows)
    lines = [f"{'#':>2}  {'case':<{width}}  {'tried':>6} {'survived':>8} {'lost':>5} {'dup':>4}  unit"]
    for c in rows:
        figures = f"{c.tried:>6} {c.survived:>8} {c.lost:>5} {c.duplicated:>4}"
        lines.append(f"{c.item:>2}  {c.name:<{width}}  {figures}  {c.unit}")
    return lines
