"""Split documents into passages along their own structure.

Regulations split on Phần/Chương/Mục/Điều, and long articles on khoản and điểm;
reports split on their numbered sections ("1.", "1.1.", "II.") keeping each
"Kế hoạch:" line with its "Thực hiện:" line; other texts split on paragraphs.
Every chunk keeps its document id, a human locator ("Điều 3, khoản 2, điểm b",
"mục 3.3"), its exact character span and, in a legal text, the typed `Provision` it starts in
(article, clause, point; computed here once, stored in the index, read by relations.py).
Table rows ("a | b | c" lines, header row first) stay with their header: a chunk of rows that
starts below the header row carries that row in its heading, so it is searched together with its rows.
A list's lead-in (a line or sentence ending in ":") never ends a window: it goes with its items, a list
that does not fit the current window opens a new one, and a list longer than a window is cut between its
";" items, each later window carrying the lead-in in its heading (searched and embedded with it).
`provision_in` gives the `Provision` (article, clause, point) any character of a legal text
stands in, from a map of its lines made once per text (the last 64 texts are kept).
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from dataclasses import dataclass, replace
from functools import lru_cache

from .text import split_sentences
from .types import Chunk, DocumentRecord, Provision

__all__ = ["ChunkingParams", "Provision", "chunk_corpus", "chunk_document", "provision_at", "provision_in"]

_ARTICLE = re.compile(r"^Điều\s+(\d+[a-z]?)\s*[.:]?\s*(.*)$")
_LEGAL_PART = re.compile(r"^(Phần|PHẦN|Chương|CHƯƠNG|Mục|MỤC)\s+([IVXLC]+|\d+|thứ\s+\w+)\b\.?\s*(.*)$")
_ANNEX = re.compile(r"^(Phụ lục|PHỤ LỤC)\s*([IVXLC\d]*)\b\.?\s*(.*)$")
_CLAUSE = re.compile(r"^(\d+)\.\s+\S")
_POINT = re.compile(r"^([a-zđ])\)\s+\S")
_SECTION = re.compile(r"^((?:\d+\.)+\d*|[IVX]+\.|\d+\.\d+)\s+(\S.*)$")
_PLAN = re.compile(r"^(Kế hoạch|Thực hiện|Kết quả)\s*:", re.IGNORECASE)
_TABLE_ROW = " | "
_CLOSING = re.compile(r"^(Nơi nhận\s*:?|(?:TM|KT|TL|TUQ|Q)\.\s+[A-ZĐ])")


@dataclass(frozen=True)
class ChunkingParams:
    """Sizes in characters; saved beside the index so a change forces a rebuild."""

    max_chars: int = 1200
    min_chars: int = 200

    def to_dict(self) -> dict[str, int]:
        """Serializable form."""
        return {"max_chars": self.max_chars, "min_chars": self.min_chars}


_Span = tuple[str, int, int, str]  # locator, start, end, the lead-in of a list the span continues ("" for none)


@dataclass
class _Line:
    start: int
    end: int
    text: str


@dataclass
class _Unit:
    """A run of lines sharing one locator, before size limits are applied."""

    locator: str
    path: list[str]
    lines: list[_Line]


def chunk_corpus(documents: list[DocumentRecord], params: ChunkingParams | None = None) -> list[Chunk]:
    """Chunk every document, in manifest order."""
    return [chunk for doc in documents for chunk in chunk_document(doc, params)]


def chunk_document(doc: DocumentRecord, params: ChunkingParams | None = None) -> list[Chunk]:
    """Chunks of one document, each with locator, heading path, character span and (legal texts) provision."""
    params = params or ChunkingParams()
    lines = _lines(doc.text)
    legal = any(_ARTICLE.match(line.text) for line in lines)
    if legal:
        units = _legal_units(lines)
    elif sum(bool(_SECTION.match(line.text)) for line in lines) >= 2:
        units = _report_units(lines)
    else:
        units = _paragraph_units(lines, params)
    headers = _table_headers(lines)
    chunks: list[Chunk] = []
    for unit in units:
        for locator, start, end, lead_in in _fit(unit, doc.text, params):
            path = unit.path + ([headers[start]] if start in headers else []) + ([lead_in] if lead_in else [])
            provision = provision_in(doc.text, start) if legal else None
            chunks.append(_make_chunk(doc, len(chunks), locator, (start, end), path, provision, lead_in))
    return chunks


def _table_headers(lines: list[_Line]) -> dict[int, str]:
    """Start offset of each table row below a header row -> that header row's text."""
    headers: dict[int, str] = {}
    header = ""
    for line in lines:
        if _TABLE_ROW not in line.text:
            header = ""
        elif not header:
            header = line.text
        else:
            headers[line.start] = header
    return headers


