"""Encryption at rest: answers and tracker events are unreadable in the database; keys rotate."""

import asyncio
import stat
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from pause.domain import load_domain
from pause.repository import Reflection, ReflectionRepository
from pause.settings import load_settings
from pause.steps import STEPS
from stores.crypto import PREFIX, Cipher, InvalidToken, cipher_for
from stores.migrations import rotate_table
from stores.tracker_store import ForgettingSQLTrackerStore

DOMAIN = Domain.from_dict(load_domain())
SECRET_ANSWER = "my chest goes tight when she says she loves me"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def urls(request, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'r.db'}", f"sqlite:///{tmp_path / 't.db'}"
    server = request.getfixturevalue("postgres")
    name = uuid.uuid4().hex[:10]
    return server.create_database(f"r_{name}"), server.create_database(f"t_{name}")


def dump(url: str) -> str:
    """Every value of every table, as one text."""
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    metadata.reflect(engine)
    with engine.connect() as conn:
        text = " ".join(
            str(row) for table in metadata.sorted_tables for row in conn.execute(table.select())
        )
    engine.dispose()
    return text


def key() -> str:
    return Fernet.generate_key().decode()


def test_the_generated_key_file_has_mode_0600(tmp_path: Path) -> None:
    settings = load_settings({"PAUSE_VAR_DIR": str(tmp_path)})
    cipher = cipher_for(settings)
    assert stat.S_IMODE(settings.data_key_file.stat().st_mode) == 0o600
    assert cipher_for(settings).decrypt(cipher.encrypt("x")) == "x"  # the same key again


def test_values_round_trip_and_plain_values_read_as_they_are() -> None:
    cipher = Cipher([key()])
    stored = cipher.encrypt(SECRET_ANSWER)
    assert stored is not None and stored.startswith(PREFIX) and SECRET_ANSWER not in stored
    assert cipher.decrypt(stored) == SECRET_ANSWER
    assert cipher.decrypt("written before encryption") == "written before encryption"
    assert cipher.encrypt(None) is None and cipher.decrypt(None) is None
    with pytest.raises(InvalidToken):
        Cipher([key()]).decrypt(stored)  # another key can't read it
    with pytest.raises(ValueError):
        Cipher([])


def test_answers_and_events_are_not_readable_in_the_databases(urls) -> None:  # type: ignore
    reflections_url, tracker_url = urls
    cipher = Cipher([key()])
    repository = ReflectionRepository(reflections_url, cipher)
    item = Reflection(id=uuid.uuid4().hex, user_id="rest:a", channel="rest",
                      answers={"noticed": SECRET_ANSWER, "step": "skipped"})
    repository.save(item)
    assert repository.get("rest:a", item.id).answers["noticed"] == SECRET_ANSWER  # type: ignore
    repository.dispose()

    store = ForgettingSQLTrackerStore(domain=DOMAIN, host=tracker_url, cipher=cipher)
    tracker = DialogueStateTracker("rest:a", DOMAIN.slots)
    tracker.update(UserUttered(SECRET_ANSWER, {"name": "share_experience"}))
    tracker.update(SlotSet("pause_noticed", SECRET_ANSWER))


    asyncio.run(store.save(tracker))
    again = asyncio.run(store.retrieve("rest:a"))
    assert again is not None and again.get_slot("pause_noticed") == SECRET_ANSWER
    store.engine.dispose()

    for url in urls:
        text = dump(url)
        assert "rest:a" in text  # the dump did see the rows...
        assert "chest" not in text and "skipped" not in text  # ...but none of the answers


def test_plain_rows_of_an_older_version_get_encrypted_once(urls) -> None:  # type: ignore
    reflections_url, _ = urls
    plain = ReflectionRepository(reflections_url, Cipher([key()]))
    item = Reflection(id=uuid.uuid4().hex, user_id="rest:a", channel="rest",
                      answers={"noticed": SECRET_ANSWER})
    plain.save(item)
    plain.dispose()
    engine = sa.create_engine(reflections_url)  # as the previous version wrote it
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE reflections SET noticed = :a"), {"a": SECRET_ANSWER})
        conn.execute(sa.text("DELETE FROM pause_migrations WHERE name = 'encrypted_at_rest'"))
    engine.dispose()
    assert "chest" in dump(reflections_url)
    cipher = Cipher([key()])
    migrated = ReflectionRepository(reflections_url, cipher)
    assert migrated.get("rest:a", item.id).answers["noticed"] == SECRET_ANSWER  # type: ignore
    migrated.dispose()
    assert "chest" not in dump(reflections_url)


def test_key_rotation(urls) -> None:  # type: ignore
    reflections_url, tracker_url = urls
    old, new = key(), key()
    repository = ReflectionRepository(reflections_url, Cipher([old]))
    item = Reflection(id=uuid.uuid4().hex, user_id="rest:a", channel="rest",
                      answers={"noticed": SECRET_ANSWER})
    repository.save(item)
    repository.dispose()
    store = ForgettingSQLTrackerStore(domain=DOMAIN, host=tracker_url, cipher=Cipher([old]))
    tracker = DialogueStateTracker("rest:a", DOMAIN.slots)
    tracker.update(UserUttered(SECRET_ANSWER, {"name": "share_experience"}))


    asyncio.run(store.save(tracker))
    store.engine.dispose()

    both = Cipher([new, old])  # step 1: the new key first, the old one still reads
    reading = ReflectionRepository(reflections_url, both)
    assert reading.get("rest:a", item.id).answers["noticed"] == SECRET_ANSWER  # type: ignore
    reading.dispose()
    # step 2: scripts/rotate_data_keys.py re-encrypts everything with the new key
    assert rotate_table(reflections_url, "reflections", STEPS, both) == 1
    assert rotate_table(tracker_url, "events", ["data"], both) >= 1
    # step 3: the old key is dropped; everything still reads
    only_new = Cipher([new])
    after = ReflectionRepository(reflections_url, only_new)
    assert after.get("rest:a", item.id).answers["noticed"] == SECRET_ANSWER  # type: ignore
    after.dispose()
    store = ForgettingSQLTrackerStore(domain=DOMAIN, host=tracker_url, cipher=only_new)
    again = asyncio.run(store.retrieve("rest:a"))
    assert again is not None and again.latest_message.text == SECRET_ANSWER  # type: ignore
    store.engine.dispose()
    stale = ReflectionRepository(reflections_url, Cipher([old]))
    with pytest.raises(InvalidToken):
        stale.get("rest:a", item.id)
    stale.dispose()
