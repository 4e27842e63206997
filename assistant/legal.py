"""Recognise a Vietnamese administrative document from its text.

The header of a legal text (văn bản quy phạm pháp luật) or an administrative letter
follows one pattern::

    ỦY BAN NHÂN DÂN              CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
    TỈNH ĐỒNG NAI                    Độc lập - Tự do - Hạnh phúc
    Số: 59/2015/QĐ-UBND          Biên Hòa, ngày 31 tháng 12 năm 2015
                          QUYẾT ĐỊNH
            Ban hành Quy định ... trên địa bàn tỉnh Đồng Nai

`recognise` reads the issuing body, number, kind, place and date of issue, subject line,
the effective date ("có hiệu lực kể từ ngày …") and the relations to earlier texts
("sửa đổi, bổ sung", "thay thế", "bãi bỏ"). `amendment_spans` finds, in an amending
text, the sentences that change an article ("Sửa đổi, bổ sung khoản 1 Điều 4 như sau:").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from .dates import DATED, read
from .text import PROVINCE_NAMES, fold, provinces_in
from .types import DocumentKind

__all__ = [
    "RELATIONS",
    "AmendmentSpan",
    "LegalHeader",
    "amendment_spans",
    "asked_document",
    "doc_id_for",
    "number_key",
    "number_matches",
    "recognise",
    "relation_span",
]

# Document types as printed (capitals in the header) -> manifest kind (each kind lists its own, types.py).
KINDS = {name: kind for kind in DocumentKind for name in kind.printed}
# Type code in the number ("45/2012/NĐ-CP") -> kind name.
_NUMBER_CODES = {
    "nd": "Nghị định",
    "qd": "Quyết định",
    "ttlt": "Thông tư liên tịch",
    "tt": "Thông tư",
    "nq": "Nghị quyết",
    "ct": "Chỉ thị",
    "bc": "Báo cáo",
    "kh": "Kế hoạch",
    "tb": "Thông báo",
    "hd": "Hướng dẫn",
    "ttr": "Tờ trình",
}
_ID_PREFIX = {name: code for code, name in _NUMBER_CODES.items()} | {"Công văn": "cv", "Luật": "luat"}
RELATIONS = {"amends": "sửa đổi, bổ sung", "replaces": "thay thế", "repeals": "bãi bỏ"}

_HEADER_LINES = 40
_NUMBER = re.compile(r"\bSố\s*[:.]?\s*(\d+[A-Za-z]?/[0-9A-Za-zĐđ/.\-–]*[A-Za-zĐđ])")
_DOC_NUMBER = re.compile(r"\b(\d+/\d{4}/[A-ZĐ][A-ZĐa-zđ0-9]*(?:[-–][A-ZĐa-zđ0-9]+)*)")
_PLACE_DATE = re.compile(rf",\s*(?P<date>ngày\s+{DATED})", re.IGNORECASE)  # "Biên Hòa, ngày 31 tháng 12 năm 2015"
_EFFECTIVE = re.compile(
    rf"có hiệu lực(?:\s+thi hành)?\s*(?:(?:kể\s+)?từ\s+(?P<date>ngày\s+{DATED})|(?:kể\s+)?từ\s+ngày\s+(?P<signed>ký)"
    r"|sau\s+(?P<days>\d+)\s+ngày)",
    re.IGNORECASE,
)
# "… Quyết định số 59/2015/QĐ-UBND ngày 31 tháng 12 năm 2015 của UBND tỉnh …" in a subject line
_ISSUED_ON = re.compile(rf"\s+ngày\s+{DATED}(\s+của\s.*?(?=\s+về\s|$))?")
_BODY_START = re.compile(r"^(Căn cứ|Theo đề nghị|Xét đề nghị|Chương\s|CHƯƠNG\s|Điều\s+\d|Phần\s|PHẦN\s)")
_MOTTO = re.compile(
    r"CỘNG H[OÒ]A XÃ H[OỘ]I CH[UỦ] NGH[IĨ]A VIỆT NAM|Độc lập\s*-\s*Tự do\s*-\s*Hạnh phúc", re.IGNORECASE
)
_RULE = re.compile(r"^[-_=–—.*\s]+$")
_VERBS = re.compile(
    r"(sửa đổi(?:,?\s*bổ sung)?|bổ sung(?=\s+(?:một số|điều|khoản|điểm|phụ lục))|thay thế|bãi bỏ|hủy bỏ|huỷ bỏ)",
    re.IGNORECASE,
)
_PARTIAL = re.compile(r"\b(điều|khoản|điểm|cụm từ|một số|phụ lục)\b", re.IGNORECASE)
_OWN_ARTICLE = re.compile(r"^(Điều\s+\d+[a-z]?\s*[.:]\s*|\d+\.\s+|[a-zđ]\)\s+)")


@dataclass
class LegalHeader:
    """What the text says about itself; empty fields were not found."""

    kind_name: str = ""
    kind: DocumentKind = DocumentKind.NEWS
    number: str = ""
    issuer: str = ""
    province: str = ""
    place: str = ""
    date: str = ""
    subject: str = ""
    effective_date: str = ""
    relations: dict[str, list[str]] = field(default_factory=dict)
    articles: int = 0
    chapters: int = 0

    @property
    def year(self) -> int | None:
        """Year of issue, from the date or else from the number ("…/2012/…")."""
        if self.date:
            return int(self.date[:4])
        found = re.search(r"/(\d{4})/", self.number)
        return int(found.group(1)) if found else None

    def title(self) -> str:
        """ "Nghị định 45/2012/NĐ-CP về khuyến công"; "" when the kind or number is unknown."""
        if not (self.kind_name and self.number):
            return ""
        subject = self.subject
        if subject and not subject[:2].isupper():
            subject = subject[:1].lower() + subject[1:]
        subject = re.sub(r"^về việc\s+", "về ", subject, flags=re.IGNORECASE)
        if _DOC_NUMBER.search(subject):  # "… Quyết định số 59/2015/QĐ-UBND ngày … của UBND tỉnh …": the number suffices
            subject = _ISSUED_ON.sub("", subject)
        return " ".join(part for part in (self.kind_name, self.number, subject) if part)


def recognise(text: str) -> LegalHeader:
    """Header fields, effective date and relations of a document's text."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    header = _header_lines(lines)
    found = LegalHeader()
    found.number = _find_number(header)
    found.kind_name, found.subject = _find_kind_and_subject(header)
    if not found.kind_name and found.number:
        found.kind_name = _kind_from_number(found.number)
    found.kind = KINDS.get(found.kind_name, DocumentKind.NEWS)
    found.issuer = _find_issuer(header)
    found.province = _province_of(found.issuer)
    found.place, found.date = _find_place_date(header)
    found.effective_date = _find_effective(text, found.date)
    found.relations = find_relations(text, found.number) if found.kind is DocumentKind.REGULATION else {}
    found.articles = sum(bool(re.match(r"^Điều\s+\d+[a-z]?\s*[.:]", line)) for line in lines)
    found.chapters = sum(bool(re.match(r"^(Chương|CHƯƠNG)\s+[IVXLC\d]+\b", line)) for line in lines)
    return found


