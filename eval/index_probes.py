"""Probes of the index with a running server and concurrent commands (issue 11, items 1 and 2).

follow  `khuyencong serve` answers clients the whole time while `khuyencong add`, in another process,
        adds a document (and, with --cycles N, `remove` takes it out again between N adds); prints how
        long after each `add` returned the server answered a question only that document answers,
        whether the vector side followed (dense rank, vectors_complete), how many requests failed, and
        the size of index/chroma at the end.
race    rounds of `khuyencong index` and `khuyencong add NEW` both waiting for the build lock, which
        the probe holds meanwhile (as a long build would). The index starts first and is stopped
        (SIGSTOP) until the add waits too, so it queues behind the add, as a process slowed down on a
        busy machine does (flock serves waiters in order). A round loses the add when the live index
        lacks the new document afterwards.

interrupt
        rounds of `khuyencong add LONG_NEW_TEXT` stopped by SIGINT, SIGTERM or SIGKILL, each at a stage
        seen from outside (a temporary generation on disk; the new generation live while its vectors
        are embedded) or after a random delay. The next command (`ask --json`) must find the previous
        corpus and index (files, manifest, CURRENT, its answer), or, when the signal came after the add
        was done, the completed one; `index` then has nothing to do. Prints each round's outcome.

Every process runs the code under --code (default: this checkout), so an exported older commit can
be probed the same way. Not a test: run it by hand, record the figures in eval/RESULTS.md.

    .venv/bin/python eval/index_probes.py follow --clients 16 --cycles 5
    .venv/bin/python eval/index_probes.py race --rounds 20
    .venv/bin/python eval/index_probes.py interrupt --rounds 3
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from ingest_samples import DECISION_59  # noqa: E402  (a fictional decision, invented for tests)

NEW_ID = "qd-59-2099-qd-ubnd"
NEW_QUESTION = "Hỗ trợ tối đa bao nhiêu phần trăm chi phí mua máy móc thiết bị tiên tiến?"
OLD_QUESTION = "Hạn đăng ký kế hoạch khuyến công quốc gia năm 2024 là ngày nào?"


def _run(root: Path, env: dict[str, str], *args: str) -> None:
    subprocess.run(_command(root, *args), cwd=root, env=env, check=True, capture_output=True)


def _start(root: Path, env: dict[str, str], *args: str, **options: object) -> subprocess.Popen[bytes]:
    """A `khuyencong` process in `root` (not here: `python -m` would import this checkout's code first)."""
    return subprocess.Popen(_command(root, *args), cwd=root, env=env, **options)  # type: ignore[call-overload]


def _env(code: Path, cache: Path, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHUYENCONG_")}
    env.update(PYTHONPATH=str(code), KHUYENCONG_EMBEDDING_CACHE=str(cache), KHUYENCONG_DATA_DIR=str(data))
    env["KHUYENCONG_RATE_LIMIT"] = "0"  # every client is 127.0.0.1
    return env


def _command(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "assistant", "--corpus", str(root / "corpus"), "--index", str(root / "index"), *args]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------------- follow
def follow(code: Path, cache: Path, clients: int, cycles: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="kc-follow-"))
    shutil.copytree(REPO / "corpus", root / "corpus")
    env = _env(code, cache, root / "data")
    _run(root, env, "index")
    (root / "qd-59.txt").write_text(DECISION_59, encoding="utf-8")
    port = _free_port()
    base = f"http://{HOST}:{port}"
    log = (root / "serve.log").open("wb")
    server = _start(
        root,
        env,
        *("serve", "--host", HOST, "--port", str(port)),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_healthy(base)
        _follow_run(root, env, base, clients, cycles)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
        lines = (root / "serve.log").read_text(errors="replace").splitlines()
        first = next((i for i, line in enumerate(lines) if "ERROR" in line), len(lines))
        print("server log from its first error:", *lines[first : first + 200], sep="\n  ")
        shutil.rmtree(root, ignore_errors=True)


def _follow_run(root: Path, env: dict[str, str], base: str, clients: int, cycles: int) -> None:
    stop = threading.Event()
    statuses: list[int] = []
    answered_at: list[float] = []
    threads = [threading.Thread(target=_client, args=(base, stop, statuses, answered_at)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    with httpx.Client(base_url=base, timeout=30) as http:
        for cycle in range(1, cycles + 1):
            _follow_add(root, env, http, cycle)
            if cycle < cycles:
                _run(root, env, "remove", NEW_ID)
    stop.set()
    for thread in threads:
        thread.join()
    chroma_mb = sum(f.stat().st_size for f in (root / "index" / "chroma").rglob("*") if f.is_file()) / 1e6
    print(f"requests {len(statuses)}, not 200: {sum(1 for s in statuses if s != 200)} (0: connection error)")
    print(f"index/chroma {chroma_mb:.1f} MB")


def _follow_add(root: Path, env: dict[str, str], http: httpx.Client, cycle: int) -> None:
    """Add the document from another process; how long until this server answers it, with vectors."""
    started = time.monotonic()
    _run(root, env, "add", str(root / "qd-59.txt"))
    returned = time.monotonic()
    while not _answers_new(http.post("/ask", json={"question": NEW_QUESTION}).json()):
        if time.monotonic() - returned > 60:
            break
        time.sleep(0.05)
    answered = time.monotonic()
    hits = http.get("/search", params={"q": NEW_QUESTION, "k": 3}).json()
    health = http.get("/health").json()
    top = hits[0] if hits else {}
    print(
        f"cycle {cycle}: add took {returned - started:.1f} s, answered {answered - returned:.2f} s after it returned;"
        f" top hit {top.get('doc_id')} dense rank {top.get('dense_rank')};"
        f" vectors {health['vectors']}/{health['chunks']}, vectors_complete {health['vectors_complete']}",
        flush=True,
    )


def _client(base: str, stop: threading.Event, statuses: list[int], answered_at: list[float]) -> None:
    """Ask until stopped; a connection error counts as status 0."""
    with httpx.Client(base_url=base, timeout=30) as http:
        while not stop.is_set():
            question = random.choice([NEW_QUESTION, OLD_QUESTION])
            try:
                response = http.post("/ask", json={"question": question})
            except httpx.TransportError as error:
                print(f"connection error: {error!r}", file=sys.stderr)
                statuses.append(0)
                continue
            statuses.append(response.status_code)
            if response.status_code != 200:
                print(f"{response.status_code}: {response.text[:300]}", file=sys.stderr)
            elif _answers_new(response.json()):
                answered_at.append(time.monotonic())


def _answers_new(data: dict[str, object]) -> bool:
    citations = data.get("citations") or []
    return bool(data.get("found") and citations and citations[0]["doc_id"] == NEW_ID)  # type: ignore[index]


def _wait_healthy(base: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit("the server did not start")


# ------------------------------------------------------------------------ race
def race(code: Path, cache: Path, rounds: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="kc-race-"))
    shutil.copytree(REPO / "corpus", root / "corpus")
    env = _env(code, cache, root / "data")
    _run(root, env, "index")
    lost = 0
    try:
        for number in range(1, rounds + 1):
            doc_id = _race_round(root, env, number)
            live = _live_documents(root / "index")
            listed = doc_id in _listed_documents(root / "corpus")
            lost += int(listed and doc_id not in live)
            print(f"round {number}: listed {listed}, indexed {doc_id in live}", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"{rounds} rounds, {lost} lost")


def _race_round(root: Path, env: dict[str, str], number: int) -> str:
    """An `index` and an `add` both waiting for the build lock (held here, as by a long build), then let go."""
    doc_id = f"tin-thu-{number}-{random.getrandbits(32):x}"
    source = root / f"{doc_id}.txt"
    lines = [f"Tin thử số {number} về khuyến công, mã {doc_id}."]
    lines += [f"Đoạn {i}: cơ sở công nghiệp nông thôn số {number}-{i} được hỗ trợ máy móc." for i in range(40)]
    source.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    with open(root / "index" / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        indexing = _start(root, env, "index", **quiet)
        _wait_blocked(indexing)
        indexing.send_signal(signal.SIGSTOP)  # a slow process: it read the corpus, the add queues first
        adding = _start(root, env, "add", "--id", doc_id, str(source), **quiet)
        _wait_blocked(adding)
        indexing.send_signal(signal.SIGCONT)  # its flock() restarts, behind the add
        _wait_blocked(indexing)
        fcntl.flock(held, fcntl.LOCK_UN)
    adding.wait()
    indexing.wait()
    return doc_id


def _wait_blocked(process: subprocess.Popen[bytes]) -> None:
    """Until `process` waits in flock() (a '->' line of /proc/locks)."""
    while not any("->" in line and f" {process.pid} " in line for line in Path("/proc/locks").read_text().splitlines()):
        if process.poll() is not None:
            raise SystemExit(f"process {process.args} ended with {process.returncode} before waiting on the lock")
        time.sleep(0.01)


def _listed_documents(corpus: Path) -> set[str]:
    return {e["id"] for e in json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))["documents"]}


def _live_documents(index_dir: Path) -> set[str]:
    name = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    meta = json.loads((index_dir / name / "meta.json").read_text(encoding="utf-8"))
    return {d["id"] for d in meta["documents"]}


# ------------------------------------------------------------------- interrupt
WORDS = "cơ sở công nghiệp nông thôn được hỗ trợ kinh phí khuyến công đào tạo nghề máy móc hội chợ tỉnh năm".split()
STAGES = ("generation", "vectors", "random")


def interrupt(code: Path, cache: Path, rounds: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="kc-interrupt-"))
    shutil.copytree(REPO / "corpus", root / "corpus")
    env = _env(code, cache, root / "data")
    _run(root, env, "index")
    outcomes: dict[str, int] = {}
    try:
        for number in range(1, rounds + 1):
            for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
                for stage in STAGES:
                    outcome = _interrupt_round(root, env, signum, stage)
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1
                    print(f"round {number} {signal.Signals(signum).name} at {stage}: {outcome}", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"{sum(outcomes.values())} interrupted adds: " + ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())))


