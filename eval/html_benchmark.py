"""HTML reading time on hostile pages: tags nested thousands deep, as a crafted page may have.

Reading (`assistant.readers.read_bytes`) must stay linear in the size of the page: each shape
is read at several depths and the time per 1,000 levels printed, best of `--repeat` runs.

    .venv/bin/python eval/html_benchmark.py                  # depths 1000, 10000, 20000
    .venv/bin/python eval/html_benchmark.py --depths 10000 --repeat 5
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from assistant.readers import read_bytes  # noqa: E402

TEXT = "Điều 1. Hỗ trợ tối đa 30% chi phí mua máy móc thiết bị."
SHAPES = ("div", "table", "list", "unclosed", "chrome")


def hostile_page(shape: str, depth: int) -> bytes:
    """A page whose text sits under `depth` nested tags of one `shape`."""
    opened, closed = {
        "div": ("<div>", "</div>"),
        "table": ("<table><tr><td>", "</td></tr></table>"),
        "list": ("<ul><li>", "</li></ul>"),
        "unclosed": ("<p><span>", ""),
        "chrome": ('<div class="noidung"><div class="share">x</div>', "</div>"),
    }[shape]
    body = opened * depth + TEXT + closed * depth
    return f"<!DOCTYPE html><html><head><title>Trang thử</title></head><body>{body}</body></html>".encode()


def read_seconds(shape: str, depth: int, repeat: int = 3) -> float:
    """The best of `repeat` timings of reading one hostile page (the text must come back)."""
    page = hostile_page(shape, depth)
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        text = read_bytes(page, "trang.html").text
        best = min(best, time.perf_counter() - started)
        assert TEXT in text, f"{shape} at depth {depth}: the text was lost"
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--depths", type=int, nargs="+", default=[1000, 10_000, 20_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'shape':<10}{'depth':>8}{'seconds':>10}{'s per 1k':>10}")
    for shape in SHAPES:
        for depth in args.depths:
            seconds = read_seconds(shape, depth, args.repeat)
            print(f"{shape:<10}{depth:>8}{seconds:>10.3f}{seconds * 1000 / depth:>10.4f}")


if __name__ == "__main__":
    main()
