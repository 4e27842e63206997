"""Zalo Official Account: the webhook route, and replies through the OA message API (httpx).

An event is a JSON POST (`event_name`, `app_id`, `sender.id`, `message.msg_id`,
`message.text`, `timestamp` in ms) signed in the header X-ZEvent-Signature as
"mac=" + sha256(app_id + raw body + timestamp + OA secret key) in hex. The route:

- answers 400 to a body that is not such an event, 403 to a missing or wrong signature;
- acknowledges at once (Zalo wants 200 within about 2 s) and answers in the background;
- ignores, with 200, signed events older than `ZALO_MAX_EVENT_AGE` (replays; a late
  Zalo retry of an event already seen must not be refused, or Zalo keeps retrying) and
  repeated msg_id deliveries;
- replies by POST {recipient: {user_id}, message: {text}} to /v3.0/oa/message/cs with
  the `access_token` header, in pieces of at most 2000 characters. When the API says the
  token is invalid or expired, the refresh token (single use) buys a new pair, which is
  written to `<data_dir>/zalo_tokens.json` before the send is retried.

Deadline reminders (the user types /nhac, `bots/reminders.py`) are sent by one APScheduler job
started and stopped with the route's lifespan.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from assistant.errors import EventRefused, InvalidEvent, ZaloError
from assistant.problems import network_problem

from .base import Channel
from .config import ZaloSettings
from .dialogue import Chat, Dialogue, Reply
from .formatting import Line, render_plain
from .reminders import REMINDER_FIRST, REMINDER_INTERVAL, Reminders

__all__ = [
    "CHANNEL",
    "MAX_MESSAGE_CHARS",
    "SIGNATURE_HEADER",
    "OAClient",
    "TokenPair",
    "TokenStore",
    "ZaloChannel",
    "ZaloError",
    "sign_event",
    "zalo_router",
]

log = logging.getLogger(__name__)

CHANNEL = "zalo"
MAX_MESSAGE_CHARS = 2000
SIGNATURE_HEADER = "X-ZEvent-Signature"
MESSAGE_PATH = "/v3.0/oa/message/cs"
TOKEN_PATH = "/v4/oa/access_token"
# -216 access token invalid, -220 access token expired or removed, -124 access token expired (older API).
TOKEN_ERRORS = frozenset({-216, -220, -124})
VOTE_HINT = "Gửi 👍 nếu câu trả lời hữu ích, 👎 nếu chưa."
FUTURE_SKEW_MS = 60_000
SHUTDOWN_WAIT = 10.0


class ZaloChannel(Channel):
    """Zalo OA: plain texts of at most 2000 characters; the webhook when any ZALO_* credential is set."""

    name = CHANNEL
    max_message_chars = MAX_MESSAGE_CHARS

    @classmethod
    def configured(cls) -> bool:
        return ZaloSettings.wanted()

    @classmethod
    def webhook(cls, dialogue: Dialogue, data_dir: Path) -> APIRouter:
        return zalo_router(ZaloSettings.from_env(data_dir), dialogue)

    @staticmethod
    def render(lines: list[Line]) -> str:
        return render_plain(lines)


def sign_event(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The X-ZEvent-Signature value Zalo sends for this event."""
    digest = hashlib.sha256(app_id.encode() + body + timestamp.encode() + oa_secret_key.encode()).hexdigest()
    return f"mac={digest}"


# ----------------------------------------------------------------- tokens
@dataclass(frozen=True)
class TokenPair:
    """An OA access token and the single-use refresh token that renews it."""

    access_token: str
    refresh_token: str


class TokenStore:
    """The current token pair: the renewed one on disk, else the first one from the environment.

    The file also records a digest of the environment's refresh token it grew from; when the
    operator sets a new pair in the environment (after granting access again), that one wins.
    """

    def __init__(self, settings: ZaloSettings) -> None:
        self.path = settings.token_file
        self.initial = TokenPair(settings.access_token, settings.refresh_token)

    def _origin(self) -> str:
        return hashlib.sha256(self.initial.refresh_token.encode()).hexdigest()

    def load(self) -> TokenPair:
        """The pair to use now."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("origin") == self._origin():
                return TokenPair(str(data["access_token"]), str(data["refresh_token"]))
        except (OSError, ValueError, KeyError, AttributeError):
            pass
        return self.initial

    def save(self, pair: TokenPair) -> None:
        """Write the pair atomically (temporary file, then rename), readable by the owner only."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        payload = {**pair.__dict__, "origin": self._origin(), "saved_at": time.time()}
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)


