"""Answer units, answer-type checks and extractive choices, on hand-built passages.

These run without the embedding model: with no vectors the writer scores by shared
words alone, which is enough to pin down the rules (typed abstention, lists answered
as lists, figures preferred, nothing said about the document itself).
"""

from __future__ import annotations

from collections import Counter

from knowledge.answer import (
    answer_type,
    extractive_answer,
    has_entity,
    question_parts,
    supported,
)
from knowledge.documents import Chunk
from knowledge.index import IndexState, tokenize
from knowledge.passages import clean, is_meta, units
from knowledge.retrieve import Hit, expand


def _state(*chunks: Chunk) -> IndexState:
    df: Counter[str] = Counter()
    for chunk in chunks:
        df.update(set(tokenize(chunk.embed_text())))
    return IndexState(version=None, docs={}, chunks=list(chunks), df=dict(df))


def _chunk(text: str, section: str = "", n: int = 0) -> Chunk:
    return Chunk(
        id=f"c{n}", source=f"doc{n}.md", title="Review board", section=section, text=text, ordinal=0
    )


def _hits(*chunks: Chunk) -> list[Hit]:
    return [
        Hit(chunk=c, score=1.0 - i / 10, similarity=None, coverage=1.0)
        for i, c in enumerate(chunks)
    ]


FILLER = _chunk("Unrelated text about lunch menus and the car park rules for visitors.", n=9)


def _fillers() -> list[Chunk]:
    """Six more unrelated passages: enough chunks for a name's share of them to mean much."""
    return [_chunk(f"Filler text number {n} about bread and ovens.", n=10 + n) for n in range(6)]


# --- units ---------------------------------------------------------------------------


def test_a_list_after_a_colon_line_is_one_unit_followed_by_its_items() -> None:
    text = (
        "Report these every week:\nhours_saved - staff hours saved\n"
        "llm_cost - token spend\nusers - people who used it"
    )
    found = units(text, "The metrics")
    whole = next(u for u in found if u.items)
    assert whole.lead == "Report these every week"
    assert whole.items == (
        "hours_saved - staff hours saved",
        "llm_cost - token spend",
        "users - people who used it",
    )
    assert [u.text for u in found if u.in_list] == list(whole.items)


def test_a_line_ending_in_a_colon_leads_the_next_list_instead_of_joining_the_last() -> None:
    text = (
        "Gate: positive net value 4 weeks in a row. The digest then says ready to scale.\n"
        "Also required:\nrisk review signed off\nan operations owner named"
    )
    found = units(text, "Pilot to production")
    assert found[0].text == "Gate: positive net value 4 weeks in a row."
    whole = next(u for u in found if u.items)
    assert whole.lead == "Also required" and len(whole.items) == 2


def test_sentences_about_the_document_are_recognised() -> None:
    assert is_meta("This playbook says what to measure and how net value is calculated.")
    assert is_meta("Research note, part 2 of 3, on the implementing and scaling AI study.")
    assert not is_meta("Net value for a week = hours saved × hourly rate − LLM cost.")
    # a policy or standard describing its own scope is about the document too
    assert is_meta("This policy sets out how developers may use the coding assistant.")
    assert is_meta("This standard describes when an experiment is needed.")
    assert not is_meta("This policy applies from 1 March.")
    assert clean("The study (seed `study.txt`, 22 interviews) describes three levels.") == (
        "The study describes three levels."
    )


# --- answer types --------------------------------------------------------------------


def test_questions_are_typed_by_the_fact_they_ask_for() -> None:
    assert answer_type("What is the phone number of the on-call engineer?") == "phone"
    assert answer_type("Who is the current head of the spine team?") == "person"
    assert answer_type("Which office is the spine team located in?") == "place"
    assert answer_type("How many weeks must a pilot stay positive?") == "number"
    assert answer_type("When is the digest posted?") == "date"
    assert answer_type("What are the five metrics?") == "list"
    assert answer_type("What do I need before I can apply for a bakery course?") == "list"
    assert answer_type("What does a baker need to bring on day one?") is None
    assert answer_type("Who pays for the AI spine?") is None  # a role answers it
    assert answer_type("Why do we drop use cases?") is None
    # where an event is held asks for a venue; where something is kept may be a system
    assert answer_type("Where is the bakers' spring fair held?") == "place"
    assert answer_type("Where does the tasting day take place?") == "place"
    assert answer_type("Where are the recipes kept?") is None


def test_may_the_verb_is_no_date() -> None:
    assert not has_entity("date", "Bakers may taste the dough.")
    assert has_entity("date", "The fair opens in May.")


def test_entity_checks_need_the_kind_of_fact_asked_for() -> None:
    assert has_entity("phone", "Call the desk on +31 20 555 0100.")
    assert not has_entity("phone", "Call the on-call engineer through the rota.")
    assert has_entity("person", "The team is led by Maria Jansen.", "Who is the head of the team?")
    assert not has_entity("person", "The team lead signs off.", "Who is the head of the team?")
    assert has_entity("number", "It meets three times a month.")
    assert not has_entity("number", "It meets when needed.")


def test_a_phone_question_is_unsupported_by_passages_without_a_number() -> None:
    rota = _chunk(
        "The on-call engineer for the spine platform is reachable through the on-call rota "
        "in the ops channel."
    )
    state = _state(rota, FILLER)
    question = "What is the phone number of the on-call engineer?"
    assert not supported(question, _hits(rota), state)
    listed = _chunk(
        "The on-call engineer for the spine platform answers on +31 20 555 0100 at any hour.", n=1
    )
    assert supported(question, _hits(listed), _state(listed, FILLER))


