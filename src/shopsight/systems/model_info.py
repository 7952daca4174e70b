"""The model provenance every model-backed answer carries (Demand Insights, Market
Intelligence): one response shape, built from a stored model in one place."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from shopsight.lake.models import StoredModel


class ModelInfo(BaseModel):
    """Which stored model answered, and whether it had to be trained for this request."""

    name: str
    version: str
    trained_at: str
    training_end: date | None = None
    model_trained_now: bool = Field(
        description="true when no stored model existed and one was trained for this call")

    @classmethod
    def of(cls, stored: StoredModel, trained_now: bool) -> ModelInfo:
        """The provenance of ``stored`` as saved in its metadata."""
        end = stored.metadata.get("training_end")
        return cls(name=stored.name, version=stored.version,
                   trained_at=str(stored.metadata.get("saved_at", "")),
                   training_end=date.fromisoformat(end) if end else None,
                   model_trained_now=trained_now)
