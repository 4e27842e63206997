"""Compose a grounded answer from scored evidence, without a language model.

One calibrated decision (`decide`) between three outcomes, from the candidates of
evidence.py:

- direct: the first line states the asked fact (a date, an amount, có/không with the
  clause, the items of a list), then the exact quotes;
- quote: the best passage is quoted without a lead, when the exact fact is uncertain
  (no fact of the asked kind, or weak coverage);
- refuse: only when the topic is really absent (weak coverage everywhere, or a word
  that carries the question is in no passage) or the place or year asked is in none.

The thresholds are `AnswerParams`, tuned on the tune parts of the question sets.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from itertools import pairwise, takewhile

from . import vocabulary
from .acronyms import acronym_use, expansion_in
from .chunking import provision_at, provision_in
from .citations import one_per_passage
from .dates import dates_in
from .evidence import (
    ITEM_BREAK,
    PROGRAMMES,
    QUOTED_NAME,
    Candidate,
    ScoreWeights,
    enumerates,
    programmes_in,
    qualifier_agreement,
    score_candidates,
    stage_label,
)
from .indexing import LoadedIndex
from .kinds import FACT_PATTERNS, LINKING_WORD, MEASURES
from .query import Query
from .terms import Evidence, evidence_of
from .text import (
    PROVINCE_NAMES,
    fold,
    folded_compounds,
    province_info,
    province_mentions,
    provinces_in,
    split_sentences,
)
from .types import Answer, Citation, Hit

__all__ = [
    "NOT_FOUND",
    "UNSURE",
    "AnswerParams",
    "Decision",
    "compose_answer",
    "decide",
    "not_found_answer",
    "ungrounded_numbers",
]

NOT_FOUND = "Không tìm thấy thông tin này trong tài liệu."
# the quote outcome: the passage nearest the question, but not a fact stated as its answer
UNSURE = (
    "Tài liệu không nêu thẳng điều bạn hỏi: trên đây là các đoạn gần nhất với câu hỏi, xin đối chiếu lại "
    "hoặc hỏi Sở Công Thương, Trung tâm Khuyến công của tỉnh."
)

_NEGATION = re.compile(r"^(?:[^,;:]{0,40}\s)?(?:không|chưa)\b", re.IGNORECASE)
_CAUSE = re.compile(r"\b(do|vì|nguyên nhân|lý do|nên)\b", re.IGNORECASE)
# a sentence opening with "vì vậy", "do đó" … tells a consequence of the one before it, which gives the cause
_CONSEQUENCE = re.compile(r"\W*(?:vì vậy|vì thế|do vậy|do đó|bởi vậy|cho nên|thế nên|nên)\b", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"[;:]\s|,\s(?=trong đó|bao gồm)")
_LIST_OPENER = re.compile(r"(?:sau|gồm|như|bao gồm|cụ thể)\s*:?\s*$|:\s*$")
_CLAUSE_MARGIN = 0.1
_STAGE_NAMES = {"plan": "kế hoạch", "actual": "thực hiện", "": ""}
_CLAUSE_QUALIFIER = 0.2  # qualifiers (programme, plan/actual, a part) decide between the figures of one sentence


@dataclass(frozen=True)
class AnswerParams:
    """Thresholds of the decision and sizes of the answer."""

    chunks: int = 8
    refuse_below: float = 0.36  # best coverage under this: the documents do not hold the topic
    # best score under this: too weak a match to quote as an answer (chosen on the seen sets and chatset6's
    # tune part, eval/RESULTS.md: below 0.9 were 10 unanswerable and 8 answerable questions, 3 of them quoted right)
    score_floor: float = 0.9
    unknown_above: float = 0.6  # words the documents never use carry more of the question: not their topic
    rare_fact_share: float = 0.05  # ... unless the best sentence holds a fact of the kind asked that this few hold
    direct_from: float = 0.55  # coverage from which the fact leads the answer
    # a passage without the figure covering this much more of the question than the one with it: off topic
    # (chosen on the seen sets and the tune parts, eval/RESULTS.md 2026-12-03)
    topic_gap: float = 0.25
    topic_candidates: int = 6
    quote_without_fact: float = 0.9  # coverage from which a passage answering in words (Kind.in_words) is quoted
    floor_ratio: float = 0.75  # candidates this close to the best may replace it (the one naming the place/year)
    support_ratio: float = 0.9
    max_quote_chars: int = 420
    max_items: int = 8
    cause_ratio: float = 0.6
    weights: ScoreWeights = field(default_factory=ScoreWeights)


@dataclass
class Decision:
    """What the answerer decided: outcome ("direct", "quote", "refuse"), the chosen candidates, why."""

    outcome: str
    chosen: list[Candidate] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    missing: str = ""
    parts: list[tuple[Query, Candidate]] = field(default_factory=list)  # plan and actual asked apart: each's fact

    def ranked_hits(self, hits: list[Hit]) -> list[Hit]:
        """The hits in the order of their best candidate (what an LLM should read first)."""
        order: dict[str, int] = {}
        for item in self.candidates:
            order.setdefault(item.hit.chunk.id, len(order))
        return sorted(hits, key=lambda h: order.get(h.chunk.id, len(order)))


def decide(query: Query, hits: list[Hit], index: LoadedIndex, params: AnswerParams) -> Decision:
    """The calibrated decision for `query` over `hits`; plan and actual asked apart are decided apart."""
    if query.stages:
        return _decide_stages(query, hits, index, params)
    return _decide(query, hits, index, params)


def _decide_stages(query: Query, hits: list[Hit], index: LoadedIndex, params: AnswerParams) -> Decision:
    """ "kế hoạch bao nhiêu học viên, thực tế được bao nhiêu": the fact of each stage, from its own sentence."""
    asked = [replace(query, stage=stage, stages=()) for stage in query.stages]
    decisions = [_decide(part, hits, index, params) for part in asked]
    direct = [(part, d.chosen[0]) for part, d in zip(asked, decisions) if d.outcome == "direct"]
    if len(direct) < 2 or direct[0][1].start == direct[1][1].start:
        return decisions[0]  # one stage found, or one sentence holding both: the usual answer
    return Decision("direct", [c for _, c in direct], decisions[0].candidates, parts=direct)


def _decide(query: Query, hits: list[Hit], index: LoadedIndex, params: AnswerParams) -> Decision:
    if not hits or not query.terms:
        return Decision("refuse")
    candidates = score_candidates(query, hits[: params.chunks], index, params.weights)
    if not candidates:
        return Decision("refuse")
    if query.acronym:  # what an abbreviation stands for: a passage writing its words answers
        spelled = max(  # a sentence defining it ("… (CTĐP)") before one writing it, before one with its words
            (c for c in candidates if expansion_in(query.acronym, c.text)),
            key=lambda c: acronym_use(query.acronym, c.text),
            default=None,
        )
        if spelled is not None:
            return Decision("direct", [spelled], candidates)
    best = _best(query, candidates, params)
    if best is None:
        return Decision("refuse", candidates=candidates, missing=candidates[0].missing)
    if best.missing:
        return Decision("refuse", candidates=candidates, missing=best.missing)
    if _topic_absent(query, best, candidates, index, params) or best.score < params.score_floor:
        return Decision("refuse", candidates=candidates)
    if query.kind.needs_fact and not best.facts:  # a figure/date asked, and no passage near the top holds one
        if best.coverage < params.quote_without_fact or not _answers_in_words(query, best):
            # its figures are of another act: say which was asked, as typed ("con số được thưởng")
            act = f"con số được {query.predicate_typed}" if best.other_act and query.predicate_typed else ""
            return Decision("refuse", candidates=candidates, missing=act)
        return Decision("quote", [best], candidates)  # quoted without a lead
    if query.kind.needs_fact and best.facts and _fact_off_topic(best, candidates, params):
        return Decision("refuse", candidates=candidates, missing=_NO_FIGURE)
    if len(best.facts) > 1:
        first = _closest_fact(query, best)
        best.facts = [first, *(f for f in best.facts if f != first)]
    if _lists(query):
        best = _with_enumeration(best, params)
    direct = best.coverage >= params.direct_from and (bool(best.facts) or not query.kind.facts)
    rest = [c for c in candidates if c is not best]
    before = _sentence_before(best, rest) if query.kind.lead == "cause" and _CONSEQUENCE.match(best.text) else None
    if before is not None:  # "…; Bộ Công Thương đang tổng hợp hồ sơ …. Vì vậy năm 2023 không sử dụng kinh phí …"
        return Decision("direct" if direct else "quote", [before, best], candidates)  # what "vì vậy" points back to
    chosen = [best, *_supports(query, rest, best, params)]
    if query.kind.lead == "cause" and len(chosen) > 1 and not _CAUSE.search(best.text):
        chosen.reverse()  # "vì sao … triển khai chậm": the cause leads, the sentence saying what is explained follows
    return Decision("direct" if direct else "quote", chosen, candidates)


def _sentence_before(best: Candidate, candidates: list[Candidate]) -> Candidate | None:
    """The sentence just before `best` in its paragraph, among the candidates; None when there is none."""
    chunk = best.hit.chunk
    earlier = [c for c in candidates if c.hit.chunk.id == chunk.id and c.end <= best.start]
    if not earlier:
        return None
    nearest = max(earlier, key=lambda c: c.end)
    between = chunk.text[nearest.end - chunk.start : best.start - chunk.start]
    return nearest if "\n" not in between else None


_NO_FIGURE = "con số được hỏi"
_SENTENCE_CLOSE = re.compile(r"[.;!?…]\W*$")


def _lists(query: Query) -> bool:
    """Whether the answer gives items: a list asked, or a count and its items ("mấy hồ sơ, gồm những đề án gì")."""
    return query.kind.lead == "list" or (query.kind.name == "count" and query.match.items_too)


def _fact_off_topic(best: Candidate, candidates: list[Candidate], params: AnswerParams) -> bool:
    """Whether a passage near the top says what the question asks about much better than the one holding a
    figure, and neither it nor the sentences after it give one: the figure found is of something else
    ("hỗ trợ bao nhiêu cơ sở tham gia hội chợ": "Tham gia Hội chợ - triển lãm …" beside "tư vấn cho 31 cơ sở")."""
    with_fact = {(c.hit.chunk.id, c.start) for c in candidates if c.facts}
    topical = [  # a heading ("4. Chương trình cung cấp thông tin …", no full stop) has its figures in its section
        c
        for c in candidates[: params.topic_candidates]
        if not c.facts and (c.hit.chunk.id, c.start) not in with_fact and _SENTENCE_CLOSE.search(c.text)
    ]
    return any(c.coverage - best.coverage > params.topic_gap for c in topical)


def _answers_in_words(query: Query, best: Candidate) -> bool:
    """Whether a passage saying all the question says answers it without a fact of the kind asked: a
    "khi nào" by the case it names ("cha mẹ không có nghĩa vụ … khi nào"), a count by the items of the
    noun counted it lists ("bao nhiêu trình độ": "trình độ sơ cấp, trình độ trung cấp, …")."""
    if query.kind.in_words == "case":
        return True
    if query.kind.in_words == "items" and query.unit:  # the noun counted named for two items or more
        return len(re.findall(rf"\b{re.escape(query.unit)}\b", fold(best.text).lower())) >= 2
    return False


def _best(query: Query, candidates: list[Candidate], params: AnswerParams) -> Candidate | None:
    """The top candidate, or a nearly-as-strong one that names the place/year asked (and holds the fact)."""
    top = candidates[0]
    floor = params.floor_ratio * top.score
    # one that covers too little of the question to answer it does not replace the top one: the top is quoted
    # one replacing a top that lacks the place/year asked is about the same thing: it covers nearly as much
    covers = max(params.refuse_below, params.floor_ratio * top.coverage if top.missing else 0.0)
    near = [c for c in candidates if c.score >= floor and (c is top or c.coverage >= covers)]
    if top.coverage < params.refuse_below and len(near) > 1:
        near = near[1:]  # a near one covers the question: the top one, covering too little, gives way
    if query.stage is None and query.kind.facts and stage_label(fold(top.text)) == "plan":
        # a report's "Kế hoạch: …" line beside its "Thực hiện: …" one: with no stage asked, what was done answers
        done = next((c for c in near if c.facts and not c.missing and stage_label(fold(c.text)) == "actual"), None)
        if done is not None and done.hit.chunk.doc_id == top.hit.chunk.doc_id:
            return done
    preferred = (lambda c: _holds_preferred(query, c)) if query.kind.prefer_first else None
    for wanted in (
        preferred,  # "ai ký": a candidate naming a person before one naming only an office
        lambda c: not c.missing and (c.facts or not query.kind.facts),
        lambda c: not c.missing,
    ):
        found = next((c for c in near if wanted is not None and wanted(c)), None)
        if found is not None:
            return found
    return top


def _holds_preferred(query: Query, candidate: Candidate) -> bool:
    """Whether the candidate holds a fact of the kind's first fact pattern (a person, for "ai")."""
    pattern = FACT_PATTERNS[query.kind.facts[0]]
    chunk_start = candidate.hit.chunk.start
    text = candidate.hit.chunk.text
    return not candidate.missing and any(
        pattern.fullmatch(text[a - chunk_start : b - chunk_start]) for a, b in candidate.facts
    )


