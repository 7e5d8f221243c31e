"""The register of unfair suppliers (РНП) in the database: its entries as last read, and who to ask about.

An entry is keyed by its registry number; a read that differs from the stored one replaces it
unless it is older (an earlier «Обновлено»), and the same entry again changes nothing. A reason
stored from elsewhere survives a read without one (the register's search feed gives none).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from data.db import upsert_into
from data.models import PURCHASE_RESULTS
from data.models import UNFAIR_CHECKS
from data.models import UNFAIR_SUPPLIERS
from data.notice import MOSCOW
from data.results import UnfairSupplierCheck
from data.results import UnfairSupplierEntry

U = UNFAIR_SUPPLIERS.c
C = UNFAIR_CHECKS.c
_COLUMNS = tuple(name for name in UnfairSupplierEntry.model_fields if name != "registry_number")


def store_unfair_entry(
    conn: sa.Connection, entry: UnfairSupplierEntry, source: str | None, now: datetime
) -> str:
    """Insert or replace one entry; ``new``, ``changed`` or ``unchanged``."""
    row = conn.execute(sa.select(UNFAIR_SUPPLIERS).where(U.registry_number == entry.registry_number)).first()
    values = {name: getattr(entry, name) for name in _COLUMNS}
    if row is None:
        conn.execute(
            sa.insert(UNFAIR_SUPPLIERS).values(
                registry_number=entry.registry_number,
                source=source,
                first_seen_at=now,
                updated_at=now,
                **values,
            )
        )
        return "new"
    stored = row._mapping
    if values["reason"] is None:
        values["reason"] = stored["reason"]
    older = (
        entry.updated_on is not None
        and stored["updated_on"] is not None
        and entry.updated_on < stored["updated_on"]
    )
    if older or all(stored[name] == value for name, value in values.items()):
        return "unchanged"
    conn.execute(
        UNFAIR_SUPPLIERS.update().where(U.id == stored["id"]).values(source=source, updated_at=now, **values)
    )
    return "changed"


def unfair_entries(
    session: Session, inns: Iterable[str], *, today: date
) -> dict[str, list[UnfairSupplierEntry]]:
    """The entries in force on ``today`` of each INN that has any (``UnfairSupplierEntry.in_force``)."""
    wanted = sorted(set(inns))
    found: dict[str, list[UnfairSupplierEntry]] = {}
    if not wanted:
        return found
    query = (
        sa.select(UNFAIR_SUPPLIERS).where(U.inn.in_(wanted)).order_by(U.inn, U.included_on, U.registry_number)
    )
    for row in session.connection().execute(query).mappings():
        entry = UnfairSupplierEntry.model_validate({k: row[k] for k in UnfairSupplierEntry.model_fields})
        if entry.in_force(today):
            found.setdefault(entry.inn, []).append(entry)
    return found


def record_unfair_check(conn: sa.Connection, check: UnfairSupplierCheck, today: date) -> None:
    """When ``check.inn`` was looked up and how many entries in force it had (one row per INN)."""
    found = sum(1 for entry in check.entries if entry.inn == check.inn and entry.in_force(today))
    statement = upsert_into(conn, UNFAIR_CHECKS).values(
        inn=check.inn, checked_at=check.checked_at, entries=found
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["inn"],
            set_={"checked_at": statement.excluded.checked_at, "entries": statement.excluded.entries},
        )
    )


def suppliers_to_check(
    session: Session, *, first: Iterable[str], checked_before: datetime, limit: int
) -> list[str]:
    """INNs to look up in the register: ``first`` (our own company) always, then the suppliers that
    won stored purchases and were not looked up since ``checked_before``, never-checked and
    oldest-checked first, then by wins; at most ``limit``."""
    ordered = list(dict.fromkeys(inn for inn in first if inn))[:limit]
    wins = sa.func.count().label("wins")
    winners = (
        sa.select(PURCHASE_RESULTS.c.winner_inn.label("inn"), wins)
        .where(PURCHASE_RESULTS.c.winner_inn.is_not(None))
        .group_by(PURCHASE_RESULTS.c.winner_inn)
        .subquery()
    )
    query = (
        sa.select(winners.c.inn)
        .outerjoin(UNFAIR_CHECKS, C.inn == winners.c.inn)
        .where(sa.or_(C.checked_at.is_(None), C.checked_at < checked_before))
        .order_by(C.checked_at.is_not(None), C.checked_at, winners.c.wins.desc(), winners.c.inn)
        .limit(limit + len(ordered))
    )
    for inn in session.connection().execute(query).scalars():
        if inn not in ordered and len(ordered) < limit:
            ordered.append(inn)
    return ordered


@dataclass(frozen=True)
class RegisterStatus:
    """What is known of one INN in the register: its entries in force and when it was last looked up."""

    entries: int = 0
    """Entries in force (0: none stored)."""
    until: date | None = None
    """The latest planned exclusion among them."""
    checked_on: date | None = None
    """When a crawl last looked it up (None: never; an imported feed is no look-up)."""


def register_status(session: Session, inns: Iterable[str], *, today: date) -> dict[str, RegisterStatus]:
    """The status of every INN given that is in the register or was looked up."""
    wanted = sorted({inn for inn in inns if inn})
    entries = unfair_entries(session, wanted, today=today)
    checks: dict[str, datetime] = {}
    if wanted:
        query = sa.select(C.inn, C.checked_at).where(C.inn.in_(wanted))
        checks = {inn: at for inn, at in session.connection().execute(query)}
    found: dict[str, RegisterStatus] = {}
    for inn in wanted:
        listed, checked = entries.get(inn, []), checks.get(inn)
        if not listed and checked is None:
            continue
        ends = [e.exclusion_planned_on for e in listed if e.exclusion_planned_on is not None]
        found[inn] = RegisterStatus(
            entries=len(listed),
            until=max(ends) if ends else None,
            checked_on=checked.astimezone(MOSCOW).date() if checked is not None else None,
        )
    return found
