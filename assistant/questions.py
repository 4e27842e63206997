"""Question analysis: what kind of fact is asked for, and which words carry the topic.

Cues are written in accented Vietnamese. A question typed with diacritics is matched
against them as written, so "máy móc" is never mistaken for "mấy" (how many) and
"6 tháng đầu năm" never for "ở đâu"; a question typed without diacritics is matched
against folded cues, some of which carry guards for the commonest collisions.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import pairwise

from .indexing import LoadedIndex
from .text import (
    PROVINCE_NAMES,
    STOPWORDS,
    fold,
    has_diacritics,
    lexical_tokens,
    nfc,
    provinces_in,
    segment_words,
    spell_out,
    syllables,
)

__all__ = [
    "FACT_PATTERNS",
    "SYNONYMS",
    "Evidence",
    "QuestionProfile",
    "profile_question",
    "question_kind",
    "strip_question_cues",
    "topic_words",
    "variants",
]

_MONEY = (
    r"\d{1,3}(?:\.\d{3})+(?:,\d+)?\s*(?:triệu\s+|tỷ\s+|nghìn\s+)?đồng"
    r"|\d+(?:[.,]\d+)?\s*(?:tỷ|triệu|nghìn|ngàn)(?:\s+đồng)?"
)
_DATE = (
    r"(?:trước\s+|sau\s+|từ\s+|đến\s+)?(?:ngày\s+)?\d{1,2}\s+tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?"
    r"|(?:trước\s+|sau\s+|từ\s+|đến\s+)?(?:ngày\s+)?\d{1,2}/\d{1,2}(?:\s*[–-]\s*\d{1,2}/\d{1,2})?(?:/\d{4})?"
    r"|(?:chiều|sáng)\s+ngày\s+\d{1,2}/\d{1,2}|tháng\s+\d{1,2}(?:/|\s+năm\s+)\d{4}"
)
_DOCNUMBER = (
    r"\b\d+/(?:\d{4}/)?[A-ZĐ][A-ZĐa-z&]*(?:-[A-ZĐ&]+)+|\b\d+/\d{4}/[A-ZĐ]+-[A-ZĐ]+|\b\d+/[A-ZĐ]+(?:&[A-Z]+)?-[A-ZĐ]+"
)
_SURNAMES = (
    "Nguyễn|Trần|Lê|Phạm|Hoàng|Huỳnh|Phan|Vũ|Võ|Đặng|Bùi|Đỗ|Hồ|Ngô|Dương|Lý|Đào|Đinh|Trương|Lâm|Mai|Trịnh|Hà|Tạ|Lương"
)
_PLACE = r"(?<=tại\s)(?=[^,.;()]*[A-ZĐ])[^,.;()]{2,70}?(?=\s*[,.;()]|\s+(?:từ|vào|do|cho|với|và|trong|diễn)\s|$)"
_DURATION = r"(?<![\d/])\d{1,3}\s+(?:ngày|tháng|năm|tuần|giờ)(?!\s*\d)(?:\s+làm việc)?"
_COUNT_NUMBER = r"(?<![\d.,/])(?<!ngày )(?:\d{1,3}(?:\.\d{3})+|\d+(?:/\d+)?)(?![\d.,/%])"
_COUNT = _COUNT_NUMBER + r"\s+(?!đồng|tỷ|triệu|tháng|năm\b|%)[a-zà-ỹđ]+(?:\s+[a-zà-ỹđ]+)?"

# How each kind of fact looks in the documents.
FACT_PATTERNS: dict[str, re.Pattern[str]] = {
    "money": re.compile(_MONEY, re.IGNORECASE),
    "percent": re.compile(r"\d+(?:[.,]\d+)?\s*%"),
    "date": re.compile(_DATE, re.IGNORECASE),
    "when": re.compile(rf"{_DATE}|(?:trong\s+|vào\s+|cuối\s+|đầu\s+)?năm\s+\d{{4}}", re.IGNORECASE),
    "docnumber": re.compile(_DOCNUMBER),
    "person": re.compile(rf"(?<![\w])(?:{_SURNAMES})(?:\s+[A-ZĐ][a-zà-ỹđ]+){{1,3}}"),
    "place": re.compile(_PLACE),
    "name": re.compile(r"(?<![\w])(?:[A-ZĐ][a-zà-ỹđ]+\s+){1,4}[A-ZĐ][a-zà-ỹđ]+"),
    "phone": re.compile(r"\b0\d{2,3}[.\s]?\d{3}[.\s]?\d{3,4}\b"),
    "ordinal": re.compile(r"lần thứ\s+(?:[IVXLC]+|\d+)\b", re.IGNORECASE),
    "amount": re.compile(rf"{_MONEY}|\d+(?:[.,]\d+)?\s*%", re.IGNORECASE),
    "duration": re.compile(_DURATION, re.IGNORECASE),
    "count": re.compile(_COUNT),
}


@dataclass(frozen=True)
class _Cue:
    kind: str
    accented: re.Pattern[str]
    folded: re.Pattern[str]


def _cue(kind: str, accented: str, folded: str | None = None) -> _Cue:
    """Cue patterns match from the start of a word: folded "o dau" (ở đâu) must not match inside "tro dau"."""
    folded = folded if folded is not None else fold(accented)
    return _Cue(kind, re.compile(rf"(?<!\w)(?:{accented})"), re.compile(rf"(?<!\w)(?:{folded})"))


# Checked in this order: the first kind whose cue matches decides.
_KIND_CUES = [
    _cue("reason", r"vì sao|tại sao|lý do|nguyên nhân"),
    _cue("general", r"(từ )?nguồn (kinh phí |vốn |ngân sách )?nào|loại (kinh phí|nguồn) nào"),
    _cue("ordinal", r"lần thứ (mấy|bao nhiêu)|thứ mấy"),
    _cue("percent", r"phần trăm|tỷ lệ|tỉ lệ|bao nhiêu ?%"),
    _cue("duration", r"bao lâu|(mấy|bao nhiêu) (ngày|tháng|năm|tuần)\b(?! nào)"),
    _cue("phone", r"số điện thoại|điện thoại|hotline|sđt"),
    _cue(
        "date",
        r"ngày nào|ngày mấy|tháng nào|hạn chót|hạn cuối|thời hạn|\bhạn\b(?! chế)|trước ngày|diễn ra vào|ngày bao nhiêu"
        r"|deadline",
    ),
    _cue("when", r"khi nào|bao giờ|lúc nào|thời điểm|năm nào|hôm nào"),
    _cue(
        "docnumber",
        r"số hiệu|(văn bản|công văn|quyết định|báo cáo|nghị định|thông tư) (số|nào)|số mấy"
        r"|^số (văn bản|công văn|quyết định|báo cáo|nghị định|thông tư)"
        r"|(văn bản|công văn|quyết định|báo cáo|nghị định|thông tư)\b.*\bsố (bao nhiêu|mấy|gì)",
    ),
    _cue(
        "money",
        r"kinh phí|bao nhiêu tiền|ngân sách|chi phí|\bvốn\b|tỷ đồng|triệu đồng|giải ngân|\btiền\b",
        r"kinh phi|bao nhieu tien|so tien|ngan sach|chi phi|\bvon\b|ty dong|trieu dong|giai ngan",
    ),
    _cue("amount", r"tối đa|tối thiểu|mức (hỗ trợ|chi|kinh phí)"),
    _cue("person", r"\bai\b|họ tên|người nào|\bông nào|\bbà nào"),
    _cue(
        "place",
        r"ở đâu|\bđâu\b|tại đâu|địa điểm|nơi nào|tỉnh nào|huyện nào",
        r"o dau|tai dau|dau vay|\bdau\s*\??$|dia diem|noi nao|tinh nao|huyen nao",
    ),
    _cue("name", r"\btên\b|đơn vị nào|cơ quan nào|tổ chức nào"),
    _cue(
        "count",
        r"bao nhiêu|\bmấy\b|số lượng",
        r"bao nhieu|\bmay\b(?! moc| mac| thiet| phai| nay| cua| duoc)|so luong",
    ),
    _cue("yesno", r"(không|chưa|phải không|hay không)\s*\??\s*$|\bcó (được|phải)\b"),
]

# Words that only say what is asked; they are satisfied by the fact, not by the topic.
_INTERROGATIVES = _cue(
    "",
    r"bao lâu|bao nhiêu|bao giờ|khi nào|ngày nào|ngày mấy|lúc nào|tháng nào|năm nào|hôm nào|là ai|\bai\b|ở đâu"
    r"|tại đâu|\bđâu\b|như thế nào|thế nào|ra sao|phần trăm|số mấy|\bmấy\b|số hiệu|hạn chót|hạn cuối|thời hạn"
    r"|\bhạn\b(?! chế)|deadline"
    r"|tỷ lệ|tỉ lệ"
    r"|vì sao|tại sao|lý do|là gì|\bgì\b|hay không|phải không|có phải|được không|\bnào\b|lần thứ|số điện thoại"
    r"|họ tên|(\bkhông|\bchưa)\s*\??\s*$",
    r"bao lau|bao nhieu|bao gio|khi nao|ngay nao|ngay may|luc nao|thang nao|nam nao|hom nao|la ai|\bai\b|o dau|tai dau"
    r"|nhu the nao|the nao|ra sao|phan tram|so may|\bmay\b(?! moc| mac)|so hieu|han chot|han cuoi|thoi han"
    r"|\bhan\b(?! che)|deadline|vi sao|tai sao|ly do|la gi|\bgi\b|hay khong|phai khong|co phai|duoc khong"
    r"|\bnao\b|lan thu"
    r"|ty le|ti le|so dien thoai|ho ten|(\bkhong|\bchua)\s*\??\s*$",
)


def _pattern_for(cue: _Cue, question: str) -> tuple[re.Pattern[str], str]:
    if has_diacritics(question):
        return cue.accented, question.lower()
    return cue.folded, fold(question)


def question_kind(question: str) -> str:
    """The kind of fact asked for: a key of FACT_PATTERNS, or reason, yesno, general.

    amount is money or a percentage ("mức hỗ trợ tối đa"); duration a span of days or months.
    """
    for cue in _KIND_CUES:
        pattern, text = _pattern_for(cue, question)
        if pattern.search(text):
            return cue.kind
    return "general"


def strip_question_cues(question: str) -> str:
    """The question without its interrogative words, diacritics kept."""
    pattern, text = _pattern_for(_INTERROGATIVES, question)
    if len(text) != len(question):
        return " ".join(pattern.sub(" ", text).split())
    pieces, last = [], 0
    for match in pattern.finditer(text):
        pieces.append(question[last : match.start()])
        last = match.end()
    pieces.append(question[last:])
    return " ".join(" ".join(pieces).split()).strip(" ?")


@dataclass
class QuestionProfile:
    """What the question asks: fact kind, weighted topic terms, places and years it names."""

    text: str
    kind: str
    terms: dict[str, float]
    bigrams: set[str]
    provinces: list[str]
    years: list[str]
    wants_plan: bool = False
    wants_actual: bool = False


# Single words that carry no topic (accented, so "thì" is dropped but "thị" kept).
FUNCTION_WORDS = frozenset(
    "là của và có được không tôi mình chúng tôi em anh chị bạn muốn cần phải nên để thì mà làm cho với về "
    "các những này đó kia nào gì ạ ơi vậy thế rồi đã đang sẽ nếu khi ở trong trên theo từ đến ra vào "
    "bị bởi hay hoặc cũng đều rất nhiều một xin hỏi giúp biết nhé nhỉ chứ còn thôi lại tên".split()
    + ["chủ đề", "loại", "những gì"]
)
UNKNOWN_COMPOUND_FACTOR = 2.0

# Folded words users write for what the documents say differently ("nộp hồ sơ" / "gửi hồ sơ").
SYNONYMS: dict[str, tuple[str, ...]] = {
    "nop": ("gui",),
    "gui": ("nop",),
    "tap huan": ("dao tao", "boi duong"),
    "dao tao": ("tap huan", "boi duong"),
    "thoi han": ("truoc ngay",),
}


def variants(term: str) -> tuple[str, ...]:
    """The term and the words that stand for it in the documents."""
    return (term, *SYNONYMS.get(term, ()))


class Evidence:
    """A piece of text as the answerer matches it: folded syllables (abbreviations also spelled out) and dates."""

    __slots__ = ("dates", "joined")

    def __init__(self, text: str) -> None:
        self.joined = " " + " ".join(syllables(spell_out(text, keep=True))) + " "
        self.dates = {t for t in lexical_tokens(text) if t.startswith("date:")}

    def has(self, term: str) -> bool:
        """True when the folded word (or date marker) occurs in the text."""
        if term.startswith("date:"):
            return term in self.dates
        return any(f" {v} " in self.joined for v in variants(term))


def topic_words(question: str, index: LoadedIndex) -> list[str]:
    """Folded words of the question's topic: compounds kept whole, question words and stopwords dropped."""
    topic = strip_question_cues(question)
    text = topic if has_diacritics(topic) else index.restorer.restore(topic)
    words: dict[str, None] = {}
    for word in _segments(spell_out(text), index.frequencies):
        if word.lower() in FUNCTION_WORDS:
            continue
        if re.fullmatch(r"[\d/.,-]+", word) and re.search(r"\d[/-]\d", word):
            continue  # a date; matched through its date marker instead
        folded = " ".join(syllables(word))
        single = " " not in folded
        if folded and not (single and (folded in STOPWORDS or (len(folded) < 2 and not folded.isdigit()))):
            words.setdefault(folded, None)
    for marker in lexical_tokens(topic):
        if marker.startswith("date:"):
            words.setdefault(marker, None)
    return list(words)


