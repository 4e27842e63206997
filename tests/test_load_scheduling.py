"""What keeps answers flowing under load (eval/RESULTS.md, "Tải HTTP /ask"): fresh answers computed a few at
a time per process, first come first served (`FairGate`), and the writers of one SQLite file queued across
processes on a lock file rather than in SQLite's sleeping busy handler."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant import Assistant, Settings
from assistant.api import create_app
from assistant.conversation import ConversationStore
from assistant.feedback import FeedbackStore
from assistant.session import FairGate
from assistant.types import Answer, Filters

QUESTIONS = [
    "hạn đăng ký kế hoạch khuyến công quốc gia",
    "kinh phi KCQG nam 2022 phan bo bao nhieu",
    "Đồng Nai năm 2023 hỗ trợ bao nhiêu cơ sở?",
    "Ai ký Công văn 400?",
]


def _wait_until(condition: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_the_gate_lets_threads_in_in_the_order_they_came() -> None:
    gate = FairGate(1)
    order: list[int] = []
    gate.__enter__()  # the slot is taken: everyone after queues
    threads = []
    for number in range(6):

        def enter(number: int = number) -> None:
            with gate:
                order.append(number)

        thread = threading.Thread(target=enter)
        thread.start()
        _wait_until(lambda number=number: len(gate._waiting) == number + 1)  # queued before the next starts
        threads.append(thread)
    assert order == []  # none got in while the slot was held
    gate.__exit__(None, None, None)
    for thread in threads:
        thread.join(10)
    assert order == [0, 1, 2, 3, 4, 5]
    assert gate._inside == 0 and not gate._waiting


@pytest.mark.parametrize(("slots", "most"), [(2, 2), (0, 8)])
def test_the_gate_holds_its_slots_and_zero_is_no_limit(slots: int, most: int) -> None:
    gate = FairGate(slots)
    inside, peak, lock = 0, 0, threading.Lock()
    release = threading.Event()

    def work() -> None:
        nonlocal inside, peak
        with gate:
            with lock:
                inside += 1
                peak = max(peak, inside)
            release.wait(10)
            with lock:
                inside -= 1

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(work) for _ in range(8)]
        _wait_until(lambda: peak == most)
        time.sleep(0.05)  # one more inside would show now
        assert peak == most
        release.set()
        for future in futures:
            future.result(10)


class _Counting(Assistant):
    """The real assistant, counting how many answers it computes at once."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.inside = 0
        self.peak = 0
        self._count = threading.Lock()

    def ask(self, question: str, filters: Filters | None = None) -> Answer:
        with self._count:
            self.inside += 1
            self.peak = max(self.peak, self.inside)
        try:
            time.sleep(0.01)  # long enough for the other requests to arrive meanwhile
            return super().ask(question, filters)
        finally:
            with self._count:
                self.inside -= 1


def test_the_app_computes_one_answer_at_a_time_and_answers_as_alone(built_settings: Settings, tmp_path: Path) -> None:
    settings = built_settings.replaced(data_dir=tmp_path, answer_threads=1)
    alone = {q: Assistant(settings).ask(q).to_dict() for q in QUESTIONS}
    counting = _Counting(settings)
    feedback = FeedbackStore(tmp_path / "feedback.sqlite3")
    app = create_app(counting, feedback=feedback, conversations=ConversationStore(), answer_cache=0)
    with TestClient(app) as client, ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda q: client.post("/ask", json={"question": q}), QUESTIONS * 4))
    assert [r.status_code for r in responses] == [200] * 16
    for question, response in zip(QUESTIONS * 4, responses, strict=True):
        body = response.json()
        assert body["answer"] == alone[question]["answer"]
        assert [c["quote"] for c in body["citations"]] == [c["quote"] for c in alone[question]["citations"]]
    assert counting.peak == 1

    unlimited = _Counting(settings.replaced(answer_threads=0))
    app = create_app(unlimited, feedback=feedback, conversations=ConversationStore(), answer_cache=0)
    with TestClient(app) as client, ThreadPoolExecutor(8) as pool:
        codes = [r.status_code for r in pool.map(lambda q: client.post("/ask", json={"question": q}), QUESTIONS * 2)]
    assert codes == [200] * 8
    assert unlimited.peak > 1  # the same load, without the gate, overlaps: the check above can fail
    feedback.close()


HOLD_A_WRITE = """
import sys, time
from pathlib import Path
from assistant.feedback import FeedbackStore
store = FeedbackStore(Path(sys.argv[1]))
with store._db.write():
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_write_in_another_process_holds_the_files_writer_queue(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    FeedbackStore(path).close()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_A_WRITE, str(path), "1.5"], stdout=subprocess.PIPE, env=env, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        fd = os.open(path.with_name(path.name + ".writers"), os.O_RDWR)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                taken = True
            except BlockingIOError:
                taken = False
            assert not taken  # the other process's write holds the queue: a writer here sleeps in flock
            store = FeedbackStore(path)  # its first write waits for the holder, then goes through
            started = time.monotonic()
            answer_id = store.record_answer("q", Answer(answer="a", found=False, citations=[]), "api")
            assert store.has_answer(answer_id)
            assert holder.wait(10) == 0
            assert time.monotonic() - started < 5
            store.close()
        finally:
            os.close(fd)
    finally:
        holder.kill()
        holder.wait()
