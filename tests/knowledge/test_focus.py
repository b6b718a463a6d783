"""What a typed question asks for (knowledge.focus), and the abstention it drives:
a figure on the question's topic that is not the figure asked for answers nothing."""

from __future__ import annotations

import pytest

from knowledge.focus import focus_of


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many analysts work in the pricing team?", "count"),
        ("How long does onboarding a vendor take?", "duration"),
        ("Within how many hours must a breach be reported?", "duration"),
        ("How often is the rota reviewed?", "frequency"),
        ("By what percentage did handling time fall?", "percent"),
        ("How large a budget did the board give the lab?", "money"),
        ("How much did the claims unit spend on tokens?", "money"),
        ("In which year was the charter signed?", "year"),
        ("Which cloud provider hosts the gateway?", "named"),
        ("What is the name of the current model risk officer?", "person"),
        ("Who is the current product owner of the gateway?", "person"),
        ("Who is the owner of the gateway?", "role"),
        ("What is the name of the gateway flag?", "named"),
        ("Which programming language is the gateway written in?", "named"),
        ("What annual budget does the lab have?", "money"),
        ("How many sprints does the team run a year?", "count"),
        ("When does the new policy take effect?", "date"),
        ("On which day are invoices sent?", "date"),
        ("What does the gateway cost per month?", "money"),
        ("What is the current price of a premium seat?", "money"),
        ("Which consulting firm helped the lab with its first models?", "named"),
        ("Which outside vendor translates the gateway's answers?", "named"),
        ("What is the name of the external ethicist on the board?", "person"),
        ("Which book does the chapter on ovens belong to?", "named"),
        ("What discount on seat prices does the agreement give?", "money"),
        ("On which dates are next year's reviews held?", "date"),
    ],
)
def test_typed_questions_get_their_focus(question: str, kind: str) -> None:
    focus = focus_of(question)
    assert focus is not None and focus.kind == kind


@pytest.mark.parametrize(
    "question",
    [
        "How does the gateway route requests?",
        "What is a drop candidate?",
        "Why do pilots fail?",
        "What are the three phases?",
        "Which product did the coding firm build from its application?",
        "Which office approves exceptions?",
        "What did the bank's spine introduce after the assistant?",
        "What causes a language to be withdrawn?",
        "What kind of company benefits from a spine?",
        "When picking use cases for a pilot, what should a unit put first?",
    ],
)
def test_open_questions_get_no_focus(question: str) -> None:
    assert focus_of(question) is None


def test_a_count_needs_the_counted_noun_right_after_the_figure() -> None:
    focus = focus_of("How many analysts work in the pricing team?")
    assert focus is not None
    assert focus.satisfied("The pricing team has 14 analysts and two managers.")
    assert not focus.satisfied("The pricing team saved 300 hours last year.")  # other figure
    assert not focus.satisfied("The pricing team is made of analysts.")  # no figure


def test_a_count_of_a_compound_noun_needs_all_of_it_or_a_synonym() -> None:
    days = focus_of("How many vacation days do new staff get?")
    assert days is not None
    assert not days.satisfied("Complaints are answered within 5 working days.")
    assert days.satisfied("New staff get 25 vacation days a year.")
    signoffs = focus_of("How many sign-offs does a release need?")
    assert signoffs is not None and signoffs.satisfied("A release needs two approvals.")


def test_an_adjective_before_the_counted_noun_may_be_said_in_other_words() -> None:
    banned = focus_of("How many banned phrases does the output filter block?")
    assert banned is not None
    assert banned.satisfied("The output filter also blocks 38 phrases.")
    abroad = focus_of("How many international conferences may one person attend?")
    assert abroad is not None and abroad.satisfied("No more than two conferences abroad.")
    # a noun before the head narrows what is counted: the head alone does not answer
    broker = focus_of("How many broker e-mails does the assistant sort in a week?")
    assert broker is not None
    assert not broker.satisfied("The assistant sorts 900 e-mails from customers a week.")
    assert broker.satisfied("It sorts about 900 broker e-mails a week.")


