"""The keyword side in segments: the same index as one built over every chunk, redone only where it changed.

Every comparison is against the reference computed from scratch on the final corpus: bm25s itself
over every chunk's tokens (`LexicalIndex.build`), `DiacriticRestorer.learn` over every title and
text, and `document_frequencies` over every chunk. Builds are real, on a temporary folder, with no
vectors (the keyword side is what segments change).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from small_corpus import REPO, write_manifest

from assistant import segments as segments_module
from assistant.chunking import chunk_corpus
from assistant.indexing import LexicalIndex, LoadedIndex, build_index, current_generation, load_index
from assistant.loading import load_corpus
from assistant.segments import SEGMENTS_DIR
from assistant.text import DiacriticRestorer, document_frequencies, syllables

PROVINCES = ["Đồng Nai", "An Giang", "Hà Nội", "Cần Thơ", "Nghệ An"]


def _reference(corpus_dir: Path) -> tuple[LexicalIndex, DiacriticRestorer, dict[str, int], list[str]]:
    docs = load_corpus(corpus_dir).documents
    chunks = chunk_corpus(docs)
    texts = [c.search_text() for c in chunks]
    return (
        LexicalIndex.build(texts),
        DiacriticRestorer.learn(d.title + "\n" + d.text for d in docs),
        document_frequencies(texts),
        [c.id for c in chunks],
    )


def _queries(index: LoadedIndex, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    step = max(1, len(index.chunks) // 200)
    words = sorted({w for c in index.chunks[::step] for w in syllables(c.text)})
    fixed = ["hạn đăng ký kế hoạch khuyến công quốc gia", "kinh phí KCQG năm 2022", "trước ngày 20/6/2023", "UBND"]
    return fixed + [" ".join(rng.sample(words, rng.randint(1, 8))) for _ in range(count)]


def assert_same_as_one_index(index_dir: Path, corpus_dir: Path, queries: int = 150, seed: int = 0) -> None:
    """The live generation scores, restores and counts exactly as the one index built from scratch."""
    lexical, restorer, frequencies, chunk_ids = _reference(corpus_dir)
    index = load_index(index_dir)
    assert [c.id for c in index.chunks] == chunk_ids
    assert index.restorer.to_dict() == restorer.to_dict()
    assert index.frequencies == frequencies
    for query in _queries(index, queries, seed):
        assert np.array_equal(index.lexical.scores(query), lexical.scores(query)), query  # bit for bit


def _copy_corpus(source: Path, folder: Path, ids: list[str] | None = None) -> Path:
    folder.mkdir(parents=True)
    entries = json.loads((source / "manifest.json").read_text(encoding="utf-8"))["documents"]
    entries = [e for e in entries if ids is None or e["id"] in ids]
    for entry in entries:
        shutil.copy(source / entry["file"], folder / entry["file"])
    write_manifest(folder, entries)
    return folder


def generated_corpus(folder: Path, documents: int, seed: int) -> Path:
    """Documents written from the shipped corpus's words: laws with Điều/khoản, reports with sections,
    abbreviations, dates, numbers, names, and forms of one folded word that tie in count."""
    rng = random.Random(seed)
    source = " ".join(
        (REPO / "corpus" / p).read_text(encoding="utf-8") for p in os.listdir(REPO / "corpus") if p.endswith(".txt")
    )
    words = [w for w in source.split() if any(ch.isalpha() for ch in w)]
    extras = ["KCQG", "KCĐP", "UBND", "QĐ-UBND", "NĐ-CP", "20/6/2023", "ngày 5 tháng 7 năm 2024", "2.700.000", "79,07%"]
    extras += ["dùng", "đúng", "Dung", "dụng cụ", "sử dụng", "Sở Công Thương", "Đồng Nai"]  # ties and compounds

    def sentence() -> str:
        return " ".join(
            rng.choice(words) if rng.random() > 0.15 else rng.choice(extras) for _ in range(rng.randint(4, 30))
        )

    folder.mkdir(parents=True)
    entries = []
    for number in range(documents):
        doc_id = f"sinh-{seed}-{number:03d}"
        if number % 2:
            body = "\n".join(
                f"Điều {a}. {sentence()}\n1. {sentence()}.\n2. {sentence()}." for a in range(1, rng.randint(3, 12))
            )
            kind = "regulation"
        else:
            body = "\n".join(f"{s}. {sentence()}\n{sentence()}." for s in range(1, rng.randint(3, 9)))
            kind = "report"
        (folder / f"{doc_id}.txt").write_text(body + "\n", encoding="utf-8")
        title = f"Văn bản {number} về {sentence()[:60]}"
        entries.append(
            {
                "id": doc_id,
                "file": f"{doc_id}.txt",
                "title": title,
                "kind": kind,
                "province": rng.choice(PROVINCES),
                "year": 2020 + number % 5,
            }
        )
    write_manifest(folder, entries)
    return folder


def _build(corpus: Path, index: Path, **kwargs: object) -> object:
    return build_index(corpus, index, embedding="none", **kwargs)


def _computed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Ids of the documents whose segment a build computes (not taken from the store)."""
    seen: list[str] = []
    original = segments_module.compute_segment

    def counting(doc, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(doc.id)
        return original(doc, *args, **kwargs)

    monkeypatch.setattr("assistant.indexing.compute_segment", counting)
    return seen


# ------------------------------------------------------------------------ equivalence
def test_the_shipped_corpus_gives_the_one_index_result(tmp_path: Path) -> None:
    _build(REPO / "corpus", tmp_path / "index")
    assert_same_as_one_index(tmp_path / "index", REPO / "corpus", queries=300)


def test_a_generated_corpus_gives_the_one_index_result_through_adds_changes_and_removals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus, index = generated_corpus(tmp_path / "corpus", 14, seed=7), tmp_path / "index"
    computed = _computed(monkeypatch)
    _build(corpus, index)
    assert len(computed) == 14
    assert_same_as_one_index(index, corpus, seed=1)

    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))["documents"]
    # change one, remove one, add one (from another generated corpus), rename a province
    changed = corpus / manifest[3]["file"]
    changed.write_text(
        changed.read_text(encoding="utf-8") + "Điều 99. Kinh phí KCĐP bổ sung 1.250.000 đồng.\n", "utf-8"
    )
    removed = manifest.pop(5)
    (corpus / removed["file"]).unlink()
    extra = generated_corpus(tmp_path / "extra", 1, seed=8)
    added = json.loads((extra / "manifest.json").read_text(encoding="utf-8"))["documents"][0]
    shutil.copy(extra / added["file"], corpus / added["file"])
    manifest.insert(2, added)  # not at the end: the restorer breaks ties by corpus order
    manifest[9]["province"] = "Cà Mau"
    write_manifest(corpus, manifest)
    computed.clear()
    _build(corpus, index)
    assert sorted(computed) == sorted([manifest[4]["id"], added["id"], manifest[9]["id"]])  # only what changed
    assert_same_as_one_index(index, corpus, seed=2)

    computed.clear()
    assert _build(corpus, index).unchanged  # type: ignore[attr-defined]
    assert computed == []
    segment_files = {p.stem for p in (index / SEGMENTS_DIR).glob("*.seg")}
    assert segment_files == set(load_index(index).meta["segments"])  # segments of the removed versions are gone


