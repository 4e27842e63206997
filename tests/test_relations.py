"""The amendment graph (assistant/relations.py) is built once per index generation, not once per question."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ingest_samples import AMENDMENT_BODY, AMENDMENT_HEADER, DECISION_59

from assistant import Assistant, Settings, relations

AMENDED_QUESTION = "Hỗ trợ tối đa bao nhiêu phần trăm chi phí mua máy móc thiết bị tiên tiến?"
NOTE = "Lưu ý: Điều 4, khoản 1 của Quyết định 59/2099/QĐ-UBND đã được sửa đổi, bổ sung bởi Quyết định 17/2100/QĐ-UBND"
LATER = """ỦY BAN NHÂN DÂN
TỈNH HƯ CẤU
Số: 40/2101/QĐ-UBND
Hư Cấu, ngày 02 tháng 01 năm 2101
QUYẾT ĐỊNH
Về việc tổ chức hội chợ khuyến công thử nghiệm
Điều 1. Hội chợ
Hội chợ khuyến công thử nghiệm được tổ chức mỗi năm một lần.
"""


def _amendment_text() -> str:
    lines = [cell for row in AMENDMENT_HEADER for cell in row] + [line for line in AMENDMENT_BODY if line != "TABLE"]
    return "\n".join(lines) + "\n"


@pytest.fixture()
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often the graph and the amending sentences are worked out."""
    calls = {"lookups": 0, "graph": 0, "spans": 0}

    def counting(name: str, real: Any) -> Any:
        def wrapper(*args: Any) -> Any:
            calls[name] += 1
            return real(*args)

        return wrapper

    monkeypatch.setattr(relations, "changes_to", counting("lookups", relations.changes_to))
    monkeypatch.setattr(relations, "_changes_in", counting("graph", relations._changes_in))
    monkeypatch.setattr(relations, "amendment_spans", counting("spans", relations.amendment_spans))
    return calls


def test_the_graph_is_built_once_per_generation(tmp_path: Path, counted: dict[str, int]) -> None:
    settings = Settings.of(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", embedding="none")
    (tmp_path / "qd-59.txt").write_text(DECISION_59, encoding="utf-8")
    (tmp_path / "qd-17.txt").write_text(_amendment_text(), encoding="utf-8")
    kc = Assistant(settings)
    kc.add([str(tmp_path / "qd-59.txt"), str(tmp_path / "qd-17.txt")])
    counted.update(lookups=0, graph=0, spans=0)

    for _ in range(3):
        answer = kc.ask(AMENDED_QUESTION)
        assert NOTE in answer.answer and answer.citations[-1].doc_id == "qd-17-2100-qd-ubnd"
    # three questions, each reading the graph twice (ranking, then the answer's notes): one graph, one reading
    assert counted == {"lookups": 6, "graph": 1, "spans": 1}

    (tmp_path / "qd-40.txt").write_text(LATER, encoding="utf-8")
    kc.add([str(tmp_path / "qd-40.txt")])  # a new generation: a new graph, from the new documents
    counted.update(lookups=0, graph=0, spans=0)
    assert NOTE in kc.ask(AMENDED_QUESTION).answer
    assert NOTE in kc.ask(AMENDED_QUESTION).answer
    assert counted == {"lookups": 4, "graph": 1, "spans": 1}