def test_durations_amounts_years_and_names_are_recognised() -> None:
    duration = focus_of("How long are the sprints?")
    assert duration is not None
    assert duration.satisfied("The team works in two-week sprints.")
    assert duration.satisfied("A review takes 8-10 minutes.")
    assert not duration.satisfied("The team works in short sprints.")
    money = focus_of("How large a budget did the board give the lab?")
    assert money is not None
    assert money.satisfied("The board granted the lab €2.5 million.")
    assert money.satisfied("The lab spent 4,000 on tokens.")
    assert not money.satisfied("The board funds the lab directly.")
    year = focus_of("In which year was the charter signed?")
    assert year is not None
    assert year.satisfied("The charter was signed in 2019.") and not year.satisfied(
        "It was signed."
    )
    named = focus_of("Which cloud provider hosts the gateway?")
    assert named is not None
    assert named.satisfied("The gateway runs on Azure in two regions.")
    assert not named.satisfied("The gateway runs in the public cloud.")
    person = focus_of("Who is the current product owner of the gateway?")
    assert person is not None
    assert person.satisfied("The gateway's product owner is Ilse de Boer.")
    assert not person.satisfied("The product owner of the gateway signs every change.")


def test_a_when_question_needs_a_point_in_time_and_only_checks_support() -> None:
    when = focus_of("When does the review board meet?")
    assert when is not None and not when.selective  # it never reorders sentences
    assert when.satisfied("The board meets in March 2024.")
    assert when.satisfied("A pilot moves on after four weeks of positive value.")
    assert not when.satisfied("The board reviews models for the whole company.")


def test_who_owns_something_is_answered_by_a_role_who_holds_a_role_by_a_name() -> None:
    role = focus_of("Who is the owner of the evaluation standard?")
    assert role is not None and role.kind == "role"
    assert role.satisfied("Owner: the quality lead of the spine.")
    assert role.satisfied("It is kept by Ilse de Boer.")
    assert not role.satisfied("The owner reviews it every year.")  # the asked role only
    current = focus_of("Who is the current quality lead?")
    assert current is not None and current.kind == "person"
    assert not current.satisfied("Owner: the quality lead of the spine.")


def test_a_name_is_not_a_person_a_compound_or_a_misread_acronym() -> None:
    named = focus_of("Which cloud provider does the lab run on?")
    assert named is not None
    assert named.satisfied("The lab moved to Azure last year.")
    assert not named.satisfied("According to Parvez Ahammad, the lab wants more compute.")
    assert not named.satisfied("It is overseen by a C-suite leader and LLM-powered tools.")
    assert not named.satisfied("The platform runs Al systems at scale.")  # AI, misread
    assert not named.satisfied("Teams scale.” Firms need a deep understanding.")
    assert not named.satisfied("The gateway has a flag named route_to_fallback.")
    literal = focus_of("What is the name of the flag that routes requests to the backup?")
    assert literal is not None and literal.literal
    assert literal.satisfied("The gateway has a flag named route_to_fallback.")
    assert literal.satisfied('Access starts after the course "Working with AI".')
    assert not literal.satisfied('(See "The Backup Flag.")')  # the question's own words


def test_an_amount_answers_only_the_money_question_it_is_about() -> None:
    cost = focus_of("How much does vendor due diligence cost a business unit?")
    assert cost is not None and cost.kind == "money"
    assert not cost.satisfied("It is needed when the contract value passes 250,000 euros.")
    assert cost.satisfied("A review costs the unit 4,000 euros.")
    assert not cost.satisfied("Automation cut the cost of coding by 60%.")
    charge = focus_of("How much does the spine charge on top of list prices?")
    assert charge is not None
    assert charge.satisfied("The platform surcharge of 12 percent pays for the gateway.")


def test_a_duration_before_the_counted_noun_is_not_a_count_of_it() -> None:
    sprints = focus_of("How many sprints does the team complete in a year?")
    assert sprints is not None and sprints.kind == "count"
    assert not sprints.satisfied("The team works in two-week sprints.")
    assert sprints.satisfied("The team completes 24 sprints a year.")


def test_which_model_asks_for_a_named_model() -> None:
    which = focus_of("Which judge model scores the regression runs?")
    assert which is not None and which.kind == "named"
    assert not which.satisfied("A judge model may score regression runs automatically.")
    assert which.satisfied("Regression runs are scored by GPT-4o as the judge.")
    assert focus_of("What model do most firms use to connect units?") is None


def test_a_regulation_question_wants_names_and_an_acronym_is_telling() -> None:
    rules = focus_of("Which data protection rules does the lab say it complies with?")
    assert rules is not None and rules.kind == "named"
    assert rules.telling("Then, we are also GDPR CCPA compliant.")
    assert not rules.telling("Our FinOps analyst checks it.")  # a name, but not telling
    assert rules.satisfied("Our FinOps analyst checks it.")
    day = focus_of("Which judge model scores the regression runs?")
    assert day is not None and not day.satisfied("Scores are published every Monday.")