def test_a_figure_for_a_named_period_needs_that_period() -> None:
    spend = _chunk(
        "The claims unit spent 4,000 on LLM tokens in 2024, mostly on the triage assistant."
    )
    state = _state(spend, FILLER)
    assert not supported(
        "How much did the claims unit spend on tokens in 2025?", _hits(spend), state
    )
    assert supported("How much did the claims unit spend on tokens in 2024?", _hits(spend), state)


def test_what_a_question_wants_named_in_words_the_corpus_never_uses_needs_full_confidence() -> None:
    from knowledge.answer import confidence_bar

    rota = _chunk("The cluster runs the bakery's rota and reports its metrics every week.")
    state = _state(rota, FILLER)
    # one unknown word in six: relief, unless it is the word for what is asked about
    gpus = "Which GPU types does the cluster run the bakery's rota on every week?"
    assert confidence_bar(gpus, state, 0.35) == 0.35
    assert confidence_bar("Which metrics does the cluster report weekly?", state, 0.35) < 0.35


def test_a_figure_belongs_to_the_year_written_nearest_to_it() -> None:
    edition = _chunk(
        "The 2027 hackathon is the second; the first, in 2026, drew 47 teams of staff."
    )
    state = _state(edition, FILLER)
    # the sentence names 2027, but its count is the 2026 edition's
    assert not supported("How many teams entered the 2027 hackathon?", _hits(edition), state)
    assert supported("How many teams entered the 2026 hackathon?", _hits(edition), state)


def test_a_count_of_one_body_s_members_is_not_another_s() -> None:
    board = _chunk(
        "The tasting committee meets monthly. The tasting board has seven voting members."
    )
    state = _state(board, FILLER)
    assert not supported("How many members sit on the tasting committee?", _hits(board), state)
    assert supported("How many members sit on the tasting board?", _hits(board), state)


def test_a_figure_on_the_topic_that_is_not_the_one_asked_for_supports_nothing() -> None:
    bank = _chunk(
        "The insurer's AI spine started with a mail assistant that saved 700 hours for the "
        "service desk of the insurer."
    )
    state = _state(bank, FILLER)
    assert not supported("How many employees work in the insurer's AI spine?", _hits(bank), state)
    assert not supported("In which year did the insurer's AI spine start?", _hits(bank), state)
    assert supported("How many hours did the insurer's mail assistant save?", _hits(bank), state)
    staffed = _chunk("The insurer's AI spine has 40 employees in three teams.", n=1)
    assert supported(
        "How many employees work in the insurer's AI spine?",
        _hits(staffed),
        _state(staffed, FILLER),
    )


def test_an_untyped_question_in_other_words_is_left_to_retrieval() -> None:
    funding = _chunk(
        "Top management allocates the spine's budget and it keeps a share of the savings."
    )
    assert supported("Who pays for the AI spine?", _hits(funding), _state(funding, FILLER))


# --- extractive choices --------------------------------------------------------------


def test_a_how_many_question_is_answered_by_the_sentence_with_the_figure() -> None:
    chunk = _chunk(
        "The review board checks the risk review of each use case before the board signs off.\n"
        "The board meets 2 times a month, on Tuesdays."
    )
    text, used = extractive_answer(
        "How often does the review board meet?", _hits(chunk), _state(chunk, FILLER)
    )
    assert text.startswith("The board meets 2 times a month")
    assert "checks the risk review" not in text
    assert used[0].chunk.id == chunk.id


def test_a_list_question_is_answered_with_the_whole_list_as_a_list() -> None:
    chunk = _chunk(
        "A use case needs five checks before it starts:\nowner named\nbudget approved\n"
        "risk tier set\n"
        "data source listed\nexit rule written\nThe spine team keeps the checklist in the wiki.",
        section="Checks",
    )
    text, _ = extractive_answer("What are the five checks?", _hits(chunk), _state(chunk, FILLER))
    lines = text.splitlines()
    assert lines[0].startswith("A use case needs five checks before it starts")
    assert lines[1:] == [
        "• owner named",
        "• budget approved",
        "• risk tier set",
        "• data source listed",
        "• exit rule written",
    ]


def test_a_sentence_about_the_document_is_never_the_answer() -> None:
    chunk = _chunk(
        "This playbook says how net value is calculated and how it is reported.\n"
        "Net value = hours saved × hourly rate + cost saved + revenue − LLM cost."
    )
    text, _ = extractive_answer("How is net value calculated?", _hits(chunk), _state(chunk, FILLER))
    assert "This playbook" not in text
    assert "hours saved × hourly rate + cost saved + revenue − LLM cost" in text


def test_a_question_quoted_in_a_document_is_not_an_answer() -> None:
    chunk = _chunk(
        "Ask it in a channel: what must a pilot show before production?\n"
        "A pilot moves up after positive net value four weeks in a row."
    )
    text, _ = extractive_answer(
        "What must a pilot show before production?", _hits(chunk), _state(chunk, FILLER)
    )
    assert "?" not in text and "four weeks in a row" in text


def test_vocabulary_gaps_are_expanded_to_the_documents_words() -> None:
    assert "drop" in expand(tokenize("What are the kill criteria?"))
    assert "budget" in expand(tokenize("How is the spine funded?"))
    assert "retent" in expand(tokenize("How long are logs kept?"))
    assert "except" in expand(tokenize("Can I bend the rules?"))
    assert "invoic" in expand(tokenize("On which day are the bills sent?"))
    assert expand(tokenize("What is net value?")) == []


