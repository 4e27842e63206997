"""Corpus loading: manifest validation and the files it names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import CorpusError
from assistant.loading import load_corpus, read_manifest, strip_chrome

REPO = Path(__file__).resolve().parent.parent


def _write_manifest(folder: Path, entries: list[dict[str, object]]) -> None:
    (folder / "manifest.json").write_text(json.dumps({"documents": entries}, ensure_ascii=False), encoding="utf-8")


def _entry(doc_id: str, file: str, kind: str = "report") -> dict[str, object]:
    return {"id": doc_id, "file": file, "title": f"Tài liệu {doc_id}", "kind": kind, "year": 2023}


def test_shipped_corpus_is_consistent() -> None:
    report = load_corpus(REPO / "corpus")
    assert report.problems() == []
    assert len(report.documents) == len(read_manifest(REPO / "corpus"))  # every entry loaded, however many
    assert {d.kind for d in report.documents} == {"direction_letter", "report", "news"}


def test_shipped_corpus_has_no_web_chrome() -> None:
    for doc in load_corpus(REPO / "corpus").documents:
        for marker in ("Truy cập nội dung luôn", "Lượt xem", "Tổng truy cập", "logo.png", "news_detail"):
            assert marker not in doc.text, (doc.id, marker)


def test_missing_and_unlisted_files_are_reported(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Nội dung A", encoding="utf-8")
    (tmp_path / "stray.txt").write_text("Không có trong manifest", encoding="utf-8")
    _write_manifest(tmp_path, [_entry("doc-a", "a.txt"), _entry("doc-b", "b.txt")])
    report = load_corpus(tmp_path)
    assert [d.id for d in report.documents] == ["doc-a"]
    assert report.missing_files == ["b.txt"]
    assert report.unlisted_files == ["stray.txt"]
    problems = "\n".join(report.problems())
    assert "b.txt" in problems and "stray.txt" in problems


def test_unreadable_files_are_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "latin1.txt").write_bytes("Hội nghị".encode("utf-16"))
    (tmp_path / "empty.txt").write_text("   \n", encoding="utf-8")
    _write_manifest(tmp_path, [_entry("a1", "latin1.txt"), _entry("a2", "empty.txt")])
    report = load_corpus(tmp_path)
    assert report.documents == []
    assert set(report.unreadable) == {"latin1.txt", "empty.txt"}


def test_text_is_nfc_normalized(tmp_path: Path) -> None:
    import unicodedata

    (tmp_path / "nfd.txt").write_text(unicodedata.normalize("NFD", "Đồng Nai"), encoding="utf-8")
    _write_manifest(tmp_path, [_entry("nfd", "nfd.txt")])
    assert load_corpus(tmp_path).documents[0].text == "Đồng Nai"


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{"id": "x1", "file": "x.txt", "kind": "report"}], "thiếu trường 'title'"),
        ([_entry("x1", "x.txt", kind="poem")], "kind 'poem' không hợp lệ"),
        ([_entry("x1", "x.txt"), _entry("x1", "y.txt")], "bị lặp"),
        ([_entry("Bad Id!", "x.txt")], "không hợp lệ"),
    ],
)
def test_bad_manifest_entries_are_refused(tmp_path: Path, entries: list[dict[str, object]], message: str) -> None:
    _write_manifest(tmp_path, entries)
    with pytest.raises(CorpusError, match=message):
        read_manifest(tmp_path)


def test_missing_or_broken_manifest(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"manifest\.json"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CorpusError, match="JSON"):
        read_manifest(tmp_path)


def test_strip_chrome_keeps_the_article() -> None:
    page = (
        "Truy cập nội dung luôn\n\nTiêu đề bài\n\nNội dung chính 79,07 tỷ đồng.\n\n"
        "Lượt xem: 2530\nTổng truy cập: 18379396\n"
    )
    assert strip_chrome(page) == "Tiêu đề bài\n\nNội dung chính 79,07 tỷ đồng.\n"
