"""/usecase surfaces over signed Slack requests: one wording per outcome, wherever the
command came from (slash command, modal, digest button)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import build_app
from bot.constants import ACTION_DIGEST_PHASE, VIEW_USECASE_EDIT, VIEW_USECASE_REGISTER
from bot.deps import Deps
from bot.server import Server
from portfolio.models import AuditEvent, UseCase
from spinebot.db import session_scope
from spinebot.settings import get_settings
from tests.bot.conftest import ScriptedKnowledge, SlackApp
from tests.bot.test_slack_e2e import USER, command, register, replies, text_of
from tests.harness.fake_slack import FakeSlack
from tests.harness.fixtures import SIGNING_SECRET
from tests.harness.signing import SlackRequester

ADMIN = "UADMIN"


def ready(uc: int) -> int:
    """Four weeks of positive value, so the pilot's gate to production is open."""
    from portfolio.service import PortfolioService
    from portfolio.weeks import current_week, shift

    svc = PortfolioService(get_settings())
    now = current_week(svc.settings.tz)
    for ago in range(1, 5):
        svc.report_metrics(
            actor=ADMIN, use_case_id=uc, values={"revenue": 100}, week=shift(now, -ago)
        )
    return uc


def register_distinct(slack: SlackApp, title: str, description: str) -> int:
    _, url = command(slack, f"register {title} | {description}")
    assert replies(slack, url)[-1].get("response_type") == "in_channel"
    with session_scope() as session:
        return session.exec(select(UseCase.id).where(UseCase.title == title)).one()


def form(title: str, description: str, units: str, processes: str, risk: str) -> dict:
    return {
        "title": {"value": title},
        "description": {"value": description},
        "units": {"value": units},
        "processes": {"value": processes},
        "risk_tier": {"value": {"type": "static_select", "selected_option": {"value": risk}}},
    }


def test_a_promotion_says_up_and_a_demotion_says_down_in_the_channel(slack: SlackApp) -> None:
    uc = register(slack)
    _, url = command(slack, f"phase {uc} platform override moved in ready", user=ADMIN)
    up = replies(slack, url)[-1]
    assert up["response_type"] == "in_channel" and ":arrow_up:" in text_of(up)
    _, url = command(slack, f"phase {uc} pilot")
    down = replies(slack, url)[-1]
    assert down["response_type"] == "in_channel"
    assert ":arrow_down:" in text_of(down) and ":arrow_up:" not in text_of(down)
    assert "from platform to *pilot*" in text_of(down)


def test_the_digest_button_announces_a_move_in_the_words_of_the_slash_command(
    slack: SlackApp,
) -> None:
    typed = ready(register(slack, "Claims triage"))
    pressed = ready(register_distinct(slack, "Invoice matching", "Pair supplier invoices"))
    _, url = command(slack, f"phase {typed} production", user=ADMIN)
    by_command = text_of(replies(slack, url)[-1])
    url = slack.fake.response_url()
    slack.requester.block_action(
        ACTION_DIGEST_PHASE,
        f"{pressed}:production",
        user_id=ADMIN,
        channel_id="C111",
        response_url=url,
    )
    reply = replies(slack, url)[-1]
    assert reply["response_type"] == "in_channel"
    by_button = text_of(reply)
    assert by_command.replace(f"UC-{typed}* Claims triage", "X") == by_button.replace(
        f"UC-{pressed}* Invoice matching", "X"
    )


def test_the_duplicate_warning_keeps_every_field_of_the_modal(slack: SlackApp) -> None:
    register(slack, "Claims e-mail triage")
    first = slack.requester.view_submission(
        VIEW_USECASE_REGISTER,
        form(
            "Triage of claims e-mails",
            "Route claims e-mail by urgency",
            "Legal, Claims",
            "intake, routing",
            "high",
        ),
        private_metadata=json.dumps({"channel": "C111", "confirmed": False}),
    )
    body = first.json()
    assert body["response_action"] == "update"
    view = body["view"]
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs["title"]["initial_value"] == "Triage of claims e-mails"
    assert inputs["units"]["initial_value"] == "Legal, Claims"
    assert inputs["processes"]["initial_value"] == "intake, routing"
    assert inputs["risk_tier"]["initial_option"]["value"] == "high"
    again = slack.requester.view_submission(
        VIEW_USECASE_REGISTER,
        form(
            "Triage of claims e-mails",
            "Route claims e-mail by urgency",
            inputs["units"]["initial_value"],
            inputs["processes"]["initial_value"],
            inputs["risk_tier"]["initial_option"]["value"],
        ),
        private_metadata=view["private_metadata"],
    )
    assert again.status == 200
    slack.fake.wait_for("chat.postMessage", predicate=lambda c: "Triage of" in json.dumps(c.args))
    with session_scope() as session:
        saved = session.exec(select(UseCase).where(UseCase.title.startswith("Triage"))).one()  # type: ignore[attr-defined]
        assert saved.risk_tier == "high" and saved.processes == ["intake", "routing"]
    _, url = command(slack, f"show {saved.id}", user=USER)
    assert "Claims, Legal" in text_of(replies(slack, url)[-1])  # units sorted by name