def _topic_absent(
    query: Query, best: Candidate, candidates: list[Candidate], index: LoadedIndex, params: AnswerParams
) -> bool:
    """Weak coverage, or the passage contradicts a word that carries the question.

    A missing detail ("bánh tráng") is no reason to refuse; a contrast is: the question
    asks "phía Bắc" and the passage says "phía Nam" (the same head word, another modifier).
    """
    if best.coverage < params.refuse_below:
        return True
    unknown = query.unknown_share > params.unknown_above
    unnamed = (query.kind.needs_fact or query.kind.lead == "list") and bool(query.unknown_asked)
    if (unknown or unnamed) and not _holds_rare_fact(query, best, index, params):
        return True  # mostly words the documents never use, or the figure or list asked is of one ("lãi suất")
    around = _around(best)
    return any(_contradicted(term, query, around) for term in query.asked)  # what excludes what is data


def _holds_rare_fact(query: Query, best: Candidate, index: LoadedIndex, params: AnswerParams) -> bool:
    """Whether the best sentence holds a fact of the kind asked that few sentences of the documents hold
    (a phone number, a person's name): then the kind found is evidence enough, whatever words of the
    question the documents never use ("liên hệ zalo sđt nào", "ai ký, chức vụ gì")."""
    if not query.kind.facts or not best.facts or query.kind.facts[0] in MEASURES:
        return False  # a figure measures something: an unknown word is what it measures ("lãi suất bao nhiêu")
    return fact_share(index, query.kind.facts[0]) < params.rare_fact_share and _holds_preferred(query, best)


