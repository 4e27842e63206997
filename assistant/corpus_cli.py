"""Commands `khuyencong add|remove|list`: manage the documents of a corpus from the command line."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click

from .cli_common import assistant_of, fail, settings_of
from .config import Settings
from .errors import AssistantError
from .indexing import IndexReport
from .ingest import Added, EntryOverrides, header_facts, relation_targets
from .interrupts import INTERRUPTIONS, StoppedAfterCommit, exit_code
from .types import DocumentKind

__all__ = ["add_command", "list_command", "remove_command"]

STOPPED = "Đã dừng giữa chừng: không có gì thay đổi, corpus và chỉ mục vẫn như trước."
STOPPED_AFTER = "Đã dừng khi việc đã xong: corpus và chỉ mục đã cập nhật, khớp nhau (xem `khuyencong list`)."


def _stopped(interruption: BaseException) -> NoReturn:
    click.echo(STOPPED_AFTER if isinstance(interruption, StoppedAfterCommit) else STOPPED, err=True)
    sys.exit(exit_code(interruption))


@click.command("add")
@click.argument("sources", nargs=-1, required=True)
@click.option("--title", help="Tiêu đề hiển thị trong trích dẫn (mặc định: nhận dạng từ văn bản).")
@click.option("--id", "doc_id", help="Mã tài liệu (mặc định: theo số hiệu, ví dụ nd-45-2012-nd-cp).")
@click.option(
    "--kind", type=click.Choice([kind.value for kind in DocumentKind]), help="Loại tài liệu (mặc định: nhận dạng)."
)
@click.option("--province", help="Tỉnh/thành của văn bản (mặc định: theo cơ quan ban hành).")
@click.option("--number", help="Số hiệu văn bản, ví dụ 45/2012/NĐ-CP.")
@click.option("--date", help="Ngày ban hành YYYY-MM-DD.")
@click.option("--amends", multiple=True, help="Mã hoặc số hiệu văn bản mà văn bản này sửa đổi, bổ sung.")
@click.option("--replaces", multiple=True, help="Mã hoặc số hiệu văn bản mà văn bản này thay thế.")
@click.option("--repeals", multiple=True, help="Mã hoặc số hiệu văn bản mà văn bản này bãi bỏ.")
@click.option("--no-index", is_flag=True, help="Chỉ thêm vào corpus, chưa cập nhật chỉ mục.")
@click.pass_context
def add_command(ctx: click.Context, /, sources: tuple[str, ...], no_index: bool, **fields: Any) -> None:
    """Thêm văn bản (PDF, DOCX, HTML, .txt; tệp, thư mục hoặc URL) vào corpus và cập nhật chỉ mục."""
    relations = {name: list(fields.pop(name)) for name in ("amends", "replaces", "repeals") if fields.get(name)}
    fields = {k: v for k, v in fields.items() if k not in ("amends", "replaces", "repeals")}
    overrides = EntryOverrides(id=fields.pop("doc_id"), relations=relations, **fields)
    settings = settings_of(ctx)
    try:
        result = assistant_of(ctx, queries=False).add(list(sources), overrides, index=not no_index)
    except AssistantError as error:
        fail(error)
        return
    except INTERRUPTIONS as interruption:
        _stopped(interruption)
    for item in result.added:
        click.echo(_describe(item, settings))
    if result.index is not None:
        click.echo(_index_line(result.index))
    else:
        click.echo("Chưa cập nhật chỉ mục: chạy `khuyencong index` khi đã thêm xong.")


def _describe(item: Added, settings: Settings) -> str:
    entry = item.entry
    lines = [f"Đã thêm {entry['id']}: {entry['title']}"]
    lines += [f"  {label}: {value}" for label, value in header_facts(item)]
    lines.append(f"  tệp: {settings.store.corpus_dir / entry['file']} (định dạng gốc: {entry['format']})")
    lines += [f"  Cảnh báo: {warning}" for warning in item.warnings]
    return "\n".join(lines)


def _index_line(report: IndexReport) -> str:
    if report.unchanged:
        return f"Chỉ mục đã mới nhất: {report.documents} tài liệu, {report.chunks} đoạn."
    return (
        f"Đã cập nhật chỉ mục: {report.documents} tài liệu, {report.chunks} đoạn; "
        f"nhúng mới {report.embedded} đoạn ({report.seconds:.1f} giây)."
    )


@click.command("remove")
@click.argument("doc_id")
@click.option("--no-index", is_flag=True, help="Chỉ xóa khỏi corpus, chưa cập nhật chỉ mục.")
@click.pass_context
def remove_command(ctx: click.Context, doc_id: str, no_index: bool) -> None:
    """Xóa một tài liệu (mục trong manifest và tệp .txt) khỏi corpus, rồi cập nhật chỉ mục."""
    try:
        entry, report = assistant_of(ctx, queries=False).remove(doc_id, index=not no_index)
    except AssistantError as error:
        fail(error)
        return
    except INTERRUPTIONS as interruption:
        _stopped(interruption)
    click.echo(f"Đã xóa {entry['id']}: {entry['title']}")
    if report is not None:
        click.echo(_index_line(report))
    elif not no_index:
        click.echo("Corpus không còn tài liệu nào; chỉ mục cũ chưa được thay.")


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="In danh sách dạng JSON.")
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """Liệt kê các tài liệu trong corpus."""
    try:
        entries = assistant_of(ctx, queries=False).corpus()
    except AssistantError as error:
        fail(error)
        return
    if as_json:
        click.echo(json.dumps(entries, ensure_ascii=False, indent=1))
        return
    if not entries:
        click.echo("Corpus chưa có tài liệu nào. Thêm bằng `khuyencong add TỆP`.")
    for entry in entries:
        when = entry.get("date") or entry.get("year") or "?"
        click.echo(f"{entry['id']}  [{entry['kind']}, {when}]  {entry['title']}")
        for label, target in relation_targets(entry):
            click.echo(f"    {label}: {target}")
