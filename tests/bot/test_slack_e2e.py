"""End to end: signed HTTP requests into the served app, a fake Slack Web API out.

Work happens after the ack in background threads, so each test waits for the calls it
expects on the fake (polling with a timeout), never for a fixed time.
"""

from __future__ import annotations

import json
import time

from sqlmodel import select

from bot.constants import (
    ACTION_DIGEST_DROP,
    ACTION_FEEDBACK_DOWN,
    ACTION_FEEDBACK_UP,
    ACTION_USECASE_VOTE,
    VIEW_USECASE_REGISTER,
)
from bot.models import BotThread
from knowledge.models import Feedback, QuestionLog
from portfolio.models import AuditEvent, MetricReport, UseCase, Vote
from spinebot.db import session_scope
from tests.bot.conftest import SlackApp
from tests.harness import payloads
from tests.harness.signing import sign

USER = payloads.USER_ID
OTHER = "U222"


def command(slack: SlackApp, text: str, user: str = USER, name: str = "/usecase"):  # type: ignore[no-untyped-def]
    url = slack.fake.response_url()
    response = slack.requester.command(name, text, user_id=user, response_url=url)
    assert response.status == 200
    return response, url


def replies(slack: SlackApp, url: str, count: int = 1) -> list[dict]:
    slack.fake.wait_for(
        "response_url", count=count, predicate=lambda c: url.endswith(c.args["response_id"])
    )
    return slack.fake.responses(url)


def text_of(message: dict) -> str:
    return json.dumps(message.get("blocks") or [], ensure_ascii=False) + message.get("text", "")


def register(slack: SlackApp, title: str = "Claims triage", user: str = USER) -> int:
    _, url = command(slack, f"register {title} | Route claims e-mail by urgency", user)
    reply = replies(slack, url)[-1]
    assert reply.get("response_type") == "in_channel", reply
    with session_scope() as session:
        return session.exec(select(UseCase.id).where(UseCase.title == title)).one()


# ---------------------------------------------------------------- /usecase


def test_usecase_help_is_answered_in_the_ack(slack: SlackApp) -> None:
    response, _ = command(slack, "help")
    body = response.json()
    assert "metric" in json.dumps(body) and "register" in json.dumps(body)


def test_unknown_subcommand_gets_an_ephemeral_error_with_usage_and_writes_nothing(slack) -> None:  # type: ignore[no-untyped-def]
    response, _ = command(slack, "frobnicate 12")
    body = json.dumps(response.json())
    assert "frobnicate" in body and "/usecase" in body
    with session_scope() as session:
        assert session.exec(select(UseCase)).all() == []


def test_register_announces_in_channel_then_list_show_vote_unvote(slack: SlackApp) -> None:
    uc = register(slack)
    _, url = command(slack, "list")
    assert "Claims triage" in text_of(replies(slack, url)[-1])
    _, url = command(slack, f"show UC-{uc}")
    card = replies(slack, url)[-1]
    assert card.get("response_type", "ephemeral") == "ephemeral"
    assert f"UC-{uc}" in text_of(card)
    _, url = command(slack, f"vote {uc} saves hours", user=OTHER)
    assert "Your vote is in" in text_of(replies(slack, url)[-1])
    _, url = command(slack, f"unvote {uc}", user=OTHER)
    assert "withdrawn" in text_of(replies(slack, url)[-1])
    with session_scope() as session:
        assert session.exec(select(Vote)).all() == []


def test_owner_reports_metrics_moves_phase_adopts_drops_restores_and_sees_history(slack) -> None:  # type: ignore[no-untyped-def]
    uc = register(slack)
    _, url = command(slack, f"metric {uc} hours_saved=10 llm_cost=100 week=2026-W47")
    assert "$500" in text_of(replies(slack, url)[-1])  # 10 × 60 − 100
    _, url = command(slack, f"phase {uc} production override sponsor signed off", user="UADMIN")
    assert replies(slack, url)[-1]["response_type"] == "in_channel"
    _, url = command(slack, f"adopt {uc} Retail banking")
    assert "Retail banking" in text_of(replies(slack, url)[-1])
    _, url = command(slack, f"snooze {uc} 2")
    assert "2 week" in text_of(replies(slack, url)[-1])
    _, url = command(slack, f"drop {uc} no measurable value")
    assert "no measurable value" in text_of(replies(slack, url)[-1])
    _, url = command(slack, f"restore {uc}")
    assert "active again" in text_of(replies(slack, url)[-1])
    _, url = command(slack, f"history {uc}")
    history = text_of(replies(slack, url)[-1])
    for action in ("register", "metric", "phase", "adopt", "drop", "restore"):
        assert action in history
    with session_scope() as session:
        report = session.exec(select(MetricReport)).one()
        assert report.week == "2026-W47" and report.hours_saved == 10


