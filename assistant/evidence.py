"""Evidence: candidate sentences of the retrieved passages, scored against a `Query`.

Every sentence of the top passages is a candidate (and, for a fact question, the
sentence joined with the next ones on its line, where report figures often sit:
"Thực hiện: … . Kinh phí thực hiện: 315.725.000 đồng"). A candidate's score adds up
what it has of the question, none of it a veto:

- coverage: rarity-weighted share of the topic terms in the sentence, or (discounted)
  in the sentence before, the passage heading, the document title, the rest of the
  passage, and a provision the sentence refers to ("quy định tại khoản 1 Điều 3");
- phrase: the question's word pairs found as they are;
- retrieval: the passage's fused rank and its semantic similarity to the question;
- kind: a fact of the asked kind is there (a count of the asked noun counts more);
- qualifiers: the province, year, programme (KCQG/KCĐP), stage (plan/actual) and scope
  (one province or the region) the question names agree with the sentence's;
- rules first: for "can I be supported" questions, regulations and direction letters
  (what is supported) before reports (what was done).

The answerer (answering.py) decides from these scores; nothing here refuses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from threading import Lock

from cachetools import LRUCache, cached

from . import vocabulary
from .acronyms import defined_names
from .chunking import provision_at
from .dates import DATED
from .indexing import LoadedIndex
from .kinds import FACT_PATTERNS, MEASURES
from .legal import KINDS as PRINTED_KINDS
from .legal import number_matches
from .periods import Period, describe, excludes, period_in
from .query import Query
from .terms import Evidence, evidence_of, has_words, says_word, variants
from .text import (
    UPPER_LETTER,
    YEAR,
    compared_years,
    compound_words,
    fold,
    lexical_tokens,
    province_info,
    provinces_in,
    split_sentences,
)
from .types import Chunk, Hit

__all__ = [
    "ITEM_BREAK",
    "PROGRAMMES",
    "QUOTED_NAME",
    "Candidate",
    "ScoreWeights",
    "doc_years",
    "enumerates",
    "programmes_in",
    "score_candidates",
    "stage_label",
    "unit_years",
]

_CONTINUATION = 3
_PARTIAL = 0.8  # credit for the start of a long name
_RULE_KINDS = ("regulation", "direction_letter")
_REFERENCE = re.compile(r"(?:khoản\s+(\d+)\s+)?Điều\s+(\d+[a-z]?)", re.IGNORECASE)
_DAY_DATE = re.compile(DATED, re.IGNORECASE)
ITEM_BREAK = re.compile(r"[,;]\s")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_BULLET = re.compile(r"\s*(?:[-+•–]|\(?\d{1,2}[.)]|[a-zđ]\))\s")
_BREAKDOWN = re.compile(r"[-+•\s]*(?:trong do|cu the|bao gom)\s*[:,]?\s*")  # folded
_FACT_CLAUSE_BREAK = re.compile(r"[.;]\s|:\s(?=\D)")  # "…: 60.000.000 đồng" keeps its label
_NATIONAL = vocabulary.qualifier("national", "document")
_LOCAL = vocabulary.qualifier("local", "document")
PROGRAMMES = {"national": _NATIONAL, "local": _LOCAL}  # how a passage names each programme (folded)
_REGION = vocabulary.qualifier("region", "document")
_NAMED_REGION = vocabulary.qualifier("named_region", "document")
_NATIONWIDE = vocabulary.qualifier("nationwide", "document")
_TOTAL = vocabulary.qualifier("total", "document")
_FACILITY = vocabulary.qualifier("facility", "document")
_CLUSTER = vocabulary.qualifier("cluster", "document")
_COMPARED_TO_PLAN = re.compile(r"(?:dat|bang|so voi)[^,;.]{0,25}?ke hoach(?: nam)?")
_PLAN_WORDS = vocabulary.qualifier("plan", "document")
_ACTUAL_WORDS = vocabulary.qualifier("actual", "document")
_CAP = re.compile(r"tối đa|tối thiểu|không quá|không vượt quá|mức|đến|lên tới", re.IGNORECASE)
_FRAME_WORDS = 8  # the opening words of a sentence that set the year of the ones after it
_LIST_OPENING = re.compile(r"(?:gồm|bao gồm|như sau|sau đây|sau|cụ thể)\s*:|:\s*$", re.IGNORECASE)
_DUE = re.compile(r"trước|chậm nhất|hạn|đến hết|không quá", re.IGNORECASE)


@dataclass(frozen=True)
class ScoreWeights:
    """Weights of the candidate score (tuned on the tune parts of the question sets)."""

    heading: float = 0.6
    neighbour: float = 0.6
    title: float = 0.5
    body: float = 0.35
    reference: float = 0.8
    subject: float = 0.95
    phrase: float = 0.15
    rank: float = 0.02
    semantic: float = 0.3
    fact: float = 0.12
    no_fact: float = 0.15
    unit: float = 0.12
    qualifier: float = 0.08
    place_missing: float = 0.35
    year_missing: float = 0.25
    rules_first: float = 0.3


@dataclass
class Candidate:
    """A scored sentence (or sentence run) of a retrieved passage."""

    hit: Hit
    rank: int
    start: int
    end: int
    score: float
    coverage: float
    facts: list[tuple[int, int]] = field(default_factory=list)
    missing: str = ""  # a place or year the question names that the candidate lacks
    reference: tuple[int, int] | None = None  # span of a provision the sentence refers to
    other_act: bool = False  # it counts the noun asked, but what underwent another act (Query.predicate)

    @property
    def text(self) -> str:
        """The candidate's exact text."""
        chunk = self.hit.chunk
        return chunk.text[self.start - chunk.start : self.end - chunk.start]


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
    continued: tuple[tuple[_Sentence, ...], ...]  # sentence i joined with the next ones on its line
    heading: Evidence
    body: Evidence
    subjects: tuple[_Sentence | None, ...] = ()  # the sentence a breakdown item is a part of ("Trong đó: …")


def _unit(chunk: Chunk, start: int, end: int) -> _Sentence:
    text = chunk.text[start - chunk.start : end - chunk.start]
    bigrams = frozenset(t for t in lexical_tokens(text) if "_" in t)
    return _Sentence(start, end, text, Evidence(text), bigrams)


