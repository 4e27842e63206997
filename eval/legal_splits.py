"""Leave-one-source-out study of the fusion: tune on two of alqac2022 / alqac2023 / zalo, report the third.

Each question (as written, and with its diacritics removed) is asked once of each side of the
project's retriever, exactly as `Assistant.search` asks them (`Query.search_text` for BM25,
`Query.dense_text` for the vectors), and the two candidate lists with their scores are kept in
eval/out/legal/sides.json (rebuilt when the index or the questions change). Every fusion setting
in the grid is then scored by the product's own `assistant.retrieval.fuse` on those lists, so
choosing settings costs no search; for each held-out source the setting with the best
R@10 + MRR@10 on the other two sources (both variants pooled) is reported on that source, beside
the BM25 side alone and the dense side alone.

    .venv/bin/python eval/legal_splits.py                 # the split table (markdown) and results-splits.json
    .venv/bin/python eval/legal_splits.py --sample 60     # first 60 questions of each source, to try it out
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import legal_benchmark as lb  # the same folder; eval/ scripts run as files

from assistant.retrieval import FusionParams, fuse

SOURCES = ("alqac2022", "alqac2023", "zalo")
SIDE_DEPTH = 100  # candidates kept from each side (the grid reads at most this many)
Sides = dict[str, dict[str, list[list[float]]]]  # key "qid|variant" -> {"lexical": [[pos, score]...], "dense": ...}


def side_key(qid: str, folded: bool) -> str:
    """Key of one question variant in the side lists."""
    return f"{qid}|{'khong-dau' if folded else 'co-dau'}"


def collect_sides(assistant: Any, questions: Sequence[lb.Question], path: Path) -> tuple[Sides, dict[str, float]]:
    """Both sides' ranked candidates for every question variant (read from `path` when still valid)."""
    retriever = assistant._get_retriever()
    stamp = {"generation": retriever.index.generation, "questions": [q.qid for q in questions]}
    if path.is_file():
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved.get("stamp") == stamp:
            return saved["sides"], saved["dense_ms"]
    deep = replace(retriever.params, candidates=SIDE_DEPTH)
    sides: Sides = {}
    dense_ms: dict[str, float] = {}
    for number, (question, (_, folded)) in enumerate(itertools.product(questions, lb.VARIANTS)):
        text = lb.strip_diacritics(question.question) if folded else question.question
        query = assistant.analyse(text)
        lexical = retriever.lexical_ranking(query.search_text, None, deep.candidates)
        started = time.perf_counter()
        dense = retriever.dense_ranking(query.dense_text, None, deep.candidates)
        key = side_key(question.qid, folded)
        dense_ms[key] = (time.perf_counter() - started) * 1000
        sides[key] = {"lexical": [[p, s] for p, s in lexical], "dense": [[p, s] for p, s in dense]}
        if number % 200 == 0:
            print(f"  sides: {number}/{2 * len(questions)}", file=sys.stderr, flush=True)
    path.write_text(json.dumps({"stamp": stamp, "sides": sides, "dense_ms": dense_ms}), encoding="utf-8")
    return sides, dense_ms


HEADS = (0, 1, 2, 3)  # lexical chunks kept on top when BM25 is sure (0: the dense side is not asked)
SKIPS = (0.0, 0.4, 0.5, 0.6)  # with a kept head: a lead this wide still skips the dense side (0: never)


def grid() -> list[FusionParams]:
    """Fusion settings tried: RRF weights, dense kept to lexical candidates, lexical-confidence gates
    (skip the dense side, or keep BM25's first chunks on top and fuse the rest)."""
    settings = [FusionParams(dense_weight=0.0)]
    for lexical_weight, pool, margin, head, skip in itertools.product(
        (1.0, 1.5, 2.0, 3.0), ("all", "lexical"), (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.5), HEADS, SKIPS
    ):
        if margin == 0 and (head or skip):  # no gate: nothing to keep or skip
            continue
        if skip and (not head or skip <= margin):
            continue
        settings.append(
            FusionParams(
                lexical_weight=lexical_weight,
                dense_pool=pool,
                confident_margin=margin,
                confident_head=head,
                skip_margin=skip,
            )
        )
    return settings


