"""Retrieval, abstention and cited answers (extractive and through a fake chat model)."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from knowledge.answer import ABSTAIN_TEXT, SYSTEM_PROMPT
from knowledge.service import KnowledgeService
from spinebot.settings import Settings


def cited_numbers(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d+)\]", text)}


def test_keyword_search_finds_an_exact_code_the_embedding_blurs(service: KnowledgeService) -> None:
    """An opaque ticket-queue code means nothing to the embedding model; bm25 finds it."""
    retrieval = service.retriever.search("QZX-4471", mode="keyword")
    assert retrieval.hits[0].chunk.source.endswith("codes.md")
    hybrid = service.retriever.search("Which queue is QZX-4471?", mode="hybrid")
    assert hybrid.hits[0].chunk.source.endswith("codes.md")


def test_dense_search_finds_a_paraphrase_without_shared_words(service: KnowledgeService) -> None:
    question = "Who automated hospital paperwork classification?"
    assert service.retriever.search(question, mode="keyword").hits == []
    top = service.retriever.search(question, mode="dense").hits[0].chunk
    assert top.source.endswith("cases.txt") and top.section == "Medical coding"


def test_hybrid_scores_are_fused_relevance_between_zero_and_one(
    service: KnowledgeService,
) -> None:
    hits = service.retriever.search("When does a pilot move to production?").hits
    assert all(0.0 <= hit.score <= 1.0 for hit in hits)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    assert hits[0].chunk.section == "Pilot to production"


def test_retrieval_is_trimmed_to_the_context_budget(service: KnowledgeService) -> None:
    hits = service.retriever.search("use case value weeks", budget=500).hits
    assert len(hits) >= 1
    assert sum(len(hit.chunk.text) for hit in hits[1:]) + len(hits[0].chunk.text) <= max(
        500, len(hits[0].chunk.text)
    )


def test_extractive_answer_cites_the_passage_it_quotes(service: KnowledgeService) -> None:
    answer = service.ask("When does a pilot move to production?")
    assert not answer.abstained
    assert "four weeks in a row" in answer.text
    assert cited_numbers(answer.text) == set(range(1, len(answer.sources) + 1))
    first = answer.sources[0]
    assert first.section == "Pilot to production"
    assert first.url == "https://wiki.example.com/phase-gates"
    assert answer.latency_ms > 0


def test_off_topic_questions_abstain_with_a_pointer_to_people(
    service: KnowledgeService,
) -> None:
    answer = service.ask("What is the recipe for lasagne?")
    assert answer.abstained
    assert answer.sources == []
    assert answer.text == ABSTAIN_TEXT and "spine team" in answer.text
    assert answer.to_dict()["abstained"] is True


def test_an_empty_index_abstains_instead_of_failing(settings: Settings) -> None:
    answer = KnowledgeService(settings).ask("When does a pilot move to production?")
    assert answer.abstained and answer.sources == []


def test_a_follow_up_uses_the_thread_for_context(service: KnowledgeService) -> None:
    answer = service.ask(
        "And how much did handling time fall?",
        history=["Tell me about the retail bank email assistant."],
    )
    assert not answer.abstained
    assert answer.sources[0].section == "Bank email assistant"


def test_a_chat_model_answer_keeps_only_the_passages_it_cited(
    settings: Settings, corpus: Path
) -> None:
    model = GenericFakeChatModel(
        messages=iter([AIMessage("Pilots need four good weeks [3] and a support rota [3].")])
    )
    service = KnowledgeService(settings, chat_model=model)
    service.ingest([corpus])
    answer = service.ask("When does a pilot move to production?")
    assert not answer.abstained
    assert answer.text == "Pilots need four good weeks [1] and a support rota [1]."
    assert len(answer.sources) == 1


def test_a_chat_model_that_does_not_know_makes_the_answer_abstain(
    settings: Settings, corpus: Path
) -> None:
    model = GenericFakeChatModel(messages=iter([AIMessage("I don't know based on the passages.")]))
    service = KnowledgeService(settings, chat_model=model)
    service.ingest([corpus])
    answer = service.ask("When does a pilot move to production?")
    assert answer.abstained and answer.sources == []


def test_the_prompt_limits_the_model_to_numbered_passages(settings: Settings, corpus: Path) -> None:
    seen: list[list] = []

    class Recording(GenericFakeChatModel):
        def invoke(self, messages, *args, **kwargs):  # type: ignore[no-untyped-def, override]
            seen.append(messages)
            return super().invoke(messages, *args, **kwargs)

    service = KnowledgeService(settings, chat_model=Recording(messages=iter([AIMessage("x [1]")])))
    service.ingest([corpus])
    service.ask("When does a pilot move to production?")
    system, human = seen[0]
    assert (
        system.content == SYSTEM_PROMPT and "only the numbered passages" in system.content.lower()
    )
    assert human.content.startswith(
        "Passages:\n[1] Phase gates for use cases > Pilot to production"
    )
    assert human.content.rstrip().endswith("Question: When does a pilot move to production?")


def test_ask_is_safe_from_many_threads_at_once(service: KnowledgeService) -> None:
    fresh = KnowledgeService(service.settings)  # lazy init races on purpose
    results: list[bool] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(fresh.ask("When does a pilot move to production?").abstained)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and results == [False] * 8


def test_a_list_is_quoted_whole_under_its_heading(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "team"
    folder.mkdir()
    (folder / "roles.md").write_text(
        "# Spine team\n\n## Roles the spine team needs\n\n"
        "- Data engineer\n- Risk officer\n- Product owner\n\n"
        "## Budget\n\nThe spine team is funded centrally by the executive board.\n"
    )
    service = KnowledgeService(settings)
    service.ingest([folder])
    answer = service.ask("Which roles does the spine team need?")
    assert not answer.abstained
    assert answer.text.splitlines() == [
        "Roles the spine team needs: [1]",
        "• Data engineer",
        "• Risk officer",
        "• Product owner",
    ]


def test_a_question_for_a_fact_no_passage_holds_abstains_with_related_reading(
    service: KnowledgeService,
) -> None:
    """The spine team is all over the corpus; its phone number is nowhere."""
    answer = service.ask("What is the phone number of the spine team?")
    assert answer.abstained and answer.sources == []
    assert answer.related and all(source.text for source in answer.related)
    assert answer.to_dict()["related"][0]["source"] == answer.related[0].source


def test_a_question_answered_in_other_words_is_not_abstained_on(
    service: KnowledgeService,
) -> None:
    answer = service.ask("Who takes over the hosting once a use case is a platform?")
    assert not answer.abstained and answer.related == []
    assert "platform team" in answer.text


def test_a_how_many_question_gets_the_sentence_with_the_figure(service: KnowledgeService) -> None:
    answer = service.ask("How many business units must adopt a use case before it is a platform?")
    assert answer.text.startswith("A production use case becomes a platform when at least three")


def test_kill_criteria_find_the_drop_rules(service: KnowledgeService) -> None:
    """No document says "kill"; the expansion to drop/stop bridges the gap."""
    for mode in ("keyword", "hybrid"):
        top = service.retriever.search("What are the kill criteria?", mode=mode).hits[0]
        assert top.chunk.source.endswith("dropping.md"), mode


def test_unit_vectors_are_stored_at_ingest_and_reloaded(service: KnowledgeService) -> None:
    from knowledge.index import KnowledgeIndex
    from knowledge.passages import units

    state = service.index.state()
    for chunk in state.chunks:
        assert len(state.unit_vectors[chunk.id]) == len(units(chunk.text, chunk.section))
    reloaded = KnowledgeIndex(service.settings).state()
    assert set(reloaded.unit_vectors) == {chunk.id for chunk in state.chunks}


def test_a_failing_chat_model_falls_back_to_an_extractive_answer(
    settings: Settings, corpus: Path
) -> None:
    class Broken(GenericFakeChatModel):
        def invoke(self, *args, **kwargs):  # type: ignore[no-untyped-def, override]
            raise ConnectionError("model endpoint down")

    service = KnowledgeService(settings, chat_model=Broken(messages=iter([])))
    service.ingest([corpus])
    answer = service.ask("When does a pilot move to production?")
    assert not answer.abstained
    assert "four weeks in a row" in answer.text and "[1]" in answer.text


def test_questions_are_answered_while_an_ingest_is_running(
    service: KnowledgeService, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long re-index holds the ingest lock, never the lock readers need."""
    import knowledge.index as index_module

    entered, release = threading.Event(), threading.Event()
    original = index_module.load_document

    def slow_load(*args, **kwargs):  # type: ignore[no-untyped-def]
        entered.set()
        release.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(index_module, "load_document", slow_load)
    monkeypatch.setattr(index_module, "REFRESH_SECONDS", 0.0)  # every ask re-checks
    (corpus / "new.md").write_text("# New\n\nA brand new note about demo days.\n")
    answers: list[bool] = []
    worker = threading.Thread(target=service.ingest, args=([corpus],))
    asker = threading.Thread(
        target=lambda: answers.append(service.ask("When does a pilot move on?").abstained)
    )
    worker.start()
    try:
        assert entered.wait(30)
        asker.start()
        asker.join(30)  # a deadlock would leave it blocked behind the ingest
        assert not asker.is_alive() and answers == [False]
    finally:
        release.set()
        worker.join()
        asker.join()


