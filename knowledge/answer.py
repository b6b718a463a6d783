"""Writing the answer from retrieved passages: extractive by default, or a chat model.

Both writers return ``(text, used_hits)`` where ``text`` carries ``[n]`` markers that
index (1-based) into ``used_hits``, so the service builds the same :class:`Answer`
whichever wrote it. The extractive writer needs no model: it picks the few sentences
of the top passages that share the most rare-word weight with the question. The LLM
writer is told to use only the numbered passages, cite them, and say when they do not
answer; its citations are renumbered to the passages it actually cited.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from knowledge.documents import split_sentences
from knowledge.index import IndexState, tokenize
from knowledge.retrieve import Hit

log = logging.getLogger(__name__)

ABSTAIN_TEXT = (
    "I could not find this in the knowledge base, so I will not guess. "
    "Try the AI spine team's channel, or ask the owner of the playbook closest to your "
    "question; if it should be covered, say so there and the spine team can add it."
)
IDK_TEXT = "I don't know based on the knowledge base."

MAX_SENTENCES = 3
MAX_ANSWER_CHARS = 700
PASSAGES_FOR_EXTRACT = 3

SYSTEM_PROMPT = (
    "You answer questions from staff about the company's AI spine, its use cases and the "
    "research behind it. Use ONLY the numbered passages you are given; never add facts "
    "from elsewhere. After each sentence, cite the passages it relies on with their "
    "numbers in square brackets, e.g. [1] or [2][3]. If the passages do not answer the "
    f'question, reply exactly: "{IDK_TEXT}" Answer in at most 120 words, plainly.'
)

_CITATION = re.compile(r"\[(\d{1,2})\]")
_IDK = re.compile(r"\b(don't|do not|cannot|can't) (know|find|answer)\b|\bnot (covered|in the)\b")


def _sentence_score(
    sentence: str, query_tokens: set[str], state: IndexState, total_idf: float
) -> float:
    tokens = set(tokenize(sentence))
    if not tokens or not total_idf or len(sentence.split()) < 4:
        return 0.0  # fragments such as "Level 2." answer nothing
    overlap = sum(state.idf(t) for t in query_tokens if t in tokens) / total_idf
    length = len(sentence)
    if sentence.rstrip().endswith(":"):
        overlap *= 0.3  # an introduction to a list says little by itself
    if length < 40:
        overlap *= 0.5  # fragments and headings make poor answers
    elif length > 400:
        overlap *= 0.8
    return overlap


def _is_item(line: str) -> bool:
    return len(line.split()) <= 8 and not line.rstrip().endswith((".", "?", "!"))


def _units(text: str, section: str) -> list[tuple[str, str]]:
    """(text to quote, text to score) per sentence; a run of short list-like lines is
    one unit, scored together with its section heading ("New skills and roles")."""
    units: list[tuple[str, str]] = []
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and _is_item(lines[j]):
            j += 1
        if j - i >= 2:
            run = [line.lstrip("-•* ").strip().rstrip(";,.") for line in lines[i:j]]
            lead = section.split(" > ")[-1]
            if run[0].endswith(":"):
                lead, run = run[0].rstrip(":"), run[1:]
            elif i > 0 and lines[i - 1].endswith(":"):
                lead = lines[i - 1].rstrip(":")
            items = "; ".join(item for item in run if item)
            units.append((f"{lead}: {items}." if lead else f"{items}.", f"{section} {items}"))
            i = j
            continue
        units.extend((sentence, sentence) for sentence in split_sentences(lines[i]))
        i += 1
    return units


def extractive_answer(
    question: str, hits: Sequence[Hit], state: IndexState
) -> tuple[str, list[Hit]]:
    """The best few sentences of the top passages, in passage order, each cited."""
    top = list(hits[:PASSAGES_FOR_EXTRACT])
    query_tokens = set(tokenize(question))
    total_idf = sum(state.idf(t) for t in query_tokens)
    candidates: list[tuple[float, int, int, str]] = []  # (score, hit rank, position, text)
    for rank, hit in enumerate(top):
        prior = 0.15 * hit.score + 0.05 * (len(top) - rank)
        for position, (sentence, scored_as) in enumerate(_units(hit.chunk.text, hit.chunk.section)):
            score = _sentence_score(scored_as, query_tokens, state, total_idf)
            if score > 0:
                candidates.append((score + prior, rank, position, sentence))
    candidates.sort(key=lambda c: -c[0])
    chosen: list[tuple[int, int, str]] = []
    chosen_tokens: list[set[str]] = []
    size = 0
    for score, rank, position, sentence in candidates:
        if len(chosen) >= MAX_SENTENCES or (chosen and score < candidates[0][0] * 0.5):
            break
        if chosen and size + len(sentence) > MAX_ANSWER_CHARS:
            continue
        tokens = set(tokenize(sentence))
        if any(
            len(tokens & other) >= 0.6 * min(len(tokens), len(other)) for other in chosen_tokens
        ):
            continue  # the same fact again (a seed and the note summarising it)
        chosen.append((rank, position, sentence))
        chosen_tokens.append(tokens)
        size += len(sentence)
    if not chosen and top:
        first = split_sentences(top[0].chunk.text.replace("\n", " "))[:2]
        chosen = [(0, i, s) for i, s in enumerate(first)]
    chosen.sort()
    used_ranks = sorted({rank for rank, _, _ in chosen})
    number = {rank: n for n, rank in enumerate(used_ranks, start=1)}
    parts = [f"{_trim(sentence)} [{number[rank]}]" for rank, _, sentence in chosen]
    return " ".join(parts), [top[rank] for rank in used_ranks]


def _trim(sentence: str, limit: int = 450) -> str:
    sentence = sentence.strip().lstrip("-•* ").strip()
    if len(sentence) <= limit:
        return sentence
    cut = sentence.rfind(" ", 0, limit)
    return sentence[: cut if cut > 0 else limit] + "…"


def build_messages(question: str, hits: Sequence[Hit], history: Sequence[str] = ()) -> list[Any]:
    """System instructions plus one message with the numbered passages and the question."""
    from langchain_core.messages import HumanMessage, SystemMessage

    lines = ["Passages:"]
    for n, hit in enumerate(hits, start=1):
        where = " > ".join(part for part in (hit.chunk.title, hit.chunk.section) if part)
        if hit.chunk.page:
            where += f" (page {hit.chunk.page})"
        lines.append(f"[{n}] {where}\n{hit.chunk.text}\n")
    if history:
        lines.append("Earlier messages in this thread (context only, not sources):")
        lines.extend(f"- {message[:300]}" for message in history[-4:])
        lines.append("")
    lines.append(f"Question: {question}")
    return [SystemMessage(SYSTEM_PROMPT), HumanMessage("\n".join(lines))]


def llm_answer(
    question: str, hits: Sequence[Hit], chat_model: Any, history: Sequence[str] = ()
) -> tuple[str, list[Hit], bool]:
    """(text, cited hits, abstained) from a langchain chat model."""
    reply = chat_model.invoke(build_messages(question, hits, history))
    return cite_reply(reply_text(reply), hits)


def reply_text(reply: Any) -> str:
    """The text of a chat model's reply (or of one streamed chunk of it)."""
    content = reply.content if hasattr(reply, "content") else reply
    if isinstance(content, list):  # content blocks
        content = "".join(
            part.get("text", "") if isinstance(part, dict) else str(part) for part in content
        )
    return str(content)


def cite_reply(reply: str, hits: Sequence[Hit]) -> tuple[str, list[Hit], bool]:
    """(text, cited hits, abstained) for a model's whole reply: citations renumbered
    to the passages it actually cited."""
    text = reply.strip()
    cited = [int(n) for n in _CITATION.findall(text) if 1 <= int(n) <= len(hits)]
    if not cited:
        if not text or _IDK.search(text.lower()):
            return text, [], True
        return text, list(hits[:1]), False  # answered without markers: show what it read
    order: list[int] = []
    for n in cited:
        if n not in order:
            order.append(n)
    order.sort()
    renumber = {old: new for new, old in enumerate(order, start=1)}

    def replace(match: re.Match[str]) -> str:
        old = int(match.group(1))
        return f"[{renumber[old]}]" if old in renumber else ""

    return _CITATION.sub(replace, text), [hits[n - 1] for n in order], False


__all__ = [
    "ABSTAIN_TEXT",
    "IDK_TEXT",
    "SYSTEM_PROMPT",
    "build_messages",
    "cite_reply",
    "extractive_answer",
    "llm_answer",
]