def label(params: FusionParams) -> str:
    """Short name of a setting for the tables."""
    if params.dense_weight == 0:
        return "BM25 side only"
    gate = ""
    if params.confident_margin and not params.confident_head:
        gate = f", skip dense if margin>={params.confident_margin:g}"
    elif params.confident_margin:
        gate = f", keep BM25 top {params.confident_head} if margin>={params.confident_margin:g}"
        gate += f" (skip dense if >={params.skip_margin:g})" if params.skip_margin else ""
    pool = "dense re-ranks lexical" if params.dense_pool == "lexical" else "RRF"
    return f"{pool} {params.lexical_weight:g}:{params.dense_weight:g}{gate}"


DENSE_ONLY = "dense side only"


def ranked_articles(
    sides: Sides, key: str, params: FusionParams | None, retriever: Any, mapping: lb.ArticleMap
) -> tuple[list[str], bool]:
    """Articles in the order `params` fuses the saved side lists, and whether the dense side was asked.

    `params` None: the dense side's own ranking (its first 50 chunks), for the table beside the fusions.
    """
    chunks = retriever.index.chunks
    if params is None:
        ranked = [int(p) for p, _ in sides[key]["dense"]][: FusionParams().candidates]
        return lb.distinct(mapping.article_at(chunks[p].doc_id, chunks[p].start) for p in ranked), True
    lexical = [(int(p), s) for p, s in sides[key]["lexical"]][: params.candidates]
    dense = [(int(p), s) for p, s in sides[key]["dense"]][: params.candidates]
    used_dense = params.asks_dense(lexical)
    fused = fuse(lexical, dense if used_dense else [], params)
    return lb.distinct(mapping.article_at(chunks[p].doc_id, chunks[p].start) for p, _ in fused), used_dense


def score(
    sides: Sides, questions: Sequence[lb.Question], params: FusionParams | None, retriever: Any, mapping: lb.ArticleMap
) -> dict[str, dict[str, float]]:
    """R@1/5/10, MRR@10 and the share of queries that asked the dense side, per source and variant."""
    out: dict[str, dict[str, float]] = {}
    for source in SOURCES:
        for variant, folded in lb.VARIANTS:
            items = [q for q in questions if q.source == source]
            rows = []
            for q in items:
                ranked, used = ranked_articles(sides, side_key(q.qid, folded), params, retriever, mapping)
                rows.append((ranked, q.relevant, used))
            out[f"{source}|{variant}"] = {
                "n": len(rows),
                **{f"r@{k}": lb._mean(lb.recall_at(r, g, k) for r, g, _ in rows) for k in lb.CUTOFFS},
                "mrr@10": lb._mean(lb.reciprocal_rank(r, g) for r, g, _ in rows),
                "dense_share": lb._mean(1.0 if used else 0.0 for _, _, used in rows),
            }
    return out


def first_gold(ranked: Sequence[str], relevant: Sequence[str]) -> int | None:
    """Rank of the first gold article in `ranked` (1-based), None when absent."""
    return next((rank for rank, item in enumerate(ranked, 1) if item in relevant), None)


def changes(
    sides: Sides,
    questions: Sequence[lb.Question],
    new: FusionParams,
    old: FusionParams,
    retriever: Any,
    mapping: lb.ArticleMap,
) -> dict[str, dict[str, int]]:
    """Per source and variant, how many questions `new` ranks the first gold article higher / lower than `old`,
    and how many enter / leave the top 10."""
    out: dict[str, dict[str, int]] = {}
    for q, (variant, folded) in itertools.product(questions, lb.VARIANTS):
        key = side_key(q.qid, folded)
        before = first_gold(ranked_articles(sides, key, old, retriever, mapping)[0], q.relevant)
        after = first_gold(ranked_articles(sides, key, new, retriever, mapping)[0], q.relevant)
        cell = out.setdefault(f"{q.source}|{variant}", {"higher": 0, "lower": 0, "enters top 10": 0, "leaves": 0})
        far = lb.DEPTH + 1
        cell["higher"] += (after or far) < (before or far)
        cell["lower"] += (after or far) > (before or far)
        cell["enters top 10"] += after is not None and before is None
        cell["leaves"] += before is not None and after is None
    return out


