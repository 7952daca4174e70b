"""Retail Copilot: plain-language questions about the lake, answered safely (18.1-18.8).

``RetailCopilot(lake, state, llm, tools=None).ask(user_id, question)`` returns a
:class:`CopilotAnswer`; see :mod:`.service`. SQL safety lives in :mod:`.sql_safety`,
the offline planner in :mod:`.planner`, conversation history in :mod:`.conversations`.
"""

from __future__ import annotations

from shopsight.systems.retail_copilot.models import CopilotAnswer, Intent
from shopsight.systems.retail_copilot.service import RetailCopilot, SqlTools, Tools

__all__ = ["CopilotAnswer", "Intent", "RetailCopilot", "SqlTools", "Tools"]