def test_a_non_owner_is_refused_and_the_refusal_is_audited(slack: SlackApp) -> None:
    uc = register(slack)
    _, url = command(slack, f"phase {uc} production", user=OTHER)
    reply = replies(slack, url)[-1]
    assert reply.get("response_type", "ephemeral") == "ephemeral"
    assert "owner" in text_of(reply).lower()
    with session_scope() as session:
        refused = session.exec(select(AuditEvent).where(AuditEvent.allowed == False)).all()  # noqa: E712
        assert [e.actor_id for e in refused] == [OTHER]
        assert session.get(UseCase, uc).phase == "pilot"  # type: ignore[union-attr]


def test_bad_metric_input_is_explained_and_nothing_is_written(slack: SlackApp) -> None:
    uc = register(slack)
    for bad in (
        f"metric {uc} hours_saved=-3",
        f"metric {uc} happiness=3",
        f"metric {uc} hours_saved=3 week=2026-53x",
        "metric",
        "show 999999",
    ):
        response, url = command(slack, bad)
        body = json.dumps(response.json() or {}) if response.body else ""
        if not body:
            body = text_of(replies(slack, url)[-1])
        assert ":warning:" in body, bad
    with session_scope() as session:
        assert session.exec(select(MetricReport)).all() == []


def test_markup_injection_is_refused_with_an_explanation(slack: SlackApp) -> None:
    response, _ = command(slack, "register Hey <!channel> look | desc")
    body = response.body
    assert ":warning:" in body and "@channel" in body and "<!channel>" not in body
    with session_scope() as session:
        assert session.exec(select(UseCase)).all() == []


def test_register_without_text_opens_the_modal_and_its_submission_registers(slack) -> None:  # type: ignore[no-untyped-def]
    command(slack, "register")
    opened = slack.fake.wait_for("views.open")[-1]
    view = opened.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == VIEW_USECASE_REGISTER
    response = slack.requester.view_submission(
        VIEW_USECASE_REGISTER,
        {
            "title": {"value": "Invoice matching"},
            "description": {"value": "Match invoices to orders"},
            "units": {"value": "Finance, Procurement"},
            "processes": {"value": ""},
            "risk_tier": {
                "value": {"type": "static_select", "selected_option": {"value": "limited"}}
            },
        },
        private_metadata=view["private_metadata"],
    )
    assert response.status == 200
    slack.fake.wait_for("chat.postMessage", predicate=lambda c: "Invoice" in json.dumps(c.args))
    with session_scope() as session:
        uc = session.exec(select(UseCase)).one()
        assert uc.title == "Invoice matching" and uc.risk_tier == "limited"


def test_modal_with_an_empty_title_shows_a_field_error(slack: SlackApp) -> None:
    response = slack.requester.view_submission(
        VIEW_USECASE_REGISTER,
        {
            "title": {"value": " "},
            "description": {"value": ""},
            "units": {"value": ""},
            "processes": {"value": ""},
            "risk_tier": {"value": {"type": "static_select", "selected_option": {"value": "high"}}},
        },
        private_metadata=json.dumps({"channel": "C111", "confirmed": False}),
    )
    assert response.json()["response_action"] == "errors"
    assert "title" in response.json()["errors"]


def test_vote_button_on_a_card_records_the_vote(slack: SlackApp) -> None:
    uc = register(slack)
    response = slack.requester.block_action(
        ACTION_USECASE_VOTE, str(uc), user_id=OTHER, channel_id="C111"
    )
    assert response.status == 200
    slack.fake.wait_for("response_url", count=2)  # registration + the vote's card
    with session_scope() as session:
        assert [v.user_id for v in session.exec(select(Vote)).all()] == [OTHER]


def test_digest_buttons_refuse_non_admins_politely(slack: SlackApp) -> None:
    uc = register(slack)
    url = slack.fake.response_url()
    slack.requester.block_action(
        ACTION_DIGEST_DROP, str(uc), user_id=USER, channel_id="C111", response_url=url
    )
    assert "spine admins" in text_of(replies(slack, url)[-1])
    with session_scope() as session:
        refused = session.exec(select(AuditEvent).where(AuditEvent.allowed == False)).all()  # noqa: E712
        assert [(e.actor_id, e.action) for e in refused] == [(USER, "drop")]
    url = slack.fake.response_url()
    slack.requester.block_action(
        ACTION_DIGEST_DROP, str(uc), user_id="UADMIN", channel_id="C111", response_url=url
    )
    assert "dropped" in text_of(replies(slack, url)[-1])
    with session_scope() as session:
        assert session.get(UseCase, uc).status == "dropped"  # type: ignore[union-attr]


