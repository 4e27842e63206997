"""Adding a document kind is adding one `DocumentKind` member (assistant/types.py): every place follows it.

The places are read as their users meet them (tests/kind_places.py): the API, its schema, the
command line, the manifest check, the header recogniser, the bots and `khuyencong add`. The pages
read the kinds from `GET /kinds` (tests/test_web_browser.py checks the filter), so they hold no copy.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import kind_places

from assistant.types import DocumentKind

REPO = Path(__file__).resolve().parent.parent
STATIC = REPO / "assistant" / "web" / "static"
NEW_MEMBER = '    PLAN = "plan", "Kế hoạch", "Kế hoạch", ("Kế hoạch",)\n'


def test_every_place_that_names_kinds_follows_the_enum(tmp_path: Path) -> None:
    assert kind_places.seen(tmp_path) == kind_places.expected()


def test_the_pages_hold_no_copy_of_the_kinds() -> None:
    for page in [*STATIC.glob("*.html"), *STATIC.glob("*.js")]:
        text = page.read_text(encoding="utf-8")
        for kind in DocumentKind:
            named = re.search(rf"[\"']{kind.value}[\"']|\b{kind.value}\s*:|{re.escape(kind.label)}", text)
            assert named is None, f"{page.name} names the kind {kind.value}: read it from GET /kinds"


def test_a_new_kind_is_one_member(tmp_path: Path) -> None:
    """Copy the code, add one member ("Kế hoạch" becomes a kind of its own), and ask every place again."""
    code = tmp_path / "code"
    for package in ("assistant", "bots"):
        shutil.copytree(REPO / package, code / package, ignore=shutil.ignore_patterns("__pycache__"))
    types = code / "assistant" / "types.py"
    source = types.read_text(encoding="utf-8")
    last = '    NEWS = "news", "Tin tức", "Tin"\n'
    assert last in source and source.count('"Kế hoạch", ') == 1
    types.write_text(source.replace('"Kế hoạch", ', "").replace(last, last + NEW_MEMBER), encoding="utf-8")

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(code), str(REPO / "tests")])}
    run = subprocess.run(
        [sys.executable, "-c", _IN_THE_COPY, str(tmp_path / "run")],
        env=env,
        cwd=tmp_path,  # not the repository, whose own `assistant` would come first on the path
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["module"].startswith(str(code))
    assert result["seen"] == result["expected"]
    assert ["plan", "Kế hoạch"] in result["seen"]["GET /kinds"]
    assert ["plan"] in result["seen"]["OpenAPI DocumentKind"]
    assert ["plan", "plan", "plan"] in result["seen"]["CLI ask/search/add --kind"]
    assert ["Kế hoạch", "plan"] in result["seen"]["header types"]
    assert ["plan", "Kế hoạch"] in result["seen"]["bots /nguon"]


_IN_THE_COPY = """
import json, sys
from pathlib import Path
import assistant.types, kind_places
print(json.dumps({"module": assistant.types.__file__, "expected": kind_places.expected(),
                  "seen": kind_places.seen(Path(sys.argv[1]))}, ensure_ascii=False))
"""