_PROVINCE_SPLIT = re.compile(
    "("
    + "|".join(sorted((re.escape(n) for n in {*PROVINCE_NAMES, *PROVINCE_NAMES.values()}), key=len, reverse=True))
    + ")",
    re.IGNORECASE,
)
_FOLDED_FUNCTION_WORDS = frozenset(fold(w) for w in FUNCTION_WORDS)
_NOT_A_WORD_PART = re.compile(r"^(?:[IVXLC]+|[A-ZĐ]{2,}|\d[\d/.,-]*)$")


def _segments(text: str, frequencies: dict[str, int]) -> list[str]:
    """Words of `text`: province names whole, the rest segmented by underthesea and cleaned.

    The segmenter sometimes glues a province, an abbreviation, a roman numeral or a
    function word to a neighbour ("Đắk Lắk lập", "Nam XIII", "máy móc thì"), or joins
    words into a compound no dictionary or document knows ("lên Cục"); such compounds
    name nothing the documents could contain, so they are cut apart.
    """
    out: list[str] = []
    for number, piece in enumerate(_PROVINCE_SPLIT.split(text)):
        if number % 2:
            out.append(piece)
        elif piece.strip():
            for word in segment_words(piece):
                for part in _split_compound(word):
                    out.extend(_known_words(part.split(), frequencies))
    return out