def test_how_often_wants_a_frequency_not_a_duration() -> None:
    often = focus_of("How often are the log backups tested?")
    assert often is not None and often.kind == "frequency"
    assert not often.satisfied("Log backups are encrypted and kept for 35 days.")
    assert often.satisfied("The policy is reviewed every six months.")
    assert often.satisfied("Backups are restored in a test twice a year.")
    assert often.satisfied("Training data is regenerated at a regular frequency.")
    assert often.telling("Backups are tested quarterly.")


def test_a_count_of_what_is_today_is_not_answered_by_a_rule() -> None:
    today = focus_of("How many AI champions does the company have today?")
    assert today is not None and today.kind == "count"
    assert not today.satisfied("Every unit names at least one AI champion, one per 400 staff.")
    assert today.satisfied("The company has 31 AI champions.")
    rule = focus_of("How many worked examples must accompany each prompt?")
    assert rule is not None and rule.satisfied("It needs at least 20 worked examples.")


def test_an_author_cited_in_brackets_is_not_a_name_in_the_text() -> None:
    named = focus_of("Which podcast company produces the show?")
    assert named is not None
    assert not named.satisfied("It is one of the top shows on the subject (Charrington, 2022).")
    assert named.satisfied("It is produced by Acme.")


def test_a_domain_qualifier_of_the_counted_noun_is_not_required() -> None:
    cases = focus_of("How many AI use cases does the retailer run in production?")
    assert cases is not None
    assert cases.satisfied("We have around 10 use cases in production right now.")


def test_a_question_naming_a_post_wants_the_name_of_whoever_is_said_to_hold_it() -> None:
    officer = focus_of("Who is the chief data officer at GSK?")
    assert officer is not None and officer.kind == "person"
    assert not officer.satisfied("Kim Branson from GSK noted that data matters.")
    assert not officer.satisfied("Positions included chief executive officer and head of AI.")
    assert officer.satisfied("Dana Whitfield is the chief data officer.")
    owner = focus_of("Who is the owner of the evaluation standard?")
    assert owner is not None and owner.kind == "role"
    assert owner.satisfied("Owner: quality lead, AI spine.")


def test_a_fee_answers_what_something_costs_but_a_percentage_only_a_charge() -> None:
    cost = focus_of("What does a repeat exercise cost the business unit?")
    assert cost is not None and cost.kind == "money"
    assert cost.satisfied("It is charged to the unit at a flat fee of 6,000 euros.")
    assert not cost.satisfied("The platform adds a surcharge of 12 percent.")
    assert not cost.satisfied("The contract is worth 2 million euros.")
    charge = focus_of("How much does the platform charge on top of list prices?")
    assert charge is not None and charge.satisfied("The platform adds a surcharge of 12 percent.")


def test_a_year_in_a_citation_does_not_answer_which_year() -> None:
    year = focus_of("In which year was the podcast first broadcast?")
    assert year is not None and year.kind == "year"
    assert not year.satisfied("It is one of the top podcasts on the subject (Charrington, 2022).")
    assert year.satisfied("The podcast first went on air in 2016.")


def test_over_what_period_is_a_when_question() -> None:
    from knowledge.answer import answer_type

    assert answer_type("Over what period were the analysed interviews recorded?") == "date"
    assert answer_type("During which time frame does the pilot run?") == "date"
    assert answer_type("What period of notice applies?") != "date"


def test_a_share_question_wants_a_share_or_a_factor_not_any_figure_near_by() -> None:
    share = focus_of("What share of the firms studied were in the platformizing phase?")
    assert share is not None and share.kind == "percent"
    assert not share.satisfied("We run 10 use cases, all amplified by AI by 2025.")
    assert share.satisfied("It cut handling time by 15%.")
    assert share.satisfied("Costs fell by 40 after the move.")
    assert share.satisfied("Inference is three times faster.")


def test_a_table_cell_counts_under_its_column_heading() -> None:
    requests = focus_of("How many requests per minute may a pilot send?")
    assert requests is not None and requests.kind == "count"
    assert requests.satisfied("Phase: Pilot; Requests per minute: 60; Tokens per day: 2 million.")
    assert not requests.satisfied("Phase: Pilot; Tokens per day: 60.")
    assert requests.satisfied("It slows traffic to 10 requests per minute.")
    # the cell before is another column's: its words are not this figure's heading
    controllers = focus_of("How many credit controllers work in the credit control team?")
    assert controllers is not None
    assert not controllers.satisfied("Who acts: Finance controller; What happens: 50 percent.")


