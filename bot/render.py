"""Message text for Telegram: HTML parse mode, every scraped string escaped, always under 4096 chars.

Scraped strings (titles, customers, reasons, user names) can hold ``<``, ``&`` or pages of text,
so every dynamic value goes through ``esc`` after being cut to a budget (cutting *before*
escaping never splits an entity such as ``&amp;``). Digests are split at tender boundaries, never
inside a tag.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from decimal import Decimal

from telegram import InlineKeyboardButton
from telegram import InlineKeyboardMarkup
from telegram.constants import MessageLimit

from bidder.near_miss import closeness
from bidder.suggest import MIN_SHARE
from bidder.suggest import MIN_SKIPPED
from bidder.suggest import Suggestions
from data.formatting import KIND_LABELS
from data.formatting import LAW_LABELS
from data.formatting import format_money
from data.formatting import read_from
from data.formatting import reason_text
from data.notice import MOSCOW
from data.notice import Notice
from data.notice import time_left
from data.reference.regions import region_name
from data.store.chats import Decision
from data.store.customers import CompetitorRow
from data.store.customers import CustomerFigures
from data.store.places import PlaceFound
from data.store.unfair import RegisterStatus

MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH
DIGEST_BUDGET = 4000
"""Digest parts stay below this many characters of raw HTML: a margin under Telegram's 4096."""

TITLE_CHARS = 400
CUSTOMER_CHARS = 200
REASON_CHARS = 160
MAX_REASONS = 6

ACTIONS = {"take": "Беру", "skip": "Не интересно", "sim": "Симуляция", "more": "Подробнее", "open": "Открыть"}
DECISION_LABELS = {"take": "✅ Взял(а)", "skip": "🚫 Не интересно"}
CALLBACK_PREFIX = "t"
CALLBACK_RE = re.compile(r"^t:(\d{1,12}):(take|skip|sim|more|open)$")


