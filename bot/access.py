"""Who may use the bot: admins and allowed users anywhere, and anyone inside an allowed group.

The settings list the initial admins, users and chats; admins add more with ``/allow`` (stored in
the database, so they survive restarts). Admin-only commands check the admin list alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session

from data.store.chats import allowed_chat_ids
from data.store.chats import allowed_user_ids


@dataclass(frozen=True)
class AccessPolicy:
    admins: frozenset[int] = frozenset()
    users: frozenset[int] = frozenset()
    chats: frozenset[int] = frozenset()

    @classmethod
    def of(cls, *, admins: Iterable[int], users: Iterable[int], chats: Iterable[int]) -> AccessPolicy:
        return cls(frozenset(admins), frozenset(users), frozenset(chats))

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admins

    def permits(
        self,
        *,
        user_id: int | None,
        chat_id: int | None,
        chat_type: str | None,
        extra_users: Iterable[int] = (),
        extra_chats: Iterable[int] = (),
    ) -> bool:
        """Admins and allowed users anywhere; in a group or channel, any member of an allowed chat."""
        if user_id is not None and (
            user_id in self.admins or user_id in self.users or user_id in set(extra_users)
        ):
            return True
        if chat_id is None or chat_type == "private":
            return False
        return chat_id in self.chats or chat_id in set(extra_chats)

    def permits_stored(
        self, session: Session, *, user_id: int | None, chat_id: int | None, chat_type: str | None
    ) -> bool:
        """``permits`` including the users and chats admins added with /allow."""
        if self.permits(user_id=user_id, chat_id=chat_id, chat_type=chat_type):
            return True
        return self.permits(
            user_id=user_id,
            chat_id=chat_id,
            chat_type=chat_type,
            extra_users=allowed_user_ids(session),
            extra_chats=allowed_chat_ids(session),
        )


def refusal(user_id: int | None, chat_id: int | None) -> str:
    """The polite answer to a stranger: their ids to pass to an admin, and nothing else."""
    ids = f"ваш id: <code>{user_id}</code>"
    if chat_id is not None and chat_id != user_id:
        ids += f", id чата: <code>{chat_id}</code>"
    return (
        "Здравствуйте! Этот бот работает только для сотрудников отдела продаж.\n"
        f"Чтобы получить доступ, передайте администратору {ids}."
    )