# ---------------------------------------------------------------- Q&A


def test_ask_acks_with_progress_then_answers_in_channel_with_sources(slack: SlackApp) -> None:
    response, url = command(slack, "What must a pilot show?", name="/ask")
    assert "Looking that up" in response.body
    answer = [r for r in replies(slack, url, count=2) if r.get("response_type") == "in_channel"]
    assert answer and "[1] Phase gates" in text_of(answer[0])
    with session_scope() as session:
        logged = session.exec(select(QuestionLog)).one()
        assert logged.surface == "ask" and not logged.abstained


def test_empty_ask_gets_usage(slack: SlackApp) -> None:
    response, _ = command(slack, "", name="/ask")
    assert "/ask" in response.body and ":warning:" in response.body


def test_mention_shows_progress_then_the_answer_replaces_it_in_a_thread(slack: SlackApp) -> None:
    event = payloads.app_mention_event("What must a pilot show?")
    assert slack.requester.event(event).status == 200
    posted = slack.fake.wait_for("chat.postMessage")[0]
    assert posted.args["thread_ts"] == event["ts"]
    assert "Looking that up" in json.dumps(posted.args)
    updated = slack.fake.wait_for("chat.update")[0]
    assert updated.args["ts"] == posted.response["ts"]  # type: ignore[index]
    assert "Phase gates" in json.dumps(updated.args)
    with session_scope() as session:
        assert session.get(BotThread, ("C111", event["ts"])) is not None


def test_follow_up_in_the_bots_thread_is_answered_with_the_thread_as_context(slack) -> None:  # type: ignore[no-untyped-def]
    first = payloads.app_mention_event("What must a pilot show?")
    slack.fake.add_message("C111", first["text"], ts=first["ts"])
    slack.requester.event(first)
    slack.fake.wait_for("chat.update")
    follow = payloads.message_event("and for platform?", thread_ts=first["ts"])
    slack.fake.add_message("C111", follow["text"], ts=follow["ts"], thread_ts=first["ts"])
    slack.requester.event(follow)
    slack.fake.wait_for("chat.update", count=2)
    question, history = slack.knowledge.questions[-1]
    assert question == "and for platform?"
    assert "What must a pilot show?" in history


def test_messages_in_threads_the_bot_was_never_part_of_are_ignored(slack: SlackApp) -> None:
    event = payloads.message_event("chatting", thread_ts="1700000000.000100")
    assert slack.requester.event(event).status == 200
    plain = payloads.message_event("just a channel message")
    assert slack.requester.event(plain).status == 200
    time.sleep(0.3)  # give a wrong answer the chance to appear
    assert slack.fake.calls_to("chat.postMessage") == []


def test_a_dm_is_answered_and_abstentions_are_logged_as_gaps(slack: SlackApp) -> None:
    event = payloads.message_event("Where can I park?", channel="D111")
    slack.requester.event(event)
    updated = slack.fake.wait_for("chat.update")[0]
    assert "does not cover" in json.dumps(updated.args)
    with session_scope() as session:
        logged = session.exec(select(QuestionLog)).one()
        assert logged.abstained and logged.surface == "dm"


def test_a_retried_event_is_answered_once(slack: SlackApp) -> None:
    event = payloads.app_mention_event("What must a pilot show?")
    slack.requester.event(event, event_id="Ev0RETRY")
    again = slack.requester.event(event, event_id="Ev0RETRY", retry_num=1)
    assert again.status == 200
    slack.fake.wait_for("chat.update")
    time.sleep(0.3)
    assert len(slack.fake.calls_to("chat.postMessage")) == 1
    assert len(slack.knowledge.questions) == 1


def test_failure_while_answering_shows_an_apology_with_a_reference(slack: SlackApp) -> None:
    slack.knowledge.fail = True
    slack.requester.event(payloads.app_mention_event("anything"))
    updated = slack.fake.wait_for("chat.update")[0]
    assert "reference" in json.dumps(updated.args)


def test_a_429_from_slack_is_retried_and_the_answer_still_arrives(slack: SlackApp) -> None:
    slack.fake.rate_limit("chat.postMessage", times=1, retry_after=1)
    slack.requester.event(payloads.app_mention_event("What must a pilot show?"))
    slack.fake.wait_for("chat.update", timeout=10)
    statuses = [c.status for c in slack.fake.calls_to("chat.postMessage")]
    assert statuses == [429, 200]