def _interrupt_round(root: Path, env: dict[str, str], signum: int, stage: str) -> str:
    """One `add` stopped by `signum` at `stage`; 'previous', 'completed' or what is wrong."""
    rng = random.Random()
    source = root / f"tin-dai-{rng.getrandbits(32):x}.txt"
    paragraphs = [" ".join(rng.choice(WORDS) for _ in range(60)) + f" mã {rng.getrandbits(48):x}." for _ in range(200)]
    source.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    files, live, answer = _corpus_state(root), _current(root), _ask(root, env)
    adding = _start(root, env, "add", str(source), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if stage == "generation":
        _until(lambda: any((root / "index").glob(".tmp-gen-*")), adding)
    elif stage == "vectors":
        _until(lambda: _current(root) != live, adding)
        time.sleep(rng.uniform(0.2, 1.5))
    else:
        time.sleep(rng.uniform(0.5, 8.0))
    if adding.poll() is None:
        adding.send_signal(signum)
    adding.wait()
    source.unlink()
    after = _ask(root, env)  # the next command: finds the journal of a killed add and undoes it
    leftovers = sorted(p.name for p in (root / "index").iterdir() if p.name.startswith((".tmp-", ".journal")))
    if leftovers:
        return f"LEFTOVERS {leftovers}"
    if _corpus_state(root) == files and _current(root) == live and after == answer:
        outcome = "previous"
    elif _live_documents(root / "index") == _listed_documents(root / "corpus") and adding.returncode in (
        0,
        128 + signum,
    ):
        outcome = "completed"  # the signal came after the add was done
        _run(root, env, "remove", max(_listed_documents(root / "corpus") - _listed_documents(REPO / "corpus")))
    else:
        return f"INCONSISTENT (exit {adding.returncode})"
    index = subprocess.run(_command(root, "index"), cwd=root, env=env, capture_output=True, text=True, check=True)
    return outcome if "không có gì thay đổi" in index.stdout + index.stderr else f"{outcome}, but index rebuilt"


def _corpus_state(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "corpus").iterdir())}