def _header_lines(lines: list[str]) -> list[str]:
    """The lines before the body (preamble or first article), split at table cell marks."""
    out: list[str] = []
    for line in lines[:_HEADER_LINES]:
        if _BODY_START.match(line):
            break
        out.extend(part.strip() for part in line.split(" | ") if part.strip())
    return out


def _find_number(header: list[str]) -> str:
    for line in header:
        match = _NUMBER.search(line)
        if match:
            return match.group(1).replace("–", "-").rstrip(".-")
    return ""


def _find_kind_and_subject(header: list[str]) -> tuple[str, str]:
    for position, line in enumerate(header):
        name = _kind_line(line)
        if name is None:
            continue
        rest = line[len(name) :].strip(" :")
        subject_lines = [rest] if rest else _subject_lines(header[position + 1 :])
        return name, " ".join(subject_lines)
    for line in header:  # a letter's subject sits under its number: "V/v triển khai …"
        if re.match(r"^(V/v|Về việc)\s", line):
            return "", line
    return "", ""


def _kind_line(line: str) -> str | None:
    """The kind name when `line` is the capitalised kind ("NGHỊ ĐỊNH", "QUYẾT ĐỊNH Về việc …")."""
    for name in sorted(KINDS, key=len, reverse=True):
        caps = name.upper()
        if line == caps or (line.startswith(caps + " ") and not line[len(caps) + 1 :][:2].isupper()):
            return name
    return None


