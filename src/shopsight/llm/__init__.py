"""LLM providers behind one small protocol: offline (none), OpenAI-compatible, Bedrock.

    Llm.complete(messages, temperature, max_tokens) -> str

``OfflineLlm`` needs no key and no network: the copilot then answers with its offline
planner only. ``make_llm`` builds the provider named by the settings; the base URL and
API key of an OpenAI-compatible server are handed in by the caller.
"""

from __future__ import annotations

from shopsight.llm.base import Llm, Message, make_llm
from shopsight.llm.offline import OfflineLlm

__all__ = ["Llm", "Message", "OfflineLlm", "make_llm"]
