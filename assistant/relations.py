"""Relations between legal texts in the corpus, and what they change about an answer.

A manifest entry may say that its document amends ("amends"), replaces ("replaces")
or repeals ("repeals") earlier ones, by id or by number; `khuyencong add` fills these
from the text itself. Two things follow:

- `prefer_in_force` drops passages of a replaced or repealed text from the hits, unless
  the question names that text (or nothing else is left), and ranks an amended
  article below the text that amends it;
- `annotate_amendments` pins each citation of a legal text to its clause and point
  ("Điều 4, khoản 2, điểm a") and, when a later text in the corpus changes the cited
  provision, says so in the answer and cites the amending sentence too.

Both read one amendment graph per index generation (`changes_to`): which documents change
which, and the amending sentences of each changing text, found on first use and kept for
as long as the generation is loaded.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field, replace
from typing import Any

from .chunking import provision_in
from .indexing import LoadedIndex
from .legal import RELATIONS, AmendmentSpan, amendment_spans, doc_id_for, number_key, relation_span
from .text import fold
from .types import Answer, Citation, Hit, Provision

__all__ = ["Change", "annotate_amendments", "changes_to", "prefer_in_force"]

MAX_NOTE_QUOTE = 420
_VERB_PAST = {
    "amends": "đã được sửa đổi, bổ sung bởi",
    "replaces": "đã được thay thế bởi",
    "repeals": "đã bị bãi bỏ bởi",
}


@dataclass(frozen=True)
class Change:
    """Document `source` amends/replaces/repeals document `target` (relation is a key of RELATIONS)."""

    relation: str
    source: str
    target: str


@dataclass
class _Graph:
    """What changes what in one generation, and the amending sentences of each changing text."""

    changes: dict[str, list[Change]]
    spans: dict[str, list[AmendmentSpan]] = field(default_factory=dict)  # by source id, on first use


# One graph per loaded generation, dropped with it (a LoadedIndex is not hashable: keyed by id, checked by weakref).
_GRAPHS: dict[int, tuple[weakref.ref[LoadedIndex], _Graph]] = {}


def _graph(index: LoadedIndex) -> _Graph:
    key = id(index)
    held = _GRAPHS.get(key)
    if held is not None and held[0]() is index:
        return held[1]
    graph = _Graph(_changes_in(index))
    _GRAPHS[key] = (weakref.ref(index, lambda _: _GRAPHS.pop(key, None)), graph)
    return graph


def changes_to(index: LoadedIndex) -> dict[str, list[Change]]:
    """For each document id, the later documents of the corpus that change it (built once per generation)."""
    return _graph(index).changes


def _amendment_spans(index: LoadedIndex, source: str) -> list[AmendmentSpan]:
    spans = _graph(index).spans
    if source not in spans:
        spans[source] = amendment_spans(index.text_of(source))
    return spans[source]


def _changes_in(index: LoadedIndex) -> dict[str, list[Change]]:
    by_key = _documents_by_key(index.documents)
    found: dict[str, list[Change]] = {}
    for source, meta in index.documents.items():
        for relation in RELATIONS:
            for ref in _as_list(meta.get(relation)):
                target = by_key.get(ref) or by_key.get(number_key(ref))
                if target and target != source and _not_earlier(meta, index.documents[target]):
                    found.setdefault(target, []).append(Change(relation, source, target))
    return found


def _documents_by_key(documents: dict[str, dict[str, Any]]) -> dict[str, str]:
    keys: dict[str, str] = {}
    for doc_id, meta in documents.items():
        keys[doc_id] = doc_id
        if meta.get("number"):
            keys[number_key(str(meta["number"]))] = doc_id
            keys[doc_id_for("", str(meta["number"]))] = doc_id
    return keys


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def _not_earlier(source: dict[str, Any], target: dict[str, Any]) -> bool:
    """An amending text cannot predate what it amends; unknown dates are given the benefit."""
    return not (source.get("date") and target.get("date")) or str(source["date"]) >= str(target["date"])


# ------------------------------------------------------------------ retrieval
def prefer_in_force(question: str, hits: list[Hit], index: LoadedIndex) -> list[Hit]:
    """Hits reordered for the rules in force.

    Passages of a replaced or repealed text are dropped unless the question names that
    text (or nothing else is left); a text the question names comes first; an amended
    article comes after the passages that amend it.
    """
    changes = changes_to(index)
    if not changes:
        return hits
    folded = fold(question)
    named = {doc_id for doc_id in {h.chunk.doc_id for h in hits} if _named_in(folded, index.documents[doc_id])}
    gone = {t for t, items in changes.items() if any(c.relation != "amends" for c in items)} - named
    kept = [hit for hit in hits if hit.chunk.doc_id not in gone] or hits
    amended = {id(hit) for hit in kept if _is_amended(hit, changes, index)}
    return sorted(kept, key=lambda hit: (hit.chunk.doc_id not in named, id(hit) in amended))


def _named_in(folded_question: str, meta: dict[str, Any]) -> bool:
    """Whether the question names the document: "59/2015/QĐ-UBND", "59/2015", "quyết định (số) 59"."""
    number = str(meta.get("number") or "")
    if not number:
        return False
    head = re.escape(fold(number.split("/")[0]))
    kind = re.escape(fold(str(meta.get("doc_type") or "")))
    pattern = rf"(?<![\d/]){head}/|\b{kind}\s+(?:so\s+)?{head}\b" if kind else rf"(?<![\d/]){head}/"
    return fold(number) in folded_question or re.search(pattern, folded_question) is not None


def _is_amended(hit: Hit, changes: dict[str, list[Change]], index: LoadedIndex) -> bool:
    provision = hit.chunk.provision
    if provision is None or provision.annex:  # the chunk is no article's
        return False
    return any(_spans_for(change, provision, index) for change in changes.get(hit.chunk.doc_id, []))


# -------------------------------------------------------------------- answers
def annotate_amendments(answer: Answer, index: LoadedIndex) -> Answer:
    """Pin legal citations to clause/point; note and cite later texts that change the cited provisions."""
    if not answer.citations:
        return answer
    pinned = [_pinned(c, index) for c in answer.citations]
    citations = [citation for citation, _ in pinned]
    changes = changes_to(index)
    notes: list[str] = []
    for cited, provision in pinned:
        for change in changes.get(cited.doc_id, []):
            spans = _spans_for(change, provision, index)
            if spans == []:
                continue  # the later text changes other articles only
            extra = _change_citation(change, spans[0][:2], cited, index) if spans else None
            if extra is not None and any((c.doc_id, c.start) == (extra.doc_id, extra.start) for c in citations):
                continue
            citations += [extra] if extra else []
            relation = spans[0][2] if spans else change.relation
            notes.append(_note(relation, change.source, cited, extra, len(citations), index))
    return replace(answer, answer="\n".join([answer.answer, *notes]), citations=citations)


def _pinned(citation: Citation, index: LoadedIndex) -> tuple[Citation, Provision | None]:
    """The citation with its locator narrowed to the clause and point its quote starts in, and that provision
    (None when the quote is not in the article the locator names)."""
    provision = provision_in(index.text_of(citation.doc_id), citation.start)
    if provision is None or provision.annex or _named_article(citation) != provision.article:
        return citation, None
    return replace(citation, locator=str(provision), provision=provision), provision


def _named_article(citation: Citation) -> str:
    """ "Điều 4": the article the citation's locator names ("" for none)."""
    if citation.provision is not None:
        return citation.provision.article
    # a citation carrying no provision (a text without articles, or one built by hand): read from the locator
    return citation.locator.split(",")[0].split(" (")[0]