def test_a_quotation_is_quoted_to_its_end() -> None:
    quote = _chunk(
        "The platform lead put it plainly. “Many teams assume tokens are free because the "
        "gateway is shared. They are cheap at first. They are not free at scale.” The team "
        "then added budgets."
    )
    text, _ = extractive_answer(
        "What did the platform lead say about tokens on the shared gateway?",
        _hits(quote),
        _state(quote, FILLER),
    )
    assert "not free at scale" in text


def test_a_which_plural_question_is_answered_with_the_whole_list() -> None:
    shifts = _chunk(
        "- From guessing to measuring\n- From silos to shared teams\n- From yearly plans to "
        "sprints\nThe shifts start at the top and take a year or more.",
        section="Required shifts",
    )
    assert answer_type("Which cultural shifts does the programme require?") == "list"
    text, _ = extractive_answer(
        "Which cultural shifts does the programme require?", _hits(shifts), _state(shifts, FILLER)
    )
    assert all(item in text for item in ("guessing to measuring", "silos", "yearly plans"))


def test_a_quotation_cut_by_a_chunk_boundary_is_finished_from_the_next_chunk() -> None:
    from knowledge.documents import chunk_id

    def part(text: str, ordinal: int) -> Chunk:
        return Chunk(
            id=chunk_id("study.txt", ordinal),
            source="study.txt",
            title="Study",
            section="",
            text=text,
            ordinal=ordinal,
        )

    first = part(
        "The platform lead described the rollout of the gateway: “The first model took a "
        "week. The pilot took two months. Rolling it out to every unit?",
        0,
    )
    second = part("Rolling it out to every unit?\nMore than a year.” Budgets came later.", 1)
    text, _ = extractive_answer(
        "How long did the platform lead say the gateway rollout took?",
        _hits(first),
        _state(first, second, FILLER),
    )
    assert "More than a year.”" in text
    assert "Budgets came later" not in text  # the quotation ends there


def test_two_sentences_of_one_passage_sharing_words_are_both_quoted() -> None:
    teams = _chunk(
        "The lab runs two horizontal data teams. One of them is called Data Applied "
        "Research, the lead's own team. A sister team is called Data Productivity."
    )
    text, _ = extractive_answer(
        "What are the lab's horizontal data teams called?", _hits(teams), _state(teams, FILLER)
    )
    assert "Data Applied Research" in text and "Data Productivity" in text


def test_a_list_written_as_prose_is_answered_with_every_step() -> None:
    prose = _chunk(
        "The review found three habits of strong teams. First, they measure value every "
        "week. Measuring late hides losses. Second, they drop use cases that fail twice "
        "And third, they share prompts across units. The review ended in May."
    )
    text, _ = extractive_answer(
        "What are the habits of strong teams?", _hits(prose), _state(prose, FILLER)
    )
    assert "three habits of strong teams" in text  # the sentence announcing them
    assert "• First, they measure value every week" in text
    assert "• Second, they drop use cases" in text  # a lost full stop before it
    assert "• And third, they share prompts" in text
    assert "The review ended" not in text


def test_a_prose_list_of_another_size_does_not_answer_a_counted_list_question() -> None:
    prose = _chunk(
        "The review found three habits of strong teams. First, they measure value every "
        "week. Second, they drop use cases that fail twice. Third, they share prompts."
    )
    text, _ = extractive_answer(
        "What are the five habits of strong teams?", _hits(prose), _state(prose, FILLER)
    )
    assert "• First" not in text


def test_a_count_of_the_asked_noun_at_another_firm_does_not_support_the_question() -> None:
    retailer = _chunk("At the retailer 100 employees work on use cases today.")
    coder = _chunk("The coding firm automated its coding work and cut its costs.", n=1)
    state = _state(retailer, coder, FILLER)
    question = "How many employees does the coding firm have?"
    assert not supported(question, _hits(coder, retailer), state)
    staffed = _chunk("The coding firm has 40 employees in three teams.", n=2)
    assert supported(question, _hits(staffed), _state(staffed, retailer, FILLER))


def test_ordinals_and_shares_are_not_counts_and_a_fine_is_money() -> None:
    from knowledge.focus import focus_of

    count = focus_of("How many proposals were accepted in the last round?")
    assert count is not None
    assert not count.satisfied("A proposer may ask for a second review once per proposal.")
    assert not count.satisfied("The change cut 15% of proposals.")
    assert count.satisfied("The round accepted 12 proposals.")
    fine = focus_of("What fine applies if logs are kept too long?")
    assert fine is not None and fine.kind == "money"
    assert not fine.satisfied("Prompts and replies are kept for 30 days.")
    assert fine.satisfied("Keeping logs too long brings a fine of 20,000 euros.")


def test_list_items_without_bullets_are_one_list_when_they_end_in_semicolons() -> None:
    found = units(
        "runs a monthly drop-in session for the unit's staff;\n"
        "collects ideas for new use cases and helps write the proposals;\n"
        "tests new prompts of the unit's use cases before they go live.\n"
        "Champions spend about four hours a week on the role.",
        "What a champion does",
    )
    whole = next(u for u in found if u.items)
    assert len(whole.items) == 3 and whole.lead == "What a champion does"
    assert found[-1].text == "Champions spend about four hours a week on the role."


def test_a_sentence_keeps_the_quotation_mark_that_closes_it() -> None:
    from knowledge.documents import split_sentences

    assert split_sentences('He said: "it scales." Firms agree. (See "The Spine.") Next.') == [
        'He said: "it scales."',
        "Firms agree.",
        '(See "The Spine.")',
        "Next.",
    ]
    assert split_sentences("She said: “it works.” Teams agree.") == [
        "She said: “it works.”",
        "Teams agree.",
    ]


