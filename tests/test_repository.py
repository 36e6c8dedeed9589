"""The reflection repository, on SQLite and on a real PostgreSQL server."""

import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pause.repository import (
    FINISHED,
    UNFINISHED,
    Reflection,
    ReflectionRepository,
    StoreUnavailable,
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def repo(request, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'nested' / 'reflections.db'}"
    else:
        url = request.getfixturevalue("postgres").create_database(f"r_{uuid.uuid4().hex[:12]}")
    repository = ReflectionRepository(url)
    yield repository
    repository.dispose()


def reflection(user: str = "alice", **answers: str) -> Reflection:
    return Reflection(id=uuid.uuid4().hex, user_id=user, channel="rest", answers=answers)


def test_no_connection_before_first_use(tmp_path: Path) -> None:
    ReflectionRepository(f"sqlite:///{tmp_path / 'x' / 'r.db'}")
    assert not (tmp_path / "x").exists()


def test_save_then_read_back(repo: ReflectionRepository) -> None:
    item = reflection(noticed="irritation", before="a close weekend", step="skipped")
    item.signal = "irritation"
    repo.save(item)
    [back] = repo.for_user("alice")
    assert back.id == item.id and back.signal == "irritation" and back.status == UNFINISHED
    assert back.answer("before") == "a close weekend" and back.answer("body") is None
    assert back.created_at.tzinfo is not None


def test_saving_twice_updates_one_row(repo: ReflectionRepository) -> None:
    item = reflection(noticed="x")
    repo.save(item)
    item.status, item.answers["body"] = FINISHED, "calm"
    repo.save(item)
    [back] = repo.for_user("alice")
    assert back.status == FINISHED and back.answer("body") == "calm"


def test_users_are_kept_apart(repo: ReflectionRepository) -> None:
    mine, theirs = reflection("alice", noticed="mine"), reflection("bob", noticed="theirs")
    repo.save(mine)
    repo.save(theirs)
    assert [r.answer("noticed") for r in repo.for_user("alice")] == ["mine"]
    assert repo.get("alice", theirs.id) is None
    theirs.user_id = "alice"  # somebody tries to overwrite bob's reflection by id
    with pytest.raises(StoreUnavailable):
        repo.save(theirs)
    assert repo.for_user("bob")[0].answer("noticed") == "theirs"


def test_latest_unfinished_and_limit(repo: ReflectionRepository) -> None:
    first, second = reflection(noticed="first"), reflection(noticed="second")
    repo.save(first)
    repo.save(second)
    done = reflection(noticed="done")
    done.status = FINISHED
    repo.save(done)
    assert repo.latest_unfinished("alice").answer("noticed") == "second"
    assert len(repo.for_user("alice", limit=2)) == 2


def test_delete_user(repo: ReflectionRepository) -> None:
    for _ in range(3):
        repo.save(reflection("alice"))
    repo.save(reflection("bob"))
    assert repo.delete_user("alice") == 3
    assert repo.for_user("alice") == [] and len(repo.for_user("bob")) == 1


def test_concurrent_saves_of_one_reflection_leave_one_row(repo: ReflectionRepository) -> None:
    item = reflection(noticed="x")
    repo.save(item)
    errors = []

    def save() -> None:
        try:
            repo.save(Reflection.from_dict(item.to_dict()))
        except StoreUnavailable as error:  # SQLite may report "database is locked"
            errors.append(error)

    threads = [threading.Thread(target=save) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(repo.for_user("alice")) == 1


def test_unreachable_store_raises_store_unavailable() -> None:
    repo = ReflectionRepository("postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(StoreUnavailable):
        repo.for_user("alice")


def test_round_trip_through_a_slot() -> None:
    item = reflection(noticed="x")
    assert Reflection.from_dict(item.to_dict()) == item



@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'legacy.db'}"
    return str(request.getfixturevalue("postgres").create_database(f"m_{uuid.uuid4().hex[:12]}"))


def test_existing_reflections_migrate_to_scoped_ids_once(empty_url: str) -> None:
    import sqlalchemy as sa

    from pause.repository import _metadata, reflections_table

    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    base = {"status": FINISHED, "created_at": at, "updated_at": at, "noticed": "x"}
    legacy = [  # written before sender ids were scoped: no migrations table yet
        {**base, "id": "a" * 32, "user_id": "12345", "channel": "telegram"},
        {**base, "id": "b" * 32, "user_id": "12345", "channel": "rest"},
        {**base, "id": "c" * 32, "user_id": "telegram:12345", "channel": "rest"},
    ]
    engine = sa.create_engine(empty_url, future=True)
    _metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(reflections_table.insert(), legacy)
    engine.dispose()
    for _ in range(2):  # the second start must not prefix again
        repository = ReflectionRepository(empty_url)
        assert [r.id for r in repository.for_user("telegram:12345")] == ["a" * 32]
        assert [r.id for r in repository.for_user("rest:12345")] == ["b" * 32]
        assert [r.id for r in repository.for_user("rest:telegram:12345")] == ["c" * 32]
        assert repository.for_user("12345") == []
        repository.dispose()


def test_a_new_store_records_the_migration_and_keeps_new_ids(empty_url: str) -> None:
    repository = ReflectionRepository(empty_url)
    repository.save(reflection("telegram:1", noticed="x"))
    repository.dispose()
    again = ReflectionRepository(empty_url)
    assert len(again.for_user("telegram:1")) == 1
    again.dispose()
