"""The harness itself: the fake Web API answers like Slack for the SDK's real client,
signatures match Slack's published vector, payload builders rebuild the recorded
fixtures, and a bare Bolt app served over HTTP handles what the requester sends."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from bot.server import Server
from bot.slack_client import make_client
from spinebot.settings import Settings
from tests.harness import fixtures as harness_fixtures
from tests.harness import payloads
from tests.harness.fake_slack import FakeSlack, dm_channel
from tests.harness.fixtures import BOT_TOKEN, SIGNING_SECRET
from tests.harness.signing import SlackRequester, sign

Loader = Callable[[str], Any]

# Until tests/conftest.py loads ``tests.harness.fixtures`` as a plugin, take its fixtures.
fake_slack = harness_fixtures.fake_slack
slack_fixture = harness_fixtures.slack_fixture
slack_env = harness_fixtures.slack_env


@pytest.fixture
def client(fake_slack: FakeSlack) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)


def _ts(value: str) -> tuple[int, int]:
    seconds, micros = value.split(".")
    return int(seconds), int(micros)


# ---------------------------------------------------------------------- fake Web API


def test_auth_test_names_the_bot_user_and_records_the_bearer_token(client, fake_slack):
    reply = client.auth_test()
    assert reply["user_id"] == "UBOT" and reply["team_id"] == "T111" and reply["bot_id"]
    (call,) = fake_slack.calls_to("auth.test")
    assert call.token == BOT_TOKEN and call.ok


def test_post_message_returns_increasing_unique_timestamps_and_records_the_blocks(
    client, fake_slack
):
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    first = client.chat_postMessage(channel="C111", text="hi", blocks=blocks)
    second = client.chat_postMessage(channel="C111", text="again")
    assert first["channel"] == "C111" and first["message"]["text"] == "hi"
    assert _ts(first["ts"]) < _ts(second["ts"])
    calls = fake_slack.calls_to("chat.postMessage")
    assert [c.args["text"] for c in calls] == ["hi", "again"]
    assert calls[0].args["blocks"] == blocks
    assert fake_slack.message("C111", first["ts"])["blocks"] == blocks


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_post_message_without_text_or_blocks_fails_as_slack_does(client, fake_slack):
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C111", text="")
    assert err.value.response["error"] == "no_text"
    (call,) = fake_slack.calls_to("chat.postMessage")
    assert call.error == "no_text" and not call.ok


def test_posting_to_a_user_id_lands_in_the_dm_that_conversations_open_returns(client):
    opened = client.conversations_open(users="U222")
    assert opened["channel"]["id"] == dm_channel("U222") and opened["channel"]["id"][0] == "D"
    posted = client.chat_postMessage(channel="U222", text="psst")
    assert posted["channel"] == opened["channel"]["id"]


def test_update_replaces_the_text_and_delete_removes_the_message(client, fake_slack):
    posted = client.chat_postMessage(channel="C111", text="Thinking…")
    updated = client.chat_update(channel="C111", ts=posted["ts"], text="The answer [1]")
    assert updated["ts"] == posted["ts"] and updated["message"]["text"] == "The answer [1]"
    assert fake_slack.message("C111", posted["ts"])["text"] == "The answer [1]"
    client.chat_delete(channel="C111", ts=posted["ts"])
    assert fake_slack.message("C111", posted["ts"]) is None


def test_updating_a_message_slack_never_saw_fails_with_message_not_found(client):
    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel="C111", ts="123.456", text="x")
    assert err.value.response["error"] == "message_not_found"


def test_ephemeral_messages_are_kept_for_the_user_they_were_shown_to(client, fake_slack):
    reply = client.chat_postEphemeral(channel="C111", user="U222", text="only you")
    assert reply["message_ts"]
    assert fake_slack.ephemeral[0]["for_user"] == "U222"
    assert fake_slack.ephemeral[0]["text"] == "only you"


def test_thread_replies_list_seeded_and_posted_messages_oldest_first(client, fake_slack):
    question = fake_slack.add_message("C111", "<@UBOT> what is a phase gate?", user="U111")
    client.chat_postMessage(channel="C111", text="An answer", thread_ts=question["ts"])
    fake_slack.add_message("C111", "and for pilots?", user="U111", thread_ts=question["ts"])
    client.chat_postMessage(channel="C111", text="elsewhere")
    replies = client.conversations_replies(channel="C111", ts=question["ts"])
    assert [m["text"] for m in replies["messages"]] == [
        "<@UBOT> what is a phase gate?",
        "An answer",
        "and for pilots?",
    ]
    assert replies["messages"][0]["reply_count"] == 2
    assert replies["messages"][0]["thread_ts"] == question["ts"]


def test_a_reply_the_app_posts_sorts_after_the_question_built_just_before(client, fake_slack):
    question = payloads.message_event("what is a phase gate?", channel="D111")
    fake_slack.add_message("D111", question["text"], ts=question["ts"])
    reply = client.chat_postMessage(channel="D111", text="An answer", thread_ts=question["ts"])
    assert _ts(question["ts"]) < _ts(reply["ts"])
    texts = [m["text"] for m in fake_slack.thread("D111", question["ts"])]
    assert texts == ["what is a phase gate?", "An answer"]


def test_replies_of_an_unknown_thread_fail_with_thread_not_found(client):
    with pytest.raises(SlackApiError) as err:
        client.conversations_replies(channel="C111", ts="1.000001")
    assert err.value.response["error"] == "thread_not_found"


def test_views_open_update_and_publish_keep_the_views(client, fake_slack):
    modal = {
        "type": "modal",
        "callback_id": "usecase_register_modal",
        "title": {"type": "plain_text", "text": "Register"},
        "blocks": [],
    }
    opened = client.views_open(trigger_id="111.222.valid", view=modal)
    view_id = opened["view"]["id"]
    assert opened["view"]["callback_id"] == "usecase_register_modal"
    updated = client.views_update(view_id=view_id, view={**modal, "blocks": [{"type": "divider"}]})
    assert updated["view"]["id"] == view_id
    assert fake_slack.views[view_id]["blocks"] == [{"type": "divider"}]
    home = {"type": "home", "blocks": [{"type": "divider"}]}
    first = client.views_publish(user_id="U111", view=home)
    again = client.views_publish(user_id="U111", view=home)
    assert first["view"]["id"] == again["view"]["id"]
    assert fake_slack.home_views["U111"]["type"] == "home"
    assert [c.args["user_id"] for c in fake_slack.calls_to("views.publish")] == ["U111", "U111"]


def test_views_open_without_a_trigger_id_fails(client):
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id="", view={"type": "modal", "blocks": []})
    assert err.value.response["error"] == "invalid_trigger_id"


def test_reactions_are_added_once_and_removed(client, fake_slack):
    posted = client.chat_postMessage(channel="C111", text="q")
    client.reactions_add(channel="C111", timestamp=posted["ts"], name="eyes")
    with pytest.raises(SlackApiError) as err:
        client.reactions_add(channel="C111", timestamp=posted["ts"], name="eyes")
    assert err.value.response["error"] == "already_reacted"
    client.reactions_remove(channel="C111", timestamp=posted["ts"], name="eyes")
    assert fake_slack.reactions[("C111", posted["ts"])] == []
    with pytest.raises(SlackApiError):
        client.reactions_remove(channel="C111", timestamp=posted["ts"], name="eyes")


def test_users_info_returns_seeded_profiles_and_a_generated_one_otherwise(client, fake_slack):
    fake_slack.add_user("U222", name="ada", real_name="Ada Lovelace", tz="Europe/London")
    seeded = client.users_info(user="U222")["user"]
    assert seeded["real_name"] == "Ada Lovelace" and seeded["tz"] == "Europe/London"
    generated = client.users_info(user="U333")["user"]
    assert generated["id"] == "U333" and generated["profile"]["display_name"]


def test_assistant_thread_methods_are_accepted_and_recorded(client, fake_slack):
    with pytest.raises(SlackApiError):
        client.assistant_threads_setStatus(channel_id="D111", thread_ts="", status="x")
    fake_slack.reset()
    client.assistant_threads_setStatus(channel_id="D111", thread_ts="1.1", status="is thinking…")
    client.assistant_threads_setSuggestedPrompts(
        channel_id="D111", thread_ts="1.1", prompts=[{"title": "Phases", "message": "Phases?"}]
    )
    client.assistant_threads_setTitle(channel_id="D111", thread_ts="1.1", title="Phases")
    assert fake_slack.methods_called() == [
        "assistant.threads.setStatus",
        "assistant.threads.setSuggestedPrompts",
        "assistant.threads.setTitle",
    ]
    prompts = fake_slack.calls_to("assistant.threads.setSuggestedPrompts")[0].args["prompts"]
    assert prompts == [{"title": "Phases", "message": "Phases?"}]


def test_files_upload_v2_goes_through_all_three_steps_and_shares_in_the_thread(client, fake_slack):
    parent = client.chat_postMessage(channel="C111", text="digest")
    reply = client.files_upload_v2(
        channel="C111",
        thread_ts=parent["ts"],
        content=b"\x89PNG fake chart",
        filename="trend.png",
        title="Net value trend",
    )
    assert reply["file"]["title"] == "Net value trend"
    assert fake_slack.methods_called()[-3:] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    assert fake_slack.uploads[reply["file"]["id"]] == b"\x89PNG fake chart"
    shared = client.conversations_replies(channel="C111", ts=parent["ts"])["messages"][-1]
    assert shared["files"][0]["name"] == "trend.png"


def test_response_url_posts_are_recorded_per_url(fake_slack):
    first, second = fake_slack.response_url(), fake_slack.response_url("named")
    assert first != second and second.endswith("/response/named")
    assert WebhookClient(first).send(text="one", replace_original=True).status_code == 200
    WebhookClient(second).send(text="two", response_type="ephemeral")
    assert fake_slack.responses(first) == [{"text": "one", "replace_original": True}]
    assert fake_slack.responses(second)[0]["response_type"] == "ephemeral"
    assert len(fake_slack.responses()) == 2


def test_unknown_methods_answer_unknown_method_and_are_recorded(client, fake_slack):
    with pytest.raises(SlackApiError) as err:
        client.api_call("bots.teleport", params={"where": "moon"})
    assert err.value.response["error"] == "unknown_method"
    (call,) = fake_slack.calls_to("bots.teleport")
    assert call.args == {"where": "moon"} and call.error == "unknown_method"


def test_calls_without_a_token_are_refused_with_not_authed(fake_slack):
    with pytest.raises(SlackApiError) as err:
        WebClient(base_url=fake_slack.api_url).chat_postMessage(channel="C111", text="x")
    assert err.value.response["error"] == "not_authed"


def test_form_multipart_and_json_bodies_give_the_same_arguments(client, fake_slack):
    blocks = [{"type": "divider"}]
    client.api_call("chat.postMessage", params={"channel": "C1", "blocks": json.dumps(blocks)})
    client.api_call("chat.postMessage", data={"channel": "C1", "blocks": json.dumps(blocks)})
    client.api_call("chat.postMessage", json={"channel": "C1", "blocks": blocks})
    args = [c.args for c in fake_slack.calls_to("chat.postMessage")]
    assert args == [{"channel": "C1", "blocks": blocks}] * 3


def test_a_429_is_retried_by_the_sdk_retry_handler_after_retry_after(fake_slack):
    client = WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    fake_slack.rate_limit("chat.postMessage", times=1)
    reply = client.chat_postMessage(channel="C111", text="after a pause")
    assert reply["ok"]
    calls = fake_slack.calls_to("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 1.0  # the client honoured Retry-After: 1


def test_without_a_retry_handler_a_429_reaches_the_caller_with_retry_after(client, fake_slack):
    fake_slack.rate_limit("chat.update", times=1, retry_after=7)
    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel="C111", ts="1.1", text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] in ("7", ["7"])


def test_failures_on_demand_answer_ok_false_or_a_server_error(client, fake_slack):
    fake_slack.fail("chat.postMessage", error="channel_not_found")
    fake_slack.fail("views.open", status=503, error="service_unavailable")
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C404", text="x")
    assert err.value.response["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id="t", view={"type": "modal", "blocks": []})
    assert err.value.response.status_code == 503
    assert client.chat_postMessage(channel="C111", text="x")["ok"]  # times=1 by default


def test_a_lasting_failure_stays_until_cleared(client, fake_slack):
    fake_slack.fail("users.info", error="user_not_found", times=None)
    for _ in range(3):
        with pytest.raises(SlackApiError):
            client.users_info(user="U1")
    fake_slack.clear_failures()
    assert client.users_info(user="U1")["ok"]


def test_an_override_answers_a_method_and_the_call_is_still_recorded(client, fake_slack):
    fake_slack.on("team.info", lambda args: {"team": {"id": "T111", "name": "Acme"}})
    assert client.team_info()["team"]["name"] == "Acme"
    assert fake_slack.calls_to("team.info")[0].ok


def test_wait_for_returns_once_a_background_thread_made_the_call(client, fake_slack):
    def later() -> None:
        time.sleep(0.05)
        client.chat_postMessage(channel="C111", text="late", thread_ts="1.1")
        client.chat_postMessage(channel="C111", text="later", thread_ts="1.1")

    worker = threading.Thread(target=later)
    worker.start()
    calls = fake_slack.wait_for(
        "chat.postMessage", count=2, predicate=lambda c: c.args.get("thread_ts") == "1.1"
    )
    worker.join()
    assert [c.args["text"] for c in calls] == ["late", "later"]


def test_wait_for_fails_with_the_calls_it_did_see(client, fake_slack):
    client.auth_test()
    with pytest.raises(AssertionError, match=r"chat\.update.*auth\.test\(200\)"):
        fake_slack.wait_for("chat.update", timeout=0.05)


def test_reset_forgets_calls_messages_and_failures(client, fake_slack):
    client.chat_postMessage(channel="C111", text="x")
    fake_slack.fail("auth.test", times=None)
    fake_slack.reset()
    assert fake_slack.calls == [] and fake_slack.messages == {}
    assert client.auth_test()["ok"]


def test_the_spinebot_client_points_at_the_fake_and_survives_a_429(fake_slack):
    settings = Settings(slack_api_url=fake_slack.url + "/api", slack_bot_token=BOT_TOKEN)
    client = make_client(settings)
    fake_slack.rate_limit("chat.postMessage", times=1, retry_after=0)
    assert client.chat_postMessage(channel="C111", text="hello")["ok"]
    assert [c.status for c in fake_slack.calls_to("chat.postMessage")] == [429, 200]


def test_slack_env_points_the_configured_client_at_the_fake(slack_env):
    posted = make_client().chat_postMessage(channel="C111", text="configured")
    call = slack_env.last_call("chat.postMessage")
    assert call.token == BOT_TOKEN and call.args["text"] == "configured"
    assert call.response["message"]["ts"] == posted["ts"]
    with pytest.raises(AssertionError, match="no call to chat.update"):
        slack_env.last_call("chat.update")


# ---------------------------------------------------------------------- signing


def test_sign_reproduces_the_signature_from_slacks_sdk_test_vector(slack_fixture: Loader):
    vector = slack_fixture("sdk_signed_slash_command_vector.json")
    headers = sign(vector["body"], vector["signing_secret"], vector["timestamp"])
    assert headers == {
        "X-Slack-Request-Timestamp": vector["timestamp"],
        "X-Slack-Signature": vector["valid_signature"],
    }


def test_a_fresh_signature_is_accepted_by_the_sdk_verifier_and_a_tampered_body_is_not():
    body = payloads.slash_command_form("/ask", "what is a phase gate?")
    headers = sign(body, SIGNING_SECRET)
    verifier = SignatureVerifier(SIGNING_SECRET)
    lower = {k.lower(): v for k, v in headers.items()}
    assert verifier.is_valid_request(body, lower)
    assert not verifier.is_valid_request(body.replace("phase", "stage"), lower)
    assert not SignatureVerifier("another-secret").is_valid_request(body, lower)


# ---------------------------------------------------------------------- payload builders


def _missing_paths(recorded: Any, built: Any, path: str = "") -> list[str]:
    """Key paths present in a recorded payload but absent from the built one."""
    if isinstance(recorded, dict):
        if not isinstance(built, dict):
            return [path or "<root>"]
        missing = []
        for key, value in recorded.items():
            if key not in built:
                missing.append(f"{path}.{key}")
            else:
                missing.extend(_missing_paths(value, built[key], f"{path}.{key}"))
        return missing
    if isinstance(recorded, list) and recorded:
        if not isinstance(built, list) or not built:
            return [path]
        return _missing_paths(recorded[0], built[0], path + "[0]")
    return []


def test_slash_command_form_rebuilds_the_recorded_bolt_body(slack_fixture: Loader):
    built = payloads.slash_command_form(
        "/hello-world",
        "Hi",
        user_id="W111",
        user_name="primary-owner",
        channel_id="C111",
        channel_name="random",
        team_domain="test-domain",
        enterprise_id="E111",
        enterprise_name="Org Name",
        response_url="https://hooks.slack.com/commands/T111/111/xxxxx",
        trigger_id="111.111.xxx",
    )
    assert built == slack_fixture("bolt_slash_command.form")


def test_slash_command_form_rebuilds_the_signed_sdk_vector_body(slack_fixture: Loader):
    vector = slack_fixture("sdk_signed_slash_command_vector.json")
    built = payloads.slash_command_form(
        "/webhook-collect",
        "",
        token="xyzz0WbapA4vBCDEFasx0q6G",
        team_id="T1DC2JH3J",
        team_domain="testteamnow",
        channel_id="G8PSS9T3V",
        channel_name="foobar",
        user_id="U2CERLKJA",
        user_name="roadrunner",
        response_url="https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN",
        trigger_id="398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
    )
    assert built == vector["body"]


def test_event_callback_rebuilds_the_recorded_envelope(slack_fixture: Loader):
    recorded = slack_fixture("bolt_respond_app_mention_event_callback.json")
    built = payloads.event_callback(
        recorded["event"],
        event_id="Ev04SPP46R6J",
        team_id="T0G9PQBBK",
        bot_user_id="U111",
        event_time=1678252212,
        event_context="4-xxx",
        token=None,
    )
    assert built == recorded


def test_built_events_carry_every_field_of_the_recorded_ones(slack_fixture: Loader):
    mention = slack_fixture("bolt_app_mention_event_callback.json")
    built = payloads.event_callback(payloads.app_mention_event("Hi there!"))
    assert _missing_paths(mention, built) == [".enterprise_id", ".authed_users"]  # legacy
    assert built["event"]["text"] == "<@UBOT> Hi there!"
    im = slack_fixture("slackdocs_message_im_event_callback.json")
    dm = payloads.event_callback(payloads.message_event("hello", channel="D024BE91L"))
    assert _missing_paths(im, dm) == [".authed_teams"]  # legacy field
    assert dm["event"]["channel_type"] == "im"


def test_block_actions_payload_has_every_field_of_the_recorded_ones(slack_fixture: Loader):
    on_message = slack_fixture("bolt_respond_block_actions_payload.json")
    built = payloads.block_actions_payload(
        "button", "clicked", channel_id="C111", message=on_message["message"]
    )
    assert _missing_paths(on_message, built) == []
    assert built["container"] == {
        "type": "message",
        "message_ts": "1678252213.679169",
        "channel_id": "C111",
        "is_ephemeral": False,
    }
    ephemeral = slack_fixture("bolt_block_actions_payload.json")
    built = payloads.block_actions_payload("a", "click_me_123", "W111", channel_id="C111")
    enterprise = [".team.enterprise_id", ".team.enterprise_name"]  # only on Enterprise Grid
    assert _missing_paths(ephemeral, built) == enterprise
    assert built["container"]["is_ephemeral"] and "message" not in built
    assert built["actions"][0]["value"] == "click_me_123"


def test_a_button_in_a_view_has_a_view_container_and_no_channel():
    view = {"id": "V123", "type": "home", "blocks": []}
    built = payloads.block_actions_payload("home_ask", "", view=view)
    assert built["container"] == {"type": "view", "view_id": "V123"}
    assert "channel" not in built and "response_url" not in built and built["view"] == view


def test_view_submission_payload_has_every_field_of_the_recorded_one(slack_fixture: Loader):
    recorded = slack_fixture("bolt_view_submission_payload.json")
    built = payloads.view_submission_payload(
        "view-id", {"hspI": {"maBWU": "test"}}, "W111", private_metadata="This is for you!"
    )
    enterprise = [".team.enterprise_id", ".team.enterprise_name"]
    assert _missing_paths(recorded, built) == enterprise
    assert built["view"]["state"] == recorded["view"]["state"]
    assert built["view"]["blocks"][0]["element"] == recorded["view"]["blocks"][0]["element"]


# ---------------------------------------------------------------------- a Bolt app over HTTP


class BareApp:
    """A tiny Bolt app served over HTTP, recording what its listeners saw."""

    def __init__(self, fake: FakeSlack) -> None:
        self.seen: list[tuple[str, Any]] = []
        self.app = App(
            signing_secret=SIGNING_SECRET,
            client=WebClient(token=BOT_TOKEN, base_url=fake.api_url),
        )
        self.app.command("/ask")(self._ask)
        self.app.event("app_mention")(self._mention)
        self.app.action("answer_feedback_up")(self._feedback)
        self.app.view("usecase_register_modal")(self._register)

    def _ask(self, ack, command, respond) -> None:
        ack(f"Looking into: {command['text']}")
        self.seen.append(("command", command["user_id"]))
        respond(text="An answer with a source [1]")

    def _mention(self, event, say, request) -> None:
        self.seen.append(("mention", request.headers.get("x-slack-retry-num", [None])[0]))
        say(text="Answering in the thread", thread_ts=event["ts"])

    def _feedback(self, ack, body, respond) -> None:
        ack()
        self.seen.append(("action", body["actions"][0]["value"]))
        respond(text="Thanks for the feedback", replace_original=False)

    def _register(self, ack, view) -> None:
        title = view["state"]["values"]["title"]["title_input"]["value"]
        self.seen.append(("view", title))
        if not title.strip():
            ack(response_action="errors", errors={"title": "A title is needed"})
        else:
            ack()


@pytest.fixture
def bare(fake_slack: FakeSlack) -> Iterator[tuple[BareApp, SlackRequester]]:
    bare = BareApp(fake_slack)
    with Server(bare.app, threads=4, check_index=False) as server:
        yield bare, SlackRequester(server.url, SIGNING_SECRET, response_url=fake_slack.response_url)


def test_a_signed_slash_command_is_acked_and_the_answer_reaches_the_response_url(bare, fake_slack):
    app, slack = bare
    status, headers, body = slack.command("/ask", "what is a phase gate?", user_id="U222")
    assert (status, body) == (200, "Looking into: what is a phase gate?")
    assert headers["content-type"].startswith("text/plain")
    fake_slack.wait_for("response_url")
    assert fake_slack.responses() == [{"text": "An answer with a source [1]"}]
    assert app.seen == [("command", "U222")]


def test_a_signed_mention_is_acked_empty_and_answered_in_its_thread(bare, fake_slack):
    app, slack = bare
    event = payloads.app_mention_event("what is a phase gate?")
    response = slack.event(event)
    assert response.status == 200 and response.latency > 0
    (call,) = fake_slack.wait_for("chat.postMessage")
    assert call.args["thread_ts"] == event["ts"] and call.token == BOT_TOKEN


def test_the_recorded_mention_envelope_is_handled_as_is(bare, fake_slack, slack_fixture):
    _, slack = bare
    assert slack.event_payload(slack_fixture("bolt_app_mention_event_callback.json")).status == 200
    (call,) = fake_slack.wait_for("chat.postMessage")
    assert call.args["thread_ts"] == "1595926230.009600"


def test_a_retried_event_carries_slacks_retry_headers_to_the_app(bare, fake_slack):
    app, slack = bare
    event = payloads.app_mention_event("hello?")
    slack.event(event, event_id="Ev0RETRY", retry_num=1, retry_reason="http_timeout")
    fake_slack.wait_for("chat.postMessage")
    assert app.seen == [("mention", "1")]


def test_a_button_press_on_a_posted_message_reaches_the_action_listener(bare, fake_slack, client):
    app, slack = bare
    posted = client.chat_postMessage(channel="C111", text="An answer")
    status, _, _ = slack.block_action(
        "answer_feedback_up", "42", channel_id="C111", message=posted["message"]
    )
    assert status == 200
    fake_slack.wait_for("response_url")
    assert app.seen == [("action", "42")]
    assert fake_slack.responses()[0]["text"] == "Thanks for the feedback"


def test_a_modal_submission_can_answer_with_field_errors(bare):
    app, slack = bare
    rejected = slack.view_submission("usecase_register_modal", {"title": {"title_input": " "}})
    assert rejected.status == 200
    assert rejected.json() == {
        "response_action": "errors",
        "errors": {"title": "A title is needed"},
    }
    accepted = slack.view_submission("usecase_register_modal", {"title": {"title_input": "Bot"}})
    assert (accepted.status, accepted.body) == (200, "")
    assert [v for kind, v in app.seen if kind == "view"] == [" ", "Bot"]


def test_a_bad_signature_gets_401_and_runs_no_listener(bare, fake_slack):
    app, slack = bare
    body = payloads.slash_command_form("/ask", "x")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        **sign(body, "not-the-secret"),
    }
    calls_before = len(fake_slack.calls)
    assert slack.raw(body, headers).status == 401
    assert slack.raw(body, {"Content-Type": "application/x-www-form-urlencoded"}).status == 401
    assert app.seen == [] and len(fake_slack.calls) == calls_before


def test_a_stale_timestamp_gets_401_even_with_a_valid_signature(bare, fake_slack):
    app, slack = bare
    body = payloads.slash_command_form("/ask", "x")
    ten_minutes_ago = int(time.time()) - 600
    response = slack.signed(body, "application/x-www-form-urlencoded", timestamp=ten_minutes_ago)
    assert response.status == 401 and app.seen == []


def test_an_answer_survives_a_429_from_slack_when_the_client_retries(fake_slack):
    client = make_client(
        Settings(slack_api_url=fake_slack.api_url, slack_bot_token=BOT_TOKEN), token=BOT_TOKEN
    )
    app = App(signing_secret=SIGNING_SECRET, client=client)

    @app.event("app_mention")
    def answer(event, say) -> None:
        say(text="Answer", thread_ts=event["ts"])

    fake_slack.rate_limit("chat.postMessage", times=1, retry_after=0)
    with Server(app, threads=2, check_index=False) as server:
        assert (
            SlackRequester(server.url, SIGNING_SECRET).event(payloads.app_mention_event("q")).status
            == 200
        )
        fake_slack.wait_for("chat.postMessage", predicate=lambda c: c.ok)
    assert [c.status for c in fake_slack.calls_to("chat.postMessage")] == [429, 200]
