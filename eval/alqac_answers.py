"""Answer-level outside check: `Assistant.ask` on the ALQAC 2023 questions of vn-legal-retrieval.

Reads ../shared/benchmarks/vn-legal-retrieval/ (never copied into the repository) and indexes the
19 laws exactly as eval/legal_benchmark.py does (its functions, its folders: the corpus and index
under eval/out/legal/, passage vectors in eval/out/embeddings.sqlite), so a run of either script
reuses the other's index and vectors. Then, for each of the 100 ALQAC 2023 questions with an
answer (Đúng/Sai 50, Trắc nghiệm 40, Tự luận 10), it asks what a user would type (a multiple-choice
question: the stem, then one line per option "A. …"), calls `Assistant.ask` and
`Assistant.search(k=10)`, and reports, per question type and overall:

- top-1 gold: the top search hit lies in a gold article (chunks are mapped to articles by their
  character offset, as legal_benchmark.py does); R@10: a gold article among the top 10 hits;
- 1st / any citation gold: the answer's first (any) citation lies in a gold article;
- refused: `found` is False, or the question raised `BadQuestion`;
- quotes hold gold: at least 60% of the distinct folded syllables (`assistant.text.syllables`, which
  folds with `assistant.text.fold`) of the gold wording occur in the concatenated quotes. The gold
  wording is the free answer (Tự luận) or the text of the gold option (Trắc nghiệm); an "all of
  the above" option ("Cả A, B, C đều đúng", "Cả 3 phương án trên") stands for the options it names
  (all the others when it names none). Đúng/Sai has no wording to test;
- top-1 chunk holds gold: the same test on the text of the top search hit (the baseline "quote the
  top retrieved passage").

For multiple choice it also prints the test on the option text taken literally and a control:
how often the quotes (or the top chunk) hold the wording of a wrong option.

    .venv/bin/python eval/alqac_answers.py
    .venv/bin/python eval/alqac_answers.py --json --out eval/out/legal/alqac-answers.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EVAL_DIR = Path(__file__).resolve().parent
if str(EVAL_DIR) not in sys.path:
    sys.path.insert(0, str(EVAL_DIR))

# Importing it puts the repository on sys.path and sets OMP_NUM_THREADS=1 (one thread per query).
import legal_benchmark as legal  # noqa: E402

from assistant.text import syllables  # noqa: E402

DEFAULT_JSON = legal.OUT_DIR / "legal" / "alqac-answers.json"
TYPES = ("Đúng/Sai", "Trắc nghiệm", "Tự luận")
HOLD_SHARE = 0.6
SEARCH_K = 10
_ALL_OF = re.compile(r"^cả\b.*(?:đúng|trên)\W*$", re.IGNORECASE)
_LETTER = re.compile(r"\b([A-H])\b")


# ---------------------------------------------------------------------------- data
def load_alqac(folder: Path) -> list[dict[str, Any]]:
    """ALQAC 2023 questions that have an answer, with NFC text (question_type, choices, answer kept)."""
    rows = []
    # legal._jsonl is private there; load_questions drops the answer fields this check needs.
    for row in legal._jsonl(folder / "questions.jsonl"):
        if row.get("source") != "alqac2023" or row.get("answer") in (None, "") or row.get("question_type") not in TYPES:
            continue
        nfc: dict[str, Any] = {"question": _nfc(row["question"]), "answer": _nfc(str(row["answer"]))}
        if row.get("choices"):
            nfc["choices"] = {str(k).strip(): _nfc(str(v)) for k, v in row["choices"].items()}
        rows.append({**row, **nfc})
    return rows


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def user_text(row: dict[str, Any]) -> str:
    """What a user would ask: the question, or for multiple choice the stem then one "A. …" line per option."""
    choices = row.get("choices")
    if row["question_type"] != "Trắc nghiệm" or not choices:
        return str(row["question"])
    return "\n".join([row["question"], *(f"{letter}. {choices[letter]}" for letter in sorted(choices))])


def named_options(letter: str, choices: dict[str, str]) -> list[str] | None:
    """The options an "all of the above" option stands for (None when it is an ordinary option)."""
    text = choices[letter]
    if not _ALL_OF.match(text):
        return None
    named = [x for x in _LETTER.findall(text) if x in choices and x != letter]
    return named or [x for x in sorted(choices) if x != letter]


def gold_wording(row: dict[str, Any], literal: bool = False) -> str | None:
    """The words the answer should quote: the free answer, or the gold option (expanded unless `literal`)."""
    kind = row["question_type"]
    if kind == "Tự luận":
        return str(row["answer"])
    if kind != "Trắc nghiệm" or row["answer"] not in (row.get("choices") or {}):
        return None
    choices = row["choices"]
    named = None if literal else named_options(row["answer"], choices)
    return "\n".join(choices[x] for x in named) if named else str(choices[row["answer"]])


def wrong_options(row: dict[str, Any]) -> list[str]:
    """Texts of the ordinary options that are not the answer and not named by it."""
    choices = row.get("choices") or {}
    if row["question_type"] != "Trắc nghiệm" or row["answer"] not in choices:
        return []
    right = {row["answer"], *(named_options(row["answer"], choices) or [])}
    return [text for x, text in sorted(choices.items()) if x not in right and named_options(x, choices) is None]


def held_share(wording: str, text: str) -> float:
    """Share of the distinct folded syllables of `wording` that occur in `text`."""
    wanted = set(syllables(wording))
    return len(wanted & set(syllables(text))) / len(wanted) if wanted else 0.0


# ---------------------------------------------------------------------------- index
def settings_for(args: argparse.Namespace) -> Any:
    """The same folders as legal_benchmark.build_methods: <work>/legal/{corpus,index,data} and the shared cache."""
    from assistant import Settings

    root = args.work / "legal"
    return Settings.of(
        corpus_dir=root / "corpus", index_dir=root / "index", data_dir=root / "data", embedding_cache=args.cache
    )


def build_here(args: argparse.Namespace, articles: Sequence[legal.Article]) -> tuple[legal.ArticleMap, dict[str, Any]]:
    """Write the law files and build (or update, a no-op when unchanged) the index in this process."""
    from assistant import Assistant

    settings = settings_for(args)
    mapping = legal.write_corpus(articles, settings.store.corpus_dir)
    started = time.perf_counter()
    # legal._progress is private there; it is the progress printer legal_benchmark uses with --verbose.
    report = Assistant(settings).index(progress=legal._progress if args.verbose else None)
    facts = {
        "chunks": report.chunks,
        "embedded": report.embedded,
        "unchanged": report.unchanged,
        "seconds": round(time.perf_counter() - started, 1),
    }
    return mapping, facts


def build_in_child(args: argparse.Namespace, articles: Sequence[legal.Article]) -> tuple[legal.ArticleMap, dict]:
    """Build in a child process with `--build-threads` OpenMP threads (passage batches), then map here."""
    command = [sys.executable, str(Path(__file__).resolve()), "--build-only", "--data", str(args.data)]
    command += ["--work", str(args.work), "--cache", str(args.cache), *(["--verbose"] if args.verbose else [])]
    threads = {"OMP_NUM_THREADS": str(args.build_threads), "OMP_WAIT_POLICY": "PASSIVE"}
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, env=os.environ | threads, check=True)
    lines = done.stdout.strip().splitlines()
    if not lines or not lines[-1].startswith("{"):
        raise RuntimeError(f"the index build printed no facts (exit {done.returncode}): {done.stdout!r}")
    facts = json.loads(lines[-1])
    facts["threads"] = args.build_threads
    return legal.write_corpus(articles, settings_for(args).store.corpus_dir), facts


# ---------------------------------------------------------------------------- asking
def check_question(assistant: Any, mapping: legal.ArticleMap, row: dict[str, Any]) -> dict[str, Any]:
    """Ask one question and search it; the per-question record (articles, refusal, wording shares)."""
    from assistant.errors import BadQuestion

    text = user_text(row)
    gold = set(row["relevant"])
    record: dict[str, Any] = {"qid": row["qid"], "type": row["question_type"], "gold": sorted(gold)}
    started = time.perf_counter()
    try:
        answer = assistant.ask(text)
        found, citations, bad = answer.found, answer.citations, None
    except BadQuestion as exc:
        found, citations, bad = False, [], exc.message
    record["ask_ms"] = round((time.perf_counter() - started) * 1000, 1)
    started = time.perf_counter()
    try:
        hits = assistant.search(text, k=SEARCH_K)
    except BadQuestion:
        hits = []
    record["search_ms"] = round((time.perf_counter() - started) * 1000, 1)
    ranked = [mapping.article_at(h.chunk.doc_id, h.chunk.start) for h in hits]
    cited = [mapping.article_at(c.doc_id, c.start) for c in citations]
    quotes = "\n".join(c.quote for c in citations)
    top_text = hits[0].chunk.text if hits else ""
    record |= {
        "found": bool(found),
        "bad_question": bad,
        "top1": ranked[0] if ranked else None,
        "top1_gold": bool(ranked) and ranked[0] in gold,
        "top10_gold": any(a in gold for a in ranked),
        "cited": cited,
        "locators": [c.locator for c in citations],
        "first_cited_gold": bool(cited) and cited[0] in gold,
        "any_cited_gold": any(a in gold for a in cited),
    }
    wording = gold_wording(row)
    if wording is not None:
        literal = gold_wording(row, literal=True) or ""
        wrong = wrong_options(row)
        record |= {
            "wording": wording,
            "quotes_share": round(held_share(wording, quotes), 3),
            "top1_share": round(held_share(wording, top_text), 3),
            "quotes_share_literal": round(held_share(literal, quotes), 3),
            "top1_share_literal": round(held_share(literal, top_text), 3),
            "expanded": literal != wording,
        }
        if wrong:  # not for an "all of the above" answer that names every ordinary option
            record["quotes_hold_wrong"] = any(held_share(w, quotes) >= HOLD_SHARE for w in wrong)
            record["top1_hold_wrong"] = any(held_share(w, top_text) >= HOLD_SHARE for w in wrong)
    return record


# ---------------------------------------------------------------------------- summary
HOLD_COLUMNS = {  # summary key -> per-question share it thresholds
    "quotes_hold_gold": "quotes_share",
    "top1_hold_gold": "top1_share",
    "quotes_hold_gold_literal": "quotes_share_literal",
    "top1_hold_gold_literal": "top1_share_literal",
}


def summarize(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Counts and shares per question type and overall."""
    groups: dict[str, list[dict[str, Any]]] = {kind: [] for kind in TYPES}
    for record in records:
        groups[record["type"]].append(record)
    groups["all"] = list(records)
    out: dict[str, dict[str, Any]] = {}
    for name, items in groups.items():
        if not items:
            continue
        row: dict[str, Any] = {"n": len(items)}
        flags = {
            "top1_gold": [r["top1_gold"] for r in items],
            "top10_gold": [r["top10_gold"] for r in items],
            "first_cited_gold": [r["first_cited_gold"] for r in items],
            "any_cited_gold": [r["any_cited_gold"] for r in items],
            "refused": [not r["found"] for r in items],
            "bad_question": [r["bad_question"] is not None for r in items],
        }
        worded = [r for r in items if "quotes_share" in r]
        for key, share in HOLD_COLUMNS.items():
            flags[key] = [r[share] >= HOLD_SHARE for r in worded]
        multiple = [r for r in items if "quotes_hold_wrong" in r]
        flags["quotes_hold_wrong"] = [r["quotes_hold_wrong"] for r in multiple]
        flags["top1_hold_wrong"] = [r["top1_hold_wrong"] for r in multiple]
        flags["top1_gold_refused"] = [r["top1_gold"] and not r["found"] for r in items]
        flags["top1_gold_cited_elsewhere"] = [
            r["top1_gold"] and r["found"] and not r["first_cited_gold"] for r in items
        ]
        flags["top1_miss_cited_gold"] = [not r["top1_gold"] and r["first_cited_gold"] for r in items]
        for key, values in flags.items():
            row[key] = {"k": sum(values), "n": len(values)}
        row["ask_p50_ms"] = legal.percentile([r["ask_ms"] for r in items], 50)
        row["search_p50_ms"] = legal.percentile([r["search_ms"] for r in items], 50)
        out[name] = row
    return out


