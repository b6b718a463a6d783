"""Writing the answer from retrieved passages: extractive by default, or a chat model.

Both writers return ``(text, used_hits)`` where ``text`` carries ``[n]`` markers that
index (1-based) into ``used_hits``, so the service builds the same :class:`Answer`
whichever wrote it. The extractive writer needs no LLM: it picks the few sentences (or
the one list) of the top passages closest in meaning to the question, preferring the
kind of fact asked for, and never a sentence about the document itself. Before either
writes, :func:`supported` checks that some passage holds the kind of fact a typed
question wants (a phone number, a name, a place, a figure for a named period); if none
does, the service says the knowledge base does not say and lists related reading. The LLM
writer is told to use only the numbered passages, cite them, and say when they do not
answer; its citations are renumbered to the passages it actually cited.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from knowledge.documents import chunk_id, split_sentences
from knowledge.focus import (
    LIMIT_PHRASES,
    MANNER_Q,
    MONTH_PATTERN,
    MONTHS,
    ROLE_WORD,
    WEEKDAYS,
    WHEN_Q,
    Focus,
    _wordset,
    focus_of,
)
from knowledge.index import STOPWORDS, IndexState, tokenize
from knowledge.passages import Unit, cached_units, clean, is_meta, units
from knowledge.quantities import count_of
from knowledge.retrieve import EXPANSION_WEIGHT, NAME_DF, NAME_IN_Q, Hit, expand, unit_tokens

log = logging.getLogger(__name__)

ABSTAIN_TEXT = (
    "I could not find this in the knowledge base, so I will not guess. "
    "Try the AI spine team's channel, or ask the owner of the playbook closest to your "
    "question; if it should be covered, say so there and the spine team can add it."
)
IDK_TEXT = "I don't know based on the knowledge base."
NOT_SAID_TEXT = (
    "The knowledge base does not say. The passages closest to your question are listed "
    "below as related reading; if this should be covered, tell the AI spine team."
)

MAX_SENTENCES = 3
SCORE_MARGIN = 0.25  # a unit scoring this much below the best is not quoted
NEIGHBOUR_MARGIN = 0.35  # ... unless it is the sentence after the best, within this much
# ... or within this much when that sentence goes on about what the best one named ("It
# has been used in ...", "They typically oversee ...", "This includes ...")
ANAPHOR_MARGIN = 0.6
_ANAPHOR = re.compile(r"(?:It|They|This|These|Those|Such|Its|Their)\b")
SECOND_MARGIN = 0.3  # ... or the best of a second passage, when all else is from one
MAX_ANSWER_CHARS = 700
ITEM_CHARS = 400  # a list item is quoted up to this long (a nested list is one item)
QUOTE_UNITS = 4  # a quotation is finished within this many sentences
ENUMERATION_CANDIDATES = 6  # a prose list near one of the best units answers a list question
TELLING_CANDIDATES = 5  # a sentence this near the top with just the fact asked for is quoted
PASSAGES_FOR_EXTRACT = 3
LEAD_MARGIN = 0.2  # a quoted unit of the first passage this near the best one comes first
PASSAGES_FOR_LIST = 5  # a list is often in its own section, a little further down

SYSTEM_PROMPT = (
    "You answer questions from staff about the company's AI spine, its use cases and the "
    "research behind it. Use ONLY the numbered passages you are given; never add facts "
    "from elsewhere. After each sentence, cite the passages it relies on with their "
    "numbers in square brackets, e.g. [1] or [2][3]. If the passages do not answer the "
    f'question, reply exactly: "{IDK_TEXT}" Answer in at most 120 words, plainly.'
)

_CITATION = re.compile(r"\[(\d{1,2})\]")
_IDK = re.compile(r"\b(don't|do not|cannot|can't) (know|find|answer)\b|\bnot (covered|in the)\b")


# --- what the question asks for -------------------------------------------------------

_NUMBER_WORDS = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "fifteen",
    "twenty",
    "thirty",
    "hundred",
    "thousand",
    "million",
    "billion",
    "dozen",
    "half",
    "third",
    "quarter",
    "percent",
]
_HAS_NUMBER = re.compile(r"\d|\b(?:" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
_HAS_DATE = re.compile(
    r"\b(?:\d{4}|\d{1,2}:\d{2}|\d{4}-W\d{2}|q[1-4]|"
    + "|".join((MONTH_PATTERN, *WEEKDAYS))
    + r"|daily|weekly|monthly|quarterly|yearly|every|each|after|before|within|once|until)\b",
    re.IGNORECASE,
)
_HAS_PHONE = re.compile(r"(?:\+|\b)\d[\d ().-]{6,}\d\b")
_HAS_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b")
# a postal address: "Jungfernstieg 7", "12 Harbour Road", "20354 Hamburg", "114 51 Stockholm"
_HAS_ADDRESS = re.compile(
    r"\b[A-Z][\w-]*(?:stra(?:ss|ß)e|gatan|vägen|gasse|weg|platz|allee|torget|stieg)\s+\d{1,4}\b"
    r"|\b\d{1,4}[a-z]?,?\s+(?:[A-Z][\w'-]*\s+){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Way|"
    r"Square|Place|Boulevard|Drive)\b|\b[A-Z][\w'-]*\s+(?:Street|Road|Avenue|Lane)\s+\d{1,4}\b"
    r"|\b\d{5}\s+[A-Z][a-zäöüå]+\b|\b\d{3}\s\d{2}\s+[A-Z][a-zäöüå]+\b"
)
_PROPER_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:van|de|von|der)?\s*[A-Z][a-z]+)+\b")
_PLACE = re.compile(
    r"\b(?:in|at|from)\s+(?:the\s+)?[A-Z][a-z]+|\b(?:floor|building|street|road|avenue|"
    r"campus|city|headquarters|hq)\b",
)

# A question that names a period or a year wants a figure for exactly that period.
_PERIOD = re.compile(
    r"\b(?:\d{4}|q[1-4]|last (?:week|month|quarter|year)|this (?:week|month|quarter|year)|"
    + "|".join(m for m in MONTHS if len(m) > 3)
    + r")\b",
    re.IGNORECASE,
)

# A figure is of the year written nearest to it: in "the 2027 edition is the second; the
# first, in 2026, had 47 teams" the 47 teams are 2026's, not 2027's.
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_FIGURE = re.compile(
    r"(?<![\w.,])\d[\d,.]*(?![\w])|\b(?:" + "|".join(_NUMBER_WORDS[:15]) + r")\b",
    re.IGNORECASE,
)
YEAR_KINDS = frozenset({"count", "money", "percent"})


def _figure_of_year(text: str, years: set[str]) -> bool:
    """Whether ``text`` holds a figure whose nearest written year is one of ``years``
    (True when it holds no figure besides years, or no year at all)."""
    found = [(m.start(), m.group(0)) for m in _YEAR.finditer(text)]
    if not found:
        return True
    figures = [m.start() for m in _FIGURE.finditer(text) if not _YEAR.fullmatch(m.group(0))]
    if not figures:
        return True
    return any(min(found, key=lambda y: abs(y[0] - at))[1] in years for at in figures)


# the plural a which/what question asks about: "Which cultural *shifts* does ...?"
_PLURAL_Q = re.compile(
    r"^\s*(?:which|what) (?:[\w-]+ ){0,2}([\w-]+[^siu\W]s) (?:do|does|did|are|were|must|"
    r"should|can|may|will|would)\b",
    re.IGNORECASE,
)
_LIST_Q = re.compile(
    r"^\s*(?:what|which|list|name)\b.*?\b(?:are|were)\b|\b(?:what|which) (?:\w+ ){0,2}"
    r"(?:metrics|phases|steps|stages|rules|criteria|roles|levels|labels|types|kinds|items|"
    r"options|ways|components|practices|trends|skills)\b|\b(?:two|three|four|five|six|seven|"
    r"eight|nine|ten|\d+) (?:\w+ )?(?:metrics|phases|steps|stages|rules|levels|roles|"
    r"practices|components|labels|things|parts)\b|^\s*list\b"
    # "what do I need before I can apply": the conditions, often a list of them
    r"|^\s*what (?:do|does|must|should|would) (?:[\w'’-]+ ){1,3}(?:need|meet|fulfil|satisfy)\b"
    r"(?! to\b)|" + _PLURAL_Q.pattern,
    re.IGNORECASE,
)
# "What rating are the clinics aiming for?": one thing asked about many, not a list
_SINGULAR_Q = re.compile(
    r"^\s*(?:what|which) (?!(?:criteria|people|data|media|staff|personnel)\b)"
    r"([\w-]+[^s\W]) (?:are|were)\b(?! the (?:two|three|four|five|six|seven|eight|nine|ten)\b)",
    re.IGNORECASE,
)
_COUNT_Q = re.compile(
    r"\bhow (?:many|much|long|often|big|large|fast|high|low|soon)\b|\bwhat (?:percentage|"
    r"share|proportion|number|amount|figure|threshold|rate|default|percent|price|cost)\b|"
    r"\bby (?:how much|what)\b",
    re.IGNORECASE,
)
_PHONE_Q = re.compile(
    r"\b(?:phone|telephone|mobile|cell) (?:number|no)\b|\bnumber to call\b"
    r"|\bcall\b.*\bnumber\b",
    re.IGNORECASE,
)
_EMAIL_Q = re.compile(r"\be-?mail address\b", re.IGNORECASE)
_ADDRESS_Q = re.compile(
    r"(?<!e-mail )(?<!email )(?<!ip )(?<!web )(?<!mac )\b(?:street |postal |post |mailing |"
    r"visiting |delivery |physical )?address\b(?! book)",
    re.IGNORECASE,
)
_PLACE_Q = re.compile(
    r"\bwhere (?:is|are)\b.*\b(?:located|based|sit|sits|seated|housed)\b|\bwhich "
    r"(?:office|city|country|building|floor|site|location|room)\b|\bwhat (?:address|"
    r"location)\b|\bin which (?:office|city|country|building)\b"
    # where an event is held: a venue, not a system ("where is the supplier day held")
    r"|\bwhere (?:is|are|was|were|will)\b[^?]*\b(?:held|hosted)\b"
    r"|\bwhere (?:does|do|did|will)\b[^?]*\btake place\b",
    re.IGNORECASE,
)


_WHO_Q = re.compile(r"^\s*(?:who|whom)\b|\bwhich (?:person|people|team|role)\b", re.I)
_ROLE = re.compile(
    r"\b(?:owner|admin|admins|team|lead|manager|management|staff|engineer|officer|board|"
    r"committee|sponsor|unit|department)\b|\b[A-Z][a-z]+ [A-Z][a-z]+\b"
)


_LIST_NOUN = re.compile(
    r"\b(metrics|measures|phases|steps|stages|rules|criteria|roles|levels|labels|types|kinds|"
    r"items|options|ways|components|practices|trends|skills|benefits|limitations|risks|"
    r"challenges|requirements|conditions|tiers|gates|principles|lessons|categories|factors|"
    r"duties|responsibilities|tasks|activities|obligations|features|parts|elements|"
    r"advantages|pillars|dimensions|areas|levers|functions)\b",
    re.IGNORECASE,
)


def answer_type(question: str) -> str | None:
    """What kind of fact the question wants: phone, email, person, place, date, number,
    list, or None (an explanation, a rule, a definition)."""
    if _PHONE_Q.search(question):
        return "phone"
    if _EMAIL_Q.search(question):
        return "email"
    if _ADDRESS_Q.search(question):
        return "address"
    focus = focus_of(question)
    if focus is not None and focus.kind == "person":
        return "person"
    if _PLACE_Q.search(question) and not MANNER_Q.match(question):
        return "place"
    if _COUNT_Q.search(question):
        return "number"
    if WHEN_Q.search(question) or focus is not None and focus.kind == "year":
        return "date"
    if _LIST_Q.search(question) and not _SINGULAR_Q.match(question):
        return "list"
    return None


def has_entity(kind: str | None, text: str, question: str = "") -> bool:
    """True when ``text`` holds a fact of the kind asked for (a list answers anything)."""
    if kind in (None, "list"):
        return True
    if kind == "phone":
        return bool(_HAS_PHONE.search(text))
    if kind == "email":
        return bool(_HAS_EMAIL.search(text))
    if kind == "address":
        return bool(_HAS_ADDRESS.search(text))
    if kind == "number":
        return bool(_HAS_NUMBER.search(text))
    if kind == "date":
        return bool(_HAS_DATE.search(text) or _HAS_NUMBER.search(text))
    asked = set(question.lower().split())
    if kind == "person":
        names = [m.group(0) for m in _PROPER_NAME.finditer(text)]
        return any(not set(name.lower().split()) <= asked for name in names)
    if kind == "place":
        return bool(_PLACE.search(text))
    return True


_STRICT = ("phone", "email", "address", "person", "place")  # no passage of this kind: abstain

# Words that name the kind of fact, not its subject: a sentence giving a phone number
# rarely says "phone number", so they do not count when judging what it is about.
TYPE_WORDS = (
    "phone telephone mobile cell number numbers email mail address street postal name named "
    "called locate located location based office city country building floor site room where "
    "much many often long"
)


@lru_cache(maxsize=1)
def _type_words() -> frozenset[str]:
    return frozenset(tokenize(TYPE_WORDS))


# --- units ---------------------------------------------------------------------------


@dataclass
class _Candidate:
    score: float
    rank: int  # hit rank
    position: int  # unit position in the chunk
    unit: Unit
    lexical: float
    semantic: float
    whole_list: Unit | None = None  # for a list item: its whole list
    limit: int = 450  # characters quoted before "…"


def _lexical(text: str, query_tokens: set[str], state: IndexState, total_idf: float) -> float:
    tokens = unit_tokens(text)  # cached: retrieval tokenized the same units
    if not tokens or not total_idf:
        return 0.0
    return sum(state.idf(t) for t in query_tokens if t in tokens) / total_idf


# Weights of a unit's score (chosen on the dev sets: bench/eval/questions.jsonl and
# bench/eval/dev_extra.jsonl): meaning first, shared rare words second.
W_SEMANTIC = 1.0
W_LEXICAL = 0.6
TYPE_BONUS = 0.15
TARGET_BONUS = 0.3  # a unit holding the kind of fact asked for (a number, a date, a list)
FOCUS_BONUS = 0.2  # a unit holding exactly the fact asked for (knowledge.focus)
# per retrieval rank: the best passage is preferred on a near tie. 0.1 since the ranking
# has late interaction (knowledge.retrieve): its first passage is more often the one
# (fold 1 + dev: +9 answers citing it first, no fact or abstention lost; 0.14 lost facts).
# Leaving it out of the margins below gave +2 facts for answers 5-20 % longer: not taken.
RANK_PRIOR = 0.1
SUPPORT_SEMANTIC = 0.45  # a typed question needs a unit this close ...
SUPPORT_LEXICAL = 0.5  # ... or sharing this much of its rare-word weight
COUNTED_SEMANTIC = 0.3  # the same, for a unit holding a telling fact (Focus.telling)
COUNTED_LEXICAL = 0.3


# "What does the queue captain do?": the sentences in which the captain does something
# ("The captain assigns new tickets ..."), not those saying who is captain
_DOES_Q = re.compile(
    r"^\s*what (?:does|do|did|will|would|should|must) (?:the |a |an |our |your )?"
    r"(?:[\w'’-]+ ){0,4}?(?P<head>[\w-]+?)(?:['’]s?)? (?:do|does)\b(?! with)",
    re.IGNORECASE,
)
_NOT_DOING = frozenset(
    [
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "has",
        "have",
        "had",
        "can",
        "may",
        "must",
        "should",
        "will",
        "would",
        "could",
        "do",
        "does",
        "did",
        "who",
        "which",
        "that",
    ]
)


def _acts(text: str, head: str) -> bool:
    """Whether ``head`` (or its plural) is followed by a verb of what it does."""
    stem = head[:-1] if head.endswith("s") and len(head) > 4 else head
    pattern = rf"\b{re.escape(stem)}(s?)\s+(?:\w+ly\s+)?([a-z]+)\b"
    for m in re.finditer(pattern, text, re.IGNORECASE):
        plural, verb = m.group(1), m.group(2).lower()
        if verb in _NOT_DOING or verb in _NUMBER_WORDS:
            continue
        if plural or verb.endswith("s"):  # "champions run", "the captain assigns"
            return True
    return False


# "Why does reliability matter to ADP?": the sentence giving the reason ("because ...")
_WHY_Q = re.compile(r"^\s*(?:and\s+)?why\b|\bwhat is the reason\b|\bfor what reason\b", re.I)
_BECAUSE = re.compile(
    r"\b(?:because|since|so that|in order to|so as to|to avoid|to prevent|as a result|due to|"
    r"owing to|otherwise|that is why|the reason|thanks to)\b",
    re.IGNORECASE,
)

_EXAMPLES_Q = re.compile(r"\b(?:examples?|instances?)\b|\bsuch as\b", re.IGNORECASE)
_EXAMPLES = re.compile(
    r"\be\.\s?g\.|\bsuch as\b|\bfor (?:example|instance)\b|\bincluding\b|\bexamples? "
    r"(?:are|is|include)\b",
    re.IGNORECASE,
)


# a question about a limit ("the longest", "at most how many") and a sentence stating one
_LIMIT_Q = re.compile(
    r"\b(?:longest|shortest|maximum|minimum|at most|at least|at the most|upper limit|"
    r"lower limit|most|fewest|largest|smallest)\b",
    re.IGNORECASE,
)
_LIMIT = re.compile(
    rf"\b(?:{LIMIT_PHRASES}|maximum|minimum|not exceed|longest|shortest)\b",
    re.IGNORECASE,
)


def _asked_nouns(question: str) -> set[str]:
    """Stems of what a list question asks for: "which *metrics*", "what cultural *shifts*"."""
    asked = _LIST_NOUN.findall(question) + [m.group(1) for m in _PLURAL_Q.finditer(question)]
    return set(tokenize(" ".join(asked)))


def _names_asked(question: str, text: str) -> bool:
    """Whether ``text`` names what a list question asks for, as a word ("three key
    *practices*"), not only as a stem ("generators" and "generative" share one)."""
    asked = _LIST_NOUN.findall(question) + [m.group(1) for m in _PLURAL_Q.finditer(question)]
    words = {w.lower() for w in re.findall(r"[\w-]+", text)}
    for noun in (a.lower() for a in asked):
        forms = {noun, noun[:-1], noun[:-2] if noun.endswith("es") else noun}
        if forms & words or {f + "s" for f in forms} & words:
            return True
    return False


_FIGURE_TOKEN = re.compile(r"[^\W_]+(?:[.,]\d+)*")  # "3,000", "2.5", "S1" (a name)
_CURRENCY = frozenset({"eur", "euro", "euros", "usd", "gbp", "sek", "nok", "dkk", "chf"})


def _figure_line(text: str) -> str:
    """Words and figures of ``text``, lower case, thousands separators dropped."""
    tokens = [t.replace(",", "") for t in _FIGURE_TOKEN.findall(text.lower())]
    return " " + " ".join(tokens) + " "


def _figure_phrases(question: str) -> list[str]:
    """Each figure of the question with the word that says what it bounds or counts
    ("above eur 3000", "within 5"), a currency skipped: a sentence that says the same
    ("above EUR 3,000") is about the same case, one that says "up to EUR 3,000" is not."""
    tokens = _figure_line(question).split()
    out = []
    for i, token in enumerate(tokens):
        if not token.replace(".", "").isdigit() or len(token) == 4 and token[:2] in ("19", "20"):
            continue  # a year dates the question, it bounds nothing
        j = i - 1
        while j >= 0 and tokens[j] in _CURRENCY:
            j -= 1
        if j >= 0:
            out.append(" " + " ".join(tokens[j : i + 1]) + " ")
    return out


def _unit_candidates(
    question: str,
    hits: Sequence[Hit],
    state: IndexState,
    vector: np.ndarray | None,
    embed: Callable[[list[str]], np.ndarray] | None,
    kind: str | None,
    ignore: frozenset[str] = frozenset(),
    focus: Focus | None = None,
) -> list[_Candidate]:
    query_tokens = set(tokenize(question)) - ignore
    total_idf = sum(state.idf(t) for t in query_tokens)
    extra = set(expand(list(query_tokens), question))
    targets = _asked_nouns(question)
    targets |= set(expand(list(targets)))  # "criteria" -> a list of "rules"
    examples = bool(_EXAMPLES_Q.search(question))
    why = bool(_WHY_Q.search(question))
    doing = _DOES_Q.search(question)
    actor = doing.group("head").lower() if doing else None
    limit = bool(_LIMIT_Q.search(question))
    figures = _figure_phrases(question)
    out: list[_Candidate] = []
    for rank, hit in enumerate(hits):
        chunk = hit.chunk
        found = units(chunk.text, chunk.section)
        sims: np.ndarray | None = None
        if vector is not None and embed is not None and found:
            matrix = state.units_of(chunk, embed)
            if len(matrix) == len(found):
                sims = matrix @ vector
        for position, unit in enumerate(found):
            if is_meta(unit.text) or unit.is_question or len(unit.text.split()) < 4:
                continue  # about the document, a quoted question, a fragment ("Level 2.")
            lexical = _lexical(unit.scored, query_tokens, state, total_idf)
            if extra:
                lexical += EXPANSION_WEIGHT * _lexical(unit.scored, extra, state, total_idf)
            semantic = float(sims[position]) if sims is not None else lexical
            score = W_SEMANTIC * semantic + W_LEXICAL * lexical - RANK_PRIOR * rank
            if unit.text.rstrip().endswith(":"):
                continue  # an introduction to a list: the list unit quotes it with the list
            if len(unit.text) < 40:
                score -= 0.1
            if unit.items:
                score += TYPE_BONUS if kind == "list" else -TYPE_BONUS
                head = set(tokenize(" ".join(unit.scored.split(": ")[:2])))
                if kind == "list" and targets & head:
                    score += TARGET_BONUS  # "which metrics" -> the list headed "metrics"
            elif (
                kind in ("number", "date")
                and has_entity(kind, unit.text)
                or _WHO_Q.search(question)
                and _ROLE.search(unit.text)
            ):
                score += TYPE_BONUS
            if focus is not None and not unit.items and focus.satisfied(unit.text):
                score += FOCUS_BONUS
            if figures and any(f in _figure_line(unit.text) for f in figures):
                score += TYPE_BONUS  # "claims above EUR 3,000": "above EUR 3,000", not "up to"
            if examples and _EXAMPLES.search(unit.text):
                score += TYPE_BONUS  # "which models does it give as examples": "e.g., LLaMA"
            if limit and _LIMIT.search(unit.text):
                score += TYPE_BONUS  # "what is the longest ...": "for at most 90 days"
            if why and not unit.items and _BECAUSE.search(unit.text):
                score += TYPE_BONUS  # "why does it matter": "because we're messing with ..."
            if actor and _acts(unit.text, actor):
                score += TYPE_BONUS  # "what does the captain do": "The captain assigns ..."
            whole = found[unit.parent] if unit.parent >= 0 else None
            out.append(_Candidate(score, rank, position, unit, lexical, semantic, whole))
    out.sort(key=lambda c: -c.score)
    return out


MONEY_SUBJECT = 0.35  # a money answer's passage holds this much of the subject's weight
# a name or a count of something: the passage holds this much of the subject's weight
# (only the words the corpus uses count, so the bar is lower than MONEY_SUBJECT)
SUBJECT_KINDS = frozenset({"named", "count"})
SUBJECT_MIN = 0.25


# a two-word term of a typed question ("brand council") that one of the first
# COMPOUND_HITS passages uses must be in the passage of the sentence that answers it
COMPOUND_HITS = 8
COMPOUND_KINDS = frozenset({"named", "count", "role", "person", "money"})


def _words(text: str) -> list[str]:
    """Lower-case words, a possessive's "'s" dropped ("the oven board's ethicist")."""
    return [re.sub(r"['’]s$", "", w) for w in re.findall(r"[\w'’-]+", text.lower())]


def _pairs(text: str) -> list[tuple[str, str]]:
    """Adjacent word pairs that may be a term; a possessive and its noun are none ("the
    group's reinsurance protection": no "group reinsurance")."""
    raw = re.findall(r"[\w'’-]+", text.lower())
    words = _words(text)
    return [
        (a, b)
        for a, b, first in zip(words, words[1:], raw, strict=False)
        if a not in STOPWORDS
        and b not in STOPWORDS
        and len(a) > 2
        and len(b) > 2
        and not re.search(r"['’]s$", first)
    ]


@lru_cache(maxsize=4096)
def _word_line(text: str) -> str:
    return " " + " ".join(_words(text)) + " "


def _has_compound(text: str, term: tuple[str, str]) -> bool:
    return f" {term[0]} {term[1]} " in _word_line(text)


# the bodies people sit on: a count of the members of one is no count of another's
_BODY = re.compile(
    r"\b(committee|board|panel|council|forum|circle|jury|commission|working group)s?\b",
    re.IGNORECASE,
)


def _other_body(question: str, text: str) -> bool:
    """Whether ``text`` names only bodies other than the ones the question asks about."""
    asked = {m.lower() for m in _BODY.findall(question)}
    named = {m.lower() for m in _BODY.findall(text)}
    return bool(asked and named and not asked & named)


def _compounds(question: str, hits: Sequence[Hit], focus: Focus) -> list[tuple[str, str]]:
    """Two-word terms of the question ("brand council") that some retrieved passage
    uses as a term: a passage without the term is about something else. Words for the
    kind of fact asked ("cost", "how many") make no term."""
    asked = _type_words() | focus.nouns
    return [
        term
        for term in dict.fromkeys(_pairs(question))
        if not (set(tokenize(" ".join(term))) & asked)
        and not {"much", "many"} & set(term)
        and any(_has_compound(hit.chunk.embed_text(), term) for hit in hits)
    ]


def _coverage(tokens: set[str], found: frozenset[str], state: IndexState) -> float:
    total = sum(state.idf(t) for t in tokens)
    return sum(state.idf(t) for t in tokens if t in found) / total if total else 1.0


ENTITY_DF = 0.2  # a name in more than this share of the chunks is the corpus's own


# whose something is asked about: "Gojek's", "Willem Pienaar", "Capital One"
_OWNER_Q = re.compile(
    r"(?<=\s)(?!(?:AI|ML|LLM|I)\b)(?:[A-Z][\w&-]*['’]s\b|[A-Z][\w&-]*(?:\s+[A-Z][\w&-]*)+)"
)


def _entities(question: str, state: IndexState) -> frozenset[str]:
    """The stems of the names a question asks about: someone's ("Gojek's") or a name of
    several words ("Willem Pienaar"), leaving out names most passages carry (the
    company's own); a single word ("in Slack", "use ChatGPT") may be a mere setting."""
    found: set[str] = set()
    for name in _OWNER_Q.findall(question):
        if ROLE_WORD.match(re.sub(r"['’]s$", "", name)):
            continue  # "the CEO's voice": a post, not a name
        parts = {p for p in re.split(r"[-'’\s]", name.lower()) if len(p) > 1}
        found |= set(tokenize(name)) | set(tokenize(" ".join(parts)))
    limit = ENTITY_DF * len(state.chunks)
    return frozenset(t for t in found if state.df.get(t, 0) < limit)


# How sure retrieval must be before anything is quoted. A question mostly in words the
# knowledge base never uses ("What is on the canteen menu this Friday?") needs the full
# ``answer_min_score``; one in the knowledge base's own words is let through a little
# lower: a weakly retrieved paraphrase is still checked by ``supported`` and the focus
# rules, and "the knowledge base does not say" for a question it answers is the worst
# reply (fold 1 + dev: 6 false abstentions fewer, 1 more unanswerable answered).
UNKNOWN_WORDS_SHARE = 0.4
KNOWN_WORDS_RELIEF = 0.1


# the words a which/what question names what it wants with: "which GPU types (does ...)"
_WH_HEAD = re.compile(
    r"^\s*(?:which|what)\s+((?:[\w-]+\s+){1,3}?)(?:do|does|did|is|are|was|were|can|could|"
    r"may|must|should|will|would|has|have|had)\b",
    re.IGNORECASE,
)


def confidence_bar(question: str, state: IndexState, base: float) -> float:
    """The retrieval confidence ``question`` needs to be answered (``base``: the
    setting), lowered by ``KNOWN_WORDS_RELIEF`` unless at least ``UNKNOWN_WORDS_SHARE``
    of its distinct words, or any word naming what a which/what question wants, occur
    nowhere in the indexed text."""
    words = set(tokenize(question))
    if not words:
        return base
    unknown = sum(1 for t in words if not state.df.get(t))
    if unknown / len(words) >= UNKNOWN_WORDS_SHARE:
        return base
    asked = _WH_HEAD.search(question)
    if asked and any(not state.df.get(t) for t in tokenize(asked.group(1))):
        return base  # "which GPU types": what it wants named, the corpus never names
    return max(base - KNOWN_WORDS_RELIEF, 0.0)


def supported(
    question: str,
    hits: Sequence[Hit],
    state: IndexState,
    *,
    vector: np.ndarray | None = None,
    embed: Callable[[list[str]], np.ndarray] | None = None,
) -> bool:
    """Whether some passage holds what the question asks for.

    A question that wants a phone number, an e-mail address, a person's name or a place
    needs a sentence that holds one and is about the question; a question naming a
    period ("last quarter", "2025") needs a sentence that names it; any other question
    is left to the retrieval confidence (answered in other words is still answered)."""
    entities = _entities(question, state)
    if entities and not any(
        entities & unit_tokens(hit.chunk.embed_text()) for hit in hits[: PASSAGES_FOR_EXTRACT + 2]
    ):
        return False  # "what did Gojek's Willem Pienaar say": no passage near it names them
    kind = answer_type(question)
    periods = {m.group(0).lower() for m in _PERIOD.finditer(question)}
    years = set(_YEAR.findall(question))
    focus = focus_of(question)
    if kind not in _STRICT and not periods and focus is None:
        return True
    found = _unit_candidates(
        question, hits[: PASSAGES_FOR_EXTRACT + 2], state, vector, embed, kind, _type_words()
    )
    subject = set(tokenize(question)) - _type_words() - (focus.nouns if focus else frozenset())
    # a word the corpus never uses ("accompany") may be the question's own paraphrase
    known = {t for t in subject if state.df.get(t)}
    # a name wanted of someone or something the question names ("... at GSK"): the
    # passage has to be about that, not about another firm's holder of the post
    named = (
        frozenset(t for w in NAME_IN_Q.findall(question) for t in tokenize(w))
        if focus is not None and focus.kind in ("person", "named", "role")
        else frozenset()
    )
    settings = _settings(question, focus, state)
    terms = (
        _compounds(question, hits[:COMPOUND_HITS], focus)
        if focus is not None and focus.kind in COMPOUND_KINDS
        else []
    )
    for cand in found:
        about = cand.semantic >= SUPPORT_SEMANTIC or cand.lexical >= SUPPORT_LEXICAL
        if (
            focus is not None
            and focus.telling(cand.unit.text)
            and subject & set(unit_tokens(cand.unit.scored))
        ):
            # it holds just what was asked for, of something the question names: that is
            # most of being about the question ("100 people" at another firm is not)
            about = cand.semantic >= COUNTED_SEMANTIC or cand.lexical >= COUNTED_LEXICAL
        elif (
            focus is not None
            and focus.post
            and len(named & set(unit_tokens(cand.unit.scored))) >= 2
        ):
            # the post of someone the question names, in a sentence naming them
            about = cand.semantic >= COUNTED_SEMANTIC or cand.lexical >= COUNTED_LEXICAL
        elif (
            focus is not None
            and focus.kind in ("person", "role")
            and focus.nouns
            and any(
                _has_compound(cand.unit.scored, pair)
                for pair in _pairs(question)
                if focus.nouns & set(tokenize(" ".join(pair)))
            )
        ):
            # "who is the business owner of X": a sentence naming "the business owner" is
            # about the question in the very words that ask it
            about = cand.semantic >= COUNTED_SEMANTIC or cand.lexical >= COUNTED_LEXICAL
        if not about:
            continue
        if kind in _STRICT and not has_entity(kind, cand.unit.text, question):
            continue
        if periods and not _names_periods(periods, cand, hits):
            continue
        if (
            years
            and focus is not None
            and focus.kind in YEAR_KINDS
            and not _figure_of_year(cand.unit.text, years)
        ):
            continue  # "how many teams in 2027": the 47 teams of 2026 do not answer it
        if focus is not None and not focus.satisfied(cand.unit.text):
            continue
        if (
            focus is not None
            and focus.predicate
            and not focus.predicate & unit_tokens(cand.unit.scored)
        ):
            continue  # "how many entries showed a vacant owner": 212 entries, no owner
        if focus is not None and _names_only_house(focus, cand.unit.text, state.house_names):
            continue  # "which bank do brokers pay": "Lindqvist & Hale", the firm itself
        if (
            focus is not None
            and focus.kind == "person"
            and not any(
                name.split()[-1].lower() not in state.common_words
                for name in focus.person_names(cand.unit.text)
            )
        ):
            continue  # "Hale Insurance", "Spine Days": capitalised words, not a person
        if (
            focus is not None
            and focus.kind == "role"
            and focus.nouns
            and not focus.nouns & unit_tokens(cand.unit.scored)
        ):
            continue  # "who is the trainer": a sentence about the trainer, not another role
        if (
            focus is not None
            and focus.kind == "money"
            and _coverage(subject, unit_tokens(hits[cand.rank].chunk.embed_text()), state)
            < MONEY_SUBJECT
        ):
            continue  # "what does due diligence cost": a fee for a repeat exercise is not it
        if (
            focus is not None
            and focus.kind in SUBJECT_KINDS
            and _coverage(known, unit_tokens(hits[cand.rank].chunk.embed_text()), state)
            < SUBJECT_MIN
        ):
            continue  # "how many sit on the flour council": seven on the tasting panel
        if focus is not None and focus.kind == "count" and _other_body(question, cand.unit.text):
            continue  # "how many sit on the AI committee": the board's seven members
        if terms and not all(_has_compound(hits[cand.rank].chunk.embed_text(), t) for t in terms):
            continue  # "who chairs the brand council": the ethics board's chair is not it
        if named and not named & unit_tokens(hits[cand.rank].chunk.embed_text()):
            continue  # "the chief data officer at ADP" does not answer who it is at GSK
        if settings and not settings <= unit_tokens(hits[cand.rank].chunk.embed_text()):
            continue  # "the hotel cap for a trip to Stockholm": a cap for no city named
        return True
    return False


def _names_only_house(focus: Focus, text: str, house: frozenset[str]) -> bool:
    """Whether a name question's ``text`` names nothing but the organisation's own names."""
    if focus.kind != "named" or not house:
        return False
    names = focus.new_names(text)
    return bool(names) and all(n.lower() in house for n in names)


def _before(cand: _Candidate, hits: Sequence[Hit]) -> Unit | None:
    """The unit just before ``cand``'s in its passage (None for a passage's first)."""
    if cand.position <= 0 or cand.unit.parent >= 0:
        return None
    chunk = hits[cand.rank].chunk
    found = cached_units(chunk.text, chunk.section)  # split once, as retrieval did
    return found[cand.position - 1] if cand.position - 1 < len(found) else None


def _names_periods(periods: set[str], cand: _Candidate, hits: Sequence[Hit]) -> bool:
    """Whether the periods a question names ("its October test", "the March 2027
    rebuild") are named in the unit, in the sentence before it, or in its section's
    heading: "Every October ... reruns the test. It may be used only if it finds 98
    percent ..." answers what the October test must find."""
    text = cand.unit.text.lower()
    if all(p in text for p in periods):
        return True
    before = _before(cand, hits)
    section = hits[cand.rank].chunk.section or ""
    scope = " ".join([text, before.text if before else "", section]).lower()
    return all(p in scope for p in periods)


def _period_context(
    question: str, chosen: list[_Candidate], top: Sequence[Hit]
) -> list[_Candidate]:
    """The sentence before the best one, when only it names the period the question
    names: the answer says which October it is about."""
    periods = {m.group(0).lower() for m in _PERIOD.finditer(question)}
    if not periods or not chosen or chosen[0].unit.items:
        return []
    best = chosen[0]
    text = " ".join(c.unit.text for c in chosen).lower()
    if all(p in text for p in periods):
        return []
    before = _before(best, top)
    if before is None or any(
        c.rank == best.rank and c.position == best.position - 1 for c in chosen
    ):
        return []
    if not all(p in f"{text} {before.text.lower()}" for p in periods):
        return []
    return [_Candidate(best.score, best.rank, best.position - 1, before, 0.0, 0.0)]


# a place or party a figure is asked for: "a trip to Stockholm", "employees in Sweden"
_SETTING_Q = re.compile(r"\b(?:in|to|at|from|for|within) ((?!(?:AI|ML|LLM|I)\b)[A-Z][\w&-]+)")
SETTING_KINDS = frozenset({"money", "count", "duration", "percent", "frequency"})


def _settings(question: str, focus: Focus | None, state: IndexState) -> frozenset[str]:
    """The stems of the places or parties a figure is asked for, leaving out names most
    passages carry (the company's own)."""
    if focus is None or focus.kind not in SETTING_KINDS:
        return frozenset()
    found = {t for w in _SETTING_Q.findall(question) for t in tokenize(w)}
    limit = ENTITY_DF * len(state.chunks)
    return frozenset(t for t in found if 0 < state.df.get(t, 0) < limit)


# The focus kinds whose fact must be in the quoted answer: when the sentences quoted for
# "which vendor ...?" or "who runs ...?" name nobody, the name that made the question look
# answered sat in a sentence not worth quoting, and the answer says nothing the question
# asked (fold 1 + dev: 4 unanswerables fewer answered, 3 answers without the name become
# abstentions; for counts, amounts and dates the same check changed nothing). A duration
# too, since the fold-1 sets grew: "how many weeks did the first rollout last" is not
# answered by the hours it saved (seeds fold 1: one unanswerable fewer answered).
FOCUS_IN_ANSWER: frozenset[str] = frozenset({"named", "person", "role", "duration"})


# What a "which tool / model / vendor" question wants named is said to be one in the
# answer, in a word for its kind or in how the name is brought in: "runs on Lumen",
# "comes from Sonara", "kept in Sift". "Atlas works from the broker's file and maps licensed
# from GeoRisk Nordic" names no model Atlas runs on (fold 1 + dev: 6 unanswerables fewer
# answered, no answer lost).
NAMED_CLASSES: tuple[tuple[frozenset[str], str], ...] = (
    (_wordset("model models llm llms gpt"), r"on|uses?|using|with"),
    (
        _wordset(
            "tool tools product products software system systems platform platforms "
            "application applications app apps engine engines database databases service "
            "services assistant assistants bot bots tracker solution solutions suite"
        ),
        r"in|into|through|via|with|on|uses?|using",
    ),
    (
        _wordset(
            "provider providers vendor vendors supplier suppliers company companies firm "
            "firms partner partners manufacturer manufacturers consultancy consultancies "
            "agency agencies brand brands publisher publishers contractor contractors"
        ),
        r"from|by|with",
    ),
)


def _named_as_asked(question: str, focus: Focus, plain: str) -> bool:
    """Whether the answer ``plain`` says a name it gives is of the kind asked for."""
    wanted = [(words, links) for words, links in NAMED_CLASSES if focus.asked & words]
    if not wanted:
        return True
    # the question's own words ("the portfolio tracker") say nothing of the answer
    own = set(tokenize(question)) - set(tokenize(" ".join(sorted(focus.asked))))
    found = set(tokenize(plain)) - own
    names = {n for part in split_sentences(plain) for n in focus.new_names(part)}
    for words, links in wanted:
        if set(tokenize(" ".join(sorted(words)))) & found:
            return True
        brought = re.finditer(rf"\b(?:{links})\s+(?:the\s+|an?\s+)?([A-Z][\w&.-]*)", plain)
        if any(m.group(1) in names for m in brought):
            return True
    return False


# "What are the nine reason codes ...?": the members of a set of three or more that the
# question counts. An answer that only says the set exists ("one of the nine reason codes
# in the catalogue") names none of them: it needs list items or a series "A, B and C".
_COUNTED_LIST_Q = re.compile(
    r"^\s*(?:(?:what|which) (?:are|were)|(?:please )?(?:name|list)) (?:all )?(?:of )?the "
    r"(three|four|five|six|seven|eight|nine|ten|eleven|twelve|[3-9]|[1-9]\d) "
    r"(?!(?:of|largest|biggest|main)\b)",
    re.IGNORECASE,
)
_ITEM_LINE = re.compile(r"(?m)^\s*(?:[-*\u2022]|\d{1,2}[.)])\s+\S")
_SERIES = re.compile(r"[^,;:.]+(?:[,;] [^,;:.]+){2,}|[^,;:.]+[,;] [^,;:.]+,? (?:and|or) [^,;:.]+")


def names_members(question: str, text: str) -> bool:
    """Whether ``text`` lists things, as a question counting a set of them needs (True
    for any other question)."""
    if not _COUNTED_LIST_Q.search(question):
        return True
    if len(_ITEM_LINE.findall(text)) >= 2:
        return True
    return any(_SERIES.search(sentence) for sentence in split_sentences(text))


def answer_has_focus(question: str, text: str, house: frozenset[str] = frozenset()) -> bool:
    """Whether the extractive answer ``text`` names the period the question names and
    holds the kind of fact the question's focus asks for (True when the question has no
    such focus); ``house``: the organisation's own names (``IndexState.house_names``),
    which answer no "which bank"."""
    plain = re.sub(r"\s*\[\d+\]", " ", text)
    if not names_members(question, text):
        return False
    periods = {m.group(0).lower() for m in _PERIOD.finditer(question)}
    if not all(p in plain.lower() for p in periods):
        # "the footprint in 2026": the sentence that named 2026 was not worth quoting,
        # and 2027's budget says nothing of it
        return False
    focus = focus_of(question)
    if focus is None or not focus.selective or focus.kind not in FOCUS_IN_ANSWER:
        return True
    if not any(focus.satisfied(part) for part in [plain, *split_sentences(plain)]):
        return False
    if _names_only_house(focus, plain, house):
        return False  # "which bank do brokers pay": only the firm itself is named
    if focus.kind in ("person", "role") and not _holds_post(question, plain):
        return False  # "who is the annotation lead": the guideline owner is someone else
    # "which model does Atlas run on": a name, but not of a model
    return focus.kind != "named" or _named_as_asked(question, focus, plain)


def _holds_post(question: str, text: str) -> bool:
    """Whether ``text`` names the post the question asks about in its own words ("the
    quality lead"): True when the question names no post of two words."""
    posts = [pair for pair in _pairs(question) if ROLE_WORD.match(pair[1])]
    return not posts or any(_has_compound(text, pair) for pair in posts)


def extractive_answer(
    question: str,
    hits: Sequence[Hit],
    state: IndexState,
    *,
    vector: np.ndarray | None = None,
    embed: Callable[[list[str]], np.ndarray] | None = None,
) -> tuple[str, list[Hit]]:
    """The units of the top passages that say what was asked, each cited.

    Units are scored by meaning (MiniLM cosine to the question, from the unit vectors
    stored at ingest) and shared rare words; a unit holding the kind of fact asked for
    (a number for "how many", a list for "what are the five ...") is preferred; units
    about the document itself are never quoted. A list is quoted whole, as a list."""
    kind = answer_type(question)
    focus = focus_of(question)
    top = list(hits[: PASSAGES_FOR_LIST if kind == "list" else PASSAGES_FOR_EXTRACT])
    if focus is not None and not focus.selective:
        focus = None
    candidates = _unit_candidates(question, top, state, vector, embed, kind, focus=focus)
    candidates = _of_the_named(question, candidates, top, state)
    # "how often does it run, and who runs it": the focus is half of what is asked, so
    # the answer is not narrowed to the sentences holding that half's kind of fact
    single = len(question_parts(question)) == 1
    if (
        single
        and focus is not None
        and any(
            focus.satisfied(c.unit.text)
            if n == 0
            else focus.telling(c.unit.text) and not c.unit.items
            for n, c in enumerate(candidates[:TELLING_CANDIDATES])
        )
    ):
        # "How many interviews ...?" is answered by the sentences that count interviews,
        # also when a sentence merely about interviews scored higher
        candidates = [c for c in candidates if focus.satisfied(c.unit.text)]
    elif (
        single
        and kind in ("number", "date")
        and candidates
        and has_entity(kind, candidates[0].unit.text)
    ):
        # "How many ...?" is answered by the sentences with a figure, not around it.
        candidates = [c for c in candidates if has_entity(kind, c.unit.text)]
    later = bool(_AFTER_Q.search(question))
    chosen: list[_Candidate] = []
    chosen_tokens: list[set[str]] = []
    size = 0
    for cand in candidates:
        if len(chosen) >= MAX_SENTENCES:
            break
        if chosen and cand.score < candidates[0].score - SCORE_MARGIN:
            # the sentence right after the best one often finishes what it began
            # ("... more specific criteria." -> "It's key to be unconstrained by compute.");
            # an answer from one passage also quotes the best of a second, if near enough
            follows = cand.rank == chosen[0].rank and cand.position == chosen[0].position + 1
            second = {c.rank for c in chosen} == {chosen[0].rank} != {cand.rank}
            margin = NEIGHBOUR_MARGIN if follows else SECOND_MARGIN if second else SCORE_MARGIN
            if follows and _ANAPHOR.match(cand.unit.text):
                margin = max(margin, ANAPHOR_MARGIN)
            if (
                later
                and cand.rank == chosen[0].rank
                and 0 < cand.position - chosen[0].position <= 3
                and _SEQUEL.match(cand.unit.text)
            ):
                # "what did it introduce after the assistant worked?": the best sentence
                # tells of the assistant; what came after follows, "Following that, ..."
                margin = float("inf")
            if cand.score < candidates[0].score - margin:
                continue
        if chosen and chosen[0].unit.items:
            break  # a list answers by itself
        if chosen and cand.unit.items:
            continue
        if chosen and size + len(cand.unit.text) > MAX_ANSWER_CHARS:
            continue
        tokens = set(tokenize(cand.unit.text))
        if any(
            len(tokens & other)
            >= (0.6 if c.rank != cand.rank else 0.9) * min(len(tokens), len(other))
            for other, c in zip(chosen_tokens, chosen, strict=True)
        ):
            # the same fact again: a seed and the note summarising it, or a line a passage
            # repeats; two sentences of one passage that share words ("one team is called
            # ...", "a sister team is called ...") are two facts
            continue
        chosen.append(cand)
        chosen_tokens.append(tokens)
        size += len(cand.unit.text)
    chosen = _merge_items(chosen)
    if kind == "list" and chosen and chosen[0].whole_list is not None:
        # "Which shifts ...?" answered by one item of a list: the list answers it
        best = chosen[0]
        whole = best.whole_list
        assert whole is not None
        chosen = [_Candidate(best.score, best.rank, best.unit.parent, whole, 0, 0)]
    if kind == "list" and chosen and not chosen[0].unit.items:
        # a list written as prose, around one of the quoted sentences, answers it whole
        # around the best unit any prose list answers; around another one, only a list
        # whose announcing sentence names what is asked for
        near = [(chosen[0], False)] + [
            (c, True)
            for c in chosen[1:] + candidates[:ENUMERATION_CANDIDATES]
            if c is not chosen[0]
        ]
        steps = next(filter(None, (_enumerated(question, c, top, n) for c, n in near)), None)
        if steps is not None:
            chosen = [steps]
    chosen = _finish_quotes(chosen, top, state)
    chosen = _quote_speakers(chosen, top)
    if kind == "list" and chosen:
        chosen += _counted_run(question, chosen, candidates)
    chosen += _period_context(question, chosen, top)
    step = _ordinal_step(question, chosen, top)
    chosen = step + chosen if step and step[0].rank != chosen[0].rank else chosen + step
    if chosen and not chosen[0].unit.items:
        chosen += _second_part(question, chosen, top, state, embed)
    if not chosen and top:
        first = [
            s for s in split_sentences(top[0].chunk.text.replace("\n", " ")) if not is_meta(s)
        ][:2]
        chosen = [_Candidate(0, 0, i, Unit(s, s), 0, 0) for i, s in enumerate(first)]
    # The best unit first; two units of one passage keep their order in it.
    lead: dict[int, int] = {}
    for order, cand in enumerate(chosen):
        lead.setdefault(cand.rank, order)
    if 0 in lead and lead[0] > 0 and chosen[lead[0]].score >= chosen[0].score - LEAD_MARGIN:
        # the best passage's own sentence, nearly as good as the best, leads: retrieval
        # weighed the whole passage (fold 1 + dev: 9 more answers lead with the passage
        # that holds them, 1 fewer)
        lead = {rank: 0 if rank == 0 else order + 1 for rank, order in lead.items()}
    chosen.sort(key=lambda c: (lead[c.rank], c.position))
    used_ranks = list(dict.fromkeys(c.rank for c in chosen))
    number = {rank: n for n, rank in enumerate(used_ranks, start=1)}
    weights = {t: state.idf(t) for t in tokenize(question)}
    parts = []
    for cand in chosen:
        if cand.unit.items:
            parts.append(_as_list(cand.unit, number[cand.rank]))
        else:
            text = _trim(clean(cand.unit.text), cand.limit, weights)
            parts.append(f"{text} [{number[cand.rank]}]")
    return _join(parts), [top[rank] for rank in used_ranks]


RARE_NAME_SHARE = 0.03  # a capitalised question word in at most this share of chunks is a name


def _of_the_named(
    question: str, candidates: list[_Candidate], top: Sequence[Hit], state: IndexState
) -> list[_Candidate]:
    """The units of the passages from documents that name what the question names
    ("which measures are tracked for Quarry"), when one of them does: another
    assistant's measures, in a document that never names it, do not answer it."""
    limit = max(RARE_NAME_SHARE * len(state.chunks), NAME_DF)
    names = {
        t
        for w in NAME_IN_Q.findall(question)
        for t in tokenize(w)
        if 0 < state.df.get(t, 0) <= limit
    }
    if not names:
        return candidates
    naming = {rank for rank, hit in enumerate(top) if _document_names(hit, names, state)}
    if not naming:
        return candidates
    return [c for c in candidates if c.rank in naming]


def _document_names(hit: Hit, names: set[str], state: IndexState) -> bool:
    """Whether the hit's passage, or another passage of its document, holds ``names``."""
    if names <= unit_tokens(hit.chunk.embed_text()):
        return True
    entry = state.docs.get(hit.chunk.source)
    if entry is None:
        return False
    found: set[str] = set()
    for member in entry.ids:
        position = state.positions.get(member)
        if position is not None:
            found |= names & unit_tokens(state.chunks[position].embed_text())
            if found == names:
                return True
    return False


# a question in two parts: "How many replies are checked, and what pass rate is required?"
_SECOND_PART = re.compile(
    r",?\s+and\s+(?=(?:(?:on|in|for|by|at|with|from|to|after|within|under)\s+"
    r"(?=(?:what|which|how|whom)\s))?(?:what|which|how|who|whom|when|where|why|is|are|does|"
    r"do|did|must|can|should|may)\b)",
    re.IGNORECASE,
)


def question_parts(question: str) -> list[str]:
    """The questions a question asks: itself, or the two joined by "and what/how/..."."""
    pieces = _SECOND_PART.split(question, maxsplit=1)
    if len(pieces) == 2 and all(len(p.split()) >= 3 for p in pieces):
        first, second = pieces
        return [first.rstrip(" ,?") + "?", second[0].upper() + second[1:]]
    return [question]


def _second_part(
    question: str,
    chosen: list[_Candidate],
    top: Sequence[Hit],
    state: IndexState,
    embed: Callable[[list[str]], np.ndarray] | None,
) -> list[_Candidate]:
    """The sentence answering the second half of a two-part question, when the answer
    to the whole left it out: "... and what pass rate is required?" -> "at least 90 %"."""
    parts = question_parts(question)
    if len(parts) < 2 or embed is None:
        return []
    part = parts[1]
    kind = answer_type(part)
    focus = focus_of(part)
    first = focus_of(parts[0])
    if (
        focus is not None
        and (first is None or first.kind != focus.kind)
        and any(focus.satisfied(c.unit.text) for c in chosen)
    ):
        return []  # the answer already says something of the kind the second half asks
    vector = np.asarray(embed([part])[0], dtype=np.float32)
    vector /= max(float(np.linalg.norm(vector)), 1e-9)
    quoted = {(c.rank, c.position) for c in chosen}
    every = [
        c
        for c in _unit_candidates(part, top, state, vector, embed, kind, focus=focus)
        if not c.unit.items
    ]
    found = [
        c
        for c in every
        # the fact asked for, or a sentence sharing a word of the half asked (a short
        # half-question is far in meaning from any sentence: "What pass rate is required?")
        if (focus.satisfied(c.unit.text) if focus is not None else c.lexical > 0)
    ]
    if not found and focus is None and every:
        # a half in other words ("what accuracy is the goal?": "The target is 95 percent
        # correct."): the sentence nearest in meaning, when it comes just after one the
        # answer quotes, in the same passage
        best = every[0]
        if any(c.rank == best.rank and 0 < best.position - c.position <= 2 for c in chosen):
            found = [best]
    again = focus is not None and first is not None and first.kind == focus.kind
    if not found or (found[0].rank, found[0].position) in quoted and not again:
        return []  # the answer already says it (unless it is a second fact of one kind)
    found = [c for c in found if (c.rank, c.position) not in quoted]
    if not found:
        return []
    # the halves of one question are most often answered by one passage: "how long can a
    # seat sit idle before it is flagged, and how long does its holder then have to reply?"
    used = {c.rank for c in chosen}
    return [next((c for c in found if c.rank in used), found[0])]


# a question about what followed an event ("... after the assistant worked?", "once the
# pilot ended"), not "after how long"
_AFTER_Q = re.compile(
    r"\b(?:after|once|following)\s+(?!how\b|what\b|which\b|\d)(?:the|its|their|his|her|a|an|"
    r"this|that|[\w'’-]+'s)\s+[\w-]+",
    re.IGNORECASE,
)
# a sentence telling what came next
_SEQUEL = re.compile(
    r"^\s*(?:then|next|later|afterwards?|subsequently|following (?:that|this|its|the|their)|"
    r"after (?:that|this)|building on|with that|since then|soon after|(?:encouraged|inspired|"
    r"spurred|emboldened|buoyed) by (?:that|this|its|the|their))\b",
    re.IGNORECASE,
)
_FIRST_STEP = re.compile(r"^(?:first(?:ly)?|to begin with)\b", re.IGNORECASE)
_NEXT_STEP = re.compile(
    r"^(?:and )?(?:second(?:ly)?|third(?:ly)?|fourth(?:ly)?|fifth(?:ly)?|sixth|finally|"
    r"lastly|last)\b",
    re.IGNORECASE,
)
_STEP_INSIDE = re.compile(
    r"\s(?:And (?:second|third|fourth|fifth|finally|lastly)|Second|Third|Fourth|Fifth|"
    r"Finally|Lastly)(?:ly)?, "
)
_LAST_STEP = re.compile(r"^(?:and )?(?:finally|lastly|last)\b", re.IGNORECASE)
_COUNT_WORD = re.compile(
    r"\b(?:two|three|four|five|six|seven|several|following|\d)\b", re.IGNORECASE
)


def _enumerated(
    question: str, best: _Candidate, top: Sequence[Hit], named: bool = False
) -> _Candidate | None:
    """A list written as prose ("there are three levers. First, ... Second, ...
    Third, ..."), when ``best`` is part of it: every step, as a list, under the
    sentence that announces them. Not when the question counts otherwise ("the four
    dimensions" is not answered by three levers); ``named``: only when the announcing
    sentence names what the question lists ("components")."""
    found = cached_units(top[best.rank].chunk.text, top[best.rank].chunk.section)
    start = next(
        (
            i
            for i in range(best.position, max(best.position - 8, -1), -1)
            if _FIRST_STEP.match(found[i].text) and not found[i].in_list
        ),
        None,
    )
    if start is None:
        start = next(
            (
                i
                for i in range(best.position + 1, min(best.position + 2, len(found)))
                if _FIRST_STEP.match(found[i].text)
            ),
            None,
        )
    if start is None:
        return None
    steps = [start]
    texts = [_split_steps(found[start].text)[0]]
    for i in range(start + 1, min(start + 12, len(found))):
        if found[i].items or found[i].in_list or _FIRST_STEP.match(found[i].text):
            break
        for piece in _split_steps(found[i].text):
            if _NEXT_STEP.match(piece):
                steps.append(i)
                texts.append(piece)
        if len(steps) > 1 and _LAST_STEP.match(texts[-1]):
            break
    end = steps[-1] + 2  # a step's sentence may be followed by one that explains it
    lead_at = start - 1
    has_lead = lead_at >= 0 and bool(_COUNT_WORD.search(found[lead_at].text))
    if len(steps) < 2 or not (start - (1 if has_lead else 0) <= best.position <= end):
        return None
    lead = found[lead_at].text.rstrip(".:") if has_lead else ""
    asked_count = set(_COUNT_WORD.findall(question.lower())) - {"following", "several"}
    if asked_count and lead and not asked_count & set(_COUNT_WORD.findall(lead.lower())):
        return None
    if named and not _names_asked(question, lead):
        return None
    items = tuple(texts)
    unit = Unit(f"{lead}: " + " ".join(items) if lead else " ".join(items), "", items, lead=lead)
    return _Candidate(best.score, best.rank, steps[0], unit, best.lexical, best.semantic)


_ASKED_N = re.compile(
    r"\b(two|three|four|five|six|seven|eight|nine|ten|[2-9]|10)\s+(?:[\w-]+\s+){0,2}?"
    r"[\w-]+s\b",
    re.IGNORECASE,
)
_RUN_ITEM = r"[\w'’-]+(?: [\w'’-]+){0,3}"
_RUN = re.compile(rf"{_RUN_ITEM}(?:, {_RUN_ITEM})+,? (?:and|or) {_RUN_ITEM}")
_RUN_SPLIT = re.compile(r",? (?:and|or) |, ")
COUNTED_REACH = 3  # units after a quoted one where the run of items it announces may be


def _run_length(text: str) -> int:
    """The items of the longest run "A, B, C and D" in ``text`` (0 when none). Counted
    back from the last item: an item much longer than those after it is the first, its
    words before the item a lead ("the list held Polish, Finnish and Czech": three)."""
    best = 0
    for match in _RUN.finditer(text):
        items = [len(item.split()) for item in _RUN_SPLIT.split(match.group(0))]
        count, longest = 1, items[-1]
        for words in reversed(items[:-1]):
            count += 1
            if words > longest + 1:
                break
            longest = max(longest, words)
        best = max(best, count)
    return best


def _counted_run(
    question: str, chosen: list[_Candidate], candidates: Sequence[_Candidate]
) -> list[_Candidate]:
    """The sentence naming as many things as the question counts, just after a quoted
    one: "What are the four languages ...?" -> "... the second-reader list." + "At
    launch these were Thai, Arabic, Greek and Turkish." Nothing when a quoted unit
    already names them (a list, or a run of that many)."""
    match = _ASKED_N.search(question)
    if match is None:
        return []
    asked = count_of(match.group(1))
    if asked is None:
        return []
    if any(c.unit.items or _run_length(c.unit.text) >= asked for c in chosen):
        return []
    quoted = {(c.rank, c.position) for c in chosen}
    for cand in candidates:
        if (cand.rank, cand.position) in quoted or cand.unit.items or cand.unit.in_list:
            continue
        if _run_length(cand.unit.text) != asked:
            continue
        if any(
            c.rank == cand.rank and 0 < cand.position - c.position <= COUNTED_REACH for c in chosen
        ):
            return [cand]
    return []


# "what is the first of the four advantages?", "the last of the three challenge areas"
_ORDINAL_OF_Q = re.compile(
    r"\b(first|second|third|fourth|fifth|sixth|last|final)\s+of\s+the\s+"
    r"(two|three|four|five|six|seven|[2-7])\b",
    re.IGNORECASE,
)
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh")
ORDINAL_REACH = 12  # units after the announcing sentence where its steps may be


def _ordinal_step(question: str, chosen: list[_Candidate], top: Sequence[Hit]) -> list[_Candidate]:
    """The step a question picks by its place ("the first of the four advantages"),
    when a quoted sentence announces that many ("We identify four basic advantages.")
    and the step follows it in its passage ("First, ... is a strategic necessity"), or
    when a passage quoted from names the step with the question's noun ("The third
    challenge is ..."): the announcement alone answers nothing. Nothing when a quoted
    unit is that step already."""
    match = _ORDINAL_OF_Q.search(question)
    if match is None or not chosen:
        return []
    count = count_of(match.group(2).lower())
    place = match.group(1).lower()
    if count is None:
        return []
    wanted = count if place in ("last", "final") else _ORDINALS.index(place) + 1
    if wanted > count:
        return []
    opener = _ORDINALS[wanted - 1]
    step = re.compile(
        rf"^(?:and )?(?:{opener}(?:ly)?"
        + (r"|finally|lastly|last" if wanted == count else "")
        + r")\b(?!-)",
        re.IGNORECASE,
    )
    asked = match.group(2).lower()
    # "the third challenge is ...": the step named with the question's own noun, in any
    # of the passages quoted from
    nouns = [w for w in re.findall(r"[\w-]+", question[match.end() :])[:3] if len(w) > 3]
    stems = {t for w in nouns for t in tokenize(w)}
    named = re.compile(rf"^(?:the )?{opener}\s+((?:[\w-]+\s+){{0,2}}[\w-]+)", re.IGNORECASE)

    def names_step(text: str) -> bool:
        found = named.match(text)
        return bool(found and stems & set(tokenize(found.group(1))))

    for cand in chosen:
        if step.match(cand.unit.text) or names_step(cand.unit.text):
            return []
    for cand in chosen:
        if cand.unit.items or not re.search(rf"\b{asked}\b", cand.unit.text, re.IGNORECASE):
            continue
        found = cached_units(top[cand.rank].chunk.text, top[cand.rank].chunk.section)
        for i in range(cand.position + 1, min(cand.position + 1 + ORDINAL_REACH, len(found))):
            unit = found[i]
            if not unit.in_list and not unit.items and step.match(unit.text):
                return [_Candidate(cand.score, cand.rank, i, unit, cand.lexical, cand.semantic)]
    best = chosen[0]
    for rank, hit in enumerate(top):
        for i, unit in enumerate(cached_units(hit.chunk.text, hit.chunk.section)):
            if not unit.in_list and not unit.items and names_step(unit.text):
                # it answers by itself: its passage leads the answer
                return [_Candidate(best.score + 1, rank, i, unit, best.lexical, best.semantic)]
    return []


def _split_steps(text: str) -> list[str]:
    """A sentence cut at every step a lost full stop glued into it: "... of AI Second,
    the ..." -> "... of AI", "Second, the ..."."""
    cuts = [m.start() + 1 for m in _STEP_INSIDE.finditer(text)]
    bounds = [0, *cuts, len(text)]
    return [
        text[a:b].strip() for a, b in zip(bounds, bounds[1:], strict=False) if text[a:b].strip()
    ]


def _open_quote(text: str) -> bool:
    return text.count("“") > text.count("”") or text.count('"') % 2 == 1


def _finish_quotes(
    chosen: list[_Candidate], top: Sequence[Hit], state: IndexState | None = None
) -> list[_Candidate]:
    """A quotation is quoted to its end: someone's point is often its last sentence.
    Sentences of the quotation chosen on their own are folded into it."""
    absorbed: set[tuple[int, int]] = set()
    grown: dict[int, _Candidate] = {}
    for index, cand in enumerate(chosen):
        key = (cand.rank, cand.position)
        if key in absorbed or cand.unit.items or not _open_quote(cand.unit.text):
            continue
        chunk = top[cand.rank].chunk
        found = units(chunk.text, chunk.section)
        following = [(p, found[p]) for p in range(cand.position + 1, len(found))]
        if state is not None and len(following) < QUOTE_UNITS:
            # the quotation runs on into the document's next chunk
            after = state.chunk(chunk_id(chunk.source, chunk.ordinal + 1))
            if after is not None:
                following += [(-1, unit) for unit in units(after.text, after.section)]
        text = cand.unit.text
        for position, unit in following[:QUOTE_UNITS]:
            if unit.text in text:
                continue  # chunks overlap
            piece = unit.text
            close = piece.find("”")
            if close >= 0 and "“" not in piece[:close]:
                piece = piece[: close + 1]  # to the end of the quotation, not beyond
            if unit.items or unit.in_list or len(text) + len(piece) > MAX_ANSWER_CHARS:
                break
            text = f"{text} {piece}"
            if position >= 0:
                absorbed.add((cand.rank, position))
            if not _open_quote(text):
                break
        if text != cand.unit.text:
            unit = Unit(text, text)
            grown[index] = _Candidate(
                cand.score,
                cand.rank,
                cand.position,
                unit,
                cand.lexical,
                cand.semantic,
                limit=MAX_ANSWER_CHARS,
            )
    return [
        grown.get(index, cand)
        for index, cand in enumerate(chosen)
        if (cand.rank, cand.position) not in absorbed
    ]


SPEAKER_CHARS = 300  # the longest sentence introducing a quotation that is quoted with it


def _quote_speakers(chosen: list[_Candidate], top: Sequence[Hit]) -> list[_Candidate]:
    """The sentence that introduces a quoted quotation ("According to Akshat Kaul from
    Redfin, ... is key:"): without it nobody knows who said it."""
    quoted = {(c.rank, c.position) for c in chosen}
    size = sum(len(c.unit.text) for c in chosen)
    added: list[_Candidate] = []
    for cand in chosen:
        if cand.unit.items or cand.position < 1 or not cand.unit.text.startswith(("“", '"')):
            continue
        if (cand.rank, cand.position - 1) in quoted:
            continue
        chunk = top[cand.rank].chunk
        before = cached_units(chunk.text, chunk.section)[cand.position - 1]
        text = before.text.rstrip()
        if (
            before.items
            or before.in_list
            or not text.endswith(":")
            or len(text) > SPEAKER_CHARS
            or size + len(text) > MAX_ANSWER_CHARS
        ):
            continue
        quoted.add((cand.rank, cand.position - 1))
        size += len(text)
        position = cand.position - 1
        added.append(
            _Candidate(cand.score, cand.rank, position, before, cand.lexical, cand.semantic)
        )
    return chosen + added


def _merge_items(chosen: list[_Candidate]) -> list[_Candidate]:
    """Two or more items of one list answer together: quote the list, whole."""
    groups: dict[tuple[int, int], list[_Candidate]] = {}
    for cand in chosen:
        if cand.whole_list is not None:
            groups.setdefault((cand.rank, cand.unit.parent), []).append(cand)
    wholes = [
        (rank, group[0].whole_list)
        for (rank, _), group in groups.items()
        if len(group) >= 2 and group[0].whole_list is not None
    ]
    out: list[_Candidate] = []
    for cand in chosen:
        if cand.whole_list is None and any(
            rank == cand.rank and whole is not None and cand.unit.text in whole.text
            for rank, whole in wholes
        ):
            continue  # the list's own lead, quoted with the list
        key = (cand.rank, cand.unit.parent)
        group = groups.get(key, [])
        if cand.whole_list is None or len(group) < 2:
            out.append(cand)
        elif group[0] is cand:
            whole = cand.whole_list
            out.append(_Candidate(cand.score, cand.rank, cand.unit.parent, whole, 0, 0))
    return out


def _as_list(unit: Unit, n: int) -> str:
    lead = unit.lead
    lines = [f"{lead}: [{n}]"] if lead else []
    lines += [f"• {_trim(clean(item), ITEM_CHARS)}" for item in unit.items]
    if not lead:
        lines[-1] += f" [{n}]"
    return "\n".join(lines)


def _join(parts: list[str]) -> str:
    return ("\n" if any("\n" in part for part in parts) else " ").join(parts)


def _trim(sentence: str, limit: int = 450, weights: dict[str, float] | None = None) -> str:
    """At most ``limit`` characters; of a longer unit (a table that lost its rows, a
    run-on sentence), the stretch with most of the question's rare words."""
    sentence = sentence.strip().lstrip("-•* ").strip()
    if len(sentence) <= limit:
        return sentence
    words = sentence.split(" ")
    start = _best_window(words, limit, weights) if weights else 0
    out = ""
    for word in words[start:]:
        if len(out) + len(word) + 1 > limit:
            break
        out = f"{out} {word}" if out else word
    out = out or sentence[:limit]
    return ("…" if start else "") + out + "…"


def _best_window(words: list[str], limit: int, weights: dict[str, float]) -> int:
    """Index of the first word of the ``limit``-character stretch holding the most
    question weight (each question word counted once); 0 on a tie with the start.
    One pass with a sliding window: a long table row is thousands of words."""
    found = [set(tokenize(w)) & weights.keys() for w in words]
    counts: dict[str, int] = {}
    value, size, end = 0.0, 0, 0
    best, best_start = -1.0, 0
    for start in range(len(words)):
        while end < len(words) and size + len(words[end]) + 1 <= limit:
            size += len(words[end]) + 1
            for t in found[end]:
                counts[t] = counts.get(t, 0) + 1
                if counts[t] == 1:
                    value += weights[t]
            end += 1
        if value > best + 1e-9:
            best, best_start = value, start
        if end == start:  # a word longer than the limit: skip it
            end += 1
            continue
        size -= len(words[start]) + 1
        for t in found[start]:
            counts[t] -= 1
            if counts[t] == 0:
                value -= weights[t]
    # the best stretch begins a few words before its first question word, so that what
    # follows the word (a table's next cells, the rest of the clause) is kept
    first = next((i for i in range(best_start, len(words)) if found[i]), best_start)
    return max(first - 5, 0) if best > 0 else 0


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
    "NOT_SAID_TEXT",
    "SYSTEM_PROMPT",
    "answer_type",
    "has_entity",
    "supported",
    "build_messages",
    "cite_reply",
    "extractive_answer",
    "llm_answer",
]