def test_a_passage_naming_the_rare_name_asked_about_ranks_first(
    settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "firms.md").write_text(
        "# How our firms are organised\n\n"
        "Our firms work in many business areas, such as retail, media and travel, and each "
        "area runs its own data team with its own roadmap for the year.\n"
    )
    (tmp_path / "cases.md").write_text(
        "# Case table\n\n"
        "1 Hearthworks Baking group active in bakeries, flour trading and food delivery "
        "2 Oventrix Hardware maker of ovens 3 Crumbly Retail chain of cafés\n"
    )
    service = KnowledgeService(settings)
    service.ingest([tmp_path])
    hits = service.retriever.search("Which business areas does Hearthworks operate in?").hits
    assert hits[0].chunk.source.endswith("cases.md")


def test_a_name_question_whose_quoted_sentences_name_nothing_abstains(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some retrieved sentence may name something (a clinic), so that the question looks
    answered; but when the sentences worth quoting name no supplier, an answer without
    the name asked for says nothing: the knowledge base does not say who supplies it."""
    folder = tmp_path / "clinics"
    folder.mkdir()
    (folder / "clinics.md").write_text(
        "# Spine clinics\n\n## Booking a slot\n\n"
        "Book through Kalendra, the staff booking tool, at least two working days ahead.\n\n"
        "## Hosts\n\nClinics are hosted by the spine's engineers in turn.\n"
    )
    service = KnowledgeService(settings)
    service.ingest([folder])
    import knowledge.answer as answer_module

    monkeypatch.setattr(answer_module, "supported", lambda *args, **kwargs: True)
    answer = service.ask("Which supplier provides the Kalendra booking tool?")
    assert answer.abstained and answer.sources == [], answer.text
    assert answer.related and "Kalendra" in answer.related[0].text
    named = service.ask("Which tool do staff book clinic slots through?")
    assert not named.abstained and "Kalendra" in named.text
    monkeypatch.setattr(answer_module, "FOCUS_IN_ANSWER", frozenset())
    assert not service.ask("Which supplier provides the Kalendra booking tool?").abstained


def test_answer_has_focus_looks_for_the_kind_of_fact_in_the_quoted_text() -> None:
    from knowledge.answer import answer_has_focus

    question = "Which vendor supplies the transcription model?"
    assert not answer_has_focus(question, "The model runs in our own data centre. [1]")
    assert answer_has_focus(question, "Transcripts come from Sonara, chosen in 2025. [1]")
    # a question with no focus of that kind is never held to it
    assert answer_has_focus("How is net value calculated?", "Value minus cost. [1]")
    assert answer_has_focus("How many people sit on the panel?", "The panel meets monthly. [1]")
    # how long something lasted needs a length of time in what is quoted
    weeks = "How many weeks did the first bakery pilot last?"
    assert not answer_has_focus(weeks, "In the first pilot, bakers saved some effort. [1]")
    assert answer_has_focus(weeks, "The first pilot ran for six weeks in two shops. [1]")


def test_a_person_asked_for_by_post_is_named_holding_that_post() -> None:
    from knowledge.answer import answer_has_focus

    question = "What is the name of the data protection officer who signs the form?"
    assert not answer_has_focus(
        question, "The risk and compliance officer, Sofie Lund, checks the form. [1]"
    )
    assert answer_has_focus(question, "The data protection officer, Ines Moreau, signs it. [1]")
    # a post in one word leaves the name to the other checks
    assert answer_has_focus("Who is the owner?", "The form is kept by Ines Moreau. [1]")


def test_an_answer_names_the_period_the_question_names() -> None:
    from knowledge.answer import answer_has_focus

    question = "What was the spine's carbon footprint in 2026?"
    assert not answer_has_focus(question, "The carbon budget for 2027 is 42 tonnes. [1]")
    assert answer_has_focus(question, "In 2026 the spine emitted 39 tonnes of CO2e. [1]")


def test_a_name_given_for_which_model_or_tool_must_be_said_to_be_one() -> None:
    from knowledge.answer import answer_has_focus

    model = "Which language model does Atlas run on?"
    # a name, but of the maps Atlas reads: nothing says which model it runs on
    assert not answer_has_focus(
        model, "Atlas reads the broker's file and flood maps licensed from GeoRisk Nordic. [1]"
    )
    assert answer_has_focus(model, "Atlas runs on Lumen behind the gateway. [1]")
    assert answer_has_focus(model, "Since May, the Lumen model answers for Atlas. [1]")
    tool = "Which tool stores the feedback comments?"
    assert answer_has_focus(tool, "Each comment is kept in Sift for a year. [1]")
    # "the tracker" is the question's own word, not the answer saying Halden is a tool
    assert not answer_has_focus(
        "Which tool is the portfolio tracker built on?",
        "The tracker's figures are checked by Halden before each review. [1]",
    )


def test_a_figure_bounded_as_the_question_bounds_it_picks_the_row(
    settings: Settings, tmp_path: Path
) -> None:
    """Both rows hold "EUR 3,000"; the question's "above EUR 3,000" is the second row."""
    folder = tmp_path / "routing"
    folder.mkdir()
    (folder / "claims.md").write_text(
        "# Pet claims routing\n\n## Where a claim goes\n\n"
        "| Situation | Queue | Service level |\n| --- | --- | --- |\n"
        "| Amount up to EUR 600 | Paid straight through | Same day |\n"
        "| Amount above EUR 600 and up to EUR 3,000 | Pet claims handlers | "
        "Decision within 3 working days |\n"
        "| Amount above EUR 3,000 | Senior pet claims handlers | "
        "Decision within 7 working days |\n"
    )
    service = KnowledgeService(settings)
    service.ingest([folder])
    answer = service.ask("Which queue handles pet claims above EUR 3,000?")
    assert not answer.abstained
    assert answer.text.startswith("Situation: Amount above EUR 3,000"), answer.text
    assert "Senior pet claims handlers" in answer.text.splitlines()[0]


def test_figure_phrases_skip_names_with_digits_and_years() -> None:
    from knowledge.answer import _figure_phrases

    assert _figure_phrases("Where do claims above EUR 3,000 go?") == [" above eur 3000 "]
    assert _figure_phrases("Who approves a fix for a live S1 incident in 2027?") == []
    assert _figure_phrases("Is a reply within 2.5 days enough?") == [" within 2.5 "]


def test_a_passage_using_the_question_s_word_pairs_scores_them(
    settings: Settings, tmp_path: Path
) -> None:
    """bm25 counts "output" and "filter" wherever they stand; the pair feature counts
    them only where they stand together, as the question has them."""
    folder = tmp_path / "filters"
    folder.mkdir()
    (folder / "gateway.md").write_text(
        "# Gateway\n\n## Output\n\n"
        "The output of each letter is checked by a person; a filter on the input removes "
        "account numbers.\n\n"
        "## Blocked phrases\n\nThe output filter blocks 38 phrases in renewal letters.\n"
    )
    service = KnowledgeService(settings)
    service.ingest([folder])
    state, pool = service.retriever.candidates("What does the output filter block?")
    pairs = {state.chunks[c.position].section: c.pairs for c in pool}
    assert pairs["Blocked phrases"] > 0.5
    assert pairs["Output"] == 0.0


def test_the_confidence_bar_is_lower_for_a_question_in_the_corpus_s_own_words(
    settings: Settings, tmp_path: Path
) -> None:
    """A weakly retrieved question in words the documents use may still be answered; one
    mostly in words they never use ("canteen", "menu") needs the full setting."""
    from knowledge.answer import KNOWN_WORDS_RELIEF, confidence_bar

    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "weekly.md").write_text(
        "# Weekly reports\n\nOwners report value and cost by Friday, so the Monday digest "
        "includes the week.\n"
    )
    service = KnowledgeService(settings)
    service.ingest([folder])
    state = service.index.state()
    base = settings.answer_min_score
    assert confidence_bar("When do owners report their cost?", state, base) == pytest.approx(
        base - KNOWN_WORDS_RELIEF
    )
    assert confidence_bar("What is on the canteen menu this Friday?", state, base) == base
    assert confidence_bar("", state, base) == base