def _lines(text: str) -> list[_Line]:
    out, pos = [], 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            out.append(_Line(pos + lead, pos + lead + len(stripped), stripped))
        pos += len(raw) + 1
    return out


def _legal_units(lines: list[_Line]) -> list[_Unit]:
    units: list[_Unit] = [_Unit("phần mở đầu", [], [])]
    parts: list[str] = []
    for line in lines:
        part, article, annex = _LEGAL_PART.match(line.text), _ARTICLE.match(line.text), _ANNEX.match(line.text)
        if part:
            level = part.group(1).lower()
            parts = [p for p in parts if not p.lower().startswith(level)] if level != "mục" else parts
            parts = [p for p in parts if _rank(p) < _rank(line.text)] + [line.text]
            continue
        if article:
            units.append(_Unit(f"Điều {article.group(1)}", parts + [line.text], [line]))
        elif annex:
            units.append(_Unit(f"Phụ lục {annex.group(2)}".strip(), [line.text], [line]))
        elif _CLOSING.match(line.text) and units[-1].locator != "phần ký":
            units.append(_Unit("phần ký", [], [line]))  # recipients and signature close the text
        else:
            units[-1].lines.append(line)
    return [u for u in units if u.lines]


def _rank(heading: str) -> int:
    word = heading.split()[0].lower()
    return {"phần": 0, "chương": 1, "mục": 2}.get(word, 3)


def _report_units(lines: list[_Line]) -> list[_Unit]:
    units: list[_Unit] = [_Unit("phần mở đầu", [], [])]
    path: list[tuple[int, str]] = []
    for line in lines:
        match = _SECTION.match(line.text)
        if match and not _PLAN.match(match.group(2)):
            number = match.group(1).rstrip(".")
            depth = 0 if number.isalpha() else number.count(".") + 1
            path = [(d, h) for d, h in path if d < depth] + [(depth, line.text)]
            if len(units) > 1 and len(units[-1].lines) == 1 and len(path) > 1:
                units.pop()  # a bare parent heading lives on in its children's heading path
            units.append(_Unit(f"mục {number}", [h for _, h in path], [line]))
        else:
            units[-1].lines.append(line)
    return [u for u in units if u.lines]


def _paragraph_units(lines: list[_Line], params: ChunkingParams) -> list[_Unit]:
    units: list[_Unit] = []
    for number, line in enumerate(lines, 1):
        previous = units[-1] if units else None
        if previous and sum(len(x.text) for x in previous.lines) < params.min_chars:
            previous.lines.append(line)
            previous.locator = previous.locator.split("–")[0] + f"–{number}"
        else:
            units.append(_Unit(f"đoạn {number}", [], [line]))
    if len(units) > 1 and sum(len(x.text) for x in units[-1].lines) < params.min_chars / 2:
        tail = units.pop()  # a byline or caption closes the previous paragraph
        units[-1].lines.extend(tail.lines)
        units[-1].locator = units[-1].locator.split("–")[0] + "–" + tail.locator.split()[-1].split("–")[-1]
    return units


def _fit(unit: _Unit, text: str, params: ChunkingParams) -> list[_Span]:
    """Cut a unit into spans no longer than max_chars, along clauses, plan pairs or sentences."""
    start, end = unit.lines[0].start, unit.lines[-1].end
    if end - start <= params.max_chars:
        return [(unit.locator, start, end, "")]
    if unit.locator.startswith("Điều"):
        groups = _pack_clauses(_clause_groups(unit), params.max_chars)
    else:
        groups = [(unit.locator, g) for g in _pack(_plan_groups(unit.lines), params.max_chars)]
    spans: list[_Span] = []
    for locator, lines in groups:
        if lines[-1].end - lines[0].start <= params.max_chars * (2 if len(lines) > 1 else 1):
            spans.append((locator, lines[0].start, lines[-1].end, ""))
        else:
            spans.extend(_windows(locator, lines, text, params))
    return _number_parts(spans)


