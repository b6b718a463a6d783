"""Heading vectors (knowledge.headings): embedded once, kept on disk, lazily filled."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from knowledge.headings import HeadingVectors, heading_of


class CountingEmbed:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.texts.extend(texts)
        out = np.zeros((len(texts), 4), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row, len(text) % 4] = 1.0
        return out


def test_each_heading_is_embedded_once_and_read_back_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "headings.npz"
    embed = CountingEmbed()
    store = HeadingVectors(path)
    store.ensure(["Policy > Exceptions", "Policy > Exceptions", "Policy > Scope", ""], embed)
    store.ensure(["Policy > Scope"], embed)
    assert sorted(embed.texts) == ["Policy > Exceptions", "Policy > Scope"]
    store.save()
    again = HeadingVectors(path)
    query = np.array([0, 0, 0, 1], dtype=np.float32)  # "Policy > Exceptions" has 19 chars
    sims = again.similarities(["Policy > Exceptions"], query, embed=None, lazy=0)
    assert sims[0] is not None and abs(sims[0] - 1.0) < 0.01
    assert len(embed.texts) == 2  # nothing embedded again


def test_unknown_headings_are_embedded_a_few_per_question(tmp_path: Path) -> None:
    embed = CountingEmbed()
    store = HeadingVectors(tmp_path / "h.npz")
    texts = [f"Doc {n} > Part" for n in range(6)]
    sims = store.similarities(texts, np.ones(4, dtype=np.float32), embed, lazy=2)
    assert len(embed.texts) == 2 and sum(s is not None for s in sims) == 2


def test_saving_drops_headings_no_chunk_has_any_more(tmp_path: Path) -> None:
    path = tmp_path / "h.npz"
    store = HeadingVectors(path)
    store.ensure(["A > x", "B > y"], CountingEmbed())
    store.save(keep={"B > y"})
    assert len(HeadingVectors(path)) == 1


def test_a_heading_is_title_and_section() -> None:
    assert heading_of("Chargeback", "Disputes") == "Chargeback > Disputes"
    assert heading_of("Chargeback", "") == "Chargeback"


def test_ingest_keeps_the_headings_for_the_next_process(service, settings) -> None:  # type: ignore[no-untyped-def]
    from knowledge.service import KnowledgeService

    chunks = service.index.state().chunks
    wanted = {heading_of(c.title, c.section) for c in chunks}
    assert wanted and len(service.index.headings) == len(wanted)
    fresh = KnowledgeService(settings).index.headings
    query = np.ones(384, dtype=np.float32) / np.sqrt(384)
    assert None not in fresh.similarities(sorted(wanted), query, embed=None, lazy=0)
