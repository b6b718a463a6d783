"""Answer quality on every evaluation set, the engine beside two plain baselines.

``python -m bench.eval_sets [--set NAME ...] [--fold N] [--json] [--verbose]``

Sets (see ``bench/eval/README.md``; only ``dev`` may be used to choose constants, and fold 1
of the new sets for looking at failures; everything else is held out):

==============  ==========================================================  ============
set             documents                                                   questions
==============  ==========================================================  ============
dev             bundled corpus + raw seeds                                  questions.jsonl
heldout         bundled corpus + raw seeds (same index as dev)              heldout.jsonl
seeds-raw       the three seed files exactly as they are                    seeds.jsonl
seeds-html      the seeds as web pages with nav/footer/cookie banner        seeds.jsonl
seeds-pdf       the seeds as paginated PDFs with a running header           seeds.jsonl
seeds-docx      the seeds as Word files                                     seeds.jsonl
seeds-print     the seeds' web pages printed to PDF by Chromium             seeds.jsonl
company         bench/eval/company (Markdown, HTML, PDF, .docx)             company.jsonl
company-print   every company document as a wiki page printed to PDF        company.jsonl
company-hand    every company document with hand-formatted headings         company.jsonl
company-form    every company document as a Word form (controls, text box)  company.jsonl
==============  ==========================================================  ============

The seeds are read from ``SPINEBOT_SEEDS_DIR`` or ``<repo>/../shared/seeds``; the seed
sets are skipped (with a note) when none exists. Every set is ingested into a fresh
temporary data dir through ``KnowledgeService.ingest``; PDF, .docx and HTML variants
are generated at bench time (``bench/eval_formats.py``); the printed sets only where a
Chromium is installed (skipped with a note otherwise).

Systems, in the same run:

* ``engine``: ``KnowledgeService.ask`` (extractive). hit@k: the answering passage is among
  the first k *cited sources* of the answer; MRR@10 over the cited sources; "fact": every
  key fact is in the answer text; an abstention cites nothing.
* ``engine-rank``: the engine's own ranking (``retriever.search``, k=10, no context cut),
  for hit@k/MRR only.
* ``bm25``: bm25s (English stop words, no stemming) over ~1,000-character chunks (200
  characters overlap) of the plain extracted text (pypdf, python-docx, BeautifulSoup
  ``get_text`` with scripts and styles removed and nothing else), no document structure.
* ``dense``: MiniLM (``knowledge.embeddings``) cosine similarity over the same chunks.

For the baselines the "answer" is the top chunk's text and they never abstain, so their
false-answer count on unanswerable questions is always all of them.

A passage is a hit when it comes from the question's document and contains the anchor
(compared case-, punctuation-, hyphenation- and whitespace-insensitively), or contains
every key fact and shares a run of six words with the answering passage (the anchor's
surroundings, ``PASSAGE_CHARS`` each side, located in the source text).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import SHARED_SEEDS

ROOT = Path(__file__).resolve().parents[1]
EVAL_DIR = ROOT / "bench" / "eval"
COMPANY_DIR = EVAL_DIR / "company"
SEED_FILES = (
    "ai-spine-article.txt",
    "ai-at-scale-chapter.txt",
    "implementing-and-scaling-ai-study.txt",
)
PASSAGE_CHARS = 400  # the answering passage: the anchor and this much text on each side
SHINGLE = 6  # words a passage must share with the answering passage (fact-based hits)
CHUNK_CHARS = 1000  # baseline chunk size
CHUNK_OVERLAP = 200
TOP_K = 10
HELD_OUT_FOLD = 2  # fold of the new sets never looked at while tuning

SET_NAMES = (
    "dev",
    "heldout",
    "seeds-raw",
    "seeds-html",
    "seeds-pdf",
    "seeds-docx",
    "seeds-print",
    "company",
    "company-print",
    "company-hand",
    "company-form",
    "company-office",
)
HELD_OUT = {
    "dev": False,
    "heldout": True,
    "seeds-raw": True,
    "seeds-html": True,
    "seeds-pdf": True,
    "seeds-docx": True,
    "seeds-print": True,
    "company": True,
    "company-print": True,
    "company-hand": True,
    "company-form": True,
    "company-office": True,
}


# --- text matching ------------------------------------------------------------------

_HYPHEN_BREAK = re.compile(r"(\w)-\s*\n\s*(\w)")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def words(text: str) -> str:
    """Case, punctuation, Markdown, line breaks and end-of-line hyphenation do not matter:
    ``"Cut email-\\nhandling by 15%!"`` -> ``" cut emailhandling by 15 percent "``."""
    text = _HYPHEN_BREAK.sub(r"\1\2", text.translate(_QUOTES))
    text = text.casefold().replace("%", " percent ").replace("&", " and ")
    return " " + " ".join(_NON_WORD.sub(" ", text).split()) + " "


def squashed(text: str) -> str:
    """Letters and digits only: survives any hyphenation or spacing a loader chose."""
    return _NON_WORD.sub("", words(text))


@dataclass
class Text:
    """A text prepared once for repeated containment tests."""

    raw: str
    w: str = ""
    s: str = ""

    def __post_init__(self) -> None:
        self.w = words(self.raw)
        self.s = squashed(self.raw)

    def has_phrase(self, phrase: str) -> bool:
        return words(phrase) in self.w or squashed(phrase) in self.s

    def has_fact(self, fact: str | Sequence[str]) -> bool:
        """A fact, or any of its alternatives (a list), as whole words; long ones also squashed."""
        options = [fact] if isinstance(fact, str) else list(fact)
        for option in options:
            if words(option) in self.w:
                return True
            compact = squashed(option)
            if len(compact) >= 6 and compact in self.s:
                return True
        return False


def shingles(text: str, size: int = SHINGLE) -> set[str]:
    tokens = words(text).split()
    return {" ".join(tokens[i : i + size]) for i in range(max(len(tokens) - size + 1, 0))}


def locate(text: str, anchor: str) -> tuple[int, int] | None:
    """Character span of ``anchor`` in ``text`` (tolerant of case, punctuation, wrapping)."""
    parts = [re.escape(p) for p in _NON_WORD.split(anchor.casefold().translate(_QUOTES)) if p]
    if not parts:
        return None
    gap = r"(?:[^0-9a-z]|-\s*\n\s*)*"
    pattern = re.compile(gap.join(parts), re.IGNORECASE)
    match = pattern.search(text.translate(_QUOTES))
    return (match.start(), match.end()) if match else None


def passage(text: str, anchor: str, width: int = PASSAGE_CHARS) -> str | None:
    span = locate(text, anchor)
    if span is None:
        return None
    return text[max(span[0] - width, 0) : span[1] + width]


# --- questions ----------------------------------------------------------------------


@dataclass
class Question:
    id: str
    text: str
    fold: int
    unanswerable: bool
    targets: list[tuple[str, str]] = field(default_factory=list)  # (doc, anchor)
    facts: list[str | list[str]] = field(default_factory=list)
    passage_shingles: set[str] = field(default_factory=set)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def legacy_questions(path: Path) -> list[Question]:
    """``questions.jsonl`` / ``heldout.jsonl``: ``source`` + ``contains`` (+ ``also``), or
    ``abstain``. Their key fact is the ``contains`` phrase itself (stricter than a fact)."""
    out = []
    for item in read_jsonl(path):
        if item.get("abstain"):
            out.append(Question(item["id"], item["question"], 0, True))
            continue
        targets = [(item["source"], item["contains"])]
        targets += [(a["source"], a["contains"]) for a in item.get("also", [])]
        facts: list[str | list[str]] = [[phrase for _, phrase in targets]]
        out.append(Question(item["id"], item["question"], 0, False, targets, facts))
    return out


def new_questions(path: Path, sources: dict[str, str]) -> list[Question]:
    """``seeds.jsonl`` / ``company.jsonl``; ``sources`` maps a doc name to its source text
    (for the answering passage)."""
    out = []
    for item in read_jsonl(path):
        if item.get("unanswerable"):
            out.append(Question(item["id"], item["question"], item["fold"], True))
            continue
        question = Question(
            item["id"],
            item["question"],
            item["fold"],
            False,
            [(item["doc"], item["anchor"])],
            list(item["facts"]),
        )
        text = sources.get(item["doc"])
        found = passage(text, item["anchor"]) if text is not None else None
        if found:
            question.passage_shingles = shingles(found)
        out.append(question)
    return out


# --- scoring ------------------------------------------------------------------------


def same_doc(chunk_source: str, doc: str, *, by_stem: bool) -> bool:
    if chunk_source.endswith(doc):
        return True
    return by_stem and Path(chunk_source).stem == Path(doc).stem


def is_hit(question: Question, chunk_source: str, chunk_text: str, *, by_stem: bool) -> bool:
    text = Text(chunk_text)
    for doc, anchor in question.targets:
        if not same_doc(chunk_source, doc, by_stem=by_stem):
            continue
        if text.has_phrase(anchor):
            return True
        if (
            question.passage_shingles
            and all(text.has_fact(f) for f in question.facts)
            and shingles(chunk_text) & question.passage_shingles
        ):
            return True
    return False


def has_facts(question: Question, answer_text: str) -> bool:
    text = Text(answer_text)
    return all(text.has_fact(f) for f in question.facts)


@dataclass
class Score:
    system: str
    answerable: int = 0
    unanswerable: int = 0
    hit1: int = 0
    hit5: int = 0
    rr: float = 0.0
    facts: int = 0
    false_answers: int = 0  # unanswerable questions answered
    false_abstentions: int = 0  # answerable questions abstained on
    ranking_only: bool = False
    misses: list[str] = field(default_factory=list)
    no_fact: list[str] = field(default_factory=list)
    answered_unanswerable: list[str] = field(default_factory=list)
    abstained_answerable: list[str] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)  # characters of each answer given

    def add(
        self,
        question: Question,
        ranked: Sequence[tuple[str, str]],
        answer_text: str | None,
        abstained: bool,
        *,
        by_stem: bool,
    ) -> None:
        if question.unanswerable:
            self.unanswerable += 1
            if not abstained and not self.ranking_only:
                self.false_answers += 1
                self.answered_unanswerable.append(question.id)
            return
        self.answerable += 1
        if abstained:
            self.false_abstentions += 1
            self.abstained_answerable.append(question.id)
        rank = next(
            (
                i
                for i, (source, text) in enumerate(ranked[:TOP_K], start=1)
                if is_hit(question, source, text, by_stem=by_stem)
            ),
            None,
        )
        if rank is None:
            self.misses.append(question.id)
        else:
            self.hit1 += rank == 1
            self.hit5 += rank <= 5
            self.rr += 1.0 / rank
        if answer_text is not None and not abstained:
            self.lengths.append(len(answer_text))
        if answer_text is not None and not abstained and has_facts(question, answer_text):
            self.facts += 1
        elif not self.ranking_only:
            self.no_fact.append(question.id)

    def figures(self) -> dict[str, Any]:
        n = max(self.answerable, 1)
        out: dict[str, Any] = {
            "system": self.system,
            "answerable": self.answerable,
            "unanswerable": self.unanswerable,
            "hit@1": round(self.hit1 / n, 3),
            "hit@5": round(self.hit5 / n, 3),
            "mrr@10": round(self.rr / n, 3),
        }
        if not self.ranking_only:
            out.update(
                {
                    "fact": round(self.facts / n, 3),
                    "false_answers": self.false_answers,
                    "false_abstentions": self.false_abstentions,
                    # a longer answer holds the key fact more often: the median length
                    # of the answers given shows what a fact figure cost in reading
                    "median_chars": int(statistics.median(self.lengths)) if self.lengths else 0,
                }
            )
        return out


# --- baselines ----------------------------------------------------------------------


def extract_plain(path: Path) -> str:
    """The document's text as a simple extractor gives it, with no structure or cleaning."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        import logging

        from pypdf import PdfReader

        logging.getLogger("pypdf").setLevel(logging.ERROR)
        return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)
    if suffix == ".docx":
        import docx
        from docx.text.paragraph import Paragraph

        document = docx.Document(str(path))
        # every paragraph outside the tables, also in content controls and text boxes (as
        # docx2txt and similar extractors read them), each text box once
        w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
        skip = (w + "tbl", "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback")
        lines = [
            Paragraph(p, document._body).text
            for p in document.element.body.iter(w + "p")
            if not any(a.tag in skip for a in p.iterancestors())
        ]
        for table in document.tables:
            lines += [" | ".join(c.text for c in row.cells) for row in table.rows]
        return "\n".join(lines)
    if suffix in (".html", ".htm"):
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(path.read_bytes(), "html.parser")
        for tag in soup(["script", "style"]):
            tag.decompose()
        return soup.get_text("\n")
    return path.read_text(encoding="utf-8")