def test_feedback_is_stored_and_can_be_changed(slack: SlackApp) -> None:
    _, url = command(slack, "What must a pilot show?", name="/ask")
    replies(slack, url, count=2)
    with session_scope() as session:
        qid = session.exec(select(QuestionLog.id)).one()
    slack.requester.block_action(ACTION_FEEDBACK_UP, str(qid), channel_id="C111")
    slack.fake.wait_until(lambda: _feedback() == [True])
    slack.requester.block_action(ACTION_FEEDBACK_DOWN, str(qid), channel_id="C111")
    slack.fake.wait_until(lambda: _feedback() == [False])


def _feedback() -> list[bool]:
    with session_scope() as session:
        return [f.helpful for f in session.exec(select(Feedback)).all()]


# ---------------------------------------------------------------- security


def test_bad_signature_and_stale_timestamp_get_401_and_touch_nothing(slack: SlackApp) -> None:
    body = payloads.slash_command_form(
        "/usecase",
        "register Sneaky | x",
        user_id=USER,
        channel_id="C111",
        response_url=slack.fake.response_url(),
    )
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        **sign(body.encode(), "wrong-secret"),
    }
    assert slack.requester.raw(body, headers).status == 401
    stale = slack.requester.signed(
        body, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 600
    )
    assert stale.status == 401
    time.sleep(0.2)
    assert slack.fake.calls_to("response_url") == []
    with session_scope() as session:
        assert session.exec(select(UseCase)).all() == []


def test_healthz_reports_the_database(slack: SlackApp) -> None:
    response = slack.requester.get("/healthz")
    assert response.status == 200 and response.json()["ok"] is True


def test_acks_are_not_delayed_by_answers_in_flight(slack: SlackApp) -> None:
    """20 answers block inside the knowledge base; a command must still be acked (and a
    listener pool clogged by slow work would hang here until the answers are released)."""
    import threading

    release = threading.Event()
    original = slack.knowledge.ask

    def blocked(question, *, history=()):  # type: ignore[no-untyped-def]
        release.wait(30)
        return original(question, history=history)

    slack.knowledge.ask = blocked  # type: ignore[method-assign]
    try:
        for _ in range(20):
            assert slack.requester.event(payloads.app_mention_event("slow one")).status == 200
        slack.fake.wait_for("chat.postMessage", count=16)  # every worker is now busy
        assert not release.is_set()
        response, _ = command(slack, "help")
        assert response.status == 200 and "register" in response.body
        assert len(slack.fake.calls_to("chat.update")) == 0  # the answers are still blocked
    finally:
        release.set()
    slack.fake.wait_for("chat.update", count=20, timeout=20)


def test_a_similar_registration_asks_first_and_register_anyway_registers(slack) -> None:  # type: ignore[no-untyped-def]
    register(slack, "Claims e-mail triage")
    _, url = command(slack, "register Triage of claims e-mails | Route claims e-mail by urgency")
    prompt = replies(slack, url)[-1]
    assert "look similar" in text_of(prompt) and "Register anyway" in text_of(prompt)
    confirm = next(
        e
        for b in prompt["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "usecase_confirm_register"
    )
    url = slack.fake.response_url()
    slack.requester.block_action(
        "usecase_confirm_register", confirm["value"], channel_id="C111", response_url=url
    )
    assert any(r.get("response_type") == "in_channel" for r in replies(slack, url, count=2))
    with session_scope() as session:
        assert len(session.exec(select(UseCase)).all()) == 2


def test_an_assistant_thread_gets_starter_prompts(slack: SlackApp) -> None:
    slack.requester.event(payloads.assistant_thread_started_event())
    call = slack.fake.wait_for("assistant.threads.setSuggestedPrompts")[0]
    assert "production" in json.dumps(call.args)


def test_a_question_in_an_assistant_thread_shows_the_assistant_status(slack: SlackApp) -> None:
    started = payloads.assistant_thread_started_event()
    thread = started["assistant_thread"]
    slack.requester.event(started)
    slack.fake.wait_for("assistant.threads.setSuggestedPrompts")
    question = payloads.message_event(
        "What must a pilot show?", channel=thread["channel_id"], thread_ts=thread["thread_ts"]
    )
    slack.requester.event(question)
    status = slack.fake.wait_for("assistant.threads.setStatus")[0]
    assert status.args["thread_ts"] == thread["thread_ts"]
    assert "Phase gates" in json.dumps(slack.fake.wait_for("chat.update")[0].args)
