"""Load benchmark of POST /ask: the real server on loopback, concurrent clients, latency percentiles.

Starts `khuyencong serve` (127.0.0.1, a free port, its own temporary data directory) once per
worker count, lets every client ask a mix of realistic questions (with and without diacritics,
some follow-ups in the client's conversation) for a fixed time, and prints requests/s,
p50/p95/p99 latency and the error count. Not a test: run it by hand, record the figures in
eval/RESULTS.md.

    .venv/bin/python eval/load_benchmark.py --workers 1 2 --clients 32 --duration 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HOST = "127.0.0.1"  # never anything but loopback
REPO = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 300.0
REQUEST_TIMEOUT = 30.0

# (question, is a follow-up of the client's previous question)
QUESTIONS: list[tuple[str, bool]] = [
    ("Hạn đăng ký kế hoạch khuyến công quốc gia năm 2024 là ngày nào?", False),
    ("hạn nộp hồ sơ thì sao?", True),
    ("han dang ky ke hoach khuyen cong quoc gia", False),
    ("co so cua toi co duoc ho tro may moc khong", False),
    ("Năm 2022 kinh phí KCQG được phân bổ bao nhiêu?", False),
    ("kinh phi KCQG nam 2022 phan bo bao nhieu", False),
    ("Đồng Nai năm 2023 hỗ trợ bao nhiêu cơ sở?", False),
    ("còn An Giang thì sao?", True),
    ("dong nai to chuc hoi cho nam 2023 kinh phi bao nhieu", False),
    ("Ai ký Công văn 400?", False),
    ("cong van 400 dinh huong may noi dung", False),
    ("Công văn 400 định hướng những nội dung hỗ trợ nào?", False),
    ("An Giang 6 tháng đầu năm 2023 thực hiện bao nhiêu đề án?", False),
    ("an giang 6 thang dau nam 2023 giai ngan bao nhieu", False),
    ("Đắk Lắk 6 tháng đầu năm 2022 khuyến công làm được gì?", False),
    ("dak lak nam 2022 ho tro bao nhieu co so", False),
    ("Hội nghị khuyến công khu vực phía Nam năm 2023 tổ chức ở đâu?", False),
    ("hoi nghi khuyen cong phia nam lan thu XIII", False),
    ("Bình chọn sản phẩm công nghiệp nông thôn tiêu biểu được hỗ trợ thế nào?", False),
    ("ho tro xay dung mo hinh trinh dien ky thuat", False),
    ("Đề án điểm khuyến công quốc gia gửi hồ sơ về đâu?", False),
    ("thoi han gui ho so de an KCQG", False),
    ("Kinh phí khuyến công địa phương tỉnh Đồng Nai năm 2023 là bao nhiêu?", False),
    ("còn năm 2022 thì sao?", True),
]


# Chat openers and closers: they carry no topic (assistant/vocab/fillers.txt), so a question asked with
# them is answered like the bare one, but the server has never embedded its text (--fresh).
OPENERS = ["", "cho em hỏi", "cho mình hỏi", "cho tôi hỏi", "cho hỏi", "em hỏi", "xin hỏi", "admin ơi", "ad ơi"]
CLOSERS = ["", "ạ", "nhé", "nha", "với ạ", "cảm ơn", "vậy", "ấy"]


def fresh_variant(question: str, serial: int) -> str:
    """The `serial`-th wording of `question` with an opener and a closer: a wording comes back only after
    len(OPENERS) * len(CLOSERS) = 72 askings of the question (1,728 requests), beyond the server's cache of
    the 512 most recent question vectors."""
    opener = OPENERS[serial % len(OPENERS)]
    closer = CLOSERS[(serial // len(OPENERS)) % len(CLOSERS)]
    body = question.rstrip("?").strip()
    return " ".join(part for part in (opener, body, closer) if part) + ("?" if question.endswith("?") else "")


@dataclass
class Tally:
    """Latencies of successful requests and the failures, over the measured window."""

    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    found: int = 0
    server_cpu: float = 0.0  # CPU seconds of the server's processes in the window
    client_cpu: float = 0.0  # CPU seconds of this process (the load generator) in the window

    def fail(self, reason: str) -> None:
        self.errors[reason] = self.errors.get(reason, 0) + 1


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(workers: int, port: int, data_dir: Path, cache: bool) -> subprocess.Popen[bytes]:
    """`khuyencong serve` in its own process group (so every worker can be stopped together)."""
    # Every client is 127.0.0.1: no per-address rate limit.
    env = {**os.environ, "KHUYENCONG_DATA_DIR": str(data_dir), "KHUYENCONG_RATE_LIMIT": "0"}
    if not cache:
        env["KHUYENCONG_ANSWER_CACHE"] = "0"
    command = [sys.executable, "-m", "assistant", "serve", "--host", HOST, "--port", str(port)]
    command += ["--workers", str(workers)]
    log = (data_dir / "server.log").open("wb")
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, SIGKILL if it lingers."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


async def wait_healthy(base: str, process: subprocess.Popen[bytes]) -> dict[str, object]:
    """Poll /health until the index is loaded."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with code {process.returncode}")
            try:
                response = await client.get("/health")
                if response.status_code == 200:
                    return dict(response.json())
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.5)
    raise RuntimeError("server did not become healthy in time")


