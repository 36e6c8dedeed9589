"""stores/lock_store.py against a real Redis: tickets issued from two servers at once."""

import threading
from typing import Iterator, List

import pytest

from stores.lock_store import SerialRedisLockStore
from tests.servers import RedisServer

pytestmark = pytest.mark.redis


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.stop()


def stores(redis: RedisServer, count: int) -> List[SerialRedisLockStore]:
    return [SerialRedisLockStore(host="127.0.0.1", port=redis.port, db=1) for _ in range(count)]


def test_tickets_issued_at_once_by_two_servers_are_all_kept(redis: RedisServer) -> None:
    first, second = stores(redis, 2)
    issued: List[int] = []

    def issue(store: SerialRedisLockStore) -> None:
        for _ in range(100):
            issued.append(store.issue_ticket("rest:someone"))

    threads = [threading.Thread(target=issue, args=(s,)) for s in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lock = first.get_lock("rest:someone")
    assert lock is not None
    assert sorted(issued) == list(range(200))  # every number once
    assert sorted(t.number for t in lock.tickets) == list(range(200))  # none overwritten


def test_cleanup_keeps_the_lock_of_someone_waiting(redis: RedisServer) -> None:
    first, second = stores(redis, 2)
    served = first.issue_ticket("rest:someone")
    waiting = second.issue_ticket("rest:someone")
    first.cleanup("rest:someone", served)
    lock = second.get_lock("rest:someone")
    assert lock is not None and [t.number for t in lock.tickets] == [waiting]
    assert not lock.is_locked(waiting)
    second.cleanup("rest:someone", waiting)
    assert second.get_lock("rest:someone") is None


def test_created_from_endpoints_yml(redis: RedisServer) -> None:
    from rasa.core.lock_store import LockStore
    from rasa.utils.endpoints import EndpointConfig

    config = EndpointConfig(
        url="127.0.0.1",
        type="stores.lock_store.SerialRedisLockStore",
        port=str(redis.port),
        password="",
        db="1",
    )
    store = LockStore.create(config)
    assert isinstance(store, SerialRedisLockStore)
    assert store.issue_ticket("rest:x") == 0
