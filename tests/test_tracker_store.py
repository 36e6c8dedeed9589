"""The tracker store forgets a conversation when asked to, on SQLite and PostgreSQL."""

import uuid
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from pause.domain import load_domain
from stores.forget import FORGET_SLOT
from stores.tracker_store import ForgettingSQLTrackerStore

DOMAIN = Domain.from_dict(load_domain())


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'nested' / 'tracker.db'}"
    else:
        url = request.getfixturevalue("postgres").create_database(f"t_{uuid.uuid4().hex[:12]}")
    return ForgettingSQLTrackerStore(domain=DOMAIN, host=url)


async def test_appends_like_the_sql_store(store) -> None:
    tracker = DialogueStateTracker("alice", DOMAIN.slots)
    tracker.update(UserUttered("hi", {"name": "greet"}))
    await store.save(tracker)
    tracker.update(ActionExecuted("utter_greet"))
    await store.save(tracker)
    again = await store.retrieve("alice")
    assert [e.type_name for e in again.events] == ["user", "action"]


async def test_forget_marker_deletes_the_history(store) -> None:
    alice = DialogueStateTracker("alice", DOMAIN.slots)
    alice.update(UserUttered("my secret moment", {"name": "share_experience"}))
    await store.save(alice)
    bob = DialogueStateTracker("bob", DOMAIN.slots)
    bob.update(UserUttered("hello", {"name": "greet"}))
    await store.save(bob)

    alice.update(UserUttered("yes", {"name": "affirm"}))
    alice.update(BotUttered("Done. I've deleted ..."))
    alice.update(SlotSet(FORGET_SLOT, True))
    alice.update(ActionExecuted("action_listen"))
    await store.save(alice)

    remaining = await store.retrieve("alice")
    assert [e.type_name for e in remaining.events] == ["action"]
    assert "secret" not in str([e.as_dict() for e in remaining.events])
    assert [e.type_name for e in (await store.retrieve("bob")).events] == ["user"]
    # the next turn appends normally again
    remaining.update(UserUttered("hi again", {"name": "greet"}))
    await store.save(remaining)
    assert len((await store.retrieve("alice")).events) == 2


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'legacy.db'}"
    return str(request.getfixturevalue("postgres").create_database(f"m_{uuid.uuid4().hex[:12]}"))


async def test_existing_conversations_migrate_to_scoped_ids_once(empty_url: str) -> None:
    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore

    url = empty_url
    legacy = SQLTrackerStore(domain=DOMAIN, host=url)  # Rasa's own: ids as they were
    for sender, channel in [("12345", "telegram"), ("me", "rest"), ("U1", "slack")]:
        tracker = DialogueStateTracker(sender, DOMAIN.slots)
        tracker.update(UserUttered("hi", {"name": "greet"}, input_channel=channel))
        await legacy.save(tracker)
    silent = DialogueStateTracker("nobody", DOMAIN.slots)
    silent.update(ActionExecuted("action_listen"))
    await legacy.save(silent)
    legacy.engine.dispose()

    for _ in range(2):  # the second start must not prefix again
        store = ForgettingSQLTrackerStore(domain=DOMAIN, host=url)
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            senders = {row[0] for row in conn.execute(sa.text("SELECT sender_id FROM events"))}
        engine.dispose()
        assert senders == {"telegram:12345", "rest:me", "slack:U1", "unknown:nobody"}
        assert [e.type_name for e in (await store.retrieve("telegram:12345")).events] == ["user"]
        store.engine.dispose()


async def test_a_turn_that_could_not_reach_the_database_is_noted(store, monkeypatch) -> None:
    from sqlalchemy.exc import OperationalError

    from stores.tracker_store import begin_turn, turn_failed

    tracker = DialogueStateTracker("alice", DOMAIN.slots)
    tracker.update(UserUttered("hi", {"name": "greet"}))
    begin_turn()
    await store.save(tracker)
    assert await store.retrieve("alice") is not None and not turn_failed()

    def down() -> None:
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(store, "session_scope", down)
    with pytest.raises(OperationalError):
        await store.retrieve("alice")
    assert turn_failed()
    begin_turn()  # the next turn starts clean
    assert not turn_failed()
    with pytest.raises(OperationalError):
        await store.save(tracker)
    assert turn_failed()


def test_the_server_loads_its_models_without_a_training_step(store) -> None:
    """Created by the Rasa server before the model: the fast loader is in place by then."""
    from rasa.utils.tensorflow.models import RasaModel

    from stores.model_loading import load_for_prediction

    assert RasaModel.load.__func__ is load_for_prediction  # type: ignore[attr-defined]
