"""Abbreviations the lexicon does not list, read from the indexed documents themselves.

Chat users shorten any phrase to its initials ("xd" xây dựng, "ktkt" kinh tế kỹ thuật,
"đmktkt" …), and a newly added document brings its own ("Trung tâm Xúc tiến (TTXT)").
A Vietnamese syllable always has a vowel, so a typed token made only of consonants is an
abbreviation. When neither the lexicon (vocab/) nor the documents know it as a word, it is
read as the phrase the documents define for it ("… (TTXT)") or, failing that, as the
phrase whose initials it spells that the documents use most often, when that phrase
clearly dominates the other readings.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .indexing import LoadedIndex
from .text import ABBREVIATIONS, STOPWORDS, fold, is_consonant_run

__all__ = ["acronym_asked", "acronym_use", "defined_names", "expand_acronyms", "expansion_in"]

_TOKEN = re.compile(r"(?<![\w/-])([^\W\d_]{2,6})(?![\w/-])")
_DEFINED = re.compile(r"((?:[^\W\d_]+\s+){1,9}[^\W\d_]+)\s*\(([^\W\d_][^\W\d_&]{1,9})\)")
MIN_USES = 2  # a reading by initials needs this many uses in the documents
DOMINANCE = 2.0  # ... and this many times the uses of the next reading


@dataclass
class _Readings:
    """Per index generation: the documents' folded text, their definitions, readings already worked out."""

    generation: str
    folded: str
    original: str
    defined: dict[str, str]
    found: dict[str, str | None] = field(default_factory=dict)
    names: tuple[str, ...] | None = None


_CACHE: dict[str, _Readings] = {}


def expand_acronyms(text: str, index: LoadedIndex) -> str:
    """`text` with each unknown consonant-only token replaced by the documents' reading of it."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(1)
        if not is_consonant_run(token) or index.frequencies.get(fold(token).lower(), 0):
            return token
        return _reading(fold(token).lower(), index) or token

    return _TOKEN.sub(replace, text)


def _readings(index: LoadedIndex) -> _Readings:
    cached = _CACHE.get(index.generation)
    if cached is None:
        original = "\n".join(c.text for c in index.chunks)
        folded = fold(original).lower()
        if len(folded) != len(original):  # the spans of the folded text must be those of the original
            original = folded
        cached = _Readings(index.generation, folded, original, _definitions(original))
        _CACHE.clear()  # one generation is live at a time
        _CACHE[index.generation] = cached
    return cached


def defined_names(index: LoadedIndex) -> tuple[str, ...]:
    """The names the documents define for an abbreviation ("Cục Công Thương địa phương (CTĐP)" gives
    "Công Thương địa phương"), longest first: a name the text cuts at a lower-case word is read whole."""
    readings = _readings(index)
    if readings.names is None:
        readings.names = tuple(sorted(set(readings.defined.values()), key=len, reverse=True))
    return readings.names


def _definitions(text: str) -> dict[str, str]:
    """Folded abbreviation -> the phrase before it whose initials it spells ("khởi sự doanh nghiệp (KSDN)")."""
    defined: dict[str, str] = {}
    for match in _DEFINED.finditer(text):
        letters = fold(match.group(2)).lower()
        words = match.group(1).split()
        phrase = words[-len(letters) :]
        if len(phrase) == len(letters) and _initials(phrase) == letters:
            defined.setdefault(letters, " ".join(phrase))
    return defined


def _initials(words: list[str]) -> str:
    return "".join(fold(w)[0].lower() for w in words)


def _reading(letters: str, index: LoadedIndex) -> str | None:
    readings = _readings(index)
    if letters in readings.defined:
        return readings.defined[letters]
    if letters not in readings.found:
        readings.found[letters] = _by_initials(letters, readings)
    return readings.found[letters]


def _by_initials(letters: str, readings: _Readings) -> str | None:
    """The dominant phrase of the documents spelling `letters` by its syllables' initials."""
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(rf"{re.escape(c)}[^\W\d_]*" for c in letters) + r"(?!\w)")
    uses: Counter[str] = Counter()
    spelled: dict[str, str] = {}
    for match in pattern.finditer(readings.folded):
        words = match.group(0).split()
        if words[0] in STOPWORDS or words[-1] in STOPWORDS:
            continue
        key = " ".join(words)
        uses[key] += 1
        spelled.setdefault(key, " ".join(readings.original[match.start() : match.end()].split()).lower())
    ranked = uses.most_common(2)
    if not ranked or ranked[0][1] < MIN_USES:
        return None
    if len(ranked) > 1 and ranked[0][1] < DOMINANCE * ranked[1][1]:
        return None
    return spelled[ranked[0][0]]


