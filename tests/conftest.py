"""Shared fixtures: tracker factory, the domain, and reflection stores (SQLite, PostgreSQL)."""

import time
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from pause import repository
from pause.domain import load_domain
from tests.servers import PostgresServer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def private_var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test's generated keys and tokens go to its own var folder, not the project's."""
    from stores import crypto

    var = tmp_path / "var"
    monkeypatch.setenv("PAUSE_VAR_DIR", str(var))
    crypto._cached.cache_clear()
    yield var
    crypto._cached.cache_clear()


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    """The domain plus the FAQ responses, as the action server receives them."""
    return load_domain(with_faq=True)


def user_event(text: str, intent: str, **parse: Any) -> Dict[str, Any]:
    """A ``user`` event as Rasa sends it to the action server."""
    return {
        "event": "user",
        "timestamp": time.time(),
        "text": text,
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": 0.9},
            "entities": parse.get("entities", []),
            **parse,
        },
        "input_channel": "rest",
    }


def make_tracker(
    text: str = "",
    intent: str = "greet",
    slots: Optional[Dict[str, Any]] = None,
    events: Optional[List[Dict[str, Any]]] = None,
    active_loop: Optional[str] = None,
    sender_id: str = "alice",
    after: Optional[List[Dict[str, Any]]] = None,
    channel: str = "rest",
    **parse: Any,
) -> Tracker:
    """Build a tracker the way the action server does (``Tracker.from_dict``).

    ``after`` are events that came after the latest message (e.g. an action's slots).
    """
    latest = {**user_event(text, intent, **parse), "input_channel": channel}
    return Tracker.from_dict(
        {
            "sender_id": sender_id,
            "slots": slots or {},
            "latest_message": latest["parse_data"],
            "events": [*(events or []), latest, *(after or [])],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
            "latest_input_channel": channel,
        }
    )


@pytest.fixture
def tracker_factory():  # type: ignore[no-untyped-def]
    return make_tracker


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def message(response: Optional[str] = None, **fields: Any) -> Dict[str, Any]:
    """Exactly what ``CollectingDispatcher.utter_message`` records for these arguments."""
    buttons = fields.pop("buttons", [])
    custom = fields.pop("json_message", {})
    return {
        "text": fields.pop("text", None),
        "buttons": buttons,
        "elements": [],
        "custom": custom,
        "template": response,
        "response": response,
        "image": None,
        "attachment": None,
        **fields,
    }


FIXED_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


class _FrozenDatetime(datetime):
    @classmethod
    def now(cls, tz: Optional[tzinfo] = None) -> "datetime":  # type: ignore[override]
        return FIXED_NOW if tz is not None else FIXED_NOW.replace(tzinfo=None)


@pytest.fixture
def frozen_time(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Reflections get ``FIXED_NOW`` as their creation and update time."""
    monkeypatch.setattr(repository, "datetime", _FrozenDatetime)
    return FIXED_NOW


def responses(dispatcher: CollectingDispatcher) -> List[Optional[str]]:
    """The response names the dispatcher was asked to utter, in order.

    Kept for tests written before the exact-message rule; new action tests compare
    ``dispatcher.messages`` with :func:`message` entries, which a wrong slot value or an
    extra message also fails.
    """
    return [entry.get("response") for entry in dispatcher.messages]


@pytest.fixture
def store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[repository.ReflectionRepository]:
    """A fresh SQLite reflection store that the actions use."""
    monkeypatch.setenv("REFLECTIONS_DB_URL", f"sqlite:///{tmp_path / 'reflections.db'}")
    repository.default_repository.cache_clear()
    repo = repository.default_repository()
    yield repo
    repo.dispose()
    repository.default_repository.cache_clear()


@pytest.fixture
def broken_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A reflection store that cannot be opened (a file stands where its folder should be)."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("REFLECTIONS_DB_URL", f"sqlite:///{blocker / 'sub' / 'r.db'}")
    repository.default_repository.cache_clear()
    yield
    repository.default_repository.cache_clear()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server on loopback for the whole session."""
    server = PostgresServer().start()
    yield server
    server.stop()