def test_reordering_documents_reuses_every_segment_and_keeps_the_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus, index = generated_corpus(tmp_path / "corpus", 8, seed=11), tmp_path / "index"
    _build(corpus, index)
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))["documents"]
    write_manifest(corpus, list(reversed(manifest)))
    computed = _computed(monkeypatch)
    _build(corpus, index)
    assert computed == []
    assert_same_as_one_index(index, corpus, seed=3)


def test_rebuild_recomputes_every_segment_with_the_same_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = _copy_corpus(REPO / "corpus", tmp_path / "corpus")
    _build(corpus, tmp_path / "index")
    computed = _computed(monkeypatch)
    _build(corpus, tmp_path / "index", rebuild=True)
    assert len(computed) == len(load_corpus(corpus).documents)
    assert_same_as_one_index(tmp_path / "index", corpus)


# -------------------------------------------------------------------- what searches see
def _top_doc_ids(index_dir: Path, query: str, k: int = 5) -> list[str]:
    index = load_index(index_dir)
    scores = index.lexical.scores(query)
    return [index.chunks[i].doc_id for i in np.argsort(-scores)[:k] if scores[i] > 0]


def test_a_removed_document_and_the_old_text_of_a_changed_one_are_gone(tmp_path: Path) -> None:
    corpus, index = _copy_corpus(REPO / "corpus", tmp_path / "corpus"), tmp_path / "index"
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))["documents"]
    first, second = corpus / manifest[0]["file"], corpus / manifest[1]["file"]
    first.write_text(first.read_text(encoding="utf-8") + "\nChương trình thử nghiệm xoaixanh đặc biệt.\n", "utf-8")
    second.write_text(second.read_text(encoding="utf-8") + "\nMô hình cũ chuoivang đã kết thúc.\n", "utf-8")
    _build(corpus, index)
    assert _top_doc_ids(index, "xoaixanh") == [manifest[0]["id"]]
    assert _top_doc_ids(index, "chuoivang") == [manifest[1]["id"]]

    write_manifest(corpus, [manifest[1], *manifest[2:]])  # the first removed
    first.unlink()
    second.write_text(second.read_text(encoding="utf-8").replace("chuoivang", "mangcut"), "utf-8")
    _build(corpus, index)
    assert _top_doc_ids(index, "xoaixanh") == []
    assert _top_doc_ids(index, "chuoivang") == []
    assert _top_doc_ids(index, "mangcut") == [manifest[1]["id"]]
    loaded = load_index(index)
    assert manifest[0]["id"] not in loaded.documents and all(c.doc_id != manifest[0]["id"] for c in loaded.chunks)
    assert "chuoivang" not in loaded.frequencies and "mangcut" in loaded.frequencies
    assert_same_as_one_index(index, corpus)