def _current(root: Path) -> str:
    return (root / "index" / "CURRENT").read_text(encoding="utf-8").strip()


def _ask(root: Path, env: dict[str, str]) -> object:
    done = subprocess.run(
        _command(root, "ask", "--json", OLD_QUESTION), cwd=root, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def _until(condition: Callable[[], bool], process: subprocess.Popen[bytes]) -> None:
    while not condition():
        if process.poll() is not None:
            return
        time.sleep(0.01)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("probe", choices=["follow", "race", "interrupt"])
    parser.add_argument("--code", type=Path, default=REPO, help="checkout whose code the processes run")
    parser.add_argument("--cache", type=Path, default=REPO / "eval" / "out" / "embeddings.sqlite")
    parser.add_argument("--clients", type=int, default=4, help="follow: concurrent clients")
    parser.add_argument("--cycles", type=int, default=1, help="follow: add (and remove between) this many times")
    parser.add_argument("--rounds", type=int, default=20, help="race, interrupt: rounds")
    args = parser.parse_args()
    if args.probe == "follow":
        follow(args.code.resolve(), args.cache.resolve(), args.clients, args.cycles)
    elif args.probe == "race":
        race(args.code.resolve(), args.cache.resolve(), args.rounds)
    else:
        interrupt(args.code.resolve(), args.cache.resolve(), args.rounds)


if __name__ == "__main__":
    main()
