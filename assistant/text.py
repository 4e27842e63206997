"""Vietnamese text handling, in one place.

NFC normalisation, diacritic folding, lexical tokens (syllables, bigrams, numbers,
dates and the domain's abbreviations in both directions), sentence splitting,
and restoring diacritics to a query typed without them.
"""

from __future__ import annotations

import itertools
import operator
import re
import threading
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from functools import lru_cache
from importlib.util import find_spec
from itertools import chain, compress, pairwise
from pathlib import Path

import numpy as np

from . import vocabulary
from .dates import DATE_DIGITS, DATE_WORDS
from .dates import read as read_date

__all__ = [
    "ABBREVIATIONS",
    "PROVINCES",
    "PROVINCE_NAMES",
    "UPPER_LETTER",
    "YEAR",
    "DiacriticRestorer",
    "clean_question",
    "compared_years",
    "compound_words",
    "content_terms",
    "document_frequencies",
    "expand_abbreviations",
    "fold",
    "folded_compounds",
    "has_diacritics",
    "is_consonant_run",
    "lexical_tokens",
    "lexical_tokens_and_syllables",
    "looks_vietnamese",
    "nfc",
    "normalize_number",
    "province_info",
    "province_key",
    "province_mentions",
    "provinces_in",
    "remove_matches",
    "segment_words",
    "spell_out",
    "split_sentences",
    "syllables",
]

# Abbreviation -> expansion (assistant/vocab/abbreviations.tsv, from shared/docs/domain.md).
ABBREVIATIONS: dict[str, str] = {abbr: expansion for abbr, (expansion, _) in vocabulary.abbreviations().items()}

# Control characters, zero-width marks and lone surrogates ("\ud800" from a JSON escape: no UTF-8 text holds one).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff\ud800-\udfff]")
_SPACES = re.compile(r"[ \t\u00a0]+")
_WORD = re.compile(r"\d+(?:[.,]\d+)*%?|[^\W\d_]+", re.UNICODE)
_THOUSANDS = re.compile(r"^\d{1,3}(?:\.\d{3})+$")
# Days as dates.py writes them, on folded text: "15/7/2023", "15.7.2023", "15 thang 7 nam 2023".
_DATE_NUMERIC = re.compile(rf"\b{DATE_DIGITS}")
_DATE_WORDS = re.compile(rf"\b{DATE_WORDS}")

# Function and question words that say nothing about the topic (folded forms). Folded
# syllables that are also common content words (đề/hội/ô/tư/số/hỗ/máy…) are left out: rarity
# weighting already discounts them where they are frequent.
STOPWORDS = frozenset(
    "a ai anh ay cac chua con cua da den deu duoc em gi gio hay hon khi khong la lai len ma minh "
    "mot muon nao nay neu nhe nhi nhieu nhung no nua oi phai ra rang rat roi sao se ta theo toi tren "
    "trong va vao ve voi xin biet giup vay".split()
)


def nfc(text: str) -> str:
    """Return `text` in Unicode NFC (the form the corpus is stored in)."""
    return unicodedata.normalize("NFC", text)