def chunk_plain(text: str, size: int = CHUNK_CHARS, overlap: int = CHUNK_OVERLAP) -> list[str]:
    """~``size``-character windows cut at word boundaries, overlapping by ~``overlap``."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    chunks: list[str] = []
    i = 0
    while i < len(spans):
        start = spans[i][0]
        j = i
        while j + 1 < len(spans) and spans[j + 1][1] - start <= size:
            j += 1
        chunks.append(text[start : spans[j][1]])
        if j + 1 >= len(spans):
            break
        next_start = spans[j][1] - overlap
        k = j
        while k > i and spans[k][0] > next_start:
            k -= 1
        i = max(k, i + 1)
    return chunks


class Baselines:
    """bm25 and dense rankings over plain chunks of the set's documents."""

    _vectors: dict[str, Any] = {}  # embedding cache across sets, keyed by text hash

    def __init__(self, files: Iterable[Path], source_of: Callable[[Path], str]) -> None:
        import bm25s
        import numpy as np

        self.chunks: list[tuple[str, str]] = []
        for path in files:
            source = source_of(path)
            self.chunks += [(source, c) for c in chunk_plain(extract_plain(path))]
        texts = [text for _, text in self.chunks]
        self._bm25 = bm25s.BM25()
        self._bm25.index(
            bm25s.tokenize(texts, stopwords="en", return_ids=False, show_progress=False),
            show_progress=False,
        )
        from knowledge.embeddings import get_embedder

        self._embedder = get_embedder("minilm-int8")
        keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        todo = [i for i, key in enumerate(keys) if key not in self._vectors]
        if todo:
            vectors = self._embedder.embed([texts[i] for i in todo])
            for i, vector in zip(todo, vectors, strict=True):
                self._vectors[keys[i]] = vector
        self._matrix = np.stack([self._vectors[key] for key in keys])

    def bm25(self, query: str) -> list[tuple[str, str]]:
        import bm25s

        tokens = bm25s.tokenize([query], stopwords="en", return_ids=False, show_progress=False)
        if not tokens[0]:
            return []
        k = min(TOP_K, len(self.chunks))
        ids, scores = self._bm25.retrieve(tokens, k=k, show_progress=False)
        return [self.chunks[int(i)] for i, s in zip(ids[0], scores[0], strict=True) if s > 0]

    def dense(self, query: str) -> list[tuple[str, str]]:
        import numpy as np

        vector = self._embedder.embed([query])[0]
        order = np.argsort(-(self._matrix @ vector))[:TOP_K]
        return [self.chunks[int(i)] for i in order]