# ---------------------------------------------------------------- edit (SQLite and Postgres)


@pytest.fixture
def slack_any(db, slack_env: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackApp]:  # type: ignore[no-untyped-def]
    """The served Slack app on the parametrized ``db`` (SQLite, then Postgres)."""
    monkeypatch.setenv("SPINE_ADMINS", ADMIN)
    get_settings.cache_clear()
    settings = get_settings()
    deps = Deps.create(settings)
    deps.knowledge_factory = lambda: ScriptedKnowledge()  # type: ignore[assignment, return-value]
    app = build_app(settings, deps=deps)
    with Server(app, threads=4, check_index=False) as server:
        requester = SlackRequester(server.url, SIGNING_SECRET, response_url=slack_env.response_url)
        yield SlackApp(slack_env, requester, ScriptedKnowledge(), server, deps)
    deps.shutdown()


def test_edit_opens_the_form_prefilled_and_saving_it_is_audited(slack_any: SlackApp) -> None:
    slack = slack_any
    uc = register(slack)
    command(slack, f"edit {uc}")
    view = slack.fake.wait_for("views.open")[-1].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == VIEW_USECASE_EDIT
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs["title"]["initial_value"] == "Claims triage"
    assert inputs["owner"]["initial_user"] == USER
    state = form("Claims e-mail triage", "Route claims by urgency", "Legal", "intake", "high")
    state["owner"] = {"value": {"type": "users_select", "selected_user": USER}}
    response = slack.requester.view_submission(
        VIEW_USECASE_EDIT, state, private_metadata=view["private_metadata"]
    )
    assert response.status == 200 and not response.body.strip()  # closed: saved
    shown = slack.fake.wait_for("chat.postEphemeral")[-1].args
    assert "Saved" in json.dumps(shown) and shown["user"] == USER
    with session_scope() as session:
        saved = session.get(UseCase, uc)
        assert saved is not None and (saved.title, saved.risk_tier) == (
            "Claims e-mail triage",
            "high",
        )
        [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "edit")).all()
        assert event.before["title"] == "Claims triage"  # type: ignore[index]
        assert event.after["units"] == ["Legal"]  # type: ignore[index]


def test_the_text_edit_and_a_refused_edit_over_slack(slack_any: SlackApp) -> None:
    slack = slack_any
    uc = register(slack)
    _, url = command(slack, f"edit {uc} risk=high units+=Legal")
    reply = replies(slack, url)[-1]
    assert reply.get("response_type", "ephemeral") == "ephemeral"
    assert "Saved" in text_of(reply) and "Legal" in text_of(reply)
    _, url = command(slack, f"edit {uc} title=Taken over", user="U222")
    assert "Only the owner" in text_of(replies(slack, url)[-1])
    _, url = command(slack, f"edit {uc}", user="U222")  # the form is refused too
    assert "Only the owner" in text_of(replies(slack, url)[-1])
    assert not slack.fake.calls_to("views.open")
    with session_scope() as session:
        assert session.get(UseCase, uc).title == "Claims triage"  # type: ignore[union-attr]


def test_gates_over_slack_a_closed_gate_a_review_and_a_move_up(slack_any: SlackApp) -> None:
    slack = slack_any
    uc = ready(register(slack))
    _, url = command(slack, f"edit {uc} risk=high")
    assert "Saved" in text_of(replies(slack, url)[-1])  # done before the move is asked for
    _, url = command(slack, f"phase {uc} production")
    closed = replies(slack, url)[-1]
    assert closed.get("response_type", "ephemeral") == "ephemeral"
    assert "needs a recorded review" in text_of(closed) and ":warning:" in text_of(closed)
    _, url = command(slack, f"review {uc} approved", user="U222")
    assert "Only spine admins" in text_of(replies(slack, url)[-1])
    _, url = command(slack, f"review {uc} conditions human check of every tenth claim", ADMIN)
    reviewed = text_of(replies(slack, url)[-1])
    assert "Review of *UC-" in reviewed and "conditions" in reviewed
    _, url = command(slack, f"phase {uc} production")
    moved = replies(slack, url)[-1]
    assert moved["response_type"] == "in_channel" and ":arrow_up:" in text_of(moved)