def esc(value: object, limit: int | None = None) -> str:
    """Escape a scraped value for HTML, cutting it to ``limit`` characters first (with an ellipsis)."""
    text = "" if value is None else str(value)
    text = " ".join(text.split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return html.escape(text, quote=True)


def plural(n: int, one: str, few: str, many: str) -> str:
    """Russian plural form for ``n`` (1 день, 2 дня, 5 дней, 11 дней, 21 день)."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def format_deadline(deadline: datetime | None, now: datetime) -> str:
    """Moscow time plus what is left: ``25.03.2026 10:00 МСК (осталось 3 дня)``."""
    if deadline is None:
        return "не указан"
    local = deadline.astimezone(MOSCOW).strftime("%d.%m.%Y %H:%M МСК")
    if deadline <= now:
        return f"{local} (срок истёк)"
    days, hours = time_left(deadline, now)  # full days, as the matcher and the reports count them
    if days >= 1:
        return f"{local} (осталось {days} {plural(days, 'полный день', 'полных дня', 'полных дней')})"
    hours = max(1, hours)
    return f"{local} (осталось {hours} {plural(hours, 'час', 'часа', 'часов')})"


def _security(amount: Decimal | None, percent: Decimal | None) -> str | None:
    if amount == 0 or (amount is None and percent == 0):
        return "не требуется"  # «0,00 ₽» read as a missing figure, not as «none is asked»
    if amount is not None:
        return format_money(amount)
    if percent is not None:
        return f"{percent.normalize():f}% от цены контракта"
    return None


def _region_label(code: str) -> str:
    name = region_name(code)
    return f"{esc(code)} {esc(name)}" if name else esc(code)


def _region_line(notice: Notice, places: Sequence[PlaceFound] = ()) -> str | None:
    """The customer's and the card's delivery regions; then the places read from the notice's words
    that stand in for them (a head office buying for a branch), with where they were read."""
    codes = [notice.customer_region] if notice.customer_region else []
    codes += [c for c in notice.delivery_regions if c not in codes]
    named = [p for p in places if p.region not in codes]
    if not codes and not named:
        return None
    line = "Регион: " + "; ".join(_region_label(code) for code in codes[:3]) if codes else "Регион:"
    if named:
        shown = ", ".join(
            f"{_region_label(p.region)} ({esc(read_from(p.source, p.words[:60]))})" for p in named[:3]
        )
        line += ("; поставка: " if codes else " поставка: ") + shown
    return line


@dataclass(frozen=True)
class AlertView:
    """Everything an alert shows besides the notice: why it matched and who decided what."""

    reasons: dict[str, list[object]] = field(default_factory=dict)
    decisions: Sequence[Decision] = ()
    header: str = "🔔 Новая закупка"
    customer: CustomerFigures | None = None
    """The customer's last year, from the stored results (``customer_line``)."""
    places: Sequence[PlaceFound] = ()
    """Delivery regions the match run read from the notice's words (``data.store.places``)."""


def notice_lines(notice: Notice, now: datetime, places: Sequence[PlaceFound] = ()) -> list[str]:
    """The card of a notice, one HTML line per fact that the source gave (and the places read from
    its words)."""
    lines = [f"<b>{esc(notice.title or 'Без названия', TITLE_CHARS)}</b>"]
    if notice.customer_name:
        lines.append(f"Заказчик: {esc(notice.customer_name, CUSTOMER_CHARS)}")
    region = _region_line(notice, places)
    if region:
        lines.append(region)
    lines.append(f"НМЦК: <b>{esc(format_money(notice.nmck, notice.currency))}</b>")
    method = notice.method or KIND_LABELS.get(notice.kind, notice.kind)
    lines.append(f"{esc(LAW_LABELS.get(notice.law, notice.law))} · {esc(method, 120)}")
    lines.append(f"Подача заявок до: {format_deadline(notice.submission_deadline, now)}")
    bid = _security(notice.bid_security, notice.bid_security_percent)
    contract = _security(notice.contract_security, notice.contract_security_percent)
    if bid:
        lines.append(f"Обеспечение заявки: {esc(bid)}")
    if contract:
        lines.append(f"Обеспечение контракта: {esc(contract)}")
    if notice.smp_only:
        lines.append("Только для СМП и СОНКО")
    if notice.cancelled:
        lines.append(f"⛔ Статус: {esc(notice.status, 80)}")
    return lines


def ru_number(value: object) -> str:
    """A plain number as Russian text writes it: a decimal comma (12,5)."""
    return str(value).replace(".", ",")


def ru_percent(fraction: float) -> str:
    """A fraction as the number of percent, to a hundredth at most: 0.125 -> «12,5»."""
    return ru_number(f"{fraction * 100:.2f}".rstrip("0").rstrip("."))


USUAL_WINNER_SHARE = 0.5
USUAL_WINNER_MIN_WINS = 3
"""One supplier winning at least half of at least three purchases is worth a warning."""
USUAL_WINNERS = 3
"""A customer's usual winners: its three most frequent ones (a warning when one is in РНП)."""


def customer_line(figures: CustomerFigures) -> str | None:
    """«У заказчика 14 закупок за год, средняя скидка 12,5 %, обычно 3 участника»; a warning when one
    supplier wins most of its purchases. None until a result of the customer is stored: the count of
    its notices alone says little, and every alert would carry it."""
    if not figures.finished:
        return None
    parts = [f"{figures.purchases} {plural(figures.purchases, 'закупка', 'закупки', 'закупок')} за год"]
    if figures.discount_mean is not None:
        parts.append(f"средняя скидка {ru_number(figures.discount_mean)} %")
    if figures.participants_mean is not None:
        usual = round(figures.participants_mean)
        parts.append(f"обычно {usual} {plural(usual, 'участник', 'участника', 'участников')}")
    line = "У заказчика " + ", ".join(parts)
    share = figures.top_winner_share
    if share is not None and share >= USUAL_WINNER_SHARE and figures.winners[0].wins >= USUAL_WINNER_MIN_WINS:
        top = figures.winners[0]
        line += f"\n⚠️ {share:.0%} побед у одного поставщика: {esc(top.name or top.inn, 100)}"
    unfair = [w for w in figures.winners[:USUAL_WINNERS] if w.unfair]
    if unfair:
        names = ", ".join(f"{esc(w.name or 'ИНН', 80)} (ИНН {esc(w.inn)})" for w in unfair)
        line += f"\n⚠️ В РНП: {names}, из обычных победителей заказчика"
    return line


def render_customer(figures: CustomerFigures) -> str:
    """/customer: a customer's last year as its notices and results show it."""
    lines = [
        f"<b>Заказчик ИНН {esc(figures.inn)}</b> — за год",
        f"Закупок: {figures.purchases}, из них отменено: {figures.cancelled}",
        f"Завершено с известным результатом: {figures.finished}",
    ]
    if figures.discount_mean is not None:
        lines.append(f"Средняя скидка от НМЦК: {ru_number(figures.discount_mean)} %")
    if figures.participants_mean is not None:
        lines.append(f"Заявок в среднем: {ru_number(figures.participants_mean)}")
    if figures.winners:
        lines.append("Чаще всего побеждают:")
        lines += [
            f"• {esc(w.name or '—', 100)} (ИНН {esc(w.inn)}): {w.wins}" + (" ⚠️ в РНП" if w.unfair else "")
            for w in figures.winners[:5]
        ]
    if figures.top_winner_share is not None and figures.top_winner_share >= USUAL_WINNER_SHARE:
        lines.append(f"⚠️ Один поставщик выигрывает {figures.top_winner_share:.0%} закупок")
    if not figures.purchases and not figures.finished:
        lines.append("Ничего не известно: ни извещений, ни результатов этого заказчика в базе.")
    return "\n".join(lines)


def render_competitor(inn: str, row: CompetitorRow | None, register: RegisterStatus | None = None) -> str:
    """/competitor: a supplier's last year in the stored protocols and contracts, and what the
    register of unfair suppliers says of it (``register``: for a supplier without any result)."""
    if row is None:
        none = f"Поставщик ИНН {esc(inn)}: за год нет ни заявок, ни побед в сохранённых протоколах."
        if register is None:
            return none + "\n" + register_line(None, None, None)
        return none + "\n" + register_line(register.entries, register.until, register.checked_on)
    lines = [f"<b>{esc(row.name or 'Поставщик', 150)}</b> — ИНН {esc(row.inn)}"]
    if row.region:
        lines.append(f"ИНН выдан в регионе {esc(row.region)}")
    lines.append(f"За год: заявок {row.applications}, побед {row.wins}")
    if row.win_rate is not None:
        lines.append(f"Доля побед: {row.win_rate:.0%}")
    if row.discount_median is not None:
        lines.append(f"Медианная скидка в победах: {ru_percent(row.discount_median)} %")
    lines.append(register_line(row.register_entries, row.register_until, row.register_checked))
    return "\n".join(lines)


def register_line(entries: int | None, until: date | None, checked: date | None) -> str:
    """What the register of unfair suppliers says of a supplier, as far as it was read."""
    if entries:
        end = f" до {until:%d.%m.%Y}" if until else ""
        return f"⚠️ В РНП{end}: {entries} {plural(entries, 'запись', 'записи', 'записей')}"
    if checked is not None:
        return f"В РНП не найден (проверено {checked:%d.%m.%Y})"
    return "В РНП не проверялся: сведения появятся после обхода реестра (eis_rnp)"


def reason_lines(reasons: dict[str, list[object]]) -> list[str]:
    lines = []
    for profile, items in reasons.items():
        shown = [esc(reason_text(r), REASON_CHARS) for r in items[:MAX_REASONS]]
        more = len(items) - len(shown)
        tail = f"; и ещё {more}" if more > 0 else ""
        lines.append(f"Профиль «{esc(profile, 80)}»: " + "; ".join(shown) + tail)
    return lines


def decision_lines(decisions: Iterable[Decision]) -> list[str]:
    lines = []
    for d in decisions:
        when = d.decided_at.astimezone(MOSCOW).strftime("%d.%m %H:%M")
        lines.append(f"{DECISION_LABELS.get(d.action, esc(d.action))}: {esc(d.user_name, 64)} ({when})")
    return lines


def eis_link(notice: Notice) -> str | None:
    """The EIS card link with the registry number; None without an http(s) URL."""
    if not notice.url or not notice.url.startswith(("http://", "https://")):
        return None
    return f'<a href="{esc(notice.url)}">Карточка в ЕИС</a> · № {esc(notice.reg_number)}'


def render_alert(notice: Notice, view: AlertView, *, now: datetime) -> str:
    """A single alert (or a /tender card): the notice, why it matched, decisions, the EIS link."""
    parts = [f"<b>{esc(view.header, 120)}</b>", *notice_lines(notice, now, view.places)]
    customer = customer_line(view.customer) if view.customer is not None else None
    if customer:
        parts.append(f"<i>{customer}</i>")
    if view.reasons:
        parts.append("")
        parts.append("<i>Почему подходит:</i>")
        parts.extend(reason_lines(view.reasons))
    link = eis_link(notice)
    parts.append("")
    parts.append(link or f"№ {esc(notice.reg_number)}")
    decisions = decision_lines(view.decisions)
    if decisions:
        parts.append("")
        parts.extend(decisions)
    return fit("\n".join(parts))


def fit(text: str, limit: int = MAX_TEXT) -> str:
    """Last guard: cut at a line boundary so a message (and its tags) is never over the limit."""
    if len(text) <= limit:
        return text
    kept: list[str] = []
    size = 0
    for line in text.split("\n"):
        if size + len(line) + 1 > limit - 2:
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept) + "\n…"


