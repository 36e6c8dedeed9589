"""stores/lock_store.py's choice without Redis: in memory for one worker, refused for several."""

import pytest
from rasa.core.lock_store import InMemoryLockStore, LockStore
from rasa.utils.endpoints import EndpointConfig

from stores.lock_store import ConfiguredLockStore

CONFIG = EndpointConfig(type="stores.lock_store.ConfiguredLockStore")


def test_one_worker_without_redis_locks_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_HOST", raising=False)
    monkeypatch.delenv("SANIC_WORKERS", raising=False)
    assert isinstance(LockStore.create(CONFIG), InMemoryLockStore)
    monkeypatch.setenv("SANIC_WORKERS", "1")
    assert isinstance(ConfiguredLockStore(endpoint_config=CONFIG), InMemoryLockStore)


def test_several_workers_without_redis_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each worker is a process: in-memory locks would not keep one sender's turns apart."""
    monkeypatch.delenv("REDIS_HOST", raising=False)
    monkeypatch.setenv("SANIC_WORKERS", "2")
    with pytest.raises(ValueError, match="REDIS_HOST"):
        ConfiguredLockStore(endpoint_config=CONFIG)
    with pytest.raises(ValueError, match="REDIS_HOST"):  # Rasa's own path does not hide it
        LockStore.create(CONFIG)
