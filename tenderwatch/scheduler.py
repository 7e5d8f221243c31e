"""The schedule of ``tenderwatch serve``: APScheduler jobs that run the pipeline's crawl cycles and reminders.

The jobs are the pipeline's own bound coroutines: APScheduler's memory job store (the only one
``serve`` uses) keeps callables as they are, so no registry of pipelines by name is needed.
"""

from __future__ import annotations

import logging
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from crawler.runner import SOURCES
from crawler.spiders.eis_export import EXPORT_SOURCE
from crawler.spiders.eis_results import RESULTS_SOURCE
from crawler.spiders.eis_rnp import RNP_SOURCE
from crawler.spiders.eis_site_results import SITE_RESULTS_SOURCE
from data.notice import MOSCOW
from tenderwatch.config import SchedulerSettings
from tenderwatch.pipeline import Pipeline

log = logging.getLogger(__name__)


class SchedulerError(Exception):
    """The service cannot be scheduled as configured; the message names the setting."""


EXPORT_SOURCES = (EXPORT_SOURCE, RESULTS_SOURCE)
DAILY_MINUTES = 24 * 60.0
"""The export service answers whole days, and results come out days after a deadline: the daily
crawls (``daily_sources``) run once a day unless ``scheduler.intervals`` says otherwise."""


def daily_sources(*, export: bool) -> tuple[str, ...]:
    """With the export service's token, ``eis_export`` brings each whole day in bulk once it is over
    and ``eis_results`` the protocols and contracts of the stored purchases; without it,
    ``eis_site_results`` reads their protocols from the site's result pages. ``eis_rnp`` looks our
    company and the winners up in the register of unfair suppliers either way."""
    return (*(EXPORT_SOURCES if export else (SITE_RESULTS_SOURCE,)), RNP_SOURCE)


def scheduled_sources(settings: SchedulerSettings, *, export: bool) -> list[str]:
    """``scheduler.sources`` (the search keeps the fresh hour), plus the daily crawls."""
    added = [s for s in daily_sources(export=export) if s not in settings.sources]
    return [*settings.sources, *added]


def interval_minutes(settings: SchedulerSettings, source: str) -> float:
    daily = (*EXPORT_SOURCES, SITE_RESULTS_SOURCE, RNP_SOURCE)
    if source in daily and source not in settings.intervals:
        return DAILY_MINUTES
    return settings.interval_minutes(source)


def build_scheduler(
    pipeline: Pipeline, settings: SchedulerSettings, *, now: datetime | None = None, export: bool = False
) -> AsyncIOScheduler:
    """An (unstarted) scheduler: a crawl job per source, first run at once, and the reminder job.
    ``export``: the export service has a token (``scheduled_sources``).

    ``coalesce`` folds runs missed while the process was busy or asleep into one;
    ``max_instances=1`` never lets two crawls of one source overlap; the misfire grace lets a late
    run still happen (APScheduler's default of one second would silently skip it).
    """
    unknown = [s for s in settings.sources if s not in SOURCES]
    if unknown:
        raise SchedulerError(
            f"scheduler.sources: unknown source {unknown[0]!r} (known: {', '.join(SOURCES)})"
        )
    if len(set(settings.sources)) != len(settings.sources):
        raise SchedulerError("scheduler.sources: a source is listed twice")
    odd = [s for s in settings.intervals if s not in SOURCES]
    if odd:
        raise SchedulerError(f"scheduler.intervals: unknown source {odd[0]!r} (known: {', '.join(SOURCES)})")
    slow = [s for s, minutes in settings.intervals.items() if not minutes > 0]
    if slow:
        raise SchedulerError(f"scheduler.intervals.{slow[0]}: must be more than 0 minutes")
    now = now or datetime.now(UTC)
    scheduler = AsyncIOScheduler(timezone=UTC)
    options = {
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": settings.misfire_grace_seconds,
        "replace_existing": True,
    }
    for source in scheduled_sources(settings, export=export):
        scheduler.add_job(
            pipeline.crawl_cycle,
            "interval",
            seconds=interval_minutes(settings, source) * 60,
            jitter=settings.jitter_seconds or None,
            args=[source],
            id=f"crawl:{source}",
            name=f"crawl {source}",
            next_run_time=now,
            **options,
        )
    scheduler.add_job(
        pipeline.scheduled_reminders,
        "interval",
        seconds=settings.reminders_interval_minutes * 60,
        id="reminders",
        name="deadline reminders",
        **options,
        next_run_time=now + timedelta(seconds=min(60.0, settings.reminders_interval_minutes * 60)),
    )
    if settings.near_miss_digest_hour is not None:
        scheduler.add_job(
            pipeline.scheduled_near_misses,
            "interval",
            days=1,
            id="near-misses",
            name="near-miss digest",
            **options,
            next_run_time=next_moscow_hour(now, settings.near_miss_digest_hour),
        )
    return scheduler


def next_moscow_hour(now: datetime, hour: int) -> datetime:
    """The next ``hour``:00 on the Moscow clock after ``now`` (the team's working day starts there)."""
    local = now.astimezone(MOSCOW)
    at = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    return at if at > local else at + timedelta(days=1)


def describe_schedule(settings: SchedulerSettings, *, export: bool = False) -> list[str]:
    """One line per job, for the operator at startup."""
    jitter = f", jitter up to {settings.jitter_seconds} s" if settings.jitter_seconds else ""
    lines = [
        f"crawl {source}: now, then every {_duration(interval_minutes(settings, source))}{jitter} "
        f"(late runs kept for {settings.misfire_grace_seconds} s; never two at once)"
        for source in scheduled_sources(settings, export=export)
    ]
    lines.append(f"deadline reminders: every {_duration(settings.reminders_interval_minutes)}")
    if settings.near_miss_digest_hour is not None:
        lines.append(f"near-miss digest: daily at {settings.near_miss_digest_hour:02d}:00 Moscow time")
    first = "alerted" if settings.alert_on_first_run else "recorded without alerting"
    lines.append(f"first crawl into an empty database: existing matching notices are {first}")
    return lines


def _duration(minutes: float) -> str:
    seconds = minutes * 60
    if seconds < 120:
        return f"{seconds:g} s"
    if minutes >= 120 and minutes % 60 == 0:
        return f"{minutes / 60:g} h"
    return f"{minutes:g} min"
