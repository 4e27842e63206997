"""Evaluate retrieval and answers on a question set (eval/devset.jsonl).

Each question is asked twice: as written, and with its diacritics removed, so the
gap between the two is measured on the same questions.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import BadQuestion
from .facade import Assistant
from .text import fold, nfc
from .types import Answer

__all__ = ["EvalQuestion", "evaluate", "format_report", "load_questions"]


@dataclass(frozen=True)
class EvalQuestion:
    """One line of the question set."""

    id: str
    question: str
    answerable: bool
    expected: list[str]
    doc_id: str | None
    evidence: str | None
    category: str
    split: str


def load_questions(path: Path, split: str | None = None) -> list[EvalQuestion]:
    """Read a JSONL question set, optionally one split ("tune" or "held")."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        item = EvalQuestion(
            id=row["id"],
            question=nfc(row["question"]),
            answerable=bool(row["answerable"]),
            expected=[nfc(e) for e in row.get("expected") or []],
            doc_id=row.get("doc_id"),
            evidence=nfc(row["evidence"]) if row.get("evidence") else None,
            category=row.get("category", ""),
            split=row.get("split", "tune"),
        )
        if split is None or item.split == split:
            out.append(item)
    return out


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


@dataclass
class _Outcome:
    rank: int | None
    correct: bool
    refused: bool
    seconds: float
    answer: str
    cpu_seconds: float = 0.0


@dataclass
class VariantReport:
    """Metrics for one variant of the questions (as written, or without diacritics)."""

    name: str
    outcomes: dict[str, _Outcome] = field(default_factory=dict)

    def metrics(self, questions: list[EvalQuestion]) -> dict[str, float]:
        """recall@1/@5, MRR, answer accuracy, refusal precision/recall, latency p50/p95 (ms)."""
        answerable = [q for q in questions if q.answerable]
        unanswerable = [q for q in questions if not q.answerable]
        ranks = [self.outcomes[q.id].rank for q in answerable if q.evidence]
        refused = [q for q in questions if self.outcomes[q.id].refused]
        refused_right = [q for q in refused if not q.answerable]
        times = sorted(self.outcomes[q.id].seconds * 1000 for q in questions)
        cpu = sorted(self.outcomes[q.id].cpu_seconds * 1000 for q in questions)
        return {
            "questions": len(questions),
            "recall@1": _ratio(sum(1 for r in ranks if r == 1), len(ranks)),
            "recall@5": _ratio(sum(1 for r in ranks if r and r <= 5), len(ranks)),
            "mrr": _ratio(sum(1 / r for r in ranks if r), len(ranks)),
            "answer_accuracy": _ratio(sum(self.outcomes[q.id].correct for q in answerable), len(answerable)),
            "refusal_precision": _ratio(len(refused_right), len(refused)),
            "refusal_recall": _ratio(len(refused_right), len(unanswerable)),
            "latency_p50_ms": _percentile(times, 50),
            "latency_p95_ms": _percentile(times, 95),
            "cpu_p50_ms": _percentile(cpu, 50),  # CPU time of the process per question: steady when the machine is busy
        }


def _ratio(part: float, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _percentile(values: list[float], pct: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return round(values[0], 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[pct - 1], 1)


def _rank_of_evidence(assistant: Assistant, question: str, evidence: str, k: int = 10) -> int | None:
    target = _squash(evidence)
    try:
        hits = assistant.search(question, k=k)
    except BadQuestion:
        return None
    for rank, hit in enumerate(hits, 1):
        if target in _squash(hit.chunk.text):
            return rank
    return None


def _is_correct(item: EvalQuestion, answer: Answer) -> bool:
    if not answer.found:
        return False
    text = _squash(answer.answer)
    quotes = [_squash(c.quote) for c in answer.citations]
    return any(_squash(e) in text and any(_squash(e) in q for q in quotes) for e in item.expected)


def _run_variant(
    assistant: Assistant, questions: list[EvalQuestion], name: str, transform: Callable[[str], str]
) -> VariantReport:
    report = VariantReport(name)
    for item in questions:
        text = transform(item.question)
        started, cpu_started = time.perf_counter(), time.process_time()  # asked first: includes encoding the question
        answer = _ask(assistant, text)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        rank = _rank_of_evidence(assistant, text, item.evidence) if item.evidence else None
        report.outcomes[item.id] = _Outcome(
            rank, item.answerable and _is_correct(item, answer), not answer.found, seconds, answer.answer, cpu
        )
    return report


def _ask(assistant: Assistant, question: str) -> Answer:
    """The answer, or the refusal a user sees when the question itself is rejected (another language, …)."""
    try:
        return assistant.ask(question)
    except BadQuestion as error:
        return Answer(answer=error.message, found=False, citations=[])


def evaluate(assistant: Assistant, questions: list[EvalQuestion]) -> dict[str, Any]:
    """Run both variants; return metrics per variant and split, plus the failures."""
    assistant.ask(questions[0].question)  # warm-up: load index and model once
    variants = [
        _run_variant(assistant, questions, "có dấu", lambda q: q),
        _run_variant(assistant, questions, "không dấu", fold),
    ]
    splits = sorted({q.split for q in questions})
    result: dict[str, Any] = {"variants": {}, "failures": []}
    for variant in variants:
        per_split = {"all": variant.metrics(questions)}
        for split in splits:
            per_split[split] = variant.metrics([q for q in questions if q.split == split])
        result["variants"][variant.name] = per_split
        result["failures"].extend(_failures(variant, questions))
    return result


def _failures(variant: VariantReport, questions: list[EvalQuestion]) -> list[dict[str, Any]]:
    out = []
    for item in questions:
        outcome = variant.outcomes[item.id]
        wrong = (item.answerable and not outcome.correct) or (not item.answerable and not outcome.refused)
        if wrong:
            out.append(
                {
                    "variant": variant.name,
                    "id": item.id,
                    "question": item.question,
                    "expected": item.expected,
                    "rank": outcome.rank,
                    "answer": outcome.answer[:300],
                }
            )
    return out


def format_report(result: dict[str, Any]) -> str:
    """A Markdown table of the metrics."""
    columns = [
        "questions",
        "recall@1",
        "recall@5",
        "mrr",
        "answer_accuracy",
        "refusal_precision",
        "refusal_recall",
        "latency_p50_ms",
        "latency_p95_ms",
        "cpu_p50_ms",
    ]
    lines = ["| biến thể | tập | " + " | ".join(columns) + " |", "|" + "---|" * (len(columns) + 2)]
    for variant, splits in result["variants"].items():
        for split, metrics in splits.items():
            lines.append(f"| {variant} | {split} | " + " | ".join(str(metrics[c]) for c in columns) + " |")
    return "\n".join(lines)
