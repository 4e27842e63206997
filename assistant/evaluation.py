"""Evaluate retrieval and answers on a question set (eval/devset.jsonl, eval/chatset.jsonl).

Each question is asked twice: as written, and with its diacritics removed, so the
gap between the two is measured on the same questions.

Two answer scores are kept apart, because a right quote under a wrong first line
misleads a user reading on a phone:

- grounded accuracy: an expected fact is in the answer and in one of its quotes;
- lead accuracy: the first line states an expected fact (grounded in a quote), or the
  answer opens with a quote that holds it;
- direct share: how many answers open with a stated fact rather than a quote (a lead
  accuracy bought by quoting everything would show here).

For open list questions (`expected_all`), `list_recall` is the share of the listed
items the answer holds.
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
from .session import Session
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
    expected_all: list[str] = field(default_factory=list)


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
            expected_all=[nfc(e) for e in row.get("expected_all") or []],
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
    lead: bool = False
    list_recall: float = 0.0
    direct: bool = False  # the answer opens with a stated fact (not with a quote)


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
        lists = [q for q in answerable if q.expected_all]
        return {
            "questions": len(questions),
            "recall@1": _ratio(sum(1 for r in ranks if r == 1), len(ranks)),
            "recall@5": _ratio(sum(1 for r in ranks if r and r <= 5), len(ranks)),
            "mrr": _ratio(sum(1 / r for r in ranks if r), len(ranks)),
            "lead_accuracy": _ratio(sum(self.outcomes[q.id].lead for q in answerable), len(answerable)),
            "direct_share": _ratio(sum(self.outcomes[q.id].direct for q in answerable), len(answerable)),
            "answer_accuracy": _ratio(sum(self.outcomes[q.id].correct for q in answerable), len(answerable)),
            "list_recall": _ratio(sum(self.outcomes[q.id].list_recall for q in lists), len(lists)),
            "refusal_precision": _ratio(len(refused_right), len(refused)),
            "refusal_recall": _ratio(len(refused_right), len(unanswerable)),
            # unanswerable questions given a fact as their answer (the rest were refused or only quoted, hedged)
            "unanswerable_asserted": _ratio(sum(self.outcomes[q.id].direct for q in unanswerable), len(unanswerable)),
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
    """Grounded: an expected fact is in the answer and in one of its quotes."""
    if not answer.found:
        return False
    text = _squash(answer.answer)
    quotes = [_squash(c.quote) for c in answer.citations]
    facts = item.expected or item.expected_all
    return any(_squash(e) in text and any(_squash(e) in q for q in quotes) for e in facts)


def _lead_is_correct(item: EvalQuestion, answer: Answer) -> bool:
    """The first line states an expected fact that a quote holds, or the answer opens with a quote holding one."""
    if not answer.found or not answer.answer.strip():
        return False
    lines = answer.answer.strip().splitlines()
    first = lines[0]
    quotes = [_squash(c.quote) for c in answer.citations]
    facts = [_squash(e) for e in item.expected or item.expected_all]
    if first.lstrip().startswith("“") and answer.citations:  # the quote on that line, not its whole passage
        return any(f in _squash(first) for f in facts)
    return any(f in _squash(first) and any(f in q for q in quotes) for f in facts)


def _list_recall(item: EvalQuestion, answer: Answer) -> float:
    if not item.expected_all or not answer.found:
        return 0.0
    text = _squash(answer.answer + " " + " ".join(c.quote for c in answer.citations))
    return sum(_squash(e) in text for e in item.expected_all) / len(item.expected_all)


def _run_variant(
    session: Session, questions: list[EvalQuestion], name: str, transform: Callable[[str], str]
) -> VariantReport:
    report = VariantReport(name)
    assistant = session.assistant
    for item in questions:
        text = transform(item.question)
        started, cpu_started = time.perf_counter(), time.process_time()  # asked first: includes encoding the question
        answer = _ask(session, text)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        rank = _rank_of_evidence(assistant, text, item.evidence) if item.evidence else None
        report.outcomes[item.id] = _Outcome(
            rank,
            item.answerable and _is_correct(item, answer),
            not answer.found,
            seconds,
            answer.answer,
            cpu,
            lead=item.answerable and _lead_is_correct(item, answer),
            list_recall=_list_recall(item, answer),
            direct=answer.found and not answer.answer.lstrip().startswith("“"),
        )
    return report


def _ask(session: Session, question: str) -> Answer:
    """The answer (each question on its own: no conversation, no cache), or the refusal a user sees
    when the question itself is rejected (another language, …)."""
    try:
        return session.ask(question).answer
    except BadQuestion as error:
        return Answer(answer=error.message, found=False, citations=[])


def evaluate(assistant: Assistant, questions: list[EvalQuestion]) -> dict[str, Any]:
    """Run both variants; return metrics per variant and split, plus the failures."""
    session = Session(assistant)  # the channels' way in, without an answer cache or a feedback store
    session.ask(questions[0].question)  # warm-up: load index and model once
    variants = [
        _run_variant(session, questions, "có dấu", lambda q: q),
        _run_variant(session, questions, "không dấu", fold),
    ]
    splits = sorted({q.split for q in questions})
    result: dict[str, Any] = {"variants": {}, "failures": []}
    for variant in variants:
        per_split = {"all": variant.metrics(questions)}
        for split in splits:
            per_split[split] = variant.metrics([q for q in questions if q.split == split])
        result["variants"][variant.name] = per_split
        result.setdefault("categories", {})[variant.name] = _per_category(variant, questions)
        result["failures"].extend(_failures(variant, questions))
    return result


def _per_category(variant: VariantReport, questions: list[EvalQuestion]) -> dict[str, dict[str, float]]:
    """Lead and grounded accuracy of the answerable questions of each category and split."""
    out: dict[str, dict[str, float]] = {}
    for category in sorted({q.category for q in questions if q.answerable}):
        for split in ("all", *sorted({q.split for q in questions})):
            chosen = [q for q in questions if q.answerable and q.category == category and split in ("all", q.split)]
            if chosen:
                out[f"{category}/{split}"] = {
                    "questions": len(chosen),
                    "lead_accuracy": _ratio(sum(variant.outcomes[q.id].lead for q in chosen), len(chosen)),
                    "answer_accuracy": _ratio(sum(variant.outcomes[q.id].correct for q in chosen), len(chosen)),
                }
    return out


def _failures(variant: VariantReport, questions: list[EvalQuestion]) -> list[dict[str, Any]]:
    out = []
    for item in questions:
        outcome = variant.outcomes[item.id]
        wrong = (item.answerable and not (outcome.correct and outcome.lead)) or (
            not item.answerable and not outcome.refused
        )
        if wrong:
            out.append(
                {
                    "variant": variant.name,
                    "id": item.id,
                    "question": item.question,
                    "expected": item.expected or item.expected_all,
                    "rank": outcome.rank,
                    "lead": outcome.lead,
                    "grounded": outcome.correct,
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
        "lead_accuracy",
        "direct_share",
        "answer_accuracy",
        "list_recall",
        "refusal_precision",
        "refusal_recall",
        "unanswerable_asserted",
        "latency_p50_ms",
        "latency_p95_ms",
        "cpu_p50_ms",
    ]
    lines = ["| biến thể | tập | " + " | ".join(columns) + " |", "|" + "---|" * (len(columns) + 2)]
    for variant, splits in result["variants"].items():
        for split, metrics in splits.items():
            lines.append(f"| {variant} | {split} | " + " | ".join(str(metrics[c]) for c in columns) + " |")
    categories = result.get("categories") or {}
    if categories:
        lines += ["", "| biến thể | loại/tập | câu | lead_accuracy | answer_accuracy |", "|---|---|---|---|---|"]
        for variant, rows in categories.items():
            for key, metrics in rows.items():
                lines.append(
                    f"| {variant} | {key} | {metrics['questions']} | {metrics['lead_accuracy']} "
                    f"| {metrics['answer_accuracy']} |"
                )
    return "\n".join(lines)