# --- sets ---------------------------------------------------------------------------


def seeds_dir() -> Path | None:
    """The folder holding the three seed files: ``SPINEBOT_SEEDS_DIR`` when set (and then
    only it), else ``<repo>/../shared/seeds``; None when absent."""
    explicit = os.environ.get("SPINEBOT_SEEDS_DIR")
    candidates = [SHARED_SEEDS] if explicit is None else [Path(explicit)] if explicit else []
    for candidate in candidates:
        if all((candidate / name).is_file() for name in SEED_FILES):
            return candidate
    return None


def company_sources() -> dict[str, str]:
    """Doc name (as ingested) -> its source text, for the company set."""
    from bench.eval_formats import PDF_RENDERED

    out = {p.name: p.read_text(encoding="utf-8") for p in (COMPANY_DIR / "docs").iterdir()}
    for path in (COMPANY_DIR / "render").glob("*.md"):
        suffix = ".pdf" if path.stem in PDF_RENDERED else ".docx"
        out[path.stem + suffix] = path.read_text(encoding="utf-8")
    return out


@dataclass
class EvalSet:
    name: str
    questions: list[Question]
    roots: list[Path]  # what the engine ingests
    files: list[Path]  # what the baselines read
    by_stem: bool  # documents are matched by file stem (format variants)
    note: str = ""


