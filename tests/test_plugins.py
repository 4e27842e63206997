"""The library stands without the bots: they join through entry points, and nothing in assistant/ imports them."""

from __future__ import annotations

import ast
from pathlib import Path

from click.testing import CliRunner

from assistant import plugins
from assistant.cli import main
from bots.telegram import TelegramChannel
from bots.zalo import ZaloChannel

LIBRARY = Path(__file__).resolve().parent.parent / "assistant"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_no_module_of_the_library_imports_the_bots() -> None:
    offenders = {
        str(path.relative_to(LIBRARY)): sorted(m for m in _imported_modules(path) if m.split(".")[0] == "bots")
        for path in LIBRARY.rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_bots_are_registered_as_plugins() -> None:
    channels = {point.name: point.load() for point in plugins.registered(plugins.CHANNELS)}
    assert channels == {"telegram": TelegramChannel, "zalo": ZaloChannel}
    assert [command.name for command in plugins.commands()] == ["bot"]
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0 and "bot" in result.stdout.split()


def test_an_unconfigured_channel_adds_no_route() -> None:
    assert TelegramChannel.routers(session=None) == []  # type: ignore[arg-type]  # not configured: never touched
    assert ZaloChannel.routers(session=None) == []  # type: ignore[arg-type]