def _split_compound(word: str) -> list[str]:
    parts = word.split()
    if len(parts) == 1:
        return parts
    pieces: list[list[str]] = [[]]
    for part in parts:
        if _NOT_A_WORD_PART.match(part):
            pieces += [[part], []]
        else:
            pieces[-1].append(part)
    out = []
    for piece in pieces:
        while len(piece) > 2 and fold(piece[-1]) in _FOLDED_FUNCTION_WORDS:
            piece.pop()  # "máy móc thị" restored from "may moc thi": the "thì" of the question
        while len(piece) > 2 and piece[-1].lower() in FUNCTION_WORDS:
            out.append(piece.pop())
        while len(piece) > 2 and piece[0].lower() in FUNCTION_WORDS:
            out.append(piece.pop(0))
        if piece:
            out.append(" ".join(piece))
    return out


def _known_words(syllables_: list[str], frequencies: dict[str, int]) -> list[str]:
    """Split a compound into the longest pieces that the dictionary or the corpus knows."""
    out, start = [], 0
    while start < len(syllables_):
        end = len(syllables_)
        while end > start + 1 and not _is_known(syllables_[start:end], frequencies):
            end -= 1
        out.append(" ".join(syllables_[start:end]))
        start = end
    return out


def _is_known(words: list[str], frequencies: dict[str, int]) -> bool:
    if len(words) == 1 or " ".join(words).lower() in _dictionary():
        return True
    return _document_frequency(" ".join(fold(w) for w in words), frequencies) > 0


