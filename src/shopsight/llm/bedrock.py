"""Amazon Bedrock through the ``bedrock-runtime`` Converse API (any Converse model)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shopsight.errors import ConfigError
from shopsight.llm.base import Message


class BedrockLlm:
    """Converse with ``model_id``; tests hand in a stubbed ``client``."""

    name = "bedrock"

    def __init__(self, model_id: str, region: str = "us-east-1", client: Any = None) -> None:
        self.model_id = model_id
        self.region = region
        self._client = client

    @property
    def available(self) -> bool:
        """True: a model is configured."""
        return True

    @property
    def client(self) -> Any:
        """The boto3 ``bedrock-runtime`` client, created on first use."""
        if self._client is None:
            import boto3

            self._client = boto3.client("bedrock-runtime", region_name=self.region)
        return self._client

    def complete(self, messages: Sequence[Message], temperature: float = 0.0,
                 max_tokens: int = 2000) -> str:
        """The text blocks of the model's reply, joined."""
        system = [{"text": m["content"]} for m in messages if m["role"] == "system"]
        chat = [{"role": m["role"], "content": [{"text": m["content"]}]}
                for m in messages if m["role"] != "system"]
        kwargs: dict[str, Any] = {
            "modelId": self.model_id, "messages": chat,
            "inferenceConfig": {"temperature": temperature, "maxTokens": max_tokens},
        }
        if system:
            kwargs["system"] = system
        try:
            response = self.client.converse(**kwargs)
        except Exception as exc:  # botocore raises many unrelated classes
            raise ConfigError("llm_model_id", f"Bedrock converse with {self.model_id!r} "
                              f"failed: {exc.__class__.__name__}; check model access and "
                              "AWS credentials") from exc
        blocks = response.get("output", {}).get("message", {}).get("content", [])
        return "".join(str(b["text"]) for b in blocks if "text" in b)