def test_which_regulator_or_journal_wants_a_name() -> None:
    regulator = focus_of("Which regulator oversees AI in the UK public sector?")
    assert regulator is not None and regulator.kind == "named"
    assert not regulator.satisfied("A clear and robust framework is needed for governing AI.")
    assert regulator.satisfied("In the UK, AI in public services is overseen by Ofcom.")


def test_who_made_something_wants_a_name_said_to_have_made_it() -> None:
    focus = focus_of("Who founded the Harbour Lights podcast?")
    assert focus is not None and focus.kind == "person"
    # the host's name is a name, but not of whoever founded it
    assert not focus.satisfied("The Harbour Lights podcast is hosted by Ada Brennan.")
    assert focus.satisfied("Ada Brennan founded the Harbour Lights podcast in 2016.")
    assert focus.satisfied("Its founder, Ada Brennan, still edits every episode.")
    hosts = focus_of("Who hosts the Harbour Lights podcast?")
    assert hosts is not None and hosts.satisfied("The podcast is hosted by Ada Brennan.")


def test_who_is_a_post_is_not_answered_by_the_post_itself() -> None:
    # the role words of the question answer nothing: "marked by the trainer"
    for question, restated, answered in (
        (
            "Who is the trainer of the welding course?",
            "The day ends with a test marked by the trainer.",
            "The welding course is given by the safety lead.",
        ),
        (
            "Who is the plant's cost analyst?",
            "The plant's cost analyst prepares the review.",
            "The cost analyst is Ada Brennan.",
        ),
    ):
        focus = focus_of(question)
        assert focus is not None and focus.kind == "role", question
        assert not focus.satisfied(restated)
        assert focus.satisfied(answered)
    # "authority" holds no author
    focus = focus_of("Who is the author of the standard?")
    assert focus is not None and not focus.satisfied("The board has the authority to decide.")


def test_what_is_something_called_wants_a_name() -> None:
    focus = focus_of("What is the bakery's recipe-sharing system called?")
    assert focus is not None and focus.kind == "named" and focus.literal
    assert not focus.satisfied("The bakery shares recipes between its shops every week.")
    assert focus.satisfied("Recipes are shared through a system the staff named Crumbtrail.")
    assert focus_of("What is called for when an oven fails?") is None


def test_four_capitalised_words_in_a_row_are_a_name_not_a_person() -> None:
    called = focus_of("What are the bakery's two product teams called?")
    assert called is not None
    assert called.satisfied("One of them is called Bread Science Applied Research.")
    named = focus_of("Which company supplies the ovens?")
    assert named is not None
    assert not named.satisfied("Ovens were chosen by Ada Brennan.")  # a person
    assert named.satisfied("The ovens come from Hearth Works Oven Supply.")


def test_a_flattened_table_of_names_names_no_answer() -> None:
    named = focus_of("Which cloud provider does the bakery use?")
    assert named is not None
    table = " ".join(
        f"{n} {firm} {person} {field}"
        for n, firm, person, field in (
            (1, "Toyota", "Adrien Gaidon", "Automotive"),
            (2, "Zalando", "Kim Branson", "Retail"),
            (3, "Tecton", "Mike Del Balso", "Software"),
            (4, "AWS", "Chris Fregly", "Cloud"),
        )
    )
    assert not named.satisfied("Firms interviewed: " + table)
    assert named.satisfied("The bakery runs its ordering system on Azure.")


def test_a_compound_of_the_question_split_at_a_line_break_is_no_new_name() -> None:
    named = focus_of("Which vendor supplies T-Mobile's transcription?")
    assert named is not None
    assert not named.satisfied("At first T- Mobile transcribed calls with simple scripts.")
    assert named.satisfied("T-Mobile first used a transcription service from Speechly.")


def test_time_saved_is_not_how_long_something_took() -> None:
    took = focus_of("How long did the bakery take to roll out the new ovens?")
    assert took is not None and took.kind == "duration"
    assert not took.satisfied("During the trial the bakers saved about 300 hours.")
    assert took.satisfied("The roll-out took eleven weeks and saved about 300 hours.")
    saved = focus_of("How much time did the new ovens save?")
    assert saved is not None and saved.satisfied("The bakers saved about 300 hours.")


def test_a_count_can_be_a_share_of_the_counted_noun_or_close_its_sentence() -> None:
    checked = focus_of("How many loaves does the inspector check each day?")
    assert checked is not None and checked.kind == "count"
    assert checked.satisfied("Each day the inspector weighs 5 percent of all loaves.")
    assert not checked.satisfied("Since the new ovens, waste of loaves fell by 5%.")
    named = focus_of("At most how many bakers may work a night shift?")
    assert named is not None
    assert named.satisfied("The bakers on a night shift, at most six.")
    assert named.satisfied("The rota lists the bakers for each night shift; at most six;")
    assert not named.satisfied("The bakers worked night shifts from May 2021 to June 2022.")
    assert not named.satisfied("The night shift ends when the ovens cool, in Hall 6.")


