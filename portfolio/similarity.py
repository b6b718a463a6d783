"""Use cases that mean much the same: the duplicate check at registration.

Cosine similarity of the sentence embeddings the knowledge index uses. Vectors are
cached per use case and text, so only new or edited use cases are embedded again.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from portfolio.models import Status, UseCase
from spinebot.db import session_scope

if TYPE_CHECKING:
    import numpy as np

    from portfolio.read_model import ReadModel, UseCaseCard


class Similarity:
    """Thread-safe; one instance per service keeps the vector cache."""

    def __init__(self, read: ReadModel) -> None:
        self.read = read
        self._vectors: dict[int, tuple[str, Any]] = {}
        self._lock = threading.Lock()

    def scores(self, query: str) -> dict[int, float]:
        """Cosine similarity of ``query`` to every active use case, by id."""
        if not query.strip():
            return {}
        with session_scope(self.read.engine) as session:
            rows = session.exec(
                select(UseCase.id, UseCase.title, UseCase.description).where(  # type: ignore[call-overload]
                    UseCase.status == Status.active.value
                )
            ).all()
        if not rows:
            return {}
        texts = {row[0]: doc_text(row[1], row[2]) for row in rows}
        matrix = self._vectors_for(texts)
        scores = matrix @ embed([query])[0]
        return {uc_id: float(score) for uc_id, score in zip(texts, scores, strict=True)}

    def find_similar(
        self, *, title: str, description: str = "", limit: int = 3, threshold: float = 0.6
    ) -> list[tuple[UseCaseCard, float]]:
        """Active use cases whose title and description mean much the same, best first."""
        if limit <= 0:
            return []
        scores = self.scores(doc_text(title, description))
        ranked = sorted(
            ((i, s) for i, s in scores.items() if s >= threshold), key=lambda item: -item[1]
        )[:limit]
        if not ranked:
            return []
        with session_scope(self.read.engine) as session:
            use_cases = self.read.by_ids(session, [i for i, _ in ranked])
            cards = {c.id: c for c in self.read.cards(session, use_cases, None)}
        return [(cards[i], round(min(score, 1.0), 4)) for i, score in ranked if i in cards]

    def _vectors_for(self, texts: dict[int, str]) -> np.ndarray:
        import numpy as np

        with self._lock:
            missing = [i for i, t in texts.items() if self._vectors.get(i, ("",))[0] != t]
        if missing:
            vectors = embed([texts[i] for i in missing])
            with self._lock:
                for i, vector in zip(missing, vectors, strict=True):
                    self._vectors[i] = (texts[i], vector)
        with self._lock:
            return np.stack([self._vectors[i][1] for i in texts])


def doc_text(title: str, description: str) -> str:
    return f"{title or ''}\n{description or ''}".strip()


def embed(texts: list[str]) -> Any:
    """Unit vectors from the shared embedder (MiniLM by default)."""
    import numpy as np

    from knowledge.embeddings import get_embedder

    embedder: Any = get_embedder()
    if hasattr(embedder, "embed"):
        vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
    else:
        vectors = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.clip(norms, 1e-12, None)
