"""ModelStore: versions in the lake, newest complete version wins."""

from __future__ import annotations

from shopsight.lake.models import ModelStore
from shopsight.lake.store import Lake
from tests.conftest import SIGNING_KEY


def test_save_and_load_latest(lake: Lake) -> None:
    store = ModelStore(lake, SIGNING_KEY)
    assert store.load_latest("demand_insights", "churn") is None
    v1 = store.save("demand_insights", "churn", {"w": 1}, {"training_end": "2026-01-01"})
    v2 = store.save("demand_insights", "churn", {"w": 2}, {"metrics": {"auc": 0.9}})
    assert v1 < v2
    latest = store.load_latest("demand_insights", "churn")
    assert latest is not None and latest.obj == {"w": 2} and latest.version == v2
    assert latest.metadata["metrics"] == {"auc": 0.9}
    assert "numpy" in latest.metadata["libraries"]
    # A version without metadata (interrupted save) is ignored.
    lake.write_bytes("models/demand_insights/churn/99999999T000000000000Z-x/model.pkl", b"x")
    assert store.versions("demand_insights", "churn") == [v1, v2]


def test_loaded_models_train_only_when_nothing_is_stored(lake: Lake) -> None:
    import threading

    from shopsight.lake.models import LoadedModels

    store = ModelStore(lake, SIGNING_KEY)
    calls: list[int] = []

    def trainer() -> tuple[dict[str, int], dict[str, str]]:
        calls.append(1)
        return {"w": len(calls)}, {"training_end": "2026-01-01"}

    loaded = LoadedModels(store, "demand_insights", threading.RLock())
    first, trained = loaded.get("churn", trainer)
    assert trained and first.obj == {"w": 1}
    again, trained = loaded.get("churn", trainer)
    assert not trained and again is first
    loaded.forget()
    fresh = LoadedModels(store, "demand_insights", threading.RLock())
    for models in (loaded, fresh):
        stored, trained = models.get("churn", trainer)
        assert not trained and stored.version == first.version
    assert calls == [1]


def test_a_model_changed_in_the_lake_is_never_unpickled(lake: Lake) -> None:
    """Unpickling runs code: a model whose bytes were replaced by someone without the
    signing key, or saved under another key, is refused and the last good one is used."""
    import pickle

    import pytest

    from shopsight.errors import ModelIntegrityError

    store = ModelStore(lake, SIGNING_KEY)
    good = store.save("demand_insights", "churn", {"w": 1}, {})
    bad = store.save("demand_insights", "churn", {"w": 2}, {})

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (print, ("code ran",))

    lake.write_bytes(f"models/demand_insights/churn/{bad}/model.pkl", pickle.dumps(Payload()))
    with pytest.raises(ModelIntegrityError, match="does not match its signature"):
        store.load("demand_insights", "churn", bad)
    latest = store.load_latest("demand_insights", "churn")
    assert latest is not None and latest.version == good and latest.obj == {"w": 1}
    other_key = ModelStore(lake, "another-key")
    with pytest.raises(ModelIntegrityError):
        other_key.load("demand_insights", "churn", good)
    assert other_key.load_latest("demand_insights", "churn") is None  # caller retrains