def test_a_reader_during_updates_never_sees_half_of_one(tmp_path: Path) -> None:
    corpus, index = generated_corpus(tmp_path / "corpus", 6, seed=21), tmp_path / "index"
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))["documents"]
    _build(corpus, index)
    states: list[tuple[int, int, int, int, frozenset[str]]] = []
    problems: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                loaded = load_index(index)
            except Exception as exc:  # a reader that cannot open the live generation is a failure too
                problems.append(exc)
                return
            scores = loaded.lexical.scores("kinh phí khuyến công")
            marker = frozenset(loaded.chunks[i].doc_id for i in np.flatnonzero(loaded.lexical.scores("đợtmới")))
            states.append((len(loaded.chunks), len(scores), loaded.meta["chunk_count"], len(loaded.documents), marker))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for round_ in range(6):  # add a document that says "đợtmới", then remove it again
            if round_ % 2 == 0:
                (corpus / "dot-moi.txt").write_text("Điều 1. Kinh phí khuyến công đợtmới.\n", encoding="utf-8")
                entry = {"id": "dot-moi", "file": "dot-moi.txt", "title": "Đợt mới", "kind": "regulation"}
                write_manifest(corpus, [*manifest, entry])
            else:
                write_manifest(corpus, manifest)
                (corpus / "dot-moi.txt").unlink()
            _build(corpus, index)
    finally:
        done.set()
        reader.join()
    assert not problems
    assert len(states) > 6
    base = len(load_corpus(corpus).documents)
    for chunks, scored, counted, documents, marker in states:
        assert chunks == scored == counted  # chunks, BM25 and meta of one generation
        assert (documents, marker) in {(base, frozenset()), (base + 1, frozenset({"dot-moi"}))}


# ------------------------------------------------------------------------ crashes
_KILLED_BUILD = """
import os, signal, sys
from pathlib import Path
import assistant.indexing as indexing
import assistant.segments as segments
where = sys.argv[3]
if where == "segment":  # killed once the first new segment is on disk
    original = segments.SegmentStore.save
    def save(self, segment):
        original(self, segment)
        os.kill(os.getpid(), signal.SIGKILL)
    segments.SegmentStore.save = save
else:  # killed with every segment and the vocabulary written, the generation half-written
    original = indexing.LexicalIndex.merge
    def merge(*args):
        original(*args)
        os.kill(os.getpid(), signal.SIGKILL)
    indexing.LexicalIndex.merge = staticmethod(merge)
indexing.build_index(Path(sys.argv[1]), Path(sys.argv[2]), embedding="none")
"""