@lru_cache(maxsize=8192)
def _analyse(chunk: Chunk) -> _ChunkAnalysis:
    """Sentences of a chunk with their matchable words, once per chunk (not per question)."""
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
    return _ChunkAnalysis(
        sentences,
        tuple(continued),
        Evidence(chunk.heading + " " + chunk.locator),
        Evidence(chunk.text),
        _subjects(chunk, sentences),
    )


def _subjects(chunk: Chunk, sentences: tuple[_Sentence, ...]) -> tuple[_Sentence | None, ...]:
    """For each sentence, the one it is a part of, if any:

    - a breakdown: "Tổng kinh phí … là 79,07 tỷ đồng. Trong đó: Tổng kinh phí KCQG … 28,99 tỷ
      đồng. Tổng kinh phí KCĐP … 50,08 tỷ đồng." (the items after "Trong đó" that open like it,
      in the same paragraph);
    - a list: "… đã tiếp nhận 04 hồ sơ đề án: “…”; “…”; “…”." or a line ending in ":" and the
      bulleted lines under it: each item is an item of what its lead-in names.
    """
    out: list[_Sentence | None] = []
    subject: _Sentence | None = None
    opening: list[str] = []
    lead_in: _Sentence | None = None  # the sentence opening the list the next sentences are items of
    for i, sentence in enumerate(sentences):
        folded = fold(sentence.text).lower()
        marker = _BREAKDOWN.match(folded)
        between = chunk.text[sentences[i - 1].end - chunk.start : sentence.start - chunk.start] if i else ""
        if "\n" in between and not (lead_in is not None and _BULLET.match(sentence.text)):
            lead_in = None
        if marker and i:
            subject, opening = sentences[i - 1], fold(sentence.text[marker.end() :]).lower().split()[:2]
        elif lead_in is not None:
            subject, opening = lead_in, []
        elif "\n" in between or folded.split()[:2] != opening:
            subject, opening = None, []
        out.append(subject)
        lead_in = None if marker else _opened_list(sentence, lead_in)  # "Trong đó:" opens a breakdown, not a list
    return tuple(out)


def _opened_list(sentence: _Sentence, lead_in: _Sentence | None) -> _Sentence | None:
    """The lead-in of the list the next sentence is an item of: this sentence when it opens one
    ("…: item;" or a line ending in ":"), the same one while items go on (";"), else none."""
    text = sentence.text.rstrip()
    if text.endswith(":") or (":" in text and text.endswith(";")):
        return sentence
    return lead_in if text.endswith(";") or _BULLET.match(text) else None


@lru_cache(maxsize=1024)
def _title_evidence(title: str, province: str) -> Evidence:
    return Evidence(f"{title} {province}")


def stage_label(folded: str) -> str | None:
    """ "plan" for a line a report labels "Kế hoạch: …", "actual" for "Thực hiện: …" (folded text), else None."""
    line = folded.lstrip("- ")[:12]
    return "plan" if line.startswith("ke hoach") else ("actual" if line.startswith("thuc hien") else None)


def score_candidates(query: Query, hits: list[Hit], index: LoadedIndex, weights: ScoreWeights) -> list[Candidate]:
    """Every candidate of `hits`, best first."""
    out: list[Candidate] = []
    for rank, hit in enumerate(hits):
        analysis = _analyse(hit.chunk)
        meta = index.documents.get(hit.chunk.doc_id, {})
        title = _title_evidence(str(meta.get("title", "")), str(meta.get("province") or ""))
        tiers = [(analysis.heading, weights.heading), (title, weights.title), (analysis.body, weights.body)]
        previous = evidence_of("")
        subjects = analysis.subjects
        for sentence, continued, subject in zip(analysis.sentences, analysis.continued, subjects):
            if len(sentence.text) >= 12:
                context = [(previous, weights.neighbour), *tiers]
                if subject is not None:  # a part of a breakdown: the whole's words are its own
                    context.append((subject.evidence, weights.subject))
                whole = subject.text if subject is not None else ""
                reference = _referenced(sentence.text, hit.chunk, index)
                if reference is not None:
                    context.append(
                        (evidence_of(index.text_of(hit.chunk.doc_id)[reference[0] : reference[1]]), weights.reference)
                    )
                item = _score(query, hit, rank, len(hits), sentence, context, index, weights, whole)
                item.reference = reference
                out.append(item)
                if not item.facts and query.kind.facts and not item.other_act:  # its figure may be in the next
                    out.extend(_first_with_fact(query, hit, rank, len(hits), continued, context, index, weights, whole))
            previous = sentence.evidence
    out.sort(key=lambda c: (-c.score, c.rank, c.start))
    return out


def _first_with_fact(
    query: Query,
    hit: Hit,
    rank: int,
    count: int,
    continued: tuple[_Sentence, ...],
    context: list[tuple[Evidence, float]],
    index: LoadedIndex,
    weights: ScoreWeights,
    whole: str = "",
) -> list[Candidate]:
    for unit in continued:
        item = _score(query, hit, rank, count, unit, context, index, weights, whole)
        if item.facts:
            return [item]
    return []