def _fold_slow(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return stripped.replace("đ", "d")


# Besides ASCII, only combining marks (all of category Mn) and đ: then dropping the marks is dropping the non-ASCII.
_NOT_ASCII_FOLDABLE = re.compile("[^\x00-\x7f\u0300-\u036f\u0111]")


@lru_cache(maxsize=1 << 15)  # the answer step folds the same passage sentences and terms for every question
def fold(text: str) -> str:
    """Lowercase and strip Vietnamese diacritics ("Đồng Nai" -> "dong nai")."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    if _NOT_ASCII_FOLDABLE.search(decomposed) is None:  # Vietnamese text: the same result, in C
        return decomposed.replace("đ", "d").encode("ascii", "ignore").decode("ascii")
    return _fold_slow(text)


class _Folded(dict[str, str]):
    """word -> fold(word), each computed once (cleared when it grows large)."""

    def __missing__(self, word: str) -> str:
        if len(self) > 1_000_000:
            self.clear()
        folded = self[word] = fold(word)
        return folded


_FOLDED = _Folded()
_LETTERS = re.compile(r"[^\W\d_]+")
# One capital letter of Vietnamese (a name starts with one: "Định Quán", "Ủy ban").
UPPER_LETTER = "[A-ZĐÀÁẢÃẠĂẮẰẲẴẶÂẤẦẨẪẬÈÉẺẼẸÊẾỀỂỄỆÌÍỈĨỊÒÓỎÕỌÔỐỒỔỖỘƠỚỜỞỠỢÙÚỦŨỤƯỨỪỬỮỰỲÝỶỸỴ]"


def has_diacritics(text: str) -> bool:
    """True when the text carries any Vietnamese diacritic or đ."""
    return fold(text) != text.lower()


def clean_question(text: str) -> str:
    """NFC, drop control characters, collapse runs of spaces."""
    text = _CONTROL.sub(" ", nfc(text))
    text = text.replace("\r", "\n")
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n")).strip()


def normalize_number(token: str) -> str:
    """Canonical form of a number as typed: "2.700.000" -> "2700000", "04" -> "4", "79,07" -> "79.07"."""
    percent = token.endswith("%")
    token = token.rstrip("%")
    if _THOUSANDS.match(token):
        token = token.replace(".", "")
    elif "," in token and "." not in token:
        token = token.replace(",", ".")
    if token.isdecimal():  # isdigit() also takes "³", which int() refuses
        token = str(int(token))
    return token + ("%" if percent else "")


class _Forms(dict[str, str]):
    """word -> what `syllables` makes of it, each computed once (cleared when it grows large)."""

    def __missing__(self, word: str) -> str:
        if len(self) > 1_000_000:
            self.clear()
        form = self[word] = normalize_number(word) if word[0].isdigit() else word
        return form


_FORMS = _Forms()


def syllables(text: str) -> list[str]:
    """Folded syllables and normalized numbers, in order."""
    return _folded_syllables(fold(text))


def _folded_syllables(folded: str) -> list[str]:
    return list(map(_FORMS.__getitem__, _WORD.findall(folded)))


def _date_tokens(folded: str) -> Iterator[str]:
    for pattern, needs in ((_DATE_NUMERIC, ("/", "-", ".")), (_DATE_WORDS, ("thang",))):
        if not any(part in folded for part in needs):  # what every match holds
            continue
        for match in pattern.finditer(folded):
            day = read_date(match.group())
            if day.possible:
                yield f"date:{day.day}-{day.month}"
                if day.year is not None:
                    yield f"date:{day.day}-{day.month}-{day.year:04d}"


_FOLDED_ABBREVIATIONS = {fold(k): fold(v).split() for k, v in ABBREVIATIONS.items()}
_ABBREVIATION_TOKENS = {key: "abbr:" + key.replace("-", "") for key in _FOLDED_ABBREVIATIONS}


_HYPHENATED = {
    abbr: re.compile(rf"(?<![\w-]){re.escape(abbr)}(?![\w-])") for abbr in _FOLDED_ABBREVIATIONS if "-" in abbr
}


# (marker, " abbr ", " expansion ", expansion words, hyphenated pattern or None, whether the words are added)
_ABBREVIATION_CHECKS = [
    (
        _ABBREVIATION_TOKENS[abbr],
        abbr,
        " " + " ".join(expansion) + " ",
        expansion,
        _HYPHENATED.get(abbr),
        len(abbr) > 2,
    )
    for abbr, expansion in _FOLDED_ABBREVIATIONS.items()
]


def _abbreviation_tokens(words: list[str], folded: str) -> Iterator[str]:
    """Yield abbreviation markers for abbreviations and for spelled-out phrases."""
    present = set(words)  # no word holds a space: " abbr " is in the joined words when abbr is one of them
    joined = ""
    for marker, abbr, phrase, expansion, hyphenated, adds in _ABBREVIATION_CHECKS:
        if hyphenated is not None:
            if abbr in folded and hyphenated.search(folded):
                yield marker
                yield from expansion
        elif abbr in present:
            yield marker
            if adds:
                yield from expansion
        if all(word in present for word in expansion):
            joined = joined or " " + " ".join(words) + " "
            if phrase in joined:
                yield marker


def lexical_tokens(text: str) -> list[str]:
    """Tokens for the BM25 index: folded syllables, syllable bigrams, dates, abbreviations."""
    return lexical_tokens_and_syllables(text)[0]


def lexical_tokens_and_syllables(text: str) -> tuple[list[str], list[str]]:
    """`lexical_tokens(text)` and `syllables(text)`, folding the text once."""
    folded = fold(text)
    words = _folded_syllables(folded)
    tokens = list(words)
    tokens.extend(map("_".join, pairwise(words)))
    tokens.extend(_date_tokens(folded))
    tokens.extend(_abbreviation_tokens(words, folded))
    return tokens, words


def content_terms(text: str) -> list[str]:
    """Folded syllables that carry meaning (no function or question words), deduplicated."""
    seen: dict[str, None] = {}
    for word in syllables(text):
        if word not in STOPWORDS and (len(word) > 1 or word.isdigit()):
            seen.setdefault(word, None)
    return list(seen)


# Longest first; those marked "upper" in the data (NN, TG, BC, KH) only in capitals, the others in any case.
_EXPANSIONS = [
    (re.compile(rf"(?<![\w-]){re.escape(abbr)}(?![\w-])", 0 if upper else re.IGNORECASE), expansion)
    for abbr, (expansion, upper) in sorted(vocabulary.abbreviations().items(), key=lambda kv: -len(kv[0]))
]


def expand_abbreviations(text: str) -> str:
    """Spell out domain abbreviations for the embedding model: "KCQG" -> "khuyến công quốc gia (KCQG)"."""
    for pattern, expansion in _EXPANSIONS:
        text = pattern.sub(lambda m, e=expansion: f"{e} ({m.group(0)})", text)  # type: ignore[misc]
    return text


_SENTENCE_BREAK = re.compile(r"(?<=[.!?;])\s+|\n+")


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Character spans (start, end) of the sentences in `text`, shifted by `offset`.

    A sentence ends at a line break, or at . ! ? ; followed by a capital, a digit or an
    opening quote or bracket (a lowercase word after ";" continues the same sentence).
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_BREAK.finditer(text):
        following = text[match.end() : match.end() + 1]
        if "\n" not in match.group(0) and not (following.isupper() or following.isdigit() or following in '(“"-'):
            continue
        _append_span(spans, text, start, match.start(), offset)
        start = match.end()
    _append_span(spans, text, start, len(text), offset)
    return spans


def _append_span(spans: list[tuple[int, int]], text: str, start: int, end: int, offset: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        lead = len(piece) - len(piece.lstrip())
        spans.append((offset + start + lead, offset + start + lead + len(stripped)))


# Everyday words of questions, so that "bao nhieu" becomes "bao nhiêu", not a corpus word.
QUESTION_LEXICON = (
    "bao nhiêu bao giờ khi nào ngày nào năm nào là gì ở đâu thế nào như thế nào tại sao vì sao "
    "có không có được không được hỗ trợ không tôi của tôi cơ sở của tôi mấy ai hạn chót thời hạn "
    "hạn nộp hạn đăng ký nộp hồ sơ bao lâu mức hỗ trợ điều kiện thủ tục "
    "hỗ trợ tối đa mức tối đa tối thiểu thay thế sửa đổi bổ sung bãi bỏ còn hiệu lực"
)
# The provinces' names, learnt once and as pairs only: "o Ca Mau" reads "ở Cà Mau", not "cá mẫu", while
# "lam" alone stays the corpus's "làm" and "sai" stays "sai" (not the "Sài" of "Sài Gòn").
PLACE_LEXICON = " . ".join(name for p in vocabulary.provinces() for name in (p.name, *p.aliases))


@lru_cache(maxsize=1)
def compound_words() -> frozenset[str]:
    """Vietnamese words of two or more syllables from underthesea's 74K-word dictionary."""
    spec = find_spec("underthesea")  # the file only: importing the package loads torch (18 s)
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    path = Path(next(iter(spec.submodule_search_locations))) / "corpus" / "data" / "Viet74K.txt"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return frozenset()
    return frozenset(nfc(line).strip().lower() for line in lines if " " in line.strip())


@lru_cache(maxsize=1)
def folded_compounds() -> frozenset[str]:
    """`compound_words`, folded: "trung tam" for "trung tâm"."""
    return frozenset(fold(word) for word in compound_words())


class DiacriticRestorer:
    """Put diacritics back on a query typed without them, using the corpus's own words.

    Learns, from the indexed text, which accented syllable each folded syllable most
    often stands for, alone and after its left neighbour, and picks the best path. Alone
    means as a word of its own: an occurrence inside a two-syllable dictionary word ("sử
    dụng") does not count for a syllable typed with no neighbour the corpus knows, so
    "dung" alone reads "đúng" or "dùng", not the "dụng" of "sử dụng".
    """

    VERSION = 3  # part of the index fingerprint: an index learnt by an older rule is rebuilt

    def __init__(self, unigrams: dict[str, str], bigrams: dict[str, str], counts: dict[str, int] | None = None) -> None:
        self.unigrams = unigrams
        self.bigrams = bigrams
        self.counts = counts or {}  # how often each folded pair occurs, to choose between two neighbours

    @classmethod
    def learn(cls, texts: Iterable[str]) -> DiacriticRestorer:
        """Count accented forms in `texts` and keep the most frequent per folded key."""
        compounds = compound_words()
        uni: dict[str, Counter[str]] = defaultdict(Counter)
        free: dict[str, Counter[str]] = defaultdict(Counter)
        bi: dict[str, Counter[str]] = defaultdict(Counter)
        learnt = [(QUESTION_LEXICON, False)] * 20 + [(PLACE_LEXICON, True)] + [(text, False) for text in texts]
        for text, pairs_only in learnt:  # the place names count as pairs only
            words = re.findall(r"[^\W\d_]+", nfc(text))
            lower = [word.lower() for word in words]
            for pos, word in enumerate(() if pairs_only else lower):
                uni[fold(word)][word] += 1
                if not _in_compound(lower, pos, compounds):
                    free[fold(word)][word] += 1
            for left, right in pairwise(words):
                pair = f"{left} {right}"
                bi[fold(pair)][pair if _is_name(pair) else pair.lower()] += 1
        return cls(
            {k: (free.get(k) or c).most_common(1)[0][0] for k, c in uni.items()},
            {k: c.most_common(1)[0][0] for k, c in bi.items()},
            {k: c.total() for k, c in bi.items() if c.total() > 1},
        )

    @staticmethod
    def count(text: str) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]], Counter[tuple[str, str]]]:
        """What `learn` counts in one text: (folded key, form) -> occurrences, for every word, for the
        words standing alone (not in a dictionary compound) and for pairs, each in order of first
        occurrence (the order `learn` breaks ties by). Learning from the counts of several texts, in
        their order, is learning from the texts (tests/test_segments.py checks it).
        """
        compounds = compound_words()
        words = _LETTERS.findall(nfc(text))
        lower = list(map(str.lower, words))
        folded = _FOLDED
        # a word stands alone unless it and a neighbour make a dictionary word
        joined = np.fromiter(map(compounds.__contains__, map(" ".join, pairwise(lower))), dtype=bool)
        inside = np.zeros(len(lower), dtype=bool)
        if len(joined):
            inside[:-1] |= joined
            inside[1:] |= joined
        alone = list(compress(lower, (~inside).tolist()))
        named = {word: word[:1].isupper() and word[1:].islower() for word in set(words)}

        def by_key(counts: Counter[str]) -> Counter[tuple[str, str]]:
            # in order of first occurrence; one key per word (its folded form and itself)
            return Counter(dict(zip(zip(map(folded.__getitem__, counts), counts), counts.values())))

        # a pair's key is its folded words; its form as written when both are names, else in lower case
        pairs: dict[tuple[str, str], int] = {}
        counted = Counter(pairwise(words))
        if counted:
            lefts, rights = zip(*counted)
            keys = map(" ".join, zip(map(folded.__getitem__, lefts), map(folded.__getitem__, rights)))
            written = list(map(" ".join, counted))
            forms = list(map(str.lower, written))
            for i in compress(
                range(len(forms)), map(operator.and_, map(named.__getitem__, lefts), map(named.__getitem__, rights))
            ):
                forms[i] = written[i]
            # forms of one key and case add up, in order of first occurrence: each pair's first position, summed
            first: dict[tuple[str, str], int] = {}
            position = list(map(first.setdefault, zip(keys, forms), itertools.count()))
            totals = np.bincount(position, weights=np.fromiter(counted.values(), dtype=np.float64))
            pairs = dict(zip(first, totals[list(first.values())].astype(np.int64).tolist()))
        return by_key(Counter(lower)), by_key(Counter(alone)), Counter(pairs)

    def restore(self, text: str) -> str:
        """Return `text` with diacritics restored where the corpus knows the word."""
        tokens = re.split(r"([^\W\d_]+)", text)
        words = [i for i in range(1, len(tokens), 2)]
        for pos, index in enumerate(words):
            word = tokens[index]
            if has_diacritics(word):
                continue
            key = word.lower()
            after = f"{key} {fold(tokens[words[pos + 1]])}" if pos + 1 < len(words) else ""
            before = f"{fold(tokens[words[pos - 1]])} {key}" if pos > 0 else ""
            ahead, behind = self.bigrams.get(after), self.bigrams.get(before)
            options = [(ahead, ahead.split()[0])] if ahead else []
            options += [(behind, behind.split()[1])] if behind else []
            decided = bool(ahead and behind) and self.counts.get(before, 0) != self.counts.get(after, 0)
            if decided and self.counts.get(before, 0) > self.counts.get(after, 0):
                options.reverse()  # the more frequent pair decides ("bao nhiêu năm", not "nhiều năm")
            # a name wins otherwise; not over a pair the corpus uses more ("làng nghề An Giang", not "Nghệ An")
            names = [] if decided else [word for pair, word in options if _is_name(pair)]
            choice = (names or [word for _, word in options] or [self.unigrams.get(key, "")])[0]
            if choice:
                tokens[index] = choice if word.islower() else _match_case(choice.lower(), word)
        return "".join(tokens)

    def to_dict(self) -> dict[str, dict[str, str]]:
        """Serializable form, saved beside the index."""
        return {"unigrams": self.unigrams, "bigrams": self.bigrams, "counts": self.counts}  # type: ignore[dict-item]

    @classmethod
    def from_dict(cls, data: dict[str, dict[str, str]]) -> DiacriticRestorer:
        """Inverse of `to_dict`."""
        return cls(data.get("unigrams", {}), data.get("bigrams", {}), data.get("counts", {}))  # type: ignore[arg-type]