def digest_block(
    index: int,
    notice: Notice,
    reasons: dict[str, list[object]],
    now: datetime,
    customer: CustomerFigures | None = None,
    places: Sequence[PlaceFound] = (),
) -> str:
    """One tender inside a digest: enough to decide whether to open it (where, what kind, why it
    matched), with its number on the digest's «N ▸» button that opens the full alert."""
    deadline = format_deadline(notice.submission_deadline, now)
    method = notice.method or KIND_LABELS.get(notice.kind, notice.kind)
    region = _region_line(notice, places)
    lines = [
        f"{index}. <b>{esc(notice.title or 'Без названия', 300)}</b>",
        f"   {esc(format_money(notice.nmck, notice.currency))} · до {deadline}",
        f"   {esc(LAW_LABELS.get(notice.law, notice.law))} · {esc(method, 80)}"
        + (f" · {region.removeprefix('Регион: ')}" if region else ""),
        f"   {esc(notice.customer_name or '', 150)}".rstrip(),
    ]
    summary = customer_line(customer) if customer is not None else None
    if summary:
        lines += [f"   <i>{line}</i>" for line in summary.split("\n")]
    for profile, items in reasons.items():
        shown = "; ".join(esc(reason_text(r), REASON_CHARS) for r in items[:DIGEST_REASONS])
        lines.append(f"   Профиль «{esc(profile, 60)}»" + (f": {shown}" if shown else ""))
    lines.append(f"   {eis_link(notice) or f'№ {esc(notice.reg_number)}'}")
    return "\n".join(line for line in lines if line.strip())


