"""An SQL tracker store that encrypts its events and can forget a conversation.

Rasa's ``SQLTrackerStore`` appends the events of each turn as JSON. This subclass

* encrypts each event's JSON (stores/crypto.py), so what people wrote, and the slots
  holding their answers, are not readable in the database; the ``type_name``,
  ``intent_name`` and ``action_name`` columns Rasa queries stay as they are;
* when a turn contains the ``forget_me`` marker (set by ``action_delete_reflections``),
  deletes every stored event of that sender, in the same transaction, and keeps only
  what came after the marker;
* migrates an existing database once (stores/migrations.py): sender ids scoped by
  channel, then plain events encrypted;
* notes when the database could not be read or written during a turn
  (:func:`turn_failed`). Rasa wraps every tracker store in ``FailSafeTrackerStore``,
  which then silently answers from an empty conversation kept in memory; a channel
  asks :func:`turn_failed` after the turn and tells the person instead.

SQLite and PostgreSQL work alike (``url`` is a full SQLAlchemy URL). Without ``url`` in
endpoints.yml the store uses ``TRACKER_DB_URL`` (default: the SQLite file in the var folder).
"""

import json
import logging
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Iterable, List, Optional, Text

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.exc import SQLAlchemyError

from pause.settings import load_settings
from stores.action_results import install_validator_cache
from stores.crypto import Cipher, default_cipher
from stores.engines import engine_options
from stores.forget import FORGET_SLOT
from stores.migrations import (
    ENCRYPTED_AT_REST,
    SCOPED_IDENTITIES,
    encrypt_columns,
    run_once,
    scope_tracker_events,
)
from stores.model_loading import install_fast_model_loading

logger = logging.getLogger(__name__)

#: True once this turn (this asyncio task) failed to read or write the database.
_unavailable: ContextVar[bool] = ContextVar("pause_tracker_store_unavailable", default=False)


def begin_turn() -> None:
    """Start watching the store for the turn about to run in this task."""
    _unavailable.set(False)


def turn_failed() -> bool:
    """Whether the store failed during this task's turn (see :func:`begin_turn`)."""
    return _unavailable.get()


def _sqlite_wal(connection: Any, record: Any) -> None:
    """SQLite in WAL mode, synced at checkpoints: a commit is no longer an fsync.

    A crash of the machine may lose the last turns, never corrupt the file; one turn's
    events still commit together.
    """
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _is_marker(event: Event) -> bool:
    return isinstance(event, SlotSet) and event.key == FORGET_SLOT and bool(event.value)


class ForgettingSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` with encrypted events that honours the ``forget_me`` marker."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[Text] = None,
        event_broker: Optional[EventBroker] = None,
        cipher: Optional[Cipher] = None,
        **kwargs: Any,
    ) -> None:
        """Create the store; ``host`` is endpoints.yml's database URL, else ``TRACKER_DB_URL``."""
        host = host or load_settings().tracker_db_url
        if host.startswith("sqlite:///"):
            Path(host[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(domain=domain, host=host, event_broker=event_broker, **kwargs)
        # This store is created once, by the Rasa server, before it loads the model.
        install_validator_cache()
        install_fast_model_loading()
        # Connections kept open on SQLite, tested before use on PostgreSQL (stores/engines.py).
        old: Any = self.engine  # type: ignore[has-type]
        url = old.url
        old.dispose()
        self.engine = sa.create_engine(url, **engine_options(url), **create_engine_kwargs(url))
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_wal)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self.cipher = cipher or default_cipher()
        events = self.SQLEvent.__table__
        run_once(self.engine, SCOPED_IDENTITIES, scope_tracker_events(events))  # type: ignore
        encrypt = encrypt_columns(events, ["data"], self.cipher)  # type: ignore[arg-type]
        run_once(self.engine, ENCRYPTED_AT_REST, encrypt)

    def _add(self, session: Any, sender_id: str, events: Iterable[Event]) -> None:
        for event in events:
            data = event.as_dict()
            session.add(
                self.SQLEvent(
                    sender_id=sender_id,
                    type_name=event.type_name,
                    timestamp=data.get("timestamp"),
                    intent_name=data.get("parse_data", {}).get("intent", {}).get("name"),
                    action_name=data.get("name"),
                    data=self.cipher.encrypt(json.dumps(data)),
                )
            )

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Save the turn's events, or forget the sender when the turn asks to."""
        try:
            await self._save(tracker)
        except SQLAlchemyError:
            _unavailable.set(True)
            raise

    async def _save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        with self.session_scope() as session:
            new_events: List[Event] = list(self._additional_events(session, tracker))
            markers = [i for i, event in enumerate(new_events) if _is_marker(event)]
            if not markers:
                self._add(session, tracker.sender_id, new_events)
                session.commit()
                return
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == tracker.sender_id)
                .delete(synchronize_session=False)
            )
            self._add(session, tracker.sender_id, new_events[markers[-1] + 1 :])
            session.commit()
        logger.info("Forgot a conversation (%d stored events deleted).", deleted)

    async def _retrieve(
        self, sender_id: Text, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        """Read and decrypt the conversation's events (as Rasa's store does, otherwise)."""
        try:
            with self.session_scope() as session:
                rows = self._event_query(
                    session,
                    sender_id,
                    fetch_events_from_all_sessions=fetch_events_from_all_sessions,
                ).all()
                events = [json.loads(self.cipher.decrypt(row.data) or "{}") for row in rows]
        except SQLAlchemyError:
            _unavailable.set(True)
            raise
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None