COLUMNS = (
    ("top1_gold", "top-1 gold"),
    ("top10_gold", "R@10 gold"),
    ("first_cited_gold", "1st citation gold"),
    ("any_cited_gold", "any citation gold"),
    ("refused", "refused"),
    ("quotes_hold_gold", "quotes hold gold wording"),
    ("top1_hold_gold", "top-1 chunk holds gold wording"),
)
MC_COLUMNS = (
    ("quotes_hold_gold", "quotes hold gold"),
    ("quotes_hold_gold_literal", "quotes hold gold (option text literally)"),
    ("quotes_hold_wrong", "quotes hold a wrong option"),
    ("top1_hold_gold", "top-1 holds gold"),
    ("top1_hold_gold_literal", "top-1 holds gold (literally)"),
    ("top1_hold_wrong", "top-1 holds a wrong option"),
)


def cell(count: dict[str, int], total: int | None = None) -> str:
    """ "0.780 (39)", with "/n" when the count is over fewer questions than the row; "–" for none."""
    if not count["n"]:
        return "–"
    base = f"{count['k'] / count['n']:.3f} ({count['k']}"
    return base + (f"/{count['n']})" if total is not None and count["n"] != total else ")")


def format_tables(summary: dict[str, dict[str, Any]]) -> str:
    """Markdown: every type and overall, then the multiple-choice wording checks."""
    lines = [
        "| type | n | " + " | ".join(label for _, label in COLUMNS) + " |",
        "|---|---|" + "---|" * len(COLUMNS),
    ]
    for name, row in summary.items():
        cells = " | ".join(cell(row[key], row["n"]) for key, _ in COLUMNS)
        lines.append(f"| {name} | {row['n']} | {cells} |")
    multiple = summary.get("Trắc nghiệm")
    if multiple:
        lines += [
            "",
            "| Trắc nghiệm | n | " + " | ".join(label for _, label in MC_COLUMNS) + " |",
            "|---|---|" + "---|" * len(MC_COLUMNS),
            f"| wording checks | {multiple['n']} | "
            + " | ".join(cell(multiple[key], multiple["n"]) for key, _ in MC_COLUMNS)
            + " |",
        ]
    overall = summary.get("all")
    if overall:
        lines += [
            "",
            f"Top-1 hit in a gold article but the answer refused: {overall['top1_gold_refused']['k']}; "
            f"answered with its first citation in another article: {overall['top1_gold_cited_elsewhere']['k']}. "
            f"Top-1 hit elsewhere but first citation gold: {overall['top1_miss_cited_gold']['k']}.",
        ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------- run
def code_state() -> dict[str, Any]:
    """The commit and the uncommitted files of assistant/ the answers came from (it changes often)."""

    def git(*words: str) -> str:
        try:
            return subprocess.run(["git", *words], cwd=legal.REPO, capture_output=True, text=True).stdout
        except OSError:
            return ""

    dirty = [line[3:] for line in git("status", "--porcelain", "--", "assistant").splitlines() if len(line) > 3]
    return {"commit": git("rev-parse", "--short", "HEAD").strip(), "uncommitted": dirty}


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=legal.BENCH_DIR, help="folder with corpus.jsonl, questions.jsonl")
    parser.add_argument(
        "--work", type=Path, default=legal.OUT_DIR, help="legal_benchmark.py's --out: the corpus and index go in legal/"
    )
    parser.add_argument("--cache", type=Path, default=legal.CACHE_PATH, help="passage-vector cache (kept between runs)")
    parser.add_argument("--json", action="store_true", help="also write the summary and every question as JSON")
    parser.add_argument("--out", type=Path, default=DEFAULT_JSON, help="where --json writes")
    parser.add_argument("--sample", type=int, default=None, help="only the first N questions")
    parser.add_argument(
        "--build-threads",
        type=int,
        default=2,
        help="OpenMP threads of the index build, run in a child process (0: build here, with the query threads)",
    )
    parser.add_argument("--build-only", action="store_true", help="only build or update the index (prints its facts)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    if not (args.data / "corpus.jsonl").is_file() or not (args.data / "questions.jsonl").is_file():
        print(f"vn-legal-retrieval not found at {args.data} (needs corpus.jsonl and questions.jsonl): skipped.")
        return 0
    started = time.perf_counter()
    articles = legal.load_articles(args.data)
    if args.build_only:
        print(json.dumps(build_here(args, articles)[1]))
        return 0
    rows = load_alqac(args.data)[: args.sample] if args.sample else load_alqac(args.data)
    code = code_state()  # at start: the assistant package was imported with this module
    mapping, facts = build_in_child(args, articles) if args.build_threads > 0 else build_here(args, articles)
    print(f"index: {json.dumps(facts, ensure_ascii=False)}", file=sys.stderr, flush=True)

    from assistant import Assistant

    assistant = Assistant(settings_for(args))
    asking = time.perf_counter()
    records = []
    for number, row in enumerate(rows, 1):
        records.append(check_question(assistant, mapping, row))
        if args.verbose and number % 10 == 0:
            print(f"  asked {number}/{len(rows)}", file=sys.stderr, flush=True)
    summary = summarize(records)
    total = time.perf_counter() - started
    head = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "machine": legal.machine(),
        "command": "eval/alqac_answers.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "questions": len(records),
        "articles": len(articles),
        "index": facts,
        "asking_seconds": round(time.perf_counter() - asking, 1),
        "seconds": round(total, 1),
        "hold_share": HOLD_SHARE,
        "search_k": SEARCH_K,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "code": code,
    }
    if args.json:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        payload = {**head, "summary": summary, "questions_detail": records}
        args.out.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    changed = f", uncommitted: {', '.join(code['uncommitted'])}" if code["uncommitted"] else ""
    print(f"{head['date']} · {head['machine']} · code {code['commit']}{changed}")
    print(
        f"{len(records)} ALQAC 2023 questions, {len(articles)} articles; index {facts.get('seconds')} s, "
        f"asking {head['asking_seconds']} s, total {total:.0f} s; "
        f"ask p50 {summary['all']['ask_p50_ms']:.0f} ms, search p50 {summary['all']['search_p50_ms']:.0f} ms"
        if records
        else "no questions"
    )
    print()
    if records:
        print(format_tables(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
