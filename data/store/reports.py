"""The reads behind the bid managers' reports (``bidder.reports``): rows only, no shaping.

Each report module decides what to show; the queries it needs are here, so all SQL of the
product lives in ``data``. Lists of ids are queried in chunks of ``KEYS_PER_QUERY`` (bound
parameters are limited on both backends).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session
from sqlmodel import select

from data.models import CRAWL_RUNS
from data.models import DECISIONS
from data.models import MATCHES
from data.models import NEAR_MISSES
from data.models import NOTICES
from data.models import PROFILES
from data.models import CrawlRun
from data.models import DecisionRow
from data.models import MatchRow
from data.models import NearMissRow
from data.models import NoticeRow
from data.models import ProfileRow
from data.store.near_misses import matched_by_rules
from data.store.rows import _chunks


def decisions_of(session: Session, notice_ids: Iterable[int]) -> dict[int, list[DecisionRow]]:
    """Every decision on these notices, oldest first per notice."""
    found: dict[int, list[DecisionRow]] = defaultdict(list)
    for chunk in _chunks(sorted(set(notice_ids))):
        query = (
            select(DecisionRow)
            .where(DECISIONS.c.notice_id.in_(chunk))
            .order_by(DECISIONS.c.decided_at, DECISIONS.c.id)
        )
        for row in session.exec(query):
            found[row.notice_id].append(row)
    return found


def takes(session: Session) -> list[tuple[DecisionRow, NoticeRow]]:
    """Every «take» with its notice, oldest first."""
    query = (
        select(DecisionRow, NoticeRow)
        .join(NoticeRow, NOTICES.c.id == DECISIONS.c.notice_id)
        .where(DECISIONS.c.action == "take")
        .order_by(DECISIONS.c.decided_at, DECISIONS.c.id)
    )
    return list(session.exec(query))


def notices_due(session: Session, *, after: datetime, until: datetime) -> dict[int, NoticeRow]:
    """Notices whose submission deadline is in (``after``, ``until``], by id."""
    window = (NOTICES.c.submission_deadline > after) & (NOTICES.c.submission_deadline <= until)
    return {n.id: n for n in session.exec(select(NoticeRow).where(window)) if n.id is not None}


def notices_published(session: Session, *, start: datetime | None, end: datetime | None) -> list[NoticeRow]:
    """Notices published in [``start``, ``end``) (an open end for ``None``), oldest first."""
    query = select(NoticeRow).order_by(NOTICES.c.published_at, NOTICES.c.id)
    if start is not None:
        query = query.where(NOTICES.c.published_at >= start)
    if end is not None:
        query = query.where(NOTICES.c.published_at < end)
    return list(session.exec(query))


def notices_numbered(session: Session, reg_numbers: Sequence[str]) -> list[NoticeRow]:
    """The notices with these registry numbers (under either law)."""
    found: list[NoticeRow] = []
    for chunk in _chunks(sorted(set(reg_numbers))):
        found += session.exec(select(NoticeRow).where(NOTICES.c.reg_number.in_(chunk)))
    return found


def matched_profiles(session: Session, notice_ids: Sequence[int]) -> dict[int, list[str]]:
    """Notice id -> the names of the active profiles it matches, by name."""
    found: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(sorted(notice_ids)):
        query = (
            select(MATCHES.c.notice_id, PROFILES.c.name)
            .join(ProfileRow, PROFILES.c.id == MATCHES.c.profile_id)
            .where(
                MATCHES.c.notice_id.in_(chunk),
                MATCHES.c.matched == sa.true(),
                PROFILES.c.active == sa.true(),
            )
            .order_by(PROFILES.c.name)
        )
        for notice_id, name in session.exec(query):
            found[notice_id].append(name)
    return found


def profile_names(session: Session) -> list[str]:
    """Every stored profile's name, active or not."""
    return list(session.exec(select(PROFILES.c.name).order_by(PROFILES.c.name)))


def matches_found(
    session: Session, *, start: datetime | None, end: datetime | None, profile: str | None
) -> list[tuple[MatchRow, NoticeRow, str]]:
    """Matches the matcher found in [``start``, ``end``) (of ``profile`` alone when given), newest
    first, with their notice and profile name."""
    query = (
        select(MatchRow, NoticeRow, PROFILES.c.name)
        .join(NoticeRow, NOTICES.c.id == MATCHES.c.notice_id)
        .join(ProfileRow, PROFILES.c.id == MATCHES.c.profile_id)
        .where(MATCHES.c.matched == sa.true(), *_found_in(MATCHES.c.created_at, start, end, profile))
        .order_by(MATCHES.c.created_at.desc(), MATCHES.c.id.desc())
    )
    return list(session.exec(query))


def near_misses_found(
    session: Session, *, start: datetime | None, end: datetime | None, profile: str | None
) -> list[tuple[NearMissRow, NoticeRow, str]]:
    """Near misses found in [``start``, ``end``) of active profiles (of ``profile`` alone when
    given), closest first within each day found, none that the profile matches by its rules."""
    query = (
        select(NearMissRow, NoticeRow, PROFILES.c.name)
        .join(NoticeRow, NOTICES.c.id == NEAR_MISSES.c.notice_id)
        .join(ProfileRow, PROFILES.c.id == NEAR_MISSES.c.profile_id)
        .where(
            PROFILES.c.active == sa.true(),
            ~matched_by_rules(),
            *_found_in(NEAR_MISSES.c.created_at, start, end, profile),
        )
        .order_by(NEAR_MISSES.c.created_at.desc(), NEAR_MISSES.c.similarity.desc(), NEAR_MISSES.c.id)
    )
    return list(session.exec(query))


def _found_in(
    found: sa.ColumnElement[Any], start: datetime | None, end: datetime | None, profile: str | None
) -> list[sa.ColumnElement[bool]]:
    """Conditions: ``found`` in [``start``, ``end``), the profile named ``profile`` (``None``: any)."""
    conditions: list[sa.ColumnElement[bool]] = []
    if start is not None:
        conditions.append(found >= start)
    if end is not None:
        conditions.append(found < end)
    if profile is not None:
        conditions.append(PROFILES.c.name == profile)
    return conditions


def latest_crawl_runs(session: Session, *, last: int, source: str | None) -> list[CrawlRun]:
    """The last ``last`` runs of every source (or of ``source``), by source, newest run first."""
    table = CRAWL_RUNS
    rank = sa.func.row_number().over(partition_by=table.c.source, order_by=table.c.started_at.desc())
    ranked = sa.select(table.c.id, rank.label("rank"))
    if source is not None:
        ranked = ranked.where(table.c.source == source)
    ranked_q = ranked.subquery()
    query = (
        select(CrawlRun)
        .join(ranked_q, ranked_q.c.id == CRAWL_RUNS.c.id)
        .where(ranked_q.c.rank <= last)
        .order_by(CRAWL_RUNS.c.source, CRAWL_RUNS.c.started_at.desc(), CRAWL_RUNS.c.id.desc())
    )
    return list(session.exec(query))


def crawl_sources(session: Session) -> list[str]:
    """The sources that have stored runs."""
    return list(session.exec(select(CRAWL_RUNS.c.source).distinct()))
