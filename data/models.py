"""The tables. One module so the whole schema (and its Alembic migrations) can be read in one place.

Conventions: every table has an integer ``id``; natural keys are UNIQUE constraints (the
database, not the code, guarantees no duplicates when several workers write); money columns are
:class:`~data.types.ExactDecimal`, datetimes :class:`~data.types.UTCDateTime`; lists are JSON.
Telegram ids are BIGINT (supergroup ids exceed 32 bits).
"""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field
from sqlmodel import SQLModel

from data.types import ExactDecimal
from data.types import JSONData
from data.types import UTCDateTime

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

OUTBOX_KINDS = ("alert", "change", "reminder", "digest", "near_miss")
OUTBOX_STATUSES = ("pending", "claimed", "sent", "failed", "parked")
CRAWL_OUTCOMES = ("running", "ok", "partial", "failed")
DECISION_ACTIONS = ("take", "skip")
RESULT_OUTCOMES = ("winner", "single_application", "no_applications", "all_rejected", "offers")
"""``data.results.Outcome``, as the database checks it."""
PROFILE_ORIGINS = ("settings", "db")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _money(**kw: Any) -> Any:
    return Field(default=None, sa_type=ExactDecimal, **kw)


def _when(*, nullable: bool = True, index: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, index=index)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=index)


def _json_list() -> Any:
    return Field(default_factory=list, sa_type=JSONData, nullable=False)


def _fk(target: str) -> Any:
    return Field(sa_column_args=[sa.ForeignKey(target, ondelete="CASCADE")], nullable=False, index=False)