DIGEST_REASONS = 2
"""Reasons shown per profile in a digest item; the full alert («N ▸») shows them all."""
DIGEST_BUTTONS_PER_ROW = 5


def digest_messages(
    entries: Sequence[tuple[Notice, dict[str, list[object]]]],
    row_ids: Sequence[int],
    *,
    now: datetime,
    title: str | None = None,
    customers: Mapping[str, CustomerFigures] | None = None,
    counted: tuple[str, str, str] = ("новая", "новые", "новых"),
    places: Mapping[tuple[str, str], Sequence[PlaceFound]] | None = None,
) -> list[tuple[str, InlineKeyboardMarkup, list[int]]]:
    """``render_digest`` with each message's «N ▸» buttons: (text, keyboard, the alert row ids of
    the tenders it lists), ``row_ids`` being the entries' rows in the same order."""
    messages = []
    shown = 0
    rendered = render_digest(
        entries, now=now, title=title, customers=customers, counted=counted, places=places
    )
    for text, count in rendered:
        ids = list(row_ids[shown : shown + count])
        messages.append((text, digest_keyboard(shown + 1, ids), ids))
        shown += count
    return messages


def digest_keyboard(first: int, row_ids: Sequence[int]) -> InlineKeyboardMarkup:
    """«N ▸» per tender of a digest message, opening its full alert with the take/skip buttons."""
    buttons = [
        InlineKeyboardButton(f"{first + i} ▸", callback_data=encode_callback(row_id, "open"))
        for i, row_id in enumerate(row_ids)
    ]
    rows = [buttons[i : i + DIGEST_BUTTONS_PER_ROW] for i in range(0, len(buttons), DIGEST_BUTTONS_PER_ROW)]
    return InlineKeyboardMarkup(rows)


