"""Drains the outbox: rate-limited, retried per error kind, never sending a row twice.

See ``data.store.outbox`` for the claim-then-settle protocol and the one crash window the Bot API
leaves open. Per drain, each chat's due rows are sent in order by one task (chats in parallel,
paced by the bot's ``ChatRateLimiter``). More than ``digest_threshold`` alerts for one chat
become a digest (one message listing them, split at tender boundaries) instead of a flood.

Error policy (``BadRequest`` is caught before ``NetworkError``, its base class):

* ``RetryAfter``: the limiter pauses the whole bot; the message is retried after the wait (a few
  times), then the rows go back to pending with ``not_before``.
* ``NetworkError`` / ``TimedOut`` raised before the request reached Telegram (connect errors,
  5xx answers, pool timeouts): back to pending with exponential backoff.
* A read timeout or a broken connection *after* the request was written: Telegram may have
  delivered it, so the rows are parked as "delivery unknown" (the same window as a crash).
* ``Forbidden`` (blocked, kicked) and the ``BadRequest`` answers that mean the same (chat not
  found, no right to write): the chat is marked inactive, all its unsent rows parked as never
  delivered, and the admins told; they go out once the chat is reachable again (the bot is let
  back in, or the chat writes to it).
* ``ChatMigrated``: the chat row takes the new supergroup id and the message is resent there.
* ``BadRequest`` otherwise: the rows fail with Telegram's reason and are never retried.

A row is marked "maybe on the wire" only when its request really leaves (the rate limiter calls
the sender's ``on_wire`` hook after its wait), so a kill during a wait loses nothing.
"""

from __future__ import annotations

import asyncio
import html
import logging
import sys
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from functools import partial
from typing import Any
from typing import NoReturn
from typing import Protocol
from typing import TextIO
from typing import TypeVar

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session
from telegram import Bot
from telegram import InlineKeyboardMarkup
from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.error import ChatMigrated
from telegram.error import Forbidden
from telegram.error import NetworkError
from telegram.error import RetryAfter
from telegram.error import TelegramError
from telegram.error import TimedOut

from bot.database import in_session
from bot.ratelimit import ChatRateLimiter
from bot.ratelimit import OnWire
from bot.ratelimit import retry_after_seconds
from bot.reasons import reasons_for
from bot.render import AlertView
from bot.render import alert_keyboard
from bot.render import digest_messages
from bot.render import html_to_console
from bot.render import near_miss_digest
from bot.render import render_alert
from bot.render import render_change
from bot.render import render_reminder
from data.db import session_scope
from data.errors import StoreError
from data.models import CONSOLE_CHAT
from data.models import ChatRow
from data.models import NoticeRow
from data.models import OutboxRow
from data.models import utcnow
from data.notice import deadline_order
from data.store import notice_from_row
from data.store import outbox
from data.store.chats import match_reasons
from data.store.chats import migrate_chat
from data.store.customers import CustomerFigures
from data.store.customers import customers_year
from data.store.places import PlaceFound
from data.store.places import places_of

T = TypeVar("T")

log = logging.getLogger(__name__)

KIND_ORDER = {"change": 0, "reminder": 1, "alert": 2, "digest": 3, "near_miss": 4}


class Sender(Protocol):
    """Where messages go: Telegram, or the console when there is no token.

    ``on_wire`` is called once, right before the message really leaves (after any rate-limit
    wait); if it raises, nothing is sent and the error reaches the caller.
    """

    async def send(
        self, chat_id: int, text: str, keyboard: InlineKeyboardMarkup | None, on_wire: OnWire | None = None
    ) -> int | None: ...


class TelegramSender:
    """Sends through a PTB ``Bot`` (whose rate limiter paces it); returns Telegram's message id."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(
        self, chat_id: int, text: str, keyboard: InlineKeyboardMarkup | None, on_wire: OnWire | None = None
    ) -> int | None:
        options: dict[str, Any] = {}
        if on_wire is not None:
            if isinstance(getattr(self.bot, "rate_limiter", None), ChatRateLimiter):
                options["rate_limit_args"] = on_wire  # called by the limiter when the request leaves
            else:  # no limiter: nothing waits between here and the wire
                await asyncio.to_thread(on_wire)
        message = await self.bot.send_message(
            chat_id=chat_id,
            text=text,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            **options,
        )
        return message.message_id


class ConsoleSender:
    """No token: print what the chat would read, so the offline demo shows real alerts."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    async def send(
        self, chat_id: int, text: str, keyboard: InlineKeyboardMarkup | None, on_wire: OnWire | None = None
    ) -> int | None:
        if on_wire is not None:
            await asyncio.to_thread(on_wire)
        rule = "─" * 60
        buttons = ""
        if keyboard is not None:
            labels = [b.text for row in keyboard.inline_keyboard for b in row]
            buttons = "\n" + "  ".join(f"[{label}]" for label in labels)
        target = "консоль (нет чата для оповещений)" if chat_id == CONSOLE_CHAT else f"чат {chat_id}"
        print(f"{rule}\n→ {target}\n{html_to_console(text)}{buttons}", file=self.stream, flush=True)
        return None