def _subject_lines(lines: list[str]) -> list[str]:
    subject: list[str] = []
    for line in lines[:4]:
        if _RULE.match(line) or line.startswith("("):
            break
        if subject and (_is_caps(line) or _BODY_START.match(line)):
            break
        if _is_caps(line) and not subject:
            break
        subject.append(line)
    return subject


def _kind_from_number(number: str) -> str:
    code = fold(number.rsplit("/", 1)[-1]).split("-")[0]
    return _NUMBER_CODES.get(code, "Công văn")


_ALWAYS_CODED = frozenset({"Nghị định", "Quyết định", "Thông tư", "Thông tư liên tịch", "Nghị quyết", "Chỉ thị"})
# Issuers as a question names them -> the code a number carries ("13264/UBND-KTNS", "5321/SCT-CN").
_ISSUER_CODES = {
    "ubnd": ("ubnd", "uy ban nhan dan", "uy ban"),
    "sct": ("so cong thuong", "sct"),
    "cp": ("chinh phu",),
    "bct": ("bo cong thuong", "bct"),
    "ctdp": ("cuc cong thuong dia phuong", "cuc ctdp", "ctdp"),
}
_KIND_WORDS = {fold(name).lower(): name for name in [*_NUMBER_CODES.values(), "Công văn"]} | {"van ban": ""}
_ASKED_KIND = re.compile(rf"\b({'|'.join(sorted(_KIND_WORDS, key=len, reverse=True))})\b")
_ASKED_ISSUER = re.compile(rf"\b(?:cua|do)\s+({'|'.join(w for words in _ISSUER_CODES.values() for w in words)})\b")


# after another document's name: the document it carries out or changes ("văn bản … triển khai QĐ …")
_ACTED_ON = re.compile(r"\b(?:trien khai|thuc hien|huong dan|sua doi|bo sung|thay the|ve viec)\s+$")


def asked_document(question: str, at: int = 0) -> tuple[str, str]:
    """The kind and issuer code of the document a question asks the number of, the kind named
    nearest the question word at `at` ("Công văn của UBND tỉnh … số mấy" -> ("Công văn", "ubnd"));
    "" for what it does not say ("văn bản" names no kind)."""
    folded = fold(question).lower()
    kinds = list(_ASKED_KIND.finditer(folded))
    # "văn bản của Sở triển khai QĐ phê duyệt … số mấy": a document acted on is not the one asked
    heads = [m for i, m in enumerate(kinds) if not (i and _ACTED_ON.search(folded[: m.start()]))] or kinds
    kind = min(heads, key=lambda m: abs(m.start() - at), default=None)
    issuer = _ASKED_ISSUER.search(folded)
    code = next((c for c, words in _ISSUER_CODES.items() if issuer and issuer.group(1) in words), "")
    return (_KIND_WORDS[kind.group(1)] if kind else "", code)


def number_matches(number: str, kind: str, issuer: str) -> bool:
    """Whether a document number can be of the kind and issuer asked ("1994/QĐ-UBND": a Quyết định
    of the UBND). Regulations always carry their code; a letter or report may carry none
    ("báo cáo số 581/KC&TV-KC"), but not another kind's code."""
    codes = fold(number.rsplit("/", 1)[-1]).lower().split("-")
    typed = codes[0] in _NUMBER_CODES
    if kind and (typed or kind in _ALWAYS_CODED) and _kind_from_number(number) != kind:
        return False
    number_issuer = (codes[1:2] if typed else codes[:1]) or [""]
    return not issuer or number_issuer[0] == issuer


