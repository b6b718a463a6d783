"""Ingest is safe to re-run: unchanged documents skipped, changed replaced, deleted removed."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from knowledge.documents import chunk_document, load_document
from knowledge.embeddings import get_embedder
from knowledge.index import KnowledgeIndex, tokenize
from knowledge.service import KnowledgeService
from spinebot.settings import Settings, get_settings


def sources(service: KnowledgeService) -> set[str]:
    return {chunk.source for chunk in service.index.state().chunks}


def test_ingest_indexes_every_document_with_its_metadata(
    service: KnowledgeService, corpus: Path
) -> None:
    state = service.index.state()
    assert service.chunk_count() == len(state.chunks) > 0
    gates = [c for c in state.chunks if c.source.endswith("phase-gates.md")]
    assert {c.section for c in gates} == {"Pilot to production", "Production to platform"}
    assert {c.title for c in gates} == {"Phase gates for use cases"}
    assert {c.url for c in gates} == {"https://wiki.example.com/phase-gates"}
    assert all(c.source == str((corpus / "playbooks" / "phase-gates.md").resolve()) for c in gates)


def test_unchanged_documents_are_skipped_on_a_second_run(
    service: KnowledgeService, corpus: Path
) -> None:
    before = service.index.state().version
    report = service.ingest([corpus])
    assert (report.added, report.updated, report.removed, report.skipped) == (0, 0, 0, 4)
    assert report.chunks == 0
    assert service.index.state().version == before


def test_a_changed_document_is_replaced_not_duplicated(
    service: KnowledgeService, corpus: Path
) -> None:
    path = corpus / "playbooks" / "dropping.md"
    path.write_text(path.read_text().replace("six weeks", "ten weeks"))
    count = service.chunk_count()
    report = service.ingest([corpus])
    assert (report.added, report.updated, report.skipped) == (0, 1, 3)
    assert service.chunk_count() == count
    texts = " ".join(c.text for c in service.index.state().chunks)
    assert "ten weeks" in texts and "six weeks" not in texts


def test_a_changed_document_re_embeds_only_the_sentences_that_changed(
    service: KnowledgeService, corpus: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedder = get_embedder(settings.embeddings)
    calls: list[list[str]] = []
    original = embedder.embed
    original_both = embedder.embed_with_tokens  # type: ignore[attr-defined]

    def counting(texts: list[str]):  # type: ignore[no-untyped-def]
        calls.append(list(texts))
        return original(texts)

    def counting_both(texts: list[str]):  # type: ignore[no-untyped-def]
        calls.append(list(texts))
        return original_both(texts)

    monkeypatch.setattr(embedder, "embed", counting)
    monkeypatch.setattr(embedder, "embed_with_tokens", counting_both)
    path = corpus / "playbooks" / "dropping.md"
    path.write_text(path.read_text().replace("six weeks", "ten weeks"))
    service.ingest([corpus])
    # the document's one chunk (with its word pieces, in the same run), then its
    # changed units
    chunk_texts, unit_texts = calls
    assert len(chunk_texts) == 1 and "ten weeks" in chunk_texts[0]
    assert len(unit_texts) == 1 and "ten weeks of reporting" in unit_texts[0]
    # The same unit vectors as a fresh ingest of the edited corpus.
    monkeypatch.setattr(embedder, "embed", original)
    fresh = KnowledgeService(settings.model_copy(update={"data_dir": corpus.parent / "fresh"}))
    fresh.ingest([corpus])
    kept, rebuilt = service.index.state().unit_vectors, fresh.index.state().unit_vectors
    assert kept.keys() == rebuilt.keys()
    for cid, matrix in kept.items():
        assert np.abs(matrix.astype(int) - rebuilt[cid].astype(int)).max() <= 1, cid


def test_a_deleted_document_is_removed_from_both_indexes(
    service: KnowledgeService, corpus: Path
) -> None:
    (corpus / "playbooks" / "codes.md").unlink()
    report = service.ingest([corpus])
    assert report.removed == 1
    assert not any(s.endswith("codes.md") for s in sources(service))
    assert service.index.keyword(tokenize("QZX-4471"), 5) == []


def test_documents_outside_the_ingested_folder_are_left_alone(
    service: KnowledgeService, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "note.md").write_text("# Note\n\nThe canteen opens at eight.\n")
    service.ingest([other])
    assert len(sources(service)) == 5
    report = service.ingest([tmp_path / "docs" / "research"])
    assert report.removed == 0 and len(sources(service)) == 5


def test_unreadable_documents_are_reported_and_the_rest_is_indexed(
    settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.md").write_text("# Good\n\nPilots report value every week.\n")
    (folder / "empty.txt").write_text("")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (folder / "latin.txt").write_bytes("Crème brûlée".encode("latin-1"))
    service = KnowledgeService(settings)
    report = service.ingest([folder, tmp_path / "missing"])
    failed = {Path(path).name: reason for path, reason in report.failed}
    assert set(failed) == {"empty.txt", "broken.pdf", "latin.txt", "missing"}
    assert report.added == 1
    assert {Path(s).name for s in sources(service)} == {"good.md"}
    assert "could not be read" in report.summary()


def test_another_process_rebuilds_its_keyword_index_from_chroma(
    service: KnowledgeService, settings: Settings
) -> None:
    """A replica that never ingested (no local state) derives it from the collection."""
    shutil.rmtree(service.index.local_dir)
    fresh = KnowledgeIndex(settings)
    state = fresh.state()
    assert len(state.chunks) == service.chunk_count()
    assert {s for s in state.docs} == sources(service)
    hits = fresh.keyword(tokenize("QZX-4471 queue"), 3)
    assert state.chunk(hits[0][0]).source.endswith("codes.md")


def test_chunk_ids_survive_a_reingest_of_a_changed_file(
    service: KnowledgeService, corpus: Path
) -> None:
    ids = {c.id for c in service.index.state().chunks if c.source.endswith("cases.txt")}
    path = corpus / "research" / "cases.txt"
    path.write_text(path.read_text().replace("a third", "a quarter"))
    service.ingest([corpus])
    assert {c.id for c in service.index.state().chunks if c.source.endswith("cases.txt")} == ids


def test_tokenize_keeps_numbers_and_acronyms_and_drops_stopwords() -> None:
    assert tokenize("What did RTL gain from the 15% cut in LLMs?") == [
        "rtl",
        "gain",
        "15",
        "cut",
        "llm",
    ]


def test_ingest_without_paths_reads_the_bundled_corpus_and_knowledge_dirs(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = tmp_path / "team"
    team.mkdir()
    (team / "faq.md").write_text("# Team FAQ\n\nStand-up is at nine every weekday.\n")
    monkeypatch.setenv("KNOWLEDGE_DIRS", str(team))
    get_settings.cache_clear()
    service = KnowledgeService(get_settings(), corpus_dir=corpus / "playbooks")
    report = service.ingest()
    assert report.added == 4
    assert "spinebot:phase-gates.md" in sources(service)
    assert str((team / "faq.md").resolve()) in sources(service)
    (corpus / "playbooks" / "codes.md").unlink()
    assert service.ingest().removed == 1
    assert "spinebot:codes.md" not in sources(service)


def test_a_run_interrupted_before_publishing_is_repaired_by_the_next(
    service: KnowledgeService, corpus: Path, settings: Settings
) -> None:
    """Chunks written to Chroma without a new version stamp (a crash mid-ingest) are
    found on the next run and removed when their file is gone."""
    orphan = corpus / "orphan.md"
    orphan.write_text("# Orphan\n\nHalf-written document about quarterly OKR templates.\n")
    chunks = chunk_document(load_document(orphan))
    vectors = get_embedder(settings.embeddings).embed([c.embed_text() for c in chunks])
    service.index.collection().upsert(
        ids=[c.id for c in chunks],
        embeddings=vectors,
        documents=[c.text for c in chunks],
        metadatas=[c.metadata() for c in chunks],
    )
    orphan.unlink()
    report = service.ingest([corpus])
    assert report.removed == 1
    assert service.chunk_count() == len(service.index.state().chunks)


def test_local_state_from_an_older_format_is_rebuilt_and_still_answers(
    service: KnowledgeService,
) -> None:
    """A data dir written by an older release (other tokenizer, no unit vectors)."""
    import json

    from knowledge.index import KnowledgeIndex

    manifest_path = service.index.local_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["format"]
    manifest_path.write_text(json.dumps(manifest))
    for leftover in service.index.local_dir.glob("v-*/units.*"):
        leftover.unlink()
    fresh = KnowledgeService(service.settings)
    state = fresh.index.state()
    assert isinstance(fresh.index, KnowledgeIndex)
    # Rebuilt from Chroma, which carries every chunk's unit vectors in its metadata.
    before = service.index.state().unit_vectors
    assert set(state.unit_vectors) == set(before)
    assert all((state.unit_vectors[cid] == before[cid]).all() for cid in before)
    answer = fresh.ask("When does a pilot move to production?")
    assert not answer.abstained and "four weeks in a row" in answer.text


def test_word_forms_meet_in_the_keyword_index() -> None:
    assert len(set(tokenize("complies compliant compliance comply"))) == 1
    assert len(set(tokenize("relevant relevance"))) == 1
    assert tokenize("organisations") == tokenize("organizations")
    # short stems keep their ending: "percent" is not "perc", "client" not "cli"
    assert tokenize("percent client content") == ["percent", "client", "content"]
