"""The chat model behind LLM_MODEL: which provider, whether it is installed, building
it, and what each call cost.

``LLM_MODEL`` is an ``init_chat_model`` string, ``provider:model`` (``anthropic:claude-
sonnet-4-5``, ``ollama:llama3.1:8b``) or a bare model name whose provider is plain from
its prefix (``gpt-4o-mini``, ``claude-…``, ``gemini-…``, ``mistral-…``).
:func:`check_chat_model` runs at start-up: an unknown provider, a provider whose package
is missing (naming the extra to install) or a client that cannot be built is one
:class:`ChatModelError` line. :func:`track_usage` collects the token counts of every
model call made inside it (``usage_metadata`` of the replies, streamed or not), and
:func:`price_of` turns them into money with the LLM_PRICE_* settings.

Nothing here imports a provider package until a model is built.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from spinebot.settings import Settings

# provider → (module to import, spinebot extra that installs it; None: always installed)
PROVIDERS: dict[str, tuple[str, str | None]] = {
    "openai": ("langchain_openai", None),
    "azure_openai": ("langchain_openai", None),
    "anthropic": ("langchain_anthropic", "anthropic"),
    "google_genai": ("langchain_google_genai", "google"),
    "bedrock": ("langchain_aws", "bedrock"),
    "bedrock_converse": ("langchain_aws", "bedrock"),
    "anthropic_bedrock": ("langchain_aws", "bedrock"),
    "ollama": ("langchain_ollama", "ollama"),
    "mistralai": ("langchain_mistralai", "mistral"),
}
ALIASES = {"azure": "azure_openai", "google": "google_genai", "mistral": "mistralai"}
_PREFIXES = (
    (("gpt-", "o1", "o3", "o4", "chatgpt"), "openai"),
    (("claude",), "anthropic"),
    (("gemini",), "google_genai"),
    (("mistral", "mixtral", "codestral"), "mistralai"),
    (("amazon.", "anthropic.", "meta."), "bedrock_converse"),
)


class ChatModelError(RuntimeError):
    """LLM_MODEL names something Spinebot cannot use; the message is one line."""


def _other_langchain_providers() -> dict[str, str]:
    """langchain's own provider table (provider → module) for providers without an
    extra here; empty if langchain stops exposing it."""
    try:
        from langchain.chat_models.base import _BUILTIN_PROVIDERS
    except ImportError:  # pragma: no cover - a private name; the extras still work
        return {}
    return {name: entry[0].split(".")[0] for name, entry in _BUILTIN_PROVIDERS.items()}


def parse_model(value: str) -> tuple[str, str]:
    """(provider, model name) for an LLM_MODEL string; ChatModelError when unknown."""
    value = value.strip()
    others = _other_langchain_providers()
    head, sep, rest = value.partition(":")
    head_key = ALIASES.get(head.lower().replace("-", "_"), head.lower().replace("-", "_"))
    if head_key in PROVIDERS or head_key in others:
        if not rest.strip():
            raise ChatModelError(
                f"LLM_MODEL '{value}' names no model: write {head_key}:<model name>"
            )
        return head_key, rest.strip()
    lower = value.lower()
    for prefixes, provider in _PREFIXES:
        if lower.startswith(prefixes):
            return provider, value
    known = ", ".join(sorted(PROVIDERS))
    if sep:
        raise ChatModelError(
            f"LLM_MODEL '{value}': unknown provider '{head}' (use one of {known}, "
            "as provider:model)"
        )
    raise ChatModelError(
        f"LLM_MODEL '{value}': say which provider serves it, as provider:model "
        f"(one of {known}), e.g. ollama:{value}"
    )


def install_hint(provider: str) -> str:
    """What to run to get ``provider``'s package."""
    entry = PROVIDERS.get(provider)
    if entry and entry[1]:
        return f"pip install 'spinebot[{entry[1]}]'"
    module = entry[0] if entry else _other_langchain_providers().get(provider, provider)
    return f"pip install {module.replace('_', '-')}"


def _module_of(provider: str) -> str:
    entry = PROVIDERS.get(provider)
    return entry[0] if entry else _other_langchain_providers()[provider]


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def model_kwargs(provider: str, settings: Settings) -> dict[str, Any]:
    """``init_chat_model`` keyword arguments for LLM_BASE_URL, LLM_API_KEY, the timeout
    and retries, in each provider's own spelling."""
    kwargs: dict[str, Any] = {"temperature": 0}
    timeout, retries = settings.llm_timeout_seconds, settings.llm_max_retries
    if provider == "ollama":
        kwargs["client_kwargs"] = {"timeout": timeout}
    elif not provider.startswith(("bedrock", "anthropic_bedrock")):
        kwargs.update(timeout=timeout, max_retries=retries)  # bedrock: botocore's own
    if settings.llm_base_url:
        if provider == "azure_openai":
            kwargs["azure_endpoint"] = settings.llm_base_url
        elif provider.startswith(("bedrock", "anthropic_bedrock")):
            kwargs["endpoint_url"] = settings.llm_base_url
        else:
            kwargs["base_url"] = settings.llm_base_url
    if provider in {"openai", "azure_openai"}:
        kwargs["stream_usage"] = True  # streamed replies report their tokens too
    if settings.llm_api_key:
        kwargs["api_key"] = settings.llm_api_key
    elif settings.llm_base_url and provider == "openai":
        # An OpenAI-compatible server on LLM_BASE_URL often needs no key, but the
        # OpenAI client insists on one unless OPENAI_API_KEY is set.
        import os

        if not os.environ.get("OPENAI_API_KEY"):
            kwargs["api_key"] = "unused"
    return kwargs