@pytest.mark.parametrize("where", ["segment", "generation"])
def test_an_update_killed_midway_leaves_the_previous_generation(tmp_path: Path, where: str) -> None:
    corpus, index = generated_corpus(tmp_path / "corpus", 6, seed=31), tmp_path / "index"
    _build(corpus, index)
    before = current_generation(index)
    before_chunks = [c.id for c in load_index(index).chunks]
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))["documents"]
    for entry in manifest[:3]:  # three changed documents: the kill comes after the first one's segment
        path = corpus / entry["file"]
        path.write_text(path.read_text(encoding="utf-8") + "Điều 77. Nội dung sửa đổi bổ sung mới.\n", "utf-8")
    env = os.environ | {"PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", _KILLED_BUILD, str(corpus), str(index), where], env=env, check=False)
    assert result.returncode == -signal.SIGKILL
    assert current_generation(index) == before
    assert [c.id for c in load_index(index).chunks] == before_chunks  # the previous generation, whole
    _build(corpus, index)  # the next build tidies up and gives the one-index result
    assert current_generation(index) != before
    assert_same_as_one_index(index, corpus)
    assert not list(index.glob(".tmp-*")) and not list((index / SEGMENTS_DIR).glob(".*"))


def test_a_copy_of_a_document_under_another_id_shares_its_segment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus, index = generated_corpus(tmp_path / "corpus", 4, seed=41), tmp_path / "index"
    _build(corpus, index)
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))["documents"]
    copy = manifest[1] | {"id": "ban-sao", "file": "ban-sao.txt", "province": "Huế"}
    shutil.copy(corpus / manifest[1]["file"], corpus / "ban-sao.txt")
    write_manifest(corpus, [copy, *manifest])
    computed = _computed(monkeypatch)
    _build(corpus, index)
    assert computed == []  # same title and text: the tokens, terms and counts are shared, the chunk ids its own
    assert_same_as_one_index(index, corpus, seed=4)
    assert {c.doc_id for c in load_index(index).chunks[:3]} == {"ban-sao"}


# ------------------------------------------------------------------ worker processes
def _old_compute_segment(doc, params, vocabulary, key=""):  # type: ignore[no-untyped-def]
    """A segment as builds computed it before documents were computed in worker processes: chunk by chunk,
    every id looked up in the index's own vocabulary as it comes."""
    from collections import Counter

    from assistant.chunking import chunk_document
    from assistant.text import distinct_terms, lexical_tokens, spell_out

    chunks = chunk_document(doc, params)
    pointer, ids, tfs, lengths = [0], [], [], []
    terms: Counter[str] = Counter()
    for chunk in chunks:
        text = chunk.search_text()
        tokens = lexical_tokens(text) or [""]
        counts = Counter(tokens)
        ids.append(vocabulary.ids_of(counts))
        tfs.append(np.fromiter(counts.values(), dtype=np.int32, count=len(counts)))
        pointer.append(pointer[-1] + len(counts))
        lengths.append(len(tokens))
        words = syllables(spell_out(text, keep=True))
        terms.update(distinct_terms(words))
    return segments_module.Segment(
        key=key or segments_module.segment_key(doc, params),
        content=segments_module.content_key(doc, params),
        doc_id=doc.id,
        chunk_lines="".join(c.to_json() + "\n" for c in chunks).encode("utf-8"),
        chunk_ids=[c.id for c in chunks],
        token_ptr=np.array(pointer, dtype=np.int64),
        token_ids=np.concatenate(ids) if ids else np.zeros(0, dtype=np.int32),
        token_tf=np.concatenate(tfs) if tfs else np.zeros(0, dtype=np.int32),
        chunk_length=np.array(lengths, dtype=np.int32),
        term_ids=vocabulary.ids_of(terms),
        term_chunks=np.fromiter(terms.values(), dtype=np.int32, count=len(terms)),
        restorer=segments_module.restorer_rows(doc.title + "\n" + doc.text, vocabulary),
    )