# ---------------------------------------------------------------- import and export


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "portfolio-import.csv"


def test_an_admin_imports_a_shared_file_with_a_dry_run_first(slack_any: SlackApp) -> None:
    slack = slack_any
    file_id = slack.fake.share_file("portfolio.csv", EXAMPLE.read_bytes(), user=ADMIN)
    _, url = command(slack, f"import {file_id} dry-run", ADMIN)
    dry = text_of(replies(slack, url)[-1])
    assert "Dry run, nothing stored" in dry and "3 use case(s) to create" in dry
    with session_scope() as session:
        assert session.exec(select(UseCase)).all() == []
    link = f"https://example.slack.com/files/{ADMIN}/{file_id}/portfolio.csv"
    _, url = command(slack, f"import {link}", ADMIN)
    assert "Imported. 3 use case(s) to create" in text_of(replies(slack, url)[-1])
    [download] = [c for c in slack.fake.calls_to("download")][-1:]
    assert download.token == "xoxb-test-token"  # fetched with the bot token
    with session_scope() as session:
        assert len(session.exec(select(UseCase)).all()) == 3
    _, url = command(slack, f"import {file_id}", ADMIN)
    assert "Nothing to change" in text_of(replies(slack, url)[-1])


def test_a_bad_file_names_row_and_column_and_non_admins_cannot_import(
    slack_any: SlackApp,
) -> None:
    slack = slack_any
    bad = b"title,week,hours_saved\nClaims,2026-W30,lots\n"
    file_id = slack.fake.share_file("bad.csv", bad, user=ADMIN)
    _, url = command(slack, f"import {file_id}", ADMIN)
    reply = text_of(replies(slack, url)[-1])
    assert ":warning:" in reply and "row 2, column hours_saved" in reply
    _, url = command(slack, f"import {file_id}", USER)
    assert "Only spine admins" in text_of(replies(slack, url)[-1])
    _, url = command(slack, "import F0NOSUCH1", ADMIN)
    assert "cannot see file" in text_of(replies(slack, url)[-1])
    with session_scope() as session:
        assert session.exec(select(UseCase)).all() == []


def test_export_sends_the_files_to_the_callers_dm(slack_any: SlackApp) -> None:
    slack = slack_any
    register(slack)
    _, url = command(slack, "export csv", ADMIN)
    assert "Sent the CSV export to your DM" in text_of(replies(slack, url)[-1])
    [opened] = slack.fake.calls_to("conversations.open")
    assert opened.args["users"] == ADMIN
    uploaded = list(slack.fake.uploads.values())
    assert any(data.startswith(b"title,description,owner") for data in uploaded)
    assert any(b"Claims triage" in data for data in uploaded)
    _, url = command(slack, "export", USER)
    assert "Only spine admins" in text_of(replies(slack, url)[-1])


# ---------------------------------------------------------------- find and compare


def test_search_list_owner_units_and_votes_over_slack(slack_any: SlackApp) -> None:
    slack = slack_any
    uc = register(slack)
    _, url = command(slack, f"vote {uc} it saves us a day", user="U222")
    replies(slack, url)
    _, url = command(slack, "search claims")
    found = text_of(replies(slack, url)[-1])
    assert f"*UC-{uc}* Claims triage" in found and "match" in found
    _, url = command(slack, f"list <@{USER}|ana>", user="U222")
    assert "Use cases owned by @" in text_of(replies(slack, url)[-1])
    _, url = command(slack, f"edit {uc} units=Claims")
    replies(slack, url)
    _, url = command(slack, "units")
    table = text_of(replies(slack, url)[-1])
    assert "Business units" in table and "Claims" in table and "net 13w" in table
    _, url = command(slack, f"votes {uc}")
    votes = text_of(replies(slack, url)[-1])
    assert "<@U222>" in votes and "it saves us a day" in votes
    _, url = command(slack, f"votes {uc}", user="U333")
    assert "Only the owner" in text_of(replies(slack, url)[-1])
