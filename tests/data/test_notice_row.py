"""The stored row and the model agree field for field, and one function turns one into the other."""

from __future__ import annotations

from data.models import NoticeRow
from data.notice import Notice
from data.store import notice_from_row

ROW_ONLY = {"id", "first_seen_at", "changed_at"}
"""What only the database keeps: its key and when it first saw and last changed the notice."""
NOTICE_ONLY = {"items"}
"""The positions live in their own table (notice_items)."""


def test_notice_and_notice_row_have_the_same_fields():
    """A field added to one and not the other would be silently dropped on its way to or from
    the database (the store copies ``NOTICE_COLUMNS``, the model's names)."""
    assert set(NoticeRow.model_fields) - ROW_ONLY == set(Notice.model_fields) - NOTICE_ONLY


def test_a_row_becomes_the_notice_it_stores():
    notice = Notice(reg_number="0373200138225000001", law="44-FZ", title="Поставка ноутбуков", kind="auction")
    row = NoticeRow(**notice.model_dump(exclude={"items"}))
    assert notice_from_row(row) == notice