def test_processes_of_other_hash_seeds_build_the_same_index(tmp_path: Path) -> None:
    # worker processes (or the next day's build) run with their own string-hash seed: no set's order may
    # reach the index (vocabulary order, restorer ties)
    corpus = generated_corpus(tmp_path / "corpus", 4, seed=8)
    for source in sorted((REPO / "corpus").glob("*.txt"))[:2]:
        shutil.copy(source, corpus / source.name)
    shipped = json.loads((REPO / "corpus" / "manifest.json").read_text(encoding="utf-8"))["documents"]
    names = {p.name for p in corpus.glob("*.txt")}
    generated = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))["documents"]
    write_manifest(corpus, [*generated, *(d for d in shipped if d["file"] in names)])
    build = (
        "import sys; from pathlib import Path as P; from assistant.indexing import build_index as b; "
        "b(P(sys.argv[1]), P(sys.argv[2]), embedding='none')"
    )
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", build, str(corpus), str(tmp_path / seed)], check=True, env=env, cwd=REPO)
    assert _generation_files(tmp_path / "1") == _generation_files(tmp_path / "2")


def _spy_compute_own_task(log: Path, task):  # type: ignore[no-untyped-def]
    """`compute_own_task`, noting the process it ran in (bound to `log` by a partial, which the pool pickles)."""
    with log.open("a") as handle:
        handle.write(f"{os.getpid()}\n")
    return segments_module.compute_own_task(task)


def _generation_files(index: Path) -> dict[str, bytes]:
    folder = index / current_generation(index)  # type: ignore[operator]
    files = {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    meta = json.loads(files.pop("meta.json"))
    meta.pop("built_at")
    files["meta.json"] = json.dumps(meta).encode()
    files["vocab.txt"] = (index / SEGMENTS_DIR / "vocab.txt").read_bytes()
    return files


def test_documents_computed_by_worker_processes_give_the_old_index_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = generated_corpus(tmp_path / "corpus", 9, seed=51)
    for source in sorted((REPO / "corpus").glob("*.txt")):  # and the shipped documents, with their manifest fields
        shutil.copy(source, corpus / source.name)
    shipped = json.loads((REPO / "corpus" / "manifest.json").read_text(encoding="utf-8"))["documents"]
    generated = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))["documents"]
    write_manifest(corpus, [*generated[:4], *shipped, *generated[4:]])
    with monkeypatch.context() as patch:  # the old path: one process, ids looked up chunk by chunk
        patch.setattr("assistant.indexing.compute_segment", _old_compute_segment)
        _build(corpus, tmp_path / "old", workers=1)
    _build(corpus, tmp_path / "one", workers=1)  # this process alone
    monkeypatch.setattr("assistant.indexing.PARALLEL_FROM_CHARS", 0)
    monkeypatch.setattr("assistant.indexing.compute_own_task", partial(_spy_compute_own_task, tmp_path / "pids.txt"))
    _build(corpus, tmp_path / "two", workers=2)
    pids = (tmp_path / "pids.txt").read_text().split()
    assert len(pids) == 9 + len(shipped) and str(os.getpid()) not in pids and len(set(pids)) == 2
    old = _generation_files(tmp_path / "old")
    assert _generation_files(tmp_path / "one") == old
    assert _generation_files(tmp_path / "two") == old  # chunks, BM25 files, restorer, terms, vocabulary: same bytes
    assert_same_as_one_index(tmp_path / "two", corpus)
    # a later build in worker processes (a changed document, a new one) still gives the one-index result
    (corpus / generated[0]["file"]).write_text("Điều 1. Nội dung mới về KCĐP ngày 3/4/2025.\n", encoding="utf-8")
    _build(corpus, tmp_path / "two", workers=2)
    assert_same_as_one_index(tmp_path / "two", corpus, seed=2)