def prepare(names: Sequence[str], work: Path) -> tuple[list[EvalSet], list[str]]:
    """Build the requested sets under ``work``; returns the sets and notes on skipped ones."""
    from bench.eval_formats import (
        chromium,
        form_company,
        hand_company,
        office_company,
        print_company,
        print_seeds,
        render_company,
        render_seed_variants,
        soffice,
    )
    from knowledge.documents import CORPUS_DIR, discover

    seeds = seeds_dir()
    notes: list[str] = []
    sets: list[EvalSet] = []
    corpus_files = list(discover([CORPUS_DIR]))
    for name in names:
        if name in ("dev", "heldout"):
            path = EVAL_DIR / ("questions.jsonl" if name == "dev" else "heldout.jsonl")
            roots = [CORPUS_DIR] + ([seeds] if seeds else [])
            files = corpus_files + ([seeds / f for f in SEED_FILES] if seeds else [])
            note = "" if seeds else "no seeds: seed questions count via their research notes"
            sets.append(EvalSet(name, legacy_questions(path), roots, files, False, note))
            continue
        if name.endswith("-print") and chromium() is None:
            notes.append(f"{name}: skipped, no Chromium to print with (set SPINEBOT_CHROMIUM)")
            continue
        if name == "company-office" and soffice() is None:
            notes.append(f"{name}: skipped, no office suite to export with (set SPINEBOT_SOFFICE)")
            continue
        if name == "seeds-print" and seeds is not None:
            sources = {f: (seeds / f).read_text(encoding="utf-8") for f in SEED_FILES}
            folder = work / name
            folder.mkdir()
            files = print_seeds([seeds / f for f in SEED_FILES], folder, str(chromium()))
            questions = new_questions(EVAL_DIR / "seeds.jsonl", sources)
            sets.append(EvalSet(name, questions, [folder], files, True))
            continue
        if name.startswith("seeds-"):
            if seeds is None:
                notes.append(
                    f"{name}: skipped, no seed folder (set SPINEBOT_SEEDS_DIR or put the "
                    "seeds in ../shared/seeds)"
                )
                continue
            sources = {f: (seeds / f).read_text(encoding="utf-8") for f in SEED_FILES}
            questions = new_questions(EVAL_DIR / "seeds.jsonl", sources)
            variant = name.removeprefix("seeds-")
            folder = work / name
            folder.mkdir()
            if variant == "raw":
                for f in SEED_FILES:
                    shutil.copyfile(seeds / f, folder / f)
            else:
                for f in SEED_FILES:
                    render_seed_variants(seeds / f, {variant: folder})
            files = sorted(folder.iterdir())
            sets.append(EvalSet(name, questions, [folder], files, True))
            continue
        writers = {
            "company": render_company,
            "company-hand": hand_company,
            "company-form": form_company,
            "company-print": lambda source, out: print_company(source, out, str(chromium())),
            "company-office": lambda source, out: office_company(source, out, str(soffice())),
        }
        if name in writers:
            folder = work / name
            folder.mkdir()
            files = writers[name](COMPANY_DIR, folder)
            questions = new_questions(EVAL_DIR / "company.jsonl", company_sources())
            sets.append(EvalSet(name, questions, [folder], files, True))
            continue
        raise ValueError(f"unknown set {name!r}")
    return sets, notes


