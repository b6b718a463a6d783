"""Embeddings of chunk headings ("title > section"), kept beside the index.

Retrieval scores a passage partly by how close its heading is to the question (a
section called "Exceptions" answers "how do I get an exception?" whatever its
sentences say). Headings repeat across the chunks of a section and across versions
of a document, so each distinct heading is embedded once, at ingest, and kept as int8
in ``<data>/index/headings.npz``, shared by every snapshot of the index. A heading
missing there (an index rebuilt from another replica's Chroma) is embedded when a
question first needs it, a few per question.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

Embed = Callable[[list[str]], np.ndarray]


def heading_of(title: str, section: str) -> str:
    return " > ".join(part for part in (title, section) if part)


class HeadingVectors:
    """Heading text -> unit-length vector (stored as int8)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._vectors: dict[str, np.ndarray] = {}
        self._loaded = path is None
        self._dirty = False

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        assert self.path is not None
        try:
            with np.load(self.path, allow_pickle=False) as data:
                texts = [str(t) for t in data["texts"]]
                matrix = data["vectors"]
        except (OSError, ValueError, KeyError):
            return  # none yet (or an unreadable file): embedded again when needed
        self._vectors.update(zip(texts, matrix, strict=True))

    def __len__(self) -> int:
        with self._lock:
            self._load()
            return len(self._vectors)

    def ensure(self, texts: Iterable[str], embed: Embed) -> None:
        """Embed the headings not known yet (ingest)."""
        with self._lock:
            self._load()
            todo = sorted({t for t in texts if t and t not in self._vectors})
        if todo:
            self._put(todo, embed(todo))

    def put(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Headings embedded elsewhere (the bench's synthetic index)."""
        with self._lock:
            self._load()
        self._put(list(texts), vectors)

    def _put(self, texts: list[str], vectors: np.ndarray) -> None:
        matrix = np.asarray(vectors, dtype=np.float32)
        norms = np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)
        quantised = np.clip(np.rint(matrix / norms * 127.0), -127, 127).astype(np.int8)
        with self._lock:
            self._vectors.update(zip(texts, quantised, strict=True))
            self._dirty = True

    def similarities(
        self, texts: Sequence[str], vector: np.ndarray, embed: Embed | None, lazy: int
    ) -> list[float | None]:
        """Cosine of each heading to ``vector``; up to ``lazy`` unknown headings are
        embedded now, the others give None."""
        with self._lock:
            self._load()
            missing = [t for t in dict.fromkeys(texts) if t and t not in self._vectors]
        if missing and embed is not None and lazy > 0:
            self._put(missing[:lazy], embed(missing[:lazy]))
        query = np.asarray(vector, dtype=np.float32)
        out: list[float | None] = []
        with self._lock:
            for text in texts:
                stored = self._vectors.get(text)
                out.append(
                    None if stored is None else float(stored.astype(np.float32) @ query) / 127.0
                )
        return out

    def save(self, keep: Iterable[str] | None = None) -> None:
        """Write the file (atomically), keeping only ``keep`` when given."""
        if self.path is None:
            return
        with self._lock:
            self._load()
            if keep is not None:
                wanted = set(keep)
                gone = [t for t in self._vectors if t not in wanted]
                for text in gone:
                    del self._vectors[text]
                self._dirty = self._dirty or bool(gone)
            if not self._dirty:
                return
            texts = list(self._vectors)
            matrix = (
                np.stack([self._vectors[t] for t in texts])
                if texts
                else np.zeros((0, 1), dtype=np.int8)
            )
            self._dirty = False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.stem}-{uuid.uuid4().hex}.npz")
        np.savez(tmp, texts=np.array(texts, dtype=str), vectors=matrix)
        os.replace(tmp, self.path)


__all__ = ["HeadingVectors", "heading_of"]
