"""A running server follows the index that other processes build: both the keyword and the vector side.

The server is the real app (TestClient) in this process, with its embedded Chroma client; the
document is added by `khuyencong add` in another process, as someone would from a shell.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from ingest_samples import DECISION_59
from small_corpus import small_corpus

from assistant import Assistant, Settings
from assistant.api import create_app
from assistant.conversation import ConversationStore
from assistant.feedback import FeedbackStore
from assistant.ratelimit import Rate
from assistant.retrieval import FusionParams

NEW_ID = "qd-59-2099-qd-ubnd"
QUESTION = "Hỗ trợ tối đa bao nhiêu phần trăm chi phí mua máy móc thiết bị tiên tiến?"
DEADLINE_QUESTION = "hạn đăng ký kế hoạch khuyến công quốc gia"


def _add_in_another_process(settings: Settings, source: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHUYENCONG_")}
    env["KHUYENCONG_EMBEDDING_CACHE"] = str(settings.cache_path)
    command = [sys.executable, "-m", "assistant", "--corpus", str(settings.store.corpus_dir)]
    command += ["--index", str(settings.store.index_dir), "add", str(source)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _ask(client: TestClient) -> dict[str, Any]:
    response = client.post("/ask", json={"question": QUESTION})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _answered(data: dict[str, Any]) -> bool:
    return bool(data["found"] and data["citations"] and data["citations"][0]["doc_id"] == NEW_ID)


def _settings(tmp_path: Path, embedding_cache: Path) -> Settings:
    return Settings.of(
        corpus_dir=small_corpus(tmp_path / "corpus"),
        index_dir=tmp_path / "index",
        data_dir=tmp_path / "data",
        embedding_cache=embedding_cache,
        rate_limit=Rate(0),  # the test asks as often as a busy server is asked
    )


def test_a_running_server_answers_a_document_added_by_another_process(tmp_path: Path, embedding_cache: Path) -> None:
    settings = _settings(tmp_path, embedding_cache)
    Assistant(settings).index()  # built in this process, as `serve` does when there is no index
    source = tmp_path / "qd-59-2099.txt"
    source.write_text(DECISION_59, encoding="utf-8")
    served = Assistant(settings, fusion_params=FusionParams(confident_margin=0))  # /search asks the vectors too
    app = create_app(served, feedback=FeedbackStore(tmp_path / "feedback.sqlite3"), conversations=ConversationStore())
    with TestClient(app) as client:
        assert not _answered(_ask(client))  # not in the corpus yet; this refusal is now in the answer cache
        adding = _add_in_another_process(settings, source)
        while adding.poll() is None:  # a busy server: requests keep coming while the other process builds
            client.get("/health")
            _ask(client)
            time.sleep(0.2)
        out, err = adding.communicate()
        assert adding.returncode == 0, (out + err).decode()
        added_at = time.monotonic()
        while not _answered(data := _ask(client)) and time.monotonic() - added_at < 5:
            time.sleep(0.1)
        assert _answered(data), data["answer"]
        assert data["answer"].startswith("30%")
        hits = client.get("/search", params={"q": QUESTION, "k": 3}).json()
        assert hits[0]["doc_id"] == NEW_ID and hits[0]["dense_rank"] is not None  # the vector side followed too
        health = client.get("/health").json()
    assert health["documents"] == 3
    assert health["vectors_complete"] is True and health["vectors"] == health["chunks"]


def test_the_vector_store_is_opened_only_between_builds(tmp_path: Path, embedding_cache: Path) -> None:
    """Opening an embedded Chroma store while another process writes it is not safe: while a build
    holds the lock, a reader that has not opened the vectors yet answers from the keyword side."""
    settings = _settings(tmp_path, embedding_cache)
    Assistant(settings).index()
    kc = Assistant(settings, fusion_params=FusionParams(confident_margin=0))  # ask the vectors whatever BM25 says
    with open(settings.store.index_dir / ".lock", "w") as held:  # a build in another process holds the lock
        fcntl.flock(held, fcntl.LOCK_EX)
        hits = kc.search(DEADLINE_QUESTION, k=3)
        assert hits[0].chunk.doc_id == "cv-400-ctdp-qlkc-2024"
        assert all(hit.dense_rank is None for hit in hits) and kc.status()["vectors"] == 0
    hits = kc.search(DEADLINE_QUESTION, k=3)  # the build is over: the next request opens the vectors
    assert hits[0].dense_rank is not None and kc.status()["vectors"] == kc.status()["chunks"]
