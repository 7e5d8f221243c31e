"""A match run: profiles into the database, new and changed notices through the compiled matcher.

Verdicts are stored once per (notice, profile) in ``matches``:

* a match is inserted once; a later run that reaches the same verdict with the same reasons
  writes nothing (so re-running is free and alerts are not re-triggered);
* a notice that changed and matches for other reasons gets its reasons updated;
* a notice that matched before and no longer does (price raised, deadline moved, text changed) is
  recorded as ``matched = false`` with the near-miss reasons, so the change is visible;
* a notice that never matched a profile gets no row for it: rows for every non-matching pair
  would be notices x profiles.

Profiles come from the settings (``origin = "settings"``, synced on every run: added, updated,
deactivated when removed from the file) and from the database (``origin = "db"``, e.g. created in
the bot). A settings profile takes over a database profile of the same name.

Which notices: those whose content changed at or after the matcher's high-water mark (kept in
``crawl_state`` under the source ``"match"``) minus ``OVERLAP``, or after ``since`` when given.
``changed_at`` is the writer's clock before its commit, so a batch committed late (a parallel crawl,
a scale-out worker) can carry a ``changed_at`` older than a mark another run has already moved
past; re-reading the overlap window catches it, and re-matching a notice that did not change
writes nothing. The mark moves only past whole groups of equal ``changed_at``, so a notice at or
below it has been through a run: the summary counts notices past the mark plus those whose
verdict changed, and a re-run with nothing new reports 0.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bidder.embeddings import EmbeddingError
from bidder.matcher import CompiledMatcher
from bidder.matcher import Explanation
from bidder.matcher import NoticeView
from bidder.matcher import analyze
from bidder.matcher import compile_profiles
from bidder.near_miss import NearMissFinder
from bidder.profiles import Profile
from bidder.profiles import validate_profiles
from data.db import session_scope
from data.notice import Notice
from data.store import advance_high_water
from data.store import get_high_water
from data.store import notices_changed_since
from data.store import profiles as stored_profiles
from data.store.matches import Verdict
from data.store.matches import stored_verdicts
from data.store.matches import write_verdict
from data.store.near_misses import NearMissFound
from data.store.near_misses import replace_near_misses
from data.store.places import places_of
from data.store.places import replace_notice_places

log = logging.getLogger(__name__)

HIGH_WATER_SOURCE = "match"
OVERLAP = timedelta(minutes=10)
"""How far behind the mark a run re-reads: longer than any crawl transaction stays open."""


@dataclass
class MatchRunReport:
    """What one run did; ``summary`` is what the CLI prints."""

    notices: int = 0
    """Notices new since the last run's mark, or whose stored verdict changed in this run."""
    scanned: int = 0
    """Notices read, the overlap window included."""
    new: int = 0
    """Verdicts written for the first time; ``updated``: a stored match that still matches, with
    other reasons or score; ``unmatched``: a stored match that matches no more."""
    updated: int = 0
    unmatched: int = 0
    unchanged: int = 0
    near_misses: int = 0
    """New near misses by meaning (``bidder.near_miss``), kept apart from the matches."""
    since: datetime | None = None
    profile_errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        since = self.since.isoformat() if self.since else "the beginning"
        near = f"; {self.near_misses} new near miss(es)" if self.near_misses else ""
        return (
            f"{self.notices} notice(s) new or changed since {since}: {self.new} new match(es), "
            f"{self.updated} updated, {self.unmatched} no longer matching, {self.unchanged} unchanged{near}"
        )


def sync_profiles(session: Session, profiles: Sequence[Profile]) -> None:
    """Make the ``profiles`` table reflect the settings (does not commit)."""
    stored_profiles.sync_profiles(session, [p.model_dump(mode="json") for p in profiles])


def active_profiles(session: Session) -> tuple[list[Profile], dict[str, int], list[str]]:
    """Every active stored profile (settings and bot-made), their row ids, and specs that are invalid."""
    rows = stored_profiles.stored_profiles(session, active_only=True)
    specs = [{**(row["spec"] or {}), "name": row["name"]} for row in rows]
    profiles, errors = validate_profiles(specs)
    return profiles, {row["name"]: row["id"] for row in rows}, errors


ORIGIN_LABELS = {"settings": "settings", "db": "bot"}
"""How people see a stored profile's origin: database-made profiles are created in the bot."""


@dataclass(frozen=True)
class SourcedProfile:
    """A profile as ``match`` sees it, with where it comes from (``settings`` or ``bot``)."""

    profile: Profile
    origin: str


def profiles_with_origin(
    engine: Engine, settings_profiles: Sequence[Profile]
) -> tuple[list[SourcedProfile], list[str]]:
    """The settings' profiles synced into the database plus the bot-made ones: what ``match`` uses.

    Inactive ones are included (with ``active = False``) so people can see them; settings profiles
    removed from the file are not. The second value lists stored specs that no longer validate.
    """
    with session_scope(engine) as session:
        sync_profiles(session, settings_profiles)
        session.commit()
        names = {p.name for p in settings_profiles}
        rows = stored_profiles.stored_profiles(session, active_only=False)
    rows = [row for row in rows if row["origin"] != "settings" or row["name"] in names]
    specs = [{**(row["spec"] or {}), "name": row["name"], "active": row["active"]} for row in rows]
    profiles, errors = validate_profiles(specs)
    origins = {row["name"]: ORIGIN_LABELS.get(row["origin"], row["origin"]) for row in rows}
    return [SourcedProfile(p, origins[p.name]) for p in profiles], errors