def _in_compound(words: list[str], pos: int, compounds: frozenset[str]) -> bool:
    """True when words[pos] and a neighbour form a dictionary word ("sử dụng", "dụng cụ")."""
    before = pos > 0 and f"{words[pos - 1]} {words[pos]}" in compounds
    return before or (pos + 1 < len(words) and f"{words[pos]} {words[pos + 1]}" in compounds)


def _is_name(pair: str) -> bool:
    """Both words capitalised, as in "Đồng Nai" or "Công Thương" (kept so names stay names)."""
    return all(word[:1].isupper() and word[1:].islower() for word in pair.split())


def _match_case(choice: str, original: str) -> str:
    if original.isupper():
        return choice.upper()
    if original[:1].isupper():
        return choice[:1].upper() + choice[1:]
    return choice


def document_frequencies(texts: Iterable[str]) -> dict[str, int]:
    """In how many of `texts` each folded syllable and syllable pair ("a b") occurs."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(distinct_terms(syllables(spell_out(text, keep=True))))
    return dict(counts)


def distinct_terms(words: list[str]) -> list[str]:
    """Each syllable and syllable pair ("a b") of `words` once, in order of first occurrence (not a set's order,
    which changes with the process's hash seed: the index a worker process computes must be this one's)."""
    return list(dict.fromkeys(chain(words, map(" ".join, pairwise(words)))))


# Every abbreviation is made of [\w-] only, so each pattern of _EXPANSIONS matches a whole run of [\w-]
# characters, and so does this one pattern for all of them (case aside): a run it does not find is no
# abbreviation's, and the runs a replacement brings are those of the words it puts in.
_ANY_ABBREVIATION = re.compile(
    r"(?<![\w-])(?:" + "|".join(re.escape(a) for a in vocabulary.abbreviations()) + r")(?![\w-])", re.IGNORECASE
)
_RUNS_BROUGHT = [{m.group(0) for m in _ANY_ABBREVIATION.finditer(expansion)} for _, expansion in _EXPANSIONS]


def spell_out(text: str, keep: bool = False) -> str:
    """Replace domain abbreviations by their words ("KCĐP" -> "khuyến công địa phương"), or add them (`keep`)."""
    runs = {m.group(0) for m in _ANY_ABBREVIATION.finditer(text)}  # one scan; patterns that cannot match are skipped
    for number, (pattern, expansion) in enumerate(_EXPANSIONS):
        if not any(pattern.fullmatch(run) for run in runs):
            continue
        replacement = (lambda m, e=expansion: f"{m.group(0)} ({e})") if keep else expansion
        text = pattern.sub(replacement, text)
        runs |= _RUNS_BROUGHT[number]
    return text


_segment_lock = threading.Lock()


def segment_words(text: str) -> list[str]:
    """Vietnamese words (compounds joined by a space) by underthesea's word segmenter."""
    return list(_segmented(text))


