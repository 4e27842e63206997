"""Compose a grounded answer from retrieved chunks, without a language model.

Sentences of the top chunks are scored by how much of the question's topic terms
they cover (weighted by rarity), counting terms in the previous sentence, the
chunk's heading path and document title as weaker context, plus a bonus when the
sentence holds the kind of fact asked for (see `questions.py`). The answer leads
with that fact and quotes the sentence exactly. When the evidence is weak, or the
question names a place or year the evidence lacks, the answer says the documents do
not hold it and points to what they do cover.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise

from .chunking import provision_at
from .indexing import LoadedIndex
from .questions import FACT_PATTERNS, Evidence, QuestionProfile, profile_question
from .text import PROVINCE_NAMES, fold, lexical_tokens, provinces_in, split_sentences
from .types import Answer, Chunk, Citation, Hit

__all__ = ["NOT_FOUND", "AnswerParams", "compose_answer", "not_found_answer", "ungrounded_numbers"]

NOT_FOUND = "Không tìm thấy thông tin này trong tài liệu."

_NEGATION = re.compile(r"\b(không|chưa)\b", re.IGNORECASE)
_CAUSE = re.compile(r"\b(do|vì|nguyên nhân|lý do|nên)\b", re.IGNORECASE)
_GENERAL_KINDS = ("general", "yesno", "reason")
_SOFT_KINDS = ("person", "name", "place")
_YEAR_LOOKBACK = 800
_KEY_TERM_LOOKBACK = 300
_CLAUSE_MARGIN = 0.1
_CLAUSE_BREAK = re.compile(r"[;:]\s")


@dataclass(frozen=True)
class AnswerParams:
    """Tunable thresholds of the extractive answerer."""

    min_coverage: float = 0.55
    chunks: int = 6
    support_ratio: float = 0.9
    max_quote_chars: int = 420
    heading_weight: float = 0.6
    neighbour_weight: float = 0.6
    context_weight: float = 0.35
    fallback_ratio: float = 0.75
    key_term_share: float = 0.3
    cause_ratio: float = 0.6
    soft_kind_coverage: float = 0.8


@dataclass
class _Scored:
    hit: Hit
    start: int
    end: int
    score: float
    coverage: float
    facts: list[tuple[int, int]] = field(default_factory=list)

    @property
    def text(self) -> str:
        chunk = self.hit.chunk
        return chunk.text[self.start - chunk.start : self.end - chunk.start]


def compose_answer(question: str, hits: list[Hit], index: LoadedIndex, params: AnswerParams | None = None) -> Answer:
    """The extractive answer to `question` from `hits`, or an honest not-found."""
    params = params or AnswerParams()
    profile = profile_question(question, index)
    if not hits or not profile.terms:
        return not_found_answer(index, hits)
    scored = _score_sentences(profile, hits[: params.chunks], index, params)
    if not scored:
        return not_found_answer(index, hits)
    best = _first_acceptable(profile, scored, index, params)
    if best is None:
        return not_found_answer(index, hits, _missing_constraint(profile, scored[0], index))
    if len(best.facts) > 1:
        first = _closest_fact(profile, best.facts, best)
        best.facts = [first, *(f for f in best.facts if f != first)]  # the quote is cut around it
    rest = [item for item in scored if item is not best]
    chosen = [best, *_supports(profile, rest, best, params)]
    citations = [_citation(item, index, params) for item in chosen]
    return Answer(answer=_render(profile, chosen, citations), found=True, citations=citations)


@dataclass(frozen=True)
class _Sentence:
    start: int
    end: int
    text: str
    evidence: Evidence
    bigrams: frozenset[str]


@dataclass(frozen=True)
class _ChunkAnalysis:
    sentences: tuple[_Sentence, ...]
    # sentence i joined with the next one or two on its line ("Thực hiện: … . … . Kinh phí: 315.725.000 đồng.")
    continued: tuple[tuple[_Sentence, ...], ...]
    heading: Evidence
    body: Evidence


_CONTINUATION = 3


def _unit(chunk: Chunk, start: int, end: int) -> _Sentence:
    text = chunk.text[start - chunk.start : end - chunk.start]
    bigrams = frozenset(t for t in lexical_tokens(text) if "_" in t)
    return _Sentence(start, end, text, Evidence(text), bigrams)


@lru_cache(maxsize=8192)
def _analyse(chunk: Chunk) -> _ChunkAnalysis:
    """Sentences of a chunk with their matchable words, computed once per chunk (not per question)."""
    spans = split_sentences(chunk.text, chunk.start)
    sentences = tuple(_unit(chunk, start, end) for start, end in spans)
    continued = []
    for i, (start, end) in enumerate(spans):
        units = []
        for _, next_end in spans[i + 1 : i + 1 + _CONTINUATION]:
            if "\n" in chunk.text[end - chunk.start : next_end - chunk.start]:
                break
            units.append(_unit(chunk, start, next_end))
        continued.append(tuple(units))
    heading = Evidence(chunk.heading + " " + chunk.locator)
    return _ChunkAnalysis(sentences, tuple(continued), heading, Evidence(chunk.text))


def _score_sentences(
    profile: QuestionProfile, hits: list[Hit], index: LoadedIndex, params: AnswerParams
) -> list[_Scored]:
    """Every sentence of the top chunks, scored; for a fact question, a sentence without the fact
    also competes joined with the next sentences on its line, which may hold it."""
    out: list[_Scored] = []
    for rank, hit in enumerate(hits):
        analysis = _analyse(hit.chunk)
        tiers = [(analysis.heading, params.heading_weight), (analysis.body, params.context_weight)]
        rank_bonus = 0.02 * (len(hits) - rank)
        previous = Evidence("")
        for sentence, continued in zip(analysis.sentences, analysis.continued):
            context = [(previous, params.neighbour_weight), *tiers]
            if len(sentence.text) >= 12:
                item = _score_unit(profile, hit, sentence, context, rank_bonus)
                out.append(item)
                if not item.facts and profile.kind not in _GENERAL_KINDS:
                    out.extend(_first_with_fact(profile, hit, continued, context, rank_bonus))
            previous = sentence.evidence
    out.sort(key=lambda s: (-s.score, s.start))
    return out


def _first_with_fact(
    profile: QuestionProfile,
    hit: Hit,
    continued: tuple[_Sentence, ...],
    context: list[tuple[Evidence, float]],
    rank_bonus: float,
) -> list[_Scored]:
    for unit in continued:
        item = _score_unit(profile, hit, unit, context, rank_bonus)
        if item.facts:
            return [item]
    return []


def _score_unit(
    profile: QuestionProfile, hit: Hit, unit: _Sentence, context: list[tuple[Evidence, float]], rank_bonus: float
) -> _Scored:
    coverage = _coverage(profile, unit.evidence, context)
    facts = _facts(profile.kind, unit.text, unit.start)
    score = coverage + _phrase_bonus(profile, unit.bigrams) + rank_bonus + _kind_bonus(profile, unit.text, facts)
    return _Scored(hit, unit.start, unit.end, score, coverage, facts)


def _coverage(profile: QuestionProfile, own: Evidence, tiers: list[tuple[Evidence, float]]) -> float:
    """Rarity-weighted share of the topic words found in the sentence, or (discounted) around it."""
    covered = 0.0
    for term, weight in profile.terms.items():
        if own.has(term):
            covered += weight
        else:
            covered += weight * max((w for evidence, w in tiers if evidence.has(term)), default=0.0)
    return covered / (sum(profile.terms.values()) or 1.0)


def _phrase_bonus(profile: QuestionProfile, found: frozenset[str]) -> float:
    if not profile.bigrams:
        return 0.0
    return 0.15 * len(profile.bigrams & found) / len(profile.bigrams)


def _kind_bonus(profile: QuestionProfile, sentence: str, facts: list[tuple[int, int]]) -> float:
    bonus = 0.0
    if profile.kind not in _GENERAL_KINDS:
        bonus += 0.12 if facts else -0.15
    elif profile.kind == "reason" and _CAUSE.search(sentence):
        bonus += 0.08
    line_start = fold(sentence[:12])
    if line_start.startswith("ke hoach"):
        bonus += 0.08 if profile.wants_plan else (-0.12 if profile.wants_actual else -0.04)
    elif line_start.startswith("thuc hien") and not profile.wants_plan:
        bonus += 0.04
    return bonus


def _facts(kind: str, sentence: str, offset: int) -> list[tuple[int, int]]:
    pattern = FACT_PATTERNS.get(kind)
    if pattern is None:
        return []
    spans = [(offset + m.start(), offset + m.end()) for m in pattern.finditer(sentence)]
    if kind == "count":
        spans = [s for s in spans if not re.match(r"(19|20)\d\d\b", sentence[s[0] - offset :])]
    if kind in ("name", "person"):
        spans = [s for s in spans if s[0] - offset > 0]  # a capital at sentence start is not a name
    return spans


def _first_acceptable(
    profile: QuestionProfile, scored: list[_Scored], index: LoadedIndex, params: AnswerParams
) -> _Scored | None:
    """The best sentence that covers the question, holds the fact asked for and the place/year it names.

    Only sentences nearly as strong as the top one are considered: a weak sentence that
    happens to name the place is not an answer.
    """
    floor = params.fallback_ratio * scored[0].score
    total = sum(profile.terms.values()) or 1.0
    key = [t for t, w in profile.terms.items() if w >= params.key_term_share * total]
    for item in scored:
        if item.score < floor:
            break
        acceptable = item.coverage >= params.min_coverage and not _lacks_fact(profile, item, params)
        if acceptable and not _missing_constraint(profile, item, index) and not _lacks_key_term(key, item):
            return item
    return None


def _lacks_key_term(key: list[str], item: _Scored) -> bool:
    """A word carrying a large share of the question (rare in the corpus) that is absent around the sentence.

    "Hội nghị khu vực phía Bắc" is not answered by a sentence about "phía Nam".
    """
    if not key:
        return False
    chunk = item.hit.chunk
    lead = max(chunk.start, item.start - _KEY_TERM_LOOKBACK)
    around = Evidence(" ".join([chunk.heading, chunk.text[lead - chunk.start : item.end - chunk.start]]))
    return any(not around.has(term) for term in key)


def _lacks_fact(profile: QuestionProfile, best: _Scored, params: AnswerParams) -> bool:
    """No fact of the kind asked for; who/what/where questions may be answered by a sentence that covers them fully."""
    if profile.kind in _GENERAL_KINDS or best.facts:
        return False
    return not (profile.kind in _SOFT_KINDS and best.coverage >= params.soft_kind_coverage)


def _missing_constraint(profile: QuestionProfile, best: _Scored, index: LoadedIndex) -> str:
    """A place or year the question names that the evidence does not mention."""
    chunk = best.hit.chunk
    meta = index.documents.get(chunk.doc_id, {})
    around = " ".join([best.text, chunk.heading, str(meta.get("title", "")), str(meta.get("province") or "")])
    places = provinces_in(around)
    for province in profile.provinces:
        if province not in places:
            return f"tỉnh/thành {PROVINCE_NAMES.get(province, province.title())}"
    if profile.years:
        text = index.text_of(chunk.doc_id)
        lead_in = text[max(0, best.start - _YEAR_LOOKBACK) : best.end]
        dated = " ".join([around, lead_in, str(meta.get("year") or ""), str(meta.get("date") or "")])
        for year in profile.years:
            if year not in dated:
                return f"năm {year}"
    return ""


def _supports(profile: QuestionProfile, rest: list[_Scored], best: _Scored, params: AnswerParams) -> list[_Scored]:
    """At most one more sentence, as strong as the best and saying something else.

    For a why-question whose best sentence states the fact without its cause, the
    strongest sentence of the same chunk that gives a cause ("do", "vì", "nên") joins it.
    """
    if profile.kind == "reason" and not _CAUSE.search(best.text):
        for item in rest:
            if item.score < params.cause_ratio * best.score:
                break
            if item.hit.chunk.id == best.hit.chunk.id and _CAUSE.search(item.text):
                return [item]
    for item in rest:
        if item.score < params.support_ratio * best.score:
            break
        same_place = item.hit.chunk.doc_id == best.hit.chunk.doc_id and item.start < best.end and best.start < item.end
        if not same_place and (profile.kind in _GENERAL_KINDS or item.facts):
            return [item]
    return []


def _citation(item: _Scored, index: LoadedIndex, params: AnswerParams) -> Citation:
    chunk = item.hit.chunk
    start, end = _trim(item, params.max_quote_chars)
    quote = chunk.text[start - chunk.start : end - chunk.start]
    meta = index.documents.get(chunk.doc_id, {})
    locator = chunk.locator
    if meta.get("kind") == "regulation":  # a window of an article: name the clause the quote is in
        locator = provision_at(index.text_of(chunk.doc_id), start) or locator
    return Citation(chunk.doc_id, meta.get("title", chunk.doc_id), locator, quote, min(1.0, item.score), start, end)


def _trim(item: _Scored, limit: int) -> tuple[int, int]:
    """Cut a long sentence to a window around its first fact, at word boundaries."""
    start, end = item.start, item.end
    if end - start <= limit:
        return start, end
    text, base = item.hit.chunk.text, item.hit.chunk.start
    anchor = item.facts[0][0] if item.facts else start
    window_start = max(start, anchor - limit // 3)
    window_end = min(end, window_start + limit)
    while window_start > start and not text[window_start - base - 1].isspace():
        window_start += 1
    while window_end < end and not text[window_end - base].isspace():
        window_end -= 1
    return window_start, window_end


def _render(profile: QuestionProfile, chosen: list[_Scored], citations: list[Citation]) -> str:
    lead = _lead(profile, chosen[0], citations[0])
    quotes = [f"“{_ellipsis(c, chosen[i])}” [{i + 1}]" for i, c in enumerate(citations)]
    return "\n".join([lead, *quotes]) if lead else "\n".join(quotes)


def _ellipsis(citation: Citation, item: _Scored) -> str:
    prefix = "…" if citation.start > item.start else ""
    suffix = "…" if citation.end < item.end else ""
    return f"{prefix}{citation.quote}{suffix}"


def _lead(profile: QuestionProfile, best: _Scored, citation: Citation) -> str:
    if profile.kind == "yesno":
        return "Không." if _NEGATION.search(citation.quote) else "Có."
    if not best.facts:
        return ""
    text, base = best.hit.chunk.text, best.hit.chunk.start
    fact = best.facts[0]  # the fact whose clause holds the question's words; the quote is cut around it
    phrase = text[fact[0] - base : fact[1] - base].strip()
    return phrase[:1].upper() + phrase[1:] + "."


def _closest_fact(profile: QuestionProfile, facts: list[tuple[int, int]], best: _Scored) -> tuple[int, int]:
    """The fact whose own clause holds the question's words.

    When the facts sit in different clauses (split at ";" and ":"), each owns its clause;
    otherwise each owns the text from the end of the previous fact to its own end. Words
    that already occur before the first fact are the sentence's subject and shared by
    all its facts, so they do not decide between them.
    """
    if len(facts) == 1:
        return facts[0]
    facts = sorted(facts)
    sentence, base = best.text, best.start
    shared = Evidence(sentence[: facts[0][0] - base])
    owned = _clauses_of(sentence, [(a - base, b - base) for a, b in facts])

    def weight(text: str) -> float:
        own = Evidence(text)
        return sum(w for t, w in profile.terms.items() if own.has(t) and not shared.has(t))

    scores = [weight(text) for text in owned]
    chosen = max(range(len(facts)), key=lambda i: (scores[i], -i))
    # the first fact (the sentence's main figure) stands unless a later clause holds clearly more of the question
    return facts[chosen] if scores[chosen] > scores[0] + _CLAUSE_MARGIN else facts[0]


def _clauses_of(sentence: str, facts: list[tuple[int, int]]) -> list[str]:
    """The text each fact owns: its clause, or the run since the previous fact when they share one."""
    bounds = [0, *(m.end() for m in _CLAUSE_BREAK.finditer(sentence)), len(sentence)]
    clause_ids = [max(i for i, b in enumerate(bounds[:-1]) if b <= start) for start, _ in facts]
    if len(set(clause_ids)) == len(facts):
        return [sentence[bounds[i] : bounds[i + 1]] for i in clause_ids]
    runs = [sentence[: facts[0][1]]]
    return runs + [sentence[previous[1] : fact[1]] for previous, fact in pairwise(facts)]


def not_found_answer(index: LoadedIndex, hits: list[Hit], missing: str = "") -> Answer:
    """The honest refusal, with what the documents do cover and where to look."""
    lines = [NOT_FOUND]
    if missing:
        lines.append(f"Đoạn khớp nhất với câu hỏi không nói về {missing}.")
    titles = [d.get("title", doc_id) for doc_id, d in index.documents.items()]
    lines.append("Các tài liệu hiện có gồm: " + "; ".join(titles) + ".")
    if hits:
        top = hits[0].chunk
        title = index.documents.get(top.doc_id, {}).get("title", top.doc_id)
        lines.append(f"Đoạn gần nhất có thể tham khảo: {title} ({top.locator}).")
    return Answer(answer="\n".join(lines), found=False, citations=[])


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def ungrounded_numbers(answer: str, citations: list[Citation]) -> list[str]:
    """Numbers in `answer` that appear in none of the cited quotes (must be empty)."""
    quoted = " ".join(c.quote for c in citations)
    known = set(_NUMBER.findall(quoted))
    markers = {str(i) for i in range(1, len(citations) + 1)}
    return [n for n in _NUMBER.findall(answer) if n not in known and n not in markers]
