"""The default provider: no model at all, so no key and no network are needed."""

from __future__ import annotations

from collections.abc import Sequence

from shopsight.errors import ConfigError
from shopsight.llm.base import Message


class OfflineLlm:
    """Answers nothing; the copilot relies on its offline planner alone."""

    name = "offline"

    @property
    def available(self) -> bool:
        """Always False: there is no model to ask."""
        return False

    def complete(self, messages: Sequence[Message], temperature: float = 0.0,
                 max_tokens: int = 2000) -> str:
        """Refuse: callers check :attr:`available` first."""
        del messages, temperature, max_tokens
        raise ConfigError("llm_provider", "the offline provider has no model; set "
                          "LLM_PROVIDER=openai or bedrock to enable free-form questions")