def test_a_figure_before_a_measure_counts_the_measure() -> None:
    people = focus_of("How many people are in the tasting pool?")
    assert people is not None and people.kind == "count"
    # six months, with a manager four words on: no count of people
    assert not people.satisfied("They join for a term of six months with their manager.")
    assert people.satisfied("The pool has six employees and their manager.")
    years = focus_of("How many years must a taster have worked in the bakery?")
    assert years is not None and years.satisfied("A taster has worked here for two years.")


def test_the_algorithm_or_framework_a_team_uses_wants_a_name() -> None:
    used = focus_of("Which forecasting algorithm does the bakery's planning team use?")
    assert used is not None and used.kind == "named"
    assert not used.satisfied("The planning team forecasts demand for each shop every week.")
    assert used.satisfied("The planning team forecasts demand with Prophet every week.")
    assert focus_of("What kind of framework does the bakery need?") is None


def test_a_commission_rate_is_money_asked_as_a_charge() -> None:
    rate = focus_of("What commission rate do bakers earn on wedding cakes?")
    assert rate is not None and rate.kind == "money" and rate.rate
    assert rate.satisfied("Bakers earn a commission of 4 percent on every wedding cake.")
    assert not rate.satisfied("Bakers earn a commission on wedding cakes they sell.")


def test_a_score_or_rating_asked_for_is_a_figure() -> None:
    score = focus_of("What score must a loaf reach before it is sold?")
    assert score is not None and score.kind == "count"
    assert score.satisfied("A loaf is sold only once the panel scores it 4.2 or higher.")
    assert not score.satisfied("Twice a year, in April and October, the panel tastes loaves.")
    assert focus_of("What rating did the bakery get in its October inspection?") is not None


def test_the_tool_something_runs_on_wants_a_name() -> None:
    built = focus_of("Which search product powers the bakery's order site?")
    assert built is not None and built.kind == "named"
    assert not built.satisfied("The order site is rebuilt every night at 02:00.")
    assert built.satisfied("The order site runs its search on Elasticsearch.")
    assert focus_of("Which tool should bakers use for recipes?") is None  # "the shared book"
    # what a named firm does use has a name; what one should use may be a description
    used = focus_of("Which recipe management product does the bakery use?")
    assert used is not None and used.kind == "named"
    assert not used.satisfied("The bakery keeps its recipes in a shared book by the ovens.")
    assert used.satisfied("The bakery keeps its recipes in Doughbase.")


def test_how_many_people_is_answered_by_any_word_for_people_but_not_personal() -> None:
    people = focus_of("How many people sit on the tasting panel?")
    assert people is not None and people.kind == "count"
    assert people.satisfied("The tasting panel has seven voting members and a secretary.")
    assert not people.satisfied("Panel 6 Personal tastes vary, so scores are averaged.")


def test_how_many_of_the_things_counts_the_things() -> None:
    focus = focus_of("How many of the practitioners interviewed worked at the bank?")
    assert focus is not None and focus.kind == "count"
    assert focus.satisfied("We interviewed 87 practitioners in 23 firms.")
    assert not focus.satisfied("Overall, we examined 22 interviews with the teams.")


def test_a_language_names_no_vendor_or_model_but_answers_which_language() -> None:
    vendor = focus_of("Which outside vendor translates the gateway's answers?")
    assert vendor is not None
    assert not vendor.satisfied("The gateway answers in German, English and Swedish.")
    assert vendor.satisfied("The gateway's answers are translated by Lingora.")
    language = focus_of("Which programming language is the gateway written in?")
    assert language is not None and language.satisfied("The gateway is written in Rust.")
    spoken = focus_of("Which language do the letters use, in which country?")
    assert spoken is not None and spoken.satisfied("All the letters are written in German.")


def test_from_what_date_wants_a_day_of_the_calendar_when_does_not() -> None:
    dated = focus_of("From what date does the oven policy apply?")
    assert dated is not None and dated.kind == "date" and dated.selective
    assert dated.satisfied("It applies to every bakery from 1 February 2027.")
    assert dated.satisfied("Bills go out on the third working day of the month.")
    assert not dated.satisfied("The policy sorts ovens into three tiers after the review.")
    vague = focus_of("When does the oven policy apply?")
    assert vague is not None and not vague.selective
    assert vague.satisfied("It applies after the review.")


