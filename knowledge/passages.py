"""Answer units: the sentences (and whole lists) of a chunk, as scored and quoted.

Retrieval scores a chunk by its best unit (small-to-big: a sentence decides, the chunk
is returned) and the extractive writer quotes units, so both split a chunk the same way
here, and the unit embeddings computed at ingest line up with what is quoted.

A *unit* is one sentence, or a run of short list-like lines kept whole as one list
("The five metrics: hours_saved; cost_saved; ..."), so a list item, a formula or a
threshold is never cut in half.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from knowledge.documents import split_sentences


@dataclass(frozen=True)
class Unit:
    text: str  # what is quoted
    scored: str  # what is scored and embedded (a list or item with its heading)
    items: tuple[str, ...] = ()  # the list items, when the unit is a whole list
    in_list: bool = False  # one item of a list (quoted alone when it answers alone)
    parent: int = -1  # for an item: the position of its whole list among the units
    lead: str = ""  # for a whole list: the line or heading that introduces it

    @property
    def embedded(self) -> str:
        """What the sentence model sees: the scored text without bracketed citations
        ("(Li et al., 2015; Yun and Lee, 2015)"), which say who wrote, not what."""
        return uncited(self.scored)

    @property
    def is_question(self) -> bool:
        """A question quoted in a document ("ask: what must a pilot show?") answers nothing."""
        return self.text.rstrip().endswith("?") or "? " in self.text


_MARKER = re.compile(r"^\s*(?:[-•*]|\d{1,2}[.)])\s+")
# "hours_saved - staff hours saved ...", "Level 2 - Productionizing: ...", "Gate: ..."
_TERM = re.compile(r"^[^.!?:]{1,60}?(?: [-–—] |: )\S")


def _is_short(line: str) -> bool:
    return len(line.split()) <= 8 and not line.rstrip().endswith((".", "?", "!"))


def _is_item(line: str, after_lead: bool) -> bool:
    if len(line) > 500:
        return False
    if _MARKER.match(line):
        return True
    if _TERM.match(line) and (after_lead or len(line) <= 250):
        return True
    return _is_short(line) or (after_lead and len(line) <= 300)


def _strip_item(line: str) -> str:
    return _MARKER.sub("", line).strip().rstrip(";,")


@lru_cache(maxsize=8192)
def cached_units(text: str, section: str = "") -> tuple[Unit, ...]:
    """:func:`units`, remembered: retrieval and the answer writer split the same chunks."""
    return tuple(units(text, section))


def units(text: str, section: str = "") -> list[Unit]:
    """The units of a chunk's text, in order: a list is one whole unit followed by one
    unit per item (a question about one item is answered by that item alone)."""
    out: list[Unit] = []
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    heading = section.split(" > ")[-1]
    i = 0
    while i < len(lines):
        lead_line = i > 0 and lines[i - 1].endswith(":")
        j = i
        while j < len(lines) and not lines[j].endswith(":"):
            # items a loader gave without their bullets still end in ";" (the last in ".")
            listed = (
                lines[j].endswith(";")
                and len(lines[j]) <= 300
                or (j > i and lines[j - 1].endswith(";") and len(lines[j]) <= 300)
            )
            if not listed and not _is_item(lines[j], lead_line):
                break
            if not listed and j > i and _is_short(lines[j]) != _is_short(lines[i]):
                break  # "owner named", "budget approved", then a sentence: the list ended
            j += 1  # a line ending in ":" leads the next list; it is no item
        if j - i >= 2:
            run = [clean(_strip_item(line)) for line in lines[i:j]]
            lead = lines[i - 1].rstrip(":") if lead_line else heading
            items = tuple(item for item in run if item)
            joined = "; ".join(item.rstrip(".") for item in items)
            quoted = f"{lead}: {joined}." if lead else f"{joined}."
            parent = len(out)
            out.append(Unit(quoted, f"{heading}: {lead}: {joined}"[:1200], items, lead=lead))
            for item in items:
                scored = f"{lead}: {item}" if lead else item
                out.append(Unit(item, scored, in_list=True, parent=parent))
            i = j
            continue
        for sentence in split_sentences(clean(lines[i])):
            # Scored with its heading: "Gate: positive net value 4 weeks in a row" says
            # what a pilot must show only under "Pilot to production".
            out.append(Unit(sentence, f"{heading}: {sentence}" if heading else sentence))
        i += 1
    return out


# Sentences about the document itself, not about its subject: "This playbook says what
# to measure...", "Research note, part 2 of 3, on ...", "See the governance playbook".
_META = re.compile(
    r"^\s*(?:this|the present|our)\s+(?:playbook|note|document|page|guide|article|chapter|"
    r"section|summary|file|study note|policy|standard|procedure|runbook|handbook|manual|"
    r"guideline|charter|wiki page)\s+(?:says|describes|explains|covers|summari[sz]es|"
    r"sets out|lists|is about|shows|gives|outlines)\b"
    r"|^\s*(?:research|study)\s+note\b"
    r"|^\s*(?:it|this)\s+(?:summari[sz]es|covers|is a summary of)\b"
    r"|\bthe seed (?:carries|has|gives|holds|text|file|is)\b"
    r"|\bpart \d+ of \d+\b"
    r"|^\s*(?:see|read) (?:the|our) [\w -]+ (?:playbook|note|document)\b",
    re.IGNORECASE,
)


# A parenthesis pointing at our own files: "(seed `ai-spine-article.txt`, 22 interviews)".
_FILE_NOTE = re.compile(r"\s*\((?:seed|see the|source file)\b[^()]*\)", re.IGNORECASE)


# "(Shani et al., 1992)", "(see e.g., Sony and Naik, 2020; Li, 2015)", "(McCarthy, 2007, p. 2)"
_CITATION = re.compile(
    r"\s*\((?:see |e\.g\.,? |cf\. )*[A-Z][^()]{0,300}?\b(?:19|20)\d{2}[a-z]?"
    r"(?:, pp?\. [\w-]+)?\)"
)


@lru_cache(maxsize=65536)
def uncited(text: str) -> str:
    return _CITATION.sub("", text)


def clean(sentence: str) -> str:
    """The sentence without notes about our own files, for quoting."""
    return _FILE_NOTE.sub("", sentence)


def is_meta(sentence: str) -> bool:
    """True for a sentence that talks about the document rather than its subject."""
    return bool(_META.search(sentence))


__all__ = ["Unit", "cached_units", "clean", "is_meta", "uncited", "units"]
