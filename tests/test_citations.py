"""One citation per passage: two sentences quoted from one place of a document share one source number."""

from __future__ import annotations

import re
from pathlib import Path

from assistant import Assistant
from assistant.citations import one_per_passage
from assistant.errors import BadQuestion
from assistant.evaluation import load_questions
from assistant.types import Citation

DEVSET = Path(__file__).resolve().parent.parent / "eval" / "devset.jsonl"


def test_two_sentences_of_one_passage_are_one_source(assistant: Assistant) -> None:
    answer = assistant.ask("hạn đăng ký kế hoạch khuyến công quốc gia")
    lines = answer.answer.splitlines()
    assert lines[1].endswith("[1]") and lines[2].endswith("[1]")  # was [1] and [2], both "đoạn 14"
    assert [(c.doc_id, c.locator) for c in answer.citations] == [("cv-400-ctdp-qlkc-2024", "đoạn 14")]
    source = answer.citations[0]
    assert assistant.document(source.doc_id)["text"][source.start : source.end] == source.quote
    assert "20 tháng 6 năm 2023" in source.quote and "30 tháng 9 năm 2023" in source.quote


def test_no_answer_of_the_dev_set_cites_a_passage_twice(assistant: Assistant) -> None:
    for item in load_questions(DEVSET)[::4]:  # a quarter of the set keeps it quick
        try:
            answer = assistant.ask(item.question)
        except BadQuestion:  # the set's questions that are refused as typed
            continue
        places = [(c.doc_id, c.locator) for c in answer.citations]
        assert len(places) == len(set(places)), (item.question, places)
        markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
        assert markers <= set(range(1, len(places) + 1)), (item.question, answer.answer)


def test_merged_citation_spans_the_exact_text_between() -> None:
    text = "Điều 1. Câu một. Câu hai. Câu ba."
    first, third = (
        Citation("d", "T", "Điều 1", "Câu một.", 0.5, 8, 16),
        Citation("d", "T", "Điều 1", "Câu ba.", 0.9, 26, 33),
    )
    other = Citation("e", "U", "đoạn 2", "Khác.", 0.4, 0, 5)
    merged, numbers = one_per_passage([first, other, third], lambda doc_id: text)
    assert numbers == [1, 2, 1]
    assert merged[0] == Citation("d", "T", "Điều 1", "Câu một. Câu hai. Câu ba.", 0.9, 8, 33)
    assert merged[1] is other