async def one_client(
    client: httpx.AsyncClient,
    number: int,
    stop_at: float,
    tally: Tally | None,
    max_requests: int,
    fresh: Counter[str] | None = None,
) -> None:
    """Ask questions in a loop until `stop_at` (or `max_requests`); record into `tally` when given.
    `fresh`: how often each question was asked, by all clients; each request is then its next wording."""
    conversation: str | None = None
    for step in range(max_requests):
        if time.monotonic() >= stop_at:
            return
        question, follow_up = QUESTIONS[(number * 7 + step) % len(QUESTIONS)]
        if fresh is not None:
            fresh[question] += 1
            question = fresh_variant(question, fresh[question])
        body: dict[str, object] = {"question": question}
        if follow_up and conversation:
            body["conversation_id"] = conversation
        started = time.perf_counter()
        try:
            response = await client.post("/ask", json=body)
        except httpx.HTTPError as error:
            if tally is not None:
                tally.fail(type(error).__name__)
            continue
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            if tally is not None:
                tally.fail(f"HTTP {response.status_code}")
            continue
        data = response.json()
        conversation = data["conversation_id"]
        if tally is not None:
            tally.latencies.append(elapsed)
            tally.found += bool(data["found"])


def group_cpu(group: int) -> float:
    """CPU seconds (user + system) of the live processes of a process group, from /proc (0 elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group:  # after the name: state, ppid, pgrp, …, utime (12th), stime (13th)
            total += int(fields[11]) + int(fields[12])
    return total / tick


async def run_load(
    base: str, clients: int, duration: float, warmup: float, group: int = 0, fresh: bool = False
) -> tuple[Tally, float]:
    """Warm up, then `clients` concurrent loops for `duration` seconds; returns the tally and the wall time."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    serials: Counter[str] | None = Counter() if fresh else None
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT, limits=limits) as client:
        stop_warmup = time.monotonic() + warmup
        await asyncio.gather(*(one_client(client, n, stop_warmup, None, 10_000, serials) for n in range(clients)))
        tally = Tally()
        server_cpu, client_cpu = group_cpu(group), time.process_time()
        started = time.monotonic()
        stop_at = started + duration
        await asyncio.gather(*(one_client(client, n, stop_at, tally, 100_000, serials) for n in range(clients)))
        seconds = time.monotonic() - started
        tally.server_cpu, tally.client_cpu = group_cpu(group) - server_cpu, time.process_time() - client_cpu
        return tally, seconds


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summarise(
    workers: int, cache: bool, clients: int, tally: Tally, seconds: float, fresh: bool = False
) -> dict[str, object]:
    """The figures of one run."""
    ms = [value * 1000 for value in tally.latencies]
    return {
        "workers": workers,
        "answer_cache": cache,
        "fresh_questions": fresh,
        "clients": clients,
        "seconds": round(seconds, 1),
        "requests": len(ms),
        "requests_per_s": round(len(ms) / seconds, 1) if seconds else 0.0,
        "p50_ms": round(percentile(ms, 0.50)),
        "p95_ms": round(percentile(ms, 0.95)),
        "p99_ms": round(percentile(ms, 0.99)),
        "max_ms": round(max(ms, default=0.0)),
        "errors": sum(tally.errors.values()),
        "error_kinds": tally.errors,
        "found_share": round(tally.found / len(ms), 3) if ms else 0.0,
        # the client shares the machine's cores with the server: both are said
        "server_cpu_ms_per_request": round(tally.server_cpu * 1000 / len(ms), 1) if ms else 0.0,
        "client_cpu_ms_per_request": round(tally.client_cpu * 1000 / len(ms), 1) if ms else 0.0,
        "server_cores": round(tally.server_cpu / seconds, 2) if seconds else 0.0,
        "client_cores": round(tally.client_cpu / seconds, 2) if seconds else 0.0,
        "load_average": round(os.getloadavg()[0], 2),
    }


