"""The conversation both bots share: commands, questions with follow-ups, votes, a rate limit.

A channel (Telegram, Zalo) turns an incoming message into `Dialogue.handle(chat, text)`
and sends back the `Reply` lines in its own format. Questions go through the assistant's
conversation layer (`assistant.session.Session`), as the HTTP API's do: follow-up resolution
against the chat's history, the answer cache, and a row in the feedback store, so 👍/👎 from
a chat land next to the API's.

Commands: /start (greeting, what the bot knows, example questions), /help, /nguon
(documents with dates), /hanchot (deadlines found in the documents, with sources), /nhac
(remind this chat of those deadlines, `bots/reminders.py`) and /huynhac (stop). Zalo has no
command menu: there the same words are typed as text.
A message that is only 👍 or 👎 votes on the chat's last answer.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cachetools import LRUCache

from assistant.deadlines import Reminder
from assistant.errors import AssistantError
from assistant.ratelimit import RateLimiter
from assistant.session import Session
from assistant.text import fold
from assistant.types import DocumentKind

from .formatting import Line

__all__ = ["EXAMPLE_QUESTIONS", "Chat", "Dialogue", "RateLimiter", "Reply"]

log = logging.getLogger(__name__)

EXAMPLE_QUESTIONS = (
    "Hạn đăng ký kế hoạch khuyến công quốc gia năm 2024 là ngày nào?",
    "Năm 2022 kinh phí KCQG được phân bổ bao nhiêu?",
    "Đồng Nai năm 2023 hỗ trợ bao nhiêu cơ sở?",
)
THUMBS = {"👍": True, "👎": False}
_MODIFIERS = re.compile("[\ufe0f\U0001f3fb-\U0001f3ff]")
MAX_REMEMBERED_CHATS = 10_000


@dataclass(frozen=True)
class Chat:
    """Where a message came from: channel name, chat (conversation) and user ids."""

    channel: str
    chat_id: str
    user_id: str

    @property
    def conversation_id(self) -> str:
        """A conversation id the API accepts, one per channel and chat."""
        return re.sub(r"[^A-Za-z0-9_-]", "_", f"{self.channel}-{self.chat_id}")[:64]


@dataclass(frozen=True)
class Reply:
    """What to send back; `answer_id` is set when the reply is an answer one can vote on."""

    lines: list[Line]
    answer_id: str | None = None
    citations: list[dict[str, Any]] = field(default_factory=list)


class Dialogue:
    """Commands, questions and votes for every chat channel."""

    def __init__(
        self, session: Session, limiter: RateLimiter | None = None, clock: Callable[[], dt.date] | None = None
    ) -> None:
        self.session = session
        self.clock = clock  # "today" for /nhac and the reminders; None: the assistant's (KHUYENCONG_TODAY or the date)
        # counted in the feedback store (when the session keeps one): one budget per user for every worker
        store = session.feedback.location if session.feedback is not None else None
        self.limiter = limiter or RateLimiter(session.assistant.settings.bots.bot_rate_limit, store=store, scope="bot")
        self._last_answer: LRUCache[str, str] = LRUCache(MAX_REMEMBERED_CHATS)  # conversation id -> answer id
        self._lock = threading.Lock()
        self._commands: dict[str, Callable[[Chat], Reply]] = {
            "/start": lambda _chat: self.greeting(),
            "/help": lambda _chat: self.help(),
            "/trogiup": lambda _chat: self.help(),
            "/nguon": lambda _chat: self.documents(),
            "/hanchot": lambda _chat: self.deadline_list(),
            "/nhac": self.subscribe,
            "/huynhac": self.unsubscribe,
        }

    # ------------------------------------------------------------------ entry
    def handle(self, chat: Chat, text: str) -> Reply:
        """Answer one incoming text message (blocking: call it from a worker thread)."""
        wait = self.limiter.wait_for(f"{chat.channel}:{chat.user_id}")
        if wait > 0:
            return _say(
                f"Bạn gửi hơi nhanh, xin lỗi vì phải nhờ bạn chờ một chút. "
                f"Mời bạn hỏi lại sau khoảng {max(1, round(wait))} giây nhé 🙏"
            )
        try:
            return self._dispatch(chat, text.strip())
        except AssistantError as error:
            return _say(error.message)
        except Exception:  # the user gets a sentence, the log gets the traceback
            log.exception("bot dialogue failed on %r", text[:200])
            return _say("Xin lỗi, trợ lý đang gặp lỗi khi trả lời. Bạn vui lòng thử lại sau ít phút.")

    def _dispatch(self, chat: Chat, text: str) -> Reply:
        if text.startswith("/"):
            command = fold(text.split()[0].split("@")[0])
            action = self._commands.get(command)
            if action is None:
                return Reply([Line(f"Không có lệnh {text.split()[0]}."), Line(""), *self.help().lines])
            return action(chat)
        thumb = _MODIFIERS.sub("", text)
        if thumb in THUMBS:
            return _say(self.vote_last(chat, THUMBS[thumb]))
        return self.answer(chat, text)

    # -------------------------------------------------------------- questions
    def answer(self, chat: Chat, question: str) -> Reply:
        """Answer a question in the chat's conversation; the reply lists the sources."""
        result = self.session.ask_in_chat(question, chat.conversation_id, chat.channel)
        if result.answer_id is not None:
            with self._lock:
                self._last_answer[chat.conversation_id] = result.answer_id
        lines = []
        if result.resolved_question:
            lines += [Line(f"(Câu hỏi được hiểu là: {result.resolved_question})"), Line("")]
        lines += [Line(part) for part in result.answer.answer.splitlines()]
        citations = [c.to_dict() for c in result.answer.citations]
        if citations:
            lines += [Line(""), Line("Nguồn:", bold=True), *_source_lines(citations)]
        return Reply(lines, answer_id=result.answer_id, citations=citations)

    def sources(self, answer_id: str) -> Reply:
        """The quoted passages behind an earlier answer."""
        stored = self.session.stored_answer(answer_id)
        if stored is None:
            return _say("Không còn thông tin về câu trả lời này. Bạn hãy hỏi lại nhé.")
        citations = stored.get("citations", [])
        if not citations:
            return _say("Câu trả lời này không trích đoạn tài liệu nào.")
        lines = [Line("Nguồn của câu trả lời:", bold=True)]
        for source, citation in zip(_source_lines(citations), citations):
            lines += [Line(""), Line(source.text, bold=True), Line(f"“{citation['quote']}”")]
        return Reply(lines)

    def vote(self, answer_id: str, helpful: bool, channel: str) -> str:
        """Store 👍/👎 for an answer; returns the thanks to show."""
        self.session.vote(answer_id, helpful, channel=channel)
        if helpful:
            return "Cảm ơn bạn! Góp ý 👍 đã được ghi lại."
        return "Cảm ơn bạn! Góp ý 👎 đã được ghi lại; chúng tôi sẽ xem lại câu trả lời này."

    def vote_last(self, chat: Chat, helpful: bool) -> str:
        """Vote on the chat's most recent answer (for channels without buttons)."""
        with self._lock:
            answer_id = self._last_answer.get(chat.conversation_id)
        if answer_id is None:
            return "Chưa có câu trả lời nào để góp ý. Bạn hãy đặt câu hỏi trước nhé."
        return self.vote(answer_id, helpful, chat.channel)

    # --------------------------------------------------------------- commands
    def greeting(self) -> Reply:
        """/start: what the bot is, what it knows, how to ask."""
        documents = self.session.assistant.documents()
        lines = [
            Line("Xin chào! Tôi là trợ lý hỏi đáp về khuyến công.", bold=True),
            Line(
                f"Tôi trả lời từ {len(documents)} tài liệu (công văn, báo cáo, tin về khuyến công), "
                "luôn kèm nguồn trích dẫn; khi tài liệu không có thông tin, tôi sẽ nói rõ."
            ),
            Line("Bạn có thể gõ có dấu hoặc không dấu, ví dụ:"),
            *(Line(f"• {question}") for question in EXAMPLE_QUESTIONS),
            Line(""),
            *_command_lines(),
        ]
        return Reply(lines)

    def help(self) -> Reply:
        """/help: how to ask and the commands."""
        lines = [
            Line("Cách dùng", bold=True),
            Line("Gõ câu hỏi về khuyến công (có dấu hoặc không dấu). Có thể hỏi tiếp ngắn gọn, ví dụ “còn Đồng Nai?”."),
            Line("Gửi 👍 hoặc 👎 để góp ý về câu trả lời vừa nhận."),
            Line(""),
            *_command_lines(),
        ]
        return Reply(lines)

    def documents(self) -> Reply:
        """/nguon: the indexed documents with their kind, number and date."""
        documents = self.session.assistant.documents()
        lines = [Line(f"Các tài liệu trợ lý đang dùng ({len(documents)}):", bold=True)]
        for number, document in enumerate(documents, 1):
            lines += [Line(f"{number}. {document.get('title') or document.get('id')}"), Line(_document_facts(document))]
        return Reply(lines)

    def deadline_list(self) -> Reply:
        """/hanchot: deadlines stated in the documents, by date, each with its sentence and source."""
        deadlines = self.session.deadlines()
        if not deadlines:
            return _say("Chưa tìm thấy hạn chót nào trong các tài liệu hiện có.")
        lines = [Line(f"Các hạn chót ghi trong tài liệu ({len(deadlines)}):", bold=True)]
        for number, deadline in enumerate(deadlines, 1):
            source = f"{deadline.title} — {deadline.locator}" if deadline.locator else deadline.title
            lines += [
                Line(""),
                Line(f"{number}. {deadline.when}", bold=True),
                Line(f"“{deadline.sentence}”"),
                Line(f"Nguồn: {source}"),
            ]
        lines += [Line(""), Line("Lưu ý: đây là các hạn ghi trong văn bản; kế hoạch năm sau có thể có hạn khác.")]
        return Reply(lines)

    def today(self) -> dt.date:
        """Today's date as the reminders count it (`clock`, else the assistant's)."""
        return self.clock() if self.clock else self.session.assistant.today()

    def subscribe(self, chat: Chat) -> Reply:
        """/nhac: remind this chat of the documents' deadlines, `reminder_days` before each one."""
        if self.session.feedback is None:
            return _say("Xin lỗi, trợ lý chạy ở chế độ không lưu dữ liệu nên chưa nhắc hạn được.")
        days = self.session.assistant.settings.bots.reminder_days
        new = self.session.subscribe(chat.channel, chat.chat_id)
        first = "Đã đăng ký nhắc hạn." if new else "Cuộc trò chuyện này đã đăng ký nhắc hạn rồi."
        when = f"{days} ngày trước" if days else "đúng ngày của"
        lines = [
            Line(first, bold=True),
            Line(f"Trợ lý sẽ nhắc {when} mỗi hạn chót ghi trong tài liệu, mỗi hạn một lần."),
        ]
        upcoming = self.session.upcoming_deadlines(self.today())
        if upcoming:
            lines.append(Line(f"Các hạn chưa qua ({len(upcoming)}):"))
            lines += [Line(f"• {day:%d/%m/%Y}: {deadline.when} — {deadline.title}") for deadline, day in upcoming]
        else:
            lines.append(Line("Hiện tài liệu chưa có hạn nào chưa qua; khi có văn bản mới ghi hạn, trợ lý sẽ nhắc."))
        lines.append(Line("Gửi /huynhac để thôi nhận nhắc hạn."))
        return Reply(lines)

    def unsubscribe(self, chat: Chat) -> Reply:
        """/huynhac: stop this chat's reminders."""
        if self.session.feedback is None or not self.session.unsubscribe(chat.channel, chat.chat_id):
            return _say("Cuộc trò chuyện này chưa đăng ký nhắc hạn. Gửi /nhac để đăng ký.")
        return _say("Đã hủy nhắc hạn: trợ lý sẽ không gửi nhắc hạn cho bạn nữa. Gửi /nhac để đăng ký lại.")

    def reminder(self, reminder: Reminder) -> Reply:
        """The message reminding a subscribed chat of one deadline."""
        deadline = reminder.deadline
        left = "hôm nay là hạn chót" if reminder.days_left == 0 else f"còn {reminder.days_left} ngày"
        source = f"{deadline.title} — {deadline.locator}" if deadline.locator else deadline.title
        return Reply(
            [
                Line(f"⏰ Nhắc hạn: {left} ({reminder.date:%d/%m/%Y})", bold=True),
                Line(f"“{deadline.sentence}”"),
                Line(f"Nguồn: {source}"),
                Line(""),
                Line("Gửi /huynhac để thôi nhận nhắc hạn."),
            ]
        )