def test_a_count_of_the_asked_noun_near_the_top_is_quoted_before_a_closer_sentence() -> None:
    retailer = _chunk(
        "The retailer runs its use cases in production on one reusable platform. "
        "Around 10 use cases are live."
    )
    text, _ = extractive_answer(
        "How many use cases does the retailer run in production?",
        _hits(retailer),
        _state(retailer, FILLER),
    )
    assert text.startswith("Around 10 use cases are live.")


def test_an_abbreviation_ends_no_sentence() -> None:
    from knowledge.documents import split_sentences

    assert split_sentences(
        "We follow the approach of Fisher et al. (2020), which uses podcasts. "
        "Image tools (e.g. Midjourney) came next. It is on p. 2 of the text."
    ) == [
        "We follow the approach of Fisher et al. (2020), which uses podcasts.",
        "Image tools (e.g. Midjourney) came next.",
        "It is on p. 2 of the text.",
    ]


def test_a_long_unit_is_quoted_where_the_question_words_are() -> None:
    rows = " ".join(f"{n} Firm{n} Person{n} Industry{n}" for n in range(1, 40))
    table = _chunk(f"Companies Interviewee Industry {rows} 40 Redfin Akshat Kaul Real estate")
    common = _chunk("Every industry uses AI, says the industry survey.", n=8)
    state = _state(table, FILLER, common)
    text, _ = extractive_answer("In what industry does Redfin operate?", _hits(table), state)
    assert "Redfin Akshat Kaul Real estate" in text
    assert text.startswith("…") and len(text) < 520


def test_bracketed_citations_are_not_embedded_but_are_still_quoted() -> None:
    from knowledge.passages import uncited

    text = (
        "It has been used in manufacturing (Shani et al., 1992), energy (Li et al., 2015; "
        "Yun and Lee, 2015) and shipping (see e.g., Geels, 2002). AI is a science "
        "(McCarthy, 2007, p. 2). The plan (2021 budget) stays."
    )
    assert uncited(text) == (
        "It has been used in manufacturing, energy and shipping. AI is a science. "
        "The plan (2021 budget) stays."
    )
    found = units(text)
    assert "(Shani et al., 1992)" in found[0].text and "Shani" not in found[0].embedded


def test_a_prose_list_near_another_sentence_answers_only_if_it_names_what_is_asked() -> None:
    intro = _chunk(
        "Generative tools include text models and image-based systems such as Midjourney "
        "and DALL-E. Others combine several kinds of input.",
        n=1,
    )
    practices = _chunk(
        "Leaders with generative AI follow three key practices. First, they widen scope. "
        "Second, they improve each use case. Third, they drop what fails.",
        n=2,
    )
    text, _ = extractive_answer(
        "Which image generators does the study list as examples of generative tools?",
        _hits(intro, practices),
        _state(intro, practices, FILLER),
    )
    assert "Midjourney" in text and "First, they widen scope" not in text


def _cosines(closeness: dict[str, float]):  # type: ignore[no-untyped-def]
    """A fake sentence model: a text starting with a key of ``closeness`` has that cosine
    to the question vector (read when embedding, so the dict may change between calls)."""
    import numpy as np

    def embed(texts: list[str]) -> np.ndarray:
        rows = []
        for text in texts:
            cos = next((v for k, v in closeness.items() if text.startswith(k)), 0.0)
            rows.append([cos, (1 - cos * cos) ** 0.5])
        return np.array(rows, dtype=np.float32)

    return embed, np.array([1.0, 0.0], dtype=np.float32)


def test_the_sentence_after_the_best_one_is_quoted_when_it_finishes_it() -> None:
    gsk = _chunk(
        "Some firms have further, more specific criteria for it. Kim Branson says: "
        "“the compute is really important for us. It is key to be unconstrained by "
        "compute.” Other firms plan their data centres differently, in many ways."
    )
    closeness = {"Some firms": 0.8, "Kim Branson": 0.5, "Other firms": 0.5}  # cosine
    embed, vector = _cosines(closeness)
    text, _ = extractive_answer(
        "What does the lab need?", _hits(gsk), _state(gsk, FILLER), vector=vector, embed=embed
    )
    assert "unconstrained by compute" in text  # the next sentence, and its quote finished
    assert "Other firms" not in text  # as close, but not the next sentence


def test_the_sentence_after_the_best_one_is_quoted_when_it_goes_on_about_it() -> None:
    board = _chunk(
        "Each new assistant needs a written plan for how it will be overseen. "
        "This includes who signs off its releases and which audits it must pass. "
        "Other teams keep their plans in a shared folder."
    )
    closeness = {"Each new": 0.8, "This includes": 0.45, "Other teams": 0.45}  # cosine
    embed, vector = _cosines(closeness)
    question = "What must the oversight plan of an assistant cover?"
    text, _ = extractive_answer(
        question, _hits(board), _state(board, FILLER), vector=vector, embed=embed
    )
    assert "which audits it must pass" in text  # "This includes ...": more on the plan
    assert "shared folder" not in text  # as close, but not the next sentence
    closeness["This includes"] = 0.1  # too far off even so
    text, _ = extractive_answer(
        question, _hits(board), _state(board, FILLER), vector=vector, embed=embed
    )
    assert "which audits" not in text


def test_a_name_asked_of_a_named_firm_needs_a_passage_about_that_firm() -> None:
    adp = _chunk("Jack Berkowitz, chief data officer at ADP, describes three gains.", n=1)
    gsk = _chunk("Dana Whitfield, chief data officer at GSK, leads the data office.", n=2)
    question = "Who is the chief data officer at GSK?"
    assert not supported(question, _hits(adp), _state(adp, gsk, FILLER))
    assert supported(question, _hits(gsk), _state(adp, gsk, FILLER))


