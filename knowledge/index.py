"""The index: chunks in Chroma (the source of truth) plus a local keyword index.

Chroma holds every chunk with its embedding, text and metadata, in the embedded
``PersistentClient`` under the data dir or on a Chroma server (``CHROMA_URL``). Each
change stamps a new version into the collection's metadata. Next to it, in the data dir,
each process keeps derived state for that version: a manifest (content hash and chunk
ids per document, so re-ingest skips unchanged files without asking Chroma about each),
the chunk texts, and a bm25s keyword index. When the stamp in Chroma differs from the
local one (another process or replica ingested), the local state is rebuilt from Chroma
in one bulk read, so replicas sharing a Chroma server agree on what is indexed.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import logging
import math
import os
import re
import shutil
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import Stemmer

from knowledge.documents import (
    CORPUS_DIR,
    CORPUS_PREFIX,
    LOADER_VERSION,
    Chunk,
    Document,
    DocumentError,
    DocumentTooLarge,
    Limits,
    chunk_document,
    content_hash,
    discover,
    file_url,
    load_document,
    root_scope,
    source_id,
)
from knowledge.headings import HeadingVectors, heading_of
from knowledge.passages import uncited, units
from spinebot.settings import Settings

log = logging.getLogger(__name__)

VERSION_KEY = "spinebot_version"
STATE_FORMAT = 3  # local state layout and tokenizer (3: -ant/-ance/-ent/-ence stems meet)
REFRESH_SECONDS = 10.0
EMBED_BATCH = 64
UPSERT_BATCH = 500

Progress = Callable[[int, int, str], None]

# --- tokens --------------------------------------------------------------------------

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not now of off on once only or other our
    ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours yourself
    yourselves get got also may might must shall us one""".split()  # noqa: SIM905
)
_TOKEN = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")