@lru_cache(maxsize=4096)  # a question's pieces recur (follow-ups, repeated questions, search then ask)
def _segmented(text: str) -> tuple[str, ...]:
    from underthesea import word_tokenize  # imported on first use: it takes about a second

    with _segment_lock:
        return tuple(w for w in word_tokenize(text) if any(ch.isalnum() for ch in w))


NOUN_TAGS = frozenset({"N", "Np", "Nc", "Nu", "Ny", "Nb"})


@lru_cache(maxsize=4096)  # the tagger is deterministic: a repeated question is tagged once
def tagged_words(text: str) -> tuple[tuple[str, str], ...]:
    """The folded words of `text` in order, each with its part of speech by underthesea's tagger ("lãi suất":
    N, "liên hệ": V)."""
    from underthesea import pos_tag  # imported on first use, like the segmenter

    with _segment_lock:
        tagged = pos_tag(text)
    return tuple((" ".join(syllables(word)), tag) for word, tag in tagged)


# Provinces and centrally-run cities (assistant/vocab/provinces.json), to notice questions about a
# place the corpus lacks; aliases ("Sài Gòn", "Đăk Nông") stand for the province's own name.
def _syllable_key(name: str) -> str:
    return " ".join(syllables(name.replace("-", " ")))


_CANONICAL = {_syllable_key(spelling): p.name for p in vocabulary.provinces() for spelling in (p.name, *p.aliases)}
_LONGEST_FIRST = tuple(sorted(_CANONICAL, key=len, reverse=True))  # a longer name is matched before one inside it
PROVINCES = tuple(fold(name) for name in _CANONICAL)
# Folded syllable form of a name or alias -> how it is spelt, lower case ("nghe an" -> {"nghệ an"}).
_SPELLINGS: dict[str, set[tuple[str, ...]]] = defaultdict(set)
for _province in vocabulary.provinces():
    for _spelling in (_province.name, *_province.aliases):
        _SPELLINGS[_syllable_key(_spelling)].add(tuple(_spelling.replace("-", " ").lower().split()))