# ------------------------------------------------------------------ what an abbreviation stands for
# "CTĐP là viết tắt của gì", "OCOP là chữ gì", "cnnt nghĩa là gì": the abbreviation is read from the question as
# typed (the analysed text has it spelled out already), its words from a passage that writes them.
_ASKED_TOKEN = re.compile(r"[^\W\d_]+(?:&[^\W\d_]+)?")
_CAPITALS = re.compile(r"[A-ZĐ&]{2,10}")
_NAMED_CUE = re.compile(r"\b(?:viet tat|la (?:chu|tu) gi)\b")  # folded
_DEFINING_CUE = re.compile(r"\b(?:(?:co )?nghia la gi|la gi)\b")  # folded: defines only the word right before it
_NEAR = 12  # characters at most between an abbreviation and the defining cue after it


def _table() -> dict[str, str]:
    """Folded abbreviation -> the words the lexicon gives it (text.ABBREVIATIONS; "CTĐP" and "CTDP" are one)."""
    table: dict[str, str] = {}
    for abbreviation, expansion in ABBREVIATIONS.items():
        table.setdefault(fold(abbreviation), expansion)
    return table


_TABLE = _table()


def acronym_asked(question: str) -> str:
    """The abbreviation whose words `question` asks ("ctdp" of "ctdp la viet tat cua j"), as typed; else "".

    "viết tắt", "là chữ gì" ask the abbreviation nearest to them; "nghĩa là gì", "là gì" only one right
    before them ("cnnt nghĩa là gì", not "hỗ trợ CNNT gồm những gì là gì").
    """
    folded = fold(question)
    tokens = [m for m in _ASKED_TOKEN.finditer(question) if _is_acronym(m.group())]
    if not tokens:
        return ""
    named = _NAMED_CUE.search(folded)
    if named is not None:
        return min(tokens, key=lambda t: abs(t.start() - named.start())).group()
    for cue in _DEFINING_CUE.finditer(folded):
        before = [t for t in tokens if 0 <= cue.start() - t.end() <= _NEAR]
        if before:
            return before[-1].group()
    return ""


def _is_acronym(token: str) -> bool:
    """In the lexicon, typed in capitals ("HACCP"), or a run of consonants no syllable is ("ttxt")."""
    return fold(token) in _TABLE or bool(_CAPITALS.fullmatch(token)) or is_consonant_run(token)


def expansion_in(acronym: str, text: str) -> tuple[str, str] | None:
    """(the abbreviation as the passage writes it, the words it stands for as written there), or None.

    The lexicon's words when the passage writes them (in any case, "Cục Công Thương địa phương" for
    CTĐP); else the words the passage puts it after in brackets, whose initials spell it
    ("khởi sự doanh nghiệp (KSDN)").
    """
    key = fold(acronym)
    written = next((m.group() for m in _written(acronym, text)), "")
    words = _TABLE.get(key)
    if words:
        folded = fold(text)
        at = folded.find(fold(words))
        if at >= 0:  # the passage's own spelling, where folding kept the length (NFC text); else the lexicon's
            return written or acronym.upper(), text[at : at + len(words)] if len(folded) == len(text) else words
    defined = _definitions(text).get(key)
    return (written or acronym.upper(), defined) if defined else None


def acronym_use(acronym: str, text: str) -> int:
    """2 when `text` defines the abbreviation ("… (CTĐP)"), 1 when it writes it, else 0."""
    written = _written(acronym, text)
    if any(text[m.start() - 1 : m.start()] == "(" for m in written):
        return 2
    return 1 if written else 0


def _written(acronym: str, text: str) -> list[re.Match[str]]:
    """Where `text` writes the abbreviation (any case, typed diacritics or not: "CTDP" finds "CTĐP")."""
    key = fold(acronym)
    return [m for m in _ASKED_TOKEN.finditer(text) if fold(m.group()) == key]