def _score(
    query: Query,
    hit: Hit,
    rank: int,
    count: int,
    unit: _Sentence,
    context: list[tuple[Evidence, float]],
    index: LoadedIndex,
    weights: ScoreWeights,
    whole: str = "",
) -> Candidate:
    """The candidate of one sentence (`whole`: the sentence it is a part of, in a breakdown)."""
    coverage = _coverage(query, unit.evidence, context)
    header = hit.chunk.heading
    if " | " in unit.text:  # a table row: its column names are in the chunk's first row
        header += " " + next((line for line in hit.chunk.text.splitlines() if " | " in line), "")
    facts = [
        f
        for f in facts_in(query, unit.text, unit.start, header, defined_names(index))
        if not _of_other_year(query, unit.text, f[0] - unit.start)
    ]
    counted = len(facts)
    if query.predicate:  # "05 cơ sở (7 sản phẩm) đăng ký tham gia" counts no products "được công nhận"
        facts = [f for f in facts if _undergoes(query, index, unit.text, f[0] - unit.start, whole)]
    score = coverage
    if query.bigrams:
        score += weights.phrase * len(query.bigrams & unit.bigrams) / len(query.bigrams)
    score += weights.rank * (count - rank) + weights.semantic * _semantic(hit)
    if query.kind.facts:
        score += weights.fact if facts else -weights.no_fact
        if facts and _tells_act(query, unit.text):  # its facts are then who does it (facts_in), not any name
            score += weights.unit
        if (
            facts
            and query.unit
            and any(_counts_unit(query, unit.text, f[0] - unit.start, f[1] - unit.start) for f in facts)
        ):
            score += weights.unit
        if (
            facts
            and query.kind.name == "deadline"
            and any(_DUE.search(unit.text[max(0, f[0] - unit.start - 12) : f[1] - unit.start]) for f in facts)
        ):
            score += weights.unit
    if query.kind.lead == "list" and _LIST_OPENING.search(unit.text):
        score += weights.fact  # the sentence that opens the items asked ("… gồm: (1) …; (2) …")
    meta = index.documents.get(hit.chunk.doc_id, {})
    if query.kind.rules_first and meta.get("kind") in _RULE_KINDS:
        score += weights.rules_first
    scope = fold(f"{meta.get('title', '')} {hit.chunk.heading}")  # a regional report speaks for the region
    score += weights.qualifier * qualifier_agreement(query, fold(unit.text), scope, fold(whole))
    missing = _missing(query, hit, unit, index)
    if missing.startswith("tỉnh"):
        score -= weights.place_missing
    elif missing:
        score -= weights.year_missing
    other_act = counted > 0 and not facts  # its counts are all of another act than the one asked
    return Candidate(hit, rank, unit.start, unit.end, score, coverage, facts, missing, other_act=other_act)


_CLAUSE_END = re.compile(r"[.;](?=\s|$)")


def _undergoes(query: Query, index: LoadedIndex, sentence: str, at: int, whole: str = "") -> bool:
    """Whether the clause holding the figure at `at` (or the sentence it is a part of) says the act asked of
    it: "Tham mưu đăng ký 07 sản phẩm …. Kết quả có 6/7 sản phẩm được công nhận" gives 6/7, not 07, for
    "bao nhiêu sản phẩm được công nhận"; "Kinh phí thực hiện: 315.725.000 đồng" is no "được thưởng".
    The act is a word of the text, not a piece of a name, and, when the user typed its diacritics and the
    documents write that form, that very word ("thưởng", not the "Thương" of "Bộ Công Thương")."""
    start = max((m.end() for m in _CLAUSE_END.finditer(sentence, 0, at)), default=0)
    end = next((m.start() for m in _CLAUSE_END.finditer(sentence, at)), len(sentence))
    typed = query.predicate_typed if query.predicate_typed and written_in(index, query.predicate_typed) else ""
    return says_word(sentence[start:end], query.predicate, typed) or (
        bool(whole) and says_word(whole, query.predicate, typed)
    )


_WRITTEN: LRUCache[tuple[str, str, str], bool] = LRUCache(maxsize=4096)


def written_in(index: LoadedIndex, word: str) -> bool:
    """Whether some passage of the index writes `word` (lower case, with its diacritics), once per generation."""
    key = (str(index.folder), index.generation, word)
    if key not in _WRITTEN:
        pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)
        _WRITTEN[key] = any(pattern.search(chunk.text) for chunk in index.chunks)
    return _WRITTEN[key]


def _of_other_year(query: Query, sentence: str, at: int) -> bool:
    """Whether the clause holding a fact is about other years than the ones asked: "… trao thưởng
    năm 2024. Vì vậy năm 2023 không sử dụng kinh phí …: 60.000.000 đồng" gives no 2024 figure."""
    if not query.years or {"date", "when"} & set(query.kind.facts):  # a time asked: the year may be the fact
        return False
    start = max((m.end() for m in _FACT_CLAUSE_BREAK.finditer(sentence, 0, at)), default=0)
    end = next((m.start() for m in _FACT_CLAUSE_BREAK.finditer(sentence, at)), len(sentence))
    named = unit_years(sentence[start:end])
    return bool(named) and not named & set(query.years)


def _semantic(hit: Hit) -> float:
    """The passage's cosine similarity to the question, spread over [0, 1] (e5 scores sit in 0.75–0.92)."""
    if not hit.dense_score:
        return 0.0
    return max(0.0, min(1.0, (hit.dense_score - 0.78) / 0.12))


def _coverage(query: Query, own: Evidence, tiers: list[tuple[Evidence, float]]) -> float:
    """Rarity-weighted share of the question's words in the sentence or (discounted) around it, over the
    words the documents use.

    Words no document uses (a user's trade, a typo) cannot be matched by any passage; whether
    they make the question one the documents do not answer is decided on `Query.unknown_share`.
    """
    covered = 0.0
    known = {t: w for t, w in query.terms.items() if t not in query.unknown}
    for term, weight in known.items():
        best = _match(own, term)  # the best of here and (discounted) around
        for evidence, discount in tiers:
            best = max(best, discount * _match(evidence, term))
        covered += weight * best
    total = sum(known.values()) or 1.0
    return covered / total


def _match(evidence: Evidence, term: str) -> float:
    """1 when the text has the term; for a long name, the share of it the text has from its start
    ("Trung tâm" for "Trung tâm Khuyến công"), discounted; else 0."""
    if term.startswith("date:"):
        return 1.0 if evidence.has(term) else 0.0
    return _match_words(evidence.joined, term)


@lru_cache(maxsize=1 << 16)  # a passage sentence is matched against the same terms by every question on it
def _match_words(joined: str, term: str) -> float:
    if has_words(joined, term):
        return 1.0
    words = term.split()
    for size in range(len(words) - 1, 1, -1):
        if len(words) >= 3 and has_words(joined, " ".join(words[:size])):
            return _PARTIAL * size / len(words)
    return 0.0


