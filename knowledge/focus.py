"""What exactly a typed question asks for, and whether a sentence says it.

"How many employees work in the bank's spine?" is not answered by a sentence about the
bank's spine that gives some other figure: it needs a count *of employees*. A
:class:`Focus` holds the kind of fact wanted (a count, a duration, an amount of money, a
percentage, a year, a name, ...) and, for a count, the noun it counts; ``satisfied``
says whether a sentence holds such a fact. The extractive writer prefers sentences that
satisfy the focus, retrieval gives their passages a small boost, and a question whose
focus no passage satisfies is answered with "the knowledge base does not say".

Only questions that name their fact this precisely get a focus; "How does ...?", "What
is ...?" and "Why ...?" get none and are left to the retrieval confidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from knowledge.index import tokenize

_NUMBER_WORD = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|hundreds|thousand|thousands|million|millions|billion|billions|"
    r"dozen|dozens|several|few|half|single|double|first|second|third|fourth|fifth"
)
_RULE_QUANTITY = re.compile(
    rf"\b(?:at least|at most|up to|no more than|no fewer than|a minimum of|a maximum of|"
    rf"minimum of|maximum of)\s+(?:\d[\d.,]*|{_NUMBER_WORD})\b|\b(?:\d[\d.,]*|one|"
    rf"two|three|four|five|six|seven|eight|nine|ten) per\b",
    re.IGNORECASE,
)
_CHANGE_BEFORE = re.compile(
    r"\b(?:by|cut|cuts|reduced?|reduces|lowered|increased?|increases|raised|rose|fell|grew|"
    r"dropped|up|down)\s*$",
    re.IGNORECASE,
)
# the words that state a limit: "at most eight", "no more than 14 days"
LIMIT_PHRASES = (
    r"at most|at least|up to|no more than|no fewer than|never more than|never fewer than|"
    r"a maximum of|a minimum of"
)
_LIMIT_BEFORE = re.compile(rf"\b(?:{LIMIT_PHRASES})\s*$", re.IGNORECASE)
_ORDINALS = frozenset(("first", "second", "third", "fourth", "fifth"))
_NUMBER = re.compile(rf"\d|\b(?:{_NUMBER_WORD})\b", re.IGNORECASE)
_NUMBER_TOKEN = re.compile(rf"^(?:[\d.,%/-]+\w*|{_NUMBER_WORD})$", re.IGNORECASE)

_TIME_UNIT = r"(?:second|sec|minute|min|hour|hr|day|week|wk|month|quarter|year|yr|sprint)s?"
_SPAN = (
    rf"(?:\d+(?:[.,]\d+)?|\b(?:a|an|{_NUMBER_WORD}))(?:\s*(?:-|to|–|or)\s*\d+)?"
    rf"[\s-]+(?:(?:working|business|calendar|full|more|consecutive|straight)[\s-]+)?"
    rf"{_TIME_UNIT}\b"
)
_DURATION = re.compile(
    _SPAN + r"|\b(?:daily|weekly|fortnightly|monthly|quarterly|yearly|annually|overnight|"
    r"immediately|instantly|same day|next day|real time)\b",
    re.IGNORECASE,
)
# "how many days ...": a number of them ("25 days"), not "daily" or "immediately"
_SPAN_ONLY = re.compile(_SPAN, re.IGNORECASE)
_UNITS_Q = re.compile(
    r"\bhow many (?:more |extra |working |business |calendar )?(?:seconds|minutes|hours|days|"
    r"weeks|months|years)\b",
    re.IGNORECASE,
)
# how often: "every six months", "each quarter", "weekly", "twice a year", "at a regular
# frequency"; "kept for 35 days" is how long, not how often
_FREQUENCY = re.compile(
    rf"\b(?:every|each)\b|\b(?:hourly|daily|nightly|weekly|fortnightly|monthly|quarterly|"
    rf"yearly|annually|biannually|regularly|frequency|continuously|constantly)\b"
    rf"|\b(?:once|twice|\d+ times|(?:{_NUMBER_WORD}) times)\b"
    rf"|\b(?:a|an|per) (?:second|minute|hour|day|week|month|quarter|year|sprint|release)\b"
    rf"|\bon (?:every |each )?(?:the )?(?:first|last|second|third) ",
    re.IGNORECASE,
)
_MONEY = re.compile(
    r"[$€£¥]\s?\d|\b\d[\d.,]*\s?(?:k|m|bn|mn)?\s?(?:usd|eur|gbp|dollars?|euros?|pounds?)\b"
    r"|\b(?:usd|eur|gbp)\s?\d|\b\d[\d.,]*\s?(?:million|billion|thousand)\b"
    r"|\b(?:millions|billions) of (?:dollars|euros|pounds)\b",
    re.IGNORECASE,
)
_PLAIN_AMOUNT = re.compile(r"\b\d{1,3}(?:[,.]\d{3})+\b|\b\d{3,}\b(?!\s*(?:%|percent))")
_MONEY_WORD = re.compile(
    r"\b(?:spen[dt]|spending|costs?|budget|paid|pays?|price|fees?|charged?|invoiced?|"
    r"funding|funded|salary|earns?|revenue|savings?)\b",
    re.IGNORECASE,
)
_PERCENT = re.compile(
    r"\d\s?%|\bper\s?cent\b|\bpercent(?:age)?\b|\b(?:half|a third|a quarter|two thirds|"
    r"three quarters)\b|\b\d+(?:\.\d+)?x\b|\bfold\b|\btimes\b",
    re.IGNORECASE,
)
# a change by an amount ("fell by 40"), not a year ("by 2025") or a time ("by 9 am")
_FACTOR = re.compile(
    r"\bby (?:a factor of )?(?!(?:19|20)\d\d\b)\d[\d.,]*\b(?! ?(?:am|pm)\b)", re.IGNORECASE
)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
MONTHS = (
    *("january", "february", "march", "april", "may", "june", "july", "august"),
    *("september", "october", "november", "december"),
    *("jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"),
)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# "may" is a month only when capitalised: "data may be read" names no month
MONTH_PATTERN = "|".join("(?-i:May)" if m == "may" else m for m in MONTHS)
_CALENDAR = frozenset((*MONTHS, *WEEKDAYS))
# languages and nationalities: capitalised, but they name no provider, tool or model
_LANGUAGES = frozenset(
    [
        "english",
        "german",
        "swedish",
        "french",
        "spanish",
        "italian",
        "dutch",
        "danish",
        "norwegian",
        "finnish",
        "polish",
        "portuguese",
        "czech",
        "greek",
        "turkish",
        "russian",
        "ukrainian",
        "arabic",
        "hebrew",
        "hindi",
        "chinese",
        "mandarin",
        "cantonese",
        "japanese",
        "korean",
        "european",
        "american",
        "british",
        "nordic",
        "scandinavian",
    ]
)


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# a figure right before one of these measures that, not what a count asks for: "a term
# of six months with their manager" counts no managers
_MEASURES = _wordset(
    "second seconds minute minutes hour hours day days week weeks month months year years "
    "euro euros eur cent cents times"
)


_LANGUAGE_Q = frozenset(("language", "languages", "nationality", "nationalities"))
# "in which country": a country answers it, not a tool or a team set in capitals
_COUNTRY_Q = frozenset(("country", "countries", "nation", "nations"))
_COUNTRIES = _wordset(
    """afghanistan albania algeria andorra angola argentina armenia australia austria
    azerbaijan bahamas bahrain bangladesh barbados belarus belgium belize benin bhutan
    bolivia bosnia botswana brazil brunei bulgaria burundi cambodia cameroon canada chad
    chile china colombia congo croatia cuba cyprus czechia czech denmark djibouti dominica
    ecuador egypt eritrea estonia eswatini ethiopia fiji finland france gabon gambia georgia
    germany ghana greece grenada guatemala guinea guyana haiti honduras hungary iceland india
    indonesia iran iraq ireland israel italy jamaica japan jordan kazakhstan kenya kiribati
    korea kosovo kuwait kyrgyzstan laos latvia lebanon lesotho liberia libya liechtenstein
    lithuania luxembourg madagascar malawi malaysia maldives mali malta mauritania mauritius
    mexico micronesia moldova monaco mongolia montenegro morocco mozambique myanmar namibia
    nauru nepal netherlands holland nicaragua niger nigeria macedonia norway oman pakistan
    palau palestine panama paraguay peru philippines poland portugal qatar romania russia
    rwanda samoa senegal serbia seychelles singapore slovakia slovenia somalia spain
    sudan suriname sweden switzerland syria taiwan tajikistan tanzania thailand togo tonga
    trinidad tunisia turkey turkmenistan tuvalu uganda ukraine uruguay uzbekistan vanuatu
    vatican venezuela vietnam yemen zambia zimbabwe uk usa us uae britain england scotland
    wales america zealand africa arabia lanka rica salvador emirates kingdom states leone"""
)
_WEEKDAY = "|".join((*WEEKDAYS, "weekday", "weekend"))
# when something happens: a date or time, a weekday, a period, or a point in a process
_WHEN = re.compile(
    rf"\b(?:19|20)\d{{2}}\b|\b(?:{MONTH_PATTERN})\b|\b(?:{_WEEKDAY})s?\b|\b\d{{1,2}}[:.]\d{{2}}\b"
    r"|\b(?:q[1-4]|\d{4}-w\d{2})\b|\b(?:daily|weekly|monthly|quarterly|yearly|annually|"
    r"every|each|once|twice)\b|\b(?:after|before|within|until|once|when|as soon as|by the "
    r"end of|at the (?:start|end)|during|from)\b|\b(?:day|week|month|quarter|year)s?\b"
    r"|\b(?:morning|afternoon|evening|night|noon|midnight)\b",
    re.IGNORECASE,
)
_FULL_NAME = re.compile(r"\b[A-Z][a-z]+ (?:[a-z]{2,3} )?[A-Z][a-z]+")


_SENTENCE_START = frozenset('.!?:;"“(•-')
_STARTERS = _wordset(
    "the a an this that these those it its we our they their you your he she his her each "
    "every all any no not if when where while only some most first then also however"
)
# capitals that are common nouns, not names (AL: AI misread in a PDF)
_COMMON_CAPS = _wordset(
    "AI AL I ML LLM LLMS API APIS IDE SDK SQL PDF URL CSV HTML JSON UI UX KPI KPIS ROI SLA "
    "FAQ GPU GPUS CPU OCR NLP RAG HR IT CEO CFO COO CTO CIO CDO CISO "
    # currency codes: "owe around EUR 285 million" names no bank, firm or place
    "EUR USD GBP SEK NOK DKK CHF JPY CAD AUD"
)
# the word a named question uses for what it wants named; a firm's name is never a title
_NAMED_HEADS = _wordset(
    "provider vendor supplier company firm manufacturer brand partner cloud consultancy "
    "agency podcast bank country city region regulator journal publisher university book "
    "magazine newspaper conference model llm tool product software database engine platform "
    "system tools products databases engines platforms systems models llms algorithm "
    "algorithms framework frameworks technique techniques library libraries "
    "providers vendors suppliers companies firms manufacturers brands partners "
    "consultancies agencies podcasts banks countries cities regions regulators journals "
    "publishers universities books magazines newspapers conferences"
)
_DIGIT = re.compile(r"\d")
_FIRM_HEADS = _wordset(
    "provider vendor supplier company firm manufacturer partner consultancy agency publisher "
    "providers vendors suppliers companies firms manufacturers partners consultancies "
    "agencies publishers"
)
# names that are not capitalised: route_to_fallback, claims-triage-v3, "Working with AI"
_IDENTIFIER = re.compile(r"\b[a-z]\w*_\w+\b|\b[a-z]+(?:-[a-z0-9]+)*-v?\d+\b")
_QUOTED_NAME = re.compile(r"[\"“]([^\"”]{2,60})[\"”]")
_ACRONYM = re.compile(r"^[A-Z][A-Z&]*[A-Z]\d*$")  # GDPR, AWS, H&M
_CITATION = re.compile(r"\([^()]{0,80}?\b(?:19|20)\d{2}[a-z]?\)")
_TITLE_WORD = re.compile(r"^[A-Z][a-z]+$")  # two in a row: a person's name
MAX_NAMES = 12  # more new names than this in one sentence: a flattened table or index
# the kind of thing a name names, written right after it: "the ContractHub repository"
_KIND_AFTER = re.compile(
    r"(?:'s)? (repository|database|folder|channel|portal|site|team|board|committee|council|"
    r"programme|program|office|library|catalogue|standard|policy|module|course|hackathon|"
    r"meeting|room|building|newsletter|form|queue|dashboard|fund|award|review)s?\b"
)
_CAPITALISED = re.compile(r"\b[A-Z][\w&.-]*[A-Za-z0-9]\b|\b[A-Z]\b")

# --- questions ------------------------------------------------------------------------

_AUX = (
    r"(?:do|does|did|are|were|is|was|have|has|had|can|could|must|should|will|would|may|"
    r"might|shall)"
)
_COUNT_Q = re.compile(r"\bhow many\s+([\w-]+(?:\s+[\w-]+){0,3})", re.IGNORECASE)
# "what score does a proposal need", "what rating did it get": a figure on a scale
_SCORE_Q = re.compile(r"\bwhat (?:[\w-]+ ){0,2}?(?:score|rating|ratio)s?\b(?! of\b)", re.I)
_AUX_WORD = re.compile(rf"^{_AUX}$", re.IGNORECASE)
_COUNT_ANY_Q = re.compile(r"\bhow many\b|\bwhat (?:is the )?number of\b", re.IGNORECASE)
_DURATION_Q = re.compile(
    r"\bhow (?:long|quickly|soon|fast)\b|\bhow much time\b|\bafter how long\b"
    r"|\b(?:within|in|after) how many (?:seconds|minutes|hours|days|weeks|months|years)\b"
    r"|\bhow many (?:seconds|minutes|hours|days|weeks|months|years)\b"
    r"|\bwhat (?:is the )?(?:duration|deadline|lead time)\b"
    # "what sprint length", "what notice period" (not "what length of text")
    r"|\bwhat (?:is the )?(?:[\w-]+ )?(?:length|duration|notice period)\b(?! of\b)"
    r"|\bwhat is the (?:longest|shortest|maximum time|minimum time)\b",
    re.IGNORECASE,
)
_SAVE_Q = re.compile(r"\b(?:sav(?:e|es|ed|ing|ings)|gain(?:ed|s)?|free[sd]? up)\b", re.IGNORECASE)
# a duration saved: "saved about 700 hours", "saving 25 minutes a case", "frees up two days"
_TIME_SAVED = re.compile(
    rf"\b(?:sav(?:e|es|ed|ing)|free[sd]? up|gain(?:ed|s)?)\s+(?:(?:about|around|roughly|"
    rf"nearly|almost|over|some|up to|more than|at least|them|us|staff|users|the team)\s+)*"
    rf"(?:(?:\d+(?:[.,]\d+)?|an?|{_NUMBER_WORD})(?:\s*(?:-|to|or)\s*\d+)?[\s-]+"
    rf"(?:(?:working|business|full)[\s-]+)?{_TIME_UNIT})\b",
    re.IGNORECASE,
)
_FREQUENCY_Q = re.compile(
    r"\bhow (?:often|frequently|regularly)\b|\bat what (?:interval|frequency)\b", re.IGNORECASE
)
# "how often did the coaches agree with the marks": a share of the cases ("87 percent")
_OUTCOME_Q = re.compile(
    r"\bhow (?:often|frequently)\b[^?]*\b(?:agree[sd]?|disagree[sd]?|match(?:es|ed)?|"
    r"succeed(?:s|ed)?|fail(?:s|ed)?|correct|wrong|right|accurate(?:ly)?|mistaken|overturned|"
    r"upheld|accepted|rejected|approved|confirmed)\b",
    re.IGNORECASE,
)
_MONEY_Q = re.compile(
    r"\bhow (?:much|large|big)(?: a| an| of)? (?:money|budget|funding|fund|investment|"
    r"revenue|salary|fee|price|spend|spending)\b|\bhow much (?:money )?(?:did|does|do|will|"
    r"would|has|have) [\w' -]{1,40}\b(?:pay|spend|cost|invest|earn|charge|save)\b"
    r"|\b(?:how much|what) (?:does|did|do|will) [\w' -]{1,40} cost\b"
    r"|\bwhat (?:is|was|are|were) [\w' -]{0,40}\b(?:budget|price|salary|wage|fee|annual "
    r"spend)s?\b|\bwhat (?:[\w-]+ ){0,2}(?:budget|price|salary|wage|fee|revenue|fine|tariff|"
    r"charge|(?:hourly|daily|day|monthly|commission) rate)s? "
    r"(?:does|did|do|is|was|has|have|applies|apply)\b"
    # "how much is the equipment allowance": an amount of money by the word for it
    r"|\bhow much (?:is|are|was|were|will be|would be) (?:[\w'’-]+ ){0,4}(?:allowance|budget|"
    r"fee|price|premium|grant|salary|bonus|stipend|subsidy|reimbursement|deposit|"
    r"surcharge|tariff|wage|fine)s?\b",
    re.IGNORECASE,
)
_DISCOUNT_Q = re.compile(
    r"\b(?:what|which|how much(?: of a)?|how large a|how big a) (?:[\w-]+ )?(?:discount|rebate|"
    r"reduction|markup|mark-up|surcharge)s?\b",
    re.IGNORECASE,
)
_DISCOUNT_WORDS = frozenset(
    tokenize("discount discounted rebate reduction reduced markup mark-up surcharge off less")
)
_RATE_WORDS = frozenset(tokenize("charge charges charged surcharge fee fees markup rate"))
# the money words of a question and of its answer: a figure answers "how much does it
# cost" only in a sentence about what something costs, not about a contract's value
_MONEY_FAMILIES = (
    frozenset(
        tokenize(
            "cost costs costing price priced prices fee fees charge charged charges "
            "surcharge pay pays paid payment spend spent spending budget budgets "
            "invoice invoiced bill billed allowance tariff rate"
        )
    ),
    frozenset(tokenize("revenue revenues earn earns earned earning income sales turnover")),
    frozenset(tokenize("salary salaries wage wages pay paid band compensation")),
    frozenset(tokenize("save saves saved saving savings")),
    frozenset(tokenize("fine fines fined penalty penalties")),
    frozenset(tokenize("invest invests invested investment funding funded fund funds budget")),
)
# what an amount can be besides money asked about: "the contract value passes 250,000"
_AMOUNT_NOUNS = frozenset().union(*_MONEY_FAMILIES) | frozenset(
    tokenize("value worth threshold limit")
)
_PERCENT_Q = re.compile(
    r"\bwhat (?:percentage|percent|share|proportion|fraction)\b|\bby what (?:share|"
    r"percentage|percent|proportion|factor)\b|\bhow many times\b",
    re.IGNORECASE,
)
# a question asking when: also answer_type's "date" (knowledge.answer)
WHEN_Q = re.compile(
    # not "When picking a use case, what should come first?": a clause, then the question
    r"^\s*when\b(?![^?]*,\s*(?:what|which|who|whom|how|why|where|is|are|do|does|did|can|"
    r"could|should|must|may|will|would)\b)"
    r"|\bwhat (?:date|day|time|month|week)s?\b|\bon which (?:date|day)s?\b"
    r"|\bat what time\b|\bwhich (?:date|day|month|week|weekday)s?\b"
    r"|\b(?:over|during|in|for|from) (?:what|which) (?:period|time ?frame|time span|dates)\b",
    re.IGNORECASE,
)
# a time of day: "at 10:00", "by 17:30", "at noon", "9 am"
_CLOCK_Q = re.compile(
    r"\bwhat times?\b(?! ?(?:frame|period|span|limit|window|scale|horizon|zone))"
    r"|\b(?:which|what) times? of (?:the )?day\b|\bwhat hour\b",
    re.IGNORECASE,
)
_CLOCK = re.compile(
    r"\b(?:[01]?\d|2[0-3]):[0-5]\d\b|\b(?:1[0-2]|[1-9]) ?(?:am|pm|a\.m\.|p\.m\.)"
    r"|\b(?:noon|midday|midnight)\b",
    re.IGNORECASE,
)
# a question asking for a day of the calendar: "from what date", "on which day", "in
# which month" (not "when", which "after the review" or "every quarter" answers)
_CALENDAR_Q = re.compile(
    r"\b(?:what|which) (?:date|day|month|weekday)s?\b",
    re.IGNORECASE,
)
# when something began, in the past: a day of the calendar or a year answers it ("when was
# the enclave first set up"), not a rule's "after the pilot"
_ORIGIN_Q = re.compile(
    r"^\s*when (?:was|were|did)\b[^?]*\b(?:first|originally|founded|set up|established|"
    r"launched|introduced|created|started|opened|began|begun)\b",
    re.IGNORECASE,
)
_CALENDAR_DATE = re.compile(
    rf"\b(?:{MONTH_PATTERN}|(?:{'|'.join(WEEKDAYS)})s?)\b|\b\d{{1,2}}[./]\d{{1,2}}[./]\d{{2,4}}\b"
    r"|\b(?:19|20)\d{2}-\d{2}-\d{2}\b|\b(?:first|second|third|fourth|fifth|last|"
    r"\d{1,2}(?:st|nd|rd|th)?) (?:working |business )?day of\b"
    # a day counted within a process: "Day 5: drafts are due", "by the tenth working day"
    r"|\bday \d{1,3}\b|\b(?:sixth|seventh|eighth|ninth|tenth|\d{1,2}(?:st|nd|rd|th)|"
    r"(?:first|second|third|fourth|fifth|last) (?:working|business|calendar)) "
    r"(?:working |business |calendar )?day\b",
    re.IGNORECASE,
)
# a day of the calendar with its year: "1 February 2027", "March 3, 2026", "2027-02-01"
_CALENDAR_DAY = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)? (?:of )?(?:{MONTH_PATTERN})\b(?:,? (?:19|20)\d{{2}}\b)?"
    rf"|\b(?:{MONTH_PATTERN}) \d{{1,2}}(?:st|nd|rd|th)?,? (?:19|20)\d{{2}}\b"
    rf"|\b(?:{MONTH_PATTERN}),? (?:of )?(?:19|20)\d{{2}}\b"
    r"|\b(?:19|20)\d{2}-\d{2}-\d{2}\b",
    re.IGNORECASE,
)
_YEAR_Q = re.compile(r"\b(?:which|what|in which|in what) year\b", re.IGNORECASE)
_NAMED_Q = re.compile(
    rf"\b(?:which|what) (?:(?!(?:{_AUX}|the|an?|of|kinds?|types?|sorts?|sizes?)\b)[\w-]+ ){{0,2}}?"
    r"(?:providers?|vendors?|"
    r"suppliers?|compan(?:y|ies)|firms?|manufacturers?|brands?|partners?|cloud|"
    r"consultanc(?:y|ies)|agenc(?:y|ies)|language|podcasts?|banks?|countr(?:y|ies)|"
    r"cit(?:y|ies)|regions?|regulators?|journals?|publishers?|universit(?:y|ies)|books?|"
    r"magazines?|newspapers?|conferences?)\b"
    # not "which product / tool / office" in general: "a product for insurers", "the AI
    # risk office" answer those without a name; but the tool a thing is built on, runs on
    # or is stored in has one
    r"|\bwhich (?:[\w-]+ )?(?:model|llm)\b"  # "which judge model": a named one
    # ... or that a named firm uses ("which tool does RTL use", not "should bakers use")
    r"|\bwhich (?:[\w-]+ ){0,3}?(?:tools?|products?|software|databases?|engines?|platforms?|"
    r"systems?|algorithms?|frameworks?|techniques?|librar(?:y|ies))\b"
    r"(?=[^?]*\b(?:"
    r"built|build(?=[^?]*\b(?:on|upon|with)\b)|(?:does|did|do)\b[^?]*\buse|used|runs?|"
    r"stores?|stored|powers?|hosts?|hosted|based|written|made)\b)"
    r"|\bwhich\b[^?]{0,60}\bcompl(?:y|ies|iant|iance)\b",  # GDPR, ISO 27001, SOC 2
    re.IGNORECASE,
)
# "what is the name of the X" asks for a name unless X is a person's role; so does "what
# is X called"
_NAME_OF_Q = re.compile(
    r"\bname of (?:the |our |your |its |their )?[\w-]+"
    r"|^\s*what (?:is|are|was|were) [^?]{2,80}? (?:called|named|known as)\s*\??\s*$",
    re.IGNORECASE,
)
_ROLE_WORDS = (
    r"(?:officer|head|lead|leader|manager|director|chief|ceo|cfo|coo|cto|cio|cdo|ciso|"
    r"contact|chair|"
    r"sponsor|owner|engineer|analyst|architect|champion|representative|coordinator|"
    r"trainer|instructor|reviewer|auditor|approver|controller|administrator|steward|"
    r"founder|creator|author|host|organi[sz]er|facilitator|moderator|secretary|president|"
    r"ethicist|expert|advis[eo]r|consultant|specialist|scientist|researcher|professor|"
    r"lawyer|counsel|solicitor|attorney|accountant|underwriter|surveyor|adjuster|supervisor|"
    r"executive|deputy|economist|statistician|actuary)"
)
ROLE_WORD = re.compile(rf"^{_ROLE_WORDS}s?$", re.IGNORECASE)  # "CEO", "officers"
_PERSON_Q = re.compile(
    rf"\bname of (?:the |our |your )?(?:[\w'’-]+ ){{0,4}}?{_ROLE_WORDS}s?\b"
    rf"|\bwho (?:is|was|are) (?:the |our )?(?:[\w'’-]+ ){{0,4}}?{_ROLE_WORDS}s?\b"
    r"|\bwho (?:leads|heads|runs|chairs|sponsors)\b",
    re.IGNORECASE,
)
# "who founded the podcast": a name, in a sentence that says so ("founded by", "its
# founder"), not the name of its host; the stems a sentence must hold, per verb
_MAKER_Q = re.compile(
    r"\bwho (?:first )?(founded|co-founded|created|invented|started|set up|launched|wrote|"
    r"authored|designed|hosts|hosted|presents|presented|built|developed|carried out|"
    r"conducted|commissioned)\b",
    re.IGNORECASE,
)
_MAKER_STEMS = {
    "founded": "founded founder established",
    "co-founded": "founded founder established",
    "created": "created creator founded founder",
    "invented": "invented inventor created creator",
    "started": "started founded founder launched",
    "set up": "set founded founder established",
    "launched": "launched started founded founder",
    "wrote": "wrote written writer author authored",
    "authored": "author authored wrote written",
    "designed": "designed designer",
    "hosts": "host hosted presenter",
    "hosted": "host hosted presenter",
    "presents": "presenter presents presented host",
    "presented": "presenter presented host",
    "built": "built builder developed",
    "developed": "developed developer built",
    "carried out": "carried conducted performed",
    "conducted": "conducted carried performed",
    "commissioned": "commissioned",
}
# a count of what is, not of what a rule requires: "how many champions are there today?"
_STATE_Q = re.compile(
    r"\b(?:today|currently|now|at the moment|so far|to date|in total|last (?:year|quarter|"
    r"month|week)|this (?:year|quarter|month))\b",
    re.IGNORECASE,
)
_INCUMBENT_Q = re.compile(r"\b(?:current|currently|now|today|name of|called)\b", re.IGNORECASE)
# "who is the chief data officer": the question names the post, so only its holder's
# name answers; "who is the owner of the standard" is answered by the role that owns it
_TITLE_Q = re.compile(
    r"\bwho (?:is|was) (?:the |our )?(?:[\w-]+ ){0,4}"
    r"(officer|head|lead|leader|manager|director|chief|ceo|cto|cio|cdo|chair)\b",
    re.IGNORECASE,
)
# "what is Ana's job title", "which position does she hold at the bank": the post a
# named person holds, so a sentence with a post (or a name given it) answers, and a row
# of names without one does not
_JOB_Q = re.compile(
    r"\bjob title\b|\b(?:what|which) (?:position|post|title|job)s? (?:does|did|do) .+ "
    r"(?:hold|have|occupy)\b"
    r"|\b(?:what|which) is (?:the )?[\w .'’-]+['’]s? (?:position|title|job)\b",
    re.IGNORECASE,
)
_DETERMINERS = frozenset(["the", "these", "those", "its", "their", "our", "all"])
_FUNCTION = frozenset(
    ["a", "an", "the", "and", "or", "of", "per", "in", "on", "at", "for", "to", "with", "by"]
)
_MONTH_STEMS = frozenset(tokenize(" ".join(MONTHS)))
_PLURAL_WORD = re.compile(r"[a-z]{3,}[^s']s$")  # "treaties", "scientists"; not "across"
# adjective endings ("banned", "international", "additional", "active", "reusable"); not
# "-ic", which many nouns share ("clinic", "topic")
_ADJECTIVE = re.compile(r"(?:[^e]ed|al|ive|ous|ful|able|ible)$", re.IGNORECASE)
_STOP_FOCUS = frozenset(
    tokenize("different separate distinct individual total overall new ai ml llm genai generative")
)  # "how many AI use cases": "10 use cases" counts them


@dataclass(frozen=True)
class Focus:
    kind: str  # count, duration, frequency, money, percent, year, named, person, role, date
    nouns: frozenset[str] = frozenset()  # for a count: stems of what is counted
    exclude: frozenset[str] = frozenset()  # capitalised words of the question (named)
    groups: tuple[frozenset[str], ...] = ()  # per counted word: its stems and synonyms
    literal: bool = False  # a name may be an identifier or a title ("what is the name of")
    state: bool = False  # a count of what there is ("... today?"), not what a rule requires
    rate: bool = False  # money as a charge, or how often as a share: a percentage answers it
    saving: bool = False  # time asked about as time saved ("how much time did it save")
    calendar: bool = False  # a date asked for as a day of the calendar ("from what date")
    origin: bool = False  # ... or as when something began: a year answers it too
    asked: frozenset[str] = frozenset()  # for a name: the word for what is named ("vendor")
    post: bool = False  # a role asked as the post someone holds: a name does not answer
    clock: bool = False  # a date asked as a time of day ("at what times are they sent")
    units: bool = False  # a duration asked as a number of time units ("how many days")
    # what the counted things do, when the head was guessed ("how many entries showed a
    # vacant owner"): a count in a sentence naming none of it counts other things
    predicate: frozenset[str] = frozenset()

    @property
    def selective(self) -> bool:
        """Whether holding such a fact sets a sentence apart (most sentences of a
        process say "after", "within" or "every": a date focus only checks support)."""
        return self.kind != "date" or self.calendar or self.clock

    def telling(self, text: str) -> bool:
        """Whether ``text`` holds a fact of this focus so particular that holding it is
        most of being about the question: a count of the very noun asked about, a
        duration, a share, an identifier or title for "what is the name of", an acronym
        for "which regulation" (GDPR); a year, an amount or a capitalised word is too
        common for that."""
        if self.kind == "count":
            return bool(self.nouns) and self.satisfied(text)
        if self.kind in ("duration", "frequency", "percent"):
            return self.satisfied(text)
        if self.kind == "date" and self.clock:
            return self.satisfied(text)
        if self.kind == "date" and self.calendar and not self.origin:
            # "from what date": "from 1 February 2027"; not any day in answer to when
            # something began
            return bool(_CALENDAR_DAY.search(text))
        if self.kind == "named":
            names = self.new_names(text)
            return self.literal and bool(names) or any(_ACRONYM.match(n) for n in names)
        return False

    def satisfied(self, text: str) -> bool:
        """Whether ``text`` holds a fact of this focus."""
        if self.kind == "duration":
            if not self.saving:
                # "saved about 700 hours" is time saved, not how long something took
                text = _TIME_SAVED.sub(" ", text)
            return bool((_SPAN_ONLY if self.units else _DURATION).search(text))
        if self.kind == "frequency":
            return bool(_FREQUENCY.search(text)) or self.rate and bool(_PERCENT.search(text))
        if self.kind == "money":
            words = set(tokenize(text))
            if self.nouns and not self.nouns & words and (_AMOUNT_NOUNS - self.nouns) & words:
                return False  # a contract's value answers nothing about what it costs
            # "the bill came to 4,000": a plain figure counts in a sentence about money,
            # not "a pilot with 300 users" in answer to what the pilot cost
            about_money = bool(self.nouns & words) or bool(_MONEY_WORD.search(text))
            if _MONEY.search(text) or about_money and _PLAIN_AMOUNT.search(text):
                return True
            # "a surcharge of 12 percent" answers "how much does it charge", while a cost
            # cut "by 60%" does not answer "how large a budget"
            return self.rate and bool(_PERCENT.search(text))
        if self.kind == "percent":
            # "15%", "by 40", "three times": a share or a factor, not any figure near "by"
            return bool(_PERCENT.search(text) or _FACTOR.search(text))
        if self.kind == "year":
            # "(Charrington, 2022)" dates a source cited, not what the text is about
            return bool(_YEAR.search(_CITATION.sub(" ", text)))
        if self.kind == "date" and self.clock:
            return bool(_CLOCK.search(text))
        if self.kind == "date":
            if self.origin and _YEAR.search(_CITATION.sub(" ", text)):
                return True
            return bool((_CALENDAR_DATE if self.calendar else _WHEN).search(text))
        if self.kind == "role":
            kind_person = Focus("person", exclude=self.exclude)
            if not self.post and kind_person.new_names(text):
                return True
            roles = {w.lower() for w in re.findall(rf"\b{_ROLE_WORDS}\b", text, re.IGNORECASE)}
            return bool(roles - self.exclude)
        if self.kind == "person" and self.nouns and not self.nouns & set(tokenize(text)):
            return False  # a name, but not said to hold the post asked about
        if self.kind == "named":
            # a table of names that lost its rows ("1 Toyota Adrien Gaidon Automotive 2 GSK
            # ...") names everything and says nothing about any one of them
            return 0 < len(self.new_names(text)) <= MAX_NAMES
        if self.kind == "person":
            return bool(self.new_names(text))
        if self.kind == "count":
            return self._counts(text)
        return True

    def _counts(self, text: str) -> bool:
        text = _CALENDAR_DAY.sub(" ", text)  # "from 1 March 2027 every agent": a date
        if not _NUMBER.search(text):
            return False
        if not self.nouns:
            return True
        if self.state:
            text = _RULE_QUANTITY.sub(" ", text)  # "at least one per unit" is a rule
        found = list(re.finditer(r"[\w%.,/-]+", text))
        words = [m.group(0).rstrip(".,") or m.group(0) for m in found]  # "eight." is eight
        stems = [set(tokenize(w.replace("-", " "))) for w in words]
        # "12 reviews", "the office": the stem of a word for people ("reviewers",
        # "officers"), but no people
        people = [
            st - _AGENT_STEMS if not _AGENT_FORM.search(w) else st
            for w, st in zip(words, stems, strict=True)
        ]
        following = [w.lower() for w in words[1:]] + [""]
        for i, word in enumerate(words):
            if not _NUMBER_TOKEN.match(word) or word.lower() in _ORDINALS:
                continue  # "a second review": not how many
            if (
                i == 0
                and re.fullmatch(r"\d+\.", found[i].group(0))
                and words[1:2]
                and words[1][:1].isupper()
            ):
                continue  # "4. Roles: Claims payments manager": a section's number
            share = "%" in word or following[i] == "percent"
            of = i + (2 if following[i] == "percent" else 1)
            if share and (
                not (of < len(words) and words[of].lower() == "of")
                or _CHANGE_BEFORE.search(text[: found[i].start()])
            ):
                continue  # "cut 15% of proposals" is no count; "samples 2 percent of all
                # letters" counts them
            if following[i] == "per":
                continue
            if (
                following[i] in _MEASURES
                and i + 1 < len(stems)
                and not any(group & stems[i + 1] for group in self.groups or (self.nouns,))
            ):
                continue  # "six months with their manager's agreement": months, not people
            # "22 interviews", "two million returns": every counted word (or a synonym)
            # within the four words after the figure
            start = of + 1 if share else i + 1
            spans = [(start, start + 4)]
            if i > 0 and text[: found[i].start()].rstrip().endswith(":"):
                # a table cell under its heading: "Requests per minute: 60"; not the cell
                # before it ("Who acts: Finance controller; What happens: 50 percent")
                cell = max(
                    (
                        n + 1
                        for n in range(max(i - 4, 0), i)
                        if ";" in text[found[n].end() : found[n + 1].start()]
                        or found[n].group(0).endswith(".")
                    ),
                    default=max(i - 4, 0),
                )
                spans.append((cell, i))
            closing = i == len(words) - 1 or found[i].group(0)[-1] in ".;"
            closing = closing or text[found[i].end() :].lstrip()[:1] in (";", ".")
            if closing and _LIMIT_BEFORE.search(text[: found[i].start()]):
                # a limit closing its sentence counts what the sentence named: "the
                # people who will see the data, at most eight"
                spans.append((max(i - 12, 0), i))
            window = set().union(*(st for a, b in spans for st in stems[a:b]))
            persons = set().union(*(st for a, b in spans for st in people[a:b]))
            if all(
                group & (persons if group & _PEOPLE else window)
                for group in self.groups or (self.nouns,)
            ):
                return True
        return False

    @cached_property
    def _asked_stems(self) -> frozenset[str]:
        return frozenset(tokenize(" ".join(sorted(self.asked))))

    @cached_property
    def _apposition(self) -> re.Pattern[str] | None:
        """A name given to something the question names, not to what it asks for:
        "Harbor, the claims assistant" answers no "which model does the claims assistant
        run on"; "Lumen, the model" would."""
        subject = [w for w in self.exclude - self.asked if len(w) > 3 and w not in _FUNCTION]
        if self.kind != "named" or not self.asked or not subject:
            return None
        noun = "|".join(re.escape(w) for w in sorted(subject))
        name = r"([A-Z][\w&.-]*[A-Za-z0-9]|[A-Z])"
        return re.compile(
            rf"\b{name},? (?i:(?:the|an?|our|its) (?:[\w-]+ ){{0,3}}?(?:{noun}))\b"
            rf"|\b(?i:(?:the|our|its) (?:[\w-]+ ){{0,3}}?(?:{noun}),? (?:called |named )?){name}\b"
        )

    def _appositives(self, text: str) -> set[str]:
        pattern = self._apposition
        if pattern is None:
            return set()
        return {g for m in pattern.finditer(text) for g in m.groups() if g}

    def person_names(self, text: str) -> list[str]:
        """The full names in ``text`` the question did not use ("Malin Ekdahl")."""
        found = (m.group(0) for m in _FULL_NAME.finditer(text))
        return [name for name in found if not set(name.lower().split()) <= self.exclude]

    def new_names(self, text: str) -> list[str]:
        """Capitalised words the question did not use (for a person: a first and a
        last name), leaving out a sentence's first word and acronyms such as AI."""
        if self.kind == "person":
            return self.person_names(text)
        # two or three capitalised words in a row are a person ("Ya Xu"); four are a name
        # ("Data Science Applied Research"), and so is any run asked for by name
        people: set[str] = set()
        run: list[str] = []
        for word in [*re.findall(r"[\w&'-]+", text), ""]:
            if _TITLE_WORD.match(word):
                run.append(word)
                continue
            if 2 <= len(run) <= 3 and not self.literal:
                people.update(run)
            run = []
        names = []
        if self.literal:
            names += [m.group(0) for m in _IDENTIFIER.finditer(text)]
            for quoted in _QUOTED_NAME.findall(text):
                if not set(re.findall(r"[\w&-]+", quoted.lower())) <= self.exclude:
                    names.append(quoted)
        cited = {m.span() for m in _CITATION.finditer(text)}
        titles = (
            {m.span() for m in _QUOTED_NAME.finditer(text)} if self.asked & _FIRM_HEADS else set()
        )
        appositives = self._appositives(text)
        for match in _CAPITALISED.finditer(text):
            word = match.group(0)
            if any(a <= match.start() < b for a, b in cited):
                continue  # "(Charrington, 2022)": an author cited, not a name in the text
            if any(a <= match.start() < b for a, b in titles):
                continue  # a course called "Images and AI" is no vendor
            if word in appositives:
                continue  # "Harbor, the claims assistant": the name of what is asked about
            if self.asked & _FIRM_HEADS and _DIGIT.search(word):
                continue  # "which company supplies the model": "EMB-07" is a version, no firm
            kind = _KIND_AFTER.match(text, match.end())
            if self.asked and kind and not set(tokenize(kind.group(1))) & self._asked_stems:
                continue  # "the ContractHub repository" names no model
            before = text[: match.start()].rstrip().rstrip("”’\"')]").rstrip()
            listed = (
                before[-1:] in (":", ";", "(", "•", "-")
                and text[match.end() : match.end() + 1] == ","
                and word.lower() not in _STARTERS
            )  # "approved: Harbor, the chat assistant": a name at the head of a list item
            if not before or before[-1] in _SENTENCE_START and not listed:
                continue  # capitalised anyway
            if word.lower() in self.exclude or word.upper() in _COMMON_CAPS:
                continue
            if word.lower() in _CALENDAR:
                continue  # "every Monday": a day, not a name
            if word.lower() in _LANGUAGES and not (
                _LANGUAGE_Q & self.exclude and "model" not in self.exclude
            ):
                continue  # "in German and Swedish": no name of the model or vendor asked
            if self.asked & _COUNTRY_Q and not _LANGUAGE_Q & self.exclude:
                # "work only in Marginalia": a tool, not the country asked for
                if word.lower() in _COUNTRIES:
                    names.append(word)
                continue
            if word in people:
                continue  # "Ya Xu" is a person, not the company, tool or place asked for
            if "-" in word and any(p.isalpha() and p.islower() for p in word.split("-")):
                continue  # "C-suite", "LLM-powered": a compound, not a name
            names.append(word)
        return names