@dataclass
class DrainReport:
    """What one drain did, in rows (``messages`` counts Telegram messages, a digest being one): what
    ``notify`` prints and ``serve`` logs."""

    sent: int = 0
    messages: int = 0
    digests: int = 0
    retried: int = 0
    """Rows put back for a later drain (flood wait, network error, a 5xx): they go out then, with
    nothing for a person to do."""
    failed: int = 0
    """Rows that used up their attempts: kept in the outbox as failed, for ``/outbox``."""
    parked: int = 0
    """Rows of a chat that is gone (blocked, kicked, not found): kept until an admin requeues them,
    since sending again would only fail again."""
    migrated: int = 0
    """Rows moved to a group's new supergroup id."""
    requeued_stale: int = 0
    """Rows a dead notifier had claimed, taken back before any request for them left."""
    parked_stale: int = 0
    """Rows a dead notifier had on the wire: they may have reached the chat, so a person decides."""
    errors: list[str] = field(default_factory=list)

    def merge(self, other: DrainReport) -> None:
        for name in ("sent", "messages", "digests", "retried", "failed", "parked", "migrated"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors += other.errors


@dataclass
class Message:
    """One Telegram message to send and the outbox rows it settles."""

    row_ids: list[int]
    text: str
    keyboard: InlineKeyboardMarkup | None = None
    digest: bool = False


class ChatGone(Exception):
    """The chat blocked or removed the bot; its remaining messages are parked, not sent."""


class RowsTakenAway(Exception):
    """Another notifier took the rows over (our claim expired) before the request left: not sent."""


CHAT_UNREACHABLE_ANSWERS = (
    "chat not found",
    "group chat was deactivated",
    "chat_write_forbidden",
    "have no rights to send",
    "not enough rights to send",
)
"""BadRequest texts that mean "this chat cannot get messages from the bot now", like a 403: the
chat id is unknown to Telegram (a user who never started the bot, a deleted group) or the bot
may not write there. Retrying each row would cost a request and fail for good."""


def chat_unreachable(exc: BadRequest) -> bool:
    text = exc.message.lower()
    return any(answer in text for answer in CHAT_UNREACHABLE_ANSWERS)


class Notifier:
    """Owns one drain loop; ``drain_once`` is what ``tenderwatch notify`` and the scheduler call."""

    def __init__(
        self,
        engine: Engine,
        sender: Sender,
        *,
        digest_threshold: int = 5,
        batch_size: int = 500,
        concurrency: int = 32,
        claim_lease: timedelta = timedelta(minutes=5),
        retry_after_waits: int = 3,
        backoff_base: float = 5.0,
        backoff_max: float = 900.0,
        max_attempts: int = 12,
        clock: Callable[[], datetime] = utcnow,
        admins: Sequence[int] = (),
    ) -> None:
        self.engine = engine
        self.admins = tuple(admins)
        self.sender = sender
        self.digest_threshold = digest_threshold
        self.batch_size = batch_size
        self.claim_lease = claim_lease
        self.retry_after_waits = retry_after_waits
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_attempts = max_attempts
        self.clock = clock
        self._slots = asyncio.Semaphore(concurrency)
        self._stopping = False

    # --- the drain -----------------------------------------------------------------------------

    async def drain_once(self) -> DrainReport:
        """Send everything due now; returns what happened. Safe to run after a crash (recovers claims)."""
        report = DrainReport()
        stale_before = self.clock() - self.claim_lease
        report.requeued_stale, report.parked_stale = await self._db(
            lambda session: outbox.recover_stale_claims(session, older_than=stale_before)
        )
        while True:
            token = outbox.new_claim_token()
            now = self.clock()
            rows = await self._db(partial(outbox.claim, token=token, now=now, limit=self.batch_size))
            by_chat: dict[int, list[OutboxRow]] = defaultdict(list)
            for row in rows:
                by_chat[row.chat_id].append(row)
            if not rows:
                break
            tasks = [
                self._drain_chat(chat_row_id, chat_rows, token) for chat_row_id, chat_rows in by_chat.items()
            ]
            try:
                results = await asyncio.gather(*tasks)
            finally:
                await self._db(partial(outbox.release_claims, token=token))
            for result in results:
                report.merge(result)
            if len(rows) < self.batch_size or self._stopping:
                break
        if report.messages or report.failed or report.parked:
            log.info(
                "outbox drained: %d rows sent in %d messages (%d digests), %d retried, %d failed, %d parked",
                report.sent,
                report.messages,
                report.digests,
                report.retried,
                report.failed,
                report.parked,
            )
        return report

    async def run(
        self, stop: asyncio.Event, *, interval: float = 10.0, prepare: Callable[[], None] | None = None
    ) -> None:
        """Every ``interval`` seconds: ``prepare()`` (enqueue new work), then drain; until ``stop``."""
        while not stop.is_set():
            try:
                if prepare is not None:
                    await asyncio.to_thread(prepare)  # it enqueues: database work, off the loop
                await self.drain_once()
            except StoreError as exc:  # a full disk or a read-only file: one line, not a traceback
                log.error("outbox drain failed: %s; retrying in %.0f s", exc, interval)
            except Exception:
                log.exception("outbox drain failed; retrying in %.0f s", interval)
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
            except TimeoutError:
                pass

    def request_stop(self) -> None:
        """Finish the message in flight, send nothing more; unsent claims are released."""
        self._stopping = True

    def preview(self, session: Session) -> list[tuple[int, Message]]:
        """What a drain would send now (chat id, message), without claiming or sending anything."""
        rows = outbox.due_rows(session, now=self.clock(), limit=self.batch_size)
        by_chat: dict[int, list[OutboxRow]] = defaultdict(list)
        for row in rows:
            by_chat[row.chat_id].append(row)
        result = []
        for chat_row_id, chat_rows in by_chat.items():
            chat_id = session.get_one(ChatRow, chat_row_id).chat_id
            result += [(chat_id, m) for m in self._compose(session, chat_rows)]
        return result

    async def _drain_chat(self, chat_row_id: int, rows: list[OutboxRow], token: str) -> DrainReport:
        report = DrainReport()
        async with self._slots:
            try:
                messages = await self._db(lambda session: self._compose(session, rows))
            except Exception as exc:  # a row we cannot render must not block the chat forever
                log.exception("cannot compose messages for chat row %d", chat_row_id)
                ids = [r.id for r in rows if r.id]
                error = f"render failed: {exc}"
                report.failed += await self._db(
                    lambda session: outbox.settle_failed(session, ids=ids, token=token, error=error)
                )
                return report
            chat_id = await self._db(lambda session: session.get_one(ChatRow, chat_row_id).chat_id)
            for message in messages:
                if self._stopping:
                    break
                try:
                    chat_id = await self._deliver(chat_row_id, chat_id, message, token, report)
                except ChatGone:
                    break
        return report

    # --- composing -----------------------------------------------------------------------------

    def _compose(self, session: Session, rows: list[OutboxRow]) -> list[Message]:
        now = self.clock()
        rows = sorted(rows, key=lambda r: (KIND_ORDER.get(r.kind, 9), r.id or 0))
        alerts = [r for r in rows if r.kind == "alert"]
        near = [r for r in rows if r.kind == "near_miss"]
        others = [r for r in rows if r.kind not in ("alert", "near_miss")]
        messages: list[Message] = []
        for row in others:
            notice = notice_from_row(session.get_one(NoticeRow, row.notice_id))
            if row.kind == "change":
                text = render_change(notice, row.payload.get("changes", []), now=now)
            else:
                users = row.payload.get("users") or [{}]
                text = render_reminder(notice, now=now, user_name=users[0].get("name"))
            messages.append(Message([row.id or 0], text))
        entries = [
            (
                notice_from_row(session.get_one(NoticeRow, r.notice_id)),
                match_reasons(session, notice_id=r.notice_id),
            )
            for r in alerts
        ]
        # each customer of the batch read once, however many of its tenders the batch holds
        customers = customers_year(session, (notice.customer_inn for notice, _ in entries), now=now)
        places = places_of(session.connection(), (r.notice_id for r in alerts))
        if len(alerts) > self.digest_threshold:
            ordered = sorted(zip(alerts, entries, strict=True), key=lambda pair: deadline_order(pair[1][0]))
            rows, items = [a for a, _ in ordered], [e for _, e in ordered]
            named = {notice.key: places[row.notice_id] for row, (notice, _) in ordered}
            messages += self._digest_messages(rows, items, now, customers, named)
        else:
            for row, (notice, reasons) in zip(alerts, entries, strict=True):
                customer = customers.get(notice.customer_inn or "")
                view = AlertView(reasons=reasons, customer=customer, places=places[row.notice_id])
                text = render_alert(notice, view, now=now)
                messages.append(Message([row.id or 0], text, alert_keyboard(row.id or 0)))
        if near:
            messages += self._near_miss_messages(session, near, now)
        return messages

    @staticmethod
    def _near_miss_messages(session: Session, rows: Sequence[OutboxRow], now: datetime) -> list[Message]:
        """The «Возможно, интересно» digest: each notice with why it came close, for the profiles
        of that chat; its «N ▸» buttons open the tender with take/skip, so what people take
        teaches the profile keywords (``bidder.suggest``)."""
        entries = [
            (notice_from_row(session.get_one(NoticeRow, r.notice_id)), reasons_for(session, r)) for r in rows
        ]
        parts = near_miss_digest(entries, [r.id or 0 for r in rows], now=now)
        return [Message(ids, text, keyboard, digest=True) for text, keyboard, ids in parts]

    @staticmethod
    def _digest_messages(
        alerts: Sequence[OutboxRow],
        entries: list,
        now: datetime,
        customers: dict[str, CustomerFigures],
        places: Mapping[tuple[str, str], Sequence[PlaceFound]],
    ) -> list[Message]:
        """Split the digest and map each part back to the rows whose tenders it lists; each part gets
        the «N ▸» buttons of its tenders."""
        row_ids = [r.id or 0 for r in alerts]
        parts = digest_messages(entries, row_ids, now=now, customers=customers, places=places)
        return [Message(ids, text, keyboard, digest=True) for text, keyboard, ids in parts]

    # --- delivering ----------------------------------------------------------------------------

    async def _db(self, work: Callable[[Session], T]) -> T:
        return await in_session(self.engine, work)

    def _on_wire(self, ids: list[int], token: str) -> OnWire:
        """The hook that marks the rows maybe-sent at the moment their request leaves."""

        def mark() -> None:  # runs in a worker thread (the limiter and the senders call it so)
            with session_scope(self.engine) as session:
                if not outbox.mark_sending(session, ids=ids, token=token):
                    raise RowsTakenAway(f"outbox rows {ids} were taken over by another notifier")

        return mark

    async def _deliver(
        self, chat_row_id: int, chat_id: int, message: Message, token: str, report: DrainReport
    ) -> int:
        """Send one message and settle its rows; returns the chat's Telegram id (changed by a migration)."""
        ids = message.row_ids
        on_wire = self._on_wire(ids, token)
        flood_waits = 0
        migrations = 0
        while True:
            try:
                message_id = await self.sender.send(chat_id, message.text, message.keyboard, on_wire)
            except RowsTakenAway as exc:
                log.warning("%s before sending; skipped", exc)
                return chat_id
            except RetryAfter as exc:
                seconds = retry_after_seconds(exc)
                await self._db(lambda session: outbox.unmark_sending(session, ids=ids, token=token))
                flood_waits += 1
                if flood_waits > self.retry_after_waits:
                    await self._settle_retry(ids, token, seconds, f"flood control: {exc}", report)
                    return chat_id
                log.warning("flood wait %.1f s for chat %s (attempt %d)", seconds, chat_id, flood_waits)
                await asyncio.sleep(seconds)
                continue
            except ChatMigrated as exc:
                migrations += 1
                old, new = chat_id, exc.new_chat_id
                migrated = await self._db(partial(migrate_chat, old_chat_id=old, new_chat_id=new))
                report.migrated += 1
                log.info("chat %s migrated to %s; resending there", chat_id, exc.new_chat_id)
                chat_id = migrated.chat_id
                if migrations > 2:
                    await self._settle_failed(ids, token, f"chat keeps migrating: {exc}", report)
                    return chat_id
                continue
            except Forbidden as exc:
                await self._chat_gone(chat_row_id, chat_id, outbox.FORBIDDEN, exc, report)
            except BadRequest as exc:
                if chat_unreachable(exc):
                    await self._chat_gone(chat_row_id, chat_id, outbox.CHAT_UNREACHABLE, exc, report)
                await self._settle_failed(ids, token, f"bad request: {exc.message}", report)
                return chat_id
            except (TimedOut, NetworkError) as exc:
                await self._network_error(ids, token, chat_id, exc, report)
                return chat_id
            except TelegramError as exc:  # InvalidToken, Conflict, EndPointNotFound: not this row's fault
                await self._settle_retry(
                    ids, token, self.backoff_max, f"telegram error: {exc.message}", report
                )
                return chat_id
            sent_at = self.clock()
            await self._db(
                partial(outbox.settle_sent, ids=ids, token=token, message_id=message_id, now=sent_at)
            )
            report.sent += len(ids)
            report.messages += 1
            report.digests += int(message.digest)
            return chat_id

    async def _chat_gone(
        self, chat_row_id: int, chat_id: int, why: str, exc: TelegramError, report: DrainReport
    ) -> NoReturn:
        """The chat cannot get messages: inactive, its unsent rows parked as never delivered, admins told."""
        error = f"{why}{exc.message}"
        parked = await self._db(
            lambda session: outbox.park_chat(session, chat_row_id=chat_row_id, error=error)
        )
        report.parked += parked
        log.warning(
            "chat %s cannot be reached (%s): chat inactive, %d rows parked", chat_id, exc.message, parked
        )
        text = (
            f"⚠️ Чат {chat_id} недоступен для бота: {html.escape(exc.message)}.\n"
            f"Уведомлений отложено: {parked}. Они уйдут, когда чат снова напишет боту или добавит его; "
            "отправить сразу: /requeue."
        )
        others = [admin for admin in self.admins if admin != chat_id]
        await tell_admins(self.sender, others, text, what=f"unreachable chat {chat_id}")
        raise ChatGone() from exc

    async def _network_error(
        self, ids: list[int], token: str, chat_id: int, exc: NetworkError, report: DrainReport
    ) -> None:
        if maybe_delivered(exc):
            error = f"{outbox.UNKNOWN_DELIVERY} ({exc.message})"
            report.parked += await self._db(
                lambda session: outbox.settle_parked(session, ids=ids, token=token, error=error)
            )
            log.error(
                "send to chat %s may or may not have arrived (%s): rows %s parked", chat_id, exc.message, ids
            )
            return
        attempts = await self._db(
            lambda session: max(r.attempts for r in (session.get_one(OutboxRow, i) for i in ids))
        )
        if attempts >= self.max_attempts:
            await self._settle_failed(ids, token, f"gave up after {attempts} attempts: {exc.message}", report)
            return
        delay = min(self.backoff_base * 2 ** max(attempts - 1, 0), self.backoff_max)
        log.warning("network error sending to chat %s (%s); retry in %.0f s", chat_id, exc.message, delay)
        await self._settle_retry(ids, token, delay, f"network error: {exc.message}", report)

    async def _settle_retry(
        self, ids: list[int], token: str, delay: float, error: str, report: DrainReport
    ) -> None:
        not_before = self.clock() + timedelta(seconds=delay)
        report.retried += await self._db(
            lambda session: outbox.settle_retry(
                session, ids=ids, token=token, not_before=not_before, error=error
            )
        )
        report.errors.append(error)

    async def _settle_failed(self, ids: list[int], token: str, error: str, report: DrainReport) -> None:
        report.failed += await self._db(
            lambda session: outbox.settle_failed(session, ids=ids, token=token, error=error)
        )
        report.errors.append(error)
        log.error("outbox rows %s failed: %s", ids, error)


async def tell_admins(sender: Sender, admins: Sequence[int], text: str, *, what: str) -> None:
    """Send ``text`` to each admin chat, best effort: a notice about trouble must not cause more
    (a failure is logged; whatever it reports is in the log and the database already)."""
    for chat_id in admins:
        try:
            await sender.send(chat_id, text, None)
        except Exception as exc:
            log.warning("could not tell admin chat %s about %s: %s", chat_id, what, exc)


SAFE_CAUSES = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteTimeout,
    httpx.WriteError,
)


def maybe_delivered(exc: NetworkError) -> bool:
    """Could Telegram have processed the request? Only if it was fully written and no answer came.

    PTB raises ``NetworkError`` for HTTP 5xx answers too (then the cause is not an httpx error and
    Telegram answered: not delivered). Connect/write/pool failures never reached the Bot API.
    """
    cause = exc.__cause__
    if not isinstance(cause, httpx.HTTPError):
        return False
    return not isinstance(cause, SAFE_CAUSES)