def _say(text: str) -> Reply:
    return Reply([Line(part) for part in text.splitlines()])


def _source_lines(citations: list[dict[str, Any]]) -> list[Line]:
    return [Line(f"[{n}] {c['title']} — {c['locator']}") for n, c in enumerate(citations, 1)]


def _command_lines() -> list[Line]:
    return [
        Line("Lệnh:", bold=True),
        Line("/nguon — danh sách tài liệu và ngày ban hành"),
        Line("/hanchot — các hạn chót ghi trong tài liệu"),
        Line("/nhac — nhắc trước các hạn chót; /huynhac — thôi nhắc"),
        Line("/help — cách dùng"),
    ]


def _document_facts(document: dict[str, Any]) -> str:
    """“Công văn 400/CTĐP-QLKC · ngày 15/05/2023 · Cục …” from the manifest fields that are set."""
    known = DocumentKind.parse(document.get("kind"))
    kind = known.short if known else "Tài liệu"
    facts = [f"{kind} {document['number']}" if document.get("number") else kind]
    date = str(document.get("date") or "")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        year, month, day = date.split("-")
        facts.append(f"ngày {day}/{month}/{year}")
    elif document.get("year"):
        facts.append(f"năm {document['year']}")
    if document.get("issuer"):
        facts.append(str(document["issuer"]))
    return "   " + " · ".join(facts)