# Folded syllable form of a name or alias -> the province's accented name, for messages.
PROVINCE_NAMES = {key: _CANONICAL[key] for key in _CANONICAL}
_BY_NAME = {_syllable_key(p.name): p for p in vocabulary.provinces()}


def province_mentions(text: str) -> list[tuple[str, str]]:
    """(key, the name as written) for each province named in `text`, in order of appearance."""
    return list(_province_mentions(text))


@lru_cache(maxsize=1 << 15)  # the answer step asks it of the same passage sentences for every question
def _province_mentions(text: str) -> tuple[tuple[str, str], ...]:
    folded = fold(text)
    if len(folded) != len(text):
        return tuple((key, PROVINCE_NAMES[key]) for key in provinces_in(text))
    found: list[tuple[int, int, str]] = []
    for spelling in _LONGEST_FIRST:
        pattern = r"(?<!\w)" + r"[\s-]+".join(re.escape(w) for w in spelling.split()) + r"(?!\w)"
        for match in re.finditer(pattern, folded):
            if not any(a <= match.start() < b for a, b, _ in found):
                found.append((match.start(), match.end(), spelling))
    found.sort()
    return tuple((_syllable_key(_CANONICAL[spelling]), text[a:b]) for a, b, spelling in found)


def province_key(name: str) -> str:
    """The folded syllable key of a province's own name, for any of its spellings ("" when unknown)."""
    canonical = _CANONICAL.get(_syllable_key(name))
    return _syllable_key(canonical) if canonical else ""


