"""`Query`: everything the pipeline needs to know about a question, worked out once.

The question as typed goes through one path: chat forms spelled out (vocab/chat.json),
abbreviations the lexicon lacks read from the documents (acronyms.py),
diacritics restored for the words typed without them, the asked kind found in the
registry (kinds.py), the user's own situation ("em có xưởng … ở xã …") set apart from
what is asked, topic terms weighted by rarity (situation and filler words count little),
and the qualifiers that select one figure among neighbours: province, year, national
or local programme, plan or actual, one province or the whole region, a total.
Retrieval, relations, answering and the LLM step all read the same `Query`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import pairwise

from . import vocabulary
from .acronyms import acronym_asked, expand_acronyms
from .indexing import LoadedIndex
from .kinds import Kind, KindMatch, detect_kind, strip_cues
from .legal import asked_document
from .periods import Period, asked_period
from .terms import term_weights, topic_words, unknown_terms
from .text import (
    ABBREVIATIONS,
    NOUN_TAGS,
    STOPWORDS,
    UPPER_LETTER,
    YEAR,
    compared_years,
    compound_words,
    expand_abbreviations,
    fold,
    has_diacritics,
    lexical_tokens,
    province_info,
    provinces_in,
    tagged_words,
)

__all__ = ["Query", "build_query"]

SITUATION_WEIGHT = 0.15
_CLAUSE = re.compile(r"\s*(?:[,.;!?\n]+|\s(?:thì|mà|nên|nhưng)\s)\s*")
# The user speaking of themself: a pronoun (chat writes "e", "a", "c", "mk" for em, anh, chị, mình), alone or
# after what they own ("xưởng em", "htx e", "cơ sở của tôi").
_PRONOUN = r"(?:em|tôi|mình|chúng tôi|chúng em|anh|chị|e|a|c)"
_OWNED = r"(?:cơ sở|xưởng|công ty|doanh nghiệp|hợp tác xã|htx|nhà|gia đình|hộ|cửa hàng|tiệm|sản phẩm|sp)"
_PERSONAL = re.compile(
    rf"(?<!\w)(?:em|tôi|mình|chúng tôi|chúng em|bên em|gia đình|{_OWNED}(?: sản xuất)? (?:của )?{_PRONOUN}"
    rf"|của [eac]|^[eac])(?!\w)",
    re.IGNORECASE,
)
_OWN_FACILITY = re.compile(  # folded: the restorer may read "e co xuong" as "e cơ xuong"
    fold(
        rf"(?<!\w)(?:{_OWNED}(?: sản xuất)? (?:của )?{_PRONOUN}"
        rf"|{_PRONOUN} (?:có|đang có|mở|làm chủ) (?:1 |một )?{_OWNED})(?!\w)"
    ),
    re.IGNORECASE,
)
_PERSONAL_SUBJECT = re.compile(rf"(?<!\w){_OWNED}(?: sản xuất)? (?:của )?{_PRONOUN}(?!\w)", re.IGNORECASE)
# Where the user is: a pronoun, "ở"/"tại" and a name typed with capitals ("e ở Trảng Bom", "mình tại Phú Tân").
_WHERE_USER_IS = re.compile(
    rf"(?<!\w)(?i:{_PRONOUN}|{_OWNED} (?:của )?{_PRONOUN}) (?i:ở|o|tại|tai) "
    rf"(?:{UPPER_LETTER}[^\W\d_]*(?:\s+|$|(?=[,.;!?]))){{1,4}}"
)
# A clause naming the programme, a year or a province qualifies the question even in a personal message.
_QUALIFYING = re.compile(r"\b(?:kcqg|kcdp|khuyen cong|quoc gia|dia phuong|(?:19|20)\d{2})\b")
# A clause saying what the user wants to do is what they ask about ("muốn mở lớp dạy nghề").
# a noun pointing back to what the user told of their case: "mảng này", "khoản này", "việc đó"
_ANAPHOR = re.compile(
    r"\b(?:mang|khoan|viec|loai|linh vuc|nganh|san pham|muc|cai|vu)\s+(?:nay|do|ay)\b"
    # ... or to the place they told: "nhà e ở Chợ Mới, … ở huyện e được kiểm tra mấy cơ sở"
    r"|\b(?:huyen|xa|tinh|thanh pho|thi xa|phuong|dia phuong)\s+(?:e|em|minh|toi|chung toi)\b"
)
# "để em …": why the user asks ("cho em …" is a request, "cho em hỏi …", not a purpose)
_PURPOSE = re.compile(r"de\s+(?:e|em|minh|toi|a|anh|c|chi|chung toi|chung em)\s", re.IGNORECASE)
_WANTS = re.compile(r"\b(?:muon|dinh|can|xin|du dinh|tinh|mong|de nghi)\b")
# an option of a multiple-choice question: "A. …", "b) …" on a line of its own
_OPTION_LINE = re.compile(r"^\s*([A-Ha-h])\s*[.)]\s+(\S.*?)\s*$")
# "qđ 1994", "công văn 7386": a number after a document's type is its number, not a year
_DOC_NUMBER_TYPED = re.compile(
    r"(?:quyết định|công văn|nghị định|thông tư|báo cáo|văn bản|số)\s+(?:số\s+)?\d+", re.IGNORECASE
)
# "không tính vốn đối ứng", "ngoài …", "trừ …": a part the figure asked leaves out
_EXCLUDING = re.compile(r"(?:khong tinh|ko tinh|khong ke|khong gom|\btru\b|\bngoai\b)\s+([^,.;?()]+)")
# "tính chung cả phần đối ứng", "kể cả …": the sum is asked, the part named is in it
_INCLUDING = re.compile(r"\b(?:tinh chung ca|tinh chung|tinh ca|ke ca|bao gom ca|gom ca)\b")
# "do đơn vị nào tổ chức", "do ai chủ trì": the agent of a verb is asked
_AGENT_ASKED = re.compile(
    r"\bdo (?:ai|don vi nao|co quan nao|to chuc nao|ben nao|noi nao) ((?:[a-z]+ ?){1,3}?)\s*(?:[?,.]|$)"
)
# "ai trình bày …", "đơn vị nào chủ trì …": the subject of the verb that follows is asked
_WHO_ASKED = re.compile(
    r"\b(?:ai|don vi nao|co quan nao|to chuc nao)\s+(?:(?:se|da|dang|phai|can|la nguoi|duoc|co trach nhiem)\s+)*"
    r"(?:(?:dong|cung)\s+)?"  # "ai đồng chủ trì", "đơn vị nào cùng tổ chức": the verb after the prefix
)
_BARE_VERBS = frozenset({"la", "co", "duoc", "lam", "phai"})
_PLACE_NOUNS = re.compile(r"tinh|dia phuong|huyen|noi|dau|thanh pho")
_ARTICLE = re.compile(r"\bdieu\s+(\d+[a-z]?)\b")
# "qđ 1994", "công văn số 400", "bc 581": a document the question names by its number
_NAMED_DOCUMENT = re.compile(
    r"\b(?:quyet dinh|qd|cong van|cv|van ban|nghi dinh|nd|thong tu|bao cao|bc|ke hoach|kh|thong bao|tb)"
    r"\s+(?:so\s+)?(\d{2,6})\b"
)
_FIGURES = frozenset({"money", "count", "percent", "amount"})  # plan or actual selects between figures only
_AMOUNT_KINDS = frozenset({"money", "percent"})  # an amount "được <act>": given by that act
_YEAR_OR_DATE = re.compile(r"nam|(?:19|20)\d{2}|date:.*")  # terms that name no topic
_GENERIC_SHARE = 0.4  # a term in more passages than this names no topic of its own
_FOLDED_ABBREVIATIONS = frozenset(fold(abbreviation) for abbreviation in ABBREVIATIONS)
_AMOUNT_TAGS = frozenset({"P", "M"})  # "bao nhiêu", "mấy", a number: the amount asked
_STAGE_WORDS = frozenset({"ke hoach", "du kien", "thuc hien", "thuc te", "chi tieu"})
# Qualifiers, read on the folded text. Each says which of several neighbouring figures is asked for.
_NATIONAL = vocabulary.qualifier("national", "question")
_LOCAL = vocabulary.qualifier("local", "question")
_PLAN = vocabulary.qualifier("plan", "question")
_HOW_MANY = re.compile(r"\b(?:bao nhieu|may)\b(?! moc| thiet)")
_ACTUAL = vocabulary.qualifier("actual", "question")
_REGION = vocabulary.qualifier("region", "question")
_NATIONWIDE = vocabulary.qualifier("nationwide", "question")
_PART = vocabulary.qualifier("part", "question")
# "1 người", "mỗi cơ sở", "/tháng": what a rate is per ("đợt 1 năm 2022" is a year, "mọi người" everyone)
_PER_UNIT = re.compile(
    r"(?:\b(?:1|mot|moi)\s+|/\s*)(nguoi|co so|nam|thang|khoa|lop|hoc vien|de an|san pham|gian hang|ngay)\b(?!\s*\d)"
)
_TOTAL = vocabulary.qualifier("total", "question")


@dataclass(frozen=True)
class Query:
    """A question, analysed once.

    text: as typed (cleaned); expanded: chat forms spelled out; accented: `expanded`
    with diacritics restored where they were missing; kind/unit: what is asked ("count"
    of "đề án"); terms: folded topic term -> weight; key_terms: terms of the asked part
    that carry the question (absent from every passage, the documents do not answer
    it); provinces, years: named in the question; programme ("national"/"local"),
    stage ("plan"/"actual"), region (the whole region asked), nationwide (the whole country), total (a total asked).
    """

    text: str
    expanded: str
    accented: str
    match: KindMatch
    terms: dict[str, float]
    key_terms: tuple[str, ...]
    situation: str = ""
    provinces: tuple[str, ...] = ()
    years: tuple[str, ...] = ()
    programme: str | None = None
    stage: str | None = None
    region: bool = False
    nationwide: bool = False  # the whole country asked ("cả nước", "toàn quốc"), not a region or a province
    total: bool = False
    part: bool = False  # one part asked ("riêng phần KCĐP"), not the total
    inclusive: bool = False  # a total with a part named in it ("tính chung cả phần đối ứng")
    situated: bool = False  # the province is where the user is ("e ở Bình Phước, …"), not named in the ask
    bigrams: frozenset[str] = field(default_factory=frozenset)
    unknown: frozenset[str] = field(default_factory=frozenset)  # terms no passage contains
    unknown_words: frozenset[str] = field(default_factory=frozenset)  # single syllables no passage contains
    excluded: tuple[str, ...] = ()  # folded words the user leaves out ("không tính vốn đối ứng")
    articles: tuple[str, ...] = ()  # articles the question names ("Điều 4"): the answer must quote one of them
    period: Period | None = None  # the part of the year asked ("6 tháng cuối năm"), WHOLE_YEAR for "cả năm"
    stages: tuple[str, ...] = ()  # plan and actual both asked, each with its own question, in that order
    trailing: frozenset[str] = field(default_factory=frozenset)  # terms only of clauses after the asking one
    options: tuple[str, ...] = ()  # the answers a multiple-choice question offers ("A. …"), in order
    acronym: str = ""  # the abbreviation whose words are asked ("ctdp" of "ctdp là viết tắt của gì"), as typed
    yes_no_too: bool = False  # a fact asked after a yes/no one ("có xét danh hiệu thợ giỏi ko, được mấy người")

    @property
    def unknown_share(self) -> float:
        """Share of the asked weight carried by words the documents never use ("lãi suất", "email"), whatever
        their part of speech: a question mostly of such words ("mấy giờ mở cửa", "pccc") is not theirs."""
        asked = {t: w for t, w in self.terms.items() if t in self.asked}
        total = sum(asked.values()) or 1.0
        return sum(w for t, w in asked.items() if t in self.unknown) / total

    def _noun(self, term: str) -> bool:
        """Whether the tagger read the term as a noun; a term it did not see whole counts as one."""
        return self.tags.get(term, "N") in NOUN_TAGS

    asked: frozenset[str] = field(default_factory=frozenset)  # terms of the asked part (the rest is situation)
    tagged: tuple[tuple[str, str], ...] = ()  # the asked part's folded words in order, with their parts of speech

    @cached_property
    def tags(self) -> dict[str, str]:
        """Folded word of the asked part -> its part of speech."""
        return dict(self.tagged)

    @property
    def unknown_asked(self) -> frozenset[str]:
        """The words that carry what is asked and that no document uses: the thing asked is not in the
        documents ("lãi suất bao nhiêu"). A key term counts when it is a noun (an unknown verb, "liên hệ",
        "dự tính", is the user's own wording of something known) and, for a count, the noun counted."""
        unit = self.unit
        return frozenset(t for t in self.key_terms if t in self.unknown and self._noun(t) and (not unit or t in unit))

    @property
    def kind(self) -> Kind:
        """The kind asked (kinds.KINDS)."""
        return self.match.kind

    @cached_property
    def asked_expanded(self) -> str:
        """`expanded` without the options offered (the words of the question itself)."""
        return offered_options(self.expanded)[0] if self.options else self.expanded

    @cached_property
    def stem(self) -> str:
        """The question as typed, without the options a multiple-choice question offers: what the user
        states ("… là 55 mà") is in it; an option's figure is a candidate answer, not given."""
        return offered_options(self.text)[0] if self.options else self.text

    @cached_property
    def words(self) -> frozenset[str]:
        """The folded words of the question, chat forms spelled out."""
        return frozenset(fold(self.asked_expanded).split())

    @cached_property
    def agent_verb(self) -> str:
        """The verb whose agent is asked, folded ("do đơn vị nào tổ chức" -> "to chuc", "ai trình bày báo
        cáo" -> "trinh bay": the first word after the question word that the tagger reads as a verb);
        "" otherwise."""
        folded = fold(self.stem).lower()
        asked = _AGENT_ASKED.search(folded)
        if asked:
            return asked.group(1).strip()
        who = _WHO_ASKED.search(folded)
        if who is None:
            return ""
        words = re.findall(r"\w+", folded[who.end() :])  # "… phải xây dựng?": the verb without the mark
        for size in (2, 1):  # a verb of two syllables before its first syllable alone
            verb = " ".join(words[:size])
            if len(words) >= size and self.tags.get(verb) == "V" and verb not in _BARE_VERBS:
                return verb
        return ""

    @cached_property
    def own_facility(self) -> bool:
        """The user speaks of their own facility ("cơ sở mình …", "e có xưởng …"): support for facilities
        answers them, support for industrial clusters does not."""
        return bool(_OWN_FACILITY.search(fold(self.asked_expanded)))

    @cached_property
    def named_number(self) -> str:
        """The number of a document the question names ("qđ 1994 … ký ngày nào" -> "1994"); "" for none."""
        named = _NAMED_DOCUMENT.search(fold(self.asked_expanded).lower())
        return named.group(1) if named else ""

    @cached_property
    def document_asked(self) -> tuple[str, str]:
        """For a document number asked: the kind and issuer code the question gives ("", "" for none)."""
        at = self.match.position + len(self.match.cue)  # the kind named nearest where the cue ends
        return asked_document(self.expanded, at) if self.kind.name == "docnumber" else ("", "")

    @property
    def asks_places(self) -> bool:
        """A list of provinces or places is asked ("những tỉnh nào")."""
        return self.kind.lead == "list" and bool(_PLACE_NOUNS.search(fold(self.match.cue)))

    @property
    def unit(self) -> str:
        """The noun a count question counts ("đề án"), folded; "" otherwise."""
        return fold(self.match.unit)

    @cached_property
    def predicate(self) -> str:
        """What the counted noun underwent, asked with the count ("bao nhiêu sản phẩm được công nhận",
        "mấy người được UBND tỉnh phong tặng"): the verb after "được" (past an agent), folded; "" when none.
        A count of the noun that underwent another act does not answer. "đạt danh hiệu" is no act: what is
        attained is the topic ("được phong tặng danh hiệu" says it). For an amount, the act it is given by
        ("được thưởng bao nhiêu tiền", "được phân bổ bao nhiêu"): the cost of a ceremony is no reward."""
        tagged = [(word, tag) for word, tag in self.tagged if word]
        acts = [act for at, (word, _) in enumerate(tagged) if word == "duoc" and (act := _act_after(tagged[at + 1 :]))]
        if self.kind.name in _AMOUNT_KINDS:  # "được thưởng bao nhiêu tiền": the act the amount is of, the last
            if acts:  # ("được phong thợ giỏi thì được thưởng …")
                return acts[-1]
            return _act_before_amount(tagged) if self.kind.name == "percent" else ""
        if self.kind.name != "count" or not self.unit:
            return ""
        head = self.unit.split()[0]
        for at, (word, _) in enumerate(tagged[:-1]):
            if word.split()[0] == head and tagged[at + 1][0] == "duoc":  # "sản phẩm được [UBND] công nhận"
                return _act_after(tagged[at + 2 :])
        return acts[-1] if acts else ""  # "được công nhận mấy sản phẩm", "bao nhiêu người được phong"

    @cached_property
    def predicate_typed(self) -> str:
        """`predicate` as the user typed it, in lower case, when they typed its diacritics ("thưởng", which
        folds to the "Thương" of "Công Thương"); "" otherwise."""
        if not self.predicate:
            return ""
        size = len(self.predicate.split())
        words = re.findall(r"\w+", self.text.lower())
        for at in range(len(words) - size + 1):
            run = words[at : at + size]
            if fold(" ".join(run)) == self.predicate:
                return " ".join(run) if any(map(has_diacritics, run)) else ""
        return ""

    @cached_property
    def per(self) -> str:
        """The unit a rate is asked per ("bao nhiêu tiền 1 người", "mỗi cơ sở", "%/năm"), folded; "" for none."""
        found = _PER_UNIT.search(fold(self.asked_expanded).lower())
        return found.group(1) if found else ""

    @cached_property
    def asks_type(self) -> bool:
        """A type of the noun asked ("loại mô hình nào"): its answer is a description, not a proper name."""
        unit = re.escape(self.unit)
        return bool(unit) and bool(
            re.search(rf"\b(?:loai|kieu|dang|linh vuc)\s+{unit}\s+nao\b", fold(self.asked_expanded))
        )

    @property
    def search_text(self) -> str:
        """What the lexical side searches: the expanded question (accents do not matter there)."""
        return self.expanded

    @property
    def dense_text(self) -> str:
        """What the embedding model reads: accented, abbreviations spelled out, situation left out."""
        asked = self.accented if not self.situation else self.accented.replace(self.situation, " ").strip(" ,.")
        return expand_abbreviations(asked or self.accented)


def _names_topic(terms: list[str], index: LoadedIndex) -> bool:
    """Whether some term is a topic: not a year or a date, and not a word most passages use ("hỗ trợ",
    "khuyến công")."""
    chunks = max(1, len(index.chunks))
    return any(not _YEAR_OR_DATE.fullmatch(t) and index.frequencies.get(t, 0) / chunks <= _GENERIC_SHARE for t in terms)


def _act_after(tagged: list[tuple[str, str]]) -> str:
    """The verb a "được" is followed by, past an agent ("được UBND tỉnh phong tặng", "dc kcqg hỗ trợ": an
    abbreviation the tagger reads as a verb is the agent), before the amount asked ("được bao nhiêu người
    tham gia" asks no act of them), folded; "" when none."""
    for word, tag in tagged[:4]:
        if tag in _AMOUNT_TAGS:
            return ""
        if tag == "V" and word != "duoc" and word not in _FOLDED_ABBREVIATIONS:
            return word
    return ""


def _act_before_amount(tagged: list[tuple[str, str]]) -> str:
    """The verb a rate asked follows ("đạt bao nhiêu % kế hoạch", "tăng bn % so với năm trước", "hỗ trợ bn %"),
    folded; "" when none (a copula is none: "tỷ lệ … là bao nhiêu")."""
    for at, (word, tag) in enumerate(tagged[1:], start=1):
        if tag in _AMOUNT_TAGS and word in _ASKED_AMOUNTS:
            before, before_tag = tagged[at - 1]
            return before if before_tag == "V" and before not in _COPULAS | _FOLDED_ABBREVIATIONS else ""
    return ""


_ASKED_AMOUNTS = frozenset({"bao nhieu", "may"})
_COPULAS = frozenset({"la", "duoc", "co", "bang"})


def build_query(question: str, index: LoadedIndex, key_term_share: float = 0.3) -> Query:
    """Analyse `question` (already cleaned by `Assistant.check_question`) against the index."""
    expanded = expand_acronyms(vocabulary.expand_chat(question), index)
    accented_all = _accented(expanded, question, index)
    accented, options = offered_options(accented_all)  # the options offered are not what is asked
    # the user's closing purpose ("…, để em hỏi trực tiếp cho nhanh") is context, not what is asked
    cut = _purpose_cut(accented)
    purpose = accented[cut:].strip(" ,.;!?")
    accented = accented[:cut]
    folded = fold(accented)
    spoken = expanded[: _purpose_cut(expanded)]
    match = detect_kind(spoken if _typed_with_diacritics(question) else None, fold(spoken))
    excluded_spans = [m.span(1) for m in _EXCLUDING.finditer(fold(accented))]  # folded: restored accents may be off
    excluded_text = " ".join(accented[a:b] for a, b in excluded_spans)
    kept = accented
    for a, b in reversed(excluded_spans):
        kept = kept[:a] + " " * (b - a) + kept[b:]
    situation, asked = _split_situation(" ".join(kept.split()) if excluded_spans else accented, match)
    situation = f"{situation} {purpose}".strip() if purpose else situation
    for pattern in (_PERSONAL_SUBJECT, _WHERE_USER_IS):
        # "cơ sở của tôi có được …", "e ở Trảng Bom có …": the user's own facility and place are context
        subject = pattern.search(asked)
        if subject:
            situation = f"{situation} {subject.group(0)}".strip()
            asked = (asked[: subject.start()] + " " + asked[subject.end() :]).strip()
    typed = _typed_with_diacritics(question)  # else the diacritics are the restorer's and may be wrong
    plain = frozenset(w.lower() for w in re.findall(r"\w+", expanded) if w.isascii())  # typed without diacritics
    own = frozenset(w.lower() for w in re.findall(r"\w+", question) if has_diacritics(w))  # typed with diacritics
    asked_topic = strip_cues(_drop_fillers(asked, typed), own)  # fillers first: a stripped cue makes new neighbours
    asked_terms = _with_compounds(topic_words(asked_topic, index, plain), asked_topic)
    situation_topic = strip_cues(_drop_fillers(situation, typed), own)
    situation_terms = [t for t in topic_words(situation_topic, index, plain) if t not in asked_terms]
    # the options offered weigh like the user's situation: they tell which passage, not what is asked
    options_topic = strip_cues(_drop_fillers(" ".join(options), typed), own)
    situation_terms += [t for t in topic_words(options_topic, index, plain) if t not in asked_terms + situation_terms]
    # a province and a stage are qualifiers, read apart (evidence.py checks them), not topic words
    # ... unless negated: "không thực hiện được" is what the question is about, not the actual figures
    places = set(provinces_in(accented)) | (_STAGE_WORDS - _negated(folded))
    asked_terms = [t for t in asked_terms if t not in places]
    situation_terms = [t for t in situation_terms if t not in places]
    # "… có ưu tiên mảng này không", "xưởng em muốn thay máy cũ …, năm 2024 có được hỗ trợ không": the case
    # told is what is asked about when the ask points back to it, or names no topic of its own while the user
    # told what they want
    wanted = bool(_WANTS.search(fold(situation))) and not _names_topic(asked_terms, index)
    if situation_terms and (_ANAPHOR.search(fold(asked)) or wanted):
        asked_terms, situation_terms = asked_terms + situation_terms, []
    weights = term_weights(asked_terms + situation_terms, index)
    for term in situation_terms:
        weights[term] *= SITUATION_WEIGHT
    total = sum(weights[t] for t in asked_terms) or 1.0
    key = tuple(t for t in asked_terms if weights[t] >= key_term_share * total)
    # a word the documents never use weighs like the rarest word they do use: it cannot be matched,
    # and how much of the question it carries is read apart (Query.unknown_share)
    return Query(
        text=question,
        expanded=expanded,
        accented=accented_all,
        match=match,
        terms=weights,
        key_terms=key,
        situation=situation,
        provinces=_current(provinces_in(asked) or provinces_in(situation), _years(asked)),
        situated=not provinces_in(asked) and bool(provinces_in(situation)),
        years=_years(asked),  # a year in the user's own case ("sp của e đạt … năm 2020") is not asked
        programme=_programme(folded),
        stage=_stage_asked(accented, match) if _FIGURES & set(match.kind.facts) else None,
        region=bool(_REGION.search(folded)),
        nationwide=bool(_NATIONWIDE.search(folded)),
        total=bool(_TOTAL.search(folded)) or bool(_INCLUDING.search(folded)),  # "kể cả …" asks the sum
        inclusive=bool(_INCLUDING.search(folded)),
        part=bool(_PART.search(folded)),
        bigrams=_bigrams(asked_topic),
        unknown=unknown_terms(list(weights), index),
        unknown_words=unknown_terms(sorted({w for t in weights for w in t.split()}), index),
        excluded=tuple(topic_words(excluded_text, index)) if excluded_text else (),
        articles=tuple(dict.fromkeys(_ARTICLE.findall(fold(accented)))),
        period=asked_period(asked),
        stages=_stages_asked(asked),
        asked=frozenset(asked_terms),
        tagged=tagged_words(asked),
        options=options,
        trailing=_trailing_terms(asked, match, asked_terms, index, plain),
        acronym=acronym_asked(question) if match.kind.name in _DEFINING_KINDS else "",
        yes_no_too=match.kind.lead == "fact" and bool(_YES_NO_CLAUSE.search(fold(spoken))),
    )


# kinds a question about an abbreviation's words is read as ("… viết tắt của gì", "… nghĩa là gì", "… là chương
# trình gì"); the words are then the answer
_DEFINING_KINDS = frozenset({"abbreviation", "definition", "general", "name"})
# "có … không, …": a yes/no question closed by a comma and followed by another one (folded)
_YES_NO_CLAUSE = re.compile(r"\b(?:co|duoc|da)\b[^,;?.]*\b(?:khong|ko|k|hong|chua)\s*[,;?]\s*\w")


def _trailing_terms(
    asked: str, match: KindMatch, terms: list[str], index: LoadedIndex, plain: frozenset[str]
) -> frozenset[str]:
    """The terms that only clauses after the asking one hold: another part of the message ("đạt bao nhiêu %
    kế hoạch năm, so với cùng kỳ thì sao"), which does not choose between the figures of the first."""
    clauses = _clauses(asked)
    at = _asking_index(clauses, match)
    if at + 1 >= len(clauses):
        return frozenset()
    before = " ".join(clauses[: at + 1])
    later = set(topic_words(" ".join(clauses[at + 1 :]), index, plain)) - set(topic_words(before, index, plain))
    return frozenset(t for t in terms if t in later)


def offered_options(text: str) -> tuple[str, tuple[str, ...]]:
    """(stem, options) of a multiple-choice question: the lines "A. …", "B. …" (two or more, lettered
    in order) that end it are answers offered to choose from, not words of what is asked; the stem is
    the text before them. Any other text is its own stem, with no options."""
    lines = text.split("\n")
    start = len(lines)
    while start > 0 and _OPTION_LINE.match(lines[start - 1]):
        start -= 1
    offered = [_OPTION_LINE.match(line) for line in lines[start:]]
    letters = "".join(m.group(1).upper() for m in offered if m)
    if start == 0 or len(letters) < 2 or letters != "ABCDEFGH"[: len(letters)]:
        return text, ()
    return "\n".join(lines[:start]), tuple(m.group(2).strip() for m in offered if m)


def _negated(folded: str) -> set[str]:
    """Stage words the question negates ("không thực hiện", "chưa thực hiện được")."""
    return {w for w in _STAGE_WORDS if re.search(rf"\b(?:khong|chua|ko)\s+(?:duoc\s+)?{w}\b", folded)}


def _current(provinces: list[str], years: tuple[str, ...]) -> tuple[str, ...]:
    """The provinces named, less one named beside the province it merged into ("Bình Phước, giờ là Đồng Nai"),
    unless the question asks of a year before the merger, when the two were apart ("Phú Yên (nay là Đắk Lắk) 2022")."""

    def merged_away(key: str) -> bool:
        info = province_info(key)
        if not (info and info.merged_into) or fold(info.merged_into) not in provinces:
            return False
        return not any(year < str(info.merged_from or "")[:4] for year in years)

    return tuple(p for p in provinces if not merged_away(p))


def _years(text: str) -> tuple[str, ...]:
    """The years asked of: named, less a document's number and a year only compared with ("so với 2022")."""
    named = set(YEAR.findall(_DOC_NUMBER_TYPED.sub(" ", text)))
    return tuple(sorted(named - compared_years(text)))


def _typed_with_diacritics(typed: str) -> bool:
    words = re.findall(r"[^\W\d_]+", typed)
    return bool(words) and sum(1 for w in words if has_diacritics(w)) / len(words) >= 0.5


# three or more words in a row typed without diacritics: a part of the message typed so ("… thì loai mo hinh
# nao dc uu tien"), where properly accented Vietnamese seldom has more than two plain syllables in a row
_PLAIN_RUN = re.compile(r"(?<![^\W\d_])[a-zA-Z]+(?:\s+[a-zA-Z]+){2,}(?![^\W\d_])")


def _accented(expanded: str, typed: str, index: LoadedIndex) -> str:
    """Restore diacritics when most of the typed words lack them (chat often mixes both); in a message
    mostly typed with them, restore only its runs of plain words."""
    if not _typed_with_diacritics(typed):
        return index.restorer.restore(expanded)
    return _PLAIN_RUN.sub(lambda run: index.restorer.restore(run.group(0)), expanded)


def _with_compounds(terms: list[str], topic: str) -> list[str]:
    """Folded word pairs of the topic that the synonym data knows ("day nghe") joined into one term.

    Restored diacritics can garble chat text before segmentation; the data's compounds are found on
    the folded words instead.
    """
    words = [w for w in fold(topic).split() if w.isalnum()]
    known = vocabulary.synonyms()
    pairs = [f"{a} {b}" for a, b in pairwise(words) if f"{a} {b}" in known]
    if not pairs:
        return terms
    parts = {p for pair in pairs for p in pair.split()}
    return [t for t in terms if t not in parts] + [p for p in pairs if p not in terms]


def _clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE.split(text) if c.strip()]