def test_an_answer_from_one_passage_also_quotes_a_near_second_passage() -> None:
    first = _chunk("Gains come from reuse across all the units of the firm.", n=1)
    second = _chunk("Shared platforms lower the marginal cost of each new tool.", n=2)
    closeness = {"Gains": 0.8, "Shared": 0.57}  # cosine to the question
    embed, vector = _cosines(closeness)
    state = _state(first, second, FILLER)
    question = "Why does the approach pay off?"
    text, cited = extractive_answer(
        question, _hits(first, second), state, vector=vector, embed=embed
    )
    assert "marginal cost" in text and [h.chunk.id for h in cited] == ["c1", "c2"]
    closeness["Shared"] = 0.45  # farther off than the margin: one passage answers
    text, cited = extractive_answer(
        question, _hits(first, second), _state(first, second, FILLER), vector=vector, embed=embed
    )
    assert "marginal cost" not in text and len(cited) == 1


def test_who_holds_a_post_needs_a_passage_about_that_post() -> None:
    # the course's other roles do not say who trains it; the post itself says nothing
    other = _chunk("The welding course is booked by the site manager for each new team.", n=1)
    restated = _chunk("The welding course ends with a test marked by the trainer.", n=2)
    answer = _chunk("The welding course trainer is the safety lead of the plant.", n=3)
    question = "Who is the trainer of the welding course?"
    state = _state(other, restated, answer, FILLER)
    assert not supported(question, _hits(other, restated), state)
    assert supported(question, _hits(other, answer), state)


def test_what_came_after_an_event_quotes_the_sentence_telling_what_followed() -> None:
    story = _chunk(
        "First the bakery's team introduced a recipe assistant for the night shift. "
        "In a short trial the bakers saved about 300 hours. "
        "Later the oven logs were moved to a new store. "
        "Encouraged by that success, the team added a stock planner and a price checker.",
        n=1,
    )
    closeness = {"First": 0.8, "In": 0.55, "Later": 0.3, "Encouraged": 0.3}
    embed, vector = _cosines(closeness)
    state = _state(story, FILLER)
    after = "What did the team add after the recipe assistant worked?"
    text, _ = extractive_answer(after, _hits(story), state, vector=vector, embed=embed)
    assert "stock planner" in text
    plain = "What did the team introduce for the night shift?"
    text, _ = extractive_answer(plain, _hits(story), state, vector=vector, embed=embed)
    assert "stock planner" not in text


def test_a_question_about_someone_no_near_passage_names_is_not_supported() -> None:
    quote = _chunk("We standardised the pipelines so teams can ship models faster.", n=1)
    named = _chunk("Ada Brennan of Hearthworks says the bakery ships models weekly.", n=2)
    state = _state(quote, named, FILLER, *_fillers())
    question = "What did Hearthworks' Ada Brennan say about shipping models?"
    assert not supported(question, _hits(quote, FILLER), state)
    assert supported(question, _hits(quote, named), state)
    # a single capitalised word may be where, not whom, the question is about
    assert supported("How do teams ship models in Hearthworks?", _hits(quote, FILLER), state)
    # a post written in capitals is no name: "the CEO's" asks about whoever holds it
    assert supported("Could we copy the CEO's voice for adverts?", _hits(quote, FILLER), state)
    assert not supported("Could we copy the Brennan's voice?", _hits(quote, FILLER), state)


def test_a_question_asking_for_examples_prefers_the_sentence_that_gives_them() -> None:
    chunk = _chunk(
        "Bakeries have spent millions on general ovens for every shop. "
        "Ovens come in many kinds (e.g., deck ovens, rack ovens and tunnel ovens).",
        n=1,
    )
    closeness = {"Bakeries": 0.9, "Ovens": 0.5}
    embed, vector = _cosines(closeness)
    state = _state(chunk, FILLER)
    asked = "Which ovens does the guide give as examples of bakery ovens?"
    text, _ = extractive_answer(asked, _hits(chunk), state, vector=vector, embed=embed)
    assert "tunnel ovens" in text
    plain = "Which ovens does the guide name for bakery ovens?"
    text, _ = extractive_answer(plain, _hits(chunk), state, vector=vector, embed=embed)
    assert "tunnel ovens" not in text


def test_a_price_is_support_only_in_a_passage_about_what_is_priced() -> None:
    fee = _chunk("A repeat oven inspection is charged to the bakery at 400 euros.", n=1)
    priced = _chunk("A flour delivery audit costs the bakery 250 euros each spring.", n=2)
    state = _state(fee, priced, FILLER, *_fillers())
    # close in meaning, as a fee sentence is to a question about a price
    embed, vector = _cosines({"A": 0.6, "Filler": 0.1, "Unrelated": 0.1})
    question = "How much does a flour delivery audit cost the bakery?"
    assert not supported(question, _hits(fee, FILLER), state, vector=vector, embed=embed)
    assert supported(question, _hits(priced, fee), state, vector=vector, embed=embed)


def test_a_question_about_a_limit_prefers_the_sentence_stating_one() -> None:
    chunk = _chunk(
        "Flour is thrown away within five working days of the end of a trial. "
        "Access to the flour store is granted for at most 90 days.",
        n=1,
    )
    embed, vector = _cosines({"Flour": 0.9, "Access": 0.5})
    state = _state(chunk, FILLER)
    question = "What is the longest a trial can keep the flour store open?"
    text, _ = extractive_answer(question, _hits(chunk), state, vector=vector, embed=embed)
    assert "at most 90 days" in text
    plain = "How long can a trial keep the flour store open?"
    text, _ = extractive_answer(plain, _hits(chunk), state, vector=vector, embed=embed)
    assert "at most 90 days" not in text


