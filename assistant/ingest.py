"""Add documents to a corpus (and remove them): files, folders or URLs in, manifest entries out.

`add_documents` reads every source first (see `readers.py`), refuses one whose text is over
`settings.store.max_source_mb`, recognises what each one is (`legal.py`), checks it is not already in
the corpus (by content hash), and only then writes the text files and the manifest, atomically.
The index is updated last. Writing the corpus and updating the index are one transaction under
the index's build lock (`generations.index_transaction`): a build elsewhere waits for it, and any
failure or interruption (Ctrl+C, SIGTERM) puts back both the corpus and the index (CURRENT, the
generation, the vectors) as they were; after `kill -9` the next command or server does, from the
transaction's journal. Any bad source stops the whole batch before anything is
written, so the corpus and the index are never half-updated.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from .config import Settings
from .errors import CorpusError, DocumentUnreadable, NotFound
from .generations import IndexTransaction, index_transaction
from .indexing import IndexReport, recover_interrupted, settle_vectors
from .interrupts import pause_point
from .legal import RELATIONS, LegalHeader, doc_id_for, recognise
from .loading import MANIFEST_NAME, read_manifest
from .problems import os_problem
from .readers import SUPPORTED_SUFFIXES, Extracted, FetchLimits, fetch_url, read_bytes
from .text import fold
from .types import DocumentKind

__all__ = [
    "AddResult",
    "Added",
    "EntryOverrides",
    "Reindex",
    "add_documents",
    "header_facts",
    "list_documents",
    "preview_documents",
    "remove_document",
]


@dataclass
class EntryOverrides:
    """Manifest fields given by the person adding the documents (they win over recognition)."""

    id: str | None = None
    title: str | None = None
    kind: str | None = None
    province: str | None = None
    number: str | None = None
    date: str | None = None
    relations: dict[str, list[str]] = field(default_factory=dict)

    def single_only(self) -> list[str]:
        """Options that only make sense for one document."""
        return [name for name in ("id", "title", "number", "date") if getattr(self, name)]


@dataclass
class Added:
    """One document added: its manifest entry, what was recognised, and warnings."""

    entry: dict[str, Any]
    header: LegalHeader
    warnings: list[str] = field(default_factory=list)


@dataclass
class AddResult:
    """What `add_documents` did."""

    added: list[Added] = field(default_factory=list)
    index: IndexReport | None = None


Reindex = Callable[[], IndexReport]  # the index update run inside the corpus transaction


@dataclass
class _Source:
    origin: str
    data: bytes
    content_type: str = ""


# ------------------------------------------------------------------- add
def add_documents(
    settings: Settings,
    sources: list[str],
    overrides: EntryOverrides | None = None,
    client: httpx.Client | None = None,
    reindex: Reindex | None = None,
) -> AddResult:
    """Add files, folders or URLs to the corpus, then update the index with `reindex` (None: not yet).

    `Assistant.add` is the way in: it passes its own `index`.

    Raises
    ------
    DocumentUnreadable
        A source cannot be read (all problems listed); nothing is added.
    CorpusError
        Duplicate document, bad option, or the manifest cannot be written; nothing is added.
    """
    overrides = overrides or EntryOverrides()
    corpus = settings.store.corpus_dir
    loaded = _read_sources(settings, sources, overrides, client)
    with _transaction(settings) as tx:
        entries = _manifest_entries(corpus)  # under the lock: as the last add or remove left it
        added = _prepare(loaded, entries, corpus, overrides)
        for item in added:
            tx.write(corpus / item.entry["file"], item.entry.pop("_text"))
        tx.write(corpus / MANIFEST_NAME, _manifest_json(corpus, entries + [a.entry for a in added]))
        pause_point("corpus-written")
        report = reindex() if reindex else None
    return AddResult(added, report)


def preview_documents(
    settings: Settings,
    sources: list[str],
    overrides: EntryOverrides | None = None,
    client: httpx.Client | None = None,
) -> AddResult:
    """What `add_documents` would add: the sources read, recognised and checked against the corpus as it
    would (duplicates, id clashes), with nothing written and the index untouched (`AddResult.index` None).

    Raises what `add_documents` raises, for the same reasons.
    """
    overrides = overrides or EntryOverrides()
    loaded = _read_sources(settings, sources, overrides, client)
    entries = list_documents(settings)
    added = _prepare(loaded, entries, settings.store.corpus_dir, overrides)
    for item in added:
        item.entry.pop("_text")
    return AddResult(added, None)


def _read_sources(
    settings: Settings, sources: list[str], overrides: EntryOverrides, client: httpx.Client | None
) -> list[tuple[_Source, Extracted]]:
    loaded = _load_sources(
        sources, partial(fetch_url, client=client, limits=FetchLimits.of(settings.store)), settings.store.max_source_mb
    )
    if len(loaded) > 1 and overrides.single_only():
        raise CorpusError(f"Tùy chọn --{', --'.join(overrides.single_only())} chỉ dùng khi thêm đúng một văn bản.")
    return loaded


Fetch = Callable[[str], tuple[bytes, str]]  # a URL's (body, content type)


def _load_sources(sources: list[str], fetch: Fetch, limit_mb: float) -> list[tuple[_Source, Extracted]]:
    """Read every source; raise one `DocumentUnreadable` listing all that fail or are too large."""
    problems: list[str] = []
    loaded: list[tuple[_Source, Extracted]] = []
    for source in _expand(sources, problems, fetch):
        try:
            extracted = read_bytes(source.data, source.origin, source.content_type)
        except DocumentUnreadable as exc:
            problems.append(f"{source.origin}: {exc.message}")
            continue
        too_large = _size_problem(extracted.text, limit_mb)
        if too_large:
            problems.append(f"{source.origin}: {too_large}")
        else:
            loaded.append((source, extracted))
    if problems:
        raise DocumentUnreadable("Không thêm văn bản nào.\n" + "\n".join(f"- {p}" for p in problems))
    if not loaded:
        raise DocumentUnreadable("Không có văn bản nào để thêm.")
    return loaded


def _size_problem(text: str, limit_mb: float) -> str:
    """Why a text is too large to add ("" when it is not): chunking and embedding it would take hours."""
    size_mb = len(text.encode("utf-8")) / 1_000_000
    if size_mb <= limit_mb:
        return ""
    return (
        f"văn bản quá lớn ({_megabytes(size_mb)} MB chữ, giới hạn {_megabytes(limit_mb)} MB); nhúng chừng ấy "
        "chữ mất nhiều giờ. Hãy tách thành các văn bản nhỏ hơn, hoặc nâng giới hạn bằng biến "
        "KHUYENCONG_MAX_SOURCE_MB nếu thật sự cần."
    )


def _megabytes(value: float) -> str:
    """20 -> "20", 0.01 -> "0,01", 50.32 -> "50,32" (Vietnamese decimal comma)."""
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def _expand(sources: list[str], problems: list[str], fetch: Fetch) -> Iterator[_Source]:
    for source in sources:
        try:
            yield from _open(source, fetch)
        except DocumentUnreadable as exc:
            problems.append(f"{source}: {exc.message}")


def _open(source: str, fetch: Fetch) -> Iterator[_Source]:
    if re.match(r"^https?://", source, re.IGNORECASE):
        data, content_type = fetch(source)
        yield _Source(source, data, content_type)
        return
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
        files = [p for p in files if p.name != MANIFEST_NAME and not p.name.startswith(".")]
        if not files:
            raise DocumentUnreadable("thư mục không có tệp PDF, DOCX, HTML hay .txt nào.")
        for file in files:
            yield _Source(str(file), _read_file(file))
        return
    yield _Source(str(path), _read_file(path))


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise DocumentUnreadable("không tìm thấy tệp này.") from exc
    except OSError as exc:
        raise DocumentUnreadable(f"không mở được tệp ({os_problem(exc)}).") from exc


# --------------------------------------------------------------- entries
_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,80}$")


def _prepare(
    loaded: list[tuple[_Source, Extracted]], entries: list[dict[str, Any]], corpus: Path, overrides: EntryOverrides
) -> list[Added]:
    """Manifest entries for the new documents; raise `CorpusError` listing duplicates and clashes."""
    known = _known_hashes(entries, corpus)
    ids = {e["id"] for e in entries}
    batch: dict[str, str] = {}  # id -> source, for this call's documents
    problems: list[str] = []
    added: list[Added] = []
    for source, extracted in loaded:
        text = extracted.text if extracted.text.endswith("\n") else extracted.text + "\n"
        hashes = {_sha256(source.data), _sha256(text.encode())}
        twin = next((known[h] for h in hashes if h in known), None)
        if twin:
            problems.append(f"{source.origin}: văn bản này đã có trong corpus (mã {twin}).")
            continue
        header = recognise(text)
        entry = _entry(source, extracted, header, overrides, ids)
        if entry["id"] in batch:
            problems.append(f"{source.origin}: cùng số hiệu/mã '{entry['id']}' với {batch[entry['id']]}; dùng --id.")
        problems += [f"{source.origin}: {p}" for p in _entry_problems(entry, ids - set(batch))]
        ids.add(entry["id"])
        batch.setdefault(entry["id"], source.origin)
        known.update(dict.fromkeys(hashes, entry["id"]))
        added.append(Added({**entry, "_text": text}, header, extracted.warnings))
    if problems:
        raise CorpusError("Không thêm văn bản nào.\n" + "\n".join(f"- {p}" for p in problems))
    return added


def _known_hashes(entries: list[dict[str, Any]], corpus: Path) -> dict[str, str]:
    """Content hashes of the corpus: those stored in the manifest and those of its text files."""
    known: dict[str, str] = {}
    for entry in entries:
        if entry.get("sha256"):
            known[str(entry["sha256"])] = entry["id"]
        path = corpus / entry["file"]
        if path.is_file():
            known[_sha256(path.read_bytes())] = entry["id"]
    return known


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _entry(
    source: _Source, extracted: Extracted, header: LegalHeader, overrides: EntryOverrides, ids: set[str]
) -> dict[str, Any]:
    number = overrides.number or header.number or None
    title = overrides.title or header.title() or extracted.title_hint or _first_line(extracted.text)
    doc_id = overrides.id or _new_id(header.kind_name, number, title, ids)
    date = overrides.date or header.date or None
    year = int(date[:4]) if date and date[:4].isdigit() else header.year
    entry: dict[str, Any] = {
        "id": doc_id,
        "file": f"{doc_id}.txt",
        "title": title,
        "kind": overrides.kind or header.kind,
        "number": number,
        "issuer": header.issuer or None,
        "province": overrides.province or header.province or None,
        "date": date,
        "year": year,
        "source": source.origin if re.match(r"^https?://", source.origin) else Path(source.origin).name,
        "doc_type": header.kind_name or None,
        "place": header.place or None,
        "subject": header.subject or None,
        "effective_date": header.effective_date or None,
        "format": extracted.format,
        "sha256": _sha256(source.data),
    }
    entry.update(_relations(header, overrides))
    return entry


def _relations(header: LegalHeader, overrides: EntryOverrides) -> dict[str, list[str]]:
    """Relations as manifest ids: "59/2015/QĐ-UBND" -> "qd-59-2015-qd-ubnd"; given ids are kept as they are."""
    out: dict[str, list[str]] = {}
    for relation in RELATIONS:
        refs = [doc_id_for("", n) for n in header.relations.get(relation, [])]
        refs += [r if _ID_PATTERN.match(r) else doc_id_for("", r) for r in overrides.relations.get(relation, [])]
        if refs:
            out[relation] = list(dict.fromkeys(refs))
    return out


def _new_id(kind_name: str, number: str | None, title: str, ids: set[str]) -> str:
    if number:
        return doc_id_for(kind_name, number)
    base = re.sub(r"[^a-z0-9]+", "-", fold(title)).strip("-")[:60].strip("-") or "van-ban"
    candidate, suffix = base, 2
    while candidate in ids:
        candidate, suffix = f"{base}-{suffix}", suffix + 1
    return candidate


def _entry_problems(entry: dict[str, Any], ids: set[str]) -> list[str]:
    doc_id = entry["id"]
    if not _ID_PATTERN.match(doc_id):
        return [f"mã '{doc_id}' không hợp lệ: chỉ dùng chữ thường không dấu, số, '-', '_' hoặc '.'."]
    if doc_id in ids:
        return [
            f"đã có tài liệu mã '{doc_id}' (cùng số hiệu {entry['number'] or ''}). Nếu đây là văn bản khác, "
            f"dùng --id để đặt mã khác; nếu muốn thay bản cũ, chạy `khuyencong remove {doc_id}` trước."
        ]
    if DocumentKind.parse(entry["kind"]) is None:
        return [f"loại '{entry['kind']}' không hợp lệ; chọn một trong: {DocumentKind.choices()}."]
    return []


def _first_line(text: str) -> str:
    line = next((line.strip() for line in text.split("\n") if line.strip()), "")
    return line if len(line) <= 200 else line[:200].rsplit(" ", 1)[0] + "…"


# ------------------------------------------------------------- manifest
def _manifest_entries(corpus: Path) -> list[dict[str, Any]]:
    """Entries of the corpus manifest; a missing folder or manifest starts an empty corpus."""
    if not (corpus / MANIFEST_NAME).exists():
        stray = [p.name for p in corpus.glob("*.txt")] if corpus.is_dir() else []
        if stray:
            raise CorpusError(f"{corpus} có tệp văn bản nhưng chưa có {MANIFEST_NAME}; hãy tạo manifest trước.")
        return []
    return read_manifest(corpus)


def _manifest_json(corpus: Path, entries: list[dict[str, Any]]) -> str:
    """The manifest with `entries`, keeping any other top-level fields it had."""
    data: dict[str, Any] = {}
    path = corpus / MANIFEST_NAME
    if path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
    data["documents"] = entries
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


class _Transaction:
    """Corpus file writes and deletions, each recorded in the transaction's journal before it is made."""

    def __init__(self, held: IndexTransaction) -> None:
        self._held = held

    def write(self, path: Path, content: str) -> None:
        self._held.keep(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")  # the journal removes it too, should it outlive an undo
        tmp.write_text(content, encoding="utf-8")
        os.replace(tmp, path)  # readers see the old file or the new one, never half of it

    def delete(self, path: Path) -> None:
        self._held.keep(path)
        path.unlink(missing_ok=True)


@contextmanager
def _transaction(settings: Settings) -> Iterator[_Transaction]:
    """Corpus files and the index changed as one, under the build lock; any failure undoes both.

    Undone here on an exception or a signal; after `kill -9`, by the next process (generations.Journal).
    """
    context = {"embedding": settings.retrieval.embedding, "chroma_url": settings.retrieval.chroma_url}
    try:
        with index_transaction(settings.store.index_dir, rollback=True, settle=settle_vectors, context=context) as held:
            yield _Transaction(held)
    except OSError as exc:
        raise CorpusError(f"Không ghi được vào {settings.store.corpus_dir}: {os_problem(exc)}.") from exc


# --------------------------------------------------------- list, remove
def list_documents(settings: Settings) -> list[dict[str, Any]]:
    """The manifest entries of the corpus (an add or remove whose process was killed is undone first)."""
    recover_interrupted(settings.store.index_dir)
    return _manifest_entries(settings.store.corpus_dir)


def remove_document(
    settings: Settings, doc_id: str, reindex: Reindex | None = None
) -> tuple[dict[str, Any], IndexReport | None]:
    """Remove a document (its manifest entry and text file), then update the index with `reindex`.

    `Assistant.remove` is the way in. No index update when the corpus is left empty.
    """
    corpus = settings.store.corpus_dir
    with _transaction(settings) as tx:
        entries = _manifest_entries(corpus)
        entry = next((e for e in entries if e["id"] == doc_id), None)
        if entry is None:
            raise NotFound(f"Không có tài liệu mã '{doc_id}' trong {corpus}. Xem danh sách bằng `khuyencong list`.")
        rest = [e for e in entries if e["id"] != doc_id]
        if not any(e["file"] == entry["file"] for e in rest):
            tx.delete(corpus / entry["file"])
        tx.write(corpus / MANIFEST_NAME, _manifest_json(corpus, rest))
        pause_point("corpus-written")
        report = reindex() if reindex and rest else None
    return entry, report


def relation_targets(entry: dict[str, Any]) -> list[tuple[str, str]]:
    """(relation label, target) pairs of a manifest entry, for display."""
    return [(RELATIONS[r], str(t)) for r in RELATIONS for t in entry.get(r) or []]


def header_facts(item: Added) -> list[tuple[str, str]]:
    """What was recognised in an added document, as (label, value) pairs for staff to check: kind, number,
    issuer, province, place and date, subject, entry into force, structure, relations (`khuyencong add`
    prints them, the /admin page shows them)."""
    entry, header = item.entry, item.header
    kind = DocumentKind.parse(entry["kind"])
    parts = [
        f"{header.chapters} chương" if header.chapters else "",
        f"{header.articles} điều" if header.articles else "",
    ]
    facts = [
        (
            "loại",
            (kind.label if kind else str(entry["kind"])) + (f" ({entry['doc_type']})" if entry.get("doc_type") else ""),
        ),
        ("số hiệu", entry.get("number")),
        ("cơ quan ban hành", entry.get("issuer")),
        ("tỉnh/thành", entry.get("province")),
        ("nơi, ngày ban hành", ", ".join(str(x) for x in (entry.get("place"), entry.get("date")) if x)),
        ("trích yếu", entry.get("subject")),
        ("hiệu lực từ", entry.get("effective_date")),
        ("cấu trúc", ", ".join(p for p in parts if p)),
    ]
    facts += relation_targets(entry)
    return [(label, str(value)) for label, value in facts if value]