def _find_issuer(header: list[str]) -> str:
    """Capitalised lines above the number, left of the national motto ("ỦY BAN NHÂN DÂN / TỈNH ĐỒNG NAI")."""
    parts: list[str] = []
    for line in header:
        if _NUMBER.search(line) or _kind_line(line) is not None:
            break
        line = _MOTTO.split(line)[0].strip()
        if line and not _RULE.match(line) and _is_caps(line):
            parts.append(line)
    return _readable_body(" ".join(parts)) if parts else ""


_LOWER_WORDS = {"ban", "nhân", "dân", "tỉnh", "thành", "phố", "và", "của", "hội", "đồng", "phủ", "văn", "phòng"}
_KEEP_CAPS = {"UBND", "HĐND", "CP", "TP."}


def _readable_body(caps: str) -> str:
    """ "ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI" -> "Ủy ban nhân dân tỉnh Đồng Nai"."""
    words = caps.split()
    place = provinces_in(caps)
    place_words = set(PROVINCE_NAMES.get(place[0], "").upper().split()) if place else set()
    out = []
    for position, word in enumerate(words):
        if word in _KEEP_CAPS:
            out.append(word)
        elif position > 0 and word.lower() in _LOWER_WORDS and word not in place_words:
            out.append(word.lower())
        else:
            out.append(word[:1] + word[1:].lower())
    return " ".join(out)


def _province_of(issuer: str) -> str:
    """The province of a provincial body ("Ủy ban nhân dân tỉnh Đồng Nai" -> "Đồng Nai")."""
    match = re.search(r"\b(?:tỉnh|thành phố|tp\.)\s+(.+)$", issuer, re.IGNORECASE)
    if match is None:
        return ""
    found = provinces_in(match.group(1))
    return PROVINCE_NAMES.get(found[0], "") if found else match.group(1).strip()


def _find_place_date(header: list[str]) -> tuple[str, str]:
    for line in header:
        match = _PLACE_DATE.search(line)
        if match is None:
            continue
        return _place_before(line[: match.start()]), read(match.group("date")).iso()
    return "", ""


def _place_before(prefix: str) -> str:
    words: list[str] = []
    for word in reversed(prefix.split()):
        shouting = _is_caps(word) and word != "TP."
        if any(ch.isdigit() for ch in word) or ":" in word or shouting or len(words) == 5:
            break
        words.insert(0, word)
    return " ".join(words)


def _find_effective(text: str, issued: str) -> str:
    """The date this text takes effect; its own "… này có hiệu lực" sentence wins over others."""
    matches = list(_EFFECTIVE.finditer(text))
    own = [m for m in matches if re.search(r"\bnày\s*$", text[max(0, m.start() - 12) : m.start()])]
    if not matches:
        return ""
    match = (own or matches)[0]
    if match.group("date"):
        return read(match.group("date")).iso()
    if not issued:
        return ""
    days = int(match.group("days") or 0)
    return (date.fromisoformat(issued) + timedelta(days=days)).isoformat()


def find_relations(text: str, own_number: str = "") -> dict[str, list[str]]:
    """Numbers of the texts this one amends, replaces or repeals, from its own sentences."""
    found: dict[str, list[str]] = {}
    for sentence in _relation_sentences(text):
        verb = _VERBS.search(sentence)
        numbers = [n for n in _DOC_NUMBER.findall(sentence) if number_key(n) != number_key(own_number)]
        if verb is None or not numbers:
            continue
        relation = _relation_of(verb.group(1), sentence[verb.end() : sentence.find(numbers[0])])
        for number in numbers:
            if number not in found.setdefault(relation, []):
                found[relation].append(number)
    return {k: v for k, v in found.items() if v}


def _relation_sentences(text: str) -> list[str]:
    out = []
    for line in text.split("\n"):
        if re.match(r"^\s*(Căn cứ|Theo đề nghị|Xét đề nghị)", line):
            continue  # the preamble cites the texts this one rests on, not the ones it changes
        out.extend(re.split(r"(?<=[.;])\s+", line))
    return out


