"""Rasa's Redis lock store, made safe for several Rasa servers.

Rasa 3.6's ``RedisLockStore`` keeps each conversation's ticket lock as one JSON value
and changes it by read, modify, write (``issue_ticket``, ``update_lock``,
``finish_serving``, ``cleanup``). Inside one process nothing runs between the read and
the write; with two Rasa servers, two messages of the same sender arriving at the same
moment both read the lock, both add a ticket, and the second write drops the first's
ticket: both turns then run at once, and one overwrites the other's events (measured by
tests/replicas/: 3 of 8 simultaneous messages lost). Here every such change holds a
short Redis mutex of that conversation (``SET NX`` with an expiry, redis-py's ``Lock``),
so the tickets are issued and served in order across the servers.

endpoints.yml names :class:`ConfiguredLockStore`: Rasa's in-memory store on one machine,
this one when ``REDIS_HOST`` is set (``REDIS_PORT``, ``REDIS_PASSWORD``, ``REDIS_DB``;
pause/settings.py). Several Sanic workers (``SANIC_WORKERS``) are several processes: they
need Redis too, and the in-memory store refuses them.
"""

from typing import Any, Optional, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from pause.settings import load_settings

#: Seconds a mutex may be held (a crashed server frees it after that) and waited for.
MUTEX_SECONDS = 5.0


class SerialRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose ticket changes are atomic across Rasa servers."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        """Create the store from endpoints.yml's ``lock_store`` section (or keywords)."""
        if endpoint_config is not None:
            options = {k: v for k, v in endpoint_config.kwargs.items() if v not in ("", None)}
            kwargs = {"host": endpoint_config.url or "localhost", **options, **kwargs}
        super().__init__(**kwargs)

    def _mutex(self, conversation_id: Text) -> Any:
        return self.red.lock(
            f"{self.key_prefix}{conversation_id}:mutex",
            timeout=MUTEX_SECONDS,
            blocking_timeout=MUTEX_SECONDS,
        )

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Issue a ticket, atomically with respect to the other servers."""
        with self._mutex(conversation_id):
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: Text) -> None:
        """Drop expired tickets, atomically."""
        with self._mutex(conversation_id):
            super().update_lock(conversation_id)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        """Remove a served ticket, atomically."""
        with self._mutex(conversation_id):
            super().finish_serving(conversation_id, ticket_number)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Remove the ticket, and the lock when nobody waits, as one atomic step."""
        with self._mutex(conversation_id):
            lock: Optional[TicketLock] = self.get_lock(conversation_id)
            if lock:
                lock.remove_ticket_for(ticket_number)
                self.save_lock(lock)
            if not self.is_someone_waiting(conversation_id):
                self.delete_lock(conversation_id)


class ConfiguredLockStore(LockStore):
    """The lock store the settings ask for: in memory, or Redis when ``REDIS_HOST`` is set.

    Rasa creates a custom lock store as ``cls(endpoint_config=...)``; this class only
    chooses, so the instance is an ``InMemoryLockStore`` or a :class:`SerialRedisLockStore`.
    Values in endpoints.yml's ``lock_store`` section take precedence over the variables.
    """

    def __new__(  # type: ignore[misc]
        cls, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any
    ) -> LockStore:
        """Return the store for ``REDIS_HOST`` (or the section's ``url``), else in memory."""
        settings = load_settings()
        given = endpoint_config.kwargs if endpoint_config is not None else {}
        host = (endpoint_config.url if endpoint_config is not None else None) or settings.redis_host
        if not host:
            if settings.sanic_workers > 1:
                # Rasa allows several workers with any custom lock store; each worker's
                # memory would hold its own locks, and two messages of one sender would
                # be served at once by two workers.
                raise ValueError(
                    f"SANIC_WORKERS={settings.sanic_workers} needs the Redis lock store: "
                    "set REDIS_HOST (or SANIC_WORKERS=1)"
                )
            return InMemoryLockStore()
        options = {
            "port": settings.redis_port,
            "password": settings.redis_password,
            "db": settings.redis_db,
            **{k: v for k, v in given.items() if k != "type"},
        }
        return SerialRedisLockStore(EndpointConfig(url=host, **options), **kwargs)