def _clause_groups(unit: _Unit) -> list[tuple[str, list[_Line]]]:
    groups: list[tuple[str, list[_Line]]] = [(unit.locator, [unit.lines[0]])]
    clause = ""
    for line in unit.lines[1:]:
        clause_match, point_match = _CLAUSE.match(line.text), _POINT.match(line.text)
        if clause_match:
            clause = clause_match.group(1)
            groups.append((f"{unit.locator}, khoản {clause}", [line]))
        elif point_match and clause:
            groups.append((f"{unit.locator}, khoản {clause}, điểm {point_match.group(1)}", [line]))
        else:
            groups[-1][1].append(line)
    return _merge_small(groups)


def _pack_clauses(groups: list[tuple[str, list[_Line]]], limit: int) -> list[tuple[str, list[_Line]]]:
    """Join consecutive clauses and points of an article while the window stays within `limit` characters.

    A window is named after its first and last provision ("Điều 5, khoản 1 đến khoản 3"); a quote
    is still narrowed to the clause it starts in when cited (relations.annotate_amendments).
    """
    packed: list[tuple[str, str, list[_Line]]] = []
    for locator, lines in groups:
        if packed and lines[-1].end - packed[-1][2][0].start <= limit:
            first, _, joined = packed[-1]
            packed[-1] = (first, locator, joined + lines)
        else:
            packed.append((locator, locator, list(lines)))
    return [(_span_locator(first, last), lines) for first, last, lines in packed]


def _span_locator(first: str, last: str) -> str:
    """ "Điều 3, khoản 1" to "Điều 3, khoản 2, điểm b" -> "Điều 3, khoản 1 đến khoản 2, điểm b"."""
    head, tail = first.split(", "), last.split(", ")
    if tail[: len(head)] == head:  # the window ends inside its first provision (a clause and its points)
        return first
    common = next((i for i, (a, b) in enumerate(zip(head, tail)) if a != b), 0)
    return f"{first} đến {', '.join(tail[common:])}"


def _merge_small(groups: list[tuple[str, list[_Line]]]) -> list[tuple[str, list[_Line]]]:
    """Fold the article title line into its first clause."""
    if len(groups) > 1 and len(groups[0][1]) == 1:
        head = groups.pop(0)[1]
        groups[0] = (groups[0][0], head + groups[0][1])
    return groups


def _plan_groups(lines: list[_Line]) -> list[list[_Line]]:
    """Paragraph groups: a heading or table header row stays with the next line, "Thực hiện:" with "Kế hoạch:",
    a lead-in ending in ":" with the line after it."""
    groups: list[list[_Line]] = []
    for line in lines:
        attach = groups and (
            (_PLAN.match(line.text) and line.text.lower().startswith(("thực hiện", "kết quả")))
            or groups[-1][-1].text.endswith(":")
            or (len(groups[-1]) == 1 and _SECTION.match(groups[-1][0].text))
            or (len(groups[-1]) == 1 and _TABLE_ROW in groups[-1][0].text and _TABLE_ROW in line.text)
        )
        if attach:
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


def _pack(groups: list[list[_Line]], limit: int) -> list[list[_Line]]:
    """Join consecutive groups while the joined span stays within `limit` characters."""
    packed: list[list[_Line]] = []
    for group in groups:
        if packed and group[-1].end - packed[-1][0].start <= limit:
            packed[-1] = packed[-1] + group
        else:
            packed.append(list(group))
    return packed


def _windows(locator: str, lines: list[_Line], text: str, params: ChunkingParams) -> list[_Span]:
    """Pack the sentences of `lines` into windows of at most max_chars, a list's lead-in with its items.

    A list is a lead-in ending in ":" (a sentence of its own, or the opening of its first item's) and the
    items after it, each ending in ";" but the last. A list that does not fit in the current window opens
    a new one; a list longer than a window is cut between its items, and each later window carries the
    lead-in in its heading, so the items are found and read as what the lead-in introduces.
    """
    sentences = [s for line in lines for s in split_sentences(text[line.start : line.end], line.start)]
    spans: list[_Span] = []
    window: list[int] = []  # start, end of the open window
    carried = ""
    for block in _blocks(sentences, text):
        start, end, lead_in = block[0][0], block[-1][1], block[0][2]
        if window and end - window[0] <= params.max_chars:
            window[1] = end
            continue
        if window:
            spans.append((locator, window[0], window[1], carried))
        window, carried = [start, block[0][1]], ""
        for item_start, item_end, _ in block[1:]:
            if item_end - window[0] > params.max_chars:
                spans.append((locator, window[0], window[1], carried))
                window, carried = [item_start, item_end], lead_in
            window[1] = item_end
    if window:
        spans.append((locator, window[0], window[1], carried))
    return spans