class OAClient:
    """Sends text through the OA message API, renewing the access token when told it expired."""

    def __init__(self, settings: ZaloSettings, http: httpx.AsyncClient, store: TokenStore | None = None) -> None:
        self.settings = settings
        self.http = http
        self.store = store or TokenStore(settings)
        self._pair = self.store.load()
        self._lock = asyncio.Lock()

    @property
    def tokens(self) -> TokenPair:
        """The pair in use."""
        return self._pair

    async def send_text(self, user_id: str, text: str) -> dict[str, Any]:
        """POST one text message; renews the token once if the API says it is invalid or expired."""
        stale = self._pair
        data = await self._post_message(stale, user_id, text)
        if data.get("error") in TOKEN_ERRORS:
            await self._renew(stale)
            data = await self._post_message(self._pair, user_id, text)
        if data.get("error") != 0:
            raise ZaloError(f"Zalo từ chối gửi tin (mã {data.get('error')}): {data.get('message', '')}")
        return data

    async def _post_message(self, pair: TokenPair, user_id: str, text: str) -> dict[str, Any]:
        return await self._post_json(
            self.settings.api_url + MESSAGE_PATH,
            json={"recipient": {"user_id": user_id}, "message": {"text": text}},
            headers={"access_token": pair.access_token},
        )

    async def _renew(self, stale: TokenPair) -> None:
        async with self._lock:
            if self._pair != stale:
                return  # another send renewed it while we waited
            saved = self.store.load()
            if saved != stale:  # another server process renewed it: its pair is on disk
                self._pair = saved
                return
            data = await self._post_json(
                self.settings.oauth_url + TOKEN_PATH,
                data={
                    "refresh_token": stale.refresh_token,
                    "app_id": self.settings.app_id,
                    "grant_type": "refresh_token",
                },
                headers={"secret_key": self.settings.app_secret},
            )
            if not data.get("access_token") or not data.get("refresh_token"):
                raise ZaloError(
                    "Không gia hạn được access token Zalo "
                    f"({data.get('error_name') or data.get('message') or data.get('error')}). Hãy cấp lại quyền cho "
                    "ứng dụng trong OA, rồi đặt ZALO_ACCESS_TOKEN và ZALO_REFRESH_TOKEN mới."
                )
            pair = TokenPair(str(data["access_token"]), str(data["refresh_token"]))
            self.store.save(pair)  # on disk before use: the old refresh token is spent
            self._pair = pair
            log.info("zalo access token renewed")

    async def _post_json(self, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self.http.post(url, **kwargs)
            data = response.json()
        except httpx.HTTPError as exc:
            raise ZaloError(f"Không gọi được API Zalo tại {url}: {network_problem(exc)}.") from exc
        except ValueError as exc:
            raise ZaloError(f"API Zalo trả lời không phải JSON tại {url}.") from exc
        if not isinstance(data, dict):
            raise ZaloError(f"API Zalo trả lời không đúng dạng tại {url}.")
        return data


# ----------------------------------------------------------------- events
def _parse_event(raw: bytes) -> dict[str, Any] | None:
    """The event object, or None when the body is not a Zalo event."""
    try:
        event = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(event, dict) or not isinstance(event.get("event_name"), str):
        return None
    if not str(event.get("timestamp", "")).isdecimal():  # int() refuses the "³" that isdigit() takes
        return None
    return event


def _text_message(event: dict[str, Any]) -> tuple[str, str, str] | None:
    """(sender id, msg_id, text) of a user_send_text event, None when a field is missing."""
    sender, message = event.get("sender"), event.get("message")
    if not isinstance(sender, dict) or not isinstance(message, dict):
        return None
    user_id, msg_id, text = sender.get("id"), message.get("msg_id"), message.get("text")
    if not all(isinstance(v, str | int) and str(v) for v in (user_id, msg_id)) or not isinstance(text, str):
        return None
    return str(user_id), str(msg_id), text


class ZaloBot:
    """Checks events, answers them in the background through an `OAClient`."""

    def __init__(self, settings: ZaloSettings, dialogue: Dialogue, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.dialogue = dialogue
        self.clock = clock
        self.reminders = Reminders(dialogue, CHANNEL)
        self.client: OAClient | None = None
        self._replay_window = max(settings.max_event_age, 60.0) * 2  # older events are refused as stale anyway
        self._tasks: set[asyncio.Task[None]] = set()

    def signed(self, raw: bytes, event: dict[str, Any], header: str) -> bool:
        """True when the header is the event's signature under our app id and OA secret key."""
        expected = sign_event(self.settings.app_id, raw, str(event["timestamp"]), self.settings.oa_secret_key)
        return hmac.compare_digest(header.strip().encode(), expected.encode())

    def fresh(self, event: dict[str, Any]) -> bool:
        """True when the event's timestamp is within the allowed age (and not from the future)."""
        age_ms = self.clock() * 1000 - int(event["timestamp"])
        return -FUTURE_SKEW_MS <= age_ms <= self.settings.max_event_age * 1000

    def take(self, event: dict[str, Any]) -> str:
        """Start answering an event; returns what was done: accepted, ignored or duplicate."""
        name = event["event_name"]
        if name == "follow":
            follower = event.get("follower")
            if isinstance(follower, dict) and follower.get("id"):
                if not self._first(f"follow:{follower['id']}:{event['timestamp']}"):
                    return "duplicate"
                self._spawn(self._send(str(follower["id"]), self.dialogue.greeting()))
                return "accepted"
            return "ignored"
        if name != "user_send_text":
            return "ignored"
        user_id, msg_id, text = _text_message(event) or ("", "", "")
        if not self._first(f"msg:{msg_id}"):
            return "duplicate"
        self._spawn(self._answer(user_id, text))
        return "accepted"

    def _first(self, key: str) -> bool:
        """Whether the event is new: remembered in the feedback store, so across restarts and processes."""
        return self.dialogue.session.first_event(CHANNEL, key, self._replay_window, self.clock())

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, user_id: str, text: str) -> None:
        reply = await asyncio.to_thread(self.dialogue.handle, Chat(CHANNEL, user_id, user_id), text)
        await self._send(user_id, reply)

    async def _send(self, user_id: str, reply: Reply) -> None:
        lines = [*reply.lines, Line(""), Line(VOTE_HINT)] if reply.answer_id else reply.lines
        assert self.client is not None, "the Zalo route's lifespan creates the client"
        try:
            for text in ZaloChannel.messages(lines):
                await self.client.send_text(user_id, text)
        except ZaloError as error:
            log.error("zalo reply to %s failed: %s", user_id, error.message)

    async def send_reminders(self) -> int:
        """Send the due deadline reminders to the subscribed users (each once); returns how many."""
        return await self.reminders.send_due(self._send_or_raise)

    async def _send_or_raise(self, user_id: str, reply: Reply) -> None:
        assert self.client is not None, "the Zalo route's lifespan creates the client"
        for text in ZaloChannel.messages(reply.lines):
            await self.client.send_text(user_id, text)

    async def drain(self, timeout: float = SHUTDOWN_WAIT) -> None:
        """Wait for the answers still being sent (at shutdown), cancelling what takes longer."""
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        for task in pending:
            with suppress(asyncio.CancelledError):
                await task


def zalo_router(
    settings: ZaloSettings,
    dialogue: Dialogue,
    reminder_every: float = REMINDER_INTERVAL,
    reminder_first: float = REMINDER_FIRST,
) -> APIRouter:
    """POST `settings.webhook_path`: events from the Zalo OA; reminders every `reminder_every` seconds."""
    bot = ZaloBot(settings, dialogue)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=15.0) as http:
            bot.client = OAClient(settings, http)
            scheduler = _reminder_scheduler(bot, reminder_every, reminder_first)
            try:
                yield
            finally:
                if scheduler is not None:
                    scheduler.shutdown(wait=False)
                await bot.drain()
                bot.client = None

    router = APIRouter(lifespan=lifespan)
    router.zalo_bot = bot  # type: ignore[attr-defined]  # for operators' scripts and tests

    @router.post(settings.webhook_path, include_in_schema=False)
    async def webhook(request: Request) -> Response:
        raw = await request.body()
        event = _parse_event(raw)
        if event is None:
            raise InvalidEvent("Nội dung không phải một sự kiện Zalo OA hợp lệ.")
        if not bot.signed(raw, event, request.headers.get(SIGNATURE_HEADER, "")):
            raise EventRefused(f"Sai hoặc thiếu chữ ký sự kiện ({SIGNATURE_HEADER}).", code="bad_signature")
        if event["event_name"] == "user_send_text" and _text_message(event) is None:
            raise InvalidEvent("Sự kiện user_send_text thiếu sender.id, msg_id hoặc text.")
        if not bot.fresh(event):
            return JSONResponse({"status": "stale"})
        return JSONResponse({"status": bot.take(event)})

    return router


def _reminder_scheduler(bot: ZaloBot, every: float, first: float) -> Any:
    """APScheduler running `bot.send_reminders` on this event loop (None when the session keeps no store)."""
    if bot.dialogue.session.feedback is None:
        return None
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    scheduler = AsyncIOScheduler()
    start = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=first)
    scheduler.add_job(
        bot.send_reminders,
        "interval",
        seconds=every,
        next_run_time=start,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    scheduler.start()
    return scheduler
