"""Vocabularies kept as data: abbreviations, chat forms, provinces, synonyms, fillers.

The files live in `assistant/vocab/` and are read once. Adding a word means editing
one of them, never code:

- `abbreviations.tsv`: domain abbreviations and their expansions (KCQG, CNNT, …);
- `chat.json`: chat forms and teencode ("ko", "dc", "bn", "ntn"), ambiguous forms
  resolved by the word before or after them ("đk kh" is "đăng ký kế hoạch", "đủ đk"
  is "đủ điều kiện", "có đk hỗ trợ" is "có được hỗ trợ");
- `provinces.json`: provinces with their aliases and the 2025 mergers;
- `synonyms.tsv`: the documents' words for what users write ("nộp" / "gửi");
- `fillers.txt`: polite openers and closers and figure-selecting qualifiers that carry
  no topic ("cho em hỏi", "ạ", "tổng cộng");
- `contrasts.json`: words that exclude one another after the same head ("phía Bắc" / "phía Nam");
- `qualifiers.json`: the words that pick one figure among neighbours (national/local
  programme, plan/actual, region, total, part), as questions and as documents say them.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "Province",
    "abbreviations",
    "abbreviations_expanded",
    "accented_fillers",
    "chat_form_words",
    "contrasts",
    "expand_chat",
    "fillers",
    "provinces",
    "qualifier",
    "synonyms",
    "unglue",
]


def _read(name: str) -> str:
    return unicodedata.normalize("NFC", (resources.files("assistant") / "vocab" / name).read_text(encoding="utf-8"))


def _rows(name: str) -> list[list[str]]:
    lines = _read(name).splitlines()
    return [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").replace("đ", "d")


@cache
def abbreviations() -> dict[str, tuple[str, bool]]:
    """Abbreviation -> (expansion, matched only in capitals)."""
    return {row[0]: (row[1], len(row) > 2 and row[2].strip() == "upper") for row in _rows("abbreviations.tsv")}


def abbreviations_expanded() -> tuple[str, ...]:
    """The expansions of the abbreviations ("Trung tâm Khuyến công", "khuyến công quốc gia")."""
    return tuple(expansion for expansion, _ in abbreviations().values())


@cache
def synonyms() -> dict[str, tuple[str, ...]]:
    """Folded word users write -> folded words the documents use for it."""
    return {row[0].strip(): tuple(w.strip() for w in row[1].split(",")) for row in _rows("synonyms.tsv")}


@cache
def fillers() -> tuple[str, ...]:
    """Folded filler phrases, longest first."""
    return tuple(sorted({_fold(p) for p in accented_fillers()}, key=len, reverse=True))


@cache
def accented_fillers() -> frozenset[str]:
    """Filler phrases as written in the data (lower case, with diacritics)."""
    lines = (line.strip().lower() for line in _read("fillers.txt").splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


@cache
def contrasts(key: str = "sets") -> tuple[frozenset[str], ...]:
    """Sets of words that exclude one another after the same head word (`contrasts.json`, "sets"), or
    phrases that exclude one another wherever they stand ("phrases"), folded."""
    data: dict[str, Any] = json.loads(_read("contrasts.json"))
    return tuple(frozenset(words) for words in data.get(key, []))


def qualifier(name: str, side: str) -> re.Pattern[str]:
    """Whole-word pattern (on folded text) of a qualifier's words ("plan", "national", …) on one side
    ("question" or "document") of `qualifiers.json`."""
    data: dict[str, Any] = json.loads(_read("qualifiers.json"))
    words = sorted(data[name][side], key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b") if words else re.compile(r"(?!)")


@dataclass(frozen=True)
class Province:
    """A province: its name, other spellings, and the province it joined in 2025 (if any)."""

    name: str
    aliases: tuple[str, ...] = ()
    merged_into: str | None = None
    merged_from: str | None = None  # ISO date the merger took effect


@cache
def provinces() -> tuple[Province, ...]:
    """Every province of the data file."""
    data: dict[str, Any] = json.loads(_read("provinces.json"))
    return tuple(
        Province(p["name"], tuple(p.get("aliases", ())), p.get("merged_into"), p.get("from")) for p in data["provinces"]
    )


@dataclass(frozen=True)
class _Reading:
    to: str
    before: frozenset[str] = frozenset()
    after: frozenset[str] = frozenset()

    def applies(self, previous: str, following: str) -> bool:
        if not self.before and not self.after:
            return True
        return _context_word(previous) in self.before or _context_word(following) in self.after


def _context_word(word: str) -> str:
    if not word:
        return "#end"
    return "#num" if word[0].isdigit() else _fold(word)


@cache
def chat_form_words() -> tuple[str, ...]:
    """The chat forms of `chat.json` ("ko", "dc", "bn"), as typed."""
    return tuple(_chat_forms())


@cache
def _chat_forms() -> dict[str, tuple[_Reading, ...]]:
    data: dict[str, Any] = json.loads(_read("chat.json"))
    forms: dict[str, tuple[_Reading, ...]] = {}
    for form, readings in data["forms"].items():
        forms[form] = tuple(
            _Reading(r)
            if isinstance(r, str)
            else _Reading(r["to"], frozenset(r.get("before", ())), frozenset(r.get("after", ())))
            for r in readings
        )
    return forms


_TOKEN = re.compile(r"[^\W_]+'?|\S", re.UNICODE)
# Chat glues and stretches words: "nammm", "cv400", "qđ1994", "2ty7" (2,7 tỷ), "500tr".
_STRETCHED = re.compile(r"([a-zà-ỹđ])\1{2,}")  # lower case only: "III" is a Roman numeral
# a word ending in a doubled letter ("nhieuu", "koo"): no Vietnamese syllable ends in a vowel doubled after another
_DOUBLED_END = re.compile(r"(?<![\w])([^\W\d_]*)([a-zà-ỹđ])\2(?![\w])")  # lower case: "III" is a numeral
_VOWELS = frozenset("aeiouy")
_LETTERS_NUMBER = re.compile(r"(?<![\w/-])([^\W\d_]{2,5})(\d{2,})(?![\w/-])")
_MONEY_SHORT = re.compile(r"(?<![\w,.])(\d+)(tỷ|ty|tr|triệu|trieu)(\d{1,3})?(?![\w,.])", re.IGNORECASE)
_MONEY_UNITS = {"ty": "tỷ", "tỷ": "tỷ", "tr": "triệu", "triệu": "triệu", "trieu": "triệu"}


def unglue(text: str) -> str:
    """Chat spellings split back into words: "nammm" -> "nam", "nhieuu" -> "nhieu", "cv400" -> "cv 400",
    "2ty7" -> "2,7 tỷ"."""
    text = _STRETCHED.sub(r"\1", text)
    text = _DOUBLED_END.sub(_undoubled, text)
    text = _LETTERS_NUMBER.sub(r"\1 \2", text)
    return _MONEY_SHORT.sub(_money, text)


def _undoubled(match: re.Match[str]) -> str:
    stem, letter = match.group(1), match.group(2)
    folded = _fold(stem + letter)
    if len(folded) >= 2 and folded[-1] in _VOWELS and folded[-2] in _VOWELS:
        return stem + letter
    return match.group(0)


def _money(match: re.Match[str]) -> str:
    whole, unit, fraction = match.groups()
    number = f"{whole},{fraction}" if fraction else whole
    return f"{number} {_MONEY_UNITS[unit.lower()]}"


def expand_chat(text: str) -> str:
    """Chat forms spelled out: "co dc ho tro ko ad" -> "co được ho tro không admin"."""
    text = unglue(text)
    forms = _chat_forms()
    tokens = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(text)]
    words = [i for i, (_, _, t) in enumerate(tokens) if t[0].isalnum()]
    out, last = [], 0
    for pos, index in enumerate(words):
        start, end, token = tokens[index]
        readings = forms.get(token.lower())
        glued = (start > 0 and text[start - 1] in "/-") or text[end : end + 1] in ("/", "-")
        if not readings or glued:  # part of a number or code ("3116/QĐ-BCT")
            continue
        previous = tokens[words[pos - 1]][2] if pos else ""
        following = tokens[words[pos + 1]][2] if pos + 1 < len(words) else ""
        reading = next((r for r in readings if r.applies(previous, following)), None)
        if reading is None or reading.to == token.lower():
            continue
        out += [text[last:start], reading.to]
        last = end
    out.append(text[last:])
    return "".join(out)
