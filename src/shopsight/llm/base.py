"""The ``Llm`` protocol every provider implements, and the factory from settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, Protocol, TypedDict, runtime_checkable

from shopsight.errors import ConfigError

if TYPE_CHECKING:
    from shopsight.config import Settings


class Message(TypedDict):
    """One chat message: ``role`` is system, user or assistant."""

    role: Literal["system", "user", "assistant"]
    content: str


@runtime_checkable
class Llm(Protocol):
    """A chat model: messages in, the assistant's text out."""

    name: str
    """Provider name reported in answers' metadata (offline, openai, bedrock...)."""

    @property
    def available(self) -> bool:
        """False for the offline provider: the copilot then never asks it."""
        ...

    def complete(self, messages: Sequence[Message], temperature: float = 0.0,
                 max_tokens: int = 2000) -> str:
        """The model's reply to ``messages``."""
        ...


def make_llm(settings: Settings, *, base_url: str = "", api_key: str = "") -> Llm:
    """The provider named by ``settings.llm_provider``.

    ``base_url``/``api_key`` are needed for ``openai`` (OpenAI itself, Ollama, vLLM,
    llama.cpp server); ``bedrock`` uses the usual AWS credentials and ``aws_region``.
    """
    from shopsight.llm.offline import OfflineLlm

    base_url = base_url or settings.llm_base_url
    api_key = api_key or settings.llm_api_key.get_secret_value()

    if settings.llm_provider == "offline":
        return OfflineLlm()
    if settings.llm_provider == "openai":
        from shopsight.llm.openai_compat import OpenAICompatibleLlm

        if not base_url:
            raise ConfigError("llm_provider", "'openai' needs the server's base URL, e.g. "
                              "https://api.openai.com or http://127.0.0.1:11434 (Ollama)")
        return OpenAICompatibleLlm(base_url, api_key, settings.llm_model_id)
    from shopsight.llm.bedrock import BedrockLlm

    return BedrockLlm(settings.llm_model_id, settings.aws_region)
