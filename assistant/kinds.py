"""Question kinds, in one registry: how each is asked, how its facts look, how its answer leads.

A kind is found by matching every kind's cues against the question (accented cues
against the accented view, folded cues against the folded text) and keeping the
strongest match: the longest cue, adjusted by the kind's `bias`, so "tháng mấy" (when)
beats "mấy" (count), "bao nhiêu đề án" (count of đề án) beats "kinh phí", and
"kinh phí … bao nhiêu" stays a money question. To add a kind, add one `Kind` to
`KINDS` (and its fact pattern to `FACT_PATTERNS` if it needs a new one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache, cached_property

from .dates import DATE_WORDS, DATED_DIGITS, DAY_MONTH, MONTH
from .text import fold, has_diacritics

__all__ = ["FACT_PATTERNS", "KINDS", "MEASURES", "Kind", "KindMatch", "detect_kind", "strip_cues"]

_MONEY = (
    r"\d{1,3}(?:\.\d{3})+(?:,\d+)?\s*(?:triệu\s+|tỷ\s+|nghìn\s+)?đồng"
    r"|\d+(?:[.,]\d+)?\s*(?:tỷ|triệu|nghìn|ngàn)(?:\s+đồng)?"
)
# A date fact: the day as dates.py writes it, wrapped in its cue ("trước", "từ", "ngày"…).
# A year-less day in digits needs a cue ("6/7 sản phẩm" is no date) and a slash ("từ 5-7 ngày"
# is a number range); a range's first day drops its year ("15/8 – 18/8/2023").
_DATE_CUE = r"(?:trước\s+|sau\s+|từ\s+|đến\s+)?(?:ngày\s+)?"
_SLASHED = rf"(?=\d+\s*/){DAY_MONTH}"
_DATE = (
    rf"{_DATE_CUE}{DATE_WORDS}"
    rf"|{_DATE_CUE}(?:{DAY_MONTH}\s*[–-]\s*)?{DATED_DIGITS}"
    rf"|(?:trước|sau|từ|đến|ngày)\s+{_SLASHED}(?:\s*[–-]\s*{_SLASHED})?\b(?!/)"
    rf"|(?:chiều|sáng)\s+ngày\s+{_SLASHED}|{MONTH}"
)
_DOCNUMBER = (
    r"\b\d+/(?:\d{4}/)?[A-ZĐ][A-ZĐa-z&]*(?:-[A-ZĐ&]+)+|\b\d+/\d{4}/[A-ZĐ]+-[A-ZĐ]+|\b\d+/[A-ZĐ]+(?:&[A-Z]+)?-[A-ZĐ]+"
)
_SURNAMES = (
    "Nguyễn|Trần|Lê|Phạm|Hoàng|Huỳnh|Phan|Vũ|Võ|Đặng|Bùi|Đỗ|Hồ|Ngô|Dương|Lý|Đào|Đinh|Trương|Lâm|Mai|Trịnh|Hà|Tạ|Lương"
)
_ORG_HEAD = r"Sở|Cục|Bộ|Vụ|Ủy ban|UBND|Trung tâm|Phòng|Hội đồng|Chính phủ|Thủ tướng|Ban|Tổng cục"
_PLACE = r"(?<=tại\s)(?=[^,.;()]*[A-ZĐ])[^,.;()]{2,70}?(?=\s*[,.;()]|\s+(?:từ|vào|do|cho|với|và|trong|diễn)\s|$)"
# "06 tháng đầu năm", "9 tháng cuối năm" name a part of the year, not a length of time
_DURATION = r"(?<![\d/])\d{1,3}\s+(?:ngày|tháng|năm|tuần|giờ)(?!\s*\d)(?!\s+(?:đầu|cuối|giữa)\b)(?:\s+làm việc)?"
# Numbers written as words in regulations ("ba nhà cung cấp"); "một" and "năm" are left out (a, year).
_NUMBER_WORDS = r"hai|ba|bốn|sáu|bảy|tám|chín|mười|mươi"
_COUNT_NUMBER = (
    rf"(?:(?<![\w.,/])(?<!ngày )(?:\d{{1,3}}(?:\.\d{{3}})+|\d+(?:/\d+)?)(?![\d.,/%])|\b(?:{_NUMBER_WORDS})\b)"
)
# "320 cơ sở CNNT": the counted noun and an abbreviation naming it
# a linking word ends the noun counted: "15 người gồm cán bộ …" counts "người"
_LINKING = r"(?:gồm|và|của|cho|được|tại|trong|với|là|đã|có|các|những|thì|để|từ|đến|theo)\b"
LINKING_WORD = re.compile(_LINKING, re.IGNORECASE)
_COUNT = (
    _COUNT_NUMBER
    + r"\s+(?!đồng|tỷ|triệu|tháng|năm\b|%|giờ|ngày)[a-zà-ỹđ]+"
    + rf"(?:\s+(?!{_LINKING})[a-zà-ỹđ]+)?(?-i:\s+[A-ZĐ]{{2,}}(?!\w))?"
)
# "80% chi phí thuê gian hàng": a rate and what it is a rate of
_PERCENT = r"\d+(?:[.,]\d+)?\s*%(?:\s+(?:chi phí|kinh phí)(?:\s+(?!cho\b|của\b|để\b|và\b|với\b)[a-zà-ỹđ]+){0,3})?"

# How each kind of fact looks in the documents.
FACT_PATTERNS: dict[str, re.Pattern[str]] = {
    "money": re.compile(_MONEY, re.IGNORECASE),
    "percent": re.compile(_PERCENT),
    "date": re.compile(_DATE, re.IGNORECASE),
    "when": re.compile(
        rf"(?:(?:đến\s+)?hết\s+|cuối\s+)?(?:{_DATE})|(?:trong\s+|vào\s+|cuối\s+|đầu\s+)?năm\s+\d{{4}}", re.IGNORECASE
    ),
    "docnumber": re.compile(_DOCNUMBER),
    "person": re.compile(rf"(?<![\w])(?:{_SURNAMES})(?:\s+[A-ZĐ][a-zà-ỹđ]+){{1,3}}"),
    "org": re.compile(
        rf"(?<![\w])(?:{_ORG_HEAD})"
        r"(?:\s+(?:[A-ZĐ][\w-]*|và|cấp|tỉnh|huyện|thị xã|các|nhân dân|trực thuộc|ương)|,\s+(?:thị xã|thành phố)){1,9}"
    ),
    "place": re.compile(_PLACE),
    "name": re.compile(r"(?<![\w])(?:[A-ZĐ][a-zà-ỹđ]+\s+){1,4}[A-ZĐ][a-zà-ỹđ]+"),
    "phone": re.compile(r"\b0\d{2,3}[.\s]?\d{3}[.\s]?\d{3,4}\b"),
    "email": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    "website": re.compile(r"\b(?:https?://|www\.)[^\s,;()]+"),
    # a form is named by its number in a regulation's annex: "Mẫu số 01", "Phụ lục II"
    "form": re.compile(r"\b(?:[Mm]ẫu(?: số)?|[Bb]iểu mẫu(?: số)?|[Pp]hụ lục)\s+(?:\d+[a-z]?|[IVX]+)\b"),
    "ordinal": re.compile(r"lần thứ\s+(?:[IVXLC]+|\d+)\b", re.IGNORECASE),
    "amount": re.compile(rf"{_MONEY}|\d+(?:[.,]\d+)?\s*%", re.IGNORECASE),
    "duration": re.compile(_DURATION, re.IGNORECASE),
    "area": re.compile(r"\d+(?:[.,]\d+)*\s*(?:ha|héc[ -]?ta|hecta|m2|m²|mét vuông|km2)\b", re.IGNORECASE),
    "count": re.compile(_COUNT, re.IGNORECASE),
}
# The kinds that measure something: what they measure is the question's other words ("lãi suất bao nhiêu").
MEASURES = frozenset({"money", "count", "percent", "amount", "duration", "area"})


@dataclass(frozen=True)
class Kind:
    """One kind of question.

    name: identifier; cues: accented regex of the words that ask it; folded: the
    folded regex when plain folding of `cues` would collide ("máy" vs "mấy");
    facts: FACT_PATTERNS keys whose matches answer it; lead: how the answer opens
    ("fact": the fact itself, "yesno": có/không with the clause, "list": the items,
    "quote": the best passage, "cause": the passage giving the reason); bias: added to
    the cue length when kinds compete; rules_first: passages of regulations and
    direction letters (what is supported, for whom) come before reports of what was done.
    """

    name: str
    cues: str
    folded: str | None = None
    facts: tuple[str, ...] = ()
    lead: str = "fact"
    bias: int = 0
    rules_first: bool = False
    owns_after: bool = False  # a fact is described by the words after it ("số 59/2015/QĐ-UBND … của UBND tỉnh")
    named: bool = False  # the answer is a name, found after the noun asked about ("lập tổ gì": "Tổ tư vấn …")
    refines: tuple[str, ...] = ()  # interrogative kinds this topical cue makes precise ("kinh phí" + "bao nhiêu")
    prefer_first: bool = False  # a passage holding the first of `facts` beats one holding only a later one
    # how a passage without a fact of `facts` may still answer in its own words: "case" (a "khi nào" answered
    # by the case a provision names), "items" (a count answered by the items a sentence lists); "" never
    in_words: str = ""

    @property
    def needs_fact(self) -> bool:
        """A figure, date or number asked: without one near the top, the documents do not answer."""
        return self.lead == "fact" and not self.named and self.name not in ("person", "place")

    @cached_property
    def accented_pattern(self) -> re.Pattern[str]:
        """Cue regex for accented text; matches start at a word start.

        The cue is group 1 of a lookahead, so one match is found at every start: "ngày bao
        nhiêu" is still seen inside "ban hành ngày bao nhiêu" (a non-overlapping scan would
        resume after "ban hành ngày").
        """
        return re.compile(rf"(?<!\w)(?=({self.cues}))")

    @cached_property
    def folded_pattern(self) -> re.Pattern[str]:
        """Cue regex for folded text ("o dau" must not match inside "tro dau"), overlapping like the accented one."""
        return re.compile(rf"(?<!\w)(?=({self.folded if self.folded is not None else fold(self.cues)}))")


# whole words only: folded, "là" is the "la" of "lao động", "thì" the "thi" of "thiết bị", "ạ" the "a" of "an toàn"
_COUNT_UNIT_STOP = (
    r"(?!(?:tiền|phần trăm|lâu|giờ|ngày|tháng|năm|tuần|lần thứ"
    r"|nhiêu|là|thì|vậy|ạ|không|ko|kinh phí|vốn|ngân sách|chi phí"
    r"|tỷ|triệu|đồng|tính đến|tính tới|tính từ|tính chung|tính cả)\b|%)"  # "bn, tính đến hết tháng 12": no "tỉnh"
)

KINDS: tuple[Kind, ...] = (
    # chat asks why with a bare "sao" opening a clause ("…, sao 6 tháng đầu triển khai chậm vậy"), never "4 sao"
    Kind(
        "reason",
        r"vì sao|tại sao|lý do|nguyên nhân|sao lại|do đâu|(?:^|(?<=[,.;?!] ))sao (?:lại|ko|không|chưa|mà)?",
        lead="cause",
        bias=4,
    ),
    # "CTĐP là viết tắt của gì", "OCOP là chữ gì": what an abbreviation stands for (acronyms.expansion_in)
    Kind("abbreviation", r"(?:là )?viết tắt(?: của)?|là (?:chữ|từ) gì", lead="quote", bias=6),
    # "X được định nghĩa là gì", "khái niệm X": the sentence defining X is quoted; the cue is no topic word
    Kind(
        "definition", r"(?:được )?định nghĩa|được hiểu (?:là|như thế nào)|khái niệm|nghĩa là gì", lead="quote", bias=3
    ),
    Kind(
        "list",
        r"(?:bao )?gồm (?:những |các )?(?:gì|nội dung|hoạt động|lĩnh vực|mục)|những (?:gì|nội dung|lĩnh vực|hoạt động"
        r"|hạn chế|khó khăn|loại|tỉnh|việc|mô hình|đề án|sản phẩm"
        r"|giải pháp|nhiệm vụ|tồn tại)\b(?:[^?]{0,40}?\b(?:nào|gì))?"
        r"|(?:khó khăn|hạn chế|tồn tại|vướng mắc)(?: gì| nào| là gì)"
        r"|kể tên|liệt kê|các nội dung|(?:gồm|có) những ai|(?:mấy|\d+) (?:nội dung|lĩnh vực)"
        r"(?: \w+)? (?:là |gồm )?(?:gì|nào)"
        r"|gồm (?:những|các) [a-zà-ỹđ]+(?: [a-zà-ỹđ]+)? (?:gì|nào)",  # "gồm những hồ sơ gì": the items of any noun
        lead="list",
        bias=2,
    ),
    Kind("ordinal", r"lần thứ (?:mấy|bao nhiêu)|thứ mấy", facts=("ordinal",), bias=4),
    Kind(
        "percent",
        r"(?:bao nhiêu |mấy )?phần trăm|tỷ lệ|tỉ lệ|lãi suất|(?:bao nhiêu|mấy) ?%"
        r"|đạt (?:bao nhiêu|mấy) ?(?:%|so với|trên)",
        facts=("percent",),
        bias=4,
        refines=("count",),
    ),
    Kind(
        "duration",
        r"bao lâu|(?:mấy|bao nhiêu) (?:ngày|tháng|năm|tuần)\b(?! nào)",
        facts=("duration",),
        bias=2,
        refines=("count",),
    ),
    Kind(
        "phone",
        r"(?:số điện thoại|điện thoại|hotline|sđt|số zalo|zalo)(?: zalo)?(?: (?:để )?liên hệ)?"
        r"|liên hệ (?:qua )?(?:số|sđt)",
        facts=("phone",),
        bias=4,
        refines=("count",),  # "sđt … là bao nhiêu": a phone number is asked, not a count
    ),
    Kind(
        "email",
        r"\be-?mail\b|thư điện tử|hộp thư",
        r"\be-?mail\b|thu dien tu|hop thu",
        facts=("email",),
        bias=4,
    ),
    Kind(
        "website",
        r"\bwebsite\b|\bweb\b|trang (?:web|thông tin điện tử)|đường link|\blink\b",
        facts=("website",),
        bias=4,
    ),
    Kind(
        "form",
        r"(?:mẫu|biểu mẫu|file mẫu) (?:đơn|hồ sơ|tờ khai|bản đăng ký|đề án|báo cáo)|mẫu số (?:mấy|bao nhiêu)"
        r"|(?:đơn|hồ sơ|tờ khai|bản đăng ký) (?:theo )?mẫu|biểu mẫu|file mẫu|\bform\b",
        r"(?:mau|bieu mau|file mau) (?:don|ho so|to khai|ban dang ky|de an|bao cao)|mau so (?:may|bao nhieu)"
        r"|(?:don|ho so|to khai|ban dang ky) (?:theo )?mau\b|bieu mau|file mau|\bform\b",
        facts=("form",),
        bias=5,
        refines=("place", "name", "count", "docnumber"),  # "mẫu đơn … lấy ở đâu", "số mấy": a form is asked
    ),
    Kind(
        "deadline",
        r"hạn chót|hạn cuối|thời hạn|(?<!vẫn còn )(?<!đang còn )(?<!quá )(?<!hết )(?<!quyền )(?<!giới )\bhạn\b(?! chế)"
        r"|deadline|chậm nhất"
        r"|trước ngày (?:nào|mấy)",
        facts=("date",),
        bias=6,
        refines=("date", "when"),
    ),
    Kind(
        "date",
        r"ngày nào|ngày mấy|ngày bao nhiêu|hôm nào|bữa nào|(?:ban hành|ký|diễn ra|tổ chức) (?:vào )?ngày",
        facts=("date",),
        bias=2,
    ),
    Kind(
        "when",
        r"khi nào|bao giờ|lúc nào|thời điểm|năm nào|buổi nào|tháng nào|tháng mấy|dịp nào|năm mấy",
        facts=("when",),
        bias=2,
        in_words="case",
    ),
    Kind(
        "docnumber",
        r"số hiệu|(?:văn bản|công văn|quyết định|báo cáo|nghị định|thông tư) (?:số )?(?:nào|mấy|bao nhiêu|gì)|số mấy"
        r"|căn cứ (?:vào )?(?:đâu|gì)"
        r"|^số (?:văn bản|công văn|quyết định|báo cáo|nghị định|thông tư)"
        r"|(?:văn bản|công văn|quyết định|báo cáo|nghị định|thông tư)\b.*\bsố (?:bao nhiêu|mấy|gì)",
        facts=("docnumber",),
        bias=3,
        owns_after=True,
    ),
    Kind(
        "money",
        r"kinh phí|(?:bao nhiêu|mấy) (?:tiền|tỷ|triệu|đồng)|ngân sách"
        r"|chi phí|\bvốn\b|tỷ đồng|triệu đồng|giải ngân|\btiền\b|phụ cấp|thù lao"
        r"|hết bao nhiêu",
        r"kinh phi|(?:bao nhieu|may) (?:tien|ty|trieu|dong)|so tien"
        r"|ngan sach|chi phi|\bvon\b|ty dong|trieu dong|giai ngan|phu cap|thu lao"
        r"|het bao nhieu",
        facts=("money",),
        bias=2,
        refines=("count",),
    ),
    Kind(
        "area",
        r"diện tích|rộng (?:bao nhiêu|mấy)|(?:bao nhiêu|mấy) (?:ha|héc[ -]?ta|hecta|m2|mét vuông|km2)\b",
        facts=("area",),
        bias=3,
        refines=("count",),  # "rộng bao nhiêu ha": a measure, not a count
    ),
    Kind(
        "amount",
        r"tối đa|tối thiểu|mức (?:hỗ trợ|chi|kinh phí)",
        facts=("amount",),
        bias=3,
        refines=("count", "money"),  # "tối đa bao nhiêu tiền"; a percent asked stays a percent
    ),
    # "ai lập báo cáo": a person, or else the office that does it ("Sở Công Thương")
    Kind("person", r"\bai\b|họ tên|người nào|\bông nào|\bbà nào", facts=("person", "org"), bias=1, prefer_first=True),
    Kind(
        "place",
        r"ở đâu|\bđâu\b|tại đâu|địa điểm|nơi nào|tỉnh nào|huyện nào",
        r"o dau|tai dau|dau vay|\bdau\s*\??$|dia diem|noi nao|tinh nao|huyen nao",
        facts=("place",),
        bias=1,
    ),
    Kind(
        "name",
        r"\btên\b(?! \w+ (?:bao nhiêu|mấy))|đơn vị nào|cơ quan nào|tổ chức nào"
        r"|gửi (?:về|cho|đến|lên|tới) (?:những )?(?:đâu|ai|cơ quan nào|đơn vị nào)"
        r"|\b(?:tổ|trang|chương trình|đề án|mô hình|danh hiệu|sản phẩm|giải thưởng|nguồn(?: kinh phí| vốn)?)"
        r" (?:gì|nào|là gì|tên là gì)",
        facts=("org", "name"),
        bias=1,
        named=True,
    ),
    Kind(
        "count",
        rf"(?:bao nhiêu|mấy|số lượng) {_COUNT_UNIT_STOP}[a-zà-ỹđ]+(?: [a-zà-ỹđ]+)?|bao nhiêu|\bmấy\b|số lượng",
        rf"(?:bao nhieu|so luong) {fold(_COUNT_UNIT_STOP)}[a-z]+(?: [a-z]+)?"
        r"|\bmay\b (?=de an|co so|nguoi|lop|san pham|hoc vien|ho so|lan\b|dot\b|tinh\b|huyen|doan\b|gian hang|hoi cho"
        r"|chuyen de|ca nhan|linh vuc|noi dung|nha\b|don vi|loai\b|buoc\b|muc\b|dieu\b|khoan\b|ban\b|bo\b|thanh phan|%)"
        r"(?:[a-z]+(?: [a-z]+)?)?|bao nhieu|so luong",  # the noun counted is the cue's: "may co so" counts "co so"
        facts=("count",),
        bias=-4,
        in_words="items",
    ),
    Kind(
        "yesno",
        r"(?:không|chưa|phải không|hay không|đúng không|được không|hay chưa|hả|hở)"
        r"(?:\s+(?:ạ|a|ad|admin|nhé|nhe|nha|vậy|vay|z|hả|ha|anh|chị|em))*\s*\??\s*$|\bcó (?:được|phải|đúng)\b"
        r"|\bđược (?:không|hỗ trợ không)\b|đúng hay sai|đúng không|phải không|hay không",
        facts=(),
        lead="yesno",
        bias=-2,
        rules_first=True,
    ),
)
GENERAL = Kind("general", r"(?!)", lead="quote")


@dataclass(frozen=True)
class KindMatch:
    """The kind found, the cue text that decided it, where it starts, the noun a count asks for ("đề án"),
    and the other fact kinds the same message asks ("… bao nhiêu tỷ, đạt bao nhiêu %")."""

    kind: Kind
    cue: str = ""
    unit: str = ""
    position: int = 0
    also: tuple[Kind, ...] = ()
    items_too: bool = False  # the message also asks the items ("mấy hồ sơ đề án, gồm những đề án gì")


def detect_kind(accented: str | None, folded: str) -> KindMatch:
    """The kinds asked, in the order the message asks them (general when none).

    `accented` is the question as typed when the user typed diacritics, else None:
    diacritics restored by the machine can be wrong ("may moi" read "mấy mới"), so a
    question typed without them is read with the folded cues alone, whose guards know
    the collisions.

    Every cue match is collected; one inside a longer match of another kind is dropped
    ("bao nhiêu" inside "bao nhiêu phần trăm"). The interrogative matches ("bao nhiêu",
    "ngày nào", "ai") are the questions, in order; a topical cue of the same clause that
    refines one names what it asks ("kinh phí … bao nhiêu" asks money, "hạn … ngày
    nào" a deadline). The first is the kind; the other fact kinds are kept in `also`.
    Without an interrogative, the strongest cue decides ("kinh phí KCQG năm 2022").
    """
    # the question is its first line or sentence that asks; what follows (options "A. …", a quoted text) is not
    cut = len(_question_part(folded))
    accented = accented[:cut] if accented is not None else None
    folded = folded[:cut]
    matches = _matches(accented, folded)
    if not matches:
        return KindMatch(GENERAL)
    asking = [m for m in matches if _interrogative(folded, m)]
    # "nghe nói kc đang đẩy mạnh mấy nội dung, em xin … có đúng hướng ko": what one heard is told, not asked
    asking = [m for m in asking if not _REPORTED.search(folded, 0, m.position)] or asking
    own = [m for m in asking if _ASKING.search(fold(m.cue))]
    # a topical cue only followed by another kind's question ("tối đa" + "bao nhiêu phần trăm") is not one itself
    asking = [m for m in asking if m in own or not any(0 < o.position - m.position <= len(m.cue) + 12 for o in own)]
    questions: list[KindMatch] = []
    for match in sorted(asking, key=lambda m: m.position):
        refined = _refined(match, matches, folded)
        if all(q.kind.name != refined.kind.name for q in questions):
            questions.append(refined)
    if not questions:  # no kind's question word: the strongest topical cue ("số điện thoại … là gì")
        strongest = max(matches, key=lambda m: (len(m.cue) + m.kind.bias, -KINDS.index(m.kind)))
        return strongest
    first, rest = questions[0], questions[1:]
    also = tuple(q.kind for q in rest if q.kind.facts)
    return replace(first, also=also, items_too=any(q.kind.lead == "list" for q in rest))


def _question_part(text: str) -> str:
    """The text up to the end of its first question ("?"), or its first line when it has several."""
    mark = text.find("?")
    if mark >= 0:
        return text[: mark + 1]
    line = text.find("\n")
    return text if line < 0 else text[:line]


def _typed_otherwise(kind: Kind, typed: str, span: tuple[int, int]) -> bool:
    """Whether a folded cue match covers a word the user typed with diacritics the kind's cues never
    spell ("sở" of "cơ sở may" for "số mấy"): then it is another word. `typed`: the lowered question as
    typed with diacritics ("" when typed without them)."""
    spelled = _cue_words(kind)
    words = typed[span[0] : span[1]].split()  # the words a ".*" of a cue spans are not the cue's: not checked
    return any(has_diacritics(word) and fold(word) in spelled and word not in kind.cues for word in words)


@cache
def _cue_words(kind: Kind) -> frozenset[str]:
    """The folded words a kind's cues spell."""
    return frozenset(re.findall(r"[a-z]+", fold(kind.cues)))


def _matches(accented: str | None, folded: str) -> list[KindMatch]:
    """Every cue match of every kind, less those inside a longer match of another kind."""
    views = [(True, accented.lower())] if accented is not None else []
    views.append((False, folded))
    typed = accented.lower() if accented is not None and len(accented) == len(folded) else ""
    found: dict[tuple[str, int], KindMatch] = {}
    for kind in KINDS:
        for is_accented, text in views:
            pattern = kind.accented_pattern if is_accented else kind.folded_pattern
            for match in pattern.finditer(text):
                key, cue = (kind.name, match.start()), match.group(1)
                if not is_accented and _typed_otherwise(kind, typed, match.span(1)):
                    continue  # "cơ sở may" typed so is no "số mấy"
                if _INDEFINITE.match(folded, match.start()):
                    continue  # "mấy năm trước" tells a time, it asks none
                if cue and (key not in found or len(cue) > len(found[key].cue)):
                    found[key] = KindMatch(kind, cue, _unit(kind, cue), match.start())
    items = list(found.values())

    def inside(m: KindMatch, other: KindMatch) -> bool:
        return (
            other.kind is not m.kind
            and other.position <= m.position
            and m.position + len(m.cue) <= other.position + len(other.cue)
            and len(other.cue) > len(m.cue)
        )

    return [m for m in items if not any(inside(m, o) for o in items)]


def _refined(question: KindMatch, matches: list[KindMatch], folded: str) -> KindMatch:
    """The question as a topical cue of its clause refines it ("kinh phí … bao nhiêu" asks money)."""
    if question.kind.name == "count" and question.unit:
        return question  # "bao nhiêu đề án" asks a count of đề án
    topical = [m for m in matches if question.kind.name in m.kind.refines and not _ASKING.search(fold(m.cue))]
    for other in sorted(topical, key=lambda m: abs(m.position - question.position)):
        if _same_sentence(folded, question.position, other.position):
            return replace(other, position=question.position)
    return question


def _same_sentence(folded: str, a: int, b: int) -> bool:
    low, high = sorted((a, b))
    return not re.search(r"[.;?!]", folded[low:high])


_ASKING = re.compile(
    r"bao nhieu|\bmay\b|\bnao\b|\bdau\b|\bai\b|%|khi nao|bao gio|bao lau|\bgi\b|vi sao|tai sao|the nao"
    r"|hay sai|dung khong|phai khong|hay khong|duoc khong|(?:khong|\bha)(?:\s+(?:a|ad|admin|nhe|nha|vay|z))*\s*\??\s*$"
    r"|^sao\b"  # chat's bare "sao" opening a clause (the reason cue allows it nowhere else) asks why
)


# "mấy năm trước", "mấy tháng nay": "a few", in a time the user tells about their own case, not a question
_INDEFINITE = re.compile(r"may (?:ngay|thang|nam|tuan|hom|bua|dot)(?: \w+)? (?:truoc|nay|qua|roi|gan day)\b")


# a clause telling what the user heard, up to the question word: its "mấy" is "a few"
_REPORTED = re.compile(r"\b(?:nghe noi|nghe bao|nghe dau|thay bao|thay noi|duoc biet)\b[^,.;?!\n]*$")

_ASKED_AFTER = re.compile(r"\s*(?:\w+\s+){0,2}?(?:nao|gi|bao nhieu|dau|j)\b")  # not "may": "máy móc"


def _interrogative(folded: str, match: KindMatch) -> bool:
    """Whether the cue asks (holds or is followed by a question word), rather than naming the topic."""
    end = match.position + len(match.cue)
    return bool(_ASKING.search(fold(match.cue))) or bool(_ASKED_AFTER.match(folded, end))


def _unit(kind: Kind, cue: str) -> str:
    if kind.named:  # the noun whose name is asked: "tổ gì" -> "tổ", "chương trình nào" -> "chương trình"
        words = cue.split()
        if fold(words[0]) not in _NAMED_NOUNS:
            return ""
        noun = [w for w in words if fold(w) not in ("gi", "nao", "la", "ten")] or words[:1]
        return " ".join(noun)
    if kind.name != "count":
        return ""
    words = cue.split()
    head = 2 if words[:2] in (["bao", "nhiêu"], ["bao", "nhieu"], ["số", "lượng"], ["so", "luong"]) else 1
    noun = words[head:]
    while noun and fold(noun[-1]) in _UNIT_STOP:  # "bao nhiêu người và …": the noun is "người"
        noun.pop()
    return " ".join(noun)


# function words and the chat particles that close a question ("bao nhiêu rồi ạ", "mấy người vậy ad")
_UNIT_STOP = frozenset(
    "va voi thi vay a khong ko la cua duoc cho da se dang nhe nha ad admin roi z v ha ak nhi".split()
)
# Cue words that also name the topic stay in it: "nghị định nào" asks about a decree, "kinh phí" about money.
_TOPICAL = ("count", "list", "money", "docnumber")
_NAMED_NOUNS = ("ten", "to", "trang", "chuong", "de", "mo", "danh", "san", "giai", "nguon")
_ALL_CUES = re.compile(
    "|".join(rf"(?<!\w)(?:{k.cues})" for k in KINDS if k.name not in _TOPICAL)
    + r"|(?<!\w)(?:(?:hết |tốn )?bao nhiêu tiền|mấy tiền|(?:hết |tốn )?bao nhiêu|\bmấy\b|là gì|\bgì\b|\bnào\b"
    r"|như thế nào|thế nào|ra sao|là ai"
    r"|hay không|có phải|số hiệu"
    r"|số mấy|số bao nhiêu)"
)
_ALL_FOLDED = re.compile(
    "|".join(
        rf"(?<!\w)(?:{k.folded if k.folded is not None else fold(k.cues)})" for k in KINDS if k.name not in _TOPICAL
    )
    + r"|(?<!\w)(?:(?:het |ton )?bao nhieu tien|may tien|(?:het |ton )?bao nhieu|\bmay\b(?! moc| mac| thiet)|la gi"
    r"|\bgi\b|\bnao\b|nhu the nao"
    r"|the nao|ra sao|la ai"
    r"|hay khong|co phai|so hieu|so may|so bao nhieu)"
)


def strip_cues(text: str, accented: frozenset[str] = frozenset()) -> str:
    """`text` without its interrogative words (accented or folded cues), diacritics kept where it has them.

    `accented`: the words the user typed with diacritics (lower case); a folded cue over words all typed
    so, with other diacritics than the cue's, is no cue ("tờ gì" of "giấy tờ gì" is not "tổ gì").
    """
    folded = fold(text)
    if len(folded) != len(text):  # not NFC-composed: work on the folded text
        return " ".join(_ALL_FOLDED.sub(" ", folded).split())
    spans = [m.span() for m in _ALL_CUES.finditer(text.lower())]
    for found in _ALL_FOLDED.finditer(folded):
        words = text[found.start() : found.end()].lower().split()
        if not (accented and all(word in accented for word in words)):
            spans.append(found.span())
    keep = [True] * len(text)
    for start, end in spans:
        keep[start:end] = [False] * (end - start)
    return " ".join("".join(ch if k else " " for ch, k in zip(text, keep)).split()).strip(" ?")