def pooled(scores: dict[str, dict[str, float]], sources: Sequence[str], metric: str) -> float:
    """`metric` over the questions of `sources`, both variants, weighted by question count."""
    cells = [scores[f"{s}|{v}"] for s in sources for v, _ in lb.VARIANTS]
    total = sum(c["n"] for c in cells)
    return sum(c[metric] * c["n"] for c in cells) / total if total else 0.0


def choose(table: dict[str, dict[str, dict[str, float]]], sources: Sequence[str]) -> str:
    """The setting with the best R@10 + MRR@10 on `sources` (ties: the cheaper one, fewer dense calls)."""
    return max(
        table,
        key=lambda name: (
            round(pooled(table[name], sources, "r@10") + pooled(table[name], sources, "mrr@10"), 6),
            -pooled(table[name], sources, "dense_share"),
        ),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=lb.BENCH_DIR)
    parser.add_argument("--out", type=Path, default=lb.OUT_DIR)
    parser.add_argument("--cache", type=Path, default=lb.CACHE_PATH)
    parser.add_argument("--sample", type=int, default=None, help="only the first N questions of each source")
    args = parser.parse_args(argv)
    if not (args.data / "corpus.jsonl").is_file():
        print(f"Không thấy bộ dữ liệu ở {args.data} (cần corpus.jsonl và questions.jsonl).", file=sys.stderr)
        return 2
    from assistant import Assistant

    articles, questions = lb.load_articles(args.data), lb.load_questions(args.data)
    if args.sample:
        questions = [q for s in SOURCES for q in [x for x in questions if x.source == s][: args.sample]]
    settings, mapping = lb.pipeline_settings(args, articles)
    assistant = Assistant(settings)
    assistant.index()
    retriever = assistant._get_retriever()
    sides, dense_ms = collect_sides(assistant, questions, args.out / "legal" / "sides.json")
    table = {label(p): score(sides, questions, p, retriever, mapping) for p in grid()}
    params = {label(p): asdict(p) for p in grid()}
    splits = {}
    for held in SOURCES:
        tune = [s for s in SOURCES if s != held]
        splits[held] = {"tune": tune, "chosen": choose(table, tune)}
    table[DENSE_ONLY] = score(sides, questions, None, retriever, mapping)  # beside, never chosen
    on_all = choose(table, SOURCES)
    by_label = {label(p): p for p in grid()}
    summary = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "machine": lb.machine(),
        "command": "eval/legal_splits.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "questions": len(questions),
        "splits": splits,
        "chosen_on_all": on_all,
        "changes_vs_default": changes(sides, questions, by_label[on_all], FusionParams(), retriever, mapping),
        "default": label(FusionParams()),
        "dense_ms_p50_p95": [lb.percentile(list(dense_ms.values()), 50), lb.percentile(list(dense_ms.values()), 95)],
        "params": params,
        "table": table,
    }
    (args.out / "legal" / "results-splits.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1))
    print(format_splits(summary))
    return 0


def format_splits(summary: dict[str, Any]) -> str:
    """Markdown: per held-out source, the chosen setting beside the BM25 side and today's RRF 1:1."""
    table, lines = summary["table"], []
    lines.append(
        "| held-out source | setting | chosen on | có dấu R@10 / MRR@10 | không dấu R@10 / MRR@10 | dense asked |"
    )
    lines.append("|---|---|---|---|---|---|")
    for held, split in summary["splits"].items():
        for name, how in (
            (split["chosen"], "+".join(split["tune"])),
            (summary["chosen_on_all"], "all three"),
            (summary["default"], "- (default)"),
            ("BM25 side only", "-"),
            (DENSE_ONLY, "-"),
            ("RRF 1:1", "- (always both)"),
        ):
            cells = [table[name][f"{held}|{v}"] for v, _ in lb.VARIANTS]
            figures = " | ".join(f"{c['r@10']:.3f} / {c['mrr@10']:.3f}" for c in cells)
            lines.append(f"| {held} | {name} | {how} | {figures} | {cells[0]['dense_share']:.0%} |")
    lines.append(f"\nchosen on all three sources: {summary['chosen_on_all']}; default: {summary['default']}")
    lines.append("\nchosen on all three vs the default, questions whose first gold article moves (rank within 10):")
    for cell, counts in summary["changes_vs_default"].items():
        lines.append(f"  {cell}: " + ", ".join(f"{name} {count}" for name, count in counts.items()))
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