def test_a_counted_set_is_answered_only_by_naming_its_members() -> None:
    from knowledge.answer import answer_has_focus, names_members

    question = "What are the nine reason codes in the break catalogue?"
    only_there = (
        "Accountants explain each break, giving it one of the nine reason codes in the "
        "break catalogue. [1]"
    )
    assert not names_members(question, only_there)
    assert not answer_has_focus(question, only_there)
    assert names_members(question, "The codes are timing, FX, duplicate, missing and other. [1]")
    assert names_members(question, "The codes are:\n- timing\n- currency\n- duplicate")
    # other questions are not held to it
    assert names_members("What are the rules for a break?", only_there)
    assert names_members("Which of the three reports comes first?", only_there)


def _facilities(folder: Path, line: str, extra: tuple[str, ...] = ()) -> None:
    """Unrelated one-line documents, so that a test's own document is not the corpus: ``line``
    with ``{topic}``, ``{days}`` (2, 3, ...) and ``{share}`` (90, 91, ...) filled in."""
    for n, topic in enumerate(("laptops", "phones", "desks", "badges", "parking", *extra)):
        text = line.format(topic=topic, days=n + 2, share=n + 90)
        (folder / f"{topic}.md").write_text(f"# {topic.title()}\n\n{text}\n")


def test_a_figure_asked_for_a_named_place_needs_a_passage_about_that_place(
    settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "travel"
    folder.mkdir()
    (folder / "travel.md").write_text(
        "# Travel rules\n\n## Hotels\n\nThe hotel cap per night depends on the city and is "
        "set by the travel desk each January. Business meals with clients are capped at "
        "EUR 85 per guest.\n\n## Offices\n\nThe travel desk sits in Bergen and answers "
        "within one working day.\n\n## Trains\n\nTrains are booked in second class.\n"
    )
    _facilities(
        folder,
        "Requests for {topic} go to the facilities team, which answers within {days} working days.",
        extra=("canteen",),
    )
    service = KnowledgeService(settings)
    service.ingest([folder])
    answer = service.ask("How much is the hotel allowance for a business trip to Bergen?")
    assert answer.abstained, answer.text
    asked = service.ask("How much are business meals with clients capped at?")
    assert not asked.abstained and "85" in asked.text


def test_one_thing_asked_of_many_is_not_a_list_question() -> None:
    from knowledge.answer import answer_type

    assert answer_type("What rating are the clinics aiming for?") != "list"
    assert answer_type("What are the four criteria?") == "list"
    assert answer_type("What steps are needed before a release?") == "list"


def test_a_two_part_question_is_answered_in_both_parts(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "clinics"
    folder.mkdir()
    (folder / "clinics.md").write_text(
        "# Clinics\n\n## The data clinic\n\nThe data clinic meets on the first Wednesday "
        "of each month. It is run by the data protection officer of the AI spine.\n\n## The "
        "prompt clinic\n\nThe prompt clinic is open to anyone who writes prompts.\n"
    )
    service = KnowledgeService(settings)
    service.ingest([folder])
    both = service.ask("How often does the data clinic meet, and who runs it?")
    assert not both.abstained, both.text
    assert "first Wednesday" in both.text and "data protection officer" in both.text, both.text


def test_a_possessive_and_its_noun_make_no_term() -> None:
    from knowledge.answer import _pairs

    pairs = _pairs("How many treaties make up the group's reinsurance protection?")
    assert ("reinsurance", "protection") in pairs
    assert ("group", "reinsurance") not in pairs
    assert ("oven", "board") in _pairs("Who is the oven board's ethicist?")


def test_a_period_named_in_the_sentence_before_scopes_the_answer(
    settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "tests"
    folder.mkdir()
    (folder / "review.md").write_text(
        "# Wording review\n\n## Yearly test\n\nEvery October the spine reruns the reviewer "
        "on a test set of 64 old wordings marked by hand. The reviewer may be used for the "
        "season only if it finds at least 98 percent of the serious changes.\n\n## Owners\n\n"
        "The head of reinsurance owns this page and signs off each change report.\n"
    )
    _facilities(
        folder,
        "Requests for {topic} go to the facilities team, which answers "
        "{share} percent of them within a day.",
    )
    service = KnowledgeService(settings)
    service.ingest([folder])
    answer = service.ask(
        "What share of serious changes must the reviewer find in its October test?"
    )
    assert not answer.abstained, answer.text
    assert "98 percent" in answer.text and "October" in answer.text, answer.text
    # a period named nowhere near the figure is still not answered by it
    other = service.ask("What share of serious changes did the reviewer find in its May 2026 test?")
    assert other.abstained, other.text


def test_the_organisation_s_own_name_answers_no_which_bank(
    settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "house"
    folder.mkdir()
    (folder / "premium.md").write_text(
        "# Premium collection\n\n## Brokers\n\nBrokers collect the premium from clients and "
        "pay it over to Brightwater Mutual each month under their terms of business.\n"
    )
    _facilities(
        folder,
        "At Brightwater Mutual, requests for {topic} go to the facilities "
        "team, which answers within a day.",
    )
    service = KnowledgeService(settings)
    service.ingest([folder])
    assert "brightwater" in service.index.state().house_names
    answer = service.ask("Into which bank do brokers pay the premium they collect?")
    assert answer.abstained, answer.text
    (folder / "premium.md").write_text(
        "# Premium collection\n\n## Brokers\n\nBrokers collect the premium from clients and "
        "pay it over to Brightwater Mutual each month, into its account at Nordbank.\n"
    )
    service.ingest([folder])
    named = service.ask("Into which bank do brokers pay the premium they collect?")
    assert not named.abstained and "Nordbank" in named.text, named.text