def test_a_person_is_named_by_a_surname_the_corpus_never_writes_in_lower_case() -> None:
    # "Hale Bakeries" and "Crust Days" look like names, but the corpus writes "bakeries"
    # and "days" in lower case: a firm and an event, not the head of baking asked about
    firm = _chunk("The head of baking at Hale Bakeries plans the ovens for Crust Days.", n=1)
    other = _chunk("Small bakeries bake for three days before the fair.", n=2)
    named = _chunk("The head of baking is Ilse Brannvik, who plans the ovens.", n=3)
    state = _state(firm, other, named, FILLER, *_fillers())
    question = "What is the name of the current head of baking?"
    assert not supported(question, _hits(firm, other), state)
    assert supported(question, _hits(firm, named), state)


def test_the_name_of_an_expert_asks_for_a_person() -> None:
    board = _chunk("The oven board advises Hale Bakeries on safe and fair baking.", n=1)
    named = _chunk("The oven board's external ethicist is Ilse Brannvik.", n=2)
    state = _state(board, named, FILLER, *_fillers())
    question = "What is the name of the external ethicist on the oven board?"
    assert answer_type(question) == "person"
    assert not supported(question, _hits(board, FILLER), state)
    assert supported(question, _hits(board, named), state)


def test_an_address_question_needs_a_street_or_postcode_not_a_city() -> None:
    question = "What is the street address of the Hamburg bakery where the fair is held?"
    assert answer_type(question) == "address"
    assert answer_type("What is the e-mail address of the bakery desk?") == "email"
    city = _chunk("The fair is held twice a year in the Hamburg and Malmo bakeries.", n=1)
    street = _chunk("The Hamburg bakery of the fair is at Ofenstrasse 12, 20354 Hamburg.", n=2)
    state = _state(city, street, FILLER, *_fillers())
    assert not supported(question, _hits(city, FILLER), state)
    assert supported(question, _hits(city, street), state)
    assert has_entity("address", "Send the form to 12 Harbour Road, Leeds.")
    assert not has_entity("address", "Baking takes 30 Days in the Hamburg bakery.")


def test_a_two_part_question_is_answered_in_both_parts() -> None:
    checks = _chunk(
        "Each month the quality team checks a sample of 120 loaves against the recipe. "
        "The bakery moved into an old mill by the river some years ago. "
        "When fewer than 90 percent of them pass, the baker gets two weeks to fix it.",
        n=1,
    )
    embed, vector = _cosines({"Each month": 0.8, "The bakery": 0.3, "When fewer": 0.2})
    state = _state(checks, FILLER)
    both = "How many loaves are checked each month, and what pass rate is required?"
    text, _ = extractive_answer(both, _hits(checks), state, vector=vector, embed=embed)
    assert "120 loaves" in text and "90 percent" in text
    one = "How many loaves are checked each month?"
    text, _ = extractive_answer(one, _hits(checks), state, vector=vector, embed=embed)
    assert "120 loaves" in text and "90 percent" not in text


def test_a_second_half_in_other_words_is_answered_by_the_sentence_just_after() -> None:
    # "what do they hope for?" shares no word with "The target is ..." ("aim" would: it is
    # searched as "target" too): the sentence nearest in meaning to the half answers it
    # when it follows the one quoted
    def bakery(*sentences: str) -> Chunk:
        return _chunk(" ".join(sentences), n=1)

    count = "Each month the quality team checks a sample of 120 loaves against the recipe."
    target = "The target is that at least 92 percent of them pass."
    mill = "The bakery moved into an old mill by the river some years ago."
    oven = "Ovens are cleaned by the night shift once a week."
    closeness = {"Each month": 0.8, "The target": 0.1, "The bakery": 0.3, "Ovens": 0.5}
    embed, vector = _cosines(closeness)
    question = "When does the quality team check a sample of loaves, and what do they hope for?"
    for sentences, quoted in (((count, target, mill), True), ((count, mill, oven, target), False)):
        checks = bakery(*sentences)
        state = _state(checks, FILLER)
        text, _ = extractive_answer(question, _hits(checks), state, vector=vector, embed=embed)
        assert "120 loaves" in text
        assert ("92 percent" in text) is quoted, sentences
        assert "Ovens" not in text and "old mill" not in text
    assert question_parts("What must a baker pass first, and on how many loaves?") == [
        "What must a baker pass first?",
        "On how many loaves?",
    ]


def test_two_halves_asking_for_the_same_kind_of_fact_get_both_from_one_passage() -> None:
    idle = _chunk(
        "An oven that has not been used for 45 days is flagged, and its baker is asked "
        "whether it is still needed. Without an answer within ten days, the oven is "
        "taken back.",
        n=1,
    )
    other = _chunk("The desk assigns an oven within two working days of the request.", n=2)
    embed, vector = _cosines({"An oven": 0.8, "Without": 0.3, "The desk": 0.5})
    state = _state(idle, other, FILLER)
    question = (
        "How long can an oven sit idle before it is flagged, and how long does its baker "
        "then have to reply?"
    )
    text, _ = extractive_answer(question, _hits(idle, other), state, vector=vector, embed=embed)
    assert "45 days" in text and "ten days" in text
    assert "two working days" not in text