def test_a_discount_is_a_percentage_or_an_amount_off_not_a_price() -> None:
    focus = focus_of("What discount on seat prices does the agreement give?")
    assert focus is not None
    assert focus.satisfied("Under the agreement seats cost 15 percent less.")
    assert focus.satisfied("The agreement takes 200 euros off each seat.")
    assert not focus.satisfied("Price per seat and month: 32 euros.")
    assert not focus.satisfied("The agreements renew every year on 1 April.")


def test_a_day_of_the_calendar_counts_nothing() -> None:
    ovens = focus_of("How many ovens are registered in the bakery today?")
    assert ovens is not None and ovens.kind == "count"
    # "2027 every oven": the year of a date followed by the counted noun
    assert not ovens.satisfied("From 1 February 2027 every oven that bakes bread needs a permit.")
    assert not ovens.satisfied("Since March 3, 2026 ovens are checked by the inspector.")
    assert ovens.satisfied("The register holds 40 ovens, twelve of them gas-fired.")
    assert ovens.satisfied("In May 12 ovens were added to the register.")


def test_a_plain_figure_is_an_amount_only_in_a_sentence_about_money() -> None:
    cost = focus_of("How much did the oven pilot cost in total?")
    assert cost is not None and cost.kind == "money"
    assert not cost.satisfied("From 1 February 2027, a pilot with 300 bakers in the north hall.")
    assert cost.satisfied("The oven pilot cost 4,000 in total.")
    assert cost.satisfied("The pilot's bill came to 4,000.")
    assert cost.satisfied("The pilot was paid from the 2,500 left in the budget.")


def test_the_tool_something_was_built_on_wants_a_name() -> None:
    built = focus_of("Which tool did the bakery build its order site on?")
    assert built is not None and built.kind == "named"
    assert built.satisfied("The order site was put together on Shopfront.")


def test_a_name_given_to_what_the_question_names_is_not_the_name_asked_for() -> None:
    model = focus_of("Which language model does the ordering assistant run on?")
    assert model is not None and model.kind == "named"
    assert not model.satisfied("Every reply from Crumb, the ordering assistant, is logged.")
    assert not model.satisfied("Replies from the ordering assistant called Crumb are logged.")
    assert model.satisfied("The ordering assistant runs on Lumen, a model hosted in Oslo.")


def test_a_quoted_title_is_no_firm_and_an_acronym_may_be_a_common_noun() -> None:
    firm = focus_of("Which company supplies the ovens behind the night bakery?")
    assert firm is not None
    assert not firm.satisfied('Bakers start after the 30-minute course "Ovens and Safety".')
    assert not firm.satisfied("Orders for the night bakery are sent through the IDE plugin.")
    assert firm.satisfied("The night bakery's ovens are supplied by Hearthworks.")


def test_a_name_heading_a_list_item_after_a_colon_is_a_name_but_a_quote_opens_a_sentence() -> None:
    name = focus_of("What is the name of the ordering assistant?")
    assert name is not None
    assert name.satisfied("Two tools are approved: Crumb, the ordering assistant, and a mixer.")
    language = focus_of("Which programming language is the bakery's order site written in?")
    assert language is not None
    assert not language.satisfied('The baker notes: "From the start, think about the oven."')


def test_an_hourly_rate_is_money_but_a_pass_rate_is_not() -> None:
    hourly = focus_of("What hourly rate applies to the night bakery?")
    assert hourly is not None and hourly.kind == "money"
    assert not hourly.satisfied("The night bakery opens at 22:00 and has 14 ovens.")
    assert hourly.satisfied("The night bakery is charged 85 euros an hour.")
    assert focus_of("What pass rate applies to the tasting test?") is None


def test_a_plural_firm_word_or_a_platform_that_stores_something_wants_names() -> None:
    vendors = focus_of("Which flour vendors did the bakery compare in its tender?")
    assert vendors is not None and vendors.kind == "named"
    assert not vendors.satisfied("The bakery compared every flour vendor it could find.")
    assert vendors.satisfied("The tender compared Millstone and Greenfield Mills.")
    platform = focus_of("Which ordering platform stores the bakery's customer orders?")
    assert platform is not None and platform.kind == "named"
    assert not platform.satisfied("Orders are stored in the bakery's ordering platform.")
    assert platform.satisfied("Customer orders are kept in Shopfront.")
    assert focus_of("Which platform should a new bakery choose?") is None


