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
from .text import STOPWORDS, fold, is_consonant_run

__all__ = ["defined_names", "expand_acronyms"]

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