def _verdicts(
    matcher: CompiledMatcher, view: NoticeView, existing: dict[str, dict], now: datetime
) -> dict[str, Explanation]:
    """Verdicts of the profiles whose stored row may change: today's matches and yesterday's."""
    notice = view.notice
    matched = {m.profile: m for m in matcher.match_view(view, now=now)}
    out: dict[str, Explanation] = {
        name: Explanation(name, True, m.score, m.reasons, ()) for name, m in matched.items()
    }
    previously = [name for name, row in existing.items() if row["matched"] and name not in matched]
    if previously:
        explained = matcher.explain(notice, now=now)
        out.update({name: explained[name] for name in previously if name in explained})
    return out


def _write(
    conn: sa.Connection,
    notice_id: int,
    version: int | None,
    verdicts: dict[str, Explanation],
    existing: dict[str, dict],
    ids: dict[str, int],
    report: MatchRunReport,
    now: datetime,
) -> bool:
    """Store the verdicts that differ from the rows; whether anything was written."""
    written = False
    for name, e in verdicts.items():
        verdict = Verdict(e.matched, e.score, list(e.reasons), list(e.failures), version)
        outcome = write_verdict(
            conn,
            notice_id=notice_id,
            profile_id=ids[name],
            verdict=verdict,
            stored=existing.get(name),
            now=now,
        )
        if outcome == "new":
            report.new += 1
        elif outcome == "unchanged":
            report.unchanged += 1
        elif e.matched:
            report.updated += 1
        else:
            report.unmatched += 1
        written = written or outcome != "unchanged"
    return written


def _near_miss_finder(matcher: CompiledMatcher, threshold: float | None) -> NearMissFinder | None:
    """The run's near-miss finder (``threshold`` None: near misses off). Without the word vectors
    the run matches by its rules alone and says why once: a missing model must not stop matching."""
    if threshold is None:
        return None
    try:
        return NearMissFinder(matcher, threshold=threshold)
    except EmbeddingError as exc:
        log.warning("near misses skipped in this run: %s", exc)
        return None


def _complete_up_to(changed: Sequence[tuple[int, Notice, datetime]], done: int) -> datetime | None:
    """The newest ``changed_at`` all of whose notices are among the first ``done`` (sorted) ones.

    A batch may end inside a group of notices with equal ``changed_at`` (one crawl transaction
    stamps them alike); the mark stays below such a group until its last notice is stored.
    """
    if done >= len(changed):
        return changed[-1][2]
    following = changed[done][2]
    for _, _, changed_at in reversed(changed[:done]):
        if changed_at < following:
            return changed_at
    return None


def run_match(
    engine: Engine,
    settings_profiles: Sequence[Profile],
    *,
    now: datetime,
    since: datetime | None = None,
    rematch_all: bool = False,
    batch_size: int = 500,
    near_miss_threshold: float | None = None,
) -> MatchRunReport:
    """Match new and changed notices against every active profile and store the verdicts.

    Each batch of notices is one transaction together with the high-water mark, so an
    interrupted run resumes where it stopped and never leaves half a batch.
    """
    report = MatchRunReport()
    with session_scope(engine) as session:
        sync_profiles(session, settings_profiles)
        session.commit()
        profiles, ids, report.profile_errors = active_profiles(session)
        for error in report.profile_errors:
            log.warning("stored profile skipped: %s", error)
        mark = None
        if since is None and not rematch_all:
            mark = get_high_water(session, source=HIGH_WATER_SOURCE)
            since = mark - OVERLAP if mark is not None else None
        report.since = mark or since
        changed = notices_changed_since(session, since=since)
        report.scanned = len(changed)
        fresh = [mark is None or changed_at > mark for _, _, changed_at in changed]
        if not profiles or not changed:
            report.notices = sum(fresh)
            return report
        matcher = compile_profiles(profiles)
        finder = _near_miss_finder(matcher, near_miss_threshold)
        names = {pid: name for name, pid in ids.items()}
        conn = session.connection()
        for start in range(0, len(changed), batch_size):
            batch = changed[start : start + batch_size]
            existing = stored_verdicts(conn, [notice_id for notice_id, _, _ in batch], names)
            places = places_of(conn, [notice_id for notice_id, _, _ in batch])
            for offset, (notice_id, notice, _) in enumerate(batch):
                view = analyze(notice)
                replace_notice_places(
                    conn, notice_id=notice_id, found=view.places_found(), stored=places[notice_id], now=now
                )
                verdicts = _verdicts(matcher, view, existing[notice_id], now)
                if finder is not None:
                    matched = [name for name, e in verdicts.items() if e.matched]
                    found = [
                        NearMissFound(ids[m.profile], m.similarity, m.keyword, m.word)
                        for m in finder.find(view, now=now, matched=matched)
                    ]
                    report.near_misses += replace_near_misses(conn, notice_id=notice_id, found=found, now=now)
                written = _write(
                    conn, notice_id, notice.version, verdicts, existing[notice_id], ids, report, now
                )
                report.notices += written or fresh[start + offset]
            seen = _complete_up_to(changed, start + len(batch))
            if seen is not None:
                advance_high_water(session, source=HIGH_WATER_SOURCE, seen=seen)
            session.commit()  # the batch and its mark together
            conn = session.connection()
    log.info("match run: %s", report.summary())
    return report