def test_a_length_asked_with_its_noun_is_a_duration() -> None:
    sprint = focus_of("What sprint length does the bakery's web team work in?")
    assert sprint is not None and sprint.kind == "duration"
    assert sprint.satisfied("The web team works in two-week sprints.")
    assert focus_of("What length of text can the order form take?") is None


def test_who_carried_out_a_study_wants_the_one_said_to_have_done_it() -> None:
    study = focus_of("Who carried out the survey of night bakers?")
    assert study is not None and study.kind == "person"
    assert not study.satisfied("Anna Berg says the survey of night bakers was long overdue.")
    assert study.satisfied("The survey of night bakers was carried out by Anna Berg.")


def test_may_is_a_month_only_when_capitalised() -> None:
    when = focus_of("From what date does the oven rule apply?")
    assert when is not None and when.kind == "date"
    assert not when.satisfied("Bakers may use the oven only after the course.")
    assert when.satisfied("The oven rule applies from 3 May 2027.")
    assert when.telling("The oven rule applies from 3 May 2027.")


def test_when_something_began_is_answered_by_a_day_or_a_year_not_by_a_rule() -> None:
    began = focus_of("When was the tasting panel first set up?")
    assert began is not None and began.kind == "date" and began.selective
    assert not began.satisfied("The tasting panel meets after each new recipe is baked.")
    assert began.satisfied("The tasting panel was set up in 2019.")
    assert not began.telling("The panel tastes every recipe on 1 March 2027.")
    # a rule's "when" is still answered by a condition
    rule = focus_of("When does a recipe go to the tasting panel?")
    assert rule is not None and not rule.selective
    assert rule.satisfied("A recipe goes to the panel after its third test bake.")


def test_a_name_said_to_be_of_another_kind_is_not_the_name_asked_for() -> None:
    model = focus_of("Which language model does the ordering assistant run on?")
    assert model is not None
    assert not model.satisfied("Orders stay in the Breadbox repository; the model is reached.")
    assert model.satisfied("The ordering assistant runs on Lumen, a model hosted in Oslo.")
    # the kind written after the name is the one asked about: it is the name wanted
    database = focus_of("Which database does the ordering assistant store orders in?")
    assert database is not None and database.kind == "named"
    assert database.satisfied("Orders are kept in the Breadbox database.")


def test_which_day_is_answered_by_a_day_counted_within_a_process() -> None:
    day = focus_of("By which day of an order must the baker confirm it?")
    assert day is not None and day.kind == "date"
    assert day.satisfied("Day 3: the baker confirms the order by e-mail.")
    assert day.satisfied("The baker confirms it by the fifth working day.")
    assert not day.satisfied("The baker confirms the order by e-mail.")
    assert not day.satisfied("On the first day the bakers meet.")


def test_the_kind_after_a_name_is_compared_by_stem_with_the_kind_asked_for() -> None:
    databases = focus_of("Which databases does the ordering assistant store orders in?")
    assert databases is not None and databases.kind == "named"
    assert databases.satisfied("Orders are kept in the Breadbox database.")
    assert not databases.satisfied("Orders are kept under the Breadbox team.")


def test_which_country_wants_a_country_and_a_counsel_is_a_person() -> None:
    country = focus_of("In which country are the annotation supplier's staff based?")
    assert country is not None
    assert not country.satisfied("The supplier's staff work only in Marginalia, our tool.")
    assert country.satisfied("The supplier's staff work from offices in Poland.")
    assert country.satisfied("Its annotators sit in the United Kingdom.")
    counsel = focus_of("What is the name of the intellectual property counsel on the panel?")
    assert counsel is not None and counsel.kind == "person"
    assert not counsel.satisfied("The panel has a counsel from Legal & Compliance.")
    assert counsel.satisfied("The panel's counsel is Malin Ekdahl from Legal.")


def test_a_job_title_question_wants_a_post_that_a_name_does_not_give() -> None:
    focus = focus_of("What position does Mira van der Berg hold at Orbis?")
    assert focus is not None and focus.kind == "role" and focus.post
    assert focus.satisfied("Mira van der Berg is the senior director of data science.")
    assert not focus.satisfied("10 Orbis Mira van der Berg Global investment group")
    for question in (
        "What is Jonas Lind's job title at Tidewater?",
        "What is Ana Berg's position?",
    ):
        asked = focus_of(question)
        assert asked is not None and asked.post, question
    assert focus_of("What role does the spine play in funding?") is None