def _ingest_key(item: EvalSet) -> tuple[str, ...]:
    return tuple(str(r) for r in item.roots)


def run(names: Sequence[str], fold: int | None = None) -> dict[str, Any]:
    """Evaluate the sets; returns ``{"sets": [...], "notes": [...]}``."""
    from knowledge.documents import CORPUS_DIR, source_id
    from knowledge.service import KnowledgeService
    from spinebot.settings import Settings

    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="spinebot-evalsets-") as tmp:
        work = Path(tmp)
        sets, notes = prepare(names, work)
        rerank = getattr(Settings(data_dir=work / "probe"), "rerank_url", "")
        if rerank:
            notes.append(f"engine: passages reranked by {rerank} (RERANK_URL)")
        services: dict[tuple[str, ...], tuple[Any, Baselines, int, float]] = {}
        for number, item in enumerate(sets):
            started = time.perf_counter()
            key = _ingest_key(item)
            if key not in services:  # dev and heldout share their documents and index
                settings = Settings(
                    data_dir=work / f"data-{number}", llm_model="", knowledge_dirs=[]
                )
                service = KnowledgeService(settings)
                report = service.ingest(item.roots)
                baselines = Baselines(item.files, lambda p: source_id(p, CORPUS_DIR))
                services[key] = (service, baselines, report.chunks, report.seconds)
            service, baselines, chunks, ingest_s = services[key]
            questions = [q for q in item.questions if fold is None or q.fold in (0, fold)]
            scores = {
                name: Score(name, ranking_only=name == "engine-rank")
                for name in ("engine", "engine-rank", "bm25", "dense")
            }
            held = Score("engine")
            for question in questions:
                answer = service.ask(question.text)
                cited = [(s.source, s.text) for s in answer.sources]
                for target in (scores["engine"], held):
                    if target is held and question.fold != HELD_OUT_FOLD:
                        continue
                    target.add(question, cited, answer.text, answer.abstained, by_stem=item.by_stem)
                ranked = _engine_ranking(service, question.text)
                if ranked is not None:
                    scores["engine-rank"].add(question, ranked, None, False, by_stem=item.by_stem)
                for name in ("bm25", "dense"):
                    top = getattr(baselines, name)(question.text)
                    scores[name].add(
                        question,
                        top,
                        top[0][1] if top else None,
                        False,
                        by_stem=item.by_stem,
                    )
            if not scores["engine-rank"].answerable + scores["engine-rank"].unanswerable:
                del scores["engine-rank"]
            results.append(
                {
                    "set": item.name,
                    "held_out": HELD_OUT[item.name],
                    "note": item.note,
                    "chunks": chunks,
                    "baseline_chunks": len(baselines.chunks),
                    "ingest_seconds": round(ingest_s, 1),
                    "seconds": round(time.perf_counter() - started, 1),
                    "systems": [s.figures() for s in scores.values()],
                    "held_out_fold": held.figures() if held.answerable else None,
                    "misses": {
                        s.system: {
                            "not_found": s.misses,
                            "fact_missing": s.no_fact,
                            "answered_unanswerable": s.answered_unanswerable,
                            "abstained_answerable": s.abstained_answerable,
                        }
                        for s in scores.values()
                    },
                }
            )
    return {
        "sets": results,
        "notes": notes,
        "tuning_set": "dev (questions.jsonl, dev_extra.jsonl), fold 1 of the new sets",
    }


