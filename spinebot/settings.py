"""The one place that reads the environment.

Every setting has an embedded default, so a fresh machine runs with nothing configured:
SQLite and Chroma under the data dir, offline embeddings, no LLM, the local console.
"""

from __future__ import annotations

import zoneinfo
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from apscheduler.triggers.cron import CronTrigger
from pydantic import AliasChoices, Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


class SettingsError(RuntimeError):
    """A setting has a value Spinebot cannot use; the message names the setting."""


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.replace(";", ",").split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    # --- storage -------------------------------------------------------------------
    data_dir: Path = Field(
        default=Path("data"),
        validation_alias=AliasChoices("SPINEBOT_DATA_DIR", "data_dir"),
        description="Folder for the SQLite file and the embedded Chroma index.",
    )
    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means SQLite in the data dir."
    )
    chroma_url: str = Field(default="", description="Chroma server URL; empty means embedded.")
    db_connect_timeout: int = Field(
        default=5, ge=1, le=300, description="Seconds to wait for a Postgres connection."
    )
    db_statement_timeout: float = Field(
        default=30.0, ge=0, le=3600, description="Seconds a statement may run (0: no limit)."
    )
    db_lock_timeout: float = Field(
        default=5.0, ge=0, le=3600, description="Seconds to wait for a row or table lock."
    )
    db_interactive_timeout: float = Field(
        default=1.5,
        gt=0,
        le=60,
        description="Seconds work a person waits for (acks, /usecase) may hold a connection.",
    )
    db_busy_timeout: float = Field(
        default=5.0, ge=0, le=600, description="Seconds SQLite waits for another writer."
    )
    chroma_collection: str = "spinebot"

    # --- knowledge -----------------------------------------------------------------
    knowledge_dirs: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="Extra folders indexed by `spinebot ingest` and the nightly re-index.",
    )
    embeddings: str = Field(
        default="minilm-int8",
        description="'minilm-int8' (offline, bundled) or 'provider:model' for init_embeddings.",
    )
    llm_model: str = Field(default="", description="langchain init_chat_model string; empty: none.")
    llm_base_url: str = Field(default="", description="Base URL for an OpenAI-compatible LLM.")
    llm_api_key: str = Field(
        default="", description="API key for LLM_MODEL; empty: the provider's own variable."
    )
    llm_timeout_seconds: float = Field(
        default=30.0, gt=0, le=600, description="Seconds one model call may take."
    )
    llm_max_retries: int = Field(default=1, ge=0, le=10, description="Retries per model call.")
    llm_price_input_per_mtok: float = Field(
        default=0.0, ge=0, description="Price of a million prompt tokens of LLM_MODEL."
    )
    llm_price_output_per_mtok: float = Field(
        default=0.0, ge=0, description="Price of a million completion tokens of LLM_MODEL."
    )
    llm_prices: Annotated[dict[str, tuple[float, float]], NoDecode] = Field(
        default_factory=dict,
        description="Per-model prices per million tokens: 'model=input/output; …'.",
    )
    assistant_use_case: str = Field(
        default="Spinebot assistant",
        description="Portfolio use case whose weekly llm_cost and users Spinebot reports.",
    )
    rerank_url: str = Field(
        default="",
        description="Cohere-compatible rerank endpoint (…/v2/rerank); empty: offline ranking.",
    )
    rerank_model: str = Field(default="", description="Model name sent to RERANK_URL.")
    rerank_api_key: str = Field(default="", description="Bearer token for RERANK_URL.")
    rerank_timeout_seconds: float = Field(
        default=3.0, gt=0, le=60, description="Seconds one rerank call may take."
    )
    rerank_candidates: int = Field(
        default=12, ge=2, le=50, description="Passages per question the reranker orders."
    )
    rerank_min_score: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Best reranker score below which the answer says the base does not say.",
    )
    answer_min_score: float = Field(
        default=0.35,
        ge=0.0,
        le=1.0,
        description=(
            "Retrieval confidence below which a question mostly in words the documents "
            "never use is not answered (0.1 lower for one in their own words)."
        ),
    )
    context_budget_chars: int = Field(default=4000, ge=500)
    knowledge_base_url: str = Field(
        default="", description="Link for ingested files: this URL + the file's relative path."
    )
    # Per-document ingest limits: a document over one is named in the report and skipped.
    knowledge_max_file_mb: float = Field(default=50.0, gt=0)
    knowledge_max_text_mb: float = Field(default=5.0, gt=0)
    knowledge_max_unzipped_mb: float = Field(default=100.0, gt=0)
    knowledge_max_pages: int = Field(default=1000, ge=1)
    knowledge_max_chars: int = Field(default=3_000_000, ge=1000)
    knowledge_max_chunks: int = Field(default=5000, ge=1)
    knowledge_max_parse_seconds: float = Field(default=60.0, gt=0)

    # --- slack ---------------------------------------------------------------------
    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_app_token: str = ""
    slack_api_url: str = DEFAULT_SLACK_API_URL
    slack_timeout: float = Field(
        default=10.0, ge=1, le=120, description="Seconds a Slack Web API call may take."
    )
    port: int = Field(default=3000, ge=1, le=65535)
    web_threads: int = Field(default=32, ge=1, le=512)
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest request body `serve` accepts (413)."
    )
    health_port: int = Field(
        default=0, ge=0, le=65535, description="`worker`/`socket`: port for /healthz (0: off)."
    )
    health_token: str = Field(
        default="", description="Bearer token that unlocks the reasons in /healthz?details=1."
    )
    worker_threads: int = Field(default=16, ge=1, le=512)
    answer_processes: int = Field(
        default=1,
        ge=0,
        le=64,
        description="Processes that write answers for serve/socket (0: in the web process).",
    )
    answer_threads: int = Field(
        default=64, ge=1, le=512, description="Answers written at once per answer process."
    )
    answer_lease_seconds: float = Field(
        default=60.0,
        ge=1.0,
        description="A claimed question whose worker stops renewing it is taken over after this.",
    )
    stream_answers: bool = Field(
        default=True, description="Show a model's answer in Slack while it is written."
    )
    shutdown_grace_seconds: float = Field(
        default=25.0,
        ge=0.0,
        description="On SIGTERM/SIGINT, how long in-flight answers may take before exit.",
    )

    # --- portfolio -----------------------------------------------------------------
    spine_admins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    hourly_rate: float = Field(default=60.0, ge=0)
    currency: str = Field(default="USD", description="ISO 4217 code for money shown.")
    # Sanity bounds for one use case's weekly figures (reports and imports).
    metric_max_hours: float = Field(default=10_000.0, gt=0)
    metric_max_money: float = Field(default=10_000_000.0, gt=0)
    metric_max_users: int = Field(default=1_000_000, gt=0)

    # --- digest and scheduler ------------------------------------------------------
    digest_channel: str = ""
    timezone: str = "UTC"
    digest_schedule: str = Field(default="mon 09:00", description="'<day> HH:MM' or a crontab.")
    trend_new_weeks: int = Field(default=2, ge=0)
    trend_no_value_weeks: int = Field(default=6, ge=1)
    trend_nonpositive_weeks: int = Field(default=4, ge=1)
    trend_falling_weeks: int = Field(default=4, ge=2)
    trend_convenience_weeks: int = Field(default=8, ge=1)
    trend_pilot_scale_weeks: int = Field(default=4, ge=1)
    trend_production_scale_weeks: int = Field(default=8, ge=1)
    trend_growth_pct: float = Field(default=10.0, ge=0)
    trend_stall_weeks: int = Field(default=3, ge=1)

    log_level: str = "INFO"

    # --- validation ----------------------------------------------------------------
    @field_validator("knowledge_dirs", "spine_admins", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("llm_prices", mode="before")
    @classmethod
    def _prices(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        prices: dict[str, tuple[float, float]] = {}
        for item in _split_list(value.replace(",", ";")):
            name, sep, pair = item.partition("=")
            parts = pair.replace(",", "/").split("/")
            try:
                if not sep or not name.strip() or len(parts) != 2:
                    raise ValueError
                price_in, price_out = float(parts[0]), float(parts[1])
                if price_in < 0 or price_out < 0:
                    raise ValueError
            except ValueError:
                raise ValueError(
                    f"'{item}' is not model=input/output (prices per million tokens, "
                    "e.g. gpt-4o-mini=0.15/0.60)"
                ) from None
            prices[name.strip()] = (price_in, price_out)
        return prices

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return value
        if value.startswith("postgres://"):
            value = "postgresql://" + value[len("postgres://") :]
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL ({exc})") from None
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError(
                f"unsupported database '{url.get_backend_name()}' (sqlite or postgresql)"
            )
        if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
            value = str(
                url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
            )
        return value

    @field_validator(
        "chroma_url", "slack_api_url", "llm_base_url", "knowledge_base_url", "rerank_url"
    )
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        value = value or DEFAULT_SLACK_API_URL
        return value if value.endswith("/") else value + "/"

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}' (e.g. UTC, Europe/Berlin)") from None
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        code = value.strip().upper()
        if len(code) != 3 or not code.isalpha():
            raise ValueError(f"'{value}' is not an ISO 4217 currency code (e.g. USD, EUR)")
        return code

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value

    @field_validator("digest_schedule")
    @classmethod
    def _schedule(cls, value: str, info: ValidationInfo) -> str:
        digest_trigger(value, info.data.get("timezone") or "UTC")
        return value

    # --- derived values ------------------------------------------------------------
    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'spinebot.db').resolve()}"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def has_slack_http(self) -> bool:
        return bool(self.slack_bot_token and self.slack_signing_secret)

    @property
    def has_slack_socket(self) -> bool:
        return bool(self.slack_bot_token and self.slack_app_token)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