def split_blocks(header: str, blocks: Sequence[str], budget: int = DIGEST_BUDGET) -> list[tuple[str, int]]:
    """Pack blocks into messages under ``budget`` characters, breaking only between blocks.

    Returns (text, number of blocks in it) per message, so the caller knows which records each
    message carries.
    """
    messages: list[tuple[str, int]] = []
    current, count = header, 0
    for block in blocks:
        block = fit(block, budget - len(header) - 2)
        candidate = f"{current}\n\n{block}"
        if len(candidate) > budget and count:
            messages.append((current, count))
            candidate, count = f"{header}\n\n{block}", 0
        current, count = candidate, count + 1
    if count or not messages:
        messages.append((current, count))
    return messages


def render_digest(
    entries: Sequence[tuple[Notice, dict[str, list[object]]]],
    *,
    now: datetime,
    title: str | None = None,
    customers: Mapping[str, CustomerFigures] | None = None,
    counted: tuple[str, str, str] = ("новая", "новые", "новых"),
    places: Mapping[tuple[str, str], Sequence[PlaceFound]] | None = None,
) -> list[tuple[str, int]]:
    """Several tenders as one message, or several when they do not fit (split at tender boundaries).

    ``customers`` (by INN) adds each tender's customer line; ``places`` (by notice key) the places
    read from its words to its region. Returns (text, how many of ``entries`` it lists) per
    message, in order.
    """
    known = customers or {}
    named = places or {}
    count = len(entries)
    heading = f"{esc(title or 'Подборка закупок')}: {count} {plural(count, *counted)}"
    blocks = [
        digest_block(i, notice, reasons, now, known.get(notice.customer_inn or ""), named.get(notice.key, ()))
        for i, (notice, reasons) in enumerate(entries, 1)
    ]
    header = f"<b>{heading}</b>"
    parts = split_blocks(header, blocks, DIGEST_BUDGET - len(part_marker(count, count)))
    if len(parts) == 1:
        return parts
    total = len(parts)
    return [
        (f"<b>{heading}{part_marker(i, total)}</b>{text[len(header) :]}", n)
        for i, (text, n) in enumerate(parts, 1)
    ]


NEAR_MISS_TITLE = "🤔 Возможно, интересно"


def near_miss_digest(
    entries: Sequence[tuple[Notice, dict[str, list[object]]]], row_ids: Sequence[int], *, now: datetime
) -> list[tuple[str, InlineKeyboardMarkup, list[int]]]:
    """The daily digest of near misses: tenders whose titles mean what a profile's keywords say in
    words no rule knows, each with why (««планшетов» по смыслу близко к «ноутбук» (0,73)»), and the
    «N ▸» buttons of ``digest_messages`` bound to their rows (``row_ids``, in order)."""
    counted = ("закупка", "закупки", "закупок")
    return digest_messages(entries, row_ids, now=now, title=NEAR_MISS_TITLE, counted=counted)


def part_marker(index: int, total: int) -> str:
    """« (часть i/n)»: a long digest is several messages, and each must say where it stands."""
    return f" (часть {index}/{total})"


CHANGE_LABELS = {
    "submission_deadline": "срок подачи заявок",
    "nmck": "НМЦК",
    "status": "статус",
    "version": "редакция",
    "title": "название",
    "auction_date": "дата аукциона",
    "bid_security": "обеспечение заявки",
    "contract_security": "обеспечение контракта",
}


def _change_value(field_name: str, value: object) -> str:
    if value is None:
        return "—"
    if field_name in ("nmck", "bid_security", "contract_security"):
        try:
            return format_money(Decimal(str(value)))
        except ArithmeticError:
            return str(value)
    if field_name == "submission_deadline":
        try:
            return datetime.fromisoformat(str(value)).astimezone(MOSCOW).strftime("%d.%m.%Y %H:%M МСК")
        except ValueError:
            return str(value)
    return str(value)