def _relation_of(verb: str, between: str) -> str:
    """A change to named articles or clauses is an amendment, whatever the verb."""
    folded = fold(verb)
    if folded.startswith(("sua doi", "bo sung")) or _PARTIAL.search(between):
        return "amends"
    return "replaces" if folded.startswith("thay the") else "repeals"


def number_key(number: str) -> str:
    """Comparable form of a document number ("45/2012/NĐ-CP" -> "45-2012-nd-cp")."""
    return re.sub(r"[^a-z0-9]+", "-", fold(number)).strip("-")


def doc_id_for(kind_name: str, number: str) -> str:
    """Manifest id derived from the number: ("Nghị định", "45/2012/NĐ-CP") -> "nd-45-2012-nd-cp".

    Without a kind name, the kind is read from the number's type code ("QĐ" -> Quyết định).
    """
    prefix = _ID_PREFIX.get(kind_name or _kind_from_number(number), "vb")
    return f"{prefix}-{number_key(number)}"[:80]


@dataclass(frozen=True)
class AmendmentSpan:
    """A sentence of an amending text that changes `article` (and `clauses`, when it names them).

    `relation` is what the sentence does to them: "amends", "replaces" or "repeals".
    """

    article: str
    clauses: tuple[str, ...]
    start: int
    end: int
    relation: str = "amends"


def amendment_spans(text: str) -> list[AmendmentSpan]:
    """Where an amending text changes an article: "Sửa đổi, bổ sung khoản 1 Điều 4 như sau:"."""
    spans: list[AmendmentSpan] = []
    offset = 0
    for line in text.split("\n"):
        body = _OWN_ARTICLE.sub("", line.strip())
        verb = _VERBS.search(body)
        if verb and not re.match(r"^\s*Căn cứ", line):
            start = offset + len(line) - len(line.lstrip())
            end = _with_new_text(text, offset + len(line.rstrip()))
            relation = _span_relation(verb.group(1))
            spans.extend(AmendmentSpan(a, c, start, end, relation) for a, c in _provisions(body))
        offset += len(line) + 1
    return spans


def _span_relation(verb: str) -> str:
    folded = fold(verb)
    if folded.startswith("thay the"):
        return "replaces"
    return "repeals" if folded.startswith(("bai bo", "huy bo")) else "amends"


def _provisions(sentence: str) -> list[tuple[str, tuple[str, ...]]]:
    """(article, clauses) named in a sentence; clauses are those named before their article."""
    out: list[tuple[str, tuple[str, ...]]] = []
    previous_end = 0
    for match in re.finditer(r"Điều\s+(\d+[a-z]?)\b", sentence, re.IGNORECASE):
        clauses = tuple(re.findall(r"khoản\s+(\d+)", sentence[previous_end : match.start()], re.IGNORECASE))
        out.append((match.group(1), clauses))
        previous_end = match.end()
    return out


def _with_new_text(text: str, end: int) -> int:
    """Extend a "… như sau:" line over the next line, which holds the new wording."""
    if not text[:end].endswith(":"):
        return end
    newline = text.find("\n", end)
    if newline == -1:
        return end
    stop = text.find("\n", newline + 1)
    following = text[newline + 1 : len(text) if stop == -1 else stop].rstrip()
    return newline + 1 + len(following) if following.strip() else end


def relation_span(text: str, number: str) -> tuple[int, int] | None:
    """The first sentence of `text` that amends, replaces or repeals the document `number`."""
    key = number_key(number)
    offset = 0
    for line in text.split("\n"):
        names = _VERBS.search(line) and any(number_key(n) == key for n in _DOC_NUMBER.findall(line))
        if names and not re.match(r"^\s*Căn cứ", line):
            lead = len(line) - len(line.lstrip())
            return offset + lead, offset + len(line.rstrip())
        offset += len(line) + 1
    return None


def _is_caps(line: str) -> bool:
    letters = [ch for ch in line if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters)