_FACT_SHARES: dict[tuple[str, str, str], float] = {}
_SHARE_SAMPLE = 3000  # sentences of this many chunks at most, spread over the index


def fact_share(index: LoadedIndex, fact: str) -> float:
    """Share of the index's sentences that hold a fact of the pattern `fact` (once per generation)."""
    key = (str(index.folder), index.generation, fact)
    if key not in _FACT_SHARES:
        step = max(1, len(index.chunks) // _SHARE_SAMPLE)
        pattern = FACT_PATTERNS[fact]
        sentences = [c.text[a:b] for c in index.chunks[::step] for a, b in split_sentences(c.text)]
        held = sum(1 for sentence in sentences if pattern.search(sentence))
        _FACT_SHARES[key] = held / len(sentences) if sentences else 1.0
    return _FACT_SHARES[key]


def _contradicted(term: str, query: Query, around: Evidence) -> bool:
    """The passage follows the question's head word with a word that excludes the asked one
    ("phía Nam" for "phía Bắc", "đợt 1" for "đợt 2", "6 tháng đầu" for "6 tháng cuối").

    What excludes what is data (vocab/contrasts.json): another word after the same head is
    no contradiction by itself ("đào tạo nghề" does not contradict "đào tạo thêm thợ").
    """
    if around.has(term):
        return False
    phrases = {w for group in vocabulary.contrasts("phrases") if term in group for w in group} - {term}
    if any(f" {phrase} " in around.joined for phrase in phrases):
        return True  # a whole phrase excludes the asked one wherever it stands ("trong nước" / "nước ngoài")
    words = term.split()
    for position, word in enumerate(words):
        rivals = {w for group in vocabulary.contrasts() if word in group for w in group} - {word}
        if not rivals or " ".join(words[position : position + 2]) in folded_compounds():
            continue  # the "trung" of "trung tâm" is no direction: it opens a word
        if position:
            heads = [words[position - 1]]
        else:
            heads = [p.split("_")[0] for p in query.bigrams if p.endswith(f"_{word}") and p.split("_")[0].isalpha()]
        for head in heads:
            if f" {head} {word} " in around.joined:
                continue
            if any(f" {head} {rival} " in around.joined for rival in rivals):
                return True
    return False


def _around(item: Candidate) -> Evidence:
    chunk = item.hit.chunk
    lead = max(chunk.start, item.start - 300)
    return evidence_of(" ".join([chunk.heading, chunk.text[lead - chunk.start : item.end - chunk.start]]))


def _supports(query: Query, rest: list[Candidate], best: Candidate, params: AnswerParams) -> list[Candidate]:
    """More quotes: a list's items, a why-question's cause, or one more sentence as strong as the best."""
    items = _list_items(best, params) if _lists(query) else []
    if items or query.kind.lead == "list":
        return items  # a count without items after it has the supports of any fact
    if query.kind.lead == "cause" and not _CAUSE.search(best.text):
        for item in rest:
            if item.score < params.cause_ratio * best.score:
                break
            if item.hit.chunk.id == best.hit.chunk.id and _CAUSE.search(item.text):
                return [item]
    for item in rest:
        if item.score < params.support_ratio * best.score:
            break
        overlaps = item.hit.chunk.doc_id == best.hit.chunk.doc_id and item.start < best.end and best.start < item.end
        if not overlaps and (not query.kind.facts or item.facts):
            return [item]
    return []


def _with_enumeration(best: Candidate, params: AnswerParams) -> Candidate:
    """A sentence naming the topic ("Hỗ trợ xây dựng các mô hình …."), extended by the next one of its
    paragraph when that one lists the items and it does not; an item ending in ";", by the items after it."""
    chunk = best.hit.chunk
    if _LIST_OPENER.search(best.text.rstrip()):
        return best  # its items are lines of their own (_list_items)
    paragraph = chunk.text[best.end - chunk.start :].split("\n", 1)[0]
    following = split_sentences(paragraph, best.end)
    end = best.end
    if best.text.rstrip().endswith(";"):  # "… 04 hồ sơ đề án: “A”; “B”; “C”": the items run on
        for start, stop in following[: params.max_items]:
            end = stop
            if not chunk.text[start - chunk.start : stop - chunk.start].rstrip().endswith(";"):
                break
    elif following and not enumerates(best.text):
        start, stop = following[0]
        if enumerates(chunk.text[start - chunk.start : stop - chunk.start]):
            end = stop
    return replace(best, end=end) if end != best.end else best


def _list_items(best: Candidate, params: AnswerParams) -> list[Candidate]:
    """The items after a sentence that opens a list ("… 6 lĩnh vực sau:"), each a candidate."""
    chunk = best.hit.chunk
    if not _LIST_OPENER.search(best.text.rstrip()):
        return []
    after = chunk.text[best.end - chunk.start :]
    items: list[Candidate] = []
    for start, end in split_sentences(after, best.end):
        piece = chunk.text[start - chunk.start : end - chunk.start]
        line_start = start == chunk.start or chunk.text[start - chunk.start - 1] == "\n"
        if line_start and len(piece) > 15:
            items.append(Candidate(best.hit, best.rank, start, end, best.score, best.coverage))
        if len(items) >= params.max_items:
            break
    return items


def _closest_fact(query: Query, best: Candidate) -> tuple[int, int]:
    """The fact whose own clause holds the question's words and qualifiers.

    Facts in different clauses (split at ";" and ":") each own their clause; otherwise
    each owns the text from the end of the previous fact to its own end. Words before
    the first fact are the sentence's subject, shared by all its facts.
    """
    facts = sorted(best.facts)
    sentence, base = best.text, best.start
    relative = [(a - base, b - base) for a, b in facts]
    if query.kind.owns_after:  # each fact owns the words up to the next one
        shared = Evidence("")
        owned = [
            sentence[a : (relative[i + 1][0] if i + 1 < len(relative) else len(sentence))]
            for i, (a, _) in enumerate(relative)
        ]
        owned = [
            text if "(" not in text[:40] else text.split("(")[0] for text in owned
        ]  # an aside is not its description
    else:  # the words just before the first fact, after the last comma or clause break, are its own
        cut = _subject_end(sentence, relative[0][0])
        shared = Evidence(sentence[:cut])
        measured = bool(query.kind.facts) and query.kind.facts[0] in MEASURES  # a figure; a name is not completed
        owned = [sentence[max(a, cut) : b] for a, b in _owned_spans(sentence, relative, measured)]

    def weight(text: str) -> float:
        own = Evidence(text)
        words = sum(w for t, w in query.terms.items() if own.has(t) and not shared.has(t) and t not in query.trailing)
        total = sum(query.terms.values()) or 1.0
        # with no programme asked, a clause of one is a part ("trong đó: Kinh phí KCQG …"), not the figure asked
        part = 0.5 if query.programme is None and programmes_in(fold(text)) else 0.0
        return words / total + _CLAUSE_QUALIFIER * (qualifier_agreement(query, fold(text)) - part)

    scores = [weight(text) for text in owned]
    chosen = max(range(len(facts)), key=lambda i: (scores[i], -i))
    return facts[chosen] if scores[chosen] > scores[0] + _CLAUSE_MARGIN else facts[0]


def _subject_end(sentence: str, first_fact: int) -> int:
    """Where the subject shared by all the facts ends: the last comma or clause break before the first fact."""
    head = sentence[:first_fact]
    breaks = [m.end() for m in _CLAUSE_BREAK.finditer(head)] + [head.rfind(", ") + 1]
    return max(breaks)


def _owned_spans(sentence: str, facts: list[tuple[int, int]], measured: bool = True) -> list[tuple[int, int]]:
    """The span each fact owns: its clause when every fact has its own, else the text since the previous fact
    (and, for a figure, the words after it that complete it).

    Labelled values ("Long Xuyên: 2 cơ sở, …, Chợ Mới: 3 cơ sở") own their label, which ends the clause before.
    """
    bounds = [0, *(m.end() for m in _CLAUSE_BREAK.finditer(sentence)), len(sentence)]
    clause_ids = [max(i for i, b in enumerate(bounds[:-1]) if b <= start) for start, _ in facts]
    labelled = sum(1 for start, _ in facts if sentence[:start].rstrip().endswith(":"))
    if len(set(clause_ids)) == len(facts) and labelled < 2:
        return [(bounds[i], bounds[i + 1]) for i in clause_ids]
    # the words after a figure up to the next comma complete it ("41,8% kế hoạch năm", "tăng 9,57% so với
    # kế hoạch năm 2022"); the rest since the previous figure is its own too
    if not measured:
        return [(0, facts[0][1]), *((previous[1], fact[1]) for previous, fact in pairwise(facts))]
    ends = [_completed_at(sentence, b, nxt[0]) for (_, b), nxt in zip(facts, [*facts[1:], (len(sentence), 0)])]
    return list(zip([0, *ends[:-1]], ends))


_COMPLETION_END = re.compile(r"[,;:.](?=\s|$)|\s(?:và|còn|trong đó|nhưng)\s")  # "… 2.515 triệu đồng và kinh phí …"


def _completed_at(sentence: str, end: int, limit: int) -> int:
    """Where the words completing a figure that ends at `end` stop: the next comma, clause break or
    conjunction, or the next figure (`limit`)."""
    found = _COMPLETION_END.search(sentence, end, limit)
    return found.start() if found else limit


# ------------------------------------------------------------------ rendering
def compose_answer(
    query: Query, hits: list[Hit], index: LoadedIndex, params: AnswerParams | None = None, today: dt.date | None = None
) -> Answer:
    """The extractive answer to `query` from `hits`, or an honest not-found."""
    params = params or AnswerParams()
    decision = decide(query, hits, index, params)
    return render(query, decision, hits, index, params, today or dt.date.today())


def render(
    query: Query, decision: Decision, hits: list[Hit], index: LoadedIndex, params: AnswerParams, today: dt.date
) -> Answer:
    """The answer text and citations for a decision."""
    if decision.outcome == "refuse":
        return not_found_answer(index, hits, decision.missing)
    chosen = decision.chosen
    citations = [_citation(query, item, index, params) for item in chosen]
    referred = _referenced_citation(chosen[0], citations, index, params)
    if decision.parts:  # "Kế hoạch: 300 lượt học viên; thực hiện: 274 học viên."
        leads = [_lead(q, [c], [citations[i]], index, today).rstrip(".") for i, (q, c) in enumerate(decision.parts)]
        lead = "; ".join(f"{_STAGE_NAMES[q.stage or '']}: {text}" for (q, _), text in zip(decision.parts, leads))
        lead = lead[:1].upper() + lead[1:] + "."
    else:
        lead = _lead(query, chosen, citations, index, today) if decision.outcome == "direct" else ""
    sources, numbers = one_per_passage(citations, index.text_of)  # two sentences of one passage: one source
    quotes = [f"“{_ellipsis(c, chosen[i])}” [{numbers[i]}]" for i, c in enumerate(citations)]
    if referred is not None:  # "Nội dung quy định tại khoản 1 Điều 3: …": what khoản 1 Điều 3 says, quoted too
        sources.append(referred)
        quotes.append(f"{referred.locator}: “{referred.quote}” [{len(sources)}]")
    lines = [lead, *quotes] if lead else quotes
    notes = [_province_note(query, chosen[0], index), UNSURE if decision.outcome == "quote" else ""]
    return Answer(answer="\n".join([*lines, *filter(None, notes)]), found=True, citations=sources)


def _lead(query: Query, chosen: list[Candidate], citations: list[Citation], index: LoadedIndex, today: dt.date) -> str:
    best = chosen[0]
    style = query.kind.lead
    spelled = expansion_in(query.acronym, best.text) if query.acronym else None
    if spelled is not None:
        return f"{spelled[0]} là viết tắt của {spelled[1]}."
    if style == "yesno":
        clause = _best_clause(query, citations[0].quote)
        return ("Không: " if _denies(query, clause) else "Có: ") + _with_listed_province(query, clause, best.text)
    # a count whose sentence runs on with its items ("04 hồ sơ đề án: “A”; “B”") gives them; else the count alone
    listed = (
        _list_lead(query, best, citations, index) if style == "list" or (_lists(query) and len(chosen) == 1) else ""
    )
    if listed or style == "list":
        return listed
    if style in ("quote", "cause") or not best.facts:
        return ""
    text, base = best.hit.chunk.text, best.hit.chunk.start
    fact = best.facts[0]
    phrase = _completed(
        query, text[fact[0] - base : fact[1] - base].strip(), text[fact[1] - base : fact[1] - base + 40]
    )
    phrase = _with_complement(query, phrase, text[best.start - base : fact[0] - base], text[fact[1] - base :])
    lead = phrase[:1].upper() + phrase[1:] + "."
    if query.yes_no_too:  # "… có xét danh hiệu thợ giỏi ko, được mấy người": the yes or no first
        lead = ("Không, " if _denies(query, best.text) else "Có, ") + phrase + "."
    extra = _other_facts(query, best, fact)
    if extra:
        lead = lead[:-1] + "; " + "; ".join(extra) + "."
    if query.kind.name == "deadline":
        lead += _passed_note(phrase, today)
    return lead


_NEGATED_SCOPE = re.compile(r"\b(?:khong|chua)\b[^.;]*$")


def _with_listed_province(query: Query, clause: str, sentence: str) -> str:
    """The clause naming the province asked about when the sentence lists it beyond the clause ("… bố trí kinh
    phí từ ngân sách địa phương cho hoạt động khuyến công: Đồng Nai, …, Đồng Tháp": "…, trong đó có Đồng Tháp")."""
    named = dict(province_mentions(sentence))
    listed = [named[key] for key in query.provinces if key in named and key not in provinces_in(clause)]
    if not listed:
        return clause
    return f"{clause.rstrip('.;:,')}, trong đó có {', '.join(listed)}."


def _denies(query: Query, clause: str) -> bool:
    """Whether the clause answers the yes/no question with a no: it opens with a negation, or the
    programme asked ("KCĐP hỗ trợ hả") is named only under a negation or not at all, and the other
    one is ("… từ nguồn kinh phí khuyến công quốc gia")."""
    if _NEGATION.search(clause):
        return True
    if query.programme not in PROGRAMMES:
        return False
    folded = fold(clause)
    other = "local" if query.programme == "national" else "national"
    asked = [m.start() for m in PROGRAMMES[query.programme].finditer(folded)]
    affirmed = [at for at in asked if not _NEGATED_SCOPE.search(folded[:at])]
    return bool(PROGRAMMES[other].search(folded)) and not affirmed


def _completed(query: Query, phrase: str, following: str) -> str:
    """The fact with the rest of a question word it cuts ("ba nhà cung" + "cấp" for "mấy nhà cung cấp")."""
    words = [w.strip(",.;:()") for w in following.split()[:2]]
    for size in (2, 1):
        longer = " ".join([phrase, *words[:size]])
        tail = fold(longer).split()
        if any(
            " " in t and fold(phrase).split()[-1] == t.split()[0] and " ".join(tail[-size - 1 :]) == t
            for t in [*query.terms, query.unit]  # the unit counted is a question word too ("bao nhiêu học viên")
        ):
            return longer.rstrip(",.;:")
    if query.unit and fold(phrase).endswith(query.unit):  # the question's noun goes on: "mấy hồ sơ đề án"
        asked = f" {fold(query.asked_expanded)} "
        noun = list(takewhile(lambda word: not LINKING_WORD.fullmatch(word), words))  # not "… được công"
        return _run_on(phrase, noun, lambda more: f" {query.unit} {more} " in asked)
    if query.kind.name == "person" and not FACT_PATTERNS["person"].match(phrase):
        # "ai phong tặng": an office with the act asked ("UBND tỉnh phong tặng"); a person's name stands alone
        return _run_on(phrase, words, lambda more: more in query.asked)
    return phrase


def _run_on(phrase: str, words: list[str], wanted: Callable[[str], bool]) -> str:
    """The phrase with the next two words, or the next one, when `wanted` accepts them (folded); else itself."""
    for size in (2, 1):
        if len(words) >= size and wanted(fold(" ".join(words[:size]))):
            return " ".join([phrase, *words[:size]])
    return phrase


# what a sentence attaches to a fact: "(7 sản phẩm)", ", với 15 sản phẩm"; a label before it: "Chợ Mới: "
_COMPLEMENT = re.compile(r"\s*(?:\((\d[^()]{0,40})\)|,\s+((?:với|gồm)\s+\d[^,;.()]{0,40}))")
_LABEL = re.compile(r"(?:^|[,;]\s)([^,;:]{2,40}):\s*$")
# the words that make a figure a bound or an estimate, in groups that say the same ("tối đa" = "không quá")
_BOUNDS = (("tối đa", "không quá", "lên tới"), ("trên", "hơn", "tối thiểu"), ("khoảng", "ước", "ước tính", "gần"))
_APPROXIMATE = re.compile(
    r"(?<!\w)(" + "|".join(sorted((w for g in _BOUNDS for w in g), key=len, reverse=True)) + r")\s*$", re.I
)


def _bound_asked(query: Query, word: str) -> bool:
    """Whether the question already says the figure is such a bound ("tối đa bao nhiêu" for "không quá …")."""
    group = next((g for g in _BOUNDS if word.lower() in g), (word.lower(),))
    asked = f" {fold(query.text).lower()} "
    return any(f" {fold(w)} " in asked for w in group)


def _with_complement(query: Query, phrase: str, before: str, after: str) -> str:
    """The fact with what the sentence attaches to it: a count's other count ("13 cơ sở, với 15 sản
    phẩm", "05 cơ sở CNNT (7 sản phẩm)"), the word that makes a figure a bound or an estimate ("trên
    330 tỷ đồng"), and a label the question names ("Chợ Mới: 3 cơ sở")."""
    attached = _COMPLEMENT.match(after)
    if attached and query.kind.name == "count":
        phrase += f" ({attached.group(1)})" if attached.group(1) else f", {attached.group(2).rstrip()}"
    bound = _APPROXIMATE.search(before)
    if bound and phrase[:1].isdigit() and not _bound_asked(query, bound.group(1)):
        phrase = f"{bound.group(1).lower()} {phrase}"
    label = _LABEL.search(before)
    if label and set(fold(label.group(1)).lower().split()) <= query.words:
        phrase = f"{label.group(1).strip()}: {phrase}"
    return phrase


def _other_facts(query: Query, best: Candidate, primary: tuple[int, int]) -> list[str]:
    """Facts for the other parts of a two-part question ("… bao nhiêu tỷ, đạt bao nhiêu %"), from the same sentence."""
    text = best.text
    out = []
    for kind in query.match.also:
        for name in kind.facts:
            found = [m for m in FACT_PATTERNS[name].finditer(text) if m.start() + best.start >= primary[1]]
            found = found or [m for m in FACT_PATTERNS[name].finditer(text) if m.end() + best.start <= primary[0]]
            if found:
                out.append(found[0].group(0).strip())
                break
    return [o for o in dict.fromkeys(out) if o not in text[primary[0] - best.start : primary[1] - best.start]]


_OPENERS = r"\bnhư|\bgồm|\bbao gồm|\bsau"
_INLINE_LIST = re.compile(rf"(?:{_OPENERS})\s*:?\s+|:\s+")
_INLINE_PLACES = re.compile(rf"(?:{_OPENERS}|\btại|\bở)\s*:?\s+|:\s+")  # "… tại: An Giang, …"


def _list_lead(query: Query, best: Candidate, citations: list[Citation], index: LoadedIndex) -> str:
    """The items: the lines after an opening sentence, the places a sentence names, or what follows its colon."""
    if len(citations) > 1:
        items = [_first_clause(c.quote) for c in citations[1:]]
        counted = _counted(query, citations[0].quote)
        return (f"{counted}, gồm: " if counted else "Gồm: ") + "; ".join(i.rstrip(".…") for i in items) + "."
    text = _listing_part(citations[0].quote)
    if query.asks_places:
        asked = set(query.provinces) | set(_provinces_in_meta(best, index))
        places = [name for key, name in province_mentions(text) if key not in asked]
        if places:
            return "Gồm: " + ", ".join(dict.fromkeys(places)) + "."
    titles = QUOTED_NAME.findall(text)
    if len(titles) >= 2:  # items named in quotes: đề án “A” và “B”
        counted = _counted(query, text[: text.index("“")])
        names = "; ".join(f"“{t.strip()}”" for t in dict.fromkeys(titles))
        return (f"{counted}, gồm: " if counted else "Gồm: ") + names + "."
    opener = None
    for found in (_INLINE_PLACES if query.asks_places else _INLINE_LIST).finditer(text):
        if len(text) - found.end() > 20:
            opener = found
            break
    if opener is None and not enumerates(text):
        return ""  # a sentence that lists nothing: quoted, no items made up from it
    counted = _counted(query, text[: opener.start()] if opener else "")
    return (f"{counted}, gồm: " if counted else "Gồm: ") + _first_clause(text[opener.end() :] if opener else text, 260)


def _counted(query: Query, lead_in: str) -> str:
    """How many items the lead-in says there are, of a noun the question names ("05 nội dung")."""
    for found in FACT_PATTERNS["count"].finditer(lead_in):
        words = fold(found.group(0)).lower().split()[1:]
        if words and words[0] in query.words:
            return _completed(query, found.group(0).strip(), lead_in[found.end() : found.end() + 40])
    return ""


def _listing_part(quote: str) -> str:
    """The quote from the sentence that opens its items ("… 04 hồ sơ đề án: “A”; “B”; …"), or else its
    sentence with the most items ("Hỗ trợ … . Lựa chọn … chế biến …, mô hình …; mô hình …")."""
    spans = split_sentences(quote) or [(0, len(quote))]
    if len(spans) > 2:  # items that are sentences of their own, after one that opens them with a colon
        opening = next((a for a, b in spans if ":" in quote[a:b]), None)
        if opening is not None:
            return quote[opening:]
    sentences = [quote[a:b] for a, b in spans]
    return max(sentences, key=lambda t: (len(ITEM_BREAK.findall(t)), -sentences.index(t)))


def _provinces_in_meta(best: Candidate, index: LoadedIndex) -> list[str]:
    """The province the cited document is about (it is not one of the listed places)."""
    return provinces_in(str(index.documents.get(best.hit.chunk.doc_id, {}).get("province") or ""))


def _best_clause(query: Query, quote: str, limit: int = 200) -> str:
    """The part of `quote` that holds most of the question (the supported item, not the sentence's
    opening): the best of its ";"/":" items, and when that is long, the commas around its best
    phrase, growing to the left first (where the item's head noun is: "Đổi mới máy móc thiết bị,
    …, tiết kiệm năng lượng")."""
    text = " ".join(quote.split())
    if len(text) <= limit:
        return text.rstrip(".;:") + "."
    total = sum(query.terms.values()) or 1.0

    def fit(piece: str) -> float:
        evidence = Evidence(piece)
        return sum(w for t, w in query.terms.items() if evidence.has(t)) / total

    items = [p.strip() for p in re.split(r"(?<=[;:])\s+", text) if p.strip()]
    item = max(items, key=lambda p: (fit(p), -items.index(p)))
    if len(item) <= limit:
        return item.rstrip(".;:,") + "."
    phrases = [p.strip() for p in re.split(r"(?<=,)\s+", item) if p.strip()]
    low = high = max(range(len(phrases)), key=lambda i: (fit(phrases[i]), -i))
    while True:
        grown = [(low - 1, high)] if low > 0 else []
        grown += [(low, high + 1)] if high + 1 < len(phrases) else []
        fitting = [(a, b) for a, b in grown if len(" ".join(phrases[a : b + 1])) <= limit]
        if not fitting:
            break
        low, high = fitting[0]
    return _first_clause(" ".join(phrases[low : high + 1]), limit)


def _first_clause(quote: str, limit: int = 160) -> str:
    """The quote's first sentence, cut at a clause break when long."""
    text = " ".join(quote.split())
    if len(text) <= limit:
        return text.rstrip(".;:, ") + "."
    cut = max(text.rfind(mark, 0, limit) for mark in (";", ",", ":"))
    if cut < 40:
        cut = text.rfind(" ", 0, limit)
    return text[:cut].rstrip(".;:, ") + "…"


def _passed_note(phrase: str, today: dt.date) -> str:
    """ " Hạn này đã qua (…)." when the date is before today."""
    when = next((d.date() for d, _, _ in dates_in(phrase) if d.year), None)
    if when is None or when >= today:
        return ""
    return " Hạn này đã qua."


def _province_note(query: Query, best: Candidate, index: LoadedIndex) -> str:
    """Which province a document was about, when the question uses a name that merged into it in 2025."""
    meta = index.documents.get(best.hit.chunk.doc_id, {})
    cited = set(provinces_in(f"{meta.get('province') or ''} {best.text}"))
    for key in query.provinces:
        info = province_info(key)
        if info and info.merged_into and key not in cited and fold(info.merged_into) in cited:
            since = info.merged_from or "2025"
            return (
                f"Lưu ý: {info.name} nhập vào tỉnh/thành {PROVINCE_NAMES.get(fold(info.merged_into), info.merged_into)}"
                f" từ {since}; tài liệu trích ở trên nói về {info.merged_into} trước khi hợp nhất."
            )
    return ""


def _referenced_citation(
    best: Candidate, citations: list[Citation], index: LoadedIndex, params: AnswerParams
) -> Citation | None:
    """A citation of the provision the best sentence refers to, unless it is already quoted."""
    if best.reference is None:
        return None
    start, end = best.reference
    text = index.text_of(best.hit.chunk.doc_id)
    quote = text[start:end].strip()
    start += len(text[start:end]) - len(text[start:end].lstrip())
    if len(quote) > params.max_quote_chars:
        quote = quote[: params.max_quote_chars].rsplit(" ", 1)[0]
    if any(c.doc_id == best.hit.chunk.doc_id and c.start <= start < c.end for c in citations):
        return None
    meta = index.documents.get(best.hit.chunk.doc_id, {})
    provision = provision_in(text, start)  # the provision referred to, as every other citation carries its own
    locator = str(provision) if provision else best.hit.chunk.locator
    title = meta.get("title", best.hit.chunk.doc_id)
    score = citations[0].score
    return Citation(best.hit.chunk.doc_id, title, locator, quote, score, start, start + len(quote), provision)


def _citation(query: Query, item: Candidate, index: LoadedIndex, params: AnswerParams) -> Citation:
    chunk = item.hit.chunk
    start, end = _trim(query, item, params.max_quote_chars)
    quote = chunk.text[start - chunk.start : end - chunk.start]
    meta = index.documents.get(chunk.doc_id, {})
    locator = chunk.locator
    if meta.get("kind") == "regulation":  # a window of an article: name the clause the quote is in
        locator = provision_at(index.text_of(chunk.doc_id), start) or locator
    score = max(0.01, min(1.0, item.score))
    title = meta.get("title", chunk.doc_id)
    return Citation(chunk.doc_id, title, locator, quote, score, start, end, chunk.provision)  # the same article


def _trim(query: Query, item: Candidate, limit: int) -> tuple[int, int]:
    """Cut a long sentence to a window around its first fact, or, with none, around the item that holds
    most of the question ("…; tư vấn hỗ trợ xây dựng và nộp hồ sơ đăng ký nhãn hiệu cho 05 cơ sở"),
    at word boundaries."""
    start, end = item.start, item.end
    if end - start <= limit:
        return start, end
    text, base = item.hit.chunk.text, item.hit.chunk.start
    anchor = item.facts[0][0] if item.facts else _best_item_start(query, text[start - base : end - base]) + start
    window_start = max(start, anchor - limit // 3)
    window_end = min(end, window_start + limit)
    while window_start > start and not text[window_start - base - 1].isspace():
        window_start += 1
    while window_end < end and not text[window_end - base].isspace():
        window_end -= 1
    return window_start, window_end


def _best_item_start(query: Query, sentence: str) -> int:
    """Offset of the ";"-item of `sentence` holding most of the question's weight (the first among equals)."""
    starts = [0, *(m.end() for m in re.finditer(r";\s+", sentence))]
    pieces = [sentence[a:b] for a, b in zip(starts, [*starts[1:], len(sentence)])]
    weights = [sum(w for t, w in query.terms.items() if evidence.has(t)) for evidence in map(Evidence, pieces)]
    return starts[max(range(len(pieces)), key=lambda i: (weights[i], -i))]


def _ellipsis(citation: Citation, item: Candidate) -> str:
    prefix = "…" if citation.start > item.start else ""
    suffix = "…" if citation.end < item.end else ""
    return f"{prefix}{citation.quote}{suffix}"


def not_found_answer(index: LoadedIndex, hits: list[Hit], missing: str = "") -> Answer:
    """The honest refusal, with where to look."""
    lines = [NOT_FOUND]
    if missing:
        lines.append(f"Đoạn khớp nhất với câu hỏi không nói về {missing}.")
    titles = [d.get("title", doc_id) for doc_id, d in index.documents.items()]
    lines.append("Các tài liệu hiện có gồm: " + "; ".join(titles) + ".")
    if hits:
        top = hits[0].chunk
        title = index.documents.get(top.doc_id, {}).get("title", top.doc_id)
        lines.append(f"Đoạn gần nhất có thể tham khảo: {title} ({top.locator}).")
    lines.append("Có thể hỏi Sở Công Thương hoặc Trung tâm Khuyến công của tỉnh để biết thêm.")
    return Answer(answer="\n".join(lines), found=False, citations=[])


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def ungrounded_numbers(answer: str, citations: list[Citation]) -> list[str]:
    """Numbers in `answer` that appear in none of the cited quotes (must be empty)."""
    quoted = " ".join(c.quote for c in citations)
    known = set(_NUMBER.findall(quoted))
    markers = {str(i) for i in range(1, len(citations) + 1)}
    return [n for n in _NUMBER.findall(answer) if n not in known and n not in markers]