def _change_citation(change: Change, span: tuple[int, int], cited: Citation, index: LoadedIndex) -> Citation:
    """A citation of the changing text's sentence `span`."""
    text = index.text_of(change.source)
    start, end = span[0], _cut(text, *span)
    title = str(index.documents[change.source].get("title", change.source))
    provision = provision_in(text, start)
    locator = str(provision) if provision else _chunk_locator(index, change.source, start)
    return Citation(change.source, title, locator, text[start:end], cited.score, start, end, provision)


def _spans_for(change: Change, provision: Provision | None, index: LoadedIndex) -> list[tuple[int, int, str]] | None:
    """(start, end, relation) of the changing text's sentences about `provision`.

    [] when the text changes other articles only; None when it has no sentence to quote.
    """
    if change.relation == "amends":
        spans = _amendment_spans(index, change.source)
        if spans:
            return [(s.start, s.end, s.relation) for s in spans if _concerns(s, provision)]
    number = str(index.documents[change.target].get("number") or "")
    whole = relation_span(index.text_of(change.source), number) if number else None
    return [(*whole, change.relation)] if whole else None


def _concerns(span: AmendmentSpan, provision: Provision | None) -> bool:
    """Whether an amendment of `span.article` (and `span.clauses`) touches the provision cited."""
    if provision is None or provision.annex or provision.number != span.article:
        return False
    return not span.clauses or not provision.clause or provision.clause in span.clauses


def _cut(text: str, start: int, end: int) -> int:
    """Shorten a long span at a word boundary."""
    if end - start <= MAX_NOTE_QUOTE:
        return end
    cut = start + MAX_NOTE_QUOTE
    while cut > start and not text[cut].isspace():
        cut -= 1
    return cut


def _chunk_locator(index: LoadedIndex, doc_id: str, offset: int) -> str:
    for chunk in index.chunks:
        if chunk.doc_id == doc_id and chunk.start <= offset < chunk.end:
            return chunk.locator
    return ""


def _note(relation: str, source: str, cited: Citation, extra: Citation | None, number: int, index: LoadedIndex) -> str:
    provision = cited.locator if cited.locator.startswith("Điều") else "Nội dung trích dẫn"
    lead = (
        f"Lưu ý: {provision} của {_short_name(cited.doc_id, index)} {_VERB_PAST[relation]} {_short_name(source, index)}"
    )
    if extra is None:
        return f"{lead}; hãy đối chiếu văn bản này."
    where = f" ({extra.locator})" if extra.locator else ""
    return f"{lead}{where}: “{' '.join(extra.quote.split())}” [{number}]"


def _short_name(doc_id: str, index: LoadedIndex) -> str:
    """ "Quyết định 59/2015/QĐ-UBND" when the kind and number are known, else the title."""
    meta = index.documents.get(doc_id, {})
    if meta.get("doc_type") and meta.get("number"):
        return f"{meta['doc_type']} {meta['number']}"
    return str(meta.get("title") or doc_id)
