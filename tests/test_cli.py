"""The command line, through click's CliRunner, on the real index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import Settings
from assistant.cli import main
from assistant.ratelimit import Rate


def _run(settings: Settings, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(
        main, ["--corpus", str(settings.store.corpus_dir), "--index", str(settings.store.index_dir), *args], input=stdin
    )
    return result.exit_code, result.stdout, result.stderr


def test_ask_json_schema(built_settings: Settings) -> None:
    code, out, _ = _run(built_settings, "ask", "--json", "han chot dang ky ke hoach khuyen cong quoc gia")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"answer", "found", "citations"}
    assert data["found"] is True and "20 tháng 6 năm 2023" in data["answer"]
    assert set(data["citations"][0]) == {"doc_id", "title", "locator", "quote", "score"}
    assert data["citations"][0]["doc_id"] == "cv-400-ctdp-qlkc-2024"


def test_ask_readable_lists_sources(built_settings: Settings) -> None:
    code, out, _ = _run(built_settings, "ask", "Ai ký Công văn 400?")
    assert code == 0
    assert out.splitlines()[0] == "Ngô Quang Trung."
    assert "Nguồn:" in out and "[1] đoạn 3 — 6 nội dung định hướng hoạt động khuyến công năm 2024" in out


def test_ask_stream_answers_each_line_in_order(built_settings: Settings) -> None:
    questions = ["Ai ký Công văn 400?", "", "Năm 2022 kinh phí KCQG được phân bổ bao nhiêu?", "thời tiết ở Mars"]
    code, out, _ = _run(built_settings, "ask", "--json", "-", stdin="\n".join(questions) + "\n")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 4
    assert "Ngô Quang Trung" in rows[0]["answer"]
    assert rows[1]["error"]["code"] == "bad_question" and rows[1]["found"] is False
    assert "140 tỷ đồng" in rows[2]["answer"]
    assert rows[3]["found"] is False


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("   ", "Câu hỏi đang trống"),
        ("\x00\x01\x02", "Câu hỏi đang trống"),
        ("kinh phí " * 2500, "Câu hỏi quá dài (22499 ký tự, tối đa 2000)"),
        ("What is the deadline for the national industrial promotion plan?", "tiếng Việt"),
    ],
)
def test_bad_questions_exit_nonzero_with_a_message(built_settings: Settings, question: str, message: str) -> None:
    code, out, err = _run(built_settings, "ask", question)
    assert code == 1
    assert message in err and "Traceback" not in err + out


def test_ask_json_bad_question_is_json_too(built_settings: Settings) -> None:
    code, out, _ = _run(built_settings, "ask", "--json", "")
    assert code == 1
    assert json.loads(out)["error"]["code"] == "bad_question"


def test_missing_index_tells_the_next_step(tmp_path: Path) -> None:
    settings = Settings.of(corpus_dir=tmp_path, index_dir=tmp_path / "none")
    code, _, err = _run(settings, "ask", "hạn đăng ký")
    assert code == 1
    assert "khuyencong index" in err


def test_search_shows_ranked_chunks_with_scores(built_settings: Settings) -> None:
    code, out, _ = _run(built_settings, "search", "-k", "2", "kinh phí KCQG năm 2022")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("1. [0.0") and "đoạn 15" in lines[0]
    assert lines[2].startswith("2. [")


def test_search_json(built_settings: Settings) -> None:
    code, out, _ = _run(built_settings, "search", "--json", "--province", "Đồng Nai", "hội chợ")
    assert code == 0
    rows = json.loads(out)
    assert rows and {r["doc_id"] for r in rows} == {"dongnai-2023-ket-qua"}


def test_index_reports_no_change_and_problems(built_settings: Settings, tmp_path: Path) -> None:
    code, out, _ = _run(built_settings, "index")
    assert code == 0 and "không có gì thay đổi" in out
    (built_settings.store.corpus_dir / "lac-loai.txt").write_text("Tệp chưa khai báo.", encoding="utf-8")
    try:
        code, out, err = _run(built_settings, "index")
        assert code == 0 and "lac-loai.txt" in err
    finally:
        (built_settings.store.corpus_dir / "lac-loai.txt").unlink()


def test_index_with_a_broken_manifest_fails_cleanly(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("[]", encoding="utf-8")
    code, _, err = _run(Settings.of(corpus_dir=tmp_path, index_dir=tmp_path / "idx"), "index")
    assert code == 1 and "documents" in err and "Traceback" not in err


def test_an_unusable_setting_is_named_without_a_traceback(tmp_path: Path) -> None:
    result = CliRunner(env={"KHUYENCONG_FETCH_TIMEOUT": "nhanh"}).invoke(main, ["--index", str(tmp_path), "list"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # not an uncaught error
    assert result.stderr == "Lỗi: KHUYENCONG_FETCH_TIMEOUT phải là số giây lớn hơn 0 (đang là “nhanh”).\n"


@pytest.mark.parametrize(
    ("variable", "value", "form"),
    [
        ("KHUYENCONG_MAX_QUESTION_CHARS", "abc", "số ký tự nguyên lớn hơn 0, ví dụ 2000"),
        ("KHUYENCONG_ANSWER_CACHE", "-3", "số câu trả lời nguyên, 0 để tắt"),
        ("KHUYENCONG_WORKERS", "0", "số tiến trình nguyên từ 1 đến 64"),
        ("KHUYENCONG_ANSWER_THREADS", "-1", "số luồng nguyên từ 0 đến 64 (0: không giới hạn)"),
        ("KHUYENCONG_BOT_RATE_LIMIT", "mười", "SỐ_TIN/SỐ_GIÂY, ví dụ 10/60, hoặc 0"),
        ("KHUYENCONG_TODAY", "hôm nay", "một ngày dạng YYYY-MM-DD"),
    ],
)
def test_every_setting_is_checked_when_the_environment_is_read(
    tmp_path: Path, variable: str, value: str, form: str
) -> None:
    result = CliRunner(env={variable: value}).invoke(main, ["--index", str(tmp_path), "ask", "hạn nộp hồ sơ"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.stderr == f"Lỗi: {variable} phải là {form} (đang là “{value}”).\n"


def test_settings_from_the_environment_are_trimmed_and_take_a_decimal_comma(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KHUYENCONG_FETCH_TIMEOUT", " 2,5 ")
    monkeypatch.setenv("KHUYENCONG_BOT_RATE_LIMIT", "3/30")
    monkeypatch.setenv("KHUYENCONG_WORKERS", "")  # empty: the default
    settings = Settings.from_env(index_dir="chi-muc")
    assert (settings.store.fetch_timeout, settings.store.index_dir) == (2.5, Path("chi-muc"))
    assert (settings.bots.bot_rate_limit, settings.server.workers) == (Rate(3, 30), 1)


def test_a_manifest_that_is_not_json_names_the_line_in_vietnamese(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text('{"documents": [\n  {"id": "a",}\n]}', encoding="utf-8")
    code, _, err = _run(Settings.of(corpus_dir=tmp_path, index_dir=tmp_path / "idx"), "index")
    assert code == 1 and f"Tệp {tmp_path / 'manifest.json'} không phải JSON hợp lệ (dòng 2, cột 14)." in err
    assert "Expecting" not in err  # was json's English message