# "How does Hedda work out which country's rules apply?", "Why does the board ask who
# ...": a way or a reason, not the name, person or place a clause inside mentions
MANNER_Q = re.compile(
    r"^\s*(?:how (?!many|much|far|long|big|large|old|often|soon|quickly|fast|high|low)\w+"
    r"|why)\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=512)
def focus_of(question: str) -> Focus | None:
    """The focus of a typed question, or None."""
    if _YEAR_Q.search(question):
        return Focus("year")
    manner = bool(MANNER_Q.match(question))
    maker = None if manner else _MAKER_Q.search(question)
    if maker:
        made = _MAKER_STEMS[maker.group(1).lower()]
        return Focus("person", nouns=frozenset(tokenize(made)), exclude=_capitalised(question))
    person = None if manner else _PERSON_Q.search(question)
    if person:
        # "who is the current head ...", "the name of the officer": a person's name;
        # "who is the owner of the standard": the role that owns it answers too
        title = _TITLE_Q.search(question)
        kind = "person" if _INCUMBENT_Q.search(question) or title else "role"
        # the post's head word ("officer", "head") is said of the person who holds it;
        # for a role, the asked post is what the answer must be about (knowledge.answer)
        post = frozenset(tokenize(title.group(1))) if title else frozenset()
        if kind == "role":
            roles = re.findall(rf"\b{_ROLE_WORDS}s?\b", person.group(0), re.IGNORECASE)
            post = frozenset(tokenize(" ".join(roles)))
        return Focus(kind, nouns=post, exclude=_capitalised(question))
    if not manner and _JOB_Q.search(question):
        return Focus("role", exclude=_capitalised(question), post=True)
    if _FREQUENCY_Q.search(question):
        return Focus("frequency", rate=bool(_OUTCOME_Q.search(question)))
    if _DURATION_Q.search(question):
        return Focus(
            "duration",
            saving=bool(_SAVE_Q.search(question)),
            units=bool(_UNITS_Q.search(question)),
        )
    if WHEN_Q.search(question):
        origin = bool(_ORIGIN_Q.search(question))
        return Focus(
            "date",
            calendar=origin or bool(_CALENDAR_Q.search(question)),
            origin=origin,
            clock=bool(_CLOCK_Q.search(question)),
        )
    if _PERCENT_Q.search(question):
        return Focus("percent")
    if _DISCOUNT_Q.search(question):
        # "what discount does the agreement give": a percentage or an amount off
        return Focus("money", nouns=_DISCOUNT_WORDS, rate=True)
    if _MONEY_Q.search(question):
        asked = set(tokenize(question))
        families = [family for family in _MONEY_FAMILIES if family & asked]
        # a fee is one of the costs asked about ("what does it cost": "a flat fee of
        # 6,000"), but only a question about a charge is answered by a percentage
        return Focus("money", nouns=frozenset().union(*families), rate=bool(_RATE_WORDS & asked))
    match = _COUNT_Q.search(question)
    if match:
        words = match.group(1).split()
        if words[:1] == ["of"]:
            # "how many of the practitioners interviewed ...": the practitioners counted
            words = words[2:] if words[1:2] and words[1].lower() in _DETERMINERS else words[1:]
        aux = next((i for i, w in enumerate(words) if _AUX_WORD.match(w)), None)
        # "how many worked examples must ...": up to the verb; "how many employees
        # work in ...": no verb in sight, so the first word is what is counted, or up to
        # the first plural ("how many outward treaties make up ...": treaties)
        plural = next((i for i, w in enumerate(words[:3]) if _PLURAL_WORD.match(w)), 0)
        counted = words[:aux] if aux else words[: plural + 1]
        guessed = not aux and plural > 0
        # the counted noun phrase ends at a function word: "returns [a day]",
        # "practitioners [and organisations]"
        end = next((i for i, w in enumerate(counted) if w.lower() in _FUNCTION), len(counted))
        groups = []
        required = []  # what a figure must be said of: the head and its noun modifiers
        phrase = counted[:end] or counted[:1]
        for n, word in enumerate(phrase):
            stems = frozenset(tokenize(word.replace("-", " "))) - _STOP_FOCUS
            if stems:
                groups.append(_with_synonyms(stems))
                # an adjective before the head is often said in other words ("banned
                # phrases": "blocks 38 phrases", "international conferences": "two
                # conferences abroad"); a noun modifier ("broker e-mails") is not, unless
                # the head was guessed: up to a plural with no verb in sight, only the
                # plural is sure ("how many claim payments leave": "6,500 payments")
                if n == len(phrase) - 1 or not (_ADJECTIVE.search(word) or guessed):
                    required.append(groups[-1])
        predicate: frozenset[str] = frozenset()
        if guessed:
            rest = question[match.start(1) :].split(None, len(phrase))[len(phrase) :]
            clause = re.split(r"[,;?]|\band\b", " ".join(rest))[0]
            predicate = (
                frozenset(t for t in tokenize(clause) if not t.isdigit() and t not in _MONTH_STEMS)
                - _STOP_FOCUS
            )
        return Focus(
            "count",
            nouns=frozenset().union(*groups),
            groups=tuple(required),
            state=bool(_STATE_Q.search(question)),
            predicate=predicate,
        )
    if _COUNT_ANY_Q.search(question) or _SCORE_Q.search(question):
        return Focus("count")
    if manner:
        return None
    if _NAMED_Q.search(question):
        heads = {w.lower() for w in re.findall(r"[\w-]+", question)} & _NAMED_HEADS
        return Focus("named", exclude=_capitalised(question), asked=frozenset(heads))
    if _NAME_OF_Q.search(question):
        return Focus("named", exclude=_capitalised(question), literal=True)
    return None


def _capitalised(question: str) -> frozenset[str]:
    """The question's words, and the parts of its compounds: a page may split "T-Mobile"
    into "T- Mobile" at a line break, and "Mobile" is then no new name."""
    words = [w.lower() for w in re.findall(r"[\w&.-]+", question)]
    return frozenset(words) | frozenset(p for w in words for p in re.split(r"[-.]", w) if p)


# "how many people": any word for people counts them ("seven voting members"); not
# "person", whose stem is also that of "personal"
_PEOPLE = frozenset(tokenize("people person persons individuals"))
# stems shared by a word for people and a word for a thing: reviewer/review,
# manager/management, officer/office, engineer/engine, user/use
_AGENT_STEMS = frozenset(tokenize("reviewers managers officers engineers users"))
_AGENT_FORM = re.compile(r"(?:er|or|ers|ors)$", re.IGNORECASE)
_PERSON_NOUNS = frozenset(
    tokenize(
        "people individuals members staff employees workers participants attendees "
        "users engineers scientists specialists experts handlers "
        "reviewers trainers managers officers volunteers representatives delegates"
    )
)


def _with_synonyms(nouns: frozenset[str]) -> frozenset[str]:
    from knowledge.retrieve import expand

    if nouns & _PEOPLE:
        nouns |= _PERSON_NOUNS
    return nouns | frozenset(expand(sorted(nouns)))


__all__ = [
    "LIMIT_PHRASES",
    "MONTHS",
    "MONTH_PATTERN",
    "ROLE_WORD",
    "WEEKDAYS",
    "WHEN_Q",
    "Focus",
    "focus_of",
]
