"""How a stored notice is updated, decided without a database (pure, so it is tested on its own).

* a card replaces a stored card only when it is newer: higher ``version``, or, when either
  side has no version, a later ``updated_at``; equal or older changes nothing;
* a card replaces a stored listing (it is the fuller document) unless its version is lower;
* a listing never overwrites a card: it may fill fields the card left empty and may update
  ``status`` (cards do not carry the stage), unless it is older than what is stored; a listing
  never moves the stored version/updated_at, so the crawler still fetches the changed card;
* a card without a status keeps the stored status (again: cards do not carry the stage).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import time
from typing import Any

from data.notice import MOSCOW
from data.notice import Notice
from data.notice import NoticeItem

Key = tuple[str, str]


NOTICE_COLUMNS = tuple(name for name in Notice.model_fields if name != "items")
BOOKKEEPING_FIELDS = frozenset(
    {"law", "reg_number", "version", "updated_at", "updated_day_only", "source", "completeness", "notes"}
)
TRACKED_FIELDS = tuple(name for name in Notice.model_fields if name not in BOOKKEEPING_FIELDS)
"""Fields whose changes are history worth recording (and notifying): everything but bookkeeping."""
CARD_AUTHORITATIVE = frozenset({"kind", "smp_only", "notes"})
"""Fields a listing may not fill into a card: the card's default value is a statement, not a gap
(and a listing's notes, such as "dates only", describe the listing, not the card)."""
ITEM_FIELDS = tuple(NoticeItem.model_fields)
DATETIME_FIELDS = ("published_at", "updated_at", "submission_deadline")
KEYS_PER_QUERY = 500
"""Keeps ``(law, reg_number) IN (...)`` lists well under every backend's parameter limit."""
MAX_BATCH_ATTEMPTS = 3
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "23505"})
"""Serialization failure, deadlock, unique violation: another writer raced us; the batch is retried."""


@dataclass
class UpsertResult:
    """What a batch did; ids and keys of new and changed notices are what the matcher runs on."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    new_keys: list[Key] = field(default_factory=list)
    changed_keys: list[Key] = field(default_factory=list)
    new_ids: list[int] = field(default_factory=list)
    changed_ids: list[int] = field(default_factory=list)

    def add(self, other: UpsertResult) -> None:
        """Accumulate another batch's result into this one (imports and crawls span many batches)."""
        self.new += other.new
        self.changed += other.changed
        self.unchanged += other.unchanged
        self.new_keys += other.new_keys
        self.changed_keys += other.changed_keys
        self.new_ids += other.new_ids
        self.changed_ids += other.changed_ids


def is_newer(incoming: Notice, stored: Notice) -> bool:
    """Version decides when both sides have one; otherwise a later ``updated_at``; unknown is not newer."""
    if incoming.version is not None and stored.version is not None:
        return incoming.version > stored.version
    if incoming.updated_at is not None and stored.updated_at is not None:
        return incoming.updated_at > stored.updated_at
    return False


def is_older(incoming: Notice, stored: Notice, *, by_version_only: bool = False) -> bool:
    if incoming.version is not None and stored.version is not None:
        return incoming.version < stored.version
    if by_version_only:
        return False
    if incoming.updated_at is not None and stored.updated_at is not None:
        return incoming.updated_at < stored.updated_at
    return False


def _rank(notice: Notice) -> tuple[int, int, datetime | None]:
    return (
        -1 if notice.version is None else notice.version,
        1 if notice.completeness == "card" else 0,
        notice.updated_at,
    )


def dedupe(notices: Iterable[Notice]) -> dict[Key, Notice]:
    """One notice per key: the highest version, then a card over a listing, then the latest update."""
    best: dict[Key, Notice] = {}
    for notice in notices:
        current = best.get(notice.key)
        if current is None or _newer_rank(_rank(notice), _rank(current)):
            best[notice.key] = notice
    return best


def _newer_rank(a: tuple[int, int, datetime | None], b: tuple[int, int, datetime | None]) -> bool:
    if a[:2] != b[:2]:
        return a[:2] > b[:2]
    return a[2] is not None and (b[2] is None or a[2] > b[2])


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value is False


def _fill(stored: Notice, incoming: Notice, *, overwrite: bool) -> Notice:
    """``stored`` with the gaps filled from ``incoming`` (everything it carries, if ``overwrite``)."""
    updates: dict[str, Any] = {}
    for name in (*TRACKED_FIELDS, "notes"):
        new = getattr(incoming, name)
        if _is_empty(new) or (name == "kind" and new == "other"):
            continue
        if stored.completeness == "card" and name in CARD_AUTHORITATIVE:
            continue
        old = getattr(stored, name)
        if overwrite or name == "status" or _is_empty(old) or (name == "kind" and old == "other"):
            updates[name] = new
    if overwrite:
        updates.update(version=incoming.version, updated_at=incoming.updated_at, source=incoming.source)
    return stored.model_copy(update=updates)


def plan_update(stored: Notice, incoming: Notice) -> Notice:
    """What should be stored for ``stored`` after seeing ``incoming`` (``stored`` itself if nothing)."""
    if incoming.completeness == "card":
        if stored.completeness == "listing" and not is_older(incoming, stored, by_version_only=True):
            return _keep_stage(incoming, stored)
        if stored.completeness == "card" and is_newer(incoming, stored):
            return _keep_stage(incoming, stored)
        if stored.completeness == "listing":
            return _fill(stored, incoming, overwrite=False)
        return stored
    if is_older(incoming, stored) and not _same_day_listing(incoming, stored):
        return stored
    overwrite = stored.completeness == "listing" and is_newer(incoming, stored)
    return _fill(stored, incoming, overwrite=overwrite)


def _keep_stage(card: Notice, stored: Notice) -> Notice:
    """A new card keeps what cards do not carry (the stage) and the first publication time.

    Each version's XML gives its own publication moment; ``published_at`` means when the purchase
    first appeared, and the version's moment is ``updated_at`` (otherwise every revision would
    raise a "published_at changed" alert).
    """
    updates: dict[str, Any] = {}
    if card.status is None and stored.status is not None:
        updates["status"] = stored.status
    first = stored.published_at
    if first is not None and (card.published_at is None or first < card.published_at):
        updates["published_at"] = first
    return card.model_copy(update=updates) if updates else card


def _same_day_listing(incoming: Notice, stored: Notice) -> bool:
    """A search-page listing dated only by day (00:00 Moscow) on the stored update's own day.

    Such a listing cannot be placed before or after the stored card within that day, and the page
    shows the stage as it is now: its stage (e.g. a same-day cancellation) must not be dropped.
    """
    when, then = incoming.updated_at, stored.updated_at
    if incoming.completeness != "listing" or when is None or then is None:
        return False
    local = when.astimezone(MOSCOW)
    return local.time() == time(0) and local.date() == then.astimezone(MOSCOW).date()


def changed_fields(old: Notice, new: Notice) -> list[str]:
    """Tracked fields whose values differ (aware datetimes compare as instants, Decimals as numbers)."""
    return [name for name in TRACKED_FIELDS if getattr(old, name) != getattr(new, name)]


def differing_columns(old: Notice, new: Notice) -> list[str]:
    """Stored columns (bookkeeping too) whose values differ: what an update has to write."""
    before, after = old.__dict__, new.__dict__  # a pydantic model's field values, read without getattr
    return [name for name in NOTICE_COLUMNS if before[name] != after[name]]
