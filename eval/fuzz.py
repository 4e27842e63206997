"""Schema fuzz run of the HTTP API (`make fuzz`): schemathesis against the live server's OpenAPI schema.

Starts `khuyencong serve` as eval/load_benchmark.py does (127.0.0.1, a free port, a temporary
data directory, no per-address rate limit: every request comes from one address), then runs
schemathesis rounds, each with a new seed, until the server has answered at least
`--requests` requests. The statuses are counted from the server's own access log, so the
figure is what reached the app. Fails (exit 1) on any 5xx, on a schemathesis failure, or when
the server stops early. Not part of `make test`.

    .venv/bin/python eval/fuzz.py                          # ≥ 20,000 requests
    .venv/bin/python eval/fuzz.py --requests 2000 --examples 100
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_benchmark import HOST, free_port, start_server, stop_server, wait_healthy

KEPT_LOG = Path(__file__).resolve().parent / "out" / "fuzz-server.log"  # the server's log of the last run
ACCESS_LINE = re.compile(r'"[A-Z]+ [^"]*HTTP/[0-9.]+" (\d{3})')
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def statuses(log: Path) -> Counter[int]:
    """HTTP statuses in a uvicorn access log."""
    return Counter(int(m.group(1)) for m in ACCESS_LINE.finditer(log.read_text(encoding="utf-8", errors="replace")))


def server_errors(log: Path) -> str:
    """The 5xx lines of the access log and the tracebacks the server logged."""
    text = log.read_text(encoding="utf-8", errors="replace")
    wanted = [line for line in text.splitlines() if re.search(r'HTTP/[0-9.]+" 5\d\d', line)]
    tracebacks = re.findall(r"(?ms)^(?:ERROR:|unexpected error).*?(?=^INFO:|\Z)", text)
    return "\n".join([*wanted, *tracebacks])


def schemathesis_round(base: str, seed: int, examples: int, workers: int, folder: Path) -> int:
    """One schemathesis run over every operation of the schema, in `folder` (it leaves files in its working
    directory); its exit code (0: no failure)."""
    command = [str(SCHEMATHESIS), "run", f"{base}/openapi.json", "--checks", "not_a_server_error"]
    command += ["--max-examples", str(examples), "--seed", str(seed), "--workers", str(workers)]
    command += ["--generation-database", "none", "--no-color", "--request-timeout", "60"]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=folder)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    shown = lines if result.returncode else lines[-4:]  # a failure in full, with its curl reproduction
    print("\n".join(f"    {line}" for line in shown), flush=True)
    return result.returncode


def fuzz(requests: int, examples: int, workers: int, first_seed: int = 1) -> int:
    """Run rounds until `requests` were answered; print the figures; 0 when no 5xx and no failure."""
    with tempfile.TemporaryDirectory(prefix="kc-fuzz-") as folder:
        data_dir, port = Path(folder), free_port()
        process = start_server(1, port, data_dir, cache=True)
        base = f"http://{HOST}:{port}"
        log = data_dir / "server.log"
        failed_rounds = 0
        try:
            asyncio.run(wait_healthy(base, process))
            started = time.monotonic()
            seed = first_seed - 1
            while sum(statuses(log).values()) < requests and process.poll() is None:
                seed += 1
                print(f"round {seed}: {sum(statuses(log).values())} requests so far", flush=True)
                failed_rounds += schemathesis_round(base, seed, examples, workers, data_dir) != 0
            seconds = time.monotonic() - started
        finally:
            stop_server(process)
        counts = statuses(log)
        KEPT_LOG.parent.mkdir(parents=True, exist_ok=True)
        KEPT_LOG.write_bytes(log.read_bytes())
        if failed_rounds or any(status >= 500 for status in counts):
            print(server_errors(log))
            print(f"server log: {KEPT_LOG}")
    errors = sum(n for status, n in counts.items() if status >= 500)
    print(f"requests: {sum(counts.values())}  5xx: {errors}  failed rounds: {failed_rounds}  seconds: {seconds:.0f}")
    print("statuses: " + ", ".join(f"{status}: {n}" for status, n in sorted(counts.items())))
    return 0 if errors == 0 and failed_rounds == 0 and sum(counts.values()) >= requests else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20_000, help="answered requests to reach")
    parser.add_argument("--examples", type=int, default=1000, help="schemathesis --max-examples per round")
    parser.add_argument("--workers", type=int, default=2, help="schemathesis concurrent workers")
    parser.add_argument("--seed", type=int, default=1, help="seed of the first round (the next ones count up)")
    args = parser.parse_args()
    sys.exit(fuzz(args.requests, args.examples, args.workers, args.seed))


if __name__ == "__main__":
    main()