def benchmark(
    workers: int, cache: bool, clients: int, duration: float, warmup: float, fresh: bool = False
) -> dict[str, object]:
    """Start a server with `workers` processes, load it, stop it."""
    with tempfile.TemporaryDirectory(prefix="kc-load-") as folder:
        port = free_port()
        process = start_server(workers, port, Path(folder), cache)
        base = f"http://{HOST}:{port}"
        try:
            asyncio.run(wait_healthy(base, process))
            tally, seconds = asyncio.run(run_load(base, clients, duration, warmup, process.pid, fresh))
        finally:
            stop_server(process)
    return summarise(workers, cache, clients, tally, seconds, fresh)


def machine() -> str:
    """CPU model and count, for the record."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPU × {model}, Python {platform.python_version()}, {platform.system()}"


def table(rows: list[dict[str, object]]) -> str:
    """Markdown table of the runs."""
    lines = [
        "| tiến trình | bộ nhớ đệm câu trả lời | client | yêu cầu | yêu cầu/s | p50 (ms) | p95 (ms) | p99 (ms) "
        "| max (ms) | lỗi | CPU máy chủ / yêu cầu (ms) | CPU client / yêu cầu (ms) | lõi máy chủ + client | tải |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        cache = "bật" if r["answer_cache"] else "tắt"
        lines.append(
            f"| {r['workers']} | {cache} | {r['clients']} | {r['requests']} | {r['requests_per_s']} | {r['p50_ms']} "
            f"| {r['p95_ms']} | {r['p99_ms']} | {r['max_ms']} | {r['errors']} | {r['server_cpu_ms_per_request']} "
            f"| {r['client_cpu_ms_per_request']} | {r['server_cores']} + {r['client_cores']} | {r['load_average']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to try")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients")
    parser.add_argument("--duration", type=float, default=30.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=5.0, help="unmeasured seconds before each run")
    parser.add_argument(
        "--cache",
        choices=["on", "off", "both"],
        default="on",
        help="the server's answer cache (KHUYENCONG_ANSWER_CACHE)",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="every request worded anew (chat openers/closers), so the server embeds each question",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    caches = {"on": [True], "off": [False], "both": [True, False]}[args.cache]
    rows = [benchmark(n, c, args.clients, args.duration, args.warmup, args.fresh) for c in caches for n in args.workers]
    if args.json:
        print(json.dumps({"machine": machine(), "runs": rows}, ensure_ascii=False, indent=1))
        return
    wording = "mỗi yêu cầu một cách viết mới" if args.fresh else "xoay vòng"
    print(f"Máy: {machine()}; {len(QUESTIONS)} câu hỏi, {wording}; {args.duration:g} s mỗi lần đo")
    print(table(rows))
    for row in rows:
        if row["errors"]:
            print(f"lỗi ({row['workers']} tiến trình): {row['error_kinds']}")


if __name__ == "__main__":
    main()
