"""A fake Telegram Bot API on 127.0.0.1 for tests and the notify benchmark.

Real python-telegram-bot talks to it over HTTP (``base_url=fake.base_url``), so form encoding,
long polling, offsets and PTB's error mapping (``RetryAfter``, ``ChatMigrated``, ``Forbidden``,
``BadRequest``) are exercised for real. It runs in a daemon thread (stdlib
``ThreadingHTTPServer``), so it is independent of the event loop the bot runs in.

Every call is recorded with a monotonic timestamp; ``sends`` keeps one record per accepted
``sendMessage`` so tests can count messages per chat and per time window. Failures are injected
with ``fail(...)`` rules; ``hang(...)`` makes a ``sendMessage`` get recorded as delivered and then
never answered (the crash window of a notifier killed mid-request).
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

BOT_USER = {
    "id": 424242,
    "is_bot": True,
    "first_name": "Tenderwatch",
    "username": "tenderwatch_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    token: str


@dataclass
class Sent:
    chat_id: int
    message_id: int
    text: str
    reply_markup: dict[str, Any] | None
    at: float


@dataclass
class Rule:
    """An injected failure: the next ``times`` matching calls get ``status`` + ``body``."""

    method: str
    chat_id: int | None
    status: int
    body: dict[str, Any]
    times: int
    delay: float = 0.0


@dataclass
class _Hang:
    chat_id: int | None
    skip: int = 0
    release: threading.Event = field(default_factory=threading.Event)
    hit: threading.Event = field(default_factory=threading.Event)


def _error(code: int, description: str, **parameters: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


class FakeTelegram:
    """The fake server; use as a context manager or call ``start()``/``stop()``."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.sends: list[Sent] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.answers: list[dict[str, Any]] = []
        self.get_updates_offsets: list[int | None] = []
        self._rules: list[Rule] = []
        self._hangs: list[_Hang] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count] = {}
        self._callback_ids = itertools.count(1)
        self._cond = threading.Condition()
        self._revoked = False
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeTelegram:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                fake._handle(self)

            do_GET = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                if not isinstance(sys.exc_info()[1], ConnectionError):  # a killed client is expected
                    super().handle_error(request, client_address)

        server = Server(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.request_queue_size = 256
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-telegram", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        for hang in self._hangs:
            hang.release.set()
        with self._cond:
            self._cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "fake server not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    # --- test controls -----------------------------------------------------------------------

    def fail(
        self,
        method: str,
        kind: str,
        *,
        chat_id: int | None = None,
        times: int = 1,
        retry_after: int = 1,
        migrate_to: int = 0,
        description: str | None = None,
        delay: float = 0.0,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (for ``chat_id``, if given) fail.

        kind: retry_after (429), migrated (400 + migrate_to_chat_id), forbidden (403),
        bad_request (400), chat_not_found (400 "chat not found"), server_error (502),
        unauthorized (401: a rejected token), not_found (404: what Telegram answers for a
        malformed token), conflict (409: another poller), slow (answer normally after ``delay``).
        """
        bodies = {
            "retry_after": (
                429,
                _error(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after),
            ),
            "migrated": (
                400,
                _error(
                    400,
                    "Bad Request: group chat was upgraded to a supergroup chat",
                    migrate_to_chat_id=migrate_to,
                ),
            ),
            "forbidden": (403, _error(403, description or "Forbidden: bot was blocked by the user")),
            "bad_request": (400, _error(400, description or "Bad Request: can't parse entities")),
            "server_error": (502, _error(502, "Bad Gateway")),
            "unauthorized": (401, _error(401, "Unauthorized")),
            "not_found": (404, _error(404, "Not Found")),
            "conflict": (
                409,
                _error(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot "
                    "instance is running",
                ),
            ),
            "chat_not_found": (400, _error(400, "Bad Request: chat not found")),
            "slow": (200, {}),
        }
        status, body = bodies[kind]
        with self._cond:
            self._rules.append(Rule(method, chat_id, status, body, times, delay))

    def revoke(self) -> None:
        """From now on every call is refused with 401, as after a token is revoked in @BotFather."""
        with self._cond:
            self._revoked = True
            self._cond.notify_all()

    def hang(self, *, chat_id: int | None = None, skip: int = 0) -> _Hang:
        """Record a matching sendMessage (after ``skip`` answered ones) as delivered, then never answer it."""
        hang = _Hang(chat_id, skip)
        with self._cond:
            self._hangs.append(hang)
        return hang

    def push_update(self, update: dict[str, Any]) -> int:
        with self._cond:
            update_id = next(self._update_ids)
            self._updates.append({"update_id": update_id, **update})
            self._cond.notify_all()
        return update_id

    def user_message(self, *, chat: dict[str, Any], user: dict[str, Any], text: str) -> int:
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat["id"]),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.push_update({"message": message})

    def press_button(self, *, chat: dict[str, Any], user: dict[str, Any], message_id: int, data: str) -> str:
        """A user taps an inline button under message ``message_id``; returns the query id."""
        query_id = str(next(self._callback_ids))
        stored = self.messages.get((chat["id"], message_id), {})
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": BOT_USER,
            "text": stored.get("text", ""),
        }
        self.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "chat_instance": str(chat["id"]),
                    "message": message,
                    "data": data,
                }
            }
        )
        return query_id

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Block (in a thread: use ``asyncio.to_thread``) until ``predicate()`` holds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"fake Telegram: condition not reached in {timeout:.1f} s")
                self._cond.wait(min(remaining, 0.05))

    # --- queries for assertions --------------------------------------------------------------

    def calls_of(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def sends_to(self, chat_id: int) -> list[Sent]:
        with self._cond:
            return [s for s in self.sends if s.chat_id == chat_id]

    def max_in_window(self, window: float, chat_id: int | None = None) -> int:
        """The largest number of accepted sendMessage calls within any ``window`` seconds."""
        with self._cond:
            times = sorted(s.at for s in self.sends if chat_id is None or s.chat_id == chat_id)
        best = 0
        start = 0
        for end, at in enumerate(times):
            while at - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best

    # --- the HTTP side -----------------------------------------------------------------------

    def _next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0]
        token, _, method = path.removeprefix("/bot").partition("/")
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        params = self._decode(raw, request.headers.get("Content-Type", ""))
        status, body = self._dispatch(method, params, token)
        if status is None:
            request.close_connection = True
            return
        payload = json.dumps(body, ensure_ascii=False).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(payload)))
            request.end_headers()
            request.wfile.write(payload)
        except OSError:
            pass  # the client went away (killed notifier): nothing to answer

    @staticmethod
    def _decode(raw: bytes, content_type: str) -> dict[str, Any]:
        if not raw:
            return {}
        if "json" in content_type:
            return json.loads(raw)
        params: dict[str, Any] = {}
        for key, values in parse_qs(raw.decode(), keep_blank_values=True).items():
            value: Any = values[-1]
            try:
                value = json.loads(value)
            except ValueError:
                pass
            params[key] = value
        return params

    def _take_rule(self, method: str, chat_id: int | None) -> Rule | None:
        for rule in self._rules:
            if rule.method == method and rule.times > 0 and rule.chat_id in (None, chat_id):
                rule.times -= 1
                return rule
        return None

    def _dispatch(self, method: str, params: dict[str, Any], token: str) -> tuple[int | None, dict[str, Any]]:
        chat_id = params.get("chat_id")
        chat_id = int(chat_id) if chat_id is not None else None
        with self._cond:
            self.calls.append(Call(method, params, time.monotonic(), token))
            self._cond.notify_all()
            if self._revoked:
                return 401, _error(401, "Unauthorized")
            rule = self._take_rule(method, chat_id)
        if rule is not None and rule.delay:
            time.sleep(rule.delay)
        if rule is not None and rule.status != 200:
            return rule.status, rule.body
        handler = getattr(self, "_api_" + method, None)
        if handler is None:
            return 404, _error(404, f"Not Found: method {method}")
        return handler(params, chat_id)

    def _ok(self, result: Any) -> tuple[int, dict[str, Any]]:
        return 200, {"ok": True, "result": result}

    def _api_getMe(self, params: dict[str, Any], chat_id: int | None) -> tuple[int, dict[str, Any]]:
        return self._ok(BOT_USER)

    def _api_deleteWebhook(self, params: dict[str, Any], chat_id: int | None) -> tuple[int, dict[str, Any]]:
        return self._ok(True)

    def _api_getUpdates(self, params: dict[str, Any], chat_id: int | None) -> tuple[int, dict[str, Any]]:
        offset = params.get("offset")
        offset = int(offset) if offset not in (None, "") else None
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        with self._cond:
            self.get_updates_offsets.append(offset)
            if offset is not None:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while (
                not self._updates
                and time.monotonic() < deadline
                and self._server is not None
                and not self._revoked
            ):
                self._cond.wait(min(deadline - time.monotonic(), 0.05))
            return self._ok(list(self._updates))

    def _message(self, chat_id: int, text: str, markup: Any) -> dict[str, Any]:
        chat_type = "private" if chat_id > 0 else "supergroup"
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": chat_type},
            "from": BOT_USER,
            "text": text,
        }
        if markup:
            message["reply_markup"] = markup
        return message

    def _api_sendMessage(
        self, params: dict[str, Any], chat_id: int | None
    ) -> tuple[int | None, dict[str, Any]]:
        if chat_id is None or not params.get("text"):
            return 400, _error(400, "Bad Request: message text is empty")
        text = str(params["text"])
        if len(text) > 4096:
            return 400, _error(400, "Bad Request: message is too long")
        markup = params.get("reply_markup")
        with self._cond:
            message = self._message(chat_id, text, markup)
            self.messages[(chat_id, message["message_id"])] = message
            self.sends.append(Sent(chat_id, message["message_id"], text, markup, time.monotonic()))
            hang = next((h for h in self._hangs if not h.hit.is_set() and h.chat_id in (None, chat_id)), None)
            if hang is not None and hang.skip > 0:
                hang.skip -= 1
                hang = None
            elif hang is not None:
                hang.hit.set()
            self._cond.notify_all()
        if hang is not None:
            hang.release.wait()
            return None, {}
        return self._ok(message)

    def _edit(self, params: dict[str, Any], chat_id: int | None, *, text: bool) -> tuple[int, dict[str, Any]]:
        key = (chat_id or 0, int(params.get("message_id") or 0))
        with self._cond:
            message = self.messages.get(key)
            if message is None:
                return 400, _error(400, "Bad Request: message to edit not found")
            new_text = str(params["text"]) if text else message["text"]
            new_markup = params.get("reply_markup")
            if new_text == message["text"] and new_markup == message.get("reply_markup"):
                return 400, _error(400, "Bad Request: message is not modified")
            message["text"] = new_text
            if new_markup:
                message["reply_markup"] = new_markup
            else:
                message.pop("reply_markup", None)
            self._cond.notify_all()
            return self._ok(dict(message))

    def _api_editMessageText(self, params: dict[str, Any], chat_id: int | None) -> tuple[int, dict[str, Any]]:
        return self._edit(params, chat_id, text=True)

    def _api_editMessageReplyMarkup(
        self, params: dict[str, Any], chat_id: int | None
    ) -> tuple[int, dict[str, Any]]:
        return self._edit(params, chat_id, text=False)

    def _api_answerCallbackQuery(
        self, params: dict[str, Any], chat_id: int | None
    ) -> tuple[int, dict[str, Any]]:
        with self._cond:
            self.answers.append(params)
            self._cond.notify_all()
        return self._ok(True)

    def _api_setMyCommands(self, params: dict[str, Any], chat_id: int | None) -> tuple[int, dict[str, Any]]:
        return self._ok(True)