_LEAD_IN = re.compile(r":\s")  # the colon closing a lead-in inside the sentence of its first item


def _blocks(sentences: list[tuple[int, int]], text: str) -> list[list[tuple[int, int, str]]]:
    """The sentences as blocks a window boundary may not split, but between a list's items.

    A sentence is a block of one; a list is a block of its opening piece (the lead-in with its first item)
    and its later items, each piece as (start, end, the lead-in's text).
    """
    blocks: list[list[tuple[int, int, str]]] = []
    i = 0
    while i < len(sentences):
        start, end = sentences[i]
        sentence = text[start:end]
        colon = _LEAD_IN.search(sentence)
        if sentence.endswith(":") and i + 1 < len(sentences):
            lead_in, first = sentence, i + 1  # "… như sau:" then the items
        elif colon and sentence.endswith(";"):
            lead_in, first = sentence[: colon.start() + 1], i  # "… năm 2022: Phối hợp …;" then the items
        else:
            blocks.append([(start, end, "")])
            i += 1
            continue
        last = first
        while last + 1 < len(sentences) and text[slice(*sentences[last])].endswith(";"):
            last += 1
        block = [(start, sentences[first][1], lead_in)]
        block.extend((s, e, lead_in) for s, e in sentences[first + 1 : last + 1])
        blocks.append(block)
        i = last + 1
    return blocks


def _number_parts(spans: list[_Span]) -> list[_Span]:
    """Label repeated locators "(phần 1)", "(phần 2)", … so each window is distinct."""
    counts: dict[str, int] = {}
    for locator, *_ in spans:
        counts[locator] = counts.get(locator, 0) + 1
    seen: dict[str, int] = {}
    out = []
    for locator, start, end, lead_in in spans:
        if counts[locator] > 1:
            seen[locator] = seen.get(locator, 0) + 1
            locator = f"{locator} (phần {seen[locator]})"
        out.append((locator, start, end, lead_in))
    return out


def _make_chunk(
    doc: DocumentRecord,
    ordinal: int,
    locator: str,
    span: tuple[int, int],
    path: list[str],
    provision: Provision | None,
    lead_in: str = "",
) -> Chunk:
    start, end = span
    body = doc.text[start:end]
    heading = " > ".join([doc.title, *[p for p in path if not body.startswith(p)]])
    # A carried lead-in is embedded with the body, so it is part of the id (vectors are stored by id).
    key = f"{locator}\n{body}" + (f"\n{lead_in}" if lead_in else "")
    digest = hashlib.sha1(key.encode()).hexdigest()[:10]
    return Chunk(
        id=f"{doc.id}:{ordinal:04d}:{digest}",
        doc_id=doc.id,
        text=body,
        locator=locator,
        start=start,
        end=end,
        heading=heading,
        provision=provision,
    )


def provision_in(text: str, offset: int) -> Provision | None:
    """The provision of a legal text holding character `offset` (None outside one)."""
    starts, provisions = _provisions(text)
    line = bisect_right(starts, offset) - 1
    return provisions[line] if line >= 0 else None


def provision_at(text: str, offset: int) -> str:
    """The provision holding character `offset` as a locator: "Điều 4, khoản 2, điểm a" ("" outside one)."""
    provision = provision_in(text, offset)
    return str(provision) if provision else ""


@lru_cache(maxsize=64)
def _provisions(text: str) -> tuple[list[int], list[Provision | None]]:
    """Each line's start and the provision it stands in, read once per text (citations ask many times)."""
    starts: list[int] = []
    provisions: list[Provision | None] = []
    where: Provision | None = None
    position = 0
    for raw in text.split("\n"):
        where = _follow(raw.strip(), where)
        starts.append(position)
        provisions.append(where)
        position += len(raw) + 1
    return starts, provisions


def _follow(line: str, where: Provision | None) -> Provision | None:
    """The provision after one line of a legal text, standing in `where` before it."""
    article, annex = _ARTICLE.match(line), _ANNEX.match(line)
    if article:
        return Provision(article.group(1))
    if annex:
        return Provision(annex.group(2), annex=True)
    if _LEGAL_PART.match(line) or _CLOSING.match(line):
        return None
    clause, point = _CLAUSE.match(line), _POINT.match(line)
    if clause and where is not None and not where.annex:
        return Provision(where.number, clause.group(1))
    if point and where is not None and where.clause:
        return replace(where, point=point.group(1))
    return where