def test_what_someone_does_prefers_the_sentences_where_they_do_it() -> None:
    desk = _chunk(
        "Every week one baker acts as oven captain. "
        "Nobody is oven captain two weeks in a row. "
        "The captain assigns the loaves, watches the timers and runs the morning huddle.",
        n=1,
    )
    embed, vector = _cosines({"Every": 0.8, "Nobody": 0.3, "The captain": 0.62})
    state = _state(desk, FILLER)
    question = "What does the bakery's oven captain do?"
    text, _ = extractive_answer(question, _hits(desk), state, vector=vector, embed=embed)
    assert "The captain assigns the loaves" in text
    question = "Who is the bakery's oven captain?"
    text, _ = extractive_answer(question, _hits(desk), state, vector=vector, embed=embed)
    assert "The captain assigns the loaves" not in text


def test_a_why_question_prefers_the_sentence_giving_the_reason() -> None:
    quote = _chunk(
        "Freshness is an important aspect of baking at scale for every bakery. "
        "The second thing is freshness, because stale bread costs customers their breakfast.",
        n=1,
    )
    embed, vector = _cosines({"Freshness": 0.8, "The second": 0.5})
    state = _state(quote, FILLER)
    why = "Why does freshness matter so much to the bakery?"
    text, _ = extractive_answer(why, _hits(quote), state, vector=vector, embed=embed)
    assert "because stale bread" in text
    what = "What does the bakery say about freshness at scale?"
    text, _ = extractive_answer(what, _hits(quote), state, vector=vector, embed=embed)
    assert "because stale bread" not in text


def test_a_name_or_count_is_support_only_in_a_passage_about_what_was_asked() -> None:
    other = _chunk("The tasting panel is chaired by Mara Lindqvist; it has 7 members.", n=1)
    asked = _chunk("The flour council has 5 members and meets on Mondays.", n=2)
    state = _state(other, asked, FILLER, *_fillers())
    embed, vector = _cosines(
        {"The tasting": 0.6, "The flour": 0.6, "Filler": 0.1, "Unrelated": 0.1}
    )
    question = "How many members sit on the flour council?"
    # seven members, but of a panel the question does not ask about
    assert not supported(question, _hits(other, FILLER), state, vector=vector, embed=embed)
    assert supported(question, _hits(asked, other), state, vector=vector, embed=embed)
    # a word the corpus never uses ("accompany") is no evidence either way
    assert supported(
        "How many members accompany, escort and advise the council?",
        _hits(asked),
        state,
        vector=vector,
        embed=embed,
    )


def test_a_two_word_term_of_the_question_must_be_in_the_answering_passage() -> None:
    board = _chunk(
        "The tasting board is chaired by the head baker; the works council sends one.", n=1
    )
    council = _chunk("The flour council meets every Monday and keeps the price list.", n=2)
    chaired = _chunk("The flour council is chaired by the head of milling.", n=3)
    state = _state(board, council, chaired, FILLER, *_fillers())
    embed, vector = _cosines(
        {"The tasting": 0.6, "The flour": 0.6, "Filler": 0.1, "Unrelated": 0.1}
    )
    question = "Who chairs the flour council?"
    # "council" and a chair, but of another body: "flour council" is the term asked about
    assert not supported(question, _hits(board, council), state, vector=vector, embed=embed)
    assert supported(question, _hits(chaired, board), state, vector=vector, embed=embed)
    # a term no passage uses ("oven guild") asks nothing of the passage
    assert supported(
        "Who chairs the oven guild's flour council?",
        _hits(chaired, board),
        state,
        vector=vector,
        embed=embed,
    )


def test_the_best_passage_s_own_sentence_leads_when_it_is_nearly_the_best() -> None:
    """Retrieval weighed each passage whole; a sentence of the first passage scoring a
    little below one of the second comes first, and the first passage is source [1]."""
    first = _chunk(
        "The board checks that each trial has a named owner, a budget line and a written "
        "exit plan before a pilot.",
        n=1,
    )
    second = _chunk("The review board checks the prompts and data sources of every pilot.", n=2)
    text, used = extractive_answer(
        "What does the review board check in a pilot?",
        _hits(first, second),
        _state(first, second, FILLER),
    )
    assert text.startswith("The board checks that each trial has a named owner")
    assert "The review board checks the prompts" in text
    assert [hit.chunk.id for hit in used] == ["c1", "c2"]


def test_the_post_someone_holds_needs_a_post_not_a_row_of_names() -> None:
    """ "What is X's job title" asks for a post: a table row that names the person and
    their firm's sector says nothing of it; a sentence giving the post answers."""
    question = "What is Jonas Lind's job title at Tidewater?"
    row = _chunk("4 Northwind Ana Berg Software 5 Tidewater Jonas Lind Media 6 Orbis", n=1)
    assert not supported(question, _hits(row), _state(row, FILLER, *_fillers()))
    said = _chunk(
        "Jonas Lind, lead data scientist at Tidewater, described the newsroom tools.", n=2
    )
    assert supported(question, _hits(said), _state(said, FILLER, *_fillers()))


def test_a_counted_list_question_quotes_the_run_of_that_many_items_after_the_best() -> None:
    def passage(names: str) -> Chunk:
        return _chunk(
            "Scanned forms in a language on the checking list are read twice: a colleague "
            "confirms the reading before the claim moves on. The list is kept by the "
            "forms desk and reviewed in spring. When the service opened, the list held "
            f"{names}. Forms in other languages go to the translation office."
        )

    closeness = {"Scanned forms": 0.8, "The list": 0.4, "When the": 0.3, "Forms in": 0.3}
    question = "What are the four languages in which a colleague confirms the reading?"
    for names, quoted in (
        ("Polish, Finnish, Czech and Hungarian", True),
        ("Polish, Finnish and Czech", False),  # three items do not answer "the four"
    ):
        chunk = passage(names)
        embed, vector = _cosines(closeness)
        text, _ = extractive_answer(
            question, _hits(chunk), _state(chunk, FILLER), vector=vector, embed=embed
        )
        assert text.startswith("Scanned forms")
        assert (names in text) is quoted, text