def render_change(notice: Notice, changes: Sequence[dict[str, object]], *, now: datetime) -> str:
    """What changed in a tender someone took: each field old → new, then the current card."""
    header = "⛔ Закупка отменена" if notice.cancelled else "✏️ Изменения в закупке, которую вы взяли"
    lines = [f"<b>{header}</b>"]
    for change in changes:
        name = str(change.get("field", ""))
        label = CHANGE_LABELS.get(name, name)
        old = esc(_change_value(name, change.get("old")), 200)
        new = esc(_change_value(name, change.get("new")), 200)
        lines.append(f"• {esc(label)}: {old} → <b>{new}</b>")
    lines.append("")
    lines.extend(notice_lines(notice, now))
    link = eis_link(notice)
    if link:
        lines.append(link)
    return fit("\n".join(lines))


def render_reminder(notice: Notice, *, now: datetime, user_name: str | None = None) -> str:
    """A deadline reminder for a taken tender."""
    who = f"{esc(user_name, 64)}, н" if user_name else "Н"
    lines = [f"<b>⏰ {who}апоминание: скоро срок подачи заявки</b>", *notice_lines(notice, now)]
    link = eis_link(notice)
    if link:
        lines.append(link)
    return fit("\n".join(lines))


def encode_callback(outbox_id: int, action: str) -> str:
    if action not in ACTIONS:
        raise ValueError(f"unknown alert action {action!r}")
    return f"{CALLBACK_PREFIX}:{outbox_id}:{action}"


def decode_callback(data: str | None) -> tuple[int, str] | None:
    """``t:<outbox id>:<action>`` -> (id, action); anything else (forged, truncated) -> None."""
    match = CALLBACK_RE.match(data or "")
    if match is None:
        return None
    return int(match.group(1)), match.group(2)


def alert_keyboard(outbox_id: int) -> InlineKeyboardMarkup:
    """«Беру» «Не интересно» / «Симуляция» «Подробнее», bound to the outbox row (survives restarts)."""
    row1 = [
        InlineKeyboardButton(ACTIONS[a], callback_data=encode_callback(outbox_id, a))
        for a in ("take", "skip")
    ]
    row2 = [
        InlineKeyboardButton(ACTIONS[a], callback_data=encode_callback(outbox_id, a)) for a in ("sim", "more")
    ]
    return InlineKeyboardMarkup([row1, row2])


_TAG = re.compile(r"<[^>]+>")


def html_to_console(text: str) -> str:
    """What a Telegram user would read: tags dropped, entities decoded (for the offline console mode)."""
    return html.unescape(_TAG.sub("", text))


def render_details(notice: Notice, *, max_items: int = 10) -> str:
    """«Подробнее»: positions, delivery places, dates and the platform, beyond the alert's summary."""
    lines = [f"<b>Подробнее: № {esc(notice.reg_number)}</b>"]
    if notice.items:
        lines.append("<i>Позиции:</i>")
        for item in notice.items[:max_items]:
            qty = f" — {item.quantity.normalize():f} {esc(item.unit or '')}".rstrip() if item.quantity else ""
            code = f" [{esc(item.okpd2 or item.ktru)}]" if (item.okpd2 or item.ktru) else ""
            lines.append(f"• {esc(item.name, 200)}{code}{qty}")
        if len(notice.items) > max_items:
            lines.append(f"• … и ещё {len(notice.items) - max_items}")
    elif notice.okpd2:
        lines.append("ОКПД2: " + esc(", ".join(notice.okpd2[:10])))
    for place in notice.delivery_places[:3]:
        lines.append(f"Место поставки: {esc(place, 300)}")
    if notice.auction_date:
        lines.append(f"Дата аукциона: {notice.auction_date.strftime('%d.%m.%Y')}")
    if notice.etp_name:
        lines.append(f"Площадка: {esc(notice.etp_name, 120)}")
    if notice.customer_inn:
        lines.append(f"ИНН заказчика: {esc(notice.customer_inn)}")
    if notice.preferences:
        lines.append("Преимущества: " + esc(", ".join(notice.preferences), 200))
    for note in notice.notes[:3]:
        lines.append(f"<i>{esc(note, 200)}</i>")
    return fit("\n".join(lines))