def _asking_index(clauses: list[str], match: KindMatch) -> int:
    cue = match.cue.lower()
    holding = [i for i, c in enumerate(clauses) if cue and (cue in c.lower() or cue in fold(c))]
    return holding[0] if holding else len(clauses) - 1


def _asking_clause(text: str, match: KindMatch) -> str:
    """The clause holding the question's cue: what decides plan or actual ("…, kế hoạch là 55 mà")."""
    clauses = _clauses(text)
    return clauses[_asking_index(clauses, match)] if clauses else text


def _split_situation(text: str, match: KindMatch) -> tuple[str, str]:
    """(situation, asked): when the user speaks of themself, every clause before the asking one is context."""
    clauses = _clauses(text)
    if len(clauses) < 2 or not _PERSONAL.search(_drop_fillers(text)):
        return "", text
    asking = _asking_index(clauses, match)
    situation = [
        c for c in clauses[:asking] if _tells_own_case(c) or not (_QUALIFYING.search(fold(c)) or _WANTS.search(fold(c)))
    ]
    if not situation:
        return "", text
    asked = " ".join(c for c in clauses if c not in situation)
    return " ".join(situation), asked


def _purpose_cut(text: str) -> int:
    """Where the clauses that close a message by saying why the user asks begin ("…, để em hỏi trực tiếp
    cho nhanh", "…, để mình chuẩn bị hồ sơ"); len(text) when it has none. They are context: neither the
    question's kind (its "… không" is before them) nor its topic."""
    cut = len(text)
    for found in reversed(list(re.finditer(r"[,.;!?\n]+\s*", text))):
        if not _PURPOSE.match(fold(text[found.end() : cut])):
            break
        cut = found.start()
    return cut