def test_who_holds_a_post_is_supported_by_the_sentence_naming_the_post_in_its_words() -> None:
    # "business" and "owner" are everywhere, so the sentence shares little of the
    # question's rare-word weight, and it is only fairly close in meaning
    owners = [_chunk(f"Case {n}: the business case has an owner.", n=20 + n) for n in range(6)]
    named = _chunk(
        "Tidewater forecasts the calls of the contact centre. The business owner is "
        "Jonas Brennan, head of workforce planning.",
        n=1,
    )
    other = _chunk(
        "Tidewater forecasts the calls of the contact centre. The model owner is Signe "
        "Achterberg, lead data scientist.",
        n=2,
    )
    closeness = {"Tidewater": 0.3, "The business owner": 0.4, "The model owner": 0.4}
    embed, vector = _cosines(closeness)
    question = "Who is the business owner of Tidewater?"
    for chunk, answered in ((named, True), (other, False)):
        state = _state(chunk, *owners, FILLER)
        assert supported(question, _hits(chunk), state, vector=vector, embed=embed) is answered


def test_an_answer_keeps_to_the_documents_naming_what_the_question_names() -> None:
    from dataclasses import replace

    from knowledge.index import DocEntry

    quarry = _chunk(
        "Quarry helps the legal team. Legal looks at four measures every month: recall, "
        "acknowledgements, review time and overturned decisions.",
        n=1,
    )
    quarry_more = replace(
        _chunk("Legal also counts how many measures missed their target.", n=1), id="c1b"
    )
    named_doc = replace(_chunk("Quarry is the legal search assistant of the spine.", n=1), id="c1c")
    surveyor = _chunk(
        "The spine tracks three measures for Surveyor:\n- the edit rate\n- unsupported "
        "statements\n- the time to issue",
        n=2,
    )
    closeness = {"Quarry": 0.3, "Legal": 0.5, "The spine tracks": 0.9, "- the": 0.6}
    embed, vector = _cosines(closeness)
    state = _state(quarry, quarry_more, named_doc, surveyor, FILLER, *_fillers())
    state.docs = {
        "doc1.md": DocEntry(hash="a", ids=["c1", "c1b", "c1c"]),
        "doc2.md": DocEntry(hash="b", ids=["c2"]),
    }
    state.positions = {chunk.id: i for i, chunk in enumerate(state.chunks)}
    question = "Which measures does Legal track for Quarry?"
    for first in (quarry, quarry_more):  # the name in the passage, or only in its document
        text, used = extractive_answer(
            question, _hits(first, surveyor), state, vector=vector, embed=embed
        )
        assert "Surveyor" not in text and "edit rate" not in text, text
        assert used[0].chunk.source == "doc1.md"


def test_the_step_a_question_picks_by_its_place_follows_the_sentence_announcing_the_steps() -> None:
    chunk = _chunk(
        "Bakers name four reasons to open a second oven line. "
        "First, a second line is considered essential for any bakery above a certain size. "
        "As one head baker puts it, queues at the door cost more than the oven. "
        "Second, the dough rests better when no batch waits. "
        "The tasting panel meets on Fridays."
    )
    state = _state(chunk, FILLER, *_fillers())
    question = "What is the first of the four reasons to open a second oven line?"
    text, _ = extractive_answer(question, _hits(chunk), state)
    assert text.startswith("Bakers name four reasons")
    assert "First, a second line is considered essential" in text
    # the second reason is another step: not what was asked
    assert "dough rests" not in text


def test_the_last_of_the_steps_named_with_the_question_s_noun_in_another_passage_leads() -> None:
    overview = _chunk(
        "Oven problems can be broken down into three main, connected areas. "
        "They must be handled together for the bakery to grow.",
        n=1,
    )
    first = _chunk("The first problem is the age of the ovens.", n=2)
    third = _chunk(
        "The third problem is staff training. Bakers need a week of courses a year.", n=3
    )
    state = _state(overview, first, third, FILLER, *_fillers())
    question = "What is the last of the three problem areas in the oven report?"
    text, used = extractive_answer(question, _hits(overview, first, third), state)
    assert text.startswith("The third problem is staff training")
    assert used[0].chunk.id == "c3"


def test_a_quoted_quotation_comes_with_the_sentence_that_says_whose_it_is() -> None:
    chunk = _chunk(
        "Ovens age faster than bakers expect. According to Ada Brennan from Crumbworks, a "
        "steady oven matters most:\n\n“We bake the same loaf every morning, and the oven must "
        "not surprise us, because a surprise at five in the morning means three hundred loaves "
        "that nobody can sell, a van that leaves late for every shop on the round, and a team "
        "that spends the rest of the day making up for an hour that nobody planned for at all.”"
        "\n\nThe tasting panel meets on Fridays."
    )
    state = _state(chunk, FILLER, *_fillers())
    question = "Why must the oven not surprise the bakers who bake the same loaf every morning?"
    text, _ = extractive_answer(question, _hits(chunk), state)
    assert "“We bake the same loaf" in text
    assert text.index("According to Ada Brennan") < text.index("“We bake")
