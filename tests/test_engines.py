"""stores/engines.py: SQLite files keep their connections open; servers ping before use."""

import threading
from pathlib import Path

import sqlalchemy as sa
from rasa.shared.core.domain import Domain

from pause.domain import load_domain
from pause.repository import ReflectionRepository
from stores.engines import engine_options, is_sqlite_file
from stores.tracker_store import ForgettingSQLTrackerStore


def test_which_urls_are_sqlite_files(tmp_path: Path) -> None:
    assert is_sqlite_file(f"sqlite:///{tmp_path / 'a.db'}")
    assert not is_sqlite_file("sqlite://")
    assert not is_sqlite_file("postgresql://u:p@localhost:5432/db")
    assert engine_options("postgresql://u:p@localhost:5432/db") == {"pool_pre_ping": True}


def test_an_sqlite_file_is_opened_once_and_shared_by_threads(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'a.db'}", future=True,
                              **engine_options(f"sqlite:///{tmp_path / 'a.db'}"))
    opened = []
    sa.event.listen(engine, "connect", lambda *_: opened.append(1))
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
    errors = []

    def write(i: int) -> None:
        try:
            for _ in range(20):
                with engine.begin() as conn:
                    conn.execute(sa.text("INSERT INTO t VALUES (:x)"), {"x": i})
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM t")).scalar() == 80
    assert 1 <= len(opened) <= 4  # not one connection per transaction


def test_the_stores_use_the_pool(tmp_path: Path) -> None:
    store = ForgettingSQLTrackerStore(domain=Domain.from_dict(load_domain()),
                                      host=f"sqlite:///{tmp_path / 'tracker.db'}")
    assert isinstance(store.engine.pool, sa.pool.QueuePool)
    repository = ReflectionRepository(f"sqlite:///{tmp_path / 'reflections.db'}")
    assert isinstance(repository.engine.pool, sa.pool.QueuePool)
