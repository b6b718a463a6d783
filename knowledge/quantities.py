"""The same length of time or share said another way, for the keyword index.

A question says "for three months", the playbook "for 90 days"; "within a fortnight"
is "within two weeks"; "three quarters of the budget" is "75 percent of it". Stemmed
keywords and a small sentence model miss both, so :func:`restate` writes each duration
and fraction of a question in the other units it is commonly written in. The retriever
and the answer writer add those words as expansion terms (a weight below the
question's own words), like the vocabulary map in :mod:`knowledge.retrieve`.
"""

from __future__ import annotations

import re
from functools import lru_cache

_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "sixty": 60,
    "ninety": 90,
    "fifty": 50,
}
_WORDS = {n: w for w, n in _NUMBER_WORDS.items() if w not in ("a", "an")}
# calendar days in each unit; a working week has five working days
_DAYS = {"day": 1.0, "week": 7.0, "fortnight": 14.0, "month": 30.4, "quarter": 91.3, "year": 365.0}
_WRITTEN_DAYS = {"month": 30, "quarter": 90, "year": 365}  # "three months" is "90 days"
_TOLERANCE = 0.1  # "a month" is four weeks (30.4 / 28), not 4.3 weeks
_OUT_UNITS = ("day", "week", "month", "quarter", "year")  # nobody writes "7 fortnights"
_MAX_WORKING_WEEKS = 8  # "10 working days" for a fortnight, not "65" for three months

_AMOUNT = r"(?P<n>\d{1,3}|" + "|".join(_NUMBER_WORDS) + r"|half an?)"
_DURATION = re.compile(
    r"\b(?:" + _AMOUNT + r"\s+)?(?P<work>working\s+|business\s+)?"
    r"(?P<unit>day|week|fortnight|month|quarter|year)s?\b",
    re.IGNORECASE,
)
_FRACTIONS = {
    "half": 50,
    "a third": 33,
    "one third": 33,
    "two thirds": 67,
    "a quarter": 25,
    "one quarter": 25,
    "three quarters": 75,
    "a fifth": 20,
    "one fifth": 20,
    "a tenth": 10,
    "one tenth": 10,
}
_FRACTION = re.compile(
    r"\b(?P<f>" + "|".join(sorted(_FRACTIONS, key=len, reverse=True)) + r")\s+of\b",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"\b(?P<p>25|33|50|67|75)\s*(?:%|percent\b|per cent\b)", re.IGNORECASE)
# "one in ten", "two out of five": a share ("10 percent", "40 percent")
_RATIO = re.compile(
    r"\b(?P<a>one|two|three|four|five|\d{1,2}) (?:in|out of) (?P<b>two|three|four|five|six|"
    r"eight|ten|twelve|twenty|fifty|a hundred|\d{1,3})\b(?![.,]\d)",
    re.IGNORECASE,
)
# "a quarter of a million", "half a million": an amount, not a share
_OF_MILLION = re.compile(
    r"\b(?P<f>half|a quarter of|one quarter of|three quarters of) an? million\b", re.IGNORECASE
)


def count_of(word: str) -> int | None:
    """The whole number a count is written as ("4", "four"), or None."""
    word = word.lower()
    if word.isdigit():
        return int(word)
    return _NUMBER_WORDS.get(word) if word not in ("a", "an") else None


def _amount(text: str | None) -> float | None:
    if text is None:
        return None
    text = text.lower()
    if text.startswith("half"):
        return 0.5
    if text.isdigit():
        return float(text)
    return float(_NUMBER_WORDS[text])


def _say(count: int, unit: str) -> list[str]:
    """``(3, "month")`` -> ``["3 months", "three months"]``."""
    noun = unit if count == 1 else unit + "s"
    out = [f"{count} {noun}"]
    if count in _WORDS:
        out.append(f"{_WORDS[count]} {noun}")
    return out


def _durations(days: float, working: bool, said: str, amount: float) -> list[str]:
    out: list[str] = []
    if said in _WRITTEN_DAYS:
        years = amount / 12 if said == "month" else amount / 4 if said == "quarter" else 0
        per_day = 365 * years if years and years == int(years) else amount * _WRITTEN_DAYS[said]
        out += _say(round(per_day), "day")
    for unit in _OUT_UNITS:
        size = _DAYS[unit]
        if unit == said and not working or unit == "day" and said in _WRITTEN_DAYS:
            continue
        count = round(days / size)
        if count < 1 or count > 400 or abs(days / size - count) > _TOLERANCE * count:
            continue
        if count == 1 and unit in ("month", "quarter", "year"):
            out += [f"a {unit}", "annual" if unit == "year" else f"{unit}ly"]
        else:
            out += _say(count, unit)
    weeks = days / 7
    if (
        not working
        and 1 <= weeks <= _MAX_WORKING_WEEKS
        and abs(weeks - round(weeks)) <= _TOLERANCE * weeks
    ):
        out += _say(round(weeks) * 5, "working day")
    return out


@lru_cache(maxsize=4096)
def restate(question: str) -> tuple[str, ...]:
    """Each duration and fraction of ``question`` in the other usual units, e.g.
    "unused for three months" -> ("13 weeks", ..., "90 days", "a quarter", ...);
    "in a fortnight" -> ("14 days", "2 weeks", "two weeks", "10 working days", ...);
    "three quarters of" -> ("75 percent",). Empty when it names none."""
    out: list[str] = []
    for match in _DURATION.finditer(question):
        amount = _amount(match.group("n"))
        if amount is None:
            continue  # "each month", "the year": a period, not a length of time
        if question[match.end() :].lstrip().lower().startswith("of "):
            continue  # "three quarters of the budget": a share
        unit = match.group("unit").lower()
        working = bool(match.group("work"))
        days = amount * (7 / 5 if working and unit == "day" else _DAYS[unit])
        if working and unit == "day":
            weeks = amount / 5
            if weeks >= 1 and weeks == int(weeks):
                out += _say(int(weeks), "week")
            continue
        out += _durations(days, working, unit, amount)
    for match in _OF_MILLION.finditer(question):
        share = _FRACTIONS[" ".join(match.group("f").lower().split()).removesuffix(" of")]
        out += [f"{share * 10_000:,}"]
    for match in _FRACTION.finditer(question):
        if _OF_MILLION.match(question, match.start()):
            continue
        share = _FRACTIONS[match.group("f").lower()]
        out += [f"{share} percent"]
    for match in _RATIO.finditer(question):
        part = count_of(match.group("a"))
        whole_word = match.group("b").lower()
        whole = 100 if whole_word == "a hundred" else count_of(whole_word)
        if part and whole and part < whole:
            share = round(100 * part / whole)
            out += [f"{share} percent"]
    for match in _PERCENT.finditer(question):
        share = int(match.group("p"))
        out += [f for f, v in _FRACTIONS.items() if v == share and not f.startswith("one ")]
    return tuple(dict.fromkeys(out))
