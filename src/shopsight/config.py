"""The one Settings object: the only place shopsight reads the environment.

Environment variable names follow the seeds where they exist (``LOG_LEVEL``,
``LLM_PROVIDER``, ``EXPECTED_STORES``, ``DAILY_ANALYSIS_TIMEZONE``...); shopsight's own
settings are prefixed ``SHOPSIGHT_``. Build it once at the edge (CLI, API, Lambda
handler) with :func:`load_settings` and pass it down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shopsight.errors import ConfigError

DEV_MASKING_KEY = "dev-only-masking-key-change-me"
DEV_SIGNING_KEY = "dev-only-signing-key-change-me"


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Typed, documented configuration with safe defaults for a laptop."""

    # Fields are set by their names in code (populate_by_name), which pydantic-settings
    # (>= 2.7) also reads from the environment under the bare field name: HOME would move
    # the data to ~/lake. The prefix keeps those names ours (SHOPSIGHT_<FIELD>, which most
    # aliases already are); the documented names below are read as they are.
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True,
                                      env_prefix="SHOPSIGHT_")

    environment: Literal["development", "test", "production"] = Field(
        "development",
        validation_alias=_env("SHOPSIGHT_ENV"),
        description="Deployment environment; 'production' refuses placeholder secrets.",
    )
    home: Path = Field(
        Path("shopsight-data"),
        validation_alias=_env("SHOPSIGHT_HOME"),
        description="Folder for local data when the lake, state and truth are not set.",
    )
    lake: str = Field(
        "",
        validation_alias=_env("SHOPSIGHT_LAKE"),
        description="Root of the data lake: a folder (default <home>/lake) or s3://bucket/prefix.",
    )
    state_url: str = Field(
        "",
        validation_alias=_env("SHOPSIGHT_STATE_URL"),
        description="SQLAlchemy URL of the state store (default sqlite:///<home>/state.db).",
    )
    truth_dir: Path | None = Field(
        None,
        validation_alias=_env("SHOPSIGHT_TRUTH"),
        description="Where demo-data writes its planted truth (default <home>/truth), "
        "kept outside the lake so no model can read it.",
    )
    masking_key: str = Field(
        DEV_MASKING_KEY,
        validation_alias=_env("SHOPSIGHT_MASKING_KEY"),
        description="Secret for keyed pseudonyms of emails, phones and card numbers; "
        "changing it breaks joins with data masked before.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias=_env("LOG_LEVEL"), description="Logging level."
    )
    log_format: Literal["auto", "json", "console"] = Field(
        "auto",
        validation_alias=_env("SHOPSIGHT_LOG_FORMAT"),
        description="'auto' writes JSON lines when stderr is not a terminal.",
    )
    reporting_currency: str = Field(
        "USD",
        validation_alias=_env("SHOPSIGHT_REPORTING_CURRENCY"),
        description="Currency that multi-country figures are normalised to; also the "
        "default currency of exports that do not say.",
    )
    expected_stores: str = Field(
        "0001,0002,0003,0004,0005,0006,0007,0008,0009,0010,0011",
        validation_alias=_env("EXPECTED_STORES"),
        description="Comma-separated store ids expected to upload every business day.",
    )
    daily_analysis_schedule: str = Field(
        "0 23 * * *",
        validation_alias=_env("DAILY_ANALYSIS_SCHEDULE"),
        description="Cron of the fallback daily analysis, in daily_analysis_timezone.",
    )
    daily_analysis_timezone: str = Field(
        "America/New_York",
        validation_alias=_env("DAILY_ANALYSIS_TIMEZONE"),
        description="Time zone that defines 'today' for the daily analysis.",
    )
    holidays_file: Path | None = Field(
        None,
        validation_alias=_env("SHOPSIGHT_HOLIDAYS_FILE"),
        description="CSV of the retailer's own holidays and events (columns date, name) "
        "that the anomaly detector judges against their usual lift; default: the built-in "
        "retail calendar (Black Friday, Cyber Monday, Christmas, New Year).",
    )
    enable_scheduled_analysis: bool = Field(
        True,
        validation_alias=_env("ENABLE_SCHEDULED_ANALYSIS"),
        description="Run the fallback daily analysis on DAILY_ANALYSIS_SCHEDULE while the "
        "server runs.",
    )
    warm_on_start: bool = Field(
        True, validation_alias=_env("SHOPSIGHT_WARM_ON_START"),
        description="When the API starts, compute in the background what the first "
        "requests would otherwise wait for (fraud scores, customer scores, segments, "
        "regional summaries): seconds on a large lake.",
    )
    refresh_seconds: float = Field(
        30.0, ge=0, validation_alias=_env("SHOPSIGHT_REFRESH_SECONDS"),
        description="How often the API looks for new curated data, prod tables or trained "
        "models in the lake; when something changed, the systems drop their caches (and "
        "warm them again). 0: never, until the server restarts.",
    )
    api_workers: int = Field(
        1, ge=1, le=64, validation_alias=_env("SHOPSIGHT_API_WORKERS"),
        description="Processes serving the API (`shopsight serve`). One Python process "
        "uses about one core; one per core serves that many times the requests, each "
        "process holding its own caches and loaded models in memory.",
    )
    frontend_origin: str = Field(
        "http://localhost:3000",
        validation_alias=_env("FRONTEND_ORIGIN"),
        description="Origin allowed by CORS for a separately hosted frontend.",
    )
    llm_provider: Literal["offline", "openai", "bedrock"] = Field(
        "offline",
        validation_alias=_env("LLM_PROVIDER"),
        description="LLM used by the copilot; 'offline' needs no key or network.",
    )
    llm_model_id: str = Field(
        "amazon.nova-lite-v1:0",
        validation_alias=_env("LLM_MODEL_ID"),
        description="Model identifier for the configured LLM provider.",
    )
    llm_temperature: float = Field(
        0.0, ge=0.0, le=2.0, validation_alias=_env("LLM_TEMPERATURE"),
        description="LLM sampling temperature.",
    )
    llm_max_tokens: int = Field(
        2000, gt=0, validation_alias=_env("LLM_MAX_TOKENS"),
        description="Maximum tokens in an LLM response.",
    )
    llm_base_url: str = Field(
        "",
        validation_alias=_env("LLM_BASE_URL", "OPENAI_BASE_URL"),
        description="Base URL of an OpenAI-compatible server (OpenAI, Ollama, vLLM, "
        "llama.cpp) when LLM_PROVIDER=openai.",
    )
    llm_api_key: SecretStr = Field(
        SecretStr(""),
        validation_alias=_env("LLM_API_KEY", "OPENAI_API_KEY"),
        description="API key for the OpenAI-compatible server, if it needs one.",
    )
    conversation_table: str = Field(
        "retail-copilot-conversations",
        validation_alias=_env("CONVERSATION_TABLE"),
        description="Name of the conversation table (DynamoDB on AWS, SQL table locally).",
    )
    aws_region: str = Field(
        "us-east-1", validation_alias=_env("AWS_REGION"), description="AWS region."
    )
    aws_endpoint_url: str = Field(
        "",
        validation_alias=_env("AWS_ENDPOINT_URL"),
        description="S3-compatible endpoint (MinIO, moto, LocalStack); empty for AWS itself. "
        "Credentials come from the usual AWS variables or role, never from settings.",
    )
    lake_single_writer: bool = Field(
        False,
        validation_alias=_env("SHOPSIGHT_LAKE_SINGLE_WRITER"),
        description="On S3, commit Delta versions with a plain rename instead of a "
        "conditional write. Off by default: S3's conditional writes (also in MinIO and R2) "
        "make a commit that lost a race fail, and the ingest merges again, so several "
        "writers (watchers, one Lambda per file) are safe. Turn it on only for an "
        "S3-compatible store without conditional writes, and only while one process writes "
        "the lake at a time.",
    )

    signing_key: SecretStr = Field(
        SecretStr(DEV_SIGNING_KEY),
        validation_alias=_env("SHOPSIGHT_SIGNING_KEY"),
        description="Secret for signed upload and download URLs and for the signatures of "
        "trained model files (checked before a model is loaded).",
    )
    signed_url_ttl_seconds: int = Field(
        900, gt=0, le=7 * 24 * 3600, validation_alias=_env("SHOPSIGHT_SIGNED_URL_TTL"),
        description="How long a signed upload/download URL stays valid.",
    )
    public_base_url: str = Field(
        "http://127.0.0.1:8000",
        validation_alias=_env("SHOPSIGHT_PUBLIC_URL"),
        description="Base URL that signed URLs point to (the API server).",
    )
    notifiers: str = Field(
        "",
        validation_alias=_env("SHOPSIGHT_NOTIFIERS"),
        description="Comma-separated alert channels: email, webhook, sns (empty: log only).",
    )
    alert_email: str = Field(
        "", validation_alias=_env("ALERT_EMAIL"),
        description="Comma-separated recipients of alert and daily report emails.",
    )
    smtp_host: str = Field("localhost", validation_alias=_env("SHOPSIGHT_SMTP_HOST"),
                           description="SMTP server for email alerts.")
    smtp_port: int = Field(25, validation_alias=_env("SHOPSIGHT_SMTP_PORT"),
                           description="SMTP port.")
    smtp_user: str = Field("", validation_alias=_env("SHOPSIGHT_SMTP_USER"),
                           description="SMTP user name (empty: no login).")
    smtp_password: SecretStr = Field(SecretStr(""), validation_alias=_env(
        "SHOPSIGHT_SMTP_PASSWORD"), description="SMTP password.")
    smtp_starttls: bool = Field(False, validation_alias=_env("SHOPSIGHT_SMTP_STARTTLS"),
                                description="Upgrade the SMTP connection with STARTTLS.")
    smtp_sender: str = Field("shopsight@localhost", validation_alias=_env(
        "SHOPSIGHT_SMTP_SENDER"), description="From address of alert emails.")
    webhook_url: SecretStr = Field(SecretStr(""), validation_alias=_env(
        "SHOPSIGHT_WEBHOOK_URL"), description="Slack-compatible incoming webhook URL.")
    sns_topic_arn: str = Field("", validation_alias=_env("SNS_TOPIC_ARN"),
                               description="SNS topic for alerts on AWS.")

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_capitals(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value  # debug is DEBUG

    @field_validator("lake")
    @classmethod
    def _lake_root(cls, value: str) -> str:
        if "://" in value and not value.startswith(("s3://", "file://")):
            raise ValueError(f"{value!r}: use a folder or s3://bucket/prefix")
        return value

    @field_validator("reporting_currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        if len(value) != 3 or not value.isalpha():
            raise ValueError("must be a 3-letter ISO 4217 code such as USD")
        return value.upper()

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment != "production":
            return self
        for name, value, placeholder in (
            ("SHOPSIGHT_MASKING_KEY", self.masking_key, DEV_MASKING_KEY),
            ("SHOPSIGHT_SIGNING_KEY", self.signing_key.get_secret_value(), DEV_SIGNING_KEY),
        ):
            if value == placeholder:
                raise ValueError(
                    f"{name} is the development placeholder; set a random secret "
                    "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)"
                )
        return self

    @property
    def lake_root(self) -> str:
        """The lake root, defaulting to <home>/lake."""
        return self.lake or str(self.home / "lake")

    @property
    def state_database_url(self) -> str:
        """The state store URL, defaulting to a SQLite file under home."""
        return self.state_url or f"sqlite:///{self.home / 'state.db'}"

    @property
    def truth_path(self) -> Path:
        """Where planted truth of demo data lives."""
        return self.truth_dir or self.home / "truth"

    @property
    def lake_storage_options(self) -> dict[str, str]:
        """Options for deltalake/pyarrow when the lake is on S3 (empty for a folder)."""
        if not self.lake_root.startswith("s3://"):
            return {}
        options = {"AWS_REGION": self.aws_region}
        if self.aws_endpoint_url:
            options["AWS_ENDPOINT_URL"] = self.aws_endpoint_url
            if self.aws_endpoint_url.startswith("http://"):
                options["AWS_ALLOW_HTTP"] = "true"
        if self.lake_single_writer:
            options["AWS_S3_ALLOW_UNSAFE_RENAME"] = "true"
        return options

    @property
    def expected_store_ids(self) -> list[str]:
        """expected_stores as a list."""
        return [s.strip() for s in self.expected_stores.split(",") if s.strip()]


def load_settings(**overrides: object) -> Settings:
    """Read the environment once; turn pydantic errors into one ConfigError."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        # a check of several settings together names them in its message
        field = ".".join(str(p) for p in first["loc"]) or "environment"
        raise ConfigError(field, str(first["msg"]).removeprefix("Value error, ")) from None