def qualifier_agreement(query: Query, folded: str, scope: str = "", whole: str = "") -> float:
    """+1 per qualifier the text shares with the question, -1 per one it contradicts (`scope`: the title,
    `whole`: the sentence the text is a part of)."""
    score = 0.0
    programmes = programmes_in(folded)
    national, local = "national" in programmes, "local" in programmes
    if query.programme == "national":  # a named programme decides between neighbouring figures
        score += 2 if national else (-2 if local else 0)
    elif query.programme == "local":
        score += 2 if local else (-2 if national else 0)
    label = stage_label(folded)
    if label == "plan":  # a line labelled with the other stage contradicts it, as a programme does
        score += 1 if query.stage == "plan" else (-2 if query.stage == "actual" else -0.5)
    elif label == "actual":
        score += -2 if query.stage == "plan" else 0.5
    elif query.stage:
        stated = _COMPARED_TO_PLAN.sub(" ", folded)  # "đạt 41,8% kế hoạch năm" measures against the plan
        plan, actual = bool(_PLAN_WORDS.search(stated)), bool(_ACTUAL_WORDS.search(stated))
        if plan != actual:
            score += 1 if (plan and query.stage == "plan") or (actual and query.stage == "actual") else -1
    for word in query.excluded:  # "không tính vốn đối ứng"
        if f" {word} " in f" {folded} ":
            score -= 1
    if not query.region and not query.provinces:  # a regional figure for a question that names no region
        named = bool(_NAMED_REGION.search(folded) or _NAMED_REGION.search(whole))  # "các tỉnh" is all of them
        score -= 1.5 if named else (0.5 if _REGION.search(scope) else 0)
    if query.own_facility:  # the owner of a facility is helped by support for facilities, not for clusters
        score -= 1 if _CLUSTER.search(folded) and not _FACILITY.search(folded) else 0
    if query.total and _TOTAL.search(folded):
        score += 2.5 if query.inclusive else 0.5  # "tổng … kể cả phần đối ứng": the sum, whatever programme a part is
    if query.part and _TOTAL.search(folded):  # "riêng phần …": a part, not the total
        score -= 1
    return score


def _agent_of(query: Query, sentence: str, offset: int) -> list[tuple[int, int]]:
    """Who does the verb the question asks about: X of "do X <verb>" ("do Vụ … tổ chức"), or the
    person or office right before the verb ("Phó Cục trưởng … Đỗ Thị Minh Trâm trình bày Báo cáo")."""
    folded = fold(sentence).lower()
    if not query.agent_verb or len(folded) != len(sentence):
        return []
    verb = re.escape(query.agent_verb)
    for found in re.finditer(rf"\bdo\s+([^,.;()]{{3,100}}?)\s+{verb}\b", folded):
        if sentence[found.start() : found.start() + 2].lower() == "do":  # "do", not the surname "Đỗ"
            return [(offset + found.start(1), offset + found.end(1))]
    for at in re.finditer(rf"\b{verb}\b", folded):
        for name in query.kind.facts:  # in the kind's order: a person before an office for "ai"
            out = [
                (offset + m.start(), offset + m.end())
                for m in FACT_PATTERNS[name].finditer(sentence, 0, at.start())
                if _AUXILIARIES.fullmatch(folded[m.end() : at.start()])
            ]
            if out:
                return [_with_coordinated(sentence, offset, out[-1], FACT_PATTERNS[name])]
        subject = _subject_before(sentence, folded, at.start())
        if subject is not None:
            return [(offset + subject[0], offset + subject[1])]
    return []


_AUXILIARY_WORDS = "da|se|dang|dong|cung|truc tiep"  # folded words between an agent and its verb
_AGENT_START = re.compile(r"(?:các|những|mọi)\s|[A-ZĐ]")
_TRAILING_AUXILIARIES = re.compile(rf"(?:\s+(?:{_AUXILIARY_WORDS}|phai|can))+$")


def _clause_start(sentence: str, at: int) -> int:
    """Where the clause holding offset `at` starts: after the last ".", ";" or ":" before it."""
    return max(sentence.rfind(mark, 0, at) for mark in ".;:") + 1


def _subject_before(sentence: str, folded: str, verb_at: int) -> tuple[int, int] | None:
    """The agents written as common nouns right before the verb, back over the ones joined by commas:
    "…, trước ngày 20 tháng 6 năm 2023, Sở Công Thương, các tổ chức dịch vụ khuyến công xây dựng báo cáo"
    -> "Sở Công Thương, các tổ chức dịch vụ khuyến công" (a part with a number is no agent)."""
    clause = _clause_start(sentence, verb_at)
    end = clause + len(_TRAILING_AUXILIARIES.sub("", folded[clause:verb_at].rstrip()))
    start = end
    for part in reversed(sentence[clause:end].split(",")):
        piece = part.strip()
        if not piece or len(piece) > 80 or re.search(r"\d", piece) or not _AGENT_START.match(piece):
            break
        start = sentence.rindex(piece, clause, start)
    return (start, end) if start < end else None


def _with_coordinated(sentence: str, offset: int, span: tuple[int, int], pattern: re.Pattern[str]) -> tuple[int, int]:
    """From the first agent on, when the one before the verb is the last of several joined by "," or "và"
    ("… Ngô Quang Trung, Phó Cục trưởng … và Giám đốc … Nguyễn Văn Quân đồng chủ trì")."""
    start = span[0] - offset
    clause = _clause_start(sentence, start)
    before = sentence[clause:start]
    joined = re.search(r"(?:,|\svà)\s+\S[^,]*$", before)
    first = pattern.search(before, 0, joined.start()) if joined is not None and len(before) <= 300 else None
    return span if first is None else (offset + clause + first.start(), span[1])


def _tells_act(query: Query, sentence: str) -> bool:
    """Whether the sentence has the verb whose agent the question asks ("tổ chức" of "do ai tổ chức")."""
    return bool(query.agent_verb) and bool(re.search(rf"\b{re.escape(query.agent_verb)}\b", fold(sentence).lower()))


_AUXILIARIES = re.compile(rf"\s*(?:(?:{_AUXILIARY_WORDS}|la nguoi)\s+)*")


def enumerates(text: str) -> bool:
    """Whether a sentence lists several items ("… chế biến nông lâm thủy sản, mô hình …; mô hình …")."""
    return len(ITEM_BREAK.findall(text)) >= 2