def province_info(key: str) -> vocabulary.Province | None:
    """The data-file record of a province by its folded key."""
    return _BY_NAME.get(key)


def provinces_in(text: str) -> list[str]:
    """Folded keys of the provinces mentioned in `text` (aliases mapped to the name), longest mention first.

    A mention typed with other diacritics than the name's is another word: "làng nghề An Giang"
    names An Giang, not "Nghệ An".
    """
    return list(_provinces_in(text))


@lru_cache(maxsize=1 << 15)
def _provinces_in(text: str) -> tuple[str, ...]:
    folded = " " + " ".join(syllables(text.replace("-", " "))) + " "
    found: list[str] = []
    seen: list[str] = []
    for name in _LONGEST_FIRST:
        if f" {name} " in folded and not any(name in other for other in seen) and _typed_as(name, text):
            seen.append(name)
            key = _syllable_key(_CANONICAL[name])
            if key not in found:
                found.append(key)
    return tuple(found)


def _typed_as(name: str, text: str) -> bool:
    """Whether some mention of the folded `name` in `text` has no diacritic that the name's spelling lacks."""
    words = [w.lower() for w in _WORD.findall(nfc(text).replace("-", " "))]
    folded = [fold(w) for w in words]
    wanted = name.split()
    starts = [i for i in range(len(words) - len(wanted) + 1) if folded[i : i + len(wanted)] == wanted]
    spellings = [s for s in _SPELLINGS.get(name, ()) if len(s) == len(wanted)]
    if not starts or not spellings:
        return True  # spelt another way (numbers, abbreviations): no judgement

    def fits(typed: list[str], spelling: tuple[str, ...]) -> bool:
        return all(not has_diacritics(w) or w == s for w, s in zip(typed, spelling))

    return any(fits(words[i : i + len(wanted)], s) for i in starts for s in spellings)