_STEMMER = Stemmer.Stemmer("english")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    """The Snowball (Porter 2) English stem: "funded", "funding" and "funds" meet at
    "fund"; numbers and dotted tokens are kept as they are."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("s") and not any(v in word[:-1] for v in "aeiouy"):
        return word[:-1]  # an acronym's plural: "llms", "kpis" stays an acronym
    # British and American spellings meet: "organisations" / "organizations"
    word = _BRITISH.sub(r"iz\1", word)
    stem = str(_STEMMER.stemWord(word))
    # Snowball keeps "compliant" / "compliance" apart from "complies": one stem for all
    if len(stem) >= 8 and stem.endswith(_DERIVED):
        return stem[:-3]
    return stem


_BRITISH = re.compile(r"is(ation|ations|e|ed|es|ing|er|ers)$")
_DERIVED = ("ant", "anc", "ent", "enc")


def tokenize(text: str) -> list[str]:
    """Lowercase word tokens without stopwords, stemmed; numbers and acronyms kept."""
    out = []
    for token in _TOKEN.findall(text.lower().replace("’", "'")):
        token = token.removesuffix("'s")
        if token in STOPWORDS:
            continue
        out.append(_stem(token))
    return out


# --- unit vectors --------------------------------------------------------------------
# Every chunk's answer units (sentences, whole lists: knowledge.passages) are embedded
# at ingest and kept in the local state as int8 (a quarter of float32; unit vectors
# lose <1% cosine precision), so query time only multiplies, never embeds them.


UNITS_KEY = "units_i8"  # Chroma metadata: the chunk's unit vectors, int8, base64


def pack_units(matrix: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(matrix, dtype=np.int8).tobytes()).decode()


def unpack_units(packed: str, dim: int) -> np.ndarray:
    flat = np.frombuffer(base64.b64decode(packed), dtype=np.int8)
    return flat.reshape(-1, dim) if dim and len(flat) % dim == 0 else flat.reshape(0, 1)


def quantize(vectors: np.ndarray) -> np.ndarray:
    return np.clip(np.round(np.asarray(vectors) * 127.0), -127, 127).astype(np.int8)


def unit_texts(chunk: Chunk) -> list[str]:
    return [unit.embedded for unit in units(chunk.text, chunk.section)]


def embed_units(
    chunks: Sequence[Chunk],
    embed: Callable[[list[str]], np.ndarray],
    known: Mapping[str, np.ndarray] | None = None,
) -> list[np.ndarray]:
    """Each chunk's unit vectors (int8). A question quoted in a document gets a zero
    vector: it is as close to the question as text can be, and answers nothing.

    Only what is needed is embedded, in one call: each distinct embedded text once (the
    overlap between neighbouring chunks repeats sentences), no questions, and nothing
    found in ``known`` (embedded text -> int8 row, e.g. from the document's previous
    version: a vector depends on its text alone)."""
    known = known or {}
    groups = [units(chunk.text, chunk.section) for chunk in chunks]
    needed = list(
        dict.fromkeys(
            unit.embedded
            for group in groups
            for unit in group
            if not unit.is_question and unit.embedded not in known
        )
    )
    fresh: dict[str, np.ndarray] = {}
    if needed:
        fresh = dict(zip(needed, quantize(embed(needed)), strict=True))
    sample = next(iter(fresh.values()), None)
    if sample is None:
        sample = next(iter(known.values()), None)
    if sample is None and any(groups):  # only questions: the zero rows still need a width
        sample = embed([" "])[0]
    dim = 1 if sample is None else len(sample)
    out: list[np.ndarray] = []
    for group in groups:
        matrix = np.zeros((len(group), dim if group else 1), dtype=np.int8)
        for row, unit in enumerate(group):
            if not unit.is_question:
                matrix[row] = (
                    fresh[unit.embedded] if unit.embedded in fresh else known[unit.embedded]
                )
        out.append(matrix)
    return out


def stored_units(chunk: Chunk, matrix: np.ndarray | None) -> dict[str, np.ndarray]:
    """The chunk's stored unit vectors by embedded text (questions, zero rows, left out),
    or nothing when they do not line up with its units (an older layout)."""
    group = units(chunk.text, chunk.section)
    if matrix is None or matrix.ndim != 2 or len(matrix) != len(group):
        return {}
    return {unit.embedded: matrix[row] for row, unit in enumerate(group) if not unit.is_question}


# --- state ---------------------------------------------------------------------------


@dataclass
class DocEntry:
    hash: str
    ids: list[str]
    title: str = ""


_CAPITAL_WORD = re.compile(r"\b[A-Z][\w&-]*[A-Za-z0-9]")
HOUSE_DOCS = 5
HOUSE_SHARE = 0.25
_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-z][a-z]+\b")


@dataclass
class IndexState:
    """An immutable snapshot of one index version, shared by concurrent readers."""

    version: str | None
    docs: dict[str, DocEntry]
    chunks: list[Chunk]
    bm25: Any = None
    df: dict[str, int] = field(default_factory=dict)
    positions: dict[str, int] = field(default_factory=dict)
    unit_vectors: dict[str, np.ndarray] = field(default_factory=dict)  # chunk id -> int8
    # chunk id -> its content word pieces' vectors (int8; knowledge.embeddings), read
    # from a memory-mapped file: only the passages a question reaches are paged in
    token_vectors: dict[str, np.ndarray] = field(default_factory=dict)
    # "title > section" -> its embedding (knowledge.headings), shared by all snapshots
    headings: HeadingVectors = field(default_factory=HeadingVectors)

    def __post_init__(self) -> None:
        self.positions = {chunk.id: i for i, chunk in enumerate(self.chunks)}

    def units_of(self, chunk: Chunk, embed: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """The chunk's unit vectors (float32, one row per unit); embedded now and kept
        when this snapshot lacks them (rebuilt from another replica's Chroma)."""
        stored = self.unit_vectors.get(chunk.id)
        if stored is None:
            stored = embed_units([chunk], embed)[0]
            self.unit_vectors[chunk.id] = stored
        return stored.astype(np.float32) / 127.0

    def tokens_of(
        self, chunks: Sequence[Chunk], embed: Callable[[list[str]], list[np.ndarray]]
    ) -> list[np.ndarray]:
        """The chunks' word-piece vectors (float32, unit length, one row per piece);
        those this snapshot lacks (a replica's state rebuilt from Chroma, an index from
        before they were stored, a new note) are embedded now, in one call, and kept."""
        missing = [c for c in chunks if c.id not in self.token_vectors]
        if missing:
            fresh = embed([uncited(c.embed_text()) for c in missing])
            for chunk, matrix in zip(missing, fresh, strict=True):
                self.token_vectors[chunk.id] = matrix
        return [self.token_vectors[c.id].astype(np.float32) / 127.0 for c in chunks]

    @cached_property
    def common_words(self) -> frozenset[str]:
        """The words the corpus writes in lower case somewhere ("insurance", "days"): a
        capitalised one of these is a common word in a heading or a firm's name, not the
        surname of a person ("Hale Insurance", "Spine Days")."""
        found: set[str] = set()
        for chunk in self.chunks:
            found.update(_LOWER_WORD.findall(chunk.text))
        return frozenset(found)

    @cached_property
    def house_names(self) -> frozenset[str]:
        """Capitalised words (lower-cased) that at least ``HOUSE_DOCS`` documents and
        ``HOUSE_SHARE`` of all use: the organisation's own name ("Lindqvist & Hale"),
        which answers no "which bank" or "which broker"."""
        by_source: dict[str, set[str]] = {}
        for chunk in self.chunks:
            by_source.setdefault(chunk.source, set()).update(
                w.lower() for w in _CAPITAL_WORD.findall(chunk.text)
            )
        least = max(HOUSE_DOCS, HOUSE_SHARE * len(by_source))
        counts: dict[str, int] = {}
        while by_source:  # one source's words at a time: a count per word, no set per word
            for word in by_source.popitem()[1]:
                counts[word] = counts.get(word, 0) + 1
        return frozenset(w for w, n in counts.items() if n >= least)

    def idf(self, token: str) -> float:
        n = max(len(self.chunks), 1)
        df = self.df.get(token, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def chunk(self, chunk_id: str) -> Chunk | None:
        pos = self.positions.get(chunk_id)
        return self.chunks[pos] if pos is not None else None


class IndexUnavailable(RuntimeError):
    """Chroma cannot be reached or opened; ``str(exc)`` names the setting to check."""


@dataclass
class IngestCounts:
    added: int = 0
    updated: int = 0
    removed: int = 0
    skipped: int = 0
    chunks: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    too_large: list[tuple[str, str]] = field(default_factory=list)


class KnowledgeIndex:
    """Chroma plus the derived local state; safe to share between threads."""

    def __init__(self, settings: Settings, *, corpus_dir: Path = CORPUS_DIR) -> None:
        self.settings = settings
        self.corpus_dir = corpus_dir
        self._lock = threading.RLock()  # lazy client and state swaps (short)
        self._ingest_mutex = threading.Lock()  # one ingest at a time (long)
        self._client: Any = None
        self._collection: Any = None
        self._state: IndexState | None = None
        self._checked_at = 0.0
        self._seen_manifest: tuple[int, int] | None = None
        self.headings = HeadingVectors(self.local_dir / "headings.npz")

    # --- chroma ----------------------------------------------------------------------

    @property
    def local_dir(self) -> Path:
        key = self.settings.chroma_collection
        if self.settings.chroma_url:
            key += "-" + hashlib.sha1(self.settings.chroma_url.encode()).hexdigest()[:8]
        return self.settings.data_dir / "knowledge" / key

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                import chromadb
                from chromadb.config import Settings as ChromaSettings

                chroma_settings = ChromaSettings(anonymized_telemetry=False)
                try:
                    if self.settings.chroma_url:
                        url = urlparse(self.settings.chroma_url)
                        ssl = url.scheme == "https"
                        self._client = chromadb.HttpClient(
                            host=url.hostname or "localhost",
                            port=url.port or (443 if ssl else 8000),
                            ssl=ssl,
                            settings=chroma_settings,
                        )
                    else:
                        path = self.settings.chroma_path
                        path.mkdir(parents=True, exist_ok=True)
                        self._client = chromadb.PersistentClient(
                            path=str(path), settings=chroma_settings
                        )
                except Exception as exc:
                    raise self.unavailable(exc) from None
            return self._client

    def unavailable(self, exc: BaseException) -> IndexUnavailable:
        """One line naming the setting to check (never credentials or a traceback)."""
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        if self.settings.chroma_url:
            url = urlparse(self.settings.chroma_url)
            where = f"{url.scheme}://{url.hostname}" + (f":{url.port}" if url.port else "")
            return IndexUnavailable(
                f"Cannot reach the Chroma server at {where} (CHROMA_URL): {reason}"
            )
        return IndexUnavailable(
            f"Cannot open the Chroma index in {self.settings.chroma_path} "
            f"(SPINEBOT_DATA_DIR): {reason}"
        )

    def collection(self, *, fresh: bool = True) -> Any:
        """The collection; ``fresh`` looks it up again so its metadata (the version
        stamp) is current, otherwise the handle from the last lookup is reused."""
        from knowledge.embeddings import chroma_embedding_function

        if not fresh and self._collection is not None:
            return self._collection
        client = self.client()
        function = chroma_embedding_function(self.settings.embeddings)
        try:
            collection = client.get_or_create_collection(
                self.settings.chroma_collection, embedding_function=function
            )
        except (OSError, ValueError, ConnectionError) as exc:
            raise self.unavailable(exc) from None
        except Exception as exc:
            if type(exc).__module__.split(".")[0] in ("httpx", "httpcore", "chromadb"):
                raise self.unavailable(exc) from None
            raise
        self._collection = collection
        return collection

    def count(self) -> int:
        return int(self.collection().count())

    # --- state -----------------------------------------------------------------------

    def state(self) -> IndexState:
        """The current snapshot; checks Chroma's version stamp at most every few seconds,
        and at once when another process sharing the data dir changed the index (its
        local manifest changed: a knowledge note saved by the web process is then seen by
        the answer processes on their next question)."""
        state = self._state
        if state is not None and self._fresh():
            return state
        with self._lock:
            state = self._state
            if state is not None and self._fresh():
                return state
            seen = self._manifest_key()
            remote = (self.collection().metadata or {}).get(VERSION_KEY)
            if state is None or state.version != remote:
                state = self._load_local(remote) or self._rebuild_from_chroma(remote)
                self._state = state
            self._seen_manifest = seen
            self._checked_at = time.monotonic()
            return state

    def _fresh(self) -> bool:
        return (
            time.monotonic() - self._checked_at < REFRESH_SECONDS
            and self._manifest_key() == self._seen_manifest
        )

    def _manifest_key(self) -> tuple[int, int] | None:
        """Identity of the local manifest file (replaced, never rewritten, on a change)."""
        try:
            stat = (self.local_dir / "manifest.json").stat()
        except OSError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    def _load_local(self, version: str | None) -> IndexState | None:
        manifest_path = self.local_dir / "manifest.json"
        try:
            manifest = json.loads(manifest_path.read_text())
        except (OSError, ValueError):
            return None
        if manifest.get("version") != version or version is None:
            return None
        if manifest.get("format") != STATE_FORMAT:
            return None  # written with another tokenizer: rebuild the keyword index
        state_dir = self.local_dir / f"v-{version}"
        try:
            records = json.loads((state_dir / "chunks.json").read_text())
            df = json.loads((state_dir / "df.json").read_text())
        except (OSError, ValueError):
            return None
        docs = {sid: DocEntry(**entry) for sid, entry in manifest["docs"].items()}
        chunks = [Chunk.from_record(r[0], r[1], r[2]) for r in records]
        bm25 = None
        if chunks:
            import bm25s

            try:
                bm25 = bm25s.BM25.load(str(state_dir / "bm25"), show_progress=False)
            except (OSError, ValueError):
                return None
        return IndexState(
            version=version,
            docs=docs,
            chunks=chunks,
            bm25=bm25,
            df=df,
            unit_vectors=_load_rows(state_dir, "units"),
            token_vectors=_load_rows(state_dir, "tokens", mmap=True),
            headings=self.headings,
        )

    def _rebuild_from_chroma(self, version: str | None) -> IndexState:
        """Derive the manifest, chunk list and keyword index from the collection."""
        collection = self.collection()
        chunks: list[Chunk] = []
        docs: dict[str, DocEntry] = {}
        total = collection.count()
        page = 1000
        unit_vectors: dict[str, np.ndarray] = {}
        for offset in range(0, total, page):
            got = collection.get(include=["documents", "metadatas"], limit=page, offset=offset)
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                meta = dict(meta or {})
                packed = meta.pop(UNITS_KEY, None)
                if isinstance(packed, str):
                    unit_vectors[cid] = unpack_units(packed, int(meta.pop("units_dim", 0)))
                chunk = Chunk.from_record(cid, text or "", meta)
                chunks.append(chunk)
                entry = docs.setdefault(
                    chunk.source, DocEntry(hash=str((meta or {}).get("doc_hash", "")), ids=[])
                )
                entry.ids.append(cid)
                entry.title = chunk.title
        chunks.sort(key=lambda c: (c.source, c.ordinal))
        for entry in docs.values():
            entry.ids.sort()
        if total:
            log.info("rebuilt the keyword index from %d chunks in Chroma", total)
        state = self._build_state(version, docs, chunks, unit_vectors)
        if version is not None:
            self._save(state)
        return state

    def _build_state(
        self,
        version: str | None,
        docs: dict[str, DocEntry],
        chunks: list[Chunk],
        unit_vectors: dict[str, np.ndarray] | None = None,
        token_vectors: dict[str, np.ndarray] | None = None,
    ) -> IndexState:
        bm25 = None
        df: Counter[str] = Counter()
        if chunks:
            import bm25s

            logging.getLogger("bm25s").setLevel(logging.WARNING)
            corpus = [tokenize(chunk.embed_text()) for chunk in chunks]
            for tokens in corpus:
                df.update(set(tokens))
            bm25 = bm25s.BM25()
            bm25.index([tokens or ["_"] for tokens in corpus], show_progress=False)
        live = {chunk.id for chunk in chunks}
        kept = {cid: v for cid, v in (unit_vectors or {}).items() if cid in live}
        pieces = {cid: v for cid, v in (token_vectors or {}).items() if cid in live}
        return IndexState(
            version=version,
            docs=docs,
            chunks=chunks,
            bm25=bm25,
            df=dict(df),
            unit_vectors=kept,
            token_vectors=pieces,
            headings=self.headings,
        )

    def _save(self, state: IndexState) -> None:
        """Write the snapshot under its own version folder, then switch the manifest."""
        base = self.local_dir
        state_dir = base / f"v-{state.version}"
        tmp_dir = base / f".tmp-{uuid.uuid4().hex}"
        tmp_dir.mkdir(parents=True)
        records = [[c.id, c.text, c.metadata()] for c in state.chunks]
        (tmp_dir / "chunks.json").write_text(json.dumps(records))
        (tmp_dir / "df.json").write_text(json.dumps(state.df))
        if state.bm25 is not None:
            state.bm25.save(str(tmp_dir / "bm25"), show_progress=False)
        _save_rows(tmp_dir, "units", state.unit_vectors)
        _save_rows(tmp_dir, "tokens", state.token_vectors)
        shutil.rmtree(state_dir, ignore_errors=True)
        os.replace(tmp_dir, state_dir)
        # not yet published: read the word pieces back mapped, so the ones just embedded
        # are not also held in memory
        state.token_vectors = _load_rows(state_dir, "tokens", mmap=True) or state.token_vectors
        manifest = {
            "format": STATE_FORMAT,
            "version": state.version,
            "docs": {sid: vars(entry) for sid, entry in state.docs.items()},
        }
        tmp_manifest = base / f".manifest-{uuid.uuid4().hex}.json"
        tmp_manifest.write_text(json.dumps(manifest))
        os.replace(tmp_manifest, base / "manifest.json")
        for old in base.glob("v-*"):
            if old != state_dir:
                shutil.rmtree(old, ignore_errors=True)

    @contextlib.contextmanager
    def _ingest_lock(self) -> Iterator[None]:
        """One ingest at a time per data dir, across processes (worker job and CLI)."""
        self.local_dir.mkdir(parents=True, exist_ok=True)
        with self._ingest_mutex, open(self.local_dir / "ingest.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # --- search ----------------------------------------------------------------------

    def dense(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) best first."""
        n = min(k, len(self.state().chunks))
        if n <= 0:
            return []
        result = self.collection(fresh=False).query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=n,
            include=["distances"],
        )
        return [
            (cid, 1.0 - float(dist))
            for cid, dist in zip(result["ids"][0], result["distances"][0], strict=True)
        ]

    def similarities(self, vector: np.ndarray, chunk_ids: Sequence[str]) -> dict[str, float]:
        """Cosine similarity of the given chunks to ``vector`` (their stored vectors, for
        candidates the nearest-neighbour query did not return)."""
        if not chunk_ids:
            return {}
        got = self.collection(fresh=False).get(ids=list(chunk_ids), include=["embeddings"])
        embeddings = got.get("embeddings")
        if embeddings is None or not len(embeddings):
            return {}
        matrix = np.asarray(embeddings, dtype=np.float32)
        norms = np.maximum(np.linalg.norm(matrix, axis=1), 1e-9)
        sims = (matrix @ np.asarray(vector, dtype=np.float32)) / norms
        return {cid: float(sim) for cid, sim in zip(got["ids"], sims, strict=True)}

    def keyword(self, tokens: Sequence[str], k: int) -> list[tuple[str, float]]:
        """(chunk id, bm25 score) best first, only chunks sharing a term with the query."""
        state = self.state()
        if state.bm25 is None or not tokens:
            return []
        n = min(k, len(state.chunks))
        docs, scores = state.bm25.retrieve([list(tokens)], k=n, show_progress=False)
        return [
            (state.chunks[int(i)].id, float(s))
            for i, s in zip(docs[0], scores[0], strict=True)
            if s > 0
        ]

    def keyword_scores(self, tokens: Sequence[str]) -> np.ndarray:
        """The bm25 score of every chunk (in ``state().chunks`` order) for ``tokens``."""
        state = self.state()
        known = [t for t in tokens if t in state.df]
        if state.bm25 is None or not known:
            return np.zeros(len(state.chunks), dtype=np.float32)
        return np.asarray(state.bm25.get_scores(known), dtype=np.float32)

    # --- ingest ----------------------------------------------------------------------

    def ingest(self, roots: Sequence[Path], progress: Progress | None = None) -> IngestCounts:
        """Index the supported files under ``roots``: skip unchanged ones (same content
        hash), replace changed ones, remove indexed ones that no longer exist there."""
        from knowledge.embeddings import get_embedder, token_embedder

        counts = IngestCounts()
        with self._ingest_lock():
            self._checked_at = 0.0
            state = self.state()
            if self.collection().count() != len(state.chunks):
                # An earlier run stopped between writing Chroma and stamping a version:
                # re-read the collection so half-written documents are seen and fixed.
                state = self._state = self._rebuild_from_chroma(state.version)
            docs = {sid: DocEntry(e.hash, list(e.ids), e.title) for sid, e in state.docs.items()}
            by_id = {c.id: c for c in state.chunks}
            unit_vectors = dict(state.unit_vectors)
            token_vectors = dict(state.token_vectors)
            scopes: list[str] = []
            files: list[tuple[Path, Path]] = []  # (file, the root it was found under)
            for root in roots:
                scopes.append(root_scope(root, self.corpus_dir))
                if not root.exists():
                    counts.failed.append((str(root), "no such file or folder"))
                    continue
                files.extend((found, root) for found in discover([root]))
            limits = Limits.from_settings(self.settings)
            base_url = self.settings.knowledge_base_url
            # What else shapes a document's chunks: a change re-ingests unchanged files.
            salt = f"loader={LOADER_VERSION};base={base_url}"
            collection = self.collection()
            embedder = get_embedder(self.settings.embeddings)
            with_tokens = token_embedder(embedder)
            pending: list[tuple[Chunk, str]] = []  # (chunk, doc hash)
            # Unit vectors of the previous versions of changed documents, by scored
            # text: an edit re-embeds only the sentences it touched.
            reusable: dict[str, np.ndarray] = {}
            stale: list[str] = []
            seen: set[str] = set()
            changed = False

            def flush() -> None:
                if not pending:
                    return
                batch = [chunk for chunk, _ in pending]
                texts = [uncited(chunk.embed_text()) for chunk in batch]
                if with_tokens is not None:  # the same run of the model gives both
                    vectors, pieces = with_tokens.embed_with_tokens(texts)
                    token_vectors.update(zip((c.id for c in batch), pieces, strict=True))
                else:
                    vectors = embedder.embed(texts)
                matrices = embed_units(batch, embedder.embed, reusable)
                for chunk, matrix in zip(batch, matrices, strict=True):
                    unit_vectors[chunk.id] = matrix
                self.headings.ensure(
                    (heading_of(c.title, c.section) for c in batch), embedder.embed
                )
                for start in range(0, len(batch), UPSERT_BATCH):
                    part = pending[start : start + UPSERT_BATCH]
                    collection.upsert(
                        ids=[chunk.id for chunk, _ in part],
                        embeddings=vectors[start : start + len(part)],
                        documents=[chunk.text for chunk, _ in part],
                        metadatas=[
                            {**_chroma_meta(chunk, unit_vectors.get(chunk.id)), "doc_hash": h}
                            for chunk, h in part
                        ],
                    )
                pending.clear()

            total = len(files)
            for done, (path, root) in enumerate(files):
                if progress is not None:
                    progress(done, total, path.name)
                sid = source_id(path, self.corpus_dir)
                if sid in seen:
                    continue
                seen.add(sid)
                try:
                    size = path.stat().st_size
                    if size > limits.max_file_bytes:
                        raise DocumentTooLarge(
                            f"file is {size / 1048576:.1f} MB, over the "
                            f"{limits.max_file_bytes / 1048576:.1f} MB limit "
                            "(KNOWLEDGE_MAX_FILE_MB)"
                        )
                    data = path.read_bytes()
                except DocumentTooLarge as exc:
                    counts.too_large.append((str(path), str(exc)))
                    log.warning("skipped %s: %s", path, exc)
                    continue
                except OSError as exc:
                    counts.failed.append((str(path), f"cannot read file ({exc.strerror})"))
                    log.warning("skipped %s: cannot read file (%s)", path, exc.strerror)
                    continue
                digest = content_hash(data, salt)
                previous = docs.get(sid)
                if previous is not None and previous.hash == digest:
                    counts.skipped += 1
                    continue
                if sid.startswith(CORPUS_PREFIX):
                    relative = sid[len(CORPUS_PREFIX) :]
                else:
                    relative = path.name if root.is_file() else path.relative_to(root).as_posix()
                try:
                    doc = load_document(
                        path,
                        source=sid,
                        data=data,
                        limits=limits,
                        link=file_url(base_url, relative),
                    )
                    chunks = chunk_document(doc, max_chunks=limits.max_chunks)
                except DocumentTooLarge as exc:
                    counts.too_large.append((str(path), str(exc)))
                    log.warning("skipped %s: %s", path, exc)
                    continue
                except DocumentError as exc:
                    counts.failed.append((str(path), str(exc)))
                    log.warning("skipped %s: %s", path, exc)
                    continue
                except Exception as exc:  # a loader bug must not stop the whole run
                    counts.failed.append((str(path), f"unreadable ({type(exc).__name__})"))
                    log.warning("skipped %s", path, exc_info=True)
                    continue
                new_ids = [chunk.id for chunk in chunks]
                if previous is not None:
                    stale.extend(set(previous.ids) - set(new_ids))
                    counts.updated += 1
                    for cid in previous.ids:
                        if (old := by_id.get(cid)) is not None:
                            reusable.update(stored_units(old, unit_vectors.get(cid)))
                else:
                    counts.added += 1
                for chunk in chunks:
                    by_id[chunk.id] = chunk
                    pending.append((chunk, digest))
                counts.chunks += len(chunks)
                docs[sid] = DocEntry(digest, new_ids, chunks[0].title if chunks else "")
                changed = True
                if len(pending) >= EMBED_BATCH:
                    flush()
            flush()

            for sid in list(docs):
                if sid in seen or not any(_in_scope(sid, scope) for scope in scopes):
                    continue
                stale.extend(docs.pop(sid).ids)
                counts.removed += 1
                changed = True
            if stale:
                for start in range(0, len(stale), UPSERT_BATCH):
                    collection.delete(ids=stale[start : start + UPSERT_BATCH])
                for cid in stale:
                    by_id.pop(cid, None)
            if progress is not None:
                progress(total, total, "")

            if changed:
                self._commit(collection, docs, by_id, unit_vectors, token_vectors)
        return counts

    def add_embedded(
        self,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        unit_vectors: dict[str, np.ndarray] | None = None,
        token_vectors: dict[str, np.ndarray] | None = None,
    ) -> None:
        """Add chunks whose embeddings are already computed (bulk loads, benchmarks);
        ``unit_vectors`` (chunk id -> one row per unit) and ``token_vectors`` (chunk
        id -> int8 word-piece rows) are embedded on first use when not given."""
        with self._ingest_lock():
            self._checked_at = 0.0
            state = self.state()
            docs = {sid: DocEntry(e.hash, list(e.ids), e.title) for sid, e in state.docs.items()}
            by_id = {c.id: c for c in state.chunks}
            collection = self.collection()
            given = {
                cid: quantize(matrix) if matrix.dtype != np.int8 else matrix
                for cid, matrix in (unit_vectors or {}).items()
            }
            for start in range(0, len(chunks), UPSERT_BATCH):
                part = chunks[start : start + UPSERT_BATCH]
                collection.upsert(
                    ids=[c.id for c in part],
                    embeddings=vectors[start : start + len(part)],
                    documents=[c.text for c in part],
                    metadatas=[_chroma_meta(c, given.get(c.id)) for c in part],
                )
            for chunk in chunks:
                entry = docs.setdefault(chunk.source, DocEntry("", [], chunk.title))
                if chunk.id not in entry.ids:
                    entry.ids.append(chunk.id)
                by_id[chunk.id] = chunk
            units_now = {**state.unit_vectors, **given}
            pieces_now = {**state.token_vectors, **(token_vectors or {})}
            self._commit(collection, docs, by_id, units_now, pieces_now)

    def put_document(self, doc: Document) -> int:
        """Index one document that is not a file (a knowledge note): replace whatever was
        indexed under its source id. Returns its number of chunks. File ingest leaves it
        alone: its source id is outside every folder's scope."""
        from knowledge.embeddings import get_embedder, token_embedder

        limits = Limits.from_settings(self.settings)
        chunks = chunk_document(doc, max_chunks=limits.max_chunks)
        digest = content_hash("\n".join(c.text for c in chunks).encode(), doc.title)
        if not chunks:
            raise DocumentError("nothing to index")
        embedder = get_embedder(self.settings.embeddings)
        texts = [uncited(c.embed_text()) for c in chunks]
        fresh_pieces: dict[str, np.ndarray] = {}
        if (with_tokens := token_embedder(embedder)) is not None:
            vectors, pieces = with_tokens.embed_with_tokens(texts)
            fresh_pieces = dict(zip((c.id for c in chunks), pieces, strict=True))
        else:
            vectors = embedder.embed(texts)
        with self._ingest_lock():
            self._checked_at = 0.0
            state = self.state()
            docs = {sid: DocEntry(e.hash, list(e.ids), e.title) for sid, e in state.docs.items()}
            by_id = {c.id: c for c in state.chunks}
            collection = self.collection()
            collection.upsert(
                ids=[c.id for c in chunks],
                embeddings=vectors,
                documents=[c.text for c in chunks],
                metadatas=[{**c.metadata(), "doc_hash": digest} for c in chunks],
            )
            new_ids = [c.id for c in chunks]
            previous = docs.get(doc.source)
            stale = sorted(set(previous.ids) - set(new_ids)) if previous else []
            if stale:
                collection.delete(ids=stale)
            for cid in stale:
                by_id.pop(cid, None)
            for chunk in chunks:
                by_id[chunk.id] = chunk
            docs[doc.source] = DocEntry(digest, new_ids, doc.title)
            # The note's unit vectors are embedded on first use (see units_of).
            units_now = {cid: m for cid, m in state.unit_vectors.items() if cid in by_id}
            pieces_now = {**state.token_vectors, **fresh_pieces}
            self._commit(collection, docs, by_id, units_now, pieces_now)
        return len(chunks)

    def remove_source(self, source: str) -> bool:
        """Take one document out of the index; False when it was not indexed."""
        with self._ingest_lock():
            self._checked_at = 0.0
            state = self.state()
            if source not in state.docs:
                return False
            docs = {sid: DocEntry(e.hash, list(e.ids), e.title) for sid, e in state.docs.items()}
            by_id = {c.id: c for c in state.chunks}
            collection = self.collection()
            ids = docs.pop(source).ids
            if ids:
                collection.delete(ids=ids)
            for cid in ids:
                by_id.pop(cid, None)
            self._commit(
                collection, docs, by_id, dict(state.unit_vectors), dict(state.token_vectors)
            )
        return True

    def _commit(
        self,
        collection: Any,
        docs: dict[str, DocEntry],
        by_id: dict[str, Chunk],
        unit_vectors: dict[str, np.ndarray] | None = None,
        token_vectors: dict[str, np.ndarray] | None = None,
    ) -> None:
        """Stamp a new version: save the derived state, then publish it in Chroma."""
        version = uuid.uuid4().hex
        live = {cid for entry in docs.values() for cid in entry.ids}
        chunks = sorted(
            (c for cid, c in by_id.items() if cid in live),
            key=lambda c: (c.source, c.ordinal),
        )
        new_state = self._build_state(version, docs, chunks, unit_vectors, token_vectors)
        self._save(new_state)
        self.headings.save(keep={heading_of(c.title, c.section) for c in chunks})
        metadata = dict(collection.metadata or {})
        metadata[VERSION_KEY] = version
        collection.modify(metadata=metadata)
        # Touch the manifest again now that the stamp is out: a process that looked
        # between the save and the stamp sees a change once more and picks it up.
        with contextlib.suppress(OSError):
            os.utime(self.local_dir / "manifest.json")
        self._state = new_state
        self._seen_manifest = self._manifest_key()
        self._checked_at = time.monotonic()


def _chroma_meta(chunk: Chunk, units_i8: np.ndarray | None) -> dict[str, Any]:
    """The chunk's metadata plus its unit vectors, so a replica rebuilding its local
    state from a shared Chroma server gets them without embedding anything."""
    meta = chunk.metadata()
    if units_i8 is not None and units_i8.ndim == 2 and len(units_i8):
        meta[UNITS_KEY] = pack_units(units_i8)
        meta["units_dim"] = int(units_i8.shape[1])
    return meta


def _save_rows(state_dir: Path, name: str, rows_of: dict[str, np.ndarray]) -> None:
    """Each chunk's int8 rows (unit or word-piece vectors) as one matrix, NAME.npy,
    plus NAME.json: the chunk ids and their row counts, in order."""
    ids = [cid for cid, matrix in rows_of.items() if matrix.ndim == 2 and len(matrix)]
    rows = [len(rows_of[cid]) for cid in ids]
    matrix = (
        np.concatenate([rows_of[cid] for cid in ids]) if ids else np.zeros((0, 1), dtype=np.int8)
    )
    np.save(state_dir / f"{name}.npy", matrix)
    (state_dir / f"{name}.json").write_text(json.dumps({"ids": ids, "rows": rows}))


def _load_rows(state_dir: Path, name: str, *, mmap: bool = False) -> dict[str, np.ndarray]:
    try:
        layout = json.loads((state_dir / f"{name}.json").read_text())
        matrix = np.load(state_dir / f"{name}.npy", mmap_mode="r" if mmap else None)
    except (OSError, ValueError):
        return {}  # an older snapshot: embedded on first use
    out: dict[str, np.ndarray] = {}
    start = 0
    for cid, n in zip(layout["ids"], layout["rows"], strict=True):
        out[cid] = matrix[start : start + n]
        start += n
    return out


def _in_scope(sid: str, scope: str) -> bool:
    return sid == scope or (scope.endswith(("/", ":")) and sid.startswith(scope))


__all__ = [
    "DocEntry",
    "IndexState",
    "IndexUnavailable",
    "IngestCounts",
    "KnowledgeIndex",
    "STOPWORDS",
    "embed_units",
    "quantize",
    "tokenize",
    "unit_texts",
]
