"""Compose a grounded answer from retrieved chunks, without a language model.

The question is classified by the kind of fact it asks for (date, amount, count,
percentage, name, document number, yes/no). Sentences of the top chunks are scored
by how much of the question's meaningful terms they cover (weighted by rarity),
with the chunk's heading and document title as context. The answer leads with the
fact found in the best sentence and quotes that sentence exactly; when the evidence
is weak, or the question names a place, year or document the evidence lacks, the
answer says the documents do not hold it and points to what they do cover.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .indexing import LoadedIndex
from .text import PROVINCE_NAMES, STOPWORDS, fold, lexical_tokens, provinces_in, remove_matches, split_sentences
from .types import Answer, Citation, Hit

__all__ = [
    "NOT_FOUND",
    "AnswerParams",
    "QuestionProfile",
    "compose_answer",
    "not_found_answer",
    "profile_question",
    "question_kind",
    "strip_question_cues",
    "ungrounded_numbers",
]

NOT_FOUND = "Không tìm thấy thông tin này trong tài liệu."

_MONEY = (
    r"\d{1,3}(?:\.\d{3})+(?:,\d+)?\s*(?:triệu\s+|tỷ\s+|nghìn\s+)?đồng"
    r"|\d+(?:[.,]\d+)?\s*(?:tỷ|triệu|nghìn|ngàn)(?:\s+đồng)?"
)
_PERCENT = r"\d+(?:[.,]\d+)?\s*%"
_DATE = (
    r"(?:trước\s+|sau\s+|từ\s+|đến\s+)?(?:ngày\s+)?\d{1,2}\s+tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?"
    r"|(?:trước\s+|sau\s+|từ\s+|đến\s+)?(?:ngày\s+)?\d{1,2}/\d{1,2}(?:\s*[–-]\s*\d{1,2}/\d{1,2})?(?:/\d{4})?"
    r"|(?:chiều|sáng)\s+ngày\s+\d{1,2}/\d{1,2}|tháng\s+\d{1,2}(?:/|\s+năm\s+)\d{4}"
)
_DOCNUMBER = (
    r"\b\d+/(?:\d{4}/)?[A-ZĐ][A-ZĐa-z&]*(?:-[A-ZĐ&]+)+|\b\d+/\d{4}/[A-ZĐ]+-[A-ZĐ]+|\b\d+/[A-ZĐ]+(?:&[A-Z]+)?-[A-ZĐ]+"
)
_NAME = r"(?<![\w])(?:[A-ZĐ][a-zà-ỹđ]+\s+){1,4}[A-ZĐ][a-zà-ỹđ]+"
_SURNAMES = (
    "Nguyễn|Trần|Lê|Phạm|Hoàng|Huỳnh|Phan|Vũ|Võ|Đặng|Bùi|Đỗ|Hồ|Ngô|Dương|Lý|Đào|Đinh|Trương|Lâm|Mai|Trịnh|Hà|Tạ|Lương"
)
_PERSON = rf"(?<![\w])(?:{_SURNAMES})(?:\s+[A-ZĐ][a-zà-ỹđ]+){{1,3}}"
_PLACE = r"(?<=tại\s)(?=[^,.;()]*[A-ZĐ])[^,.;()]{2,70}?(?=\s*[,.;()]|\s+(?:từ|vào|do|cho|với|và|trong|diễn)\s|$)"
_COUNT = r"(?<![\d.,/])\d{1,3}(?:\.\d{3})*(?![\d.,/%])\s+(?!đồng|tỷ|triệu|tháng|năm\b|%)[a-zà-ỹđ]+(?:\s+[a-zà-ỹđ]+)?"

FACT_PATTERNS: dict[str, re.Pattern[str]] = {
    "money": re.compile(_MONEY, re.IGNORECASE),
    "percent": re.compile(_PERCENT),
    "date": re.compile(_DATE, re.IGNORECASE),
    "docnumber": re.compile(_DOCNUMBER),
    "person": re.compile(_PERSON),
    "place": re.compile(_PLACE),
    "name": re.compile(_NAME),
    "count": re.compile(_COUNT),
}

# Question cues (folded), checked in this order: the first that matches decides.
_CUES: list[tuple[str, re.Pattern[str]]] = [
    ("percent", re.compile(r"phan tram|ty le|\bbao nhieu %|\bdat bao nhieu\b")),
    (
        "date",
        re.compile(
            r"khi nao|bao gio|ngay nao|ngay may|luc nao|thang nao|han chot|han cuoi|\bhan\b|thoi han"
            r"|thoi diem|truoc ngay|dien ra vao|ngay bao nhieu|deadline"
        ),
    ),
    (
        "docnumber",
        re.compile(
            r"so hieu|van ban (so|nao)|cong van (so|nao)|quyet dinh (so|nao)|bao cao so|theo van ban nao|so may"
        ),
    ),
    ("money", re.compile(r"kinh phi|bao nhieu tien|ngan sach|chi phi|\bvon\b|ty dong|trieu dong|giai ngan|\btien\b")),
    ("person", re.compile(r"\bai\b|ho ten|nguoi nao|\bong nao\b|\bba nao\b")),
    ("place", re.compile(r"o dau|\bdau\b|tai dau|dia diem|noi nao|tinh nao|huyen nao")),
    ("name", re.compile(r"\bten\b|don vi nao|co quan nao|to chuc nao|la gi\b.*\bten")),
    ("count", re.compile(r"bao nhieu|\bmay\b|so luong|\bso\b \w+ (duoc|da)")),
    ("yesno", re.compile(r"(khong|chua|phai khong|hay khong)\s*\??\s*$|\bco (duoc|phai)\b")),
]

_QUESTION_WORDS = re.compile(r"\b(la|co|duoc|khong|nao|gi|the nao|nhu the nao)\b\s*\??\s*$")
_LABELS = {"yesno_yes": "Có.", "yesno_no": "Không."}
_NEGATION = re.compile(r"\b(không|chưa)\b", re.IGNORECASE)


@dataclass(frozen=True)
class AnswerParams:
    """Tunable thresholds of the extractive answerer."""

    min_coverage: float = 0.55
    chunks: int = 6
    support_ratio: float = 0.9
    max_quote_chars: int = 420
    heading_weight: float = 0.6
    context_weight: float = 0.35


@dataclass
class QuestionProfile:
    """What the question asks: fact kind, weighted terms, places and years it names."""

    text: str
    kind: str
    terms: dict[str, float]
    bigrams: set[str]
    provinces: list[str]
    years: list[str]
    wants_plan: bool = False


@dataclass
class _Scored:
    hit: Hit
    start: int
    end: int
    score: float
    coverage: float
    facts: list[tuple[int, int]] = field(default_factory=list)


def _match_terms(text: str) -> set[str]:
    return {t for t in lexical_tokens(text) if "_" not in t and t not in STOPWORDS}


def _idf(term: str, frequencies: dict[str, int], total: int) -> float:
    if ":" in term:
        return 2.0
    return math.log((total + 1) / (frequencies.get(term, 0) + 0.5))


def question_kind(question: str) -> str:
    """The kind of fact asked for: date, money, count, percent, person, place, name, docnumber, yesno, general."""
    folded = fold(question)
    return next((name for name, cue in _CUES if cue.search(folded)), "general")


def strip_question_cues(question: str) -> str:
    """The question without the words that say what kind of fact it asks for."""
    for _, cue in _CUES:
        question = remove_matches(question, cue)
    return remove_matches(question, _QUESTION_WORDS).strip(" ?")


def profile_question(question: str, index: LoadedIndex) -> QuestionProfile:
    """Classify the question and weight its terms by rarity in the index."""
    folded = fold(question)
    kind = question_kind(question)
    total = len(index.chunks)
    terms = {t: _idf(t, index.frequencies, total) for t in _match_terms(strip_question_cues(question))}
    tokens = lexical_tokens(question)
    bigrams = {t for t in tokens if "_" in t and not all(p in STOPWORDS for p in t.split("_"))}
    years = sorted(set(re.findall(r"\b(?:19|20)\d{2}\b", question)))
    return QuestionProfile(
        text=question,
        kind=kind,
        terms=terms,
        bigrams=bigrams,
        provinces=provinces_in(question),
        years=years,
        wants_plan=bool(re.search(r"ke hoach|du kien|chi tieu", folded)),
    )


def compose_answer(question: str, hits: list[Hit], index: LoadedIndex, params: AnswerParams | None = None) -> Answer:
    """The extractive answer to `question` from `hits`, or an honest not-found."""
    params = params or AnswerParams()
    profile = profile_question(question, index)
    if not hits or not profile.terms:
        return not_found_answer(index, hits)
    scored = _score_sentences(profile, hits[: params.chunks], index, params)
    if not scored:
        return not_found_answer(index, hits)
    best = scored[0]
    missing = _missing_constraint(profile, best, index)
    if best.coverage < params.min_coverage or missing or _lacks_fact(profile, best):
        return not_found_answer(index, hits, missing)
    chosen = [best] + _supports(profile, scored[1:], best, params)
    citations = [_citation(item, index, params) for item in chosen]
    return Answer(answer=_render(profile, chosen, citations, index), found=True, citations=citations)


def _score_sentences(
    profile: QuestionProfile, hits: list[Hit], index: LoadedIndex, params: AnswerParams
) -> list[_Scored]:
    total_weight = sum(profile.terms.values()) or 1.0
    out: list[_Scored] = []
    for rank, hit in enumerate(hits):
        chunk = hit.chunk
        context_terms = _match_terms(chunk.text)
        heading_terms = _match_terms(chunk.heading + " " + chunk.locator)
        for start, end in split_sentences(chunk.text, chunk.start):
            sentence = chunk.text[start - chunk.start : end - chunk.start]
            if len(sentence) < 12:
                continue
            sentence_terms = _match_terms(sentence)
            covered = 0.0
            for term, weight in profile.terms.items():
                if term in sentence_terms:
                    covered += weight
                elif term in heading_terms:
                    covered += weight * params.heading_weight
                elif term in context_terms:
                    covered += weight * params.context_weight
            coverage = covered / total_weight
            facts = _facts(profile.kind, sentence, start)
            score = coverage + _phrase_bonus(profile, sentence) + 0.02 * (len(hits) - rank)
            score += _kind_bonus(profile, sentence, facts)
            out.append(_Scored(hit, start, end, score, coverage, facts))
    out.sort(key=lambda s: (-s.score, s.start))
    return out


def _phrase_bonus(profile: QuestionProfile, sentence: str) -> float:
    if not profile.bigrams:
        return 0.0
    found = {t for t in lexical_tokens(sentence) if "_" in t}
    return 0.15 * len(profile.bigrams & found) / len(profile.bigrams)


def _kind_bonus(profile: QuestionProfile, sentence: str, facts: list[tuple[int, int]]) -> float:
    bonus = 0.0
    if profile.kind not in ("general", "yesno"):
        bonus += 0.12 if facts else -0.15
    line_start = fold(sentence[:12])
    if line_start.startswith("ke hoach"):
        bonus += 0.08 if profile.wants_plan else -0.04
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


def _lacks_fact(profile: QuestionProfile, best: _Scored) -> bool:
    return profile.kind not in ("general", "yesno") and not best.facts


def _missing_constraint(profile: QuestionProfile, best: _Scored, index: LoadedIndex) -> str:
    """A place or year the question names that the evidence does not mention."""
    meta = index.documents.get(best.hit.chunk.doc_id, {})
    evidence = " ".join(
        [best.hit.chunk.heading, best.hit.chunk.text, meta.get("title", ""), meta.get("province") or ""]
    )
    places = provinces_in(evidence)
    for province in profile.provinces:
        if province not in places:
            return f"tỉnh/thành {PROVINCE_NAMES.get(province, province.title())}"
    for year in profile.years:
        if year not in evidence:
            return f"năm {year}"
    return ""


def _supports(profile: QuestionProfile, rest: list[_Scored], best: _Scored, params: AnswerParams) -> list[_Scored]:
    """At most one more sentence, as strong as the best and saying something else."""
    for item in rest:
        if item.score < params.support_ratio * best.score:
            break
        overlaps = item.hit.chunk.doc_id == best.hit.chunk.doc_id and item.start < best.end and best.start < item.end
        if not overlaps and (profile.kind in ("general", "yesno") or item.facts):
            return [item]
    return []


def _citation(item: _Scored, index: LoadedIndex, params: AnswerParams) -> Citation:
    chunk = item.hit.chunk
    start, end = _trim(item, params.max_quote_chars)
    quote = chunk.text[start - chunk.start : end - chunk.start]
    title = index.documents.get(chunk.doc_id, {}).get("title", chunk.doc_id)
    return Citation(chunk.doc_id, title, chunk.locator, quote, min(1.0, item.score), start, end)


def _trim(item: _Scored, limit: int) -> tuple[int, int]:
    """Cut a long sentence to a window around its first fact, at word boundaries."""
    start, end = item.start, item.end
    if end - start <= limit:
        return start, end
    text = item.hit.chunk.text
    base = item.hit.chunk.start
    anchor = item.facts[0][0] if item.facts else start
    window_start = max(start, anchor - limit // 3)
    window_end = min(end, window_start + limit)
    while window_start > start and not text[window_start - base - 1].isspace():
        window_start += 1
    while window_end < end and not text[window_end - base].isspace():
        window_end -= 1
    return window_start, window_end


def _render(profile: QuestionProfile, chosen: list[_Scored], citations: list[Citation], index: LoadedIndex) -> str:
    lead = _lead(profile, chosen[0], citations[0])
    quotes = [f"“{_ellipsis(c, chosen[i])}” [{i + 1}]" for i, c in enumerate(citations)]
    return "\n".join([lead, *quotes]) if lead else "\n".join(quotes)


def _ellipsis(citation: Citation, item: _Scored) -> str:
    prefix = "…" if citation.start > item.start else ""
    suffix = "…" if citation.end < item.end else ""
    return f"{prefix}{citation.quote}{suffix}"


def _lead(profile: QuestionProfile, best: _Scored, citation: Citation) -> str:
    if profile.kind == "yesno":
        return _LABELS["yesno_no"] if _NEGATION.search(citation.quote) else _LABELS["yesno_yes"]
    if not best.facts:
        return ""
    text = best.hit.chunk.text
    base = best.hit.chunk.start
    inside = [f for f in best.facts if citation.start <= f[0] and f[1] <= citation.end] or best.facts[:1]
    fact = _closest_fact(profile, inside, text, base)
    phrase = text[fact[0] - base : fact[1] - base].strip()
    return phrase[:1].upper() + phrase[1:] + "."


def _closest_fact(profile: QuestionProfile, facts: list[tuple[int, int]], text: str, base: int) -> tuple[int, int]:
    """The fact nearest to where the question's rarest terms occur."""
    if len(facts) == 1:
        return facts[0]
    folded = fold(text)
    anchors = [
        base + m.start()
        for term, _ in sorted(profile.terms.items(), key=lambda kv: -kv[1])[:3]
        if ":" not in term
        for m in re.finditer(rf"\b{re.escape(term)}\b", folded)
    ]
    if not anchors:
        return facts[0]
    return min(facts, key=lambda f: min(min(abs(f[0] - a), abs(f[1] - a)) for a in anchors))


def not_found_answer(index: LoadedIndex, hits: list[Hit], missing: str = "") -> Answer:
    """The honest refusal, with what the documents do cover and where to look."""
    lines = [NOT_FOUND]
    if missing:
        lines.append(f"Các tài liệu hiện có không nói về {missing}.")
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