@lru_cache(maxsize=1)
def _dictionary() -> frozenset[str]:
    """Vietnamese words of two or more syllables from underthesea's 74K-word dictionary."""
    path = resources.files("underthesea") / "corpus" / "data" / "Viet74K.txt"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return frozenset()
    return frozenset(nfc(line).strip().lower() for line in lines if " " in line.strip())


def _document_frequency(term: str, frequencies: dict[str, int]) -> int:
    parts = term.split()
    if len(parts) == 1:
        return frequencies.get(term, 0)
    return min(frequencies.get(f"{a} {b}", 0) for a, b in pairwise(parts))


def _idf(term: str, frequencies: dict[str, int], total: int) -> float:
    if term.startswith("date:"):
        return 2.0
    df = max(_document_frequency(v, frequencies) for v in variants(term))
    return math.log((total + 1) / (df + 0.5))


def _weight(term: str, frequencies: dict[str, int], total: int) -> float:
    """Rarity weight; a compound the corpus never uses weighs double: it names something the corpus lacks."""
    weight = _idf(term, frequencies, total)
    unknown_compound = " " in term and frequencies.get(term.split()[0] + " " + term.split()[1], 0) == 0
    return weight * UNKNOWN_COMPOUND_FACTOR if unknown_compound else weight


def profile_question(question: str, index: LoadedIndex) -> QuestionProfile:
    """Classify the question and weight its topic words by rarity in the index."""
    topic = strip_question_cues(question)
    total = len(index.chunks)
    terms = {t: _weight(t, index.frequencies, total) for t in topic_words(question, index)}
    bigrams = {t for t in lexical_tokens(topic) if "_" in t and not all(p in STOPWORDS for p in t.split("_"))}
    return QuestionProfile(
        text=question,
        kind=question_kind(question),
        terms=terms,
        bigrams=bigrams,
        provinces=provinces_in(question),
        years=sorted(set(re.findall(r"(?<![\w/.-])(?:19|20)\d{2}\b(?![/.-]\d)", question))),
        wants_plan=bool(re.search(r"ke hoach|du kien|chi tieu", fold(question))),
        wants_actual=bool(re.search(r"thuc hien|ket qua|thuc te|\bdat\b", fold(question))),
    )
