"""Settings read the seeds' variable names; logs never carry card numbers or SSNs."""

from __future__ import annotations

import io
import json
import logging

import pytest

from shopsight.config import load_settings
from shopsight.errors import ConfigError
from shopsight.logs import JsonFormatter, RedactingFilter, fields
from shopsight.quality.pci import luhn_valid, redact


def test_settings_use_the_seed_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("LLM_PROVIDER", "openai")
    monkeypatch.setenv("LLM_MAX_TOKENS", "512")
    monkeypatch.setenv("SHOPSIGHT_LAKE", "s3://bucket/prefix")
    monkeypatch.setenv("SHOPSIGHT_STATE_URL", "sqlite:////tmp/x.db")
    monkeypatch.setenv("EXPECTED_STORES", "0001, 0002")
    settings = load_settings()
    assert (settings.log_level, settings.llm_provider, settings.llm_max_tokens) == (
        "DEBUG", "openai", 512)
    assert settings.lake_root == "s3://bucket/prefix"
    assert settings.state_database_url == "sqlite:////tmp/x.db"
    assert settings.expected_store_ids == ["0001", "0002"]


def test_unrelated_environment_variables_named_like_a_setting_are_ignored(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """HOME is set on every machine: it must not move the data out of ./shopsight-data
    (nor ENVIRONMENT, LAKE, SIGNING_KEY... of other software change shopsight)."""
    from pathlib import Path

    for name in ("HOME", "LAKE", "ENVIRONMENT", "SIGNING_KEY", "STATE_URL", "NOTIFIERS"):
        monkeypatch.setenv(name, "/elsewhere" if name != "ENVIRONMENT" else "production")
    for name in ("SHOPSIGHT_HOME", "SHOPSIGHT_LAKE", "SHOPSIGHT_ENV", "SHOPSIGHT_STATE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.home == Path("shopsight-data")
    assert settings.lake_root == str(Path("shopsight-data") / "lake")
    assert settings.environment == "development" and settings.notifiers != "/elsewhere"
    monkeypatch.setenv("SHOPSIGHT_HOME", "/data/shop")  # the documented names still work
    assert load_settings().home == Path("/data/shop")
    assert load_settings(home=Path("/given")).home == Path("/given")  # and names in code


def test_bad_settings_become_one_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "magic")
    with pytest.raises(ConfigError, match="LLM_PROVIDER: Input should be"):
        load_settings()
    monkeypatch.delenv("LLM_PROVIDER")
    monkeypatch.setenv("SHOPSIGHT_LAKE", "ftp://files.example/lake")
    with pytest.raises(ConfigError, match="setting SHOPSIGHT_LAKE: 'ftp://files.example/lake'"):
        load_settings()
    monkeypatch.delenv("SHOPSIGHT_LAKE")
    monkeypatch.setenv("LOG_LEVEL", "debug")  # any case
    assert load_settings().log_level == "DEBUG"


def test_production_refuses_the_placeholder_masking_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPSIGHT_ENV", "production")
    with pytest.raises(ConfigError, match="SHOPSIGHT_MASKING_KEY") as refused:
        load_settings()
    assert str(refused.value).startswith("setting environment: SHOPSIGHT_MASKING_KEY is")
    monkeypatch.setenv("SHOPSIGHT_MASKING_KEY", "a" * 64)
    with pytest.raises(ConfigError, match="SHOPSIGHT_SIGNING_KEY"):
        load_settings()
    monkeypatch.setenv("SHOPSIGHT_SIGNING_KEY", "b" * 64)
    assert load_settings().environment == "production"


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")


@pytest.mark.parametrize("text,leak", [
    ("charge failed for 4111 1111 1111 1111 today", "4111 1111 1111 1111"),
    ("card=4111-1111-1111-1111", "4111-1111-1111-1111"),
    ("amex 378282246310005", "378282246310005"),
    ("ssn 123-45-6789 found", "123-45-6789"),
])
def test_redaction_removes_card_numbers_and_ssns(text: str, leak: str) -> None:
    assert leak not in redact(text)


def test_redaction_leaves_ordinary_numbers_alone() -> None:
    assert redact("order 10482 total 1234567890123 rows") == (
        "order 10482 total 1234567890123 rows")  # 13 digits but not Luhn-valid


def test_json_log_lines_are_redacted() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("shopsight.test-redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("bad row with %s", "4111111111111111",
                       extra=fields(value="5555 5555 5555 4444", rows=3))
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert "4111111111111111" not in stream.getvalue()
    assert "5555 5555 5555 4444" not in stream.getvalue()
    assert line["rows"] == 3 and line["level"] == "WARNING"