def facts_in(
    query: Query, sentence: str, offset: int, heading: str = "", names: tuple[str, ...] = ()
) -> list[tuple[int, int]]:
    """Spans (absolute) of the facts of the asked kind in `sentence`; `names`: the documents' defined names,
    which complete an office's name the pattern cuts ("Cục Công Thương" + "địa phương")."""
    spans: list[tuple[int, int]] = []
    if query.kind.named and query.unit:
        spans = _named_after(query.unit, sentence, offset, described=query.asks_type)
    if query.kind.name in ("name", "person") and not spans and query.agent_verb:
        spans = _agent_of(query, sentence, offset)
        if not spans and _tells_act(query, sentence):
            return []  # the sentence tells of the act without who does it ("được tổ chức tại Hậu Giang")
    for name in (
        () if spans else query.kind.facts
    ):  # in the kind's order of preference: a person before an office for "ai"
        spans = [(offset + start, offset + end) for start, end in _fact_spans(name, sentence)]
        if spans:
            break
    if query.kind.name == "count":
        spans = [s for s in spans if not re.match(r"(19|20)\d\d\b", sentence[s[0] - offset :])]
    if query.kind.name == "place":  # "tại huyện Nhơn Trạch, Định Quán và Long Thành": every place named
        spans = [_through_listed_names(sentence, offset, s) for s in spans]
    spans = [s for s in spans if not _given(query, sentence[s[0] - offset : s[1] - offset])]
    if query.kind.name in ("name", "person"):
        spans = [s for s in spans if s[0] - offset > 0]  # a capital at sentence start is not a name
        spans = [_completed_name(sentence, offset, s, names) for s in spans]
    if query.named_number and {"date", "when"} & set(query.kind.facts):  # "qđ 1994 ký ngày nào": that one's date
        spans = _dates_of_named(query.named_number, sentence, offset, spans)
    if query.kind.name == "docnumber" and any(query.document_asked):  # "Quyết định … số mấy": a QĐ number
        spans = [s for s in spans if number_matches(sentence[s[0] - offset : s[1] - offset], *query.document_asked)]
    if query.kind.name == "docnumber":  # "Quyết định số 59/2015/QĐ-UBND": the number with the type it is of
        spans = [_with_document_type(sentence, offset, s) for s in spans]
    if query.kind.name == "deadline":  # a deadline is a date something must happen before
        due = [s for s in spans if _DUE.search(sentence[max(0, s[0] - offset - 12) : s[1] - offset])]
        spans = due or spans
    if query.kind.name == "amount" and not _CAP.search(heading):  # a cap: "tối đa 30%", "không quá 300 triệu",
        spans = [s for s in spans if _CAP.search(sentence[max(0, s[0] - offset - 25) : s[0] - offset])]  # a column
    if query.per and query.kind.facts[0] in _RATES:  # "bao nhiêu tiền 1 người": a total is no rate per person
        spans = [s for s in spans if _is_per(query.per, sentence, s[0] - offset, s[1] - offset)]
    if query.unit and query.kind.name == "count":  # "bao nhiêu đề án": only the figures that count đề án
        loose = [s for s in spans if _counts_unit(query, sentence, s[0] - offset, s[1] - offset)]
        # "51 chủ thể sản phẩm … 2.000 sản phẩm": the number the noun asked directly follows counts it
        unit = query.unit.split()[0]
        direct = [s for s in loose if fold(sentence[s[0] - offset : s[1] - offset]).split()[1:2] == [unit]]
        spans = [_through_unit(query.unit, sentence, offset, s) for s in direct or loose]
    elif query.kind.name == "count":
        spans = _bare_count(query, sentence, offset, spans)
    return sorted(set(spans))


_RATES = frozenset({"money", "amount", "percent"})


@lru_cache(maxsize=1 << 15)  # the same passage sentences are scanned for the same kinds by every question
def _fact_spans(name: str, sentence: str) -> tuple[tuple[int, int], ...]:
    """Spans (in `sentence`) of the facts of kind `name` it holds."""
    return tuple(m.span() for m in FACT_PATTERNS[name].finditer(sentence))


def _is_per(unit: str, sentence: str, start: int, end: int) -> bool:
    """Whether the figure at sentence[start:end] is stated per `unit` ("5 triệu đồng/người", "mỗi học viên
    được hỗ trợ 2 triệu đồng", "… cho 1 cơ sở"): "mỗi <unit>" anywhere before it in its clause."""
    after = fold(sentence[end : end + 30])
    opens = max((m.end() for m in _CLAUSE_END.finditer(sentence, 0, start)), default=0)  # its clause, not the last
    before = fold(sentence[max(opens, start - 120) : start])
    per = rf"(?:/\s*|\b(?:moi|mot|1)\s+){re.escape(unit)}\b"
    return bool(
        re.match(rf"\s*(?:dong\s*)?(?:(?:cho|doi voi|tren)\s+)?{per}", after)  # "20 triệu đồng cho một cơ sở"
        or re.search(rf"\b(?:cho|moi)\s+(?:mot|1)?\s*{re.escape(unit)}\b|{per}", before)
    )