def test_a_time_of_day_question_wants_a_clock_time() -> None:
    focus = focus_of("At what times of day are the refunds sent out?")
    assert focus is not None and focus.kind == "date" and focus.clock and focus.selective
    assert focus.satisfied("Refunds go out in two runs, at 09:30 and 15:00.")
    assert not focus.satisfied("Refunds go out after the check, within 2.50 hours.")
    assert not focus.satisfied("Refunds go out once the manager agrees.")
    plain = focus_of("When are the refunds sent out?")
    assert plain is not None and not plain.clock and not plain.selective


def test_how_many_days_wants_a_number_of_days_not_daily() -> None:
    focus = focus_of("How many days of leave may staff carry over?")
    assert focus is not None and focus.kind == "duration" and focus.units
    assert not focus.satisfied("Leave was the topic asked about daily.")
    assert focus.satisfied("Staff may carry over five days of leave.")
    loose = focus_of("How soon is leave approved?")
    assert loose is not None and not loose.units
    assert loose.satisfied("Leave is approved immediately.")


def test_how_much_is_an_allowance_asks_for_money() -> None:
    focus = focus_of("How much is the equipment allowance for home workers?")
    assert focus is not None and focus.kind == "money"
    assert not focus.satisfied("Home workers may claim the equipment allowance.")
    assert focus.satisfied("The equipment allowance is EUR 300 a year.")


@pytest.mark.parametrize(
    "question",
    [
        "How does the assistant work out which country's rules apply?",
        "Why does the panel ask which vendor was used?",
        "How do I find out who approves a request?",
    ],
)
def test_a_how_or_why_question_wants_no_name_person_or_place(question: str) -> None:
    from knowledge.answer import answer_type

    assert focus_of(question) is None
    assert answer_type(question) != "place"


def test_which_weekdays_wants_days_of_the_week_and_how_often_agreed_a_share() -> None:
    days = focus_of("On which weekdays are releases allowed?")
    assert days is not None and days.kind == "date" and days.selective
    assert days.satisfied("Releases go out on Tuesdays and Thursdays.")
    assert not days.satisfied("Releases go out after the review.")
    agreed = focus_of("How often did the coaches agree with the tool's marks?")
    assert agreed is not None and agreed.kind == "frequency" and agreed.rate
    assert agreed.satisfied("The coaches agreed with 87 percent of the marks.")
    met = focus_of("How often does the panel meet?")
    assert met is not None and not met.rate
    assert not met.satisfied("The panel approved 87 percent of the requests.")


def test_with_no_verb_in_sight_the_counted_noun_runs_to_the_first_plural() -> None:
    treaties = focus_of("How many outward treaties make up the group's reinsurance cover?")
    assert treaties is not None and treaties.kind == "count"
    assert treaties.satisfied("The group buys 37 outward reinsurance treaties.")
    assert not treaties.satisfied("The cover is reviewed by 37 people.")  # not treaties
    # the plural is the head; what comes before it may be left out by the passage
    payments = focus_of("How many claim payments leave the centres on a working day?")
    assert payments is not None and payments.satisfied("They release about 6,500 payments.")
    # what the counted things do must be said: these count other entries
    owners = focus_of("How many model inventory entries showed a vacant owner on 31 March?")
    assert owners is not None and owners.predicate >= {"vacant", "owner"}
    assert "31" not in owners.predicate and "march" not in owners.predicate
    # with the verb found, nothing is guessed
    examples = focus_of("How many worked examples must a prompt hold?")
    assert examples is not None and examples.predicate == frozenset()


def test_a_currency_code_is_no_name() -> None:
    bank = focus_of("Into which bank do brokers pay the premium they owe?")
    assert bank is not None and bank.kind == "named"
    assert bank.new_names("At a month end brokers owe around EUR 285 million in premium.") == []
    assert bank.new_names("Brokers pay the premium into an account at Nordbank.") == ["Nordbank"]


def test_a_version_code_is_no_firm_s_name() -> None:
    firm = focus_of("Which company supplies the EMB-08 embedding model?")
    assert firm is not None and firm.kind == "named"
    assert firm.new_names("The index moved from EMB-07 to EMB-08 in March.") == []
    assert firm.new_names("The model is licensed from Nordvec under a yearly contract.") == [
        "Nordvec"
    ]


def test_a_count_of_people_is_not_a_count_of_reviews_or_offices() -> None:
    people = focus_of("How many people work in the team that reviews the payments?")
    assert people is not None and people.kind == "count"
    assert people.satisfied("The team has 12 reviewers and two managers.")
    assert not people.satisfied("The team does 12 reviews a week.")
    assert not people.satisfied("It runs from 3 offices in Sweden.")
    # a numbered heading's number counts nothing
    assert not people.satisfied("4. Roles: Claims payments manager, Linnea Kask: owns it.")