_DAYS = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}


def digest_trigger(schedule: str, timezone: str) -> CronTrigger:
    """Parse DIGEST_SCHEDULE: '<day> HH:MM' (e.g. 'mon 09:00') or a 5-field crontab."""
    text = schedule.strip().lower()
    parts = text.split()
    try:
        if len(parts) == 2 and parts[0][:3] in _DAYS and ":" in parts[1]:
            hour, minute = (int(x) for x in parts[1].split(":", 1))
            if not (0 <= hour < 24 and 0 <= minute < 60):
                raise ValueError("time out of range")
            return CronTrigger(
                day_of_week=parts[0][:3], hour=hour, minute=minute, timezone=timezone
            )
        if len(parts) == 5:
            return CronTrigger.from_crontab(text, timezone=timezone)
    except ValueError as exc:
        raise ValueError(f"'{schedule}' is not a valid schedule: {exc}") from None
    raise ValueError(
        f"'{schedule}' is not a valid schedule: use '<day> HH:MM' (e.g. 'mon 09:00') "
        "or a crontab such as '0 9 * * mon'"
    )


_ENV_NAMES = {"data_dir": "SPINEBOT_DATA_DIR"}


def _describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    name = _ENV_NAMES.get(field, field.upper()) if field else "settings"
    message = first["msg"].removeprefix("Value error, ")
    return f"Invalid setting {name}: {message}"


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment (and .env), raising SettingsError on bad values."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once on first use (never at import time)."""
    return load_settings()