def _bare_count(query: Query, sentence: str, offset: int, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A bare "bao nhiêu" ("kcđp 2023 kế hoạch giao bn") asks a count of something the question names, or else
    the sentence's amount: "20 tỉnh" counts nothing asked, "67,15 tỷ đồng" is the figure."""
    counted = [s for s in spans if set(fold(sentence[s[0] - offset : s[1] - offset]).split()[1:2]) <= query.words]
    if counted:
        return counted
    money = [(offset + m.start(), offset + m.end()) for m in FACT_PATTERNS["money"].finditer(sentence)]
    return money or spans


_NUMBER = re.compile(r"\d+(?:[.,/]\d+)*")


def _completed_name(sentence: str, offset: int, span: tuple[int, int], names: tuple[str, ...]) -> tuple[int, int]:
    """`span`, run on to the end of a defined name that starts inside it and goes past it."""
    start, end = span[0] - offset, span[1] - offset
    lowered = sentence.lower()
    for name in names:
        at = lowered.find(name.lower(), start, end + len(name))
        if start <= at < end < at + len(name):
            return span[0], offset + at + len(name)
    return span


_NAME_END = re.compile(r"\s*(?:,(?!\s+[A-ZĐ]{2,})|[.;:(]|\s(?:và|với|để|do|của|trên|tại|nhằm|sau đây)\s)")
QUOTED_NAME = re.compile(r"“([^”]{3,120})”")  # a name written in quotes: “Hỗ trợ …”


def _named_after(noun: str, sentence: str, offset: int, described: bool = False) -> list[tuple[int, int]]:
    """The name that follows the noun asked about: "… với tên Điểm bán sản phẩm CNNT …", "thành lập Tổ tư vấn …";
    `described`: a type is asked, whose answer needs no capital ("các mô hình về chế biến nông lâm thủy sản")."""
    folded = fold(sentence)
    out = [(offset + m.start(1), offset + m.end(1)) for m in QUOTED_NAME.finditer(sentence)] if noun == "ten" else []
    for found in re.finditer(rf"(?<!\w){re.escape(noun)}\s+(?=\S)", folded):
        start = found.end() if noun == "ten" else found.start()
        end_match = _NAME_END.search(sentence, found.end())
        end = end_match.start() if end_match else len(sentence)
        after = sentence[found.end() : found.end() + 1]
        proper = sentence[found.start()].isupper() or after.isupper() or after.isdigit() or after in "“\"'"
        if (noun == "ten" or proper or described) and 3 <= end - start <= 90:
            out.append((offset + start, offset + end))
    return out


# the type of document written before its number ("Quyết định số ", "Công văn "): every kind's printed names
_TYPE_BEFORE = re.compile(
    "(?:" + "|".join(sorted(map(re.escape, PRINTED_KINDS), key=len, reverse=True)) + r")\s+(?:số\s+)?$"
)


def _with_document_type(sentence: str, offset: int, span: tuple[int, int]) -> tuple[int, int]:
    """A document number's span widened over the type written just before it ("Quyết định số 59/2015/QĐ-UBND")."""
    typed = _TYPE_BEFORE.search(sentence, 0, span[0] - offset)
    return (offset + typed.start(), span[1]) if typed else span


_BARE_AFTER = frozenset("ma a ạ thi vay roi nhe nha thoi chu ha".split())


def _dates_of_named(number: str, sentence: str, offset: int, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The date nearest the document number the question names ("… số 1994/QĐ-UBND ngày 18/8/2023"),
    or none when the sentence does not name that document."""
    named = [m.start() for m in FACT_PATTERNS["docnumber"].finditer(sentence) if m.group().split("/")[0] == number]
    if not named or not spans:
        return []
    return [min(spans, key=lambda s: min(abs(s[0] - offset - at) for at in named))]


def _given(query: Query, fact: str) -> bool:
    """What the user already wrote is not the answer: "thay thế Nghị định 45/2012 là số mấy", "kế hoạch là 55 mà".

    A number the user typed counts as the fact only when it stands for the same thing: followed
    by the same word ("136,9 tỷ"), or bare ("… là 55 mà"), or a document's number and year ("qđ 59/2015" gives
    "59/2015/QĐ-UBND"); "6 tháng đầu năm" does not give "06 đề án".
    """
    asked = fold(query.stem)
    if fold(fact).strip() in asked:
        return True
    number = _NUMBER.search(fact)
    if not number or re.fullmatch(r"(?:19|20)\d\d", number.group(0)):
        return False
    unit = fold(fact[number.end() :]).split()[:1]
    for typed in re.finditer(r"(?<![\d.,/])(\d+(?:[.,/]\d+)*)(?:\s+(\w+))?", asked):
        if typed.group(1).lstrip("0") != number.group(0).lstrip("0"):
            continue
        after = typed.group(2) or ""
        if not after or after in _BARE_AFTER or [after] == unit or fact[number.end() :].startswith("/"):
            return True
    return False


def _counts_unit(query: Query, sentence: str, start: int, end: int) -> bool:
    """Whether the count fact at [start, end) counts the noun the question asks about: the noun right after
    the number, or after one word before it that measures it ("300 lượt học viên", "04 hồ sơ đề án"); not a
    noun further on, which qualifies another ("1000 cuốn brochure sản phẩm …", "1.850 gian hàng cho cơ sở")."""
    words = query.unit.split()
    if not words:
        return False
    phrase = _PHRASE_END.split(sentence[start : end + 40], maxsplit=1)[0]
    counted = _word_starts(phrase.lower().split()[1:])[:2]
    nouns = {" ".join(words[:2]), words[0], *variants(" ".join(words[:2])), *variants(words[0])}
    return any(f"{following} ".startswith(f"{noun} ") for following in counted for noun in nouns if len(noun) > 1)


_UPPER_WORD = rf"{UPPER_LETTER}[^\W\d_]*"
# ", Định Quán", ", Tân phú" (one to three words up to the next comma or "và"), then "và Long Thành"
_LISTED_NAMES = re.compile(
    rf"(?:\s*,\s*{_UPPER_WORD}(?:\s+[^\W\d_]+){{0,2}}?(?=\s*,|\s+và\s))*"
    rf"(?:(?:\s*,)?\s+và\s+{_UPPER_WORD}(?:\s+{_UPPER_WORD}){{0,2}})?"
)


def _through_listed_names(sentence: str, offset: int, span: tuple[int, int]) -> tuple[int, int]:
    """A place run on over the names listed after it, which share its noun ("huyện")."""
    found = _LISTED_NAMES.match(sentence, span[1] - offset)
    return (span[0], offset + found.end()) if found and found.end() > span[1] - offset else span


def _through_unit(unit: str, sentence: str, offset: int, span: tuple[int, int]) -> tuple[int, int]:
    """A count run on over the noun asked when it follows the measure word ("04 hồ sơ" + "đề án"), or
    to its end when the count's last word begins it ("33 lượt cơ" + "sở")."""
    after = sentence[span[1] - offset :]
    size = len(unit.split())
    tail = fold(sentence[span[0] - offset : span[1] - offset]).split()[1:]
    for begun in range(min(size - 1, len(tail)), -1, -1):  # words of the noun the count already holds
        if tail[len(tail) - begun :] != unit.split()[:begun]:
            continue
        found = re.match(r"\s+" + r"\s+".join([r"[^\W\d_]+"] * (size - begun)), after)
        if found is not None and fold(" ".join(found.group().split())) == " ".join(unit.split()[begun:]):
            return span[0], span[1] + found.end()
    return span


_PHRASE_END = re.compile(r"[,;:.](?=\s|$)|[()“”]|\s(?:cho|của|tại|trong|và|với|để|là|được|đạt)\s")


def _word_starts(syllables: list[str]) -> list[str]:
    """The folded text from each word's start, the syllables grouped into the dictionary's words."""
    compounds = compound_words()
    starts, at = [], 0
    while at < len(syllables):
        starts.append(at)
        at += 2 if " ".join(syllables[at : at + 2]) in compounds else 1
    return [fold(" ".join(syllables[i:])) for i in starts]


def _missing(query: Query, hit: Hit, unit: _Sentence, index: LoadedIndex) -> str:
    """A place or year the question names that the candidate and its document do not mention."""
    chunk = hit.chunk
    meta = index.documents.get(chunk.doc_id, {})
    named = provinces_in(unit.text)
    # a sentence listing many provinces is about the region, not each of them (unless a list of places is asked)
    # ... or one asked whether it is among them ("Long An có nằm trong các địa phương … không")
    own = unit.text if len(named) <= 2 or query.asks_places or query.kind.lead == "yesno" else ""
    around = " ".join([own, chunk.heading, str(meta.get("title", "")), str(meta.get("province") or "")])
    places = set(provinces_in(around)) | _lead_places(chunk.doc_id, index)
    if query.part:  # "riêng tỉnh Hậu Giang": the province's own figure, not its region's nor another's held there
        owner = provinces_in(str(meta.get("province") or ""))
        places = set(owner) if owner else set(provinces_in(" ".join([own, chunk.heading])))
    written = str(meta.get("date") or meta.get("year") or "")
    for province in query.provinces:
        if query.situated and not meta.get("province") and meta.get("kind") in _RULE_KINDS:
            break  # a national letter or regulation applies wherever the user is
        if not _place_covered(province, places, written):
            info = province_info(province)
            return f"tỉnh/thành {info.name if info else province.title()}"
    if query.nationwide and not query.provinces and _of_part_of_country(unit.text, chunk, meta):
        return "phạm vi cả nước (đoạn này nói về một vùng hay một tỉnh)"
    if query.articles:  # "theo Điều 4 Nghị định 45/2012": only that article answers
        provision = provision_at(index.text_of(chunk.doc_id), unit.start) if meta.get("kind") == "regulation" else ""
        if provision.split(",")[0].removeprefix("Điều ").strip() not in query.articles:
            return f"Điều {query.articles[0]}"
    if query.years:
        text = unit.text
        if query.kind.facts and set(query.kind.facts) & {"date", "when"}:  # the date asked for is not the topic's year
            for name in query.kind.facts:
                text = FACT_PATTERNS[name].sub(" ", text)
        about = unit_years(text) or doc_years(chunk, unit.start, index)  # a sentence naming its year is about it
        if about <= set(query.years):  # "năm 2023 kiểm tra đề án năm 2021": the report's year covers the other
            about |= own_years(chunk, index)
        for year in query.years:
            if year not in about:
                return f"năm {year}"
    return _other_programme(query, unit, chunk, meta) or _other_period(query, unit, chunk, index)


_PROGRAMME_NAMES = {"national": "khuyến công quốc gia", "local": "khuyến công địa phương"}


def _other_programme(query: Query, unit: _Sentence, chunk: Chunk, meta: dict[str, object]) -> str:
    """The programme asked, when a figure is asked and the sentence is of the other one only: named in
    the sentence, or, when it names none, in its paragraph before it ("Năm 2022 kinh phí KCQG … Tính đến
    hết tháng 12 năm 2022, tổng kinh phí đã giải ngân …"), else in its heading or document title."""
    if not query.programme or not query.kind.facts or query.kind.facts[0] not in MEASURES:
        return ""
    end = unit.end - chunk.start
    paragraph = chunk.text[chunk.text.rfind("\n", 0, max(0, unit.start - chunk.start)) + 1 : end]
    programmes = (
        programmes_in(fold(unit.text))
        or programmes_in(fold(paragraph))
        or programmes_in(fold(f"{chunk.heading} {meta.get('title', '')}"))
    )
    if not programmes or query.programme in programmes:
        return ""
    other = next(iter(programmes))
    return f"chương trình {_PROGRAMME_NAMES[query.programme]} (đoạn này nói về {_PROGRAMME_NAMES[other]})"


def programmes_in(folded: str) -> set[str]:
    """The programmes ("national", "local") a folded text names."""
    return set(_programmes_in(folded))


@lru_cache(maxsize=1 << 15)  # asked of every candidate sentence, for every question
def _programmes_in(folded: str) -> frozenset[str]:
    return frozenset(name for name, pattern in PROGRAMMES.items() if pattern.search(folded))


def _of_part_of_country(sentence: str, chunk: Chunk, meta: dict[str, object]) -> bool:
    """Whether a figure is of one province (its document's) or one region (its sentence, heading or document
    title names the region: "20 tỉnh, thành phố khu vực phía Nam"), not of the whole country."""
    if meta.get("province"):
        return True
    scope = fold(f"{sentence} {chunk.heading} {meta.get('title', '')}")
    return bool(_NAMED_REGION.search(scope)) and not _NATIONWIDE.search(fold(sentence))


_LEAD_PLACES: dict[tuple[str, str], frozenset[str]] = {}


def _lead_places(doc_id: str, index: LoadedIndex) -> frozenset[str]:
    """The place a report of one event is about: the one or two provinces its opening paragraph names
    ("Hội nghị … được tổ chức tại Hậu Giang"); none for a text that opens on many."""
    key = (index.generation, doc_id)
    if key not in _LEAD_PLACES:
        text = index.text_of(doc_id)
        end = text.find("\n", 200)
        named = frozenset(provinces_in(text[: end if end > 0 else 600]))
        if len(_LEAD_PLACES) > 4096:
            _LEAD_PLACES.clear()
        _LEAD_PLACES[key] = named if len(named) <= 2 else frozenset()
    return _LEAD_PLACES[key]


def _other_period(query: Query, unit: _Sentence, chunk: Chunk, index: LoadedIndex) -> str:
    """The period asked, when the candidate is about another part of the year ("6 tháng đầu năm")."""
    if query.period is None:
        return ""
    about = period_of(unit.text, chunk, unit.start, index)
    if about is None or not excludes(query.period, about):
        return ""
    return f"số liệu {describe(query.period)} (đoạn này nói về {describe(about)})"


def _place_covered(asked: str, places: set[str], written: str) -> bool:
    """Whether text about `places`, written at `written` (ISO date or year), covers the province asked.

    The 2025 mergers count both ways in time: a unit that joined a province is covered by
    that province's documents written after the merger; a province asked by its new name
    is covered by documents about the units that joined it (the event took place there).
    """
    if asked in places:
        return True
    info = province_info(asked)
    if info and info.merged_into and fold(info.merged_into) in places:
        return bool(written) and bool(info.merged_from) and written >= str(info.merged_from)
    return any((joined := province_info(p)) is not None and fold(joined.merged_into or "") == asked for p in places)


def unit_years(text: str) -> set[str]:
    """Years a sentence is about: those it names, less the ones it only compares with ("so với năm 2022")."""
    return set(_unit_years(text))  # a copy: callers add to it


@lru_cache(maxsize=1 << 15)
def _unit_years(text: str) -> frozenset[str]:
    text = _DAY_DATE.sub(" ", text)  # a full date is an event's day, not the year the text is about
    return frozenset(YEAR.findall(text)) - compared_years(text)


def doc_years(chunk: Chunk, offset: int, index: LoadedIndex) -> set[str]:
    """Years the surroundings of a sentence are about (see `_doc_years`); a copy: callers add to it."""
    return set(_doc_years(chunk, offset, index))


# one generation's texts never change (a rebuild writes another): its sentences' years are kept for it
@cached(LRUCache(maxsize=1 << 14), key=lambda chunk, offset, index: (index.generation, chunk.id, offset), lock=Lock())
def _doc_years(chunk: Chunk, offset: int, index: LoadedIndex) -> frozenset[str]:
    """Years the surroundings of a sentence are about.

    In its paragraph, the lead-in of the list it is an item of ("Năm 2023, Trung tâm đã: …;
    …") or else the nearest earlier sentence naming a year sets it ("8 tháng năm 2023, … .
    Trong đó: Kinh phí KCĐP …"); a year inside a sibling item ("… brochure năm 2022; Tổ chức
    04 hội thảo") does not. Without either: the passage's heading, the document's title,
    manifest year and date, and the text just before.
    """
    for sentence in _lead_ins(chunk, offset, index):
        named = _unit_years(_frame(sentence))
        if named:
            return named
    lead_in = index.text_of(chunk.doc_id)[max(0, offset - 1200) : offset]
    opener = _LIST_LINE.findall(lead_in)
    if opener and _unit_years(opener[-1]):  # the items after "Một số kết quả … năm 2022:" are of 2022
        return _unit_years(opener[-1])
    # else the text just before, within the passage: a year of the section before ("… brochure năm 2022"
    # under "4. Chương trình cung cấp thông tin") is not the year of "5. … tập huấn … cho 384 người"
    before = lead_in[max(0, chunk.start - (offset - len(lead_in))) :]
    return frozenset(YEAR.findall(f"{chunk.heading} {before}")) | own_years(chunk, index)


_LIST_LINE = re.compile(r"^[^\n]{0,200}:[ \t]*$", re.MULTILINE)  # a line that opens the paragraphs after it


def _frame(sentence: str) -> str:
    """The part of an earlier sentence that frames the ones after it: its opening words, before any item
    ("8 tháng năm 2023, …", "Theo báo cáo, năm 2022 tổng …", "Năm 2022, Trung tâm đã: …"), not a year
    deep inside one of its items ("Thiết kế, In ấn, phát hành … brochure … năm 2022; …")."""
    if sentence.rstrip().endswith(":"):  # a line opening a list frames all of it: "Một số kết quả … năm 2022:"
        return sentence.rstrip()[:-1]
    opening = re.split(r"[;:]\s", sentence, maxsplit=1)[0]
    return " ".join(opening.split()[:_FRAME_WORDS])


def period_of(unit: str, chunk: Chunk, offset: int, index: LoadedIndex) -> Period | None:
    """The part of a year a sentence is about ("6 tháng đầu năm"), found as its year is: in the
    sentence, its paragraph's lead-ins, the passage's heading, the document's title; None for none."""
    title = str(index.documents.get(chunk.doc_id, {}).get("title", ""))
    for text in (unit, *_lead_ins(chunk, offset, index), chunk.heading, title):
        found = period_in(text)
        if found is not None:
            return found
    return None


def _lead_ins(chunk: Chunk, offset: int, index: LoadedIndex) -> list[str]:
    """What sets the context of the sentence at `offset` in its paragraph: the lead-in of the list
    it is an item of, then the earlier sentences, nearest first."""
    text = index.text_of(chunk.doc_id)
    paragraph = max(chunk.start, text.rfind("\n", 0, offset) + 1)
    *earlier, current = _SENTENCE_END.split(text[paragraph:offset])
    return [current.split(":")[0] if ":" in current else "", *reversed(earlier)]


def own_years(chunk: Chunk, index: LoadedIndex) -> set[str]:
    """The years a document is of: its title's, its manifest year and the year of its date."""
    meta = index.documents.get(chunk.doc_id, {})
    found = set(YEAR.findall(str(meta.get("title", ""))))
    return (found | {str(meta.get("year") or ""), str(meta.get("date") or "")[:4]}) - {""}


def _referenced(sentence: str, chunk: Chunk, index: LoadedIndex) -> tuple[int, int] | None:
    """Span of the provision of the same regulation that `sentence` refers to ("quy định tại khoản 1 Điều 3")."""
    if "Điều" not in sentence or index.documents.get(chunk.doc_id, {}).get("kind") != "regulation":
        return None
    match = _REFERENCE.search(sentence)
    if match is None:
        return None
    return provision_span(index.text_of(chunk.doc_id), match.group(2), match.group(1))


def provision_span(text: str, article: str, clause: str | None = None) -> tuple[int, int] | None:
    """Character span of "Điều <article>" (or its clause) in a legal text."""
    head = re.search(rf"(?m)^Điều\s+{re.escape(article)}\b", text)
    if head is None:
        return None
    following = re.search(r"(?m)^(?:Điều\s+\d|Chương\s|Mục\s|Phụ lục)", text[head.end() :])
    end = head.end() + following.start() if following else len(text)
    if not clause:
        return head.start(), end
    body = text[head.start() : end]
    item = re.search(rf"(?m)^{re.escape(clause)}\.\s", body)
    if item is None:
        return head.start(), end
    after = re.search(r"(?m)^\d+\.\s", body[item.end() :])
    return head.start() + item.start(), head.start() + (item.end() + after.start() if after else len(body))
