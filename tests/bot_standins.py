"""Stand-ins at the network edge for the bot tests: the Telegram Bot API and the Zalo OA API.

Each is a real HTTP server on 127.0.0.1 (a thread), speaking the service's protocol closely
enough to catch our mistakes: the Bot API refuses HTML it could not parse and messages over
4096 visible characters, as Telegram does; the OA API refuses an expired token with
error -216 and accepts a refresh token only once.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from test_llm import FakeOpenAI

from assistant import Assistant
from assistant.feedback import FeedbackStore
from assistant.session import DEFAULT_ANSWER_CACHE, Session
from bots.dialogue import Dialogue

TELEGRAM_LIMIT = 4096
ZALO_LIMIT = 2000
_TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote"}
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


@contextmanager
def fake_llm() -> Iterator[FakeOpenAI]:
    """The OpenAI-compatible stand-in of test_llm, running: its `reply` becomes the answer text."""
    fake = FakeOpenAI()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class _Server:
    """A ThreadingHTTPServer whose handler calls `self.handle(method, path, headers, body)`."""

    def __init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, payload = owner.handle(self.path, dict(self.headers.items()), body)
                data = json.dumps(payload, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up a long poll while stopping

            do_GET = do_POST

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.lock = threading.Lock()
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        raise NotImplementedError

    @contextmanager
    def running(self) -> Iterator[Any]:
        self._thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


# --------------------------------------------------------------------- Telegram
def telegram_visible_text(text: str) -> str:
    """What a Telegram user sees for an HTML-mode text; ValueError where Telegram would refuse it.

    As the Bot API: every < > & outside a supported tag or an entity must be escaped, tags
    must nest, and the text between them is what the user reads.
    """
    tag = re.compile(r"<(/?)([a-z-]+)(?:\s[^<>]*)?>")
    stack: list[str] = []
    parts: list[str] = []
    position = 0
    for match in tag.finditer(text):
        parts.append(text[position : match.start()])
        position = match.end()
        closing, name = match.group(1), match.group(2)
        if name not in _TELEGRAM_TAGS:
            raise ValueError(f"can't parse entities: unsupported tag <{name}>")
        if not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            raise ValueError(f"can't parse entities: unmatched end tag </{name}>")
    parts.append(text[position:])
    if stack:
        raise ValueError(f"can't parse entities: unclosed <{stack[-1]}>")
    data = "".join(parts)
    if "<" in data or ">" in data:
        raise ValueError("can't parse entities: unescaped < or >")
    for match in re.finditer(r"&", data):
        if not _ENTITY.match(data, match.start()):
            raise ValueError(f"can't parse entities: unescaped & at {match.start()}")
    return html.unescape(data)


class BotAPIStandIn(_Server):
    """POST /bot<token>/<method>: getMe, getUpdates (from a queue), sendMessage, and the rest we call."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._updates: list[dict[str, Any]] = []
        self._arrived = threading.Condition(self.lock)
        self._ids = itertools.count(1)
        self.flood_refusals = 0  # the next sendMessage calls answered 429 "retry after 1", as flood control does
        self.blocked: set[int] = set()  # chats whose user blocked the bot: sendMessage answered 403

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    # ---- what the test does
    def message_update(self, chat_id: int, user_id: int, text: str) -> dict[str, Any]:
        """An Update with a user's text message, as Telegram delivers it."""
        message = self._message(chat_id, text, sender={"id": user_id, "is_bot": False, "first_name": "Chủ cơ sở"})
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"update_id": next(self._ids), "message": message}

    def push_message(self, chat_id: int, user_id: int, text: str) -> None:
        self._push(self.message_update(chat_id, user_id, text))

    def push_button(self, chat_id: int, user_id: int, data: str) -> None:
        query = {
            "id": f"cb{next(self._ids)}",
            "from": {"id": user_id, "is_bot": False, "first_name": "Chủ cơ sở"},
            "chat_instance": "ci",
            "data": data,
            "message": self._message(chat_id, "…", sender={"id": 1, "is_bot": True, "first_name": "KC"}),
        }
        self._push({"callback_query": query})

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        with self.lock:
            return [params for name, params in self.calls if name == method]

    def methods(self) -> list[str]:
        with self.lock:
            return [name for name, _ in self.calls]

    def visible(self, params: dict[str, Any]) -> str:
        return telegram_visible_text(params["text"]) if params.get("parse_mode") == "HTML" else params["text"]

    # ---- the protocol
    def _message(self, chat_id: int, text: str, sender: dict[str, Any]) -> dict[str, Any]:
        return {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Chủ cơ sở"},
            "from": sender,
            "text": text,
        }

    def _push(self, update: dict[str, Any]) -> None:
        with self._arrived:
            self._updates.append({"update_id": next(self._ids), **update} if "update_id" not in update else update)
            self._arrived.notify_all()

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        method = path[len(prefix) :]
        params = _form_or_json(headers, body)
        with self.lock:
            self.calls.append((method, params))
        return self._answer(method, params)

    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        if method == "getMe":
            bot = {"id": 1, "is_bot": True, "first_name": "KC", "username": "khuyencong_bot"}
            return 200, {"ok": True, "result": bot}
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._take_updates(params)}
        if method == "sendMessage" and self._flooded():
            flood = {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1"}
            return 429, {**flood, "parameters": {"retry_after": 1}}
        if method == "sendMessage" and int(params.get("chat_id") or 0) in self.blocked:
            return 403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
        if method == "sendMessage":
            try:
                visible = self.visible(params)
            except ValueError as error:
                return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {error}"}
            if not visible.strip() or len(visible.encode("utf-16-le")) // 2 > TELEGRAM_LIMIT:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"}
            chat = {"id": int(params["chat_id"]), "type": "private"}
            message = {"message_id": next(self._ids), "date": int(time.time()), "chat": chat, "text": visible}
            return 200, {"ok": True, "result": message}
        if method in ("sendChatAction", "answerCallbackQuery", "deleteWebhook", "setMyCommands", "setWebhook"):
            return 200, {"ok": True, "result": True}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}

    def _flooded(self) -> bool:
        with self.lock:
            if self.flood_refusals <= 0:
                return False
            self.flood_refusals -= 1
            return True

    def _take_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), 0.5)
        with self._arrived:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and wait:
                self._arrived.wait(wait)
            return list(self._updates)


