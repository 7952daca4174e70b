"""Any server speaking OpenAI's ``/v1/chat/completions``: OpenAI, Ollama, vLLM, llama.cpp."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from shopsight.errors import ConfigError
from shopsight.llm.base import Message


class OpenAICompatibleLlm:
    """Chat completions over HTTP; ``transport`` lets tests hand in their own."""

    name = "openai"

    def __init__(self, base_url: str, api_key: str, model: str, *, timeout: float = 60.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.model = model
        self.timeout = timeout
        self.transport = transport

    @property
    def available(self) -> bool:
        """True: a server is configured."""
        return True

    @property
    def url(self) -> str:
        """The completions endpoint (``/v1`` is added unless the base URL has it)."""
        base = self.base_url if self.base_url.endswith("/v1") else f"{self.base_url}/v1"
        return f"{base}/chat/completions"

    def complete(self, messages: Sequence[Message], temperature: float = 0.0,
                 max_tokens: int = 2000) -> str:
        """The first choice's message content."""
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body: dict[str, Any] = {"model": self.model, "messages": list(messages),
                                "temperature": temperature, "max_tokens": max_tokens}
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
                response = client.post(self.url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ConfigError("llm_provider", f"cannot reach {self.url}: "
                              f"{exc.__class__.__name__}; is the server running?") from exc
        if response.status_code != 200:
            raise ConfigError("llm_provider", f"{self.url} answered HTTP "
                              f"{response.status_code}; check the model name and API key")
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ConfigError("llm_provider", f"{self.url} did not return a chat "
                              "completion (choices[0].message.content)") from exc
        return str(content or "")
