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
        nfc = {"question": _nfc(row["question"]), "answer": _nfc(str(row["answer"]))}
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
    return Settings(
        corpus_dir=root / "corpus", index_dir=root / "index", data_dir=root / "data", embedding_cache=args.cache
    )


def build_here(args: argparse.Namespace, articles: Sequence[legal.Article]) -> tuple[legal.ArticleMap, dict[str, Any]]:
    """Write the law files and build (or update, a no-op when unchanged) the index in this process."""
    from assistant import Assistant

    settings = settings_for(args)
    mapping = legal.write_corpus(articles, settings.corpus_dir)
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
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    facts["threads"] = args.build_threads
    return legal.write_corpus(articles, settings_for(args).corpus_dir), facts


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
        if row["question_type"] == "Trắc nghiệm":
            record["quotes_hold_wrong"] = any(held_share(w, quotes) >= HOLD_SHARE for w in wrong)
            record["top1_hold_wrong"] = any(held_share(w, top_text) >= HOLD_SHARE for w in wrong)
    return record


# ---------------------------------------------------------------------------- summary
RATES = ("top1_gold", "top10_gold", "first_cited_gold", "any_cited_gold", "refused")


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
        for key in ("quotes", "top1", "quotes_literal", "top1_literal"):
            flags[f"{key}_hold_gold"] = [r[f"{key.split('_')[0]}_share{key[len(key.split('_')[0]) :]}"] >= HOLD_SHARE
                                         for r in worded]
        multiple = [r for r in items if "quotes_hold_wrong" in r]
        flags["quotes_hold_wrong"] = [r["quotes_hold_wrong"] for r in multiple]
        flags["top1_hold_wrong"] = [r["top1_hold_wrong"] for r in multiple]
        for key, values in flags.items():
            row[key] = {"k": sum(values), "n": len(values), "share": round(sum(values) / len(values), 3) if values else None}
        row["ask_p50_ms"] = legal.percentile([r["ask_ms"] for r in items], 50)
        row["search_p50_ms"] = legal.percentile([r["search_ms"] for r in items], 50)
        out[name] = row
    return out