_SYLLABLE = re.compile(
    r"^(?:b|c|ch|d|g|gh|gi|h|k|kh|l|m|n|ng|ngh|nh|p|ph|qu|r|s|t|th|tr|v|x)?"
    r"(?:[aeiouy]{1,3})"
    r"(?:c|ch|m|n|ng|nh|p|t)?$"
)


# Words a Vietnamese chat message holds that are no standard syllable: the syllables of place names
# ("Đắk Lắk"), the domain abbreviations and the chat forms ("bn", "tr", "kcđp").
_KNOWN_WORDS = frozenset(
    {w for name in PROVINCES for w in name.split()}
    | {fold(a).lower() for a in ABBREVIATIONS}
    | {fold(f).lower() for f in vocabulary.chat_form_words()}
)


def looks_vietnamese(text: str) -> bool:
    """False when the words are mostly not Vietnamese syllables (another language or script).

    Chat abbreviations count as Vietnamese: the lexicon's, and any short run of consonants
    ("bn", "xd", "ktkt"), which no other language's words are made of either.
    """
    words = re.findall(r"[^\W\d_]+", text)
    if not words:
        return True
    valid = sum(1 for w in words if _vietnamese_word(fold(w).lower()))
    latin = sum(1 for w in words if re.fullmatch(r"[a-z]+", fold(w).lower()))  # Latin letters, diacritics aside
    if latin < len(words) / 2:
        return False
    return len(words) < 3 or valid / len(words) >= 0.6


def _vietnamese_word(folded: str) -> bool:
    return folded in _KNOWN_WORDS or bool(_SYLLABLE.match(folded)) or is_consonant_run(folded)


_CONSONANTS = re.compile(r"[b-df-hj-np-tv-xz]{2,6}")


def is_consonant_run(word: str) -> bool:
    """2–6 letters and no vowel: no Vietnamese syllable looks like that, so it is an abbreviation ("bn", "ktkt")."""
    return bool(_CONSONANTS.fullmatch(fold(word).lower()))


# A year, not a document's number ("1994/QĐ-UBND") nor part of a longer number or a date's day/month.
YEAR = re.compile(r"(?<![\w/.-])((?:19|20)\d{2})(?![/.-]?\d)(?!/[^\W\d_])")
_COMPARED_YEAR = re.compile(r"(?:so voi|so vs|bang|tang|giam)[^.;:?]{0,30}?(?:nam\s+)?((?:19|20)\d{2})")


def compared_years(text: str) -> set[str]:
    """Years `text` only compares with ("tăng 9,57% so với năm 2022"), question or document alike."""
    return {m.group(1) for m in _COMPARED_YEAR.finditer(fold(text).lower())}


def remove_matches(text: str, pattern: re.Pattern[str]) -> str:
    """Remove from `text` the spans where `pattern` matches its folded form, keeping the diacritics elsewhere."""
    folded = fold(text)
    if len(folded) != len(text):  # not NFC-composed: fall back to the folded text
        return " ".join(pattern.sub(" ", folded).split())
    pieces, last = [], 0
    for match in pattern.finditer(folded):
        pieces.append(text[last : match.start()])
        last = match.end()
    pieces.append(text[last:])
    return " ".join(" ".join(pieces).split())