def _check_in(column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_allowed")


class NoticeRow(SQLModel, table=True):
    """A notice as last stored: every ``data.notice.Notice`` field is a column (items in notice_items)."""

    __tablename__ = "notices"
    __table_args__ = (
        sa.UniqueConstraint("law", "reg_number"),
        _check_in("completeness", ("card", "listing")),
    )

    id: int | None = Field(default=None, primary_key=True)
    law: str = Field(max_length=8)
    reg_number: str = Field(max_length=64)
    version: int | None = None
    method_code: str | None = None
    method: str | None = None
    kind: str = Field(default="other", max_length=32, index=True)
    title: str = Field(default="", sa_type=sa.Text)
    status: str | None = None
    customer_name: str | None = Field(default=None, sa_type=sa.Text)
    customer_inn: str | None = Field(default=None, max_length=12, index=True)
    customer_region: str | None = Field(default=None, max_length=2, index=True)
    delivery_places: list[str] = _json_list()
    delivery_regions: list[str] = _json_list()
    nmck: Decimal | None = _money()
    currency: str | None = Field(default=None, max_length=8)
    okpd2: list[str] = _json_list()
    ktru: list[str] = _json_list()
    published_at: datetime | None = _when(index=True)
    updated_at: datetime | None = _when(index=True)
    submission_deadline: datetime | None = _when(index=True)
    auction_date: date | None = None
    bid_security: Decimal | None = _money()
    bid_security_percent: Decimal | None = _money()
    contract_security: Decimal | None = _money()
    contract_security_percent: Decimal | None = _money()
    smp_only: bool = False
    preferences: list[str] = _json_list()
    etp_name: str | None = None
    etp_url: str | None = None
    ikz: str | None = Field(default=None, max_length=64)
    url: str | None = Field(default=None, sa_type=sa.Text)
    source: str | None = None
    completeness: str = Field(default="card", max_length=8)
    updated_day_only: bool = False
    notes: list[str] = _json_list()
    first_seen_at: datetime = _when(nullable=False)
    """When this notice was first stored (by any source)."""
    changed_at: datetime = _when(nullable=False)
    """When the stored content last changed (first store, newer version, listing fill)."""


class NoticeItemRow(SQLModel, table=True):
    """One position of a notice; the set is replaced whenever the notice's content is replaced."""

    __tablename__ = "notice_items"
    __table_args__ = (sa.UniqueConstraint("notice_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = _fk("notices.id")
    position: int
    name: str = Field(sa_type=sa.Text)
    okpd2: str | None = Field(default=None, index=True)
    ktru: str | None = None
    quantity: Decimal | None = _money()
    unit: str | None = None
    price: Decimal | None = _money()
    sum: Decimal | None = _money()


class NoticeChange(SQLModel, table=True):
    """One field of one notice that changed: old and new value as JSON (items compared as a whole)."""

    __tablename__ = "notice_changes"
    __table_args__ = (sa.Index(None, "notice_id", "changed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = _fk("notices.id")
    field: str = Field(max_length=64)
    old_value: Any = Field(default=None, sa_type=JSONData, nullable=True)
    new_value: Any = Field(default=None, sa_type=JSONData, nullable=True)
    old_version: int | None = None
    new_version: int | None = None
    changed_at: datetime = _when(nullable=False)
    source: str | None = None


class CrawlRun(SQLModel, table=True):
    """One crawl of one source: what it fetched, what it stored, how it ended."""

    __tablename__ = "crawl_runs"
    __table_args__ = (sa.Index(None, "source", "started_at"), _check_in("outcome", CRAWL_OUTCOMES))

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64)
    arguments: dict[str, Any] = Field(default_factory=dict, sa_type=JSONData, nullable=False)
    started_at: datetime = _when(nullable=False)
    finished_at: datetime | None = _when()
    requests: int = 0
    """Every request sent, retries included."""
    logical_requests: int | None = None
    """List and card requests as the spider asked for them, retries not counted: what the crawl's
    own error rate is taken over (None on runs recorded before revision 0005)."""
    pages: int = 0
    notices_new: int = 0
    notices_changed: int = 0
    notices_unchanged: int = 0
    errors: int = 0
    errors_by_kind: dict[str, int] = Field(default_factory=dict, sa_type=JSONData, nullable=False)
    outcome: str = Field(default="running", max_length=16)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    owner: str | None = Field(default=None, max_length=160)
    """The process running the crawl (``data.process`` identity): a run whose owner is gone is closed."""
    heartbeat_at: datetime | None = _when()
    """Last sign of life: each stored batch and the progress ticks move it."""
    listing_complete: bool | None = None
    """Whether the crawl read its listing to the end (False: entries were left unlisted)."""


class CrawlState(SQLModel, table=True):
    """The crawler's high-water mark: newest ``updated_at`` seen per source and search, moved only
    by a crawl that read its whole listing (a partial crawl leaves it for the next one to redo)."""

    __tablename__ = "crawl_state"
    __table_args__ = (sa.UniqueConstraint("source", "search_key"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64)
    search_key: str = Field(default="", max_length=255)
    high_water: datetime | None = _when()
    updated_at: datetime = _when(nullable=False)


class ProfileRow(SQLModel, table=True):
    """A capability profile (the spec is the matcher's input); from settings.toml or created in the bot."""

    __tablename__ = "profiles"
    __table_args__ = (_check_in("origin", PROFILE_ORIGINS),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128, sa_column_kwargs={"unique": True})
    spec: dict[str, Any] = Field(default_factory=dict, sa_type=JSONData, nullable=False)
    origin: str = Field(default="settings", max_length=16)
    active: bool = True
    owner_user_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    """The Telegram user whose personal filter this is (made in the bot); None: a shared profile."""
    created_at: datetime = _when(nullable=False)
    updated_at: datetime = _when(nullable=False)


class MatchRow(SQLModel, table=True):
    """The matcher's verdict for one (notice, profile): kept for misses too, with near-miss reasons."""

    __tablename__ = "matches"
    __table_args__ = (
        sa.UniqueConstraint("notice_id", "profile_id"),
        sa.Index(None, "profile_id", "matched"),
    )

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = _fk("notices.id")
    profile_id: int = _fk("profiles.id")
    matched: bool
    score: float = 0.0
    reasons: list[Any] = _json_list()
    near_miss: list[Any] = _json_list()
    notice_version: int | None = None
    created_at: datetime = _when(nullable=False)
    updated_at: datetime = _when(nullable=False)


class NearMissRow(SQLModel, table=True):
    """A notice a profile nearly matched by meaning (``bidder.near_miss``): only its words failed,
    and a title word lies close to one of its keywords. Kept apart from ``matches``: a near miss
    never alerts as a match."""

    __tablename__ = "near_misses"
    __table_args__ = (sa.UniqueConstraint("notice_id", "profile_id"), sa.Index(None, "created_at"))

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = _fk("notices.id")
    profile_id: int = _fk("profiles.id")
    similarity: float
    keyword: str = Field(max_length=256)
    word: str = Field(max_length=128)
    created_at: datetime = _when(nullable=False)
    updated_at: datetime = _when(nullable=False)


class NoticePlaceRow(SQLModel, table=True):
    """A delivery region read from a notice's words (``bidder.places``): where a head office buys for
    a branch («для филиала … в г. Новосибирске», «Смоленской АЭС»). Written by the match run for the
    regions that replaced the card's (none, or only the customer's own); the card's own
    ``delivery_regions`` stay as published."""

    __tablename__ = "notice_places"
    __table_args__ = (sa.UniqueConstraint("notice_id", "region"),)

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = _fk("notices.id")
    region: str = Field(max_length=2)
    source: str = Field(max_length=16)
    """Where the words stand: ``title`` or ``position`` (a position's name)."""
    words: str = Field(max_length=256)
    """The words that name the place, as the notice writes them («Новосибирске»)."""
    found_at: datetime = _when(nullable=False)


CONSOLE_CHAT = 0
"""The chat id of alerts printed to the console: without a Telegram token and without default
chats, a profile's alerts go there (no Telegram chat has id 0)."""


class ChatRow(SQLModel, table=True):
    """A Telegram chat the bot talks to (private chat or group)."""

    __tablename__ = "chats"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=sa.BigInteger, sa_column_kwargs={"unique": True})
    type: str = Field(default="private", max_length=16)
    title: str | None = None
    active: bool = True
    muted: bool = False
    allowed: bool = False
    migrated_to_chat_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    added_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    paused_profiles: list[str] = _json_list()
    created_at: datetime = _when(nullable=False)
    updated_at: datetime = _when(nullable=False)


class AllowedUser(SQLModel, table=True):
    """A Telegram user admitted to the bot besides those listed in settings."""

    __tablename__ = "allowed_users"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_type=sa.BigInteger, sa_column_kwargs={"unique": True})
    added_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    added_at: datetime = _when(nullable=False)


class OutboxRow(SQLModel, table=True):
    """A message to send, unique per (notice, chat, kind, event): the notifier never sends one twice.

    ``event_key`` is '' for the first alert, a version/deadline stamp for a change, the offset
    ("3d", "3h") for a reminder.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        sa.UniqueConstraint("notice_id", "chat_id", "kind", "event_key"),
        sa.Index(None, "chat_id", "status", "not_before"),
        sa.Index(None, "status", "not_before"),
        _check_in("kind", OUTBOX_KINDS),
        _check_in("status", OUTBOX_STATUSES),
    )

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = _fk("notices.id")
    chat_id: int = _fk("chats.id")
    kind: str = Field(max_length=16)
    event_key: str = Field(default="", max_length=64)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    not_before: datetime | None = _when()
    claimed_at: datetime | None = _when()
    claim_token: str | None = Field(default=None, max_length=64)
    claim_owner: str | None = Field(default=None, max_length=160)
    """The notifier process holding the claim: a restart takes back at once what a dead one held."""
    sent_at: datetime | None = _when()
    message_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONData, nullable=False)
    created_at: datetime = _when(nullable=False)
    updated_at: datetime = _when(nullable=False)


class DecisionRow(SQLModel, table=True):
    """A person's current triage decision on a notice in a chat (re-pressing a button updates it)."""

    __tablename__ = "decisions"
    __table_args__ = (
        sa.UniqueConstraint("notice_id", "chat_id", "user_id"),
        sa.Index(None, "action", "decided_at"),
        _check_in("action", DECISION_ACTIONS),
    )

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = _fk("notices.id")
    chat_id: int = _fk("chats.id")
    user_id: int = Field(sa_type=sa.BigInteger)
    user_name: str | None = None
    action: str = Field(max_length=8)
    decided_at: datetime = _when(nullable=False)


class ProtocolRow(SQLModel, table=True):
    """One protocol of one purchase as last stored (its applications in ``protocol_bids``).

    Keyed by purchase and document type: a newer version of the same protocol replaces it; the
    offers protocol and the summary protocol of one auction are two rows. No foreign key to
    ``notices``: a protocol may arrive before its notice and is linked by number."""

    __tablename__ = "protocols"
    __table_args__ = (
        sa.UniqueConstraint("law", "purchase_number", "document"),
        _check_in("outcome", RESULT_OUTCOMES),
    )

    id: int | None = Field(default=None, primary_key=True)
    law: str = Field(max_length=8)
    purchase_number: str = Field(max_length=64)
    document: str = Field(max_length=64)
    doc_id: str | None = Field(default=None, max_length=64)
    version: int | None = None
    published_at: datetime | None = _when()
    outcome: str = Field(max_length=24)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    url: str | None = Field(default=None, sa_type=sa.Text)
    notes: list[str] = _json_list()
    source: str | None = None
    first_seen_at: datetime = _when(nullable=False)
    changed_at: datetime = _when(nullable=False)
    """When the stored protocol last changed: its first store, or a newer version of it that
    replaced the row and its applications."""


class BidRow(SQLModel, table=True):
    """One application of a stored protocol; the set is replaced with its protocol, so a newer
    version with fewer applications leaves none of the old ones behind."""

    __tablename__ = "protocol_bids"
    __table_args__ = (sa.UniqueConstraint("protocol_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    protocol_id: int = _fk("protocols.id")
    position: int
    app_number: str | None = Field(default=None, max_length=64)
    participant_inn: str | None = Field(default=None, max_length=12, index=True)
    participant_name: str | None = Field(default=None, sa_type=sa.Text)
    price: Decimal | None = _money()
    admitted: bool | None = None
    rank: int | None = None


class ContractRow(SQLModel, table=True):
    """A contract from the 44-FZ contract registry or the 223-FZ contract register, as last stored.

    Linked to its purchase by ``purchase_number``, not by a foreign key: the contract may arrive
    before the notice, or without one (a purchase from a single supplier publishes none)."""

    __tablename__ = "contracts"
    __table_args__ = (sa.UniqueConstraint("law", "reg_number"),)

    id: int | None = Field(default=None, primary_key=True)
    law: str = Field(max_length=8)
    reg_number: str = Field(max_length=64)
    purchase_number: str | None = Field(default=None, max_length=64, index=True)
    version: int | None = None
    signed_on: date | None = None
    published_at: datetime | None = _when()
    price: Decimal | None = _money()
    currency: str | None = Field(default=None, max_length=8)
    url: str | None = Field(default=None, sa_type=sa.Text)
    customer_inn: str | None = Field(default=None, max_length=12, index=True)
    customer_name: str | None = Field(default=None, sa_type=sa.Text)
    supplier_inn: str | None = Field(default=None, max_length=12, index=True)
    supplier_name: str | None = Field(default=None, sa_type=sa.Text)
    notes: list[str] = _json_list()
    source: str | None = None
    first_seen_at: datetime = _when(nullable=False)
    changed_at: datetime = _when(nullable=False)
    """When the stored contract last changed: its first store, or a newer version of it from the
    registry that replaced it."""


class SupplierRow(SQLModel, table=True):
    """A company or entrepreneur seen in a protocol or a contract: its latest name and its region,
    one row per INN whatever names its documents used."""

    __tablename__ = "suppliers"

    id: int | None = Field(default=None, primary_key=True)
    inn: str = Field(max_length=12, sa_column_kwargs={"unique": True})
    name: str | None = Field(default=None, sa_type=sa.Text)
    region: str | None = Field(default=None, max_length=2)
    """The subject code the INN was issued in (its first two digits)."""
    first_seen_at: datetime = _when(nullable=False)
    updated_at: datetime = _when(nullable=False)


class UnfairSupplierRow(SQLModel, table=True):
    """An entry of the register of unfair suppliers (РНП), as last read (``UnfairSupplierEntry``)."""

    __tablename__ = "unfair_suppliers"

    id: int | None = Field(default=None, primary_key=True)
    registry_number: str = Field(max_length=32, sa_column_kwargs={"unique": True})
    listed_under: str = Field(max_length=32)
    inn: str = Field(max_length=12, index=True)
    name: str | None = Field(default=None, sa_type=sa.Text)
    included_on: date | None = None
    updated_on: date | None = None
    exclusion_planned_on: date | None = None
    status: str | None = Field(default=None, max_length=32)
    eruz_number: str | None = Field(default=None, max_length=32)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    url: str | None = Field(default=None, sa_type=sa.Text)
    source: str | None = Field(default=None, max_length=32)
    first_seen_at: datetime = _when(nullable=False)
    updated_at: datetime = _when(nullable=False)


class UnfairCheckRow(SQLModel, table=True):
    """When an INN was last looked up in the register of unfair suppliers, and how many entries in
    force it had then (0: not in it)."""

    __tablename__ = "unfair_checks"

    id: int | None = Field(default=None, primary_key=True)
    inn: str = Field(max_length=12, sa_column_kwargs={"unique": True})
    checked_at: datetime = _when(nullable=False)
    entries: int = 0


class PurchaseResultRow(SQLModel, table=True):
    """How one purchase ended, summed up from its protocols, its contract and its notice.

    One row per purchase, recomputed whenever one of them arrives, so the segment statistics
    are plain aggregations over one table. The notice's columns (``nmck`` ... ``customer_inn``)
    stay empty until the notice is stored (``notice_linked``)."""

    __tablename__ = "purchase_results"
    __table_args__ = (
        sa.UniqueConstraint("law", "purchase_number"),
        sa.Index(None, "notice_linked"),
        sa.Index(None, "kind", "nmck_band", "region"),
        _check_in("outcome", RESULT_OUTCOMES),
    )

    id: int | None = Field(default=None, primary_key=True)
    law: str = Field(max_length=8)
    purchase_number: str = Field(max_length=64)
    outcome: str = Field(max_length=24)
    applications: int | None = None
    """None when only a contract is known (its rivals are not)."""
    admitted: int | None = None
    winner_price: Decimal | None = _money()
    winner_inn: str | None = Field(default=None, max_length=12, index=True)
    winner_name: str | None = Field(default=None, sa_type=sa.Text)
    runner_up_price: Decimal | None = _money()
    contract_reg_number: str | None = Field(default=None, max_length=64)
    contract_price: Decimal | None = _money()
    final_price: Decimal | None = _money()
    """The contract's price when one is stored, else the winner's price."""
    discount_bp: int | None = None
    """The final price's discount from the NMCK in hundredths of a percent (``data.results.discount_bp``)."""
    decided_at: datetime | None = _when()
    """When the deciding protocol (or, without one, the contract) was published."""
    nmck: Decimal | None = _money()
    okpd2: str | None = Field(default=None, max_length=32)
    region: str | None = Field(default=None, max_length=2)
    kind: str | None = Field(default=None, max_length=32)
    nmck_band: int | None = None
    """Index of the NMCK's band in ``data.results.NMCK_BANDS``."""
    customer_inn: str | None = Field(default=None, max_length=12, index=True)
    notice_linked: bool = False
    updated_at: datetime = _when(nullable=False)


def table_of(model: type[SQLModel]) -> sa.Table:
    """A model's Core table, for typed queries.

    To a type checker SQLModel's class attributes are the Python values they hold (``OutboxRow.id``
    is an ``int | None``, so ``OutboxRow.id.in_(...)`` does not type-check); the table's columns
    (``OUTBOX.c.id.in_(...)``) are SQL expressions to it as they are at run time.
    """
    table = model.__table__  # type: ignore[attr-defined]  # set by SQLModel's metaclass, not in its stubs
    assert isinstance(table, sa.Table)
    return table


NOTICES = table_of(NoticeRow)
NOTICE_ITEMS = table_of(NoticeItemRow)
NOTICE_CHANGES = table_of(NoticeChange)
CRAWL_RUNS = table_of(CrawlRun)
CRAWL_STATE = table_of(CrawlState)
PROFILES = table_of(ProfileRow)
MATCHES = table_of(MatchRow)
NEAR_MISSES = table_of(NearMissRow)
NOTICE_PLACES = table_of(NoticePlaceRow)
CHATS = table_of(ChatRow)
ALLOWED_USERS = table_of(AllowedUser)
OUTBOX = table_of(OutboxRow)
DECISIONS = table_of(DecisionRow)
PROTOCOLS = table_of(ProtocolRow)
PROTOCOL_BIDS = table_of(BidRow)
CONTRACTS = table_of(ContractRow)
SUPPLIERS = table_of(SupplierRow)
UNFAIR_SUPPLIERS = table_of(UnfairSupplierRow)
UNFAIR_CHECKS = table_of(UnfairCheckRow)
PURCHASE_RESULTS = table_of(PurchaseResultRow)
