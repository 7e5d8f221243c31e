"""Result documents in the database: protocols with their bids, contracts, suppliers, purchase summaries.

``upsert_results`` stores a batch in one transaction like ``upsert_notices``: a document is keyed
by what identifies it (a protocol by purchase and document type, a contract by its registry
number); a higher version replaces it, and so does, with the same or no version, a later
publication; the same document again changes nothing, so importing the same ZIP twice stores
nothing twice. Every purchase a
batch touches gets its ``purchase_results`` row recomputed from all that is stored about it
(``data.results.summarize``). A result that arrives before its notice is summed up without the
notice's columns and completed when the notice is stored (``link_results``, which
``upsert_notices`` calls for its batch).
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from data.db import upsert_into
from data.models import CONTRACTS
from data.models import NOTICES
from data.models import PROTOCOL_BIDS
from data.models import PROTOCOLS
from data.models import PURCHASE_RESULTS
from data.models import SUPPLIERS
from data.models import utcnow
from data.notice import Stage
from data.notice import moscow_date
from data.notice import stage_of
from data.reference.regions import region_from_inn
from data.results import Bid
from data.results import ContractRecord
from data.results import NoticeFacts
from data.results import ProtocolResult
from data.results import PurchaseSummary
from data.results import UnfairSupplierCheck
from data.results import UnfairSupplierEntry
from data.results import nmck_band
from data.results import summarize
from data.store.batch import run_batch
from data.store.plan import Key
from data.store.readers import our_notice_ids
from data.store.rows import _chunks
from data.store.unfair import record_unfair_check
from data.store.unfair import store_unfair_entry

ResultDocument = ProtocolResult | ContractRecord | UnfairSupplierEntry | UnfairSupplierCheck
"""What ``upsert_results`` stores: protocols, contracts, and the register of unfair suppliers'
entries (read from its feed) and look-ups of one INN (a crawl's)."""

_PROTOCOL_COLUMNS = ("doc_id", "version", "published_at", "outcome", "reason", "url", "notes")
_CONTRACT_COLUMNS = tuple(name for name in ContractRecord.model_fields if name not in ("law", "reg_number"))
_BID_COLUMNS = tuple(Bid.model_fields)


@dataclass
class ResultsStored:
    """What a batch of result documents did: each document new, changed (a newer version replaced
    the stored one) or unchanged (the stored version again)."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    purchases: int = 0
    """Purchases whose summary was (re)computed."""

    def add(self, other: ResultsStored) -> None:
        self.new += other.new
        self.changed += other.changed
        self.unchanged += other.unchanged
        self.purchases += other.purchases


def upsert_results(
    session: Session, documents: Iterable[ResultDocument], *, source: str | None = None
) -> ResultsStored:
    """Store protocols, contracts and register entries in one transaction (committed here); see the
    module docstring."""
    batch = list(documents)
    if not batch:
        return ResultsStored()
    return run_batch(
        session,
        f"batch of {len(batch)} result documents (first {_label(batch[0])})",
        lambda c: _apply(c, batch, source),
    )


def _label(document: ResultDocument) -> str:
    if isinstance(document, ProtocolResult):
        return f"{document.law} {document.purchase_number}"
    if isinstance(document, ContractRecord):
        return f"{document.law} {document.reg_number}"
    if isinstance(document, UnfairSupplierEntry):
        return f"РНП {document.registry_number}"
    return f"РНП check of {document.inn}"


def link_results(conn: sa.Connection, keys: Sequence[Key]) -> int:
    """Recompute the summaries of the purchases among ``keys`` (notices just stored) that have one.

    Runs inside the notice batch's transaction: a result stored before its notice gets the
    notice's segment columns the moment the notice lands, and a changed NMCK moves the discount.
    """
    stored = []
    for chunk in _chunks(keys):
        query = sa.select(PURCHASE_RESULTS.c.law, PURCHASE_RESULTS.c.purchase_number).where(
            sa.tuple_(PURCHASE_RESULTS.c.law, PURCHASE_RESULTS.c.purchase_number).in_(list(chunk))
        )
        stored += [(law, number) for law, number in conn.execute(query)]
    if stored:
        _recompute(conn, stored, utcnow())
    return len(stored)


def _apply(conn: sa.Connection, batch: list[ResultDocument], source: str | None) -> ResultsStored:
    now = utcnow()
    stored = ResultsStored()
    protocols = _newest({(p.law, p.purchase_number, p.document): p for p in _ordered(batch, ProtocolResult)})
    contracts = _newest({(c.law, c.reg_number): c for c in _ordered(batch, ContractRecord)})
    touched: set[Key] = set()
    for protocol in protocols:
        if _count(stored, _store_protocol(conn, protocol, source, now)):
            touched.add((protocol.law, protocol.purchase_number))
    for contract in contracts:
        if _count(stored, _store_contract(conn, contract, source, now)) and contract.purchase_number:
            touched.add((contract.law, contract.purchase_number))
    _store_suppliers(conn, protocols, contracts, now)
    stored.purchases = _recompute(conn, sorted(touched), now)
    checks = [d for d in batch if isinstance(d, UnfairSupplierCheck)]
    entries = [d for d in batch if isinstance(d, UnfairSupplierEntry)] + [
        e for c in checks for e in c.entries
    ]
    newest = {e.registry_number: e for e in sorted(entries, key=lambda e: e.updated_on or date.min)}
    for entry in newest.values():
        _count(stored, store_unfair_entry(conn, entry, source, now))
    for check in checks:
        record_unfair_check(conn, check, today=moscow_date(now))
    return stored


def _ordered(batch: list[ResultDocument], kind: type[Any]) -> list[Any]:
    """The documents of one kind, oldest first, so that the newest of a key wins in a dict."""
    documents = [d for d in batch if isinstance(d, kind)]
    return sorted(documents, key=lambda d: (d.version or 0, d.published_at is not None, d.published_at))


def _newest(by_key: dict[Any, Any]) -> list[Any]:
    return [by_key[key] for key in sorted(by_key)]


def _count(stored: ResultsStored, what: str) -> bool:
    """Count a document as ``new``, ``changed`` or ``unchanged``; whether it changed anything."""
    setattr(stored, what, getattr(stored, what) + 1)
    return what != "unchanged"


def _is_newer(new: ProtocolResult | ContractRecord, version: int | None, published: datetime | None) -> bool:
    """Different versions decide; otherwise (equal, or either missing) a later publication does.
    Unlike a notice (``data.store.plan.is_newer``), a document republished under the same version
    number replaces the stored one; no real sample shows such a republication, the later one is
    simply taken as the current."""
    if new.version is not None and version is not None and new.version != version:
        return new.version > version
    if new.published_at is None or published is None:
        return False
    return new.published_at > published


def _store_document(
    conn: sa.Connection,
    table: sa.Table,
    key: dict[str, str],
    document: ProtocolResult | ContractRecord,
    columns: tuple[str, ...],
    extra: dict[str, Any],
) -> tuple[str, int | None]:
    """Insert the document under ``key``, or replace the stored one if it is newer; ("new" |
    "changed" | "unchanged", the row id, None when unchanged)."""
    where = sa.and_(*(table.c[name] == value for name, value in key.items()))
    row = conn.execute(sa.select(table.c.id, table.c.version, table.c.published_at).where(where)).first()
    values = {name: getattr(document, name) for name in columns} | extra
    if row is None:
        inserted = conn.execute(
            sa.insert(table).values(**key, first_seen_at=extra["changed_at"], **values).returning(table.c.id)
        )
        return "new", inserted.scalar_one()
    if _is_newer(document, row.version, row.published_at):
        conn.execute(table.update().where(table.c.id == row.id).values(**values))
        return "changed", row.id
    return "unchanged", None


def _store_protocol(conn: sa.Connection, protocol: ProtocolResult, source: str | None, now: datetime) -> str:
    key = {"law": protocol.law, "purchase_number": protocol.purchase_number, "document": protocol.document}
    outcome, protocol_id = _store_document(
        conn, PROTOCOLS, key, protocol, _PROTOCOL_COLUMNS, {"source": source, "changed_at": now}
    )
    if protocol_id is None:
        return outcome
    if outcome == "changed":
        conn.execute(PROTOCOL_BIDS.delete().where(PROTOCOL_BIDS.c.protocol_id == protocol_id))
    bids = [
        {"protocol_id": protocol_id, "position": position, **bid.model_dump(include=set(_BID_COLUMNS))}
        for position, bid in enumerate(protocol.bids, start=1)
    ]
    if bids:
        conn.execute(sa.insert(PROTOCOL_BIDS), bids)
    return outcome


def _store_contract(conn: sa.Connection, contract: ContractRecord, source: str | None, now: datetime) -> str:
    key = {"law": contract.law, "reg_number": contract.reg_number}
    extra = {"source": source, "changed_at": now}
    return _store_document(conn, CONTRACTS, key, contract, _CONTRACT_COLUMNS, extra)[0]


def _store_suppliers(
    conn: sa.Connection, protocols: list[ProtocolResult], contracts: list[ContractRecord], now: datetime
) -> None:
    """Every INN the batch names, with its latest name (a contract's name wins over a protocol's)."""
    names: dict[str, str | None] = {}
    for protocol in protocols:
        for bid in protocol.bids:
            if bid.participant_inn:
                names[bid.participant_inn] = bid.participant_name or names.get(bid.participant_inn)
    for contract in contracts:
        if contract.supplier_inn:
            names[contract.supplier_inn] = contract.supplier_name or names.get(contract.supplier_inn)
    rows = [
        {"inn": inn, "name": name, "region": region_from_inn(inn), "first_seen_at": now, "updated_at": now}
        for inn, name in sorted(names.items())
    ]
    if not rows:
        return
    statement = upsert_into(conn, SUPPLIERS)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["inn"],
            set_={
                "name": sa.func.coalesce(statement.excluded.name, SUPPLIERS.c.name),
                "updated_at": statement.excluded.updated_at,
            },
        ),
        rows,
    )


# --- purchase summaries -----------------------------------------------------------------------------


def _recompute(conn: sa.Connection, keys: Sequence[Key], now: datetime) -> int:
    """(Re)write the ``purchase_results`` rows of ``keys`` from what is stored about each purchase."""
    protocols = _load_protocols(conn, keys)
    contracts = _load_contracts(conn, keys)
    notices = _load_notice_facts(conn, keys)
    rows = []
    for key in keys:
        summary = summarize(protocols.get(key, []), contracts.get(key, []), notices.get(key))
        if summary is not None:
            rows.append(_summary_row(key, summary, now))
    if rows:
        statement = upsert_into(conn, PURCHASE_RESULTS)
        updated = {
            name: statement.excluded[name] for name in rows[0] if name not in ("law", "purchase_number")
        }
        conn.execute(
            statement.on_conflict_do_update(index_elements=["law", "purchase_number"], set_=updated), rows
        )
    return len(rows)


def _summary_row(key: Key, summary: PurchaseSummary, now: datetime) -> dict[str, Any]:
    notice = summary.notice or NoticeFacts()
    return {
        "law": key[0],
        "purchase_number": key[1],
        **summary.model_dump(exclude={"notice"}),
        **notice.model_dump(),
        "nmck_band": nmck_band(notice.nmck),
        "notice_linked": summary.notice is not None,
        "updated_at": now,
    }


def _in_keys(law: sa.ColumnElement[Any], number: sa.ColumnElement[Any], chunk: Sequence[Key]) -> Any:
    return sa.tuple_(law, number).in_(list(chunk))


def _load_protocols(conn: sa.Connection, keys: Sequence[Key]) -> dict[Key, list[ProtocolResult]]:
    found: dict[Key, list[ProtocolResult]] = {}
    for chunk in _chunks(keys):
        rows = conn.execute(
            sa.select(PROTOCOLS).where(_in_keys(PROTOCOLS.c.law, PROTOCOLS.c.purchase_number, chunk))
        ).mappings()
        by_id = {row["id"]: row for row in rows}
        bids: dict[int, list[Bid]] = {protocol_id: [] for protocol_id in by_id}
        if by_id:
            query = (
                sa.select(PROTOCOL_BIDS)
                .where(PROTOCOL_BIDS.c.protocol_id.in_(list(by_id)))
                .order_by(PROTOCOL_BIDS.c.protocol_id, PROTOCOL_BIDS.c.position)
            )
            for bid in conn.execute(query).mappings():
                bids[bid["protocol_id"]].append(Bid(**{name: bid[name] for name in _BID_COLUMNS}))
        for protocol_id, row in by_id.items():
            protocol = ProtocolResult(
                law=row["law"],
                purchase_number=row["purchase_number"],
                document=row["document"],
                bids=bids[protocol_id],
                **{name: row[name] for name in _PROTOCOL_COLUMNS},
            )
            found.setdefault((row["law"], row["purchase_number"]), []).append(protocol)
    return found


def _load_contracts(conn: sa.Connection, keys: Sequence[Key]) -> dict[Key, list[ContractRecord]]:
    found: dict[Key, list[ContractRecord]] = {}
    for chunk in _chunks(keys):
        query = sa.select(CONTRACTS).where(_in_keys(CONTRACTS.c.law, CONTRACTS.c.purchase_number, chunk))
        for row in conn.execute(query).mappings():
            record = ContractRecord(
                law=row["law"],
                reg_number=row["reg_number"],
                **{name: row[name] for name in _CONTRACT_COLUMNS},
            )
            found.setdefault((row["law"], row["purchase_number"]), []).append(record)
    return found


def _load_notice_facts(conn: sa.Connection, keys: Sequence[Key]) -> dict[Key, NoticeFacts]:
    found: dict[Key, NoticeFacts] = {}
    columns = (
        NOTICES.c.nmck,
        NOTICES.c.okpd2,
        NOTICES.c.customer_region,
        NOTICES.c.kind,
        NOTICES.c.customer_inn,
    )
    for chunk in _chunks(keys):
        query = sa.select(NOTICES.c.law, NOTICES.c.reg_number, *columns).where(
            _in_keys(NOTICES.c.law, NOTICES.c.reg_number, chunk)
        )
        for row in conn.execute(query).mappings():
            found[(row["law"], row["reg_number"])] = NoticeFacts(
                nmck=row["nmck"],
                okpd2=row["okpd2"][0] if row["okpd2"] else None,
                region=row["customer_region"],
                kind=row["kind"],
                customer_inn=row["customer_inn"],
            )
    return found


RESULT_MILESTONES: tuple[tuple[int, str], ...] = (
    (3, "protocol"),
    (7, "protocol"),
    (17, "contract"),
    (31, "contract"),
)
"""Days after the submission deadline at which a 44-FZ purchase is asked for its results, and
what for. The summary protocol comes within 2 working days of the deadline (Art. 49 ч.5), so at
3 days and, after a weekend or a late commission, again at 7; the contract is signed no earlier
than 10 days after the protocol (Art. 51), so at 17 and again at 31 days. Asking at milestones,
not every day, bounds the cost without remembering who was asked: a purchase crosses each
milestone once, and the result crawl asks for those that crossed one since its last run."""


LATE_RESULT_DAYS = 2 * max(days for days, _ in RESULT_MILESTONES)
"""How far past its deadline a purchase first stored late is still asked for its results (62 days)."""


def purchases_awaiting_results(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    limit: int,
    wanted: Collection[str] = ("protocol", "contract"),
) -> list[str]:
    """Registry numbers of stored 44-FZ purchases that crossed a milestone in (since, until], or
    were first stored in it with a milestone already behind them, and still lack what it is for
    (no protocol stored; no contract stored), not cancelled; those a profile matched or a person
    took first, then by deadline; at most ``limit``. ``wanted``: the milestones' kinds the caller
    can fetch (the site's pages bring protocols only)."""
    deadline = NOTICES.c.submission_deadline
    number = NOTICES.c.reg_number
    no_protocol = ~sa.exists().where(PROTOCOLS.c.law == "44-FZ", PROTOCOLS.c.purchase_number == number)
    no_contract = ~sa.exists().where(CONTRACTS.c.law == "44-FZ", CONTRACTS.c.purchase_number == number)
    # A purchase first stored inside the window whose milestone passed before it (a first crawl,
    # an import) is asked too: no later window would see that milestone cross. Not an old one:
    # results of a purchase more than LATE_RESULT_DAYS past its deadline come with its import.
    stored_late = sa.and_(
        NOTICES.c.first_seen_at > since, deadline > until - timedelta(days=LATE_RESULT_DAYS)
    )
    crossed = [
        sa.and_(
            sa.or_(deadline > since - timedelta(days=days), stored_late),
            deadline <= until - timedelta(days=days),
            no_protocol if kind == "protocol" else no_contract,
        )
        for days, kind in RESULT_MILESTONES
        if kind in wanted
    ]
    ours = our_notice_ids()
    query = (
        sa.select(number, NOTICES.c.status)
        .where(NOTICES.c.law == "44-FZ", sa.or_(*crossed))
        .order_by(NOTICES.c.id.not_in(sa.select(ours.c.id)), deadline, NOTICES.c.id)
    )
    found: list[str] = []
    for reg_number, status in session.connection().execute(query):
        if stage_of(status) is not Stage.CANCELLED:
            found.append(reg_number)
            if len(found) >= limit:
                break
    return found