# --- notices to the admins (the service's own health) -------------------------------------------


def _moscow(when: datetime) -> str:
    return when.astimezone(MOSCOW).strftime("%d.%m %H:%M МСК")


def failure_message(
    source: str, run_id: int | None, reason: str, *, failing_since: datetime | None = None
) -> str:
    """The admins' notice of a failed crawl (Russian, HTML, like every bot message).

    ``failing_since`` marks a reminder: the source has not recovered since then.
    """
    run = f" (запуск №{run_id})" if run_id is not None else ""
    still = f"Обходы не удаются с {_moscow(failing_since)}.\n" if failing_since is not None else ""
    return (
        f"⚠️ <b>Обход источника {html.escape(source)} не удался</b>{run}\n"
        f"{html.escape(reason[:1500])}\n{still}"
        "Сервис работает дальше: следующий обход по расписанию. Подробности: "
        "<code>tenderwatch report crawls</code>"
    )


def database_failure_message(reason: str, *, failing_since: datetime | None = None) -> str:
    """The admins' notice that the service cannot write to its database (full disk, read-only, grants)."""
    still = f"Ошибка повторяется с {_moscow(failing_since)}.\n" if failing_since is not None else ""
    return (
        "⚠️ <b>Сервис не может записать в базу данных</b>\n"
        f"{html.escape(reason[:1500])}\n{still}"
        "Новые закупки не сохраняются и не рассылаются, пока это не исправлено "
        "(место на диске, права на файл или роль PostgreSQL). Сервис пробует снова по расписанию."
    )


def database_recovery_message(since: datetime) -> str:
    return f"✅ <b>Запись в базу данных снова работает</b>\nОшибки записи были с {_moscow(since)}."


def recovery_message(source: str, outcome: str, since: datetime) -> str:
    """The admins' notice that a failing source crawls again (the outage is over)."""
    return (
        f"✅ <b>Обход источника {html.escape(source)}: восстановлено</b>\n"
        f"Обходы не удавались с {_moscow(since)}; последний завершён ({html.escape(outcome)})."
    )


def suggestions_text(found: Suggestions) -> str:
    """/suggest: the minus-words a profile's triage suggests, with what they rest on."""
    decided = found.skipped + found.taken
    head = (
        f"<b>Предложения для «{esc(found.profile, 80)}»</b>\n"
        f"По {decided} {plural(decided, 'решению', 'решениям', 'решениям')}: "
        f"не интересно — {found.skipped}, взято — {found.taken}."
    )
    lines = [head]
    if found.minus_words:
        lines.append("Минус-слова, которые напрашиваются:")
    else:
        lines.append(
            f"Минус-слов пока не видно: слово должно встретиться хотя бы в {MIN_SKIPPED} "
            f"пропущенных закупках (и в {MIN_SHARE:.0%} из них) и ни в одной взятой."
        )
    for word in found.minus_words:
        example = f" — напр. «{esc(word.examples[0], 120)}»" if word.examples else ""
        lines.append(f"• <b>{esc(word.word)}</b>: в {word.skipped} из {found.skipped} пропущенных{example}")
    if found.keywords:
        taken = found.near_misses_taken
        lines.append(
            "Ключевые слова из «Возможно, интересно»: правила пропустили, а люди взяли "
            f"{taken} {plural(taken, 'закупку', 'закупки', 'закупок')}:"
        )
    for keyword in found.keywords:
        example = f" — напр. «{esc(keyword.examples[0], 120)}»" if keyword.examples else ""
        lines.append(
            f"• <b>{esc(keyword.word)}</b>: взято {keyword.taken}, "
            f"{esc(closeness(keyword.close_to, keyword.similarity))}{example}"
        )
    if not (found.minus_words or found.keywords):
        return "\n".join(lines)
    where = "в keywords или exclude" if found.keywords else "в exclude"
    lines.append(
        f"Профиль не меняется сам: согласные слова добавьте {where} профиля в settings.toml "
        "(или в свой фильтр через /filter)."
    )
    return "\n".join(lines)
