"""Shared fixtures: a clean environment, and one real index built from corpus/ per session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from stores import PostgresServer, Unavailable

from assistant import Assistant, Settings
from assistant.feedback import FeedbackStore
from assistant.ratelimit import Rate
from assistant.store import Location

REPO = Path(__file__).resolve().parent.parent
ENV_PREFIXES = ("KHUYENCONG_", "TELEGRAM_", "ZALO_")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's KHUYENCONG_/TELEGRAM_/ZALO_ settings."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def embedding_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One passage-vector cache for the whole session, so each text is embedded once."""
    return tmp_path_factory.mktemp("cache") / "embeddings.sqlite"


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Settings:
    """Settings whose index was built once, for real, from a copy of corpus/ (no HTTP rate limit)."""
    root = tmp_path_factory.mktemp("kc")
    shutil.copytree(REPO / "corpus", root / "corpus")
    settings = Settings.of(
        corpus_dir=root / "corpus",
        index_dir=root / "index",
        data_dir=root / "data",
        embedding_cache=embedding_cache,
        rate_limit=Rate(0),
    )
    Assistant(settings).index()
    return settings


@pytest.fixture(scope="session")
def assistant(built_settings: Settings) -> Assistant:
    """An Assistant over the session's index (read-only use)."""
    return Assistant(built_settings)


@pytest.fixture()
def feedback(tmp_path: Path) -> Iterator[FeedbackStore]:
    """A fresh feedback store (answers given and votes) in the test's tmp directory."""
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    yield store
    store.close()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the session (tests/stores.py); skipped, with the reason, where none starts."""
    try:
        server = PostgresServer.start()
    except Unavailable as why:
        pytest.skip(f"PostgreSQL unavailable: {why}")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> Location:
    """Where a test's stores live: a fresh SQLite file, then a fresh database on the session's PostgreSQL."""
    if request.param == "sqlite":
        return tmp_path / "feedback.sqlite3"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.database()
