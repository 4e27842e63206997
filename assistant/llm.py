"""Optional language model, reached over an OpenAI-compatible HTTP API (httpx).

`OpenAICompatibleChat` is a LangChain chat model; `LLMAnswerer` asks it to phrase an
answer from numbered passages, then checks the result: every number in it must appear
in a passage it cites, or the extractive answer is used instead. The model is never
asked when the extractive stage found no evidence, so it cannot invent an answer.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

import httpx
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr

from .answering import ungrounded_numbers
from .errors import ModelUnavailable
from .indexing import LoadedIndex
from .problems import network_problem
from .query import Query
from .text import split_sentences
from .types import Answer, Citation, Hit

__all__ = ["SYSTEM_PROMPT", "LLMAnswerer", "OpenAICompatibleChat"]

SYSTEM_PROMPT = (
    "Bạn là trợ lý hỏi đáp về khuyến công. Chỉ trả lời bằng tiếng Việt, ngắn gọn, dựa DUY NHẤT vào các đoạn "
    "trích được đánh số. Mở đầu bằng đúng thông tin được hỏi (ngày, số tiền, số lượng, tên, có/không kèm điều "
    "kiện). Ghi nguồn bằng [số đoạn] sau mỗi ý. Không thêm con số, ngày hay tên nào không có trong đoạn trích. "
    "Nếu các đoạn trích không chứa câu trả lời, chỉ viết: KHÔNG_TÌM_THẤY"
)
log = logging.getLogger(__name__)
_ROLES = {"human": "user", "ai": "assistant", "system": "system"}
_MARKER = re.compile(r"\[(\d+)\]")


class OpenAICompatibleChat(BaseChatModel):
    """Chat model for any server speaking POST {base_url}/chat/completions.

    Calls share one pooled `httpx.Client` (kept-alive connections), whose transport tries a
    failed connection `retries` more times before the model counts as unreachable.
    """

    base_url: str
    model: str = ""
    api_key: str = ""
    timeout: float = 20.0
    temperature: float = 0.0
    retries: int = 2
    _http: httpx.Client | None = PrivateAttr(default=None)
    _http_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def _client(self) -> httpx.Client:
        with self._http_lock:
            if self._http is None:
                headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
                self._http = httpx.Client(
                    base_url=self.base_url.rstrip("/") + "/",
                    headers=headers,
                    timeout=self.timeout,
                    transport=httpx.HTTPTransport(retries=self.retries),
                )
            return self._http

    def close(self) -> None:
        """Close the pooled connections (a later call opens new ones)."""
        with self._http_lock:
            if self._http is not None:
                self._http.close()
                self._http = None

    @property
    def _llm_type(self) -> str:
        return "openai-compatible"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        payload: dict[str, Any] = {
            "model": self.model,
            "temperature": self.temperature,
            "messages": [{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages],
        }
        if stop:
            payload["stop"] = stop
        try:
            response = self._client().post("chat/completions", json=payload)
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"]
        except httpx.HTTPError as exc:
            raise ModelUnavailable(
                f"Không gọi được mô hình ngôn ngữ tại {self.base_url}: {network_problem(exc)}."
            ) from exc
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ModelUnavailable(
                f"Mô hình ngôn ngữ tại {self.base_url} trả lời không đúng dạng API tương thích OpenAI."
            ) from exc
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=str(content)))])


class LLMAnswerer:
    """Phrase a grounded answer with a chat model; None when the model's text cannot be trusted."""

    def __init__(self, chat: BaseChatModel, passages: int = 4) -> None:
        self.chat = chat
        self.passages = passages

    def answer(self, query: Query, hits: list[Hit], index: LoadedIndex) -> Answer | None:
        """A checked answer from `hits` (ranked by the answerer's evidence), or None (model failed,
        refused, cited nothing, or added a number)."""
        chosen = hits[: self.passages]
        prompt = "\n\n".join(f"[{i}] {h.chunk.text}" for i, h in enumerate(chosen, 1))
        question = query.text if query.expanded == query.text else f"{query.text}\n(nghĩa là: {query.expanded})"
        messages = [SystemMessage(SYSTEM_PROMPT), HumanMessage(f"Các đoạn trích:\n{prompt}\n\nCâu hỏi: {question}")]
        try:
            text = str(self.chat.invoke(messages).content).strip()
        except ModelUnavailable as exc:
            log.warning("LLM unavailable, using the extractive answer: %s", exc.message)
            return None
        cited = sorted({int(n) for n in _MARKER.findall(text) if 1 <= int(n) <= len(chosen)})
        if not text or "KHÔNG_TÌM_THẤY" in text or not cited:
            return None
        citations = [_citation_for(text, chosen[n - 1], index) for n in cited]
        renumbered = _renumber(text, {n: i for i, n in enumerate(cited, 1)})
        if ungrounded_numbers(renumbered, citations):
            return None
        return Answer(answer=renumbered, found=True, citations=citations)


def _citation_for(answer: str, hit: Hit, index: LoadedIndex) -> Citation:
    """Quote the sentences of the chunk that hold the answer's numbers (or its first sentence)."""
    chunk = hit.chunk
    numbers = set(re.findall(r"\d+(?:[.,]\d+)*", _MARKER.sub("", answer)))
    spans = split_sentences(chunk.text, chunk.start)
    picked = [
        s
        for s in spans
        if numbers & set(re.findall(r"\d+(?:[.,]\d+)*", chunk.text[s[0] - chunk.start : s[1] - chunk.start]))
    ]
    start, end = (picked[0][0], picked[-1][1]) if picked else spans[0]
    title = index.documents.get(chunk.doc_id, {}).get("title", chunk.doc_id)
    quote = chunk.text[start - chunk.start : end - chunk.start]
    return Citation(chunk.doc_id, title, chunk.locator, quote, min(1.0, hit.score * 30), start, end, chunk.provision)


def _renumber(text: str, mapping: dict[int, int]) -> str:
    return _MARKER.sub(lambda m: f"[{mapping.get(int(m.group(1)), int(m.group(1)))}]", text)