def _tells_own_case(clause: str) -> bool:
    """A clause opening with the user's own thing ("sp của e đạt … năm 2020"): its year or programme is theirs."""
    return bool(_PERSONAL_SUBJECT.match(clause.strip()))


def _drop_fillers(text: str, typed_accents: bool = True) -> str:
    """`text` without filler phrases; with the user's own diacritics, "tâm" is not the filler "tầm"."""
    folded = fold(text)
    if len(folded) != len(text):
        return text
    accented = vocabulary.accented_fillers()
    for phrase in vocabulary.fillers():
        if phrase not in folded:  # most are not: the pattern, which only adds word bounds, cannot match
            continue
        for found in reversed(list(_filler(phrase).finditer(folded))):
            written = text[found.start() : found.end()]
            if typed_accents and has_diacritics(written) and written.lower() not in accented:
                continue  # "tâm" of "Trung tâm" is not the filler "tầm"
            if _in_compound_word(text, found.start(), found.end()):
                continue  # ... nor, when diacritics were restored or spelled out ("ttkc"), a word's syllable
            text = text[: found.start()] + " " * (found.end() - found.start()) + text[found.end() :]
            folded = folded[: found.start()] + " " * (found.end() - found.start()) + folded[found.end() :]
    return " ".join(text.split())