def _form_or_json(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    if "json" in headers.get("Content-Type", headers.get("content-type", "")):
        return dict(json.loads(body))
    return dict(parse_qsl(body.decode(), keep_blank_values=True))


# ------------------------------------------------------------------------- Zalo
class ZaloStandIn(_Server):
    """POST /v3.0/oa/message/cs and /v4/oa/access_token, with one valid token pair at a time."""

    def __init__(self, app_id: str, app_secret: str, access_token: str, refresh_token: str) -> None:
        super().__init__()
        self.app_id = app_id
        self.app_secret = app_secret
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.sends: list[dict[str, Any]] = []
        self.refreshes: list[dict[str, Any]] = []
        self._pairs = itertools.count(2)

    def expire_token(self) -> None:
        """The current access token stops working (as after ~25 hours)."""
        with self.lock:
            self.access_token = f"expired-{self.access_token}"

    def texts_to(self, user_id: str) -> list[str]:
        with self.lock:
            return [s["message"]["text"] for s in self.sends if s["recipient"]["user_id"] == user_id]

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        with self.lock:
            if path == "/v3.0/oa/message/cs":
                return self._send(headers, json.loads(body))
            if path == "/v4/oa/access_token":
                return self._refresh(headers, dict(parse_qsl(body.decode())))
        return 404, {"error": 404, "message": "not found"}

    def _send(self, headers: dict[str, str], payload: dict[str, Any]) -> tuple[int, Any]:
        if headers.get("access_token") != self.access_token:
            return 200, {"error": -216, "message": "Access token is invalid"}
        text = payload.get("message", {}).get("text", "")
        if not text or len(text) > ZALO_LIMIT:
            return 200, {"error": -201, "message": "Message text is invalid or too long"}
        self.sends.append({**payload, "access_token": headers["access_token"]})
        return 200, {"error": 0, "message": "Success", "data": {"message_id": f"m{len(self.sends)}"}}

    def _refresh(self, headers: dict[str, str], form: dict[str, str]) -> tuple[int, Any]:
        self.refreshes.append({**form, "secret_key": headers.get("secret_key")})
        valid = (
            headers.get("secret_key") == self.app_secret
            and form.get("app_id") == self.app_id
            and form.get("grant_type") == "refresh_token"
            and form.get("refresh_token") == self.refresh_token
        )
        if not valid:
            return 200, {"error": -14014, "error_name": "Invalid refresh token", "message": "Invalid refresh token"}
        number = next(self._pairs)
        self.access_token, self.refresh_token = f"access-{number}", f"refresh-{number}"
        return 200, {"access_token": self.access_token, "refresh_token": self.refresh_token, "expires_in": "90000"}


def make_dialogue(assistant: Assistant, feedback: FeedbackStore) -> Dialogue:
    """The bots' dialogue over a session like the server's: answers stored, answer cache on."""
    return Dialogue(Session(assistant, feedback=feedback, answer_cache=DEFAULT_ANSWER_CACHE))


def poll_while(application: Any, api: Any, script: Callable[[Any], Any]) -> None:
    """Run a python-telegram-bot Application by long polling while `script(api)` talks to it from a thread."""

    async def session() -> None:
        async with application:
            await application.updater.start_polling(poll_interval=0.0, timeout=1)
            await application.start()
            try:
                await asyncio.to_thread(script, api)
            finally:
                await application.updater.stop()
                await application.stop()

    asyncio.run(session())