def make_chat_model(settings: Settings) -> Any:
    """The chat model for LLM_MODEL (None when none is configured).

    Raises ChatModelError for an unknown provider or a missing package; other errors
    (a missing key, a bad region) come from the provider's own client."""
    if not settings.llm_model:
        return None
    provider, name = parse_model(settings.llm_model)
    module = _module_of(provider)
    if not _installed(module):
        raise ChatModelError(
            f"LLM_MODEL '{settings.llm_model}' needs the {provider} provider package: "
            f"{install_hint(provider)}"
        )
    from langchain.chat_models import init_chat_model

    return init_chat_model(name, model_provider=provider, **model_kwargs(provider, settings))


def check_chat_model(settings: Settings) -> None:
    """Build the configured model once (no network call) so a wrong LLM_MODEL stops the
    start with one line instead of failing the first question."""
    if not settings.llm_model:
        return
    try:
        make_chat_model(settings)
    except ChatModelError:
        raise
    except Exception as exc:
        raise ChatModelError(
            f"LLM_MODEL '{settings.llm_model}': the chat model could not be set up "
            f"({describe_error(exc)})"
        ) from None


def describe_error(exc: BaseException) -> str:
    """``Type: first line of the message`` (≤ 200 characters), for one-line logs."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text[:200]


# --- token usage and its price --------------------------------------------------------


@dataclass(frozen=True)
class ModelUsage:
    """Tokens one answer used (summed over its model calls) and what they cost."""

    input_tokens: int
    output_tokens: int
    model: str
    cost: float = 0.0  # in the currency of the LLM_PRICE_* settings (USD by default)

    def to_dict(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "model": self.model,
            "cost": round(self.cost, 6),
        }


def price_of(model: str, settings: Settings) -> tuple[float, float]:
    """(input, output) price per million tokens for ``model``: LLM_PRICES when it names
    the model (exactly, or the longest name the reported model starts with, so
    ``gpt-4o-mini`` prices ``gpt-4o-mini-2024-07-18``), else LLM_PRICE_INPUT_PER_MTOK and
    LLM_PRICE_OUTPUT_PER_MTOK."""
    prices = settings.llm_prices
    name = model.split(":", 1)[-1] if model not in prices else model
    if name in prices:
        return prices[name]
    matches = [key for key in prices if name.startswith(key)]
    if matches:
        return prices[max(matches, key=len)]
    return settings.llm_price_input_per_mtok, settings.llm_price_output_per_mtok


def priced(input_tokens: int, output_tokens: int, model: str, settings: Settings) -> ModelUsage:
    price_in, price_out = price_of(model, settings)
    cost = (input_tokens * price_in + output_tokens * price_out) / 1_000_000
    return ModelUsage(input_tokens, output_tokens, model, cost)


class UsageRecorder:
    """Sums ``usage_metadata`` of every chat model reply seen while it is active."""

    def __init__(self) -> None:
        self.input_tokens = 0
        self.output_tokens = 0
        self.models: list[str] = []
        self.calls = 0
        self._lock = threading.Lock()

    def add(self, usage: dict[str, Any] | None, model: str | None) -> None:
        if not usage:
            return
        with self._lock:
            self.calls += 1
            self.input_tokens += int(usage.get("input_tokens") or 0)
            self.output_tokens += int(usage.get("output_tokens") or 0)
            if model and model not in self.models:
                self.models.append(model)

    def usage(self, settings: Settings, default_model: str = "") -> ModelUsage | None:
        """The priced total, or None when no call reported usage."""
        if not self.calls:
            return None
        model = self.models[0] if self.models else default_model
        return priced(self.input_tokens, self.output_tokens, model, settings)


_active: ContextVar[Any] = ContextVar("spinebot_llm_usage", default=None)
_hook_lock = threading.Lock()
_hook_registered = False


def _callback_handler() -> Any:
    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_core.messages import AIMessage
    from langchain_core.outputs import ChatGeneration, LLMResult

    class Handler(BaseCallbackHandler):
        def __init__(self, recorder: UsageRecorder) -> None:
            self.recorder = recorder

        def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
            for generations in response.generations:
                for generation in generations:
                    if not isinstance(generation, ChatGeneration):
                        continue
                    message = generation.message
                    if isinstance(message, AIMessage):
                        meta = message.response_metadata or {}
                        model = meta.get("model_name") or meta.get("model")
                        usage = message.usage_metadata
                        self.recorder.add(dict(usage) if usage else None, model)

    return Handler


def usage_callbacks(recorder: UsageRecorder) -> list[Any]:
    """Callbacks for one model call's ``config``: its usage goes to ``recorder``."""
    return [_callback_handler()(recorder)]


@contextmanager
def track_usage() -> Iterator[UsageRecorder]:
    """Record the token usage of every langchain chat model call made inside the block
    (in this thread or context), whichever way the model is called (invoke, stream)."""
    global _hook_registered
    from langchain_core.tracers.context import register_configure_hook

    with _hook_lock:
        if not _hook_registered:
            register_configure_hook(_active, inheritable=True)
            _hook_registered = True
    recorder = UsageRecorder()
    token = _active.set(_callback_handler()(recorder))
    try:
        yield recorder
    finally:
        _active.reset(token)


__all__ = [
    "PROVIDERS",
    "ChatModelError",
    "ModelUsage",
    "UsageRecorder",
    "check_chat_model",
    "describe_error",
    "install_hint",
    "make_chat_model",
    "parse_model",
    "price_of",
    "priced",
    "track_usage",
    "usage_callbacks",
]