@lru_cache(maxsize=1024)
def _filler(phrase: str) -> re.Pattern[str]:
    """A filler phrase as a whole word or words."""
    return re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)")


def _in_compound_word(text: str, start: int, end: int) -> bool:
    """Whether the phrase at text[start:end] joins its neighbour word into a dictionary word ("trung tâm")."""
    before, after = text[:start].split()[-1:], text[end:].split()[:1]
    words = text[start:end].lower().split()
    compounds = compound_words()
    return bool(words) and (
        (bool(before) and f"{before[0].lower()} {words[0]}" in compounds)
        or (bool(after) and f"{words[-1]} {after[0].lower()}" in compounds)
    )


def _programme(folded: str) -> str | None:
    national, local = bool(_NATIONAL.search(folded)), bool(_LOCAL.search(folded))
    if national == local:
        return None
    return "national" if national else "local"


def _stage_asked(text: str, match: KindMatch) -> str | None:
    """Plan or actual, from the clause that asks; when only another clause names one with a figure
    ("…, kế hoạch là 55 mà"), the user knows that one and asks the other."""
    asking = _asking_clause(text, match)
    stage = _stage(fold(asking))
    if stage:
        return stage
    others = [c for c in _clauses(text) if c != asking and re.search(r"\d", c)]
    stated = {_stage(fold(c)) for c in others} - {None}
    if len(stated) == 1:
        return "actual" if stated == {"plan"} else "plan"
    return None


def _stages_asked(text: str) -> tuple[str, ...]:
    """Both stages, in the order asked, when each has its own question ("kế hoạch bao nhiêu học
    viên, thực tế tổ chức được bao nhiêu người"); () otherwise."""
    stages = []
    for clause in _clauses(text):
        folded = fold(clause)
        stage = _stage(folded) if _HOW_MANY.search(folded) else None
        if stage and stage not in stages:
            stages.append(stage)
    return tuple(stages) if len(stages) == 2 else ()


def _stage(folded: str) -> str | None:
    for word in _negated(folded):  # "nội dung không thực hiện" names no actual figure
        folded = re.sub(rf"\b(?:khong|chua|ko)\s+(?:duoc\s+)?{word}\b", " ", folded)
    plan, actual = bool(_PLAN.search(folded)), bool(_ACTUAL.search(folded))
    if plan == actual:
        return None
    return "plan" if plan else "actual"


def _bigrams(topic: str) -> frozenset[str]:
    return frozenset(t for t in lexical_tokens(topic) if "_" in t and not all(p in STOPWORDS for p in t.split("_")))
