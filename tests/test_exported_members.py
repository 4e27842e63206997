"""The public names of the package are exactly those listed in __all__."""

from __future__ import annotations

import assistant


def test_all_names_exist() -> None:
    for name in assistant.__all__:
        assert hasattr(assistant, name), name


def test_public_api_is_stable() -> None:
    public = {name for name in dir(assistant) if not name.startswith("_") and not _is_module(name)}
    assert public == set(assistant.__all__)


def _is_module(name: str) -> bool:
    import types

    return isinstance(getattr(assistant, name), types.ModuleType)
