"""LLM_MODEL for every provider Spinebot has an extra for: each builds its real client
(dummy keys, endpoints on 127.0.0.1, no network); a wrong value stops the start with one
line naming what to install; an outage falls back to the extractive answer with one log
line; every call's tokens come back on the answer."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge.llm import ChatModelError, check_chat_model, make_chat_model, parse_model
from knowledge.service import KnowledgeService
from spinebot.settings import Settings, get_settings
from tests.harness.model_server import StreamingModelServer as FakeModelServer

LOCAL = "http://127.0.0.1:9"  # nothing listens there; building a client never calls it


@pytest.mark.parametrize(
    ("model", "env", "class_name"),
    [
        ("openai:gpt-4o-mini", {"LLM_BASE_URL": LOCAL + "/v1"}, "ChatOpenAI"),
        ("gpt-4o-mini", {"LLM_API_KEY": "sk-dummy"}, "ChatOpenAI"),
        (
            "azure_openai:gpt-4o",
            {"LLM_BASE_URL": LOCAL, "LLM_API_KEY": "dummy", "OPENAI_API_VERSION": "2024-10-21"},
            "AzureChatOpenAI",
        ),
        ("anthropic:claude-sonnet-4-5", {"LLM_API_KEY": "sk-ant-dummy"}, "ChatAnthropic"),
        (
            "claude-haiku-4-5",
            {"LLM_API_KEY": "sk-ant-dummy", "LLM_BASE_URL": LOCAL},
            "ChatAnthropic",
        ),
        ("google_genai:gemini-2.5-flash", {"LLM_API_KEY": "dummy"}, "ChatGoogleGenerativeAI"),
        (
            "bedrock_converse:anthropic.claude-3-5-haiku-20241022-v1:0",
            {
                "AWS_REGION": "eu-central-1",
                "AWS_ACCESS_KEY_ID": "AKIADUMMY",
                "AWS_SECRET_ACCESS_KEY": "dummy",
                "LLM_BASE_URL": LOCAL,
            },
            "ChatBedrockConverse",
        ),
        ("ollama:llama3.1:8b", {"LLM_BASE_URL": LOCAL}, "ChatOllama"),
        ("mistralai:mistral-small-latest", {"LLM_API_KEY": "dummy"}, "ChatMistralAI"),
        ("mistral:mistral-small-latest", {"LLM_API_KEY": "dummy"}, "ChatMistralAI"),
    ],
)
def test_each_provider_with_an_extra_builds_its_client_without_a_network_call(
    model: str, env: dict[str, str], class_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_MODEL", model)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    check_chat_model(get_settings())
    assert type(make_chat_model(get_settings())).__name__ == class_name


def test_a_provider_without_its_package_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import knowledge.llm

    monkeypatch.setattr(knowledge.llm, "_installed", lambda module: module != "langchain_aws")
    settings = Settings(llm_model="bedrock:anthropic.claude-3-haiku")
    with pytest.raises(ChatModelError) as raised:
        check_chat_model(settings)
    assert str(raised.value).endswith("pip install 'spinebot[bedrock]'")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("frobnicate:some-model", "unknown provider 'frobnicate'"),
        ("llama3.1", "say which provider serves it"),
        ("openai:", "names no model"),
        ("ollama", "write ollama:<model name>"),
    ],
)
def test_an_unusable_model_string_is_one_clear_error(value: str, words: str) -> None:
    with pytest.raises(ChatModelError, match=words):
        parse_model(value)


def _spinebot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    import os

    exe = Path(sys.executable).with_name("spinebot")
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LLM_"))}
    full.update(env)
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, timeout=120, env=full, cwd=cwd
    )


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("frobnicate:x", "unknown provider 'frobnicate'"),
        ("groq:llama-3.3-70b", "pip install langchain-groq"),  # no extra: the package itself
        ("azure_openai:gpt-4o", "could not be set up"),  # no endpoint, no API version
    ],
)
def test_spinebot_ask_with_a_wrong_llm_model_exits_with_one_line_and_no_traceback(
    model: str, expected: str, tmp_path: Path
) -> None:
    result = _spinebot(
        "ask",
        "anything",
        env={"LLM_MODEL": model, "SPINEBOT_DATA_DIR": str(tmp_path)},
        cwd=tmp_path,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("command", ["serve", "socket", "console"])
def test_every_command_that_answers_checks_llm_model_before_it_starts(
    command: str, tmp_path: Path
) -> None:
    env = {"LLM_MODEL": "frobnicate:x", "SPINEBOT_DATA_DIR": str(tmp_path)}
    result = _spinebot(command, env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("LLM_MODEL 'frobnicate:x': unknown provider")
    assert "Traceback" not in result.stderr


def test_a_malformed_price_list_names_the_setting() -> None:
    from spinebot.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="Invalid setting LLM_PRICES: 'gpt-4o' is not"):
        load_settings(llm_prices="gpt-4o")
    assert load_settings(llm_prices="a=1/2, b=0.5/1.5").llm_prices == {
        "a": (1.0, 2.0),
        "b": (0.5, 1.5),
    }


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("outage", ["connection refused", "503", "timeout"])
def test_a_model_outage_answers_extractively_with_one_log_line(
    outage: str,
    fake_model: FakeModelServer,
    corpus: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    base_url = fake_model.base_url
    if outage == "connection refused":
        base_url = f"http://127.0.0.1:{_closed_port()}/v1"
    elif outage == "503":
        fake_model.status = 503
    else:
        fake_model.delay = 2.0
        monkeypatch.setenv("LLM_TIMEOUT_SECONDS", "0.3")
    monkeypatch.setenv("LLM_MODEL", "openai:gpt-4o-mini")
    monkeypatch.setenv("LLM_BASE_URL", base_url)
    monkeypatch.setenv("LLM_MAX_RETRIES", "0")
    get_settings.cache_clear()
    service = KnowledgeService(get_settings())
    service.ingest([corpus])
    with caplog.at_level(logging.INFO):
        answer = service.ask("When does a pilot move to production?")
    assert not answer.abstained and "four weeks" in answer.text and "[1]" in answer.text
    assert answer.usage is None
    ours = [r for r in caplog.records if r.name.startswith(("knowledge", "bot", "spinebot"))]
    assert len(ours) == 1 and ours[0].levelno == logging.WARNING
    assert ours[0].exc_info is None and "answered extractively" in ours[0].getMessage()


def test_every_model_answer_carries_its_tokens_and_their_price(
    fake_model: FakeModelServer, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_model.prompt_tokens, fake_model.completion_tokens = 1200, 300
    monkeypatch.setenv("LLM_MODEL", "openai:gpt-4o-mini")
    monkeypatch.setenv("LLM_BASE_URL", fake_model.base_url)
    monkeypatch.setenv("LLM_PRICES", "gpt-4o-mini=0.15/0.60")
    get_settings.cache_clear()
    service = KnowledgeService(get_settings())
    service.ingest([corpus])
    answer = service.ask("When does a pilot move to production?")
    assert answer.usage is not None
    assert (answer.usage.input_tokens, answer.usage.output_tokens) == (1200, 300)
    assert answer.usage.model == "gpt-4o-mini-2024-07-18"
    assert answer.usage.cost == pytest.approx((1200 * 0.15 + 300 * 0.60) / 1e6)
    assert answer.to_dict()["usage"]["input_tokens"] == 1200


def test_an_abstention_by_the_model_still_counts_its_tokens(
    fake_model: FakeModelServer, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_model.reply = "I don't know based on the knowledge base."
    fake_model.prompt_tokens, fake_model.completion_tokens = 120, 30
    monkeypatch.setenv("LLM_MODEL", "openai:gpt-4o-mini")
    monkeypatch.setenv("LLM_BASE_URL", fake_model.base_url)
    monkeypatch.setenv("LLM_PRICE_INPUT_PER_MTOK", "1")
    monkeypatch.setenv("LLM_PRICE_OUTPUT_PER_MTOK", "2")
    get_settings.cache_clear()
    service = KnowledgeService(get_settings())
    service.ingest([corpus])
    answer = service.ask("When does a pilot move to production?")
    assert answer.abstained and answer.usage is not None
    assert answer.usage.cost == pytest.approx((120 * 1 + 30 * 2) / 1e6)


def test_usage_is_tracked_for_streamed_replies_too(
    fake_model: FakeModelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer pipeline may stream; the tokens still reach the answer."""
    from knowledge.llm import track_usage

    fake_model.prompt_tokens, fake_model.completion_tokens = 700, 90
    settings = Settings(llm_model="openai:gpt-4o-mini", llm_base_url=fake_model.base_url)
    model = make_chat_model(settings)
    with track_usage() as recorder:
        text = "".join(str(chunk.content) for chunk in model.stream("When?"))
    assert text == fake_model.reply
    usage = recorder.usage(settings)
    assert usage is not None and (usage.input_tokens, usage.output_tokens) == (700, 90)
    assert fake_model.requests[-1]["stream_options"] == {"include_usage": True}