def _engine_ranking(service: Any, question: str) -> list[tuple[str, str]] | None:
    """The engine's ranking without the context cut (None when the API is not there)."""
    try:
        rerank = getattr(service, "reranker", None)
        extra = {"rerank": rerank} if rerank is not None else {}
        retrieval = service.retriever.search(question, k=TOP_K, **extra)
    except (AttributeError, TypeError):
        return None
    return [(hit.chunk.source, hit.chunk.text) for hit in retrieval.hits]


# --- output -------------------------------------------------------------------------


def _pct(value: float) -> str:
    return f"{100 * value:5.1f}"


def print_table(report: dict[str, Any], verbose: bool = False) -> None:
    header = [
        *("set", "system", "hit@1", "hit@5", "MRR@10", "fact", "false ans", "false abst"),
        "chars",
    ]
    rows: list[list[str]] = []
    for item in report["sets"]:
        label = item["set"] + (" *" if item["held_out"] else "")
        for s in item["systems"]:
            ranking_only = "fact" not in s
            rows.append(
                [
                    label,
                    s["system"],
                    _pct(s["hit@1"]),
                    _pct(s["hit@5"]),
                    f"{s['mrr@10']:.3f}",
                    "-" if ranking_only else _pct(s["fact"]),
                    "-" if ranking_only else f"{s['false_answers']}/{s['unanswerable']}",
                    "-" if ranking_only else f"{s['false_abstentions']}/{s['answerable']}",
                    "-" if ranking_only else str(s["median_chars"]),
                ]
            )
            label = ""
        held = item.get("held_out_fold")
        if held:
            rows.append(
                [
                    "",
                    f"engine fold {HELD_OUT_FOLD}",
                    _pct(held["hit@1"]),
                    _pct(held["hit@5"]),
                    f"{held['mrr@10']:.3f}",
                    _pct(held["fact"]),
                    f"{held['false_answers']}/{held['unanswerable']}",
                    f"{held['false_abstentions']}/{held['answerable']}",
                    str(held["median_chars"]),
                ]
            )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    print(
        "hit/fact in %; chars: median length of the answers given; * held out: heldout "
        "never used to choose a constant, the new sets "
        f"only through fold 1; tuning sets: {report['tuning_set']}; the 'engine fold "
        f"{HELD_OUT_FOLD}' rows are the held-out figures of the new sets"
    )
    for item in report["sets"]:
        engine = item["systems"][0]
        line = (
            f"{item['set']}: {engine['answerable']} answerable + {engine['unanswerable']} "
            f"unanswerable questions, {item['chunks']} engine chunks "
            f"(ingest {item['ingest_seconds']} s), "
            f"{item['baseline_chunks']} baseline chunks, {item['seconds']} s"
        )
        print(line + (f"; {item['note']}" if item["note"] else ""))
        if verbose:
            for system, misses in item["misses"].items():
                shown = {k: v for k, v in misses.items() if v}
                if shown:
                    print(f"  {system}: {shown}")
    for note in report["notes"]:
        print(note)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", dest="sets", action="append", choices=SET_NAMES)
    parser.add_argument("--fold", type=int, choices=(1, 2), help="only this fold's questions")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--verbose", action="store_true", help="list the missed question ids")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    report = run(args.sets or SET_NAMES, args.fold)
    report["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report, args.verbose)
        print(f"({report['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
